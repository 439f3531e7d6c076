// Memory for the engine's output arrays, with freed large blocks kept for reuse. A training loop
// allocates the same sizes every step; glibc hands large blocks back to the OS when they are
// freed, so each step would otherwise pay for mapping and zeroing fresh pages (a third of the
// time of a small convolution, measured). Like PyTorch's caching allocator, but bounded: blocks
// under kMinCachedBytes are plain allocations, and at most kMaxCachedBytes wait for reuse
// (the oldest are freed first). Thread-safe. Not for scratch memory (core/workspace.h).
#pragma once

#include <cstddef>

namespace fastconv {

constexpr std::size_t kMinCachedBytes = std::size_t(64) << 10;
constexpr std::size_t kMaxCachedBytes = std::size_t(256) << 20;

// At least `bytes` (> 0) bytes, 64-byte aligned; a cached block of the same rounded size when
// there is one. Throws std::bad_alloc.
void* block_acquire(std::size_t bytes);
// Gives back a block from block_acquire (nullptr: nothing to do).
void block_release(void* block);

struct BlockCacheStats {
  std::size_t cached_bytes, cached_blocks, hits, misses;
};
BlockCacheStats block_cache_stats();
void block_cache_clear();  // frees every cached block

}  // namespace fastconv
