// The engine's only way into OpenMP: a team of threads running one body, static splits and a
// barrier. Bodies must not throw (validate and allocate before entering). Not a scheduler.
#pragma once

#include <utility>

#include "core/fpenv.h"
#include "core/shapes.h"

#ifdef FASTCONV_HAVE_OPENMP
#include <omp.h>
#endif

namespace fastconv {

// Runs body(thread_id, num_threads) on `threads` threads; with 1 it is a plain call, so tiny
// work never enters a parallel region.
template <typename Body>
void parallel_region(int threads, Body&& body) {
#ifdef FASTCONV_HAVE_OPENMP
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    body(omp_get_thread_num(), omp_get_num_threads());
    return;
  }
#endif
  body(0, 1);
}

// parallel_region for the arithmetic kernels (GEMM, direct convolution): every thread runs the
// body with denormals flushed to zero and gets its own floating-point state back afterwards
// (core/fpenv.h). Not for kernels that only move or compare values (pooling, im2col), which stay
// exact on denormals.
template <typename Body>
void parallel_region_flushed(int threads, Body&& body) {
  parallel_region(threads, [&](int tid, int nt) {
    FlushDenormals flush;
    body(tid, nt);
  });
}

// Waits for the whole team of nt threads of the enclosing parallel_region. With nt == 1 the region
// was a plain call, and an OpenMP barrier there would bind to an outer team the caller may be
// running in (gemm_batched runs a serial gemm per thread), so it is skipped.
inline void team_barrier(int nt) {
#ifdef FASTCONV_HAVE_OPENMP
  if (nt > 1) {
#pragma omp barrier
  }
#else
  (void)nt;
#endif
}

// The contiguous share [begin, end) of n items that thread `tid` of `nt` takes.
inline std::pair<index_t, index_t> static_split(index_t n, int tid, int nt) {
  const index_t base = n / nt, extra = n % nt;
  const index_t begin = tid * base + (tid < extra ? tid : extra);
  return {begin, begin + base + (tid < extra ? 1 : 0)};
}

// body(begin, end) over static contiguous chunks of [0, n) on `threads` threads.
template <typename Body>
void parallel_for(index_t n, int threads, Body&& body) {
  if (n <= 0) return;
  if (threads > n) threads = static_cast<int>(n);
  parallel_region(threads, [&](int tid, int nt) {
    const auto [begin, end] = static_split(n, tid, nt);
    if (begin < end) body(begin, end);
  });
}

}  // namespace fastconv
