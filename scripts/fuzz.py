"""Longer randomized fuzzing of the functional API than the test suite runs: random conv and
pooling problems (shapes, strides, paddings, dilations, groups, dtypes, memory layouts) checked
against NumPy, the same with strides, dilations, paddings and sizes near 2^31, 2^32, 2^62 and 2^63
checked against a big-integer reference (tests/robustness/extreme_geometry.py), and every public
function called with junk arguments.

Usage: python scripts/fuzz.py [--iterations N] [--seed S]. Exits non-zero on the first failure,
printing the case to reproduce it.
"""

import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from tests.robustness.extreme_geometry import (check_extreme_conv_case, check_extreme_pool_case,  # noqa: E402
                                               check_geometry_case, random_extreme_conv_case,
                                               random_extreme_pool_case, random_geometry_case)
from tests.robustness.fuzz_cases import LAYOUTS, check_conv_case, check_junk_call, check_pool_case, junk_calls  # noqa: E402


def random_conv_case(rng):
    return dict(n=int(rng.integers(0, 4)), h=int(rng.integers(0, 12)), w=int(rng.integers(0, 12)),
                c_per_group=int(rng.integers(1, 6)), groups=int(rng.integers(1, 4)), oc_per_group=int(rng.integers(1, 6)),
                kh=int(rng.integers(1, 5)), kw=int(rng.integers(1, 5)), strides=int(rng.integers(1, 4)),
                dilation=int(rng.integers(1, 4)),
                padding=["valid", "same", "full", 0, 1, 2, 3][int(rng.integers(0, 7))],
                dtype=[np.float32, np.float64][int(rng.integers(0, 2))], layout=LAYOUTS[int(rng.integers(0, len(LAYOUTS)))],
                seed=int(rng.integers(0, 2**32)))


def random_pool_case(rng):
    return dict(n=int(rng.integers(0, 4)), h=int(rng.integers(0, 12)), w=int(rng.integers(0, 12)),
                c=int(rng.integers(1, 6)), pool=int(rng.integers(1, 5)),
                strides=[None, 1, 2, 3][int(rng.integers(0, 4))], padding=["valid", "same"][int(rng.integers(0, 2))],
                dtype=[np.float32, np.float64][int(rng.integers(0, 2))], layout=LAYOUTS[int(rng.integers(0, len(LAYOUTS)))],
                seed=int(rng.integers(0, 2**32)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    for name, fn, kwargs in junk_calls():
        check_junk_call(fn, kwargs)
    kinds = ((random_conv_case, check_conv_case), (random_pool_case, check_pool_case),
             (random_extreme_conv_case, check_extreme_conv_case), (random_extreme_pool_case, check_extreme_pool_case),
             (random_geometry_case, check_geometry_case))
    for i in range(args.iterations):
        for make, check in kinds:
            case = make(rng)
            try:
                check(**case)
            except Exception:
                print(f"iteration {i}: {check.__name__}(**{case!r}) failed", file=sys.stderr)
                raise
    print(f"fuzz: {args.iterations} each of conv, pooling, extreme conv, extreme pooling and extreme output-size "
          f"cases plus {len(list(junk_calls()))} junk calls passed in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
