"""Threads from the caller's side: many Python threads at once, real overlap, and every way of
setting the thread count (set_num_threads, OMP_NUM_THREADS, threadpoolctl)."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import fastconv
from tests.conftest import requires_openmp


def test_eight_python_threads_match_serial_results(rng):
    problems = [(rng.standard_normal((3, 17, 15, 6)).astype(np.float32),
                 rng.standard_normal((3, 3, 6, 10)).astype(np.float32)) for _ in range(8)]
    expected = [(fastconv.conv2d(x, w, padding="same"), fastconv.max_pool2d(x)) for x, w in problems]
    failures = []

    def work(i):
        x, w = problems[i]
        for _ in range(20):
            y, p = fastconv.conv2d(x, w, padding="same"), fastconv.max_pool2d(x)
            if not (np.array_equal(y, expected[i][0]) and np.array_equal(p, expected[i][1])):
                failures.append(i)

    pool = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not failures


def test_two_threads_calling_conv_overlap_in_time(rng, threads):
    # Both threads leave a barrier together; with the GIL held through a call, the second could
    # not even record its start before the first call ended.
    fastconv.set_num_threads(1)
    x = rng.standard_normal((32, 64, 64, 32)).astype(np.float32)
    w = rng.standard_normal((3, 3, 32, 32)).astype(np.float32)
    barrier = threading.Barrier(2)
    spans = []

    def work():
        barrier.wait()
        start = time.perf_counter()
        fastconv.conv2d(x, w, algorithm="im2col")
        spans.append((start, time.perf_counter()))

    pool = [threading.Thread(target=work) for _ in range(2)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    (a0, a1), (b0, b1) = sorted(spans)
    assert b0 < a1, "the second call started only after the first ended: the GIL was held"


@requires_openmp
def test_omp_num_threads_is_honoured():
    code = "import fastconv; print(fastconv.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, OMP_NUM_THREADS="3")).stdout
    assert out.strip() == "3"


@requires_openmp
def test_threadpoolctl_limits_take_effect():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    fastconv.conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((3, 3, 1, 1), np.float32))
    libs = [lib for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "openmp"]
    assert libs, "fastconv's OpenMP runtime is not visible to threadpoolctl"
    before = fastconv.get_num_threads()
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert fastconv.get_num_threads() == 1
    assert fastconv.get_num_threads() == before


def test_forward_results_are_identical_across_thread_counts(rng, threads):
    x = rng.standard_normal((6, 30, 30, 16)).astype(np.float32)
    w = rng.standard_normal((3, 3, 16, 32)).astype(np.float32)
    outputs = []
    for n in (1, 2, 3, 4):
        fastconv.set_num_threads(n)
        outputs.append((fastconv.conv2d(x, w, padding="same"), *fastconv.conv2d_backward(
            np.ones((6, 30, 30, 32), np.float32), x, w, padding="same")))
    for other in outputs[1:]:
        for a, b in zip(outputs[0], other):
            np.testing.assert_array_equal(a, b)


@requires_openmp
def test_threadpoolctl_limit_caps_a_later_set_num_threads(threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        fastconv.set_num_threads(2)
        assert fastconv.get_num_threads() == 1
    assert fastconv.get_num_threads() == 2


@requires_openmp
@pytest.mark.parametrize("asked", [32768, 65536, 2**62])
def test_a_huge_thread_count_is_capped_with_a_warning(asked):
    # Before the cap, 32768 threads made libgomp end the process ("Thread creation failed") and
    # 65536 segfaulted: in a subprocess, so that a regression fails this test only.
    code = f"""
import warnings, numpy as np, fastconv
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    fastconv.set_num_threads({asked})
assert [w.category for w in caught] == [RuntimeWarning], caught
assert fastconv.get_num_threads() == fastconv._core.max_threads(), fastconv.get_num_threads()
x = np.ones((256, 64, 64, 64), np.float32); w = np.ones((3, 3, 64, 64), np.float32)
assert float(fastconv.conv2d(x, w)[0, 0, 0, 0]) == 576.0
print(fastconv.get_num_threads())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


@requires_openmp
@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs os.sched_getaffinity (Linux)")
def test_the_engine_thread_cap_is_four_per_usable_cpu():
    assert fastconv._core.max_threads() == 4 * len(os.sched_getaffinity(0))
