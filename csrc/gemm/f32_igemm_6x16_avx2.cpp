// f32 indirect GEMM micro-kernel (direct convolution), 6 x 16, AVX2 + FMA intrinsics (compiled
// with -mavx2 -mfma). Not the driver (conv/conv2d_direct.cpp).
//
// The register plan of f32_gemm_6x16__avx2 (12 ymm accumulators, 2 B vectors, 1 broadcast), rows
// read through per-tap pointers into the NHWC input; bias, ReLU and the OC tail fused in the store
// (or the tile added into rows through pointers, for the input gradient's col2im).
#include <immintrin.h>

#include "gemm/gemm_kernels.h"

namespace fastconv {

namespace {
constexpr int MR = 6;

__attribute__((always_inline)) inline void tile_6x16(index_t ks, index_t kc, const float* const* a,
                                                     const float* __restrict b, __m256 (&acc0)[MR],
                                                     __m256 (&acc1)[MR]) {
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    acc0[i] = _mm256_setzero_ps();
    acc1[i] = _mm256_setzero_ps();
  }
  for (index_t t = 0; t < ks; ++t) {
    const float* ap[MR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) ap[i] = a[t * MR + i];
    for (index_t p = 0; p < kc; ++p) {
      const __m256 b0 = _mm256_load_ps(b);
      const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        const __m256 ai = _mm256_broadcast_ss(ap[i] + p);
        acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
        acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
      }
      b += 16;
    }
  }
}
}  // namespace

static void f32_igemm_ukernel_6x16__avx2(index_t mr, index_t nr, index_t ks, index_t kc, const float* const* a,
                                         const float* __restrict b, float* __restrict c, index_t ldc,
                                         const float* bias, bool relu) {
  __m256 acc0[MR], acc1[MR];
  tile_6x16(ks, kc, a, b, acc0, acc1);
  alignas(32) float row[16];
  alignas(32) float bias_row[16] = {};
  if (bias)
    for (index_t j = 0; j < nr; ++j) bias_row[j] = bias[j];
  const __m256 bias0 = _mm256_load_ps(bias_row), bias1 = _mm256_load_ps(bias_row + 8);
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) break;
    __m256 v0 = _mm256_add_ps(acc0[i], bias0), v1 = _mm256_add_ps(acc1[i], bias1);
    if (relu) {
      v0 = _mm256_blendv_ps(v0, zero, _mm256_cmp_ps(v0, zero, _CMP_LT_OQ));
      v1 = _mm256_blendv_ps(v1, zero, _mm256_cmp_ps(v1, zero, _CMP_LT_OQ));
    }
    float* ci = c + i * ldc;
    if (nr == 16) {
      _mm256_storeu_ps(ci, v0);
      _mm256_storeu_ps(ci + 8, v1);
    } else {
      _mm256_store_ps(row, v0);
      _mm256_store_ps(row + 8, v1);
      for (index_t j = 0; j < nr; ++j) ci[j] = row[j];
    }
  }
}

static void f32_igemm_add_ukernel_6x16__avx2(index_t nr, index_t ks, index_t kc, const float* const* a,
                                             const float* __restrict b, float* const* c) {
  __m256 acc0[MR], acc1[MR];
  tile_6x16(ks, kc, a, b, acc0, acc1);
  alignas(32) float row[16];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    float* ci = c[i];
    if (!ci) continue;
    if (nr == 16) {
      _mm256_storeu_ps(ci, _mm256_add_ps(acc0[i], _mm256_loadu_ps(ci)));
      _mm256_storeu_ps(ci + 8, _mm256_add_ps(acc1[i], _mm256_loadu_ps(ci + 8)));
    } else {
      _mm256_store_ps(row, acc0[i]);
      _mm256_store_ps(row + 8, acc1[i]);
      for (index_t j = 0; j < nr; ++j) ci[j] += row[j];
    }
  }
}

const IgemmKernel<float> f32_igemm_6x16__avx2{"f32_igemm_6x16__avx2", Isa::avx2, 6, 16, f32_igemm_ukernel_6x16__avx2,
                                              f32_igemm_add_ukernel_6x16__avx2};

}  // namespace fastconv
