"""In-place optimizer updates against Keras 3's formulas written out in NumPy."""

import numpy as np
import pytest

import fastconv
from fastconv import _core


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum,nesterov,l2", [(0.0, False, 0.0), (0.0, False, 0.01), (0.9, False, 0.0),
                                                  (0.9, True, 1e-3)])
def test_sgd_update_matches_keras_formula(isa, rng, dtype, momentum, nesterov, l2):
    p = rng.standard_normal((5, 37)).astype(dtype)  # 185 elements: whole vectors and a tail at every ISA
    vel = np.zeros_like(p)
    p_ref, v_ref = p.astype(np.float64), np.zeros((5, 37))
    for _ in range(3):
        g = rng.standard_normal((5, 37)).astype(dtype)
        fastconv.sgd_update(p, g, vel, learning_rate=0.1, momentum=momentum, nesterov=nesterov, l2=l2)
        g2 = g + 2 * l2 * p_ref
        if momentum:
            v_ref = momentum * v_ref - 0.1 * g2
            p_ref = p_ref + (momentum * v_ref - 0.1 * g2 if nesterov else v_ref)
        else:
            p_ref = p_ref - 0.1 * g2
    np.testing.assert_allclose(p, p_ref, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("l2", [0.0, 1e-2])
def test_adam_update_matches_keras_formula(isa, rng, l2, dtype, rtol):
    p = rng.standard_normal(1003).astype(dtype)  # whole vectors and a tail at every ISA
    m, v = np.zeros_like(p), np.zeros_like(p)
    p_ref, m_ref, v_ref = p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    for step in range(1, 5):
        g = rng.standard_normal(1003).astype(dtype)
        fastconv.adam_update(p, g, m, v, step, learning_rate=0.01, l2=l2)
        g2 = g + 2 * l2 * p_ref
        m_ref = 0.9 * m_ref + 0.1 * g2
        v_ref = 0.999 * v_ref + 0.001 * g2 ** 2
        p_ref = p_ref - 0.01 * np.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step) * m_ref / (np.sqrt(v_ref) + 1e-7)
    np.testing.assert_allclose(p, p_ref, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(m, m_ref, rtol=rtol, atol=rtol)


def test_adam_first_step_moves_each_weight_by_the_learning_rate():
    p = np.zeros(4, np.float32)
    fastconv.adam_update(p, np.array([1.0, -2.0, 3.0, -4.0], np.float32), np.zeros(4, np.float32),
                         np.zeros(4, np.float32), 1, learning_rate=0.01)
    np.testing.assert_allclose(p, [-0.01, 0.01, -0.01, 0.01], rtol=1e-4)


def test_update_bad_inputs():
    p = np.zeros(3, np.float32)
    with pytest.raises(TypeError, match="param must be a numpy array"):
        fastconv.sgd_update([0.0, 0.0], np.zeros(2))
    with pytest.raises(ValueError, match=r"grad must have param's shape \(3,\)"):
        fastconv.sgd_update(p, np.zeros(4))
    with pytest.raises(ValueError, match="needs a velocity"):
        fastconv.sgd_update(p, np.zeros(3), momentum=0.9)
    with pytest.raises(ValueError, match="velocity must match param"):
        fastconv.sgd_update(p, np.zeros(3), np.zeros(3), momentum=0.9)
    with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\]"):
        fastconv.sgd_update(p, np.zeros(3), np.zeros_like(p), momentum=1.5)
    with pytest.raises(TypeError, match="learning_rate must be a finite number"):
        fastconv.sgd_update(p, np.zeros(3), learning_rate=float("nan"))
    readonly = np.zeros(3, np.float32)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="param must be a writeable C-contiguous array"):
        fastconv.sgd_update(readonly, np.zeros(3))
    with pytest.raises(ValueError, match="param must be a writeable C-contiguous array"):
        fastconv.sgd_update(np.zeros((3, 4), np.float32)[:, ::2], np.zeros((3, 2)))
    with pytest.raises(TypeError, match="param must have dtype float32 or float64"):
        fastconv.sgd_update(np.zeros(3, np.int32), np.zeros(3))
    with pytest.raises(ValueError, match="step must be >= 1"):
        fastconv.adam_update(p, np.zeros(3), np.zeros_like(p), np.zeros_like(p), 0)
    with pytest.raises(ValueError, match="beta_1 and beta_2 must be < 1"):
        fastconv.adam_update(p, np.zeros(3), np.zeros_like(p), np.zeros_like(p), 1, beta_1=1.0)
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        fastconv.adam_update(p, np.zeros(3), np.zeros_like(p), np.zeros_like(p), 1, epsilon=0.0)
    with pytest.raises(ValueError, match="m must match param"):
        fastconv.adam_update(p, np.zeros(3), np.zeros(3), np.zeros_like(p), 1)


