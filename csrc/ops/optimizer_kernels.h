// The per-ISA optimizer loops (one file per ISA, same portable template, own compile flags) and
// their table. Not the threading: optimizers.cpp splits the elements and calls these on ranges.
#pragma once

#include "core/cpu_features.h"
#include "core/shapes.h"

namespace fastconv {

// Elements [begin, end) of the updates in optimizers.h; two_l2 = 2 * l2.
template <typename T>
struct OptimizerKernels {
  const char* name;
  Isa isa;
  void (*sgd)(T* param, T* velocity, const T* grad, index_t begin, index_t end, T lr, T momentum, bool nesterov,
              T two_l2);
  void (*adam)(T* param, T* m, T* v, const T* grad, index_t begin, index_t end, T alpha, T beta1, T beta2, T eps,
               T two_l2);
};

extern const OptimizerKernels<float> f32_optimizers__generic, f32_optimizers__avx2, f32_optimizers__avx512;
extern const OptimizerKernels<double> f64_optimizers__generic, f64_optimizers__avx2, f64_optimizers__avx512;

}  // namespace fastconv
