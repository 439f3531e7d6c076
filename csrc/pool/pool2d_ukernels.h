// The per-ISA pooling loops (one file per ISA, same portable template, own compile flags) and
// their table. Not the threading: pool2d.cpp splits work and calls these on row/image ranges.
#pragma once

#include "core/cpu_features.h"
#include "pool/pool2d.h"

namespace fastconv {

// Rows are flattened (n, oh) output rows [r0, r1), or (n, ih) input rows for the disjoint-window
// backward; images are [n0, n1). relu_y, when not null, is the pooled output of a pool over ReLU
// outputs: the max backwards then pass only the gradients whose y is positive (the ReLU's mask).
template <typename T>
struct PoolKernels {
  const char* name;
  Isa isa;
  void (*max_rows)(T* y, index_t* argmax, const T* x, const Pool2DParams& p, index_t r0, index_t r1);
  index_t (*max_backward_images)(T* dx, const T* dy, const index_t* argmax, const T* relu_y, const Pool2DParams& p,
                                 index_t n0, index_t n1);
  index_t (*max_backward_disjoint_rows)(T* dx, const T* dy, const index_t* argmax, const T* relu_y,
                                        const Pool2DParams& p, index_t r0, index_t r1);
  void (*avg_rows)(T* y, const T* x, const Pool2DParams& p, index_t r0, index_t r1);
  void (*avg_backward_images)(T* dx, const T* dy, const Pool2DParams& p, index_t n0, index_t n1);
};

// The loops of the active ISA (FASTCONV_ISA and the CPU): for callers that split the work themselves.
template <typename T>
const PoolKernels<T>& pool_kernels();

extern const PoolKernels<float> f32_pool2d__generic, f32_pool2d__avx2, f32_pool2d__avx512;
extern const PoolKernels<double> f64_pool2d__generic, f64_pool2d__avx2, f64_pool2d__avx512;

}  // namespace fastconv
