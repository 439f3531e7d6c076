"""The direct (implicit-GEMM, NHWC) convolution against the reference, under every ISA level.

Forward, input gradient (the direct code runs it for stride 1; other strides go through im2col,
tested here too through algorithm="direct") and weight gradient (direct when C/G is at least the
kernel's MR, else im2col). Exact on small-integer data (sums stay below
2**24), within a K-scaled tolerance on random floats. Each problem is named by a benchdnn-style
descriptor printed on failure as a repro line.
"""
import zlib

import numpy as np
import pytest

from fastconv import _core

ISA_ORDER = ["generic", "avx2", "avx512"]
SUPPORTED_ISAS = ISA_ORDER[: ISA_ORDER.index(_core.detected_isa()) + 1]


def P(mb, ic, ih, iw, oc, kh, kw, sh=1, sw=1, pads=(0, 0, 0, 0), dh=1, dw=1, g=1):
    return dict(mb=mb, ic=ic, ih=ih, iw=iw, oc=oc, kh=kh, kw=kw, sh=sh, sw=sw, pads=pads, dh=dh, dw=dw, g=g)


def desc(p):
    pt, pb, pl, pr = p["pads"]
    return (f"mb{p['mb']}ic{p['ic']}ih{p['ih']}iw{p['iw']}oc{p['oc']}kh{p['kh']}kw{p['kw']}sh{p['sh']}sw{p['sw']}"
            f"pt{pt}pb{pb}pl{pl}pr{pr}dh{p['dh']}dw{p['dw']}g{p['g']}")


SETS = {
    "basic": [P(2, 4, 7, 7, 8, 3, 3), P(1, 1, 5, 5, 1, 3, 3), P(3, 16, 9, 9, 32, 3, 3), P(2, 8, 6, 6, 64, 3, 3)],
    # C / OC not multiples of any SIMD width or tile: 1, primes, NR +- 1, MR +- 1 output pixels.
    "tails": [P(1, 3, 6, 7, 5, 3, 3), P(2, 7, 5, 9, 17, 3, 3), P(1, 5, 4, 17, 33, 3, 3), P(1, 13, 16, 3, 31, 2, 2),
              P(3, 2, 4, 4, 47, 3, 3), P(1, 33, 5, 5, 65, 3, 3), P(1, 1, 16, 16, 10, 3, 3),
              P(2, 1, 6, 9, 5, 2, 7), P(2, 2, 20, 20, 40, 3, 7)],  # K = 14 and 42: no spare patch column
    "strided": [P(2, 3, 9, 9, 8, 3, 3, 2, 2), P(1, 5, 11, 10, 7, 3, 2, 3, 2), P(1, 4, 8, 7, 9, 2, 2, 2, 2),
                P(2, 6, 13, 12, 16, 5, 5, 4, 3)],
    "padded": [P(2, 4, 7, 7, 8, 3, 3, pads=(1, 1, 1, 1)), P(1, 3, 5, 6, 11, 3, 3, pads=(2, 0, 0, 2)),
               P(1, 6, 4, 4, 33, 3, 3, pads=(1, 2, 2, 1)), P(2, 5, 8, 9, 7, 5, 3, 2, 1, pads=(2, 1, 0, 1)),
               P(1, 2, 3, 3, 5, 3, 3, pads=(2, 2, 2, 2))],
    "dilated": [P(1, 3, 9, 9, 8, 3, 3, dh=2, dw=2), P(2, 5, 9, 8, 12, 3, 3, pads=(2, 1, 1, 2), dh=2, dw=1),
                P(2, 4, 10, 8, 6, 3, 2, pads=(2, 2, 1, 1), dh=2, dw=3),
                P(1, 5, 12, 12, 17, 3, 3, 2, 2, pads=(1, 1, 1, 1), dh=2, dw=2)],
    "grouped": [P(2, 8, 6, 6, 8, 3, 3, g=2), P(1, 6, 7, 5, 9, 3, 3, pads=(1, 1, 1, 1), g=3),
                P(1, 12, 5, 5, 12, 3, 3, g=12), P(2, 64, 4, 4, 64, 1, 1, g=2)],
    "1x1": [P(2, 16, 5, 5, 32, 1, 1), P(1, 7, 3, 4, 9, 1, 1), P(1, 8, 7, 7, 16, 1, 1, 2, 2)],
    "batch1": [P(1, 16, 14, 14, 32, 3, 3, pads=(1, 1, 1, 1)), P(1, 3, 32, 32, 32, 3, 3)],
    # The course's and issue 4's layers, batch cut down so the reference stays quick.
    "nets": [P(4, 1, 8, 8, 10, 3, 3), P(2, 3, 32, 32, 32, 3, 3), P(2, 32, 15, 15, 64, 3, 3),
             P(2, 64, 6, 6, 64, 3, 3), P(1, 64, 14, 14, 64, 3, 3, pads=(1, 1, 1, 1)),
             P(1, 128, 7, 7, 128, 3, 3, pads=(1, 1, 1, 1))],
}
CASES = [(name, p) for name, ps in SETS.items() for p in ps]
IDS = [f"{name}-{desc(p)}" for name, p in CASES]


