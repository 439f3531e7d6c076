"""The input gradient of one-channel layers with stride 1 (the digits layer) as plane correlations,
against the reference at every ISA level: exactly on small-integer data, within a K-scaled
tolerance on random float64.

The frames of consecutive images run as one row, so the problems cover what could leak between
frames: padding on every side and more than the kernel's reach, kernels wider than tall and 1x1,
row dilation, output channels from 1 to more than a vector, batches of one block and of many
(blocks of several images, and images too large to share a block), one and two threads.
"""
import numpy as np
import pytest

import fastconv
from fastconv import _core

from tests.kernels.problems import P

PROBLEMS = [
    P(100, 1, 8, 8, 10, 3, 3),  # the digits layer: many blocks, shared by two threads
    P(1, 1, 8, 8, 10, 3, 3), P(3, 1, 5, 7, 1, 3, 3), P(7, 1, 6, 9, 17, 2, 3),
    P(5, 1, 9, 9, 33, 3, 3, pt=1, pb=1, pl=1, pr=1), P(4, 1, 7, 6, 8, 3, 3, pt=2, pb=0, pl=0, pr=2),
    P(3, 1, 6, 6, 5, 3, 3, pt=4, pb=3, pl=3, pr=4),  # padding beyond the kernel's reach
    P(6, 1, 10, 8, 12, 5, 5, pt=2, pb=2, pl=2, pr=2), P(9, 1, 7, 7, 4, 1, 1),
    P(5, 1, 11, 9, 6, 3, 2, dh=2, pt=2, pb=1), P(2, 1, 40, 37, 16, 3, 3, pt=1, pb=1, pl=1, pr=1),
]


def backward_input(dy, w, problem, algorithm):
    return _core.conv2d_backward_input(dy, w, problem.x_shape, *problem.args, algorithm)


def gradients(rng, problem, integers):
    draw = (lambda shape: rng.integers(-3, 4, shape).astype(np.float32)) if integers else rng.standard_normal
    w = draw(problem.w_shape)
    y = _core.conv2d_forward(np.zeros(problem.x_shape, w.dtype), w, None, *problem.args, False, "reference")
    return draw(y.shape), w


@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("problem", PROBLEMS, ids=[str(p) for p in PROBLEMS])
def test_planar_backward_input_exact_on_small_integers(isa, rng, threads, nthreads, problem):
    fastconv.set_num_threads(nthreads)
    dy, w = gradients(rng, problem, integers=True)
    got = backward_input(dy, w, problem, "auto")
    assert np.array_equal(got, backward_input(dy, w, problem, "reference")), f"repro: --conv {problem} isa={isa}"


@pytest.mark.parametrize("problem", PROBLEMS, ids=[str(p) for p in PROBLEMS])
def test_planar_backward_input_float64(isa, rng, problem):
    dy, w = gradients(rng, problem, integers=False)
    want = backward_input(dy, w, problem, "reference")
    np.testing.assert_allclose(backward_input(dy, w, problem, "direct"), want, rtol=1e-12,
                               atol=1e-12 * problem.oc * problem.kh * problem.kw, err_msg=f"repro: --conv {problem}")


def test_planar_backward_input_is_bitwise_the_same_for_any_thread_count(rng, threads):
    problem = PROBLEMS[0]
    dy, w = gradients(rng, problem, integers=False)
    dy, w = dy.astype(np.float32), w.astype(np.float32)
    fastconv.set_num_threads(1)
    serial = backward_input(dy, w, problem, "auto")
    for n in (2, 3):
        fastconv.set_num_threads(n)
        assert np.array_equal(backward_input(dy, w, problem, "auto"), serial)


@pytest.mark.parametrize("problem, runs", [
    (P(100, 1, 8, 8, 10, 3, 3), "direct"),  # one channel, stride 1: the plane correlations
    (P(4, 1, 9, 9, 8, 3, 3, dh=2), "direct"),
    (P(4, 1, 9, 9, 8, 3, 3, sh=2, sw=2), "im2col"),  # strided: not a correlation of dy
    (P(4, 1, 9, 9, 8, 3, 3, dw=2), "im2col"),  # column dilation: the kernel's taps are not adjacent
    (P(4, 2, 9, 9, 8, 3, 3), "im2col"),
])
def test_plan_names_the_plane_correlations_direct(problem, runs):
    plan = fastconv.explain(problem.x_shape, problem.w_shape, strides=(problem.sh, problem.sw),
                            padding="valid", dilation=(problem.dh, problem.dw))
    assert plan.backward_input == runs
