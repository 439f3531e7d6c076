"""Fuzz cases with strides, dilations, paddings and sizes near 2^31, 2^32, 2^62 and 2^63, checked
against a Python big-integer reference of the geometry and of the convolution itself (Python ints
never overflow). Shared by tests/robustness/test_fuzz_extreme.py and scripts/fuzz.py.

The rule checked (csrc/core/geometry.h): the output size is exact; an argument or an output size
past 2**63 - 1, or a padded input (canonical end padding) of more than 2**60 elements, raises
OverflowError; an empty output raises ValueError; anything else gives the reference's answer
exactly (small integers), from every algorithm, forward and backward.
"""

import numpy as np

import fastconv
from tests.robustness.fuzz_cases import check_allowed_error

INT64_MAX = 2**63 - 1
MAX_PADDED_ELEMENTS = 2**60
# Near every power of two where a 32- or 64-bit quantity (or a sum of two) overflows.
EXTREMES = sorted({b + d for b in (2**31, 2**32, 2**62, 2**63) for d in (-2, -1, 0, 1)} | {2**63 - 1})
SMALL = (0, 1, 2, 3)


# ---------------------------------------------------------------------------------------------
# The big-integer reference of the geometry

def output_size(i, k, s, p0, p1, d):
    """floor((i + p0 + p1 - d*(k-1) - 1) / s) + 1, or 0 when nothing fits: exact."""
    span = i + p0 + p1 - d * (k - 1) - 1
    return span // s + 1 if span >= 0 else 0


def reached_end_padding(i, k, s, p0, p1, d, o):
    """The end padding the last of o windows reads (the engine keeps only that much)."""
    last = (o - 1) * s + d * (k - 1) - p0
    return min(max(last + 1 - i, 0), p1)


