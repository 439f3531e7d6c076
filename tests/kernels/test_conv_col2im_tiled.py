"""im2col's input gradient, tiled (col2im of each MR-pixel tile) and untiled (fewer images than
threads), against the reference at every ISA level, exactly on small-integer data.

The tiled form has two ways of adding a tile into dx: per tap when C/G >= NR (the micro-kernel
adds rows straight into dx; C/G a multiple of NR or not), else through a tile buffer in runs of
channels shared among taps (C/G = 1..4 and other small counts). Every tiled problem has several
blocks of images; about half are large enough (4 MFLOP) for two threads to share them, the rest
run serially; batch 1 with two threads cannot tile.
"""
import numpy as np
import pytest

import fastconv
from fastconv import _core

from tests.kernels.problems import P

PROBLEMS = [
    # few channels: runs through the tile buffer (C = 1..4, one group), several image blocks
    P(40, 1, 9, 9, 10, 3, 3), P(48, 2, 16, 16, 16, 3, 3, pt=1, pb=1, pl=1, pr=1), P(36, 3, 10, 10, 32, 3, 3),
    P(33, 4, 9, 8, 24, 3, 3, pt=2, pb=0, pl=0, pr=2), P(34, 3, 11, 11, 8, 3, 3, sh=2, sw=2),
    P(40, 5, 12, 12, 24, 3, 3, dh=2, dw=2, pt=1, pl=1), P(20, 6, 8, 8, 12, 3, 3, g=2),
    # C/G >= NR at some ISA: per-tap adds; multiples of 32 and not (40, 33), strided, dilated, grouped
    P(20, 32, 8, 8, 16, 3, 3), P(18, 40, 7, 7, 24, 3, 3, pt=1, pb=1, pl=1, pr=1), P(17, 33, 6, 6, 9, 2, 2),
    P(16, 64, 6, 6, 32, 3, 3), P(19, 32, 9, 9, 16, 3, 3, sh=2, sw=2, pt=1, pl=1),
    P(17, 16, 9, 9, 16, 3, 3, dh=2, dw=1, pt=2, pb=2, pl=1, pr=1), P(16, 64, 6, 6, 32, 3, 3, g=2),
    # batch 1, large enough for two threads: the untiled GEMM + col2im
    P(1, 32, 16, 16, 64, 3, 3), P(1, 3, 56, 56, 32, 3, 3, pt=1, pb=1, pl=1, pr=1),
]


@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("problem", PROBLEMS, ids=[str(p) for p in PROBLEMS])
def test_backward_input_im2col_exact_on_small_integers(isa, rng, threads, nthreads, problem):
    fastconv.set_num_threads(nthreads)
    w = rng.integers(-3, 4, problem.w_shape).astype(np.float32)
    y = _core.conv2d_forward(np.zeros(problem.x_shape, np.float32), w, None, *problem.args, False, "reference")
    dy = rng.integers(-3, 4, y.shape).astype(np.float32)
    want = _core.conv2d_backward_input(dy, w, problem.x_shape, *problem.args, "reference")
    got = _core.conv2d_backward_input(dy, w, problem.x_shape, *problem.args, "im2col")
    assert np.array_equal(got, want), f"repro: --conv {problem} isa={isa} threads={nthreads}"


@pytest.mark.parametrize("problem", PROBLEMS[:3] + PROBLEMS[8:10], ids=[str(p) for p in PROBLEMS[:3] + PROBLEMS[8:10]])
def test_backward_input_im2col_float64(rng, problem):
    w = rng.standard_normal(problem.w_shape)
    y = _core.conv2d_forward(np.zeros(problem.x_shape), w, None, *problem.args, False, "reference")
    dy = rng.standard_normal(y.shape)
    want = _core.conv2d_backward_input(dy, w, problem.x_shape, *problem.args, "reference")
    got = _core.conv2d_backward_input(dy, w, problem.x_shape, *problem.args, "im2col")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * problem.oc * problem.kh * problem.kw,
                               err_msg=f"repro: --conv {problem}")
