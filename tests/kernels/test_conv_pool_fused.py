"""Convolution fused with the max pooling after it, at every ISA level: the forward gives exactly
the pooled output and argmax of the two calls in a row; the weight gradient from the pooled
gradient is the one through the dense gradient (rounding aside) and the same for any thread count."""

import numpy as np
import pytest

import fastconv
from fastconv import _core

# (x shape NHWC, OC, conv pads, conv strides, pool, pool strides, pool pads)
PROBLEMS = [
    ((5, 12, 12, 3), 32, (0, 0, 0, 0), (1, 1), (2, 2), (2, 2), (0, 0, 0, 0)),    # the RGB layer, odd batch
    ((2, 9, 9, 1), 10, (0, 0, 0, 0), (1, 1), (2, 2), (2, 2), (0, 0, 0, 0)),      # odd 7x7 output: a dropped edge
    ((3, 10, 8, 2), 7, (1, 1, 1, 1), (1, 1), (3, 3), (1, 1), (1, 1, 1, 1)),      # overlapping windows, padding
    ((1, 11, 11, 5), 16, (1, 0, 2, 1), (2, 2), (2, 3), (2, 1), (0, 1, 0, 0)),    # batch 1, strided conv
    ((4, 8, 8, 33), 20, (0, 0, 0, 0), (1, 1), (2, 2), (2, 2), (0, 0, 0, 0)),     # many channels: unfused wgrad
    ((2, 12, 11, 4), 6, (0, 0, 0, 0), (1, 1), (3, 3), (3, 3), (1, 0, 1, 0)),     # top/left pads: 10x9 read as 8x8
]
IDS = [f"x{'x'.join(map(str, p[0]))}-oc{p[1]}-pool{p[4][0]}{p[4][1]}s{p[5][0]}{p[5][1]}" for p in PROBLEMS]


