// Threaded, in-place optimizer updates (see optimizers.h) on the active ISA's loops.
#include "ops/optimizers.h"

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
}  // namespace

template <typename T>
void sgd_update(T* param, T* velocity, const T* grad, index_t n, T lr, T momentum, bool nesterov, T l2) {
  const auto& k = kernels<T>();
  parallel_for(n, update_threads(n), [&](index_t begin, index_t end) {
    k.sgd(param, velocity, grad, begin, end, lr, momentum, nesterov, T(2) * l2);
  });
}

template <typename T>
void adam_update(T* param, T* m, T* v, const T* grad, index_t n, T alpha, T beta1, T beta2, T eps, T l2) {
  const auto& k = kernels<T>();
  parallel_for(n, update_threads(n), [&](index_t begin, index_t end) {
    k.adam(param, m, v, grad, begin, end, alpha, beta1, beta2, eps, T(2) * l2);
  });
}

template void sgd_update<float>(float*, float*, const float*, index_t, float, float, bool, float);
template void sgd_update<double>(double*, double*, const double*, index_t, double, double, bool, double);
template void adam_update<float>(float*, float*, float*, const float*, index_t, float, float, float, float, float);
template void adam_update<double>(double*, double*, double*, const double*, index_t, double, double, double, double,
                                  double);

}  // namespace fastconv