@pytest.fixture(params=SUPPORTED_ISAS)
def isa(request):
    before = _core.get_isa()
    _core.set_isa(request.param)
    yield request.param
    _core.set_isa(before)


def make(p, dtype, rng, integers):
    def draw(shape):
        if integers:
            return rng.integers(-3, 4, size=shape).astype(dtype)
        return rng.standard_normal(shape).astype(dtype)

    x = draw((p["mb"], p["ih"], p["iw"], p["ic"]))
    w = draw((p["kh"], p["kw"], p["ic"] // p["g"], p["oc"]))
    b = draw((p["oc"],))
    return x, w, b


def geometry(p):
    return (p["sh"], p["sw"]), tuple(p["pads"]), (p["dh"], p["dw"]), p["g"]


def forward(x, w, b, p, relu, algorithm):
    s, pads, d, g = geometry(p)
    return _core.conv2d_forward(x, w, b, s, pads, d, g, relu, algorithm)


def backward_input(dy, w, x_shape, p, algorithm):
    s, pads, d, g = geometry(p)
    return _core.conv2d_backward_input(dy, w, x_shape, s, pads, d, g, algorithm)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_exact_on_small_integers(isa, case):
    name, p = case
    rng = np.random.default_rng(zlib.crc32(desc(p).encode()))
    x, w, b = make(p, np.float32, rng, integers=True)
    for relu in (False, True):
        for bias in (b, None):
            want = forward(x, w, bias, p, relu, "reference")
            got = forward(x, w, bias, p, relu, "direct")
            assert np.array_equal(got, want), f"repro: {isa} {desc(p)} relu={relu} bias={bias is not None}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_backward_input_exact_on_small_integers(isa, case):
    name, p = case
    rng = np.random.default_rng(zlib.crc32(desc(p).encode()) + 1)
    x, w, _ = make(p, np.float32, rng, integers=True)
    y = forward(x, w, None, p, False, "reference")
    dy = rng.integers(-3, 4, size=y.shape).astype(np.float32)
    want = backward_input(dy, w, x.shape, p, "reference")
    got = backward_input(dy, w, x.shape, p, "direct")
    assert np.array_equal(got, want), f"repro: {isa} {desc(p)} backward_input"


def backward_weight(dy, x, p, algorithm, need_bias=True):
    s, pads, d, g = geometry(p)
    return _core.conv2d_backward_weight(dy, x, (p["kh"], p["kw"]), s, pads, d, g, need_bias, algorithm)


# Weight-gradient problems with C/G >= 14 (the largest MR), so the channel-block path runs at every
# ISA, with both AVX-512 kernels, row counts that are and are not multiples of MR (the shifted tail
# block). With one group and undilated columns the rows are a whole kernel row's KW*C (tiles span
# taps), unless over a quarter of the output columns reach into the side padding: then, and with
# groups or column dilation, a tap's C/G.
WGRAD = [P(2, 14, 5, 5, 32, 3, 3), P(1, 28, 6, 6, 40, 3, 3), P(1, 27, 5, 5, 20, 3, 3, pads=(0, 1, 1, 0)), P(1, 15, 6, 7, 33, 3, 3, pads=(1, 1, 1, 1)), P(2, 29, 5, 4, 10, 2, 3, 2, 1),
         P(1, 32, 9, 9, 64, 3, 3, pads=(1, 2, 0, 1), dh=2, dw=1), P(3, 64, 4, 4, 17, 3, 3, pads=(1, 1, 1, 1)),
         P(1, 34, 5, 5, 12, 3, 3, g=2), P(1, 16, 23, 23, 8, 3, 3), P(2, 20, 3, 3, 40, 1, 1),
         # several pixel chunks (KC 256 / 512) on both AVX-512 kernels, with and without a shifted tail
         P(2, 16, 20, 20, 24, 3, 3, pads=(1, 1, 1, 1)), P(1, 27, 20, 20, 20, 3, 3), P(3, 20, 17, 17, 33, 3, 3),
         # kernel rows: copied edge rows over several chunks and a shifted tail (KW*C = 60), strided,
         # asymmetric 5x5, 64 channels; per tap where half the columns reach the padding
         P(2, 20, 20, 20, 24, 3, 3, pads=(1, 1, 1, 1)), P(2, 16, 21, 21, 16, 3, 3, 2, 2, pads=(1, 1, 1, 1)),
         P(1, 16, 12, 12, 32, 5, 5, pads=(2, 1, 2, 1)), P(1, 64, 10, 10, 64, 3, 3, pads=(1, 1, 1, 1)),
         P(1, 16, 4, 4, 16, 3, 3, pads=(1, 1, 1, 1))]
WGRAD_CASES = [("wgrad", p) for p in WGRAD] + CASES
WGRAD_IDS = [f"{name}-{desc(p)}" for name, p in WGRAD_CASES]


@pytest.mark.parametrize("case", WGRAD_CASES, ids=WGRAD_IDS)
def test_backward_weight_exact_on_small_integers(isa, case):
    name, p = case
    rng = np.random.default_rng(zlib.crc32(desc(p).encode()) + 3)
    x, w, _ = make(p, np.float32, rng, integers=True)
    y = forward(x, w, None, p, False, "reference")
    dy = rng.integers(-3, 4, size=y.shape).astype(np.float32)
    want_dw, want_db = backward_weight(dy, x, p, "reference")
    got_dw, got_db = backward_weight(dy, x, p, "direct")
    assert np.array_equal(got_dw, want_dw), f"repro: {isa} {desc(p)} backward_weight"
    assert np.array_equal(got_db, want_db), f"repro: {isa} {desc(p)} backward_weight db"
    assert backward_weight(dy, x, p, "direct", need_bias=False)[1] is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [("wgrad", p) for p in WGRAD], ids=[desc(p) for p in WGRAD])
def test_backward_weight_random_floats(isa, case, dtype):
    name, p = case
    rng = np.random.default_rng(zlib.crc32(desc(p).encode()) + 4)
    x, w, _ = make(p, dtype, rng, integers=False)
    y = forward(x, w, None, p, False, "reference")
    dy = rng.standard_normal(y.shape).astype(dtype)
    eps = np.finfo(dtype).eps
    m = y.shape[0] * y.shape[1] * y.shape[2]
    atol = 2 * m * eps * np.abs(x).max() * np.abs(dy).max()
    want_dw, want_db = backward_weight(dy, x, p, "reference")
    got_dw, got_db = backward_weight(dy, x, p, "direct")
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got_dw, want_dw, rtol=rtol, atol=atol, err_msg=f"repro: {isa} {desc(p)} dw")
    np.testing.assert_allclose(got_db, want_db, rtol=rtol, atol=2 * m * eps * np.abs(dy).max(), err_msg=f"repro: {desc(p)} db")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_random_floats_within_k_scaled_tolerance(isa, case, dtype):
    name, p = case
    rng = np.random.default_rng(zlib.crc32(desc(p).encode()) + 2)
    x, w, b = make(p, dtype, rng, integers=False)
    eps = np.finfo(dtype).eps
    k = p["kh"] * p["kw"] * p["ic"] // p["g"]
    atol = 2 * k * eps * np.abs(x).max() * np.abs(w).max() + 4 * eps * np.abs(b).max()
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    want = forward(x, w, b, p, True, "reference")
    got = forward(x, w, b, p, True, "direct")
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"repro: {isa} {desc(p)} {dtype.__name__}")
    dy = rng.standard_normal(want.shape).astype(dtype)
    kb = p["kh"] * p["kw"] * p["oc"] // p["g"]
    atol_b = 2 * kb * eps * np.abs(dy).max() * np.abs(w).max()
    np.testing.assert_allclose(backward_input(dy, w, x.shape, p, "direct"), backward_input(dy, w, x.shape, p, "reference"),
                               rtol=rtol, atol=atol_b, err_msg=f"repro: {isa} {desc(p)} {dtype.__name__} backward_input")


