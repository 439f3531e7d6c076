// The BLIS-style GEMM driver: blocking, packing and threading around a micro-kernel.
// Not the micro-kernels (one file each) nor their table (gemm_kernels.cpp).
#include "gemm/gemm.h"

#include <algorithm>
#include <cstring>

#include "core/errors.h"
#include "core/parallel.h"
#include "core/threads.h"
#include "core/workspace.h"
#include "gemm/gemm_kernels.h"

namespace fastconv {

namespace {

index_t round_up(index_t x, index_t to) { return (x + to - 1) / to * to; }

// One full MR-row panel of a row-major A (rows `lda` apart) with alpha = 1: MR row streams read
// in order, written interleaved. MR is a constant so the inner loop unrolls into MR moves.
template <typename T, int MR>
void pack_a_panel_rows(const T* a, index_t lda, index_t kc, T* dst) {
  const T* rows[MR];
  for (int i = 0; i < MR; ++i) rows[i] = a + i * lda;
  for (index_t p = 0; p < kc; ++p) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) dst[p * MR + i] = rows[i][p];
  }
}

template <typename T>
bool pack_a_panel_rows_fast(int mr, const T* a, index_t lda, index_t kc, T* dst) {
  switch (mr) {
    case 4: pack_a_panel_rows<T, 4>(a, lda, kc, dst); return true;
    case 6: pack_a_panel_rows<T, 6>(a, lda, kc, dst); return true;
    case 8: pack_a_panel_rows<T, 8>(a, lda, kc, dst); return true;
    case 12: pack_a_panel_rows<T, 12>(a, lda, kc, dst); return true;
    case 14: pack_a_panel_rows<T, 14>(a, lda, kc, dst); return true;
    default: return false;
  }
}

// Packs op(A)[ic : ic+mc, pc : pc+kc] * alpha into MR-row panels: panel r holds rows
// r*MR .. r*MR+MR-1 as dst[p*MR + i], zero-padded past mc.
template <typename T>
void pack_a(Trans trans_a, const T* a, index_t lda, index_t ic, index_t pc, index_t mc, index_t kc,
            int mr, T alpha, T* dst) {
  for (index_t r0 = 0; r0 < mc; r0 += mr) {
    const index_t rows = std::min<index_t>(mr, mc - r0);
    T* panel = dst + r0 * kc;
    if (trans_a == Trans::no) {
      const T* src = a + (ic + r0) * lda + pc;
      if (rows == mr && alpha == T(1) && pack_a_panel_rows_fast(mr, src, lda, kc, panel)) continue;
      for (index_t i = 0; i < rows; ++i)
        for (index_t p = 0; p < kc; ++p) panel[p * mr + i] = alpha * src[i * lda + p];
      for (index_t p = 0; p < kc; ++p)
        for (index_t i = rows; i < mr; ++i) panel[p * mr + i] = T(0);
    } else {
      // op(A) = A^T: the MR values of one k are contiguous in memory.
      const T* src = a + pc * lda + ic + r0;
      for (index_t p = 0; p < kc; ++p) {
        T* out = panel + p * mr;
        const T* in = src + p * lda;
        if (alpha == T(1))
          for (index_t i = 0; i < rows; ++i) out[i] = in[i];
        else
          for (index_t i = 0; i < rows; ++i) out[i] = alpha * in[i];
        for (index_t i = rows; i < mr; ++i) out[i] = T(0);
      }
    }
  }
}

// Packs op(B)[pc : pc+kc, jc + j0 : jc + j1] (j0, j1 multiples of NR) into NR-column panels:
// panel q holds columns q*NR .. q*NR+NR-1 as dst[q*NR*kc + p*NR + j], zero-padded past nc.
template <typename T>
void pack_b(Trans trans_b, const T* b, index_t ldb, index_t pc, index_t jc, index_t kc, index_t nc,
            int nr, index_t j0, index_t j1, T* dst) {
  for (index_t c0 = j0; c0 < j1; c0 += nr) {
    const index_t cols = std::min<index_t>(nr, nc - c0);
    T* panel = dst + c0 * kc;
    for (index_t p = 0; p < kc; ++p) {
      T* out = panel + p * nr;
      const index_t row = pc + p;
      if (trans_b == Trans::no) {
        const T* src = b + row * ldb + jc + c0;
        for (index_t j = 0; j < cols; ++j) out[j] = src[j];
      } else {
        for (index_t j = 0; j < cols; ++j) out[j] = b[(jc + c0 + j) * ldb + row];
      }
      for (index_t j = cols; j < nr; ++j) out[j] = T(0);
    }
  }
}