# A model's whole step in one engine call (the optimizers' fast path) against array by array.
SIZES = (0, 1, 17, 1003, 90_000)  # empty, tails, and one large enough to be split over threads


def _many_arrays(rng, dtype):
    params = [rng.standard_normal(n).astype(dtype) for n in SIZES]
    return params, [rng.standard_normal(n).astype(dtype) for n in SIZES], [rng.standard_normal(n).astype(dtype) ** 2
                                                                           for n in SIZES]


@pytest.mark.parametrize("nthreads", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_update_many_matches_array_by_array(isa, rng, threads, nthreads, dtype, momentum, nesterov):
    _core.set_num_threads(nthreads)
    params, grads, slots = _many_arrays(rng, dtype)
    expected, expected_slots = [p.copy() for p in params], [s.copy() for s in slots]
    for p, g, s in zip(expected, grads, expected_slots):
        _core.sgd_update(p, g, s if momentum else None, 0.1, momentum, nesterov, 1e-3)
    assert _core.sgd_update_many(params, grads, slots if momentum else None, 0.1, momentum, nesterov, 1e-3)
    for got, want in zip(params + slots, expected + expected_slots):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(params[-1], _many_arrays(np.random.default_rng(0), dtype)[0][-1])


@pytest.mark.parametrize("nthreads", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_update_many_matches_array_by_array(isa, rng, threads, nthreads, dtype):
    _core.set_num_threads(nthreads)
    params, grads, ms = _many_arrays(rng, dtype)
    vs = [m * 0.5 for m in ms]
    expected, expected_m, expected_v = [p.copy() for p in params], [m.copy() for m in ms], [v.copy() for v in vs]
    for p, g, m, v in zip(expected, grads, expected_m, expected_v):
        _core.adam_update(p, g, m, v, 0.01, 0.9, 0.999, 1e-7, 1e-3)
    assert _core.adam_update_many(params, grads, ms, vs, 0.01, 0.9, 0.999, 1e-7, 1e-3)
    for got, want in zip(params + ms + vs, expected + expected_m + expected_v):
        np.testing.assert_array_equal(got, want)


def _not_for_the_engine():
    """(what is wrong, how to break a list of params, grads, ms, vs in place)."""
    def readonly(a):
        a.flags.writeable = False
        return a

    def set_item(index, make):
        return lambda arrays: arrays[index].__setitem__(1, make(arrays[index][1]))

    return [
        ("a float64 grad for a float32 param", set_item(1, lambda a: a.astype(np.float64))),
        ("a strided param", set_item(0, lambda a: np.repeat(a, 2)[::2])),
        ("a read-only param", set_item(0, readonly)),
        ("a read-only state array", set_item(2, readonly)),
        ("a grad of another size", set_item(1, lambda a: a[:-1].copy())),
        ("a grad given as a list", set_item(1, lambda a: a.tolist())),
        ("the same param twice", lambda arrays: arrays[0].__setitem__(2, arrays[0][1])),
        ("a state array overlapping a param", lambda arrays: arrays[2].__setitem__(1, arrays[0][1])),
        ("fewer grads than params", lambda arrays: arrays[1].pop()),
        ("an integer param first", lambda arrays: arrays[0].__setitem__(0, np.zeros(3, np.int64))),
    ]


@pytest.mark.parametrize("what,breaks", _not_for_the_engine(), ids=[w for w, _ in _not_for_the_engine()])
def test_update_many_changes_nothing_when_an_array_is_not_for_the_engine(rng, what, breaks):
    # The optimizers then go array by array through the checked path, which converts or explains.
    params = [rng.standard_normal(n).astype(np.float32) for n in (5, 7, 9)]
    arrays = [params, [p * 2 for p in params], [p * 3 for p in params], [p ** 2 for p in params]]
    breaks(arrays)
    before = [[np.array(a, copy=True) for a in group] for group in arrays]
    assert not _core.adam_update_many(*arrays, 0.01, 0.9, 0.999, 1e-7, 0.0)
    assert not _core.sgd_update_many(arrays[0], arrays[1], arrays[2], 0.1, 0.9, False, 0.0)
    for group, saved in zip(arrays, before):
        for a, b in zip(group, saved):
            np.testing.assert_array_equal(np.asarray(a), b)
