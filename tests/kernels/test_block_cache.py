"""The engine's output-block cache: freed large outputs come back for the next same-sized call,
live arrays never share a block, and the cache stays bounded."""

import numpy as np

from fastconv import _core, functional as F


def address(a):
    return a.__array_interface__["data"][0]


def test_a_freed_output_is_reused_for_the_next_call_of_its_size(rng):
    x = rng.standard_normal((100, 8, 8, 80)).astype(np.float32)
    y = F.max_pool2d(x)
    first, hits = address(y), _core.block_cache_stats()["hits"]
    del y
    again = F.max_pool2d(x)
    assert address(again) == first and _core.block_cache_stats()["hits"] == hits + 1
    np.testing.assert_array_equal(again, x.reshape(100, 4, 2, 4, 2, 80).max(axis=(2, 4)))


def test_live_outputs_never_share_a_block_and_stay_writeable(rng):
    x = rng.standard_normal((64, 16, 16, 32)).astype(np.float32)
    a, b = F.max_pool2d(x), F.max_pool2d(x + 1)
    assert not np.shares_memory(a, b)
    assert a.flags.writeable and a.flags.c_contiguous
    a[...] = 0
    np.testing.assert_array_equal(b, F.max_pool2d(x + 1))


def test_small_outputs_bypass_the_cache():
    small = F.max_pool2d(np.ones((1, 4, 4, 2), np.float32))
    large = F.max_pool2d(np.ones((64, 64, 64, 4), np.float32))
    assert small.nbytes < _core.block_cache_stats()["min_block_bytes"] <= large.nbytes
    assert small.flags.owndata and not large.flags.owndata


def test_the_cache_is_bounded_and_can_be_cleared():
    limit = _core.block_cache_stats()["max_cached_bytes"]
    ones = np.ones((1, 1), np.float32)
    total = 0
    for i in range(1, 400):      # distinct sizes, each freed at once, twice the cap in all
        columns = (1 << 18) + 1024 * i
        _core.gemm(ones, np.ones((1, columns), np.float32))
        total += 4 * columns
    assert total > 2 * limit
    stats = _core.block_cache_stats()
    assert limit // 2 < stats["cached_bytes"] <= limit
    _core.block_cache_clear()
    stats = _core.block_cache_stats()
    assert stats["cached_bytes"] == 0 and stats["cached_blocks"] == 0