template <typename T>
void apply_epilogue(T* c, index_t ldc, index_t rows, index_t cols, index_t j0, const GemmEpilogue<T>& ep) {
  for (index_t i = 0; i < rows; ++i) {
    T* ci = c + i * ldc;
    if (ep.bias)
      for (index_t j = 0; j < cols; ++j) ci[j] += ep.bias[j0 + j];
    if (ep.relu)
      for (index_t j = 0; j < cols; ++j) ci[j] = ci[j] < T(0) ? T(0) : ci[j];  // NaN passes
  }
}

template <typename T>
void scale_c(T* c, index_t ldc, index_t rows, index_t cols, T beta) {
  for (index_t i = 0; i < rows; ++i) {
    T* ci = c + i * ldc;
    if (beta == T(0))
      std::memset(ci, 0, sizeof(T) * static_cast<std::size_t>(cols));
    else
      for (index_t j = 0; j < cols; ++j) ci[j] *= beta;
  }
}

}  // namespace

template <typename T>
void gemm(Trans trans_a, Trans trans_b, index_t m, index_t n, index_t k, T alpha, const T* a,
          index_t lda, const T* b, index_t ldb, T beta, T* c, index_t ldc,
          const GemmEpilogue<T>& epilogue, int max_threads) {
  FC_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: sizes must be >= 0, got m=", m, " n=", n, " k=", k);
  FC_CHECK(ldc >= n, "gemm: ldc=", ldc, " < n=", n);
  FC_CHECK(lda >= (trans_a == Trans::no ? k : m), "gemm: lda=", lda, " too small");
  FC_CHECK(ldb >= (trans_b == Trans::no ? n : k), "gemm: ldb=", ldb, " too small");
  if (m == 0 || n == 0) return;
  const bool has_epilogue = epilogue.bias != nullptr || epilogue.relu;
  if (k == 0 || alpha == T(0)) {
    if (beta != T(1)) scale_c(c, ldc, m, n, beta);
    if (has_epilogue) apply_epilogue(c, ldc, m, n, 0, epilogue);
    return;
  }

  const GemmKernel<T>& kernel = select_gemm_kernel<T>();
  const int mr = kernel.mr, nr = kernel.nr;
  int threads = threads_for_work(2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k));
  if (max_threads > 0) threads = std::min(threads, max_threads);

  // KC from the kernel's table, except for narrow C (conv shapes: N = OC of 32..128): the whole B
  // is then at most 4 NR panels, small enough for L2, so a longer KC (up to 1024) that saves
  // re-reading and re-writing the tall C once per extra K block is worth B streaming from L2.
  const index_t narrow_kc = n <= 4 * nr ? std::min<index_t>(k, 1024) : 0;
  const index_t kc_max = std::max(std::min(kernel.kc, k), narrow_kc);
  const index_t nc_max = std::min(kernel.nc, round_up(n, nr));
  // Smaller M blocks when there are fewer blocks than threads, so every thread gets rows.
  index_t mc_max = std::min(kernel.mc, round_up(m, mr));
  if (threads > 1) mc_max = std::min(mc_max, std::max<index_t>(mr, round_up((m + threads - 1) / threads, mr)));

  T* packed_b = scratch<T>(Scratch::gemm_b, checked_mul(kc_max, nc_max));
  T* packed_a_all = scratch<T>(Scratch::gemm_a, checked_mul(threads, mc_max, kc_max));

  const index_t m_blocks = (m + mc_max - 1) / mc_max;

  // 5th loop (JC): n by NC
  for (index_t jc = 0; jc < n; jc += nc_max) {
    const index_t nc = std::min(nc_max, n - jc);
    const index_t n_panels = (nc + nr - 1) / nr;
    // 4th loop (PC): k by KC, pack B -- never parallel, so each C element sums in one order.
    for (index_t pc = 0; pc < k; pc += kc_max) {
      const index_t kc = std::min(kc_max, k - pc);
      const bool first = pc == 0, last = pc + kc == k;
      // Work items: (M block, share of the NR panels); panels are split only when there are
      // fewer M blocks than threads.
      const index_t n_splits = m_blocks >= threads ? 1 : std::min<index_t>(n_panels, (threads + m_blocks - 1) / m_blocks);
      const index_t items = m_blocks * n_splits;

      parallel_region_flushed(threads, [&](int tid, int nt) {
        {
          const auto [q0, q1] = static_split(n_panels, tid, nt);
          pack_b(trans_b, b, ldb, pc, jc, kc, nc, nr, q0 * nr, std::min(q1 * nr, round_up(nc, nr)), packed_b);
        }
        team_barrier(nt);
        T* packed_a = packed_a_all + static_cast<index_t>(tid) * mc_max * kc_max;
        alignas(64) T tile[16 * 64];  // MR * NR <= 1024 for every kernel in the table
        index_t packed_block = -1;
        const auto [w0, w1] = static_split(items, tid, nt);
        for (index_t w = w0; w < w1; ++w) {
          const index_t block = w / n_splits, split = w % n_splits;
          const index_t ic = block * mc_max;
          const index_t mc = std::min(mc_max, m - ic);
          // 3rd loop (IC): m by MC, pack A
          if (block != packed_block) {
            pack_a(trans_a, a, lda, ic, pc, mc, kc, mr, alpha, packed_a);
            packed_block = block;
          }
          const index_t q_begin = split * n_panels / n_splits, q_end = (split + 1) * n_panels / n_splits;
          // 2nd loop (JR): nc by NR
          for (index_t q = q_begin; q < q_end; ++q) {
            const index_t j0 = jc + q * nr;
            const index_t cols = std::min<index_t>(nr, n - j0);
            const T* bp = packed_b + q * nr * kc;
            // 1st loop (IR): mc by MR, then the micro-kernel
            for (index_t r0 = 0; r0 < mc; r0 += mr) {
              const index_t i0 = ic + r0;
              const index_t rows = std::min<index_t>(mr, m - i0);
              T* cp = c + i0 * ldc + j0;
              const T* ap = packed_a + r0 * kc;
              if (first && beta != T(0) && beta != T(1)) scale_c(cp, ldc, rows, cols, beta);
              const bool accumulate = !first || beta != T(0);
              if (rows == mr && cols == nr) {
                kernel.ukernel(kc, ap, bp, cp, ldc, accumulate);
              } else {
                kernel.ukernel(kc, ap, bp, tile, nr, false);
                for (index_t i = 0; i < rows; ++i)
                  for (index_t j = 0; j < cols; ++j)
                    cp[i * ldc + j] = tile[i * nr + j] + (accumulate ? cp[i * ldc + j] : T(0));
              }
              if (last && has_epilogue) apply_epilogue(cp, ldc, rows, cols, j0, epilogue);
            }
          }
        }
      });
    }
  }
}

