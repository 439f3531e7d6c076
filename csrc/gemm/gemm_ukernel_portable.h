// The portable MR x NR micro-kernel as a template: plain loops the compiler vectorises for the
// flags of the file that instantiates it. Not a tuned kernel (those use intrinsics).
#pragma once

#include "core/shapes.h"

namespace fastconv {
// An unnamed namespace on purpose: each ISA file compiles its own copy with its own flags, and
// one shared (inline) instantiation would let the linker hand AVX-512 code to the generic path.
namespace {

template <typename T, int MR, int NR>
void gemm_ukernel_portable(index_t kc, const T* __restrict a, const T* __restrict b,
                           T* __restrict c, index_t ldc, bool accumulate) {
  T acc[MR][NR] = {};
  for (index_t p = 0; p < kc; ++p) {
    const T* ap = a + p * MR;
    const T* bp = b + p * NR;
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += ap[i] * bp[j];
  }
  for (int i = 0; i < MR; ++i) {
    T* ci = c + i * ldc;
    if (accumulate)
      for (int j = 0; j < NR; ++j) ci[j] += acc[i][j];
    else
      for (int j = 0; j < NR; ++j) ci[j] = acc[i][j];
  }
}

// The indirect MR x NR tile (see IgemmUkernel in gemm_kernels.h).
template <typename T, int MR, int NR>
void igemm_tile_portable(index_t ks, index_t kc, const T* const* a, const T* __restrict b, T (&acc)[MR][NR]) {
  for (index_t t = 0; t < ks; ++t) {
    const T* ap[MR];
    for (int i = 0; i < MR; ++i) ap[i] = a[t * MR + i];
    for (index_t p = 0; p < kc; ++p) {
      const T* bp = b + p * NR;
      for (int i = 0; i < MR; ++i) {
        const T av = ap[i][p];
        for (int j = 0; j < NR; ++j) acc[i][j] += av * bp[j];
      }
    }
    b += kc * NR;
  }
}

template <typename T, int MR, int NR>
void igemm_ukernel_portable(index_t mr, index_t nr, index_t ks, index_t kc, const T* const* a,
                            const T* __restrict b, T* __restrict c, index_t ldc, const T* bias, bool relu) {
  T acc[MR][NR] = {};
  igemm_tile_portable<T, MR, NR>(ks, kc, a, b, acc);
  for (index_t i = 0; i < mr; ++i)
    for (index_t j = 0; j < nr; ++j) {
      T v = acc[i][j] + (bias ? bias[j] : T(0));
      c[i * ldc + j] = relu && v < T(0) ? T(0) : v;  // NaN passes
    }
}

// The indirect tile added into rows through pointers (see IgemmAddUkernel in gemm_kernels.h).
template <typename T, int MR, int NR>
void igemm_add_ukernel_portable(index_t nr, index_t ks, index_t kc, const T* const* a, const T* __restrict b,
                                T* const* c) {
  T acc[MR][NR] = {};
  igemm_tile_portable<T, MR, NR>(ks, kc, a, b, acc);
  for (int i = 0; i < MR; ++i)
    if (c[i])
      for (index_t j = 0; j < nr; ++j) c[i][j] += acc[i][j];
}

// The weight-gradient MR x NR tile (see WgradUkernel in gemm_kernels.h).
template <typename T, int MR, int NR>
void wgrad_ukernel_portable(index_t kc, const T* const* a, index_t off, const T* __restrict b, index_t ldb, index_t nr,
                            T* __restrict c, index_t ldc, bool accumulate) {
  T acc[MR][NR] = {};
  for (index_t p = 0; p < kc; ++p) {
    const T* ap = a[p] + off;
    const T* bp = b + p * ldb;
    T bv[NR];
    for (int j = 0; j < NR; ++j) bv[j] = j < nr ? bp[j] : T(0);
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += ap[i] * bv[j];
  }
  for (int i = 0; i < MR; ++i)
    for (index_t j = 0; j < nr; ++j) c[i * ldc + j] = acc[i][j] + (accumulate ? c[i * ldc + j] : T(0));
}

}  // namespace
}  // namespace fastconv
