// Threaded, in-place optimizer updates (see optimizers.h) on the active ISA's loops.
#include "ops/optimizers.h"

#include <algorithm>

#include "core/parallel.h"
#include "core/threads.h"
#include "ops/optimizer_kernels.h"

namespace fastconv {

namespace {
// Updates are memory-bound: count ~8 flops an element so only large tensors use threads.
int update_threads(index_t n) { return threads_for_work(8.0 * static_cast<double>(n)); }

template <typename T>
const OptimizerKernels<T>& kernels();

template <>
const OptimizerKernels<float>& kernels<float>() {
  switch (active_isa()) {
    case Isa::avx512: return f32_optimizers__avx512;
    case Isa::avx2: return f32_optimizers__avx2;
    default: return f32_optimizers__generic;
  }
}

template <>
const OptimizerKernels<double>& kernels<double>() {
  switch (active_isa()) {
    case Isa::avx512: return f64_optimizers__avx512;
    case Isa::avx2: return f64_optimizers__avx2;
    default: return f64_optimizers__generic;
  }
}

// Runs body(arrays[i], begin, end) over the elements of every array, split over threads as if
// the arrays were one.
template <typename T, typename Body>
void over_arrays(const std::vector<ParamArrays<T>>& arrays, Body&& body) {
  std::vector<index_t> starts(arrays.size() + 1, 0);  // offsets of the arrays in the concatenation
  for (std::size_t i = 0; i < arrays.size(); ++i) starts[i + 1] = starts[i] + arrays[i].n;
  const index_t total = starts.back();
  parallel_for(total, update_threads(total), [&](index_t begin, index_t end) {
    for (std::size_t i = 0; i < arrays.size(); ++i) {
      const index_t lo = std::max(begin, starts[i]), hi = std::min(end, starts[i + 1]);
      if (lo < hi) body(arrays[i], lo - starts[i], hi - starts[i]);
    }
  });
}

}  // namespace

template <typename T>
void sgd_update(const std::vector<ParamArrays<T>>& arrays, T lr, T momentum, bool nesterov, T l2) {
  const auto& k = kernels<T>();
  over_arrays(arrays, [&](const ParamArrays<T>& a, index_t begin, index_t end) {
    k.sgd(a.param, a.first, a.grad, begin, end, lr, momentum, nesterov, T(2) * l2);
  });
}

template <typename T>
void adam_update(const std::vector<ParamArrays<T>>& arrays, T alpha, T beta1, T beta2, T eps, T l2) {
  const auto& k = kernels<T>();
  over_arrays(arrays, [&](const ParamArrays<T>& a, index_t begin, index_t end) {
    k.adam(a.param, a.first, a.second, a.grad, begin, end, alpha, beta1, beta2, eps, T(2) * l2);
  });
}

#define FASTCONV_INSTANTIATE(T)                                                                    \
  template void sgd_update<T>(const std::vector<ParamArrays<T>>&, T, T, bool, T);                  \
  template void adam_update<T>(const std::vector<ParamArrays<T>>&, T, T, T, T, T);
FASTCONV_INSTANTIATE(float)
FASTCONV_INSTANTIATE(double)

}  // namespace fastconv