def test_relu_keeps_nan_and_bias_alone_is_added():
    x = np.full((1, 3, 3, 2), np.nan, dtype=np.float32)
    x[0, 0, 0, 0] = 1.0
    w = np.ones((1, 1, 2, 3), dtype=np.float32)
    b = np.array([-5.0, 0.0, 5.0], dtype=np.float32)
    y = _core.conv2d_forward(x, w, b, (1, 1), (0, 0, 0, 0), (1, 1), 1, True, "direct")
    assert np.isnan(y).all()
    x = np.zeros((1, 2, 2, 2), dtype=np.float32)
    y = _core.conv2d_forward(x, w, b, (1, 1), (0, 0, 0, 0), (1, 1), 1, True, "direct")
    assert np.array_equal(y[0, 0, 0], [0.0, 0.0, 5.0])


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("p", [P(1, 16, 30, 30, 40, 3, 3, pads=(1, 1, 1, 1)), P(2, 3, 20, 20, 33, 3, 3)],
                         ids=["c16", "c3-packed-patches"])
def test_bitwise_identical_for_any_thread_count(threads, p):
    # 900 and 648 pixels: several weight-gradient chunks (and parts, on the packed-patch path)
    rng = np.random.default_rng(5)
    x, w, b = make(p, np.float32, rng, integers=False)
    before = _core.get_num_threads()
    try:
        _core.set_num_threads(1)
        serial = forward(x, w, b, p, True, "direct")
        dy = rng.standard_normal(serial.shape).astype(np.float32)
        serial_dx = backward_input(dy, w, x.shape, p, "direct")
        serial_dw, serial_db = backward_weight(dy, x, p, "direct")
        _core.set_num_threads(threads)
        assert np.array_equal(forward(x, w, b, p, True, "direct"), serial)
        assert np.array_equal(backward_input(dy, w, x.shape, p, "direct"), serial_dx)
        dw, db = backward_weight(dy, x, p, "direct")
        assert np.array_equal(dw, serial_dw) and np.array_equal(db, serial_db)
    finally:
        _core.set_num_threads(before)


