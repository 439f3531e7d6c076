// Pooling over NHWC: picks the loops of the active ISA and splits the work over threads, by
// (image, output row) forward, by (image, input row) for disjoint max windows backward and by
// image for the other backwards (windows of one image may overlap).
#include <numeric>
#include <vector>

#include "core/parallel.h"
#include "core/threads.h"
#include "pool/pool2d.h"
#include "pool/pool2d_ukernels.h"

namespace fastconv {

template <>
const PoolKernels<float>& pool_kernels<float>() {
  switch (active_isa()) {
    case Isa::avx512: return f32_pool2d__avx512;
    case Isa::avx2: return f32_pool2d__avx2;
    default: return f32_pool2d__generic;
  }
}

template <>
const PoolKernels<double>& pool_kernels<double>() {
  switch (active_isa()) {
    case Isa::avx512: return f64_pool2d__avx512;
    case Isa::avx2: return f64_pool2d__avx2;
    default: return f64_pool2d__generic;
  }
}

namespace {

// Pooling is bound by memory, not arithmetic: a window cell (a load and a compare or add) takes
// about as long as 16 GEMM flops, so weigh cells by that before asking threads_for_work.
int pool_threads(const Pool2DParams& p) {
  constexpr double kFlopsPerCell = 16.0;
  return threads_for_work(kFlopsPerCell * p.n * p.oh * p.ow * p.c * p.kh * p.kw);
}

// parallel_for whose body returns a count; returns the counts' sum.
template <typename Body>
index_t parallel_count(index_t n, int threads, Body&& body) {
  if (n <= 0) return 0;
  if (threads > n) threads = static_cast<int>(n);
  std::vector<index_t> counts(static_cast<std::size_t>(threads), 0);
  parallel_region(threads, [&](int tid, int nt) {
    const auto [begin, end] = static_split(n, tid, nt);
    if (begin < end) counts[static_cast<std::size_t>(tid)] = body(begin, end);
  });
  return std::accumulate(counts.begin(), counts.end(), index_t{0});
}

}  // namespace

template <typename T>
void maxpool2d_forward(T* y, index_t* argmax, const T* x, const Pool2DParams& p) {
  const auto& k = pool_kernels<T>();
  parallel_for(p.n * p.oh, pool_threads(p), [&](index_t r0, index_t r1) { k.max_rows(y, argmax, x, p, r0, r1); });
}

template <typename T>
index_t maxpool2d_backward(T* dx, const T* dy, const index_t* argmax, const T* relu_y, const Pool2DParams& p) {
  const auto& k = pool_kernels<T>();
  const int threads = pool_threads(p);
  // Disjoint windows write dx once; not on generic, whose SSE2 has no 64-bit compare for argmax.
  if (p.sh >= p.kh && p.sw >= p.kw && k.isa != Isa::generic) {
    const index_t hits = parallel_count(p.n * p.h, threads, [&](index_t r0, index_t r1) {
      return k.max_backward_disjoint_rows(dx, dy, argmax, relu_y, p, r0, r1);
    });
    if (hits == p.n * p.oh * p.ow * p.c) return 0;
  }
  return parallel_count(p.n, threads, [&](index_t n0, index_t n1) {
    return k.max_backward_images(dx, dy, argmax, relu_y, p, n0, n1);
  });
}

template <typename T>
void avgpool2d_forward(T* y, const T* x, const Pool2DParams& p) {
  const auto& k = pool_kernels<T>();
  parallel_for(p.n * p.oh, pool_threads(p), [&](index_t r0, index_t r1) { k.avg_rows(y, x, p, r0, r1); });
}

template <typename T>
void avgpool2d_backward(T* dx, const T* dy, const Pool2DParams& p) {
  const auto& k = pool_kernels<T>();
  parallel_for(p.n, pool_threads(p), [&](index_t n0, index_t n1) { k.avg_backward_images(dx, dy, p, n0, n1); });
}

#define FASTCONV_INSTANTIATE(T)                                                                 \
  template void maxpool2d_forward<T>(T*, index_t*, const T*, const Pool2DParams&);             \
  template index_t maxpool2d_backward<T>(T*, const T*, const index_t*, const T*, const Pool2DParams&); \
  template void avgpool2d_forward<T>(T*, const T*, const Pool2DParams&);                       \
  template void avgpool2d_backward<T>(T*, const T*, const Pool2DParams&);
FASTCONV_INSTANTIATE(float)
FASTCONV_INSTANTIATE(double)

}  // namespace fastconv
