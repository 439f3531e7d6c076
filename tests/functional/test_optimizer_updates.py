"""In-place optimizer updates against Keras 3's formulas written out in NumPy."""

import numpy as np
import pytest

import fastconv


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