template <typename T>
void gemm_reference(Trans trans_a, Trans trans_b, index_t m, index_t n, index_t k, T alpha,
                    const T* a, index_t lda, const T* b, index_t ldb, T beta, T* c, index_t ldc,
                    const GemmEpilogue<T>& epilogue) {
  for (index_t i = 0; i < m; ++i)
    for (index_t j = 0; j < n; ++j) {
      T sum = T(0);
      for (index_t p = 0; p < k; ++p) {
        const T av = trans_a == Trans::no ? a[i * lda + p] : a[p * lda + i];
        const T bv = trans_b == Trans::no ? b[p * ldb + j] : b[j * ldb + p];
        sum += av * bv;
      }
      T v = alpha * sum + (beta == T(0) ? T(0) : beta * c[i * ldc + j]);
      if (epilogue.bias) v += epilogue.bias[j];
      if (epilogue.relu) v = v < T(0) ? T(0) : v;
      c[i * ldc + j] = v;
    }
}

#define FASTCONV_INSTANTIATE_GEMM(T)                                                                 \
  template void gemm<T>(Trans, Trans, index_t, index_t, index_t, T, const T*, index_t, const T*,     \
                        index_t, T, T*, index_t, const GemmEpilogue<T>&, int);                       \
  template void gemm_reference<T>(Trans, Trans, index_t, index_t, index_t, T, const T*, index_t,     \
                                  const T*, index_t, T, T*, index_t, const GemmEpilogue<T>&);
FASTCONV_INSTANTIATE_GEMM(float)
FASTCONV_INSTANTIATE_GEMM(double)

}  // namespace fastconv