def test_auto_picks_direct_and_names_it():
    plan = _core.conv2d_plan((8, 56, 56, 64), (3, 3, 64, 64), (1, 1), (1, 1, 1, 1), (1, 1), 1)
    assert plan["forward"] == "direct"
    with pytest.raises(ValueError, match="'direct'"):
        _core.conv2d_forward(np.zeros((1, 3, 3, 1), np.float32), np.zeros((1, 1, 1, 1), np.float32), None,
                             (1, 1), (0, 0, 0, 0), (1, 1), 1, False, "nope")


def test_igemm_table_has_one_kernel_per_isa_level():
    names = _core.kernel_tables()["igemm"]
    assert any("avx512" in n for n in names) and any("avx2" in n for n in names) and any("generic" in n for n in names)


def test_plan_names_what_each_pass_runs():
    plan = _core.conv2d_plan((8, 56, 56, 64), (3, 3, 64, 64), (1, 1), (1, 1, 1, 1), (1, 1), 1)
    assert plan == {**plan, "forward": "direct", "backward_input": "direct", "backward_weight": "direct"}
    assert plan["output_shape"] == (8, 56, 56, 64)
    # RGB first layer: the input gradient runs through im2col (C = 3 wastes the SIMD width).
    rgb = _core.conv2d_plan((64, 32, 32, 3), (3, 3, 3, 32), (1, 1), (0, 0, 0, 0), (1, 1), 1)
    assert rgb["forward"] == "direct" and rgb["backward_input"] == "im2col" and rgb["backward_weight"] == "direct"
    # A valid 3x3 layer: dx's padding would be 25% of the direct form's work; im2col's tiled col2im has none.
    valid = _core.conv2d_plan((64, 15, 15, 32), (3, 3, 32, 64), (1, 1), (0, 0, 0, 0), (1, 1), 1)
    assert valid["backward_input"] == "im2col"
    # Stride 2: no direct input gradient even when asked for.
    strided = _core.conv2d_plan((1, 9, 9, 32), (3, 3, 32, 32), (2, 2), (0, 0, 0, 0), (1, 1), 1, "direct")
    assert strided["backward_input"] == "im2col"
    ref = _core.conv2d_plan((1, 9, 9, 32), (3, 3, 32, 32), (1, 1), (0, 0, 0, 0), (1, 1), 1, "reference")
    assert set(ref.values()) >= {"reference"} and ref["backward_weight"] == "reference"
    # Grouped with fewer channels per group (2) than any ISA's weight-gradient MR: im2col weight gradient.
    assert _core.conv2d_plan((1, 9, 9, 4), (3, 3, 2, 8), (1, 1), (0, 0, 0, 0), (1, 1), 2)["backward_weight"] == "im2col"


def test_denormals_flush_inside_the_engine_and_the_callers_state_is_kept():
    tiny = np.float32(1e-39)  # a float32 denormal
    assert tiny != 0
    x = np.full((1, 4, 4, 16), tiny, dtype=np.float32)
    w = np.ones((3, 3, 16, 32), dtype=np.float32)
    y = _core.conv2d_forward(x, w, None, (1, 1), (0, 0, 0, 0), (1, 1), 1, False, "direct")
    assert np.all(y == 0)  # read as zero inside the engine's region
    ref = _core.conv2d_forward(x, w, None, (1, 1), (0, 0, 0, 0), (1, 1), 1, False, "reference")
    assert np.all(ref > 0)  # the oracle sums in double, outside any region
    # The caller's floating-point state is unchanged: NumPy still produces denormals.
    assert np.float32(tiny) * np.float32(1.0) != 0
    assert (np.array([tiny], dtype=np.float32) * np.float32(0.5))[0] != 0
