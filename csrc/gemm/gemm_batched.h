// Many independent GEMMs of one shape, C[i] = act(op(A[i]) op(B[i]) + bias[i]) for i < batch:
// the Dense layers of a model stack (python/fastconv/_model_stack.py), one product per model.
// Each product alone is too small to split across threads, so threads take whole products.
#pragma once

#include "gemm/gemm.h"

namespace fastconv {

// A[i] starts at a + i * stride_a and is stored as gemm's A (row stride lda); likewise B[i] and
// C[i]. bias is (batch, n) row-major or null. Results are bitwise those of gemm per product.
template <typename T>
void gemm_batched(Trans trans_a, Trans trans_b, index_t batch, index_t m, index_t n, index_t k, const T* a,
                  index_t stride_a, index_t lda, const T* b, index_t stride_b, index_t ldb, T* c,
                  index_t stride_c, index_t ldc, const T* bias, bool relu);

}  // namespace fastconv
