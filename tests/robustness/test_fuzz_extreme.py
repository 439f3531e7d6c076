"""Fuzzing with extreme geometry: strides, dilations, paddings and sizes near 2^31, 2^32, 2^62 and
2^63, against the big-integer reference of tests/robustness/extreme_geometry.py. 20,000 cases of
each kind per run (seeded, so a failure names its case), plus hypothesis, which shrinks a failure
to its smallest case. CI runs this file also under ASan + UBSan. Longer runs: scripts/fuzz.py."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.robustness.extreme_geometry import (EXTREMES, SMALL, check_extreme_conv_case, check_extreme_pool_case,
                                               check_geometry_case, random_extreme_conv_case, random_extreme_pool_case,
                                               random_geometry_case)

CASES_PER_RUN = 20_000
CHUNKS = 4
KINDS = {"conv": (random_extreme_conv_case, check_extreme_conv_case),
         "pool": (random_extreme_pool_case, check_extreme_pool_case),
         "geometry": (random_geometry_case, check_geometry_case)}


@pytest.mark.parametrize("chunk", range(CHUNKS))
@pytest.mark.parametrize("kind", KINDS)
def test_extreme_cases_match_the_big_integer_reference(kind, chunk):
    make, check = KINDS[kind]
    rng = np.random.default_rng([2026, chunk, list(KINDS).index(kind)])
    for i in range(CASES_PER_RUN // CHUNKS):
        case = make(rng)
        try:
            check(**case)
        except Exception as error:
            raise AssertionError(f"case {i}: {check.__name__}(**{case!r})") from error


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
extreme = st.sampled_from(EXTREMES)
size_like = st.one_of(extreme, st.sampled_from(SMALL))


@FUZZ
@given(h=st.integers(1, 5), w=st.integers(1, 5), kh=st.integers(1, 3), kw=st.integers(1, 3),
       sh=st.one_of(extreme, st.integers(1, 3)), sw=st.one_of(extreme, st.integers(1, 3)),
       dh=st.one_of(extreme, st.integers(1, 3)), dw=st.one_of(extreme, st.integers(1, 3)),
       pads=st.tuples(size_like, size_like, size_like, size_like), seed=st.integers(0, 2**32 - 1))
def test_conv2d_with_extreme_arguments(h, w, kh, kw, sh, sw, dh, dw, pads, seed):
    check_extreme_conv_case(n=1, h=h, w=w, c_per_group=2, groups=1, oc_per_group=2, kernel=(kh, kw),
                            strides=(sh, sw), padding=(pads[:2], pads[2:]), dilation=(dh, dw), seed=seed)


@FUZZ
@given(i=size_like, k=st.one_of(extreme, st.integers(1, 3)), s=st.one_of(extreme, st.integers(1, 3)),
       p0=size_like, p1=size_like, d=st.one_of(extreme, st.integers(1, 3)))
def test_output_size_with_extreme_arguments(i, k, s, p0, p1, d):
    check_geometry_case(i=i, k=k, s=s, p0=p0, p1=p1, d=d)


@FUZZ
@given(h=st.integers(1, 5), w=st.integers(1, 5), pool=st.tuples(st.one_of(extreme, st.integers(1, 3)), st.integers(1, 3)),
       strides=st.tuples(size_like.filter(bool), size_like.filter(bool)), padding=st.sampled_from(["valid", "same"]),
       seed=st.integers(0, 2**32 - 1))
def test_pooling_with_extreme_arguments(h, w, pool, strides, padding, seed):
    check_extreme_pool_case(n=1, h=h, w=w, c=2, pool=pool, strides=strides, padding=padding, seed=seed)
