"""Pooling's vectorised kernels against the plain-loop references, at every ISA level."""

import numpy as np
import pytest

from fastconv import _core

# (x shape NHWC, pool, strides, pads)
PROBLEMS = [
    ((2, 8, 8, 3), (2, 2), (2, 2), (0, 0, 0, 0)),
    ((1, 7, 9, 17), (3, 3), (2, 2), (0, 0, 0, 0)),
    ((2, 6, 5, 5), (3, 2), (1, 1), (1, 1, 0, 1)),
    ((1, 5, 5, 33), (2, 2), (1, 1), (0, 1, 0, 1)),
    ((3, 9, 4, 2), (4, 1), (3, 1), (1, 2, 0, 0)),
    ((1, 1, 1, 4), (1, 1), (1, 1), (0, 0, 0, 0)),
    # Disjoint windows (the one-write backward): gaps between windows, padding, uncovered tails;
    # C spans whole register blocks and every smaller tail block.
    ((2, 7, 9, 40), (2, 2), (3, 3), (0, 0, 0, 0)),
    ((2, 7, 7, 7), (3, 3), (3, 3), (1, 1, 1, 1)),
    ((1, 5, 9, 16), (2, 3), (2, 3), (0, 1, 0, 0)),
    ((3, 6, 6, 31), (2, 2), (2, 2), (0, 0, 0, 0)),
]
IDS = [f"mb{s[0]}ih{s[1]}iw{s[2]}c{s[3]}kh{p[0]}kw{p[1]}sh{t[0]}sw{t[1]}pad{'-'.join(map(str, q))}"
       for s, p, t, q in PROBLEMS]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,pool,strides,pads", PROBLEMS, ids=IDS)
def test_max_pool_matches_reference(isa, rng, dtype, shape, pool, strides, pads):
    # Few distinct values, so ties are common and "first maximum" is really tested; some NaNs.
    x = rng.integers(-3, 3, shape).astype(dtype)
    x[rng.random(shape) < 0.05] = np.nan
    y, arg = _core.max_pool2d_forward(x, pool, strides, pads, True, False)
    ry, rarg = _core.max_pool2d_forward(x, pool, strides, pads, True, True)
    np.testing.assert_array_equal(y, ry)
    np.testing.assert_array_equal(arg, rarg)
    dy = rng.integers(-3, 4, y.shape).astype(dtype)
    np.testing.assert_array_equal(_core.max_pool2d_backward(dy, arg, shape, pool, strides, pads),
                                  _core.max_pool2d_backward(dy, arg, shape, pool, strides, pads, True))


@pytest.mark.parametrize("count_include_pad", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,pool,strides,pads", PROBLEMS, ids=IDS)
def test_avg_pool_matches_reference(isa, rng, dtype, count_include_pad, shape, pool, strides, pads):
    x = rng.standard_normal(shape).astype(dtype)
    y = _core.avg_pool2d_forward(x, pool, strides, pads, count_include_pad)
    ry = _core.avg_pool2d_forward(x, pool, strides, pads, count_include_pad, True)
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(y, ry, rtol=rtol, atol=rtol)
    dy = rng.standard_normal(y.shape).astype(dtype)
    np.testing.assert_allclose(_core.avg_pool2d_backward(dy, shape, pool, strides, pads, count_include_pad),
                               _core.avg_pool2d_backward(dy, shape, pool, strides, pads, count_include_pad, True),
                               rtol=rtol, atol=rtol)


def test_max_pool_first_maximum_and_first_nan_win(isa):
    x = np.array([1, 3, 3, 2, 5, np.nan, 5, np.nan], np.float32).reshape(2, 2, 2, 1)
    y, arg = _core.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0, 0, 0), True, False)
    assert y[0, 0, 0, 0] == 3 and arg[0, 0, 0, 0] == 1          # first of the tied 3s
    assert np.isnan(y[1, 0, 0, 0]) and arg[1, 0, 0, 0] == 1     # first NaN


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_2x2_every_pattern_of_ties_and_nans(isa, dtype):
    # Whole 2x2 windows have a loop of their own: every assignment of {1, 2, NaN} to the four
    # cells is one channel (81, so whole vectors and a tail), against the reference's first
    # maximum and first NaN.
    values = np.array(np.meshgrid(*[[1.0, 2.0, np.nan]] * 4, indexing="ij")).reshape(4, -1)
    x = values.reshape(2, 2, -1)[None].astype(dtype)
    x = np.concatenate([x, x[..., ::-1]])      # a second image, the channels in the other order
    y, arg = _core.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0, 0, 0), True, False)
    ry, rarg = _core.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0, 0, 0), True, True)
    np.testing.assert_array_equal(y, ry)
    np.testing.assert_array_equal(arg, rarg)
    assert set(np.unique(arg)) == {0, 1, 2, 3}