def conv_args(x, oc, pads, strides, rng, dtype):
    w = rng.standard_normal((3, 3, x.shape[3], oc)).astype(dtype)
    b = rng.standard_normal(oc).astype(dtype)
    return (x, w, b, strides, pads, (1, 1), 1, True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,oc,pads,strides,pool,pool_strides,pool_pads", PROBLEMS, ids=IDS)
def test_forward_is_the_two_calls_exactly(isa, rng, dtype, shape, oc, pads, strides, pool, pool_strides, pool_pads):
    x = rng.standard_normal(shape).astype(dtype)
    args = conv_args(x, oc, pads, strides, rng, dtype)
    y = _core.conv2d_forward(*args, "direct")
    pooled, argmax = _core.max_pool2d_forward(y, pool, pool_strides, pool_pads, True)
    fused, fused_argmax = _core.conv2d_forward_maxpool(*args, pool, pool_strides, pool_pads)
    assert np.abs(pooled).max() > 0
    np.testing.assert_array_equal(fused, pooled)
    np.testing.assert_array_equal(fused_argmax, argmax)


@pytest.mark.parametrize("relu_mask", [False, True], ids=["plain", "relu-mask"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,oc,pads,strides,pool,pool_strides,pool_pads", PROBLEMS, ids=IDS)
def test_weight_gradient_is_the_one_through_the_dense_gradient(isa, rng, dtype, relu_mask, shape, oc, pads, strides,
                                                               pool, pool_strides, pool_pads):
    x = rng.standard_normal(shape).astype(dtype)
    args = conv_args(x, oc, pads, strides, rng, dtype)
    y = _core.conv2d_forward(*args, "direct")
    pooled, argmax = _core.max_pool2d_forward(y, pool, pool_strides, pool_pads, True)
    dpooled = rng.standard_normal(pooled.shape).astype(dtype)
    # With the mask, the pooled output of a ReLU convolution (zero where a window is all negative).
    mask_y = np.maximum(pooled - np.median(pooled), 0).astype(dtype) if relu_mask else None
    masked = _core.relu_backward(dpooled, mask_y) if relu_mask else dpooled
    if relu_mask:
        assert 0 < np.count_nonzero(masked) < masked.size
    dense = _core.max_pool2d_backward(masked, argmax, y.shape, pool, pool_strides, pool_pads)
    want_dw, want_db = _core.conv2d_backward_weight(dense, x, (3, 3), strides, pads, (1, 1), 1, True, "reference")
    dw, db = _core.conv2d_backward_weight_maxpool(dpooled, argmax, mask_y, x, (3, 3), strides, pads, (1, 1), 1, oc, True,
                                                  pool, pool_strides, pool_pads)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    assert np.abs(want_dw).max() > 0
    np.testing.assert_allclose(dw, want_dw, rtol=tol, atol=tol * np.abs(want_dw).max())
    np.testing.assert_allclose(db, want_db, rtol=tol, atol=tol * np.abs(want_db).max())
    no_bias = _core.conv2d_backward_weight_maxpool(dpooled, argmax, mask_y, x, (3, 3), strides, pads, (1, 1), 1, oc,
                                                   False,
                                                   pool, pool_strides, pool_pads)
    assert no_bias[1] is None
    np.testing.assert_array_equal(no_bias[0], dw)


def test_weight_gradient_is_bitwise_the_same_for_any_thread_count(rng, threads):
    x = rng.standard_normal((37, 14, 14, 3)).astype(np.float32)
    args = conv_args(x, 32, (0, 0, 0, 0), (1, 1), rng, np.float32)
    pooled, argmax = _core.conv2d_forward_maxpool(*args, (2, 2), (2, 2), (0, 0, 0, 0))
    dpooled = rng.standard_normal(pooled.shape).astype(np.float32)
    results = []
    for n in (1, 2, 3):
        fastconv.set_num_threads(n)
        results.append(_core.conv2d_backward_weight_maxpool(dpooled, argmax, pooled, x, (3, 3), (1, 1), (0, 0, 0, 0), (1, 1),
                                                            1, 32, True, (2, 2), (2, 2), (0, 0, 0, 0)))
    for dw, db in results[1:]:
        np.testing.assert_array_equal(dw, results[0][0])
        np.testing.assert_array_equal(db, results[0][1])


def pooled_problem(rng):
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    args = conv_args(x, 4, (0, 0, 0, 0), (1, 1), rng, np.float32)
    pooled, argmax = _core.conv2d_forward_maxpool(*args, (2, 2), (2, 2), (0, 0, 0, 0))
    return x, pooled, argmax


def wgrad(dpooled, argmax, x, oc=4, y=None):
    return _core.conv2d_backward_weight_maxpool(dpooled, argmax, y, x, (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1, oc, True,
                                                (2, 2), (2, 2), (0, 0, 0, 0))


@pytest.mark.parametrize("bad", [-1, 36, 10**12])
def test_weight_gradient_refuses_an_argmax_outside_the_image(rng, bad):
    x, pooled, argmax = pooled_problem(rng)
    argmax[1, 2, 0, 3] = bad
    with pytest.raises(ValueError, match=rf"argmax holds {bad}, outside \[0, 36\)"):
        wgrad(np.ones_like(pooled), argmax, x)


def test_weight_gradient_checks_shapes_and_dtypes(rng):
    x, pooled, argmax = pooled_problem(rng)
    with pytest.raises(ValueError, match=r"pooled dy, argmax and y must be \(2, 3, 3, 4\)"):
        wgrad(np.ones((2, 3, 3, 5), np.float32), argmax, x)
    with pytest.raises(ValueError, match=r"pooled dy, argmax and y must be \(2, 3, 3, 4\)"):
        wgrad(np.ones_like(pooled), argmax, x, y=np.ascontiguousarray(pooled[:, :2]))
    with pytest.raises((TypeError, ValueError), match="y"):
        wgrad(np.ones_like(pooled), argmax, x, y=pooled.astype(np.float64))
    with pytest.raises(ValueError, match=r"pooled dy, argmax and y must be \(2, 3, 3, 4\)"):
        wgrad(np.ones_like(pooled), argmax[:1], x)
    with pytest.raises(ValueError, match=r"pooled dy, argmax and y must be \(2, 3, 3, 8\)"):
        wgrad(np.ones_like(pooled), argmax, x, oc=8)
    with pytest.raises((TypeError, ValueError), match="argmax"):
        wgrad(np.ones_like(pooled), argmax.astype(np.int32), x)
    with pytest.raises((TypeError, ValueError), match="x"):
        wgrad(np.ones_like(pooled), argmax, x.astype(np.float64))


def test_forward_checks_its_arguments(rng):
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    w, b = np.ones((3, 3, 3, 4), np.float32), np.ones(4, np.float32)
    with pytest.raises(ValueError, match="input channels"):
        _core.conv2d_forward_maxpool(x, np.ones((3, 3, 2, 4), np.float32), b, (1, 1), (0, 0, 0, 0), (1, 1), 1, True,
                                     (2, 2), (2, 2), (0, 0, 0, 0))
    with pytest.raises(ValueError, match="b has 3 elements"):
        _core.conv2d_forward_maxpool(x, w, b[:3], (1, 1), (0, 0, 0, 0), (1, 1), 1, True, (2, 2), (2, 2), (0, 0, 0, 0))
    with pytest.raises(ValueError):     # a window larger than the 6x6 convolution output
        _core.conv2d_forward_maxpool(x, w, b, (1, 1), (0, 0, 0, 0), (1, 1), 1, True, (7, 7), (1, 1), (0, 0, 0, 0))


# Both gradients from the pooled gradient (conv2d_backward_maxpool): the two calls' (the pool's
# backward with the ReLU mask, then the convolution's), one group of images or several.
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,oc,pads,strides,pool,pool_strides,pool_pads", PROBLEMS + [
    ((100, 15, 15, 32), 64, (0, 0, 0, 0), (1, 1), (2, 2), (2, 2), (0, 0, 0, 0)),  # the course's 2nd layer: 3 groups
    ((4, 13, 13, 64), 64, (1, 1, 1, 1), (1, 1), (2, 2), (2, 2), (0, 0, 0, 0)),    # direct input gradient, 13 -> 12 rows
], ids=IDS + ["cifar2-three-groups", "direct-bwd-data-cut-row"])
def test_both_gradients_are_the_two_calls(isa, rng, dtype, shape, oc, pads, strides, pool, pool_strides, pool_pads):
    x = rng.standard_normal(shape).astype(dtype)
    args = conv_args(x, oc, pads, strides, rng, dtype)
    pooled, argmax = _core.conv2d_forward_maxpool(*args, pool, pool_strides, pool_pads)
    y_shape = _core.conv2d_forward(*args, "auto").shape
    dpooled = rng.standard_normal(pooled.shape).astype(dtype)
    dense = _core.max_pool2d_backward(dpooled, argmax, y_shape, pool, pool_strides, pool_pads, False, pooled)
    want_dx, want_dw, want_db = _core.conv2d_backward(dense, x, args[1], None, strides, pads, (1, 1), 1, True, "auto")
    dx, dw, db = _core.conv2d_backward_maxpool(dpooled, argmax, pooled, x, args[1], strides, pads, (1, 1), 1, True, True,
                                               pool, pool_strides, pool_pads)
    assert np.abs(want_dx).max() > 0 and np.abs(want_dw).max() > 0
    # Rounding aside: a group of images may be blocked otherwise than the whole batch, and dw, db
    # are summed group by group.
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(dx, want_dx, rtol=tol, atol=tol * np.abs(want_dx).max())
    np.testing.assert_allclose(dw, want_dw, rtol=tol, atol=tol * np.abs(want_dw).max())
    np.testing.assert_allclose(db, want_db, rtol=tol, atol=tol * np.abs(want_db).max())
    weights_only = _core.conv2d_backward_maxpool(dpooled, argmax, pooled, x, args[1], strides, pads, (1, 1), 1, False,
                                                 False, pool, pool_strides, pool_pads)
    assert weights_only[0] is None and weights_only[2] is None
    np.testing.assert_array_equal(weights_only[1], dw)


def test_both_gradients_from_foreign_indices_are_the_two_calls(rng):
    # Indices not from the forward (mostly outside their windows): the scatter, as the pool's backward.
    x = rng.standard_normal((3, 10, 10, 4)).astype(np.float32)
    args = conv_args(x, 6, (0, 0, 0, 0), (1, 1), rng, np.float32)
    pooled, argmax = _core.conv2d_forward_maxpool(*args, (2, 2), (2, 2), (0, 0, 0, 0))
    argmax = rng.integers(0, 64, argmax.shape)
    dpooled = rng.standard_normal(pooled.shape).astype(np.float32)
    dense = _core.max_pool2d_backward(dpooled, argmax, (3, 8, 8, 6), (2, 2), (2, 2), (0, 0, 0, 0), False, pooled)
    want = _core.conv2d_backward(dense, x, args[1], None, (1, 1), (0, 0, 0, 0), (1, 1), 1, True, "auto")
    got = _core.conv2d_backward_maxpool(dpooled, argmax, pooled, x, args[1], (1, 1), (0, 0, 0, 0), (1, 1), 1, True, True,
                                        (2, 2), (2, 2), (0, 0, 0, 0))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_both_gradients_repeat_bitwise_at_each_thread_count(rng, threads):
    x = rng.standard_normal((100, 15, 15, 32)).astype(np.float32)
    args = conv_args(x, 64, (0, 0, 0, 0), (1, 1), rng, np.float32)
    pooled, argmax = _core.conv2d_forward_maxpool(*args, (2, 2), (2, 2), (0, 0, 0, 0))
    dpooled = rng.standard_normal(pooled.shape).astype(np.float32)
    for n in (1, 2, 3):
        fastconv.set_num_threads(n)
        first, again = [_core.conv2d_backward_maxpool(dpooled, argmax, pooled, x, args[1], (1, 1), (0, 0, 0, 0), (1, 1),
                                                      1, True, True, (2, 2), (2, 2), (0, 0, 0, 0)) for _ in range(2)]
        for a, b in zip(first, again):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call", ["both", "weights"])
def test_foreign_indices_inside_the_pooled_part_are_the_two_calls(rng, call):
    # A 7x7 output pooled 2x2 is read in its top-left 6x6: indices anywhere there (not from the
    # forward, so mostly outside their windows) scatter as the pool's own backward would.
    x = rng.standard_normal((3, 9, 9, 3)).astype(np.float32)
    args = conv_args(x, 4, (0, 0, 0, 0), (1, 1), rng, np.float32)
    pooled, argmax = _core.conv2d_forward_maxpool(*args, (2, 2), (2, 2), (0, 0, 0, 0))
    argmax = rng.integers(0, 6, argmax.shape) * 7 + rng.integers(0, 6, argmax.shape)
    dpooled = rng.standard_normal(pooled.shape).astype(np.float32)
    dense = _core.max_pool2d_backward(dpooled, argmax, (3, 7, 7, 4), (2, 2), (2, 2), (0, 0, 0, 0), False, pooled)
    want = _core.conv2d_backward(dense, x, args[1], None, (1, 1), (0, 0, 0, 0), (1, 1), 1, True, "auto")
    if call == "both":
        got = _core.conv2d_backward_maxpool(dpooled, argmax, pooled, x, args[1], (1, 1), (0, 0, 0, 0), (1, 1), 1, True,
                                            True, (2, 2), (2, 2), (0, 0, 0, 0))
    else:
        got = (want[0], *_core.conv2d_backward_weight_maxpool(dpooled, argmax, pooled, x, (3, 3), (1, 1), (0, 0, 0, 0),
                                                              (1, 1), 1, 4, True, (2, 2), (2, 2), (0, 0, 0, 0)))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5 * np.abs(w).max())


@pytest.mark.parametrize("where,message", [(6 * 7 + 3, r"argmax holds 45, outside \[0, 42\)"),
                                           (2 * 7 + 6, r"argmax holds 20, in column 6 of the convolution's output, "
                                                       r"which no pool window reads")],
                         ids=["row", "column"])
@pytest.mark.parametrize("call", ["both", "weights"])
def test_an_argmax_no_window_reads_is_refused(rng, call, where, message):
    # A 7x7 output pooled 2x2 reads rows and columns 0-5: the fused calls skip the 7th of each,
    # where no maximum can be.
    x = rng.standard_normal((2, 9, 9, 3)).astype(np.float32)
    args = conv_args(x, 4, (0, 0, 0, 0), (1, 1), rng, np.float32)
    pooled, argmax = _core.conv2d_forward_maxpool(*args, (2, 2), (2, 2), (0, 0, 0, 0))
    assert argmax.max() < 42 and (argmax % 7).max() < 6
    argmax[1, 2, 2, 1] = where
    with pytest.raises(ValueError, match=message):
        if call == "both":
            _core.conv2d_backward_maxpool(np.ones_like(pooled), argmax, pooled, x, args[1], (1, 1), (0, 0, 0, 0),
                                          (1, 1), 1, True, True, (2, 2), (2, 2), (0, 0, 0, 0))
        else:
            _core.conv2d_backward_weight_maxpool(np.ones_like(pooled), argmax, pooled, x, (3, 3), (1, 1), (0, 0, 0, 0),
                                                 (1, 1), 1, 4, True, (2, 2), (2, 2), (0, 0, 0, 0))


def test_both_gradients_check_their_arguments(rng):
    x, pooled, argmax = pooled_problem(rng)
    w = np.ones((3, 3, 3, 4), np.float32)

    def grads(dpooled=None, argmax_=argmax, y=pooled, w_=w, x_=x):
        return _core.conv2d_backward_maxpool(np.ones_like(pooled) if dpooled is None else dpooled, argmax_, y, x_, w_,
                                             (1, 1), (0, 0, 0, 0), (1, 1), 1, True, True, (2, 2), (2, 2), (0, 0, 0, 0))
    bad = argmax.copy()
    bad[0, 1, 1, 2] = 36
    with pytest.raises(ValueError, match=r"argmax holds 36, outside \[0, 36\)"):
        grads(argmax_=bad)
    with pytest.raises(ValueError, match=r"pooled dy, argmax and y must be \(2, 3, 3, 4\)"):
        grads(dpooled=np.ones((2, 3, 3, 5), np.float32))
    with pytest.raises(ValueError, match=r"pooled dy, argmax and y must be \(2, 3, 3, 4\)"):
        grads(y=np.ascontiguousarray(pooled[:, :2]))
    with pytest.raises(ValueError, match="input channels"):
        grads(w_=np.ones((3, 3, 2, 4), np.float32))
    with pytest.raises(ValueError, match=r"pooled dy, argmax and y must be \(2, 3, 3, 5\)"):
        grads(w_=np.ones((3, 3, 3, 5), np.float32))
    with pytest.raises((TypeError, ValueError), match="argmax"):
        grads(argmax_=argmax.astype(np.int32))
    with pytest.raises((TypeError, ValueError), match="w"):
        grads(w_=w.astype(np.float64))
