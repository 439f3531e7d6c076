// f32 indirect GEMM micro-kernel (direct convolution), 14 x 32, AVX-512 intrinsics (compiled with
// -mavx512f and friends). Not the driver (conv/conv2d_direct.cpp).
//
// The register plan of f32_gemm_14x32__avx512 (28 zmm accumulators, 2 B vectors, 1 broadcast),
// but the 14 rows are read through per-tap pointers straight from the NHWC input, so no patch
// matrix and no packed A exist. The whole reduction (KH*KW*CG) stays in registers, so C is
// written once, with bias, ReLU and the OC tail (masked stores) fused into the store; or, for the
// input gradient's col2im, added into rows reached through pointers.
#include <immintrin.h>

#include "gemm/gemm_kernels.h"

namespace fastconv {

namespace {
constexpr int MR = 14;

__attribute__((always_inline)) inline void tile_14x32(index_t ks, index_t kc, const float* const* a,
                                                      const float* __restrict b, __m512 (&acc0)[MR],
                                                      __m512 (&acc1)[MR]) {
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    acc0[i] = _mm512_setzero_ps();
    acc1[i] = _mm512_setzero_ps();
  }
  for (index_t t = 0; t < ks; ++t) {
    const float* ap[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) ap[i] = a[t * MR + i];
    for (index_t p = 0; p < kc; ++p) {
      const __m512 b0 = _mm512_load_ps(b);
      const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(ap[i][p]);
        acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
        acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
      }
      b += 32;
    }
  }
}

void nr_masks(index_t nr, __mmask16& m0, __mmask16& m1) {
  m0 = nr >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nr) - 1);
  m1 = nr >= 32 ? __mmask16(0xFFFF) : nr <= 16 ? __mmask16(0) : __mmask16((1u << (nr - 16)) - 1);
}
}  // namespace

static void f32_igemm_ukernel_14x32__avx512(index_t mr, index_t nr, index_t ks, index_t kc, const float* const* a,
                                            const float* __restrict b, float* __restrict c, index_t ldc,
                                            const float* bias, bool relu) {
  __m512 acc0[MR], acc1[MR];
  tile_14x32(ks, kc, a, b, acc0, acc1);
  __mmask16 m0, m1;
  nr_masks(nr, m0, m1);
  const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
  const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) break;
    __m512 v0 = _mm512_add_ps(acc0[i], bias0), v1 = _mm512_add_ps(acc1[i], bias1);
    if (relu) {
      // max(v, 0) with v first keeps NaN (vmaxps returns the second operand on NaN).
      v0 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v0, zero, _CMP_LT_OQ), v0, zero);
      v1 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v1, zero, _CMP_LT_OQ), v1, zero);
    }
    _mm512_mask_storeu_ps(c + i * ldc, m0, v0);
    _mm512_mask_storeu_ps(c + i * ldc + 16, m1, v1);
  }
}

static void f32_igemm_add_ukernel_14x32__avx512(index_t nr, index_t ks, index_t kc, const float* const* a,
                                                const float* __restrict b, float* const* c) {
  __m512 acc0[MR], acc1[MR];
  tile_14x32(ks, kc, a, b, acc0, acc1);
  __mmask16 m0, m1;
  nr_masks(nr, m0, m1);
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    float* ci = c[i];
    if (!ci) continue;
    _mm512_mask_storeu_ps(ci, m0, _mm512_add_ps(acc0[i], _mm512_maskz_loadu_ps(m0, ci)));
    _mm512_mask_storeu_ps(ci + 16, m1, _mm512_add_ps(acc1[i], _mm512_maskz_loadu_ps(m1, ci + 16)));
  }
}

const IgemmKernel<float> f32_igemm_14x32__avx512{"f32_igemm_14x32__avx512", Isa::avx512, 14, 32,
                                                 f32_igemm_ukernel_14x32__avx512, f32_igemm_add_ukernel_14x32__avx512};

}  // namespace fastconv