def test_max_pool_backward_accumulates_overlapping_windows(isa):
    x = np.zeros((1, 3, 3, 1), np.float32)
    x[0, 1, 1, 0] = 9.0  # the centre wins all four overlapping 2x2 windows
    y, arg = _core.max_pool2d_forward(x, (2, 2), (1, 1), (0, 0, 0, 0), True, False)
    dx = _core.max_pool2d_backward(np.ones_like(y), arg, x.shape, (2, 2), (1, 1), (0, 0, 0, 0))
    assert dx[0, 1, 1, 0] == 4.0 and dx.sum() == 4.0


@pytest.mark.parametrize("shape,pool,strides,pads", PROBLEMS, ids=IDS)
def test_max_pool_backward_with_foreign_indices_matches_reference(isa, rng, shape, pool, strides, pads):
    # Indices anywhere in the H*W plane (not from the forward, so mostly outside their window):
    # the disjoint-window backward must notice and scatter like the reference.
    y = _core.max_pool2d_forward(np.zeros(shape, np.float32), pool, strides, pads)
    arg = rng.integers(0, shape[1] * shape[2], y.shape)
    dy = rng.integers(-3, 4, y.shape).astype(np.float32)
    np.testing.assert_array_equal(_core.max_pool2d_backward(dy, arg, shape, pool, strides, pads),
                                  _core.max_pool2d_backward(dy, arg, shape, pool, strides, pads, True))


@pytest.mark.parametrize("foreign", [False, True], ids=["forward_indices", "foreign_indices"])
@pytest.mark.parametrize("shape,pool,strides,pads", PROBLEMS, ids=IDS)
def test_max_pool_backward_through_relu_matches_relu_then_pool(isa, rng, foreign, shape, pool, strides, pads):
    # relu_y (the pooled output of ReLU outputs) passes only the dy whose y is positive: the same
    # as masking dy by the ReLU's backward first, on the one-write path and on the scatter.
    x = np.maximum(rng.integers(-3, 3, shape), 0).astype(np.float32)
    x[rng.random(shape) < 0.05] = np.nan
    y, arg = _core.max_pool2d_forward(x, pool, strides, pads, True)
    if foreign:
        arg = rng.integers(0, shape[1] * shape[2], y.shape)
    dy = rng.integers(-3, 4, y.shape).astype(np.float32)
    masked = _core.relu_backward(dy, y)
    expected = _core.max_pool2d_backward(masked, arg, shape, pool, strides, pads, True)
    assert np.any(masked != dy) and np.any(expected != 0)
    np.testing.assert_array_equal(_core.max_pool2d_backward(dy, arg, shape, pool, strides, pads, False, y), expected)
    np.testing.assert_array_equal(_core.max_pool2d_backward(dy, arg, shape, pool, strides, pads, True, y), expected)


def test_max_pool_backward_refuses_relu_y_of_another_shape(isa):
    dy, arg = np.ones((1, 2, 2, 3), np.float32), np.zeros((1, 2, 2, 3), np.int64)
    with pytest.raises(ValueError, match=r"dy, argmax and relu_y must be \(1, 2, 2, 3\)"):
        _core.max_pool2d_backward(dy, arg, (1, 4, 4, 3), (2, 2), (2, 2), (0, 0, 0, 0), False,
                                  np.ones((1, 2, 2, 2), np.float32))
    with pytest.raises(TypeError):
        _core.max_pool2d_backward(dy, arg, (1, 4, 4, 3), (2, 2), (2, 2), (0, 0, 0, 0), False, np.ones((1, 2, 2, 3)))


@pytest.mark.parametrize("bad", [-1, 16])
def test_max_pool_backward_names_an_index_outside_the_plane(isa, bad):
    arg = np.zeros((1, 2, 2, 3), np.int64)
    arg[0, 1, 0, 2] = bad
    with pytest.raises(ValueError, match=f"argmax holds {bad}, outside"):
        _core.max_pool2d_backward(np.ones((1, 2, 2, 3), np.float32), arg, (1, 4, 4, 3), (2, 2), (2, 2), (0, 0, 0, 0))


@pytest.mark.parametrize("nthreads", [1, 2, 3])
@pytest.mark.parametrize("strides", [(2, 2), (1, 1)], ids=["disjoint", "overlapping"])
def test_max_pool_threaded_matches_reference(isa, rng, threads, nthreads, strides):
    # Big enough to be split over threads (by rows forward and disjoint backward, by image else).
    _core.set_num_threads(nthreads)
    shape, pool, pads = (8, 31, 33, 40), (2, 2), (0, 1, 0, 1)
    x = rng.integers(-3, 3, shape).astype(np.float32)
    y, arg = _core.max_pool2d_forward(x, pool, strides, pads, True)
    ry, rarg = _core.max_pool2d_forward(x, pool, strides, pads, True, True)
    np.testing.assert_array_equal(y, ry)
    np.testing.assert_array_equal(arg, rarg)
    dy = rng.integers(-3, 4, y.shape).astype(np.float32)
    for a in (arg, rng.integers(0, shape[1] * shape[2], y.shape)):
        np.testing.assert_array_equal(_core.max_pool2d_backward(dy, a, shape, pool, strides, pads),
                                      _core.max_pool2d_backward(dy, a, shape, pool, strides, pads, True))
