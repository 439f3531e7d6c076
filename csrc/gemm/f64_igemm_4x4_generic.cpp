// f64 indirect GEMM micro-kernel (direct convolution), 4 x 4, portable: the float64 path.
// The same tile as f64_gemm_4x4__generic, reading rows through pointers.
#include "gemm/gemm_kernels.h"
#include "gemm/gemm_ukernel_portable.h"

namespace fastconv {

static void f64_igemm_ukernel_4x4__generic(index_t mr, index_t nr, index_t ks, index_t kc, const double* const* a,
                                           const double* b, double* c, index_t ldc, const double* bias, bool relu) {
  igemm_ukernel_portable<double, 4, 4>(mr, nr, ks, kc, a, b, c, ldc, bias, relu);
}

static void f64_igemm_add_ukernel_4x4__generic(index_t nr, index_t ks, index_t kc, const double* const* a,
                                                const double* b, double* const* c) {
  igemm_add_ukernel_portable<double, 4, 4>(nr, ks, kc, a, b, c);
}

const IgemmKernel<double> f64_igemm_4x4__generic{"f64_igemm_4x4__generic", Isa::generic, 4, 4,
                                                 f64_igemm_ukernel_4x4__generic,
                                                 f64_igemm_add_ukernel_4x4__generic};

}  // namespace fastconv
