// The micro-kernel signature and the one table of available GEMM micro-kernels, read by the
// GEMM driver, the tests and the benchmarks. Not the driver (gemm.cpp) nor the kernels.
#pragma once

#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/shapes.h"

namespace fastconv {

// Computes one MR x NR tile from packed panels: a is kc x MR (a[p*MR + i]), b is kc x NR
// (b[p*NR + j]), both zero-padded to full tiles; then c[i*ldc + j] = tile(i, j) + (accumulate ?
// c[i*ldc + j] : 0). Preconditions: kc >= 1, a and b 64-byte aligned.
template <typename T>
using GemmUkernel = void (*)(index_t kc, const T* a, const T* b, T* c, index_t ldc, bool accumulate);

// A micro-kernel with the block sizes that belong to it (see the kernel's file for why).
template <typename T>
struct GemmKernel {
  const char* name;
  Isa isa;
  int mr, nr;
  index_t kc, mc, nc;
  GemmUkernel<T> ukernel;
};

// Every kernel compiled into this build for T, lowest ISA first.
template <typename T>
const std::vector<GemmKernel<T>>& gemm_kernels();

// The kernel of the highest ISA not above active_isa(), or the one forced by force_gemm_kernel.
template <typename T>
const GemmKernel<T>& select_gemm_kernel();

// Forces the kernel named `name` (any dtype's table) for tests and benchmarks, so every kernel of
// the table can be run, not only each ISA's default; "" restores the choice by ISA. A kernel whose
// ISA this CPU lacks, or an unknown name, is refused with ArgumentError.
void force_gemm_kernel(const std::string& name);

// Indirect GEMM (XNNPACK's igemm), the micro-kernel of the direct convolution: one MR x NR tile
//   c[i*ldc + j] = act(bias[j] + sum over t < ks, p < kc of a[t*MR + i][p] * b[(t*kc + p)*NR + j])
// for i < mr, j < nr. `a` holds ks x MR row pointers (one per tap and output pixel, each readable
// for kc elements: pointers into x, or to a zero buffer for padding and for rows >= mr); `b` is
// packed (ks * kc) x NR, zero-padded past nr. bias (nr values) may be null. Preconditions:
// 1 <= mr <= MR, 1 <= nr <= NR, ks >= 1, kc >= 1, b 64-byte aligned.
template <typename T>
using IgemmUkernel = void (*)(index_t mr, index_t nr, index_t ks, index_t kc, const T* const* a, const T* b, T* c,
                              index_t ldc, const T* bias, bool relu);

// The same tile added into rows reached through pointers (the input gradient's col2im,
// conv/conv2d_col2im_tiled.cpp): c[i][j] += tile(i, j) for i < MR where c[i] is not null, j < nr.
// Preconditions as IgemmUkernel's.
template <typename T>
using IgemmAddUkernel = void (*)(index_t nr, index_t ks, index_t kc, const T* const* a, const T* b, T* const* c);

template <typename T>
struct IgemmKernel {
  const char* name;
  Isa isa;
  int mr, nr;
  IgemmUkernel<T> ukernel;
  IgemmAddUkernel<T> add_ukernel;
};

// Every indirect kernel compiled into this build for T, lowest ISA first; the choice by ISA.
template <typename T>
const std::vector<IgemmKernel<T>>& igemm_kernels();
template <typename T>
const IgemmKernel<T>& select_igemm_kernel();

// Weight-gradient GEMM of the direct convolution: one MR x NR tile of dw (rows: MR consecutive
// input channels of one tap; columns: NR output channels)
//   c[i*ldc + j] = (accumulate ? c[i*ldc + j] : 0) + sum over p < kc of a[p][off + i] * b[p*ldb + j]
// for i < MR, j < nr. `a` holds kc pointers (one per output pixel: where its patch tap starts,
// or a zero row), each readable at [off, off + MR); b is dy (row stride ldb), read for j < nr.
// Preconditions: kc >= 1, 1 <= nr <= NR.
template <typename T>
using WgradUkernel = void (*)(index_t kc, const T* const* a, index_t off, const T* b, index_t ldb, index_t nr, T* c, index_t ldc,
                              bool accumulate);

template <typename T>
struct WgradKernel {
  const char* name;
  Isa isa;
  int mr, nr;
  index_t kc;  // pixels per reduction step (the chunk whose x and dy rows stay in L2)
  WgradUkernel<T> ukernel;
};

template <typename T>
const std::vector<WgradKernel<T>>& wgrad_kernels();
// Among the kernels of the highest ISA not above active_isa(), the cheapest for `rows` (C/G
// channels of a tap, KW*C of a kernel row, or K when patches are packed): ceil(rows / MR) * MR
// rows computed, each costing (MR + 2) / MR, since a pixel step costs about two FMA cycles of
// pointer, dy loads and loop besides its MR broadcasts (measured on Zen 5: 81% of peak at MR 8,
// 91% at 14). Ties to the larger MR. rows <= 0 picks the ISA's last (default) entry.
template <typename T>
const WgradKernel<T>& select_wgrad_kernel(index_t rows = 0);

// Declarations of the kernels (one file each, named as the kernel; ISA after "__").
extern const GemmKernel<float> f32_gemm_4x8__generic;
extern const GemmKernel<double> f64_gemm_4x4__generic;
extern const GemmKernel<float> f32_gemm_6x16__avx2;
extern const GemmKernel<float> f32_gemm_14x32__avx512;
extern const IgemmKernel<float> f32_igemm_4x8__generic;
extern const IgemmKernel<double> f64_igemm_4x4__generic;
extern const IgemmKernel<float> f32_igemm_6x16__avx2;
extern const IgemmKernel<float> f32_igemm_14x32__avx512;
extern const WgradKernel<float> f32_wgrad_4x8__generic;
extern const WgradKernel<double> f64_wgrad_4x4__generic;
extern const WgradKernel<float> f32_wgrad_6x16__avx2;
extern const WgradKernel<float> f32_wgrad_8x32__avx512;
extern const WgradKernel<float> f32_wgrad_14x32__avx512;

}  // namespace fastconv
