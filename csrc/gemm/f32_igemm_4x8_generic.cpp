// f32 indirect GEMM micro-kernel (direct convolution), 4 x 8, portable (baseline x86-64 or any CPU).
// The same tile and register budget as f32_gemm_4x8__generic, reading rows through pointers.
#include "gemm/gemm_kernels.h"
#include "gemm/gemm_ukernel_portable.h"

namespace fastconv {

static void f32_igemm_ukernel_4x8__generic(index_t mr, index_t nr, index_t ks, index_t kc, const float* const* a,
                                           const float* b, float* c, index_t ldc, const float* bias, bool relu) {
  igemm_ukernel_portable<float, 4, 8>(mr, nr, ks, kc, a, b, c, ldc, bias, relu);
}

static void f32_igemm_add_ukernel_4x8__generic(index_t nr, index_t ks, index_t kc, const float* const* a,
                                                const float* b, float* const* c) {
  igemm_add_ukernel_portable<float, 4, 8>(nr, ks, kc, a, b, c);
}

const IgemmKernel<float> f32_igemm_4x8__generic{"f32_igemm_4x8__generic", Isa::generic, 4, 8,
                                                f32_igemm_ukernel_4x8__generic,
                                                f32_igemm_add_ukernel_4x8__generic};

}  // namespace fastconv