def same_padding(i, k, s, d):
    out = -(-i // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - i, 0)
    return total // 2, total - total // 2


def expected_outcome(n, h, w, c, oc, kernel, strides, pads, dilation, copies_windows=True):
    """("ok", (oh, ow)), the exception type the engine must raise, or None for a problem too large
    to run here (an allocation that might succeed). copies_windows: the largest buffer is the
    im2col matrix (convolution), else the output (pooling)."""
    values = (*kernel, *strides, *pads, *dilation)
    if max(values) > INT64_MAX:
        return OverflowError
    oh = output_size(h, kernel[0], strides[0], pads[0], pads[1], dilation[0])
    ow = output_size(w, kernel[1], strides[1], pads[2], pads[3], dilation[1])
    if max(oh, ow) > INT64_MAX:
        return OverflowError
    if oh < 1 or ow < 1:
        return ValueError
    pb = reached_end_padding(h, kernel[0], strides[0], pads[0], pads[1], dilation[0], oh)
    pr = reached_end_padding(w, kernel[1], strides[1], pads[2], pads[3], dilation[1], ow)
    if max(n, 1) * (h + pads[0] + pb) * (w + pads[2] + pr) * max(c, oc) > MAX_PADDED_ELEMENTS:
        return OverflowError
    elements = n * oh * ow * max(c, oc) * (kernel[0] * kernel[1] if copies_windows else 1)
    if elements > 2**63 - 1:
        return OverflowError
    if elements > 2**44:
        return MemoryError
    if elements > 2**16:
        return None  # would really allocate up to terabytes: not run
    return "ok", (oh, ow)


# ---------------------------------------------------------------------------------------------
# The big-integer reference of the convolution

def _taps(o, k, s, p0, d, i):
    """(output index, tap, input index) for every tap of every output that lands inside [0, i):
    the taps t with 0 <= a*s - p0 + t*d < i, found by division (k may be near 2^63)."""
    taps = []
    for a in range(o):
        start = a * s - p0
        first, end = max(0, -(start // d)), min(k, -((start - i) // d))  # ceil(-start/d), ceil((i-start)/d)
        taps += [(a, t, start + t * d) for t in range(first, end)]
    return taps


def conv_reference(x, w, strides, pads, dilation, groups, out_hw):
    """y, and the function (dy -> dx, dw) of its gradients, in float64 with Python-int addressing."""
    n, h, wd, c = x.shape
    kh, kw, cg, oc = w.shape
    (oh, ow), ocg = out_hw, oc // groups
    rows = _taps(oh, kh, strides[0], pads[0], dilation[0], h)
    cols = _taps(ow, kw, strides[1], pads[2], dilation[1], wd)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    y = np.zeros((n, oh, ow, oc))
    for g in range(groups):
        ci, co = slice(g * cg, (g + 1) * cg), slice(g * ocg, (g + 1) * ocg)
        for a, i, iy in rows:
            for b, j, ix in cols:
                y[:, a, b, co] += x64[:, iy, ix, ci] @ w64[i, j, :, co]

    def backward(dy):
        dy64 = dy.astype(np.float64)
        dx, dw = np.zeros(x.shape), np.zeros(w.shape)
        for g in range(groups):
            ci, co = slice(g * cg, (g + 1) * cg), slice(g * ocg, (g + 1) * ocg)
            for a, i, iy in rows:
                for b, j, ix in cols:
                    dx[:, iy, ix, ci] += dy64[:, a, b, co] @ w64[i, j, :, co].T
                    dw[i, j, :, co] += x64[:, iy, ix, ci].T @ dy64[:, a, b, co]
        return dx, dw

    return y, backward


# ---------------------------------------------------------------------------------------------
# Random cases

def _extreme_or_small(rng, minimum=0):
    pool = EXTREMES if rng.random() < 0.5 else SMALL
    return max(int(pool[int(rng.integers(0, len(pool)))]), minimum)


def _axis(rng, i, k):
    """(stride, pad_begin, pad_end, dilation) of one axis: either each value drawn on its own, or
    an extreme stride or dilation with the padding that gives one or two outputs (a valid problem
    with huge coordinates)."""
    if rng.random() < 0.4:
        return (_extreme_or_small(rng, 1), _extreme_or_small(rng), _extreme_or_small(rng),
                _extreme_or_small(rng, 1))
    s = _extreme_or_small(rng, 1)
    d = _extreme_or_small(rng, 1) if k > 1 and rng.random() < 0.5 else 1
    o = int(rng.integers(1, 3))
    # span = i + p0 + p1 - d*(k-1) - 1 must lie in [(o-1)*s, o*s).
    span = (o - 1) * s + int(rng.integers(0, min(s, 4)))
    total = max(span - i + d * (k - 1) + 1, 0)
    p0 = int(rng.integers(0, total + 1)) if total < 2**62 else total // int(rng.integers(1, 4))
    return s, p0, total - p0, d


def random_extreme_conv_case(rng):
    groups = int(rng.integers(1, 3))
    n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, pt, pb, dh = _axis(rng, h, kh)
    sw, pl, pr, dw = _axis(rng, w, kw)
    return dict(n=n, h=h, w=w, c_per_group=int(rng.integers(1, 3)), groups=groups,
                oc_per_group=int(rng.integers(1, 3)), kernel=(kh, kw), strides=(sh, sw),
                padding=((pt, pb), (pl, pr)), dilation=(dh, dw), seed=int(rng.integers(0, 2**32)))


def _expect(outcome, call, what):
    try:
        result = call()
    except (ValueError, TypeError, MemoryError, OverflowError) as error:
        check_allowed_error(error)
        assert outcome is not None and isinstance(outcome, type) and isinstance(error, outcome), \
            f"{what}: expected {outcome}, got {type(error).__name__}: {error}"
        return None
    assert not isinstance(outcome, type), f"{what}: expected {outcome.__name__}, got a result"
    return result


def check_extreme_conv_case(n, h, w, c_per_group, groups, oc_per_group, kernel, strides, padding, dilation, seed):
    """conv2d, conv2d_backward and im2col/col2im with extreme geometry: the reference, or the
    error the big-integer geometry says."""
    rng = np.random.default_rng(seed)
    c, oc = c_per_group * groups, oc_per_group * groups
    x = rng.integers(-3, 4, (n, h, w, c)).astype(np.float32)
    wt = rng.integers(-3, 4, (*kernel, c_per_group, oc)).astype(np.float32)
    pads = (*padding[0], *padding[1])
    outcome = expected_outcome(n, h, w, c, oc, kernel, strides, pads, dilation)
    if outcome is None:
        return
    kwargs = dict(strides=strides, padding=padding, dilation=dilation, groups=groups)
    where = f"conv2d({x.shape}, {wt.shape}, {kwargs})"
    algorithms = ["reference", "direct", "im2col", "auto"]
    # NumPy's FFT pads x in memory: only where the padded input is small.
    if h + pads[0] + pads[1] < 4096 and w + pads[2] + pads[3] < 4096:
        algorithms.append("fft")
    for algorithm in algorithms:
        y = _expect(outcome, lambda: fastconv.conv2d(x, wt, **kwargs, algorithm=algorithm), f"{where} [{algorithm}]")
        if y is None:
            return
        ref, backward = conv_reference(x, wt, strides, pads, dilation, groups, outcome[1])
        if algorithm == "fft":
            np.testing.assert_allclose(y, ref, atol=1e-3, err_msg=f"{where} [fft]")
        else:
            np.testing.assert_array_equal(y, ref, err_msg=f"{where} [{algorithm}]")
    dy = rng.integers(-3, 4, y.shape).astype(np.float32)
    dx, dw, db = fastconv.conv2d_backward(dy, x, wt, **kwargs)
    dx_ref, dw_ref = backward(dy)
    np.testing.assert_array_equal(dx, dx_ref, err_msg=f"{where} backward dx")
    np.testing.assert_array_equal(dw, dw_ref, err_msg=f"{where} backward dw")
    np.testing.assert_array_equal(db, dy.sum(axis=(0, 1, 2)), err_msg=f"{where} backward db")
    if groups == 1:
        # im2col and its adjoint: <im2col(x), cols> == <x, col2im(cols)>, exactly on integers.
        im_kwargs = dict(strides=strides, padding=padding, dilation=dilation)
        cols = fastconv.im2col(x, kernel, **im_kwargs)
        np.testing.assert_array_equal(cols @ wt.reshape(-1, oc), ref.reshape(-1, oc), err_msg=f"{where} im2col")
        r = rng.integers(-3, 4, cols.shape).astype(np.float32)
        back = fastconv.col2im(r, x.shape, kernel, **im_kwargs)
        assert float((cols.astype(np.float64) * r).sum()) == float((x.astype(np.float64) * back).sum()), \
            f"{where}: col2im is not im2col's adjoint"


def random_extreme_pool_case(rng):
    h, w = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    pool = (_extreme_or_small(rng, 1) if rng.random() < 0.2 else int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    return dict(n=int(rng.integers(1, 3)), h=h, w=w, c=int(rng.integers(1, 3)), pool=pool,
                strides=(_extreme_or_small(rng, 1), _extreme_or_small(rng, 1)),
                padding=["valid", "same"][int(rng.integers(0, 2))], seed=int(rng.integers(0, 2**32)))


def check_extreme_pool_case(n, h, w, c, pool, strides, padding, seed):
    """Max and average pooling (and their backward) with extreme strides and windows."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, (n, h, w, c)).astype(np.float32)
    if padding == "same":
        pads = (*same_padding(h, pool[0], strides[0], 1), *same_padding(w, pool[1], strides[1], 1))
    else:
        pads = (0, 0, 0, 0)
    if max(pads) > INT64_MAX:
        outcome = OverflowError
    elif pads[0] >= pool[0] or pads[1] >= pool[0] or pads[2] >= pool[1] or pads[3] >= pool[1]:
        outcome = ValueError  # never: 'same' pads stay below the window, kept as a guard
    else:
        outcome = expected_outcome(n, h, w, c, c, pool, strides, pads, (1, 1), copies_windows=False)
        if outcome is None:
            return
    where = f"pool2d({x.shape}, pool_size={pool}, strides={strides}, padding={padding!r})"
    y = _expect(outcome, lambda: fastconv.max_pool2d(x, pool, strides, padding), where)
    if y is None:
        return
    (oh, ow) = outcome[1]
    y_ref, first, total = np.full((n, oh, ow, c), -np.inf), np.zeros((n, oh, ow, c), np.int64), np.zeros((n, oh, ow, c))
    count = np.zeros((oh, ow))
    rows = _taps(oh, pool[0], strides[0], pads[0], 1, h)
    cols = _taps(ow, pool[1], strides[1], pads[2], 1, w)
    for a, _, iy in rows:           # windows in (kh, kw) order: the first maximum wins
        for b, _, ix in cols:
            bigger = x[:, iy, ix] > y_ref[:, a, b]
            y_ref[:, a, b] = np.where(bigger, x[:, iy, ix], y_ref[:, a, b])
            first[:, a, b] = np.where(bigger, iy * w + ix, first[:, a, b])
            total[:, a, b] += x[:, iy, ix]
            count[a, b] += 1
    np.testing.assert_array_equal(y, y_ref, err_msg=where)
    avg = fastconv.avg_pool2d(x, pool, strides, padding)
    np.testing.assert_allclose(avg, total / count[None, :, :, None], rtol=1e-6, err_msg=where)
    dy = rng.integers(-3, 4, y.shape).astype(np.float32)
    dx_max, dx_avg = np.zeros((n, h * w, c)), np.zeros((n, h, w, c))
    for a, _, iy in rows:
        for b, _, ix in cols:
            dx_avg[:, iy, ix] += dy[:, a, b] / count[a, b]
    for i in range(n):
        for a in range(oh):
            for b in range(ow):
                dx_max[i, first[i, a, b], np.arange(c)] += dy[i, a, b]
    dx = fastconv.max_pool2d_backward(dy, x, pool, strides, padding)
    np.testing.assert_array_equal(dx, dx_max.reshape(x.shape), err_msg=f"{where}: max pool backward")
    dx = fastconv.avg_pool2d_backward(dy, x, pool, strides, padding)
    np.testing.assert_allclose(dx, dx_avg, rtol=1e-5, atol=1e-6, err_msg=f"{where}: avg pool backward")


def random_geometry_case(rng):
    values = [_extreme_or_small(rng) if rng.random() < 0.8 else 2**64 + int(rng.integers(0, 3)) for _ in range(6)]
    return dict(i=values[0], k=max(values[1], 1), s=max(values[2], 1), p0=values[3], p1=values[4], d=max(values[5], 1))


def check_geometry_case(i, k, s, p0, p1, d):
    """conv_output_size and the 'same'/'full' paddings against exact integers."""
    where = f"conv_output_size({i}, {k}, {s}, ({p0}, {p1}), {d})"
    too_big = max(i, k, s, p0, p1, d) > INT64_MAX
    o = output_size(i, k, s, p0, p1, d)
    got = _expect(OverflowError if too_big or o > INT64_MAX else "ok",
                  lambda: fastconv.conv_output_size(i, k, s, (p0, p1), d), where)
    if got is not None:
        assert got == o, f"{where} = {got}, exact answer {o}"
    for mode, pads in (("same", same_padding(i, k, s, d)), ("full", (d * (k - 1),) * 2)):
        o = output_size(i, k, s, *pads, d)
        got = _expect(OverflowError if max(i, k, s, d, *pads, o) > INT64_MAX else "ok",
                      lambda: fastconv.conv_output_size(i, k, s, mode, d), f"{where} padding={mode!r}")
        if got is not None:
            assert got == o, f"conv_output_size({i}, {k}, {s}, {mode!r}, {d}) = {got}, exact answer {o}"
