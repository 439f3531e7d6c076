// Optimizer update loops as templates the compiler vectorises for the flags of the file that
// includes them (Adam's square root and division are most of its time: 16 lanes with AVX-512
// against SSE2's 4). Plain loops only, in an unnamed namespace: see pool2d_loops_portable.h.
#pragma once

#include <cmath>

#include "ops/optimizer_kernels.h"

namespace fastconv {
namespace {

template <typename T>
void sgd_range(T* param, T* velocity, const T* grad, index_t begin, index_t end,
               T lr, T momentum, bool nesterov, T two_l2) {
  if (momentum == T(0)) {
    for (index_t i = begin; i < end; ++i) param[i] -= lr * (grad[i] + two_l2 * param[i]);
    return;
  }
  for (index_t i = begin; i < end; ++i) {
    const T g = grad[i] + two_l2 * param[i];
    const T v = momentum * velocity[i] - lr * g;
    velocity[i] = v;
    param[i] += nesterov ? momentum * v - lr * g : v;
  }
}

template <typename T>
void adam_range(T* param, T* m, T* v, const T* grad, index_t begin,
                index_t end, T alpha, T beta1, T beta2, T eps, T two_l2) {
  for (index_t i = begin; i < end; ++i) {
    const T g = grad[i] + two_l2 * param[i];
    const T mi = beta1 * m[i] + (T(1) - beta1) * g;
    const T vi = beta2 * v[i] + (T(1) - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] -= alpha * mi / (std::sqrt(vi) + eps);
  }
}

}  // namespace
}  // namespace fastconv

// Defines the tables of one ISA file: f32_optimizers__ISA and f64_optimizers__ISA.
#define FASTCONV_OPTIMIZER_KERNELS(ISA)                                                                       \
  namespace fastconv {                                                                                        \
  const OptimizerKernels<float> f32_optimizers__##ISA{"f32_optimizers__" #ISA, Isa::ISA, sgd_range<float>,   \
                                                      adam_range<float>};                                    \
  const OptimizerKernels<double> f64_optimizers__##ISA{"f64_optimizers__" #ISA, Isa::ISA, sgd_range<double>, \
                                                       adam_range<double>};                                  \
  }
