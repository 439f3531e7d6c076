// The output-block cache (see block_cache.h): a size-keyed list of free blocks, oldest first.
#include "core/block_cache.h"

#include <cstdlib>
#include <list>
#include <mutex>
#include <new>
#include <utility>

namespace fastconv {

namespace {

constexpr std::size_t kHeader = 64;            // holds the block's size; keeps the data 64-byte aligned
constexpr std::size_t kGranule = 4096;         // sizes round up to pages, so near sizes share blocks

struct Cache {
  std::mutex mutex;
  std::list<std::pair<std::size_t, void*>> free_blocks;  // (rounded size, raw block), oldest first
  std::size_t bytes = 0, hits = 0, misses = 0;
};

// Never destroyed: arrays may give their blocks back while the process exits.
Cache& cache() {
  static Cache* instance = new Cache;
  return *instance;
}

std::size_t rounded(std::size_t bytes) {
  return bytes < kMinCachedBytes ? bytes : (bytes + kGranule - 1) / kGranule * kGranule;
}

void* with_header(void* raw, std::size_t size) {
  *static_cast<std::size_t*>(raw) = size;
  return static_cast<char*>(raw) + kHeader;
}

}  // namespace

void* block_acquire(std::size_t bytes) {
  const std::size_t size = rounded(bytes == 0 ? 1 : bytes);
  if (size >= kMinCachedBytes) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    for (auto it = c.free_blocks.begin(); it != c.free_blocks.end(); ++it) {
      if (it->first == size) {
        void* raw = it->second;
        c.bytes -= size;
        c.free_blocks.erase(it);
        ++c.hits;
        return with_header(raw, size);
      }
    }
    ++c.misses;
  }
  if (size > static_cast<std::size_t>(-1) - 2 * kHeader) throw std::bad_alloc();
  void* raw = std::aligned_alloc(64, (size + kHeader + 63) / 64 * 64);
  if (!raw) throw std::bad_alloc();
  return with_header(raw, size);
}

void block_release(void* block) {
  if (!block) return;
  void* raw = static_cast<char*>(block) - kHeader;
  const std::size_t size = *static_cast<std::size_t*>(raw);
  if (size < kMinCachedBytes || size > kMaxCachedBytes) {
    std::free(raw);
    return;
  }
  std::list<std::pair<std::size_t, void*>> evicted;
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.free_blocks.emplace_back(size, raw);
    c.bytes += size;
    while (c.bytes > kMaxCachedBytes) {
      c.bytes -= c.free_blocks.front().first;
      evicted.splice(evicted.end(), c.free_blocks, c.free_blocks.begin());
    }
  }
  for (auto& block_entry : evicted) std::free(block_entry.second);
}

BlockCacheStats block_cache_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return {c.bytes, c.free_blocks.size(), c.hits, c.misses};
}

void block_cache_clear() {
  std::list<std::pair<std::size_t, void*>> all;
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    all.swap(c.free_blocks);
    c.bytes = 0;
  }
  for (auto& entry : all) std::free(entry.second);
}

}  // namespace fastconv
