// conv2d as im2col + GEMM, forward and backward, for any geometry.
// Works through the output in chunks of rows so the patch buffer stays bounded (kChunkBytes).
#include <algorithm>
#include <cstring>

#include "conv/conv2d.h"
#include "conv/im2col.h"
#include "core/threads.h"
#include "core/workspace.h"
#include "gemm/gemm.h"

namespace fastconv {

namespace {

constexpr index_t kChunkBytes = index_t(32) << 20;

// Whether x itself is the patch matrix: 1x1 kernel, stride 1, no padding.
bool is_pointwise(const Conv2DParams& p) {
  return p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.pt == 0 && p.pb == 0 && p.pl == 0 && p.pr == 0;
}

// Output rows (flattened (n, oh) pairs) per chunk: as many as fit kChunkBytes, at least one.
template <typename T>
index_t rows_per_chunk(const Conv2DParams& p) {
  const index_t row_bytes = checked_mul(p.ow, p.k(), static_cast<index_t>(sizeof(T)));
  return std::max<index_t>(1, kChunkBytes / std::max<index_t>(row_bytes, 1));
}

}  // namespace

template <typename T>
void conv2d_forward_im2col(T* y, const T* x, const T* w, const T* bias, const Conv2DParams& p) {
  // x is (N, H, W, C), w is (KH, KW, CG, OC), y is (N, OH, OW, OC)
  const index_t rows = p.n * p.oh, k = p.k(), ocg = p.ocg();
  const int threads = threads_for_work(p.flops());  // for im2col / col2im, sized by the whole conv
  if (is_pointwise(p)) {
    for (index_t g = 0; g < p.g; ++g)
      gemm<T>(Trans::no, Trans::no, rows * p.ow, ocg, k, T(1), x + g * p.cg(), p.c, w + g * ocg, p.oc,
              T(0), y + g * ocg, p.oc, {bias ? bias + g * ocg : nullptr, p.relu});
    return;
  }
  const index_t chunk = std::min(rows, rows_per_chunk<T>(p));
  T* cols = scratch<T>(Scratch::conv_cols, checked_mul(chunk, p.ow, k));
  for (index_t r0 = 0; r0 < rows; r0 += chunk) {
    const index_t r1 = std::min(rows, r0 + chunk), m = (r1 - r0) * p.ow;
    for (index_t g = 0; g < p.g; ++g) {
      im2col(cols, x, p, g, r0, r1, threads);
      gemm<T>(Trans::no, Trans::no, m, ocg, k, T(1), cols, k, w + g * ocg, p.oc, T(0),
              y + r0 * p.ow * p.oc + g * ocg, p.oc, {bias ? bias + g * ocg : nullptr, p.relu});
    }
  }
}

template <typename T>
void conv2d_backward_input_im2col(T* dx, const T* dy, const T* w, const Conv2DParams& p) {
  // dcols = dy_g (M, OCG) * w_g^T (OCG, K), then col2im adds the patches back into dx.
  const index_t rows = p.n * p.oh, k = p.k(), ocg = p.ocg();
  const int threads = threads_for_work(p.flops());  // for im2col / col2im, sized by the whole conv
  if (is_pointwise(p)) {
    for (index_t g = 0; g < p.g; ++g)
      gemm<T>(Trans::no, Trans::yes, rows * p.ow, p.cg(), ocg, T(1), dy + g * ocg, p.oc, w + g * ocg, p.oc,
              T(0), dx + g * p.cg(), p.c);
    return;
  }
  if (col2im_tiled_applies(p)) return conv2d_backward_input_col2im_tiled(dx, dy, w, p);
  std::memset(dx, 0, sizeof(T) * static_cast<std::size_t>(p.n * p.h * p.w * p.c));
  const index_t chunk = std::min(rows, rows_per_chunk<T>(p));
  T* dcols = scratch<T>(Scratch::conv_cols, checked_mul(chunk, p.ow, k));
  for (index_t r0 = 0; r0 < rows; r0 += chunk) {
    const index_t r1 = std::min(rows, r0 + chunk), m = (r1 - r0) * p.ow;
    for (index_t g = 0; g < p.g; ++g) {
      gemm<T>(Trans::no, Trans::yes, m, k, ocg, T(1), dy + r0 * p.ow * p.oc + g * ocg, p.oc, w + g * ocg,
              p.oc, T(0), dcols, k);
      col2im(dx, dcols, p, g, r0, r1, threads);
    }
  }
}

template <typename T>
void conv2d_backward_weight_im2col(T* dw, T* db, const T* dy, const T* x, const Conv2DParams& p) {
  // dw_g (K, OCG) = sum over chunks of cols_g^T (K, M) * dy_g (M, OCG): the chunk order is fixed,
  // so the reduction order does not depend on the thread count.
  const index_t rows = p.n * p.oh, k = p.k(), ocg = p.ocg();
  const int threads = threads_for_work(p.flops());  // for im2col / col2im, sized by the whole conv
  if (db) {
    std::fill(db, db + p.oc, T(0));
    const index_t m = rows * p.ow;
    for (index_t i = 0; i < m; ++i) {
      const T* d = dy + i * p.oc;
      for (index_t o = 0; o < p.oc; ++o) db[o] += d[o];
    }
  }
  if (rows == 0) {
    std::fill(dw, dw + p.kh * p.kw * p.cg() * p.oc, T(0));
    return;
  }
  if (is_pointwise(p)) {
    for (index_t g = 0; g < p.g; ++g)
      gemm<T>(Trans::yes, Trans::no, k, ocg, rows * p.ow, T(1), x + g * p.cg(), p.c, dy + g * ocg, p.oc,
              T(0), dw + g * ocg, p.oc);
    return;
  }
  const index_t chunk = std::min(rows, rows_per_chunk<T>(p));
  T* cols = scratch<T>(Scratch::conv_cols, checked_mul(chunk, p.ow, k));
  for (index_t r0 = 0; r0 < rows; r0 += chunk) {
    const index_t r1 = std::min(rows, r0 + chunk), m = (r1 - r0) * p.ow;
    for (index_t g = 0; g < p.g; ++g) {
      im2col(cols, x, p, g, r0, r1, threads);
      gemm<T>(Trans::yes, Trans::no, k, ocg, m, T(1), cols, k, dy + r0 * p.ow * p.oc + g * ocg, p.oc,
              r0 == 0 ? T(0) : T(1), dw + g * ocg, p.oc);
    }
  }
}

#define FASTCONV_INSTANTIATE(T)                                                                   \
  template void conv2d_forward_im2col<T>(T*, const T*, const T*, const T*, const Conv2DParams&); \
  template void conv2d_backward_input_im2col<T>(T*, const T*, const T*, const Conv2DParams&);    \
  template void conv2d_backward_weight_im2col<T>(T*, T*, const T*, const T*, const Conv2DParams&);
FASTCONV_INSTANTIATE(float)
FASTCONV_INSTANTIATE(double)

}  // namespace fastconv
