// The input gradient as im2col's adjoint, tiled: every MR-pixel tile of dy times w^T gives an
// MR x NR block of patch gradients in registers, added into dx at once, so no patch matrix exists
// and nothing is multiplied by padding. Not the untiled GEMM + col2im (conv2d_im2col.cpp).
//
// Each image is owned by one thread (patches of one image overlap, of two images never do), so
// this runs when there are at least as many images as threads; any stride, padding, dilation.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "conv/conv2d.h"
#include "core/parallel.h"
#include "core/threads.h"
#include "core/workspace.h"
#include "gemm/gemm_kernels.h"

namespace fastconv {

namespace {

// d[0 .. len) += s[0 .. len): fixed trip counts for the short runs of few-channel layers.
template <typename T>
inline void add_run(T* d, const T* s, index_t len) {
  switch (len) {
    case 1: d[0] += s[0]; return;
    case 2: for (int e = 0; e < 2; ++e) d[e] += s[e]; return;
    case 3: for (int e = 0; e < 3; ++e) d[e] += s[e]; return;
    case 4: for (int e = 0; e < 4; ++e) d[e] += s[e]; return;
    default: for (index_t e = 0; e < len; ++e) d[e] += s[e];
  }
}

// Columns [col, col + cols) of dcols, i.e. of K = (kh, kw, c) flattened.
struct Panel {
  index_t col, cols;
};

// A run of channels of one tap inside a panel: where it sits in the tile row, and where it goes
// relative to the pixel's window corner in dx.
struct Run {
  index_t j, len, dkh, dkw, offset;  // offset: (dkh * W + dkw) * C + c
};

}  // namespace

bool col2im_tiled_applies(const Conv2DParams& p) {
  return p.n >= threads_for_work(p.flops());
}

template <typename T>
void conv2d_backward_input_col2im_tiled(T* dx, const T* dy, const T* w, const Conv2DParams& p) {
  // dcols (M, K) = dy_g (M, OCG) * w_g^T (OCG, K), tile by tile; col2im adds each tile into dx.
  const IgemmKernel<T>& kernel = select_igemm_kernel<T>();
  const index_t mr = kernel.mr, nr = kernel.nr;
  const index_t cg = p.cg(), ocg = p.ocg(), k = p.k(), image = p.oh * p.ow;
  const index_t reach_h = p.dh * (p.kh - 1), reach_w = p.dw * (p.kw - 1);
  const int threads = static_cast<int>(std::min<index_t>(threads_for_work(p.flops()), std::max<index_t>(p.n, 1)));
  // Images are taken in blocks from a shared counter: about 8 per thread, to rebalance when a
  // thread starts late, and tiles run across the images of a block (one partial tile per block).
  const index_t block = std::max<index_t>(1, p.n / (index_t(threads) * 8)), blocks = (p.n + block - 1) / block;

  // With at least NR channels, panels stay inside one tap, so a tile row is one run of dx and
  // the micro-kernel adds it there itself; fewer channels share a panel among taps (no SIMD
  // width wasted on them) and go through a tile buffer, run by run.
  const bool per_tap = cg >= nr;
  std::vector<Panel> panels;
  if (per_tap) {
    for (index_t t = 0; t < p.kh * p.kw; ++t)
      for (index_t c0 = 0; c0 < cg; c0 += nr) panels.push_back({t * cg + c0, std::min(nr, cg - c0)});
  } else {
    for (index_t col = 0; col < k; col += nr) panels.push_back({col, std::min(nr, k - col)});
  }
  const index_t np = static_cast<index_t>(panels.size()), panel_size = ocg * nr;
  std::vector<Run> runs;
  std::vector<index_t> first_run(np + 1, 0);
  for (index_t q = 0; q < np; ++q) {
    for (index_t col = panels[q].col; col < panels[q].col + panels[q].cols;) {
      const index_t t = col / cg, c = col % cg, len = std::min(cg - c, panels[q].col + panels[q].cols - col);
      const index_t dkh = (t / p.kw) * p.dh, dkw = (t % p.kw) * p.dw;
      runs.push_back({col - panels[q].col, len, dkh, dkw, (dkh * p.w + dkw) * p.c + c});
      col += len;
    }
    first_run[q + 1] = static_cast<index_t>(runs.size());
  }

  // w^T packed per (group, panel): OCG x NR, zero past the panel's columns.
  T* packed = scratch<T>(Scratch::conv_packed_w, checked_mul(p.g * np, panel_size));
  for (index_t g = 0; g < p.g; ++g)
    for (index_t q = 0; q < np; ++q) {
      T* dst = packed + (g * np + q) * panel_size;
      const index_t j0 = panels[q].col, cols = panels[q].cols;
      for (index_t og = 0; og < ocg; ++og) {
        for (index_t j = 0; j < cols; ++j) dst[og * nr + j] = w[(j0 + j) * p.oc + g * ocg + og];
        for (index_t j = cols; j < nr; ++j) dst[og * nr + j] = T(0);
      }
    }
  T* zeros = scratch<T>(Scratch::conv_zero, ocg);
  std::fill(zeros, zeros + ocg, T(0));
  // Per thread, each on its own 128-byte lines: the tile's dy row pointers, its dx row pointers,
  // the window corners of its pixels (ih, iw, offset in dx) and the MR x NR tile buffer.
  const index_t slot = (std::max<index_t>(mr * nr * index_t(sizeof(T)), 3 * mr * index_t(sizeof(index_t))) + 127) / 128 * 128;
  char* slots = static_cast<char*>(scratch_bytes(Scratch::conv_cols, static_cast<std::size_t>(checked_mul(4 * threads, slot))));
  std::atomic<index_t> next_block{0};

  parallel_region_flushed(threads, [&](int tid, int) {
    char* mine = slots + 4 * tid * slot;
    const T** ptrs = reinterpret_cast<const T**>(mine);
    T** outs = reinterpret_cast<T**>(mine + slot);
    index_t* corner = reinterpret_cast<index_t*>(mine + 2 * slot);  // ih, iw, dx offset per row
    T* tile = reinterpret_cast<T*>(mine + 3 * slot);
    for (;;) {
      const index_t b = next_block.fetch_add(1, std::memory_order_relaxed);
      if (b >= blocks) break;
      const index_t n0 = b * block, n1 = std::min(p.n, n0 + block);
      std::memset(dx + n0 * p.h * p.w * p.c, 0, sizeof(T) * static_cast<std::size_t>((n1 - n0) * p.h * p.w * p.c));
      for (index_t m0 = n0 * image; m0 < n1 * image; m0 += mr) {
        const index_t rows = std::min(mr, n1 * image - m0);
        index_t ow = m0 % p.ow, oh = (m0 / p.ow) % p.oh, n = m0 / image;
        for (index_t i = 0; i < rows; ++i) {
          const index_t ih = oh * p.sh - p.pt, iw = ow * p.sw - p.pl;
          corner[3 * i] = ih, corner[3 * i + 1] = iw, corner[3 * i + 2] = ((n * p.h + ih) * p.w + iw) * p.c;
          if (++ow == p.ow) {
            ow = 0;
            if (++oh == p.oh) oh = 0, ++n;
          }
        }
        for (index_t g = 0; g < p.g; ++g) {
          for (index_t i = 0; i < mr; ++i) ptrs[i] = i < rows ? dy + (m0 + i) * p.oc + g * ocg : zeros;
          for (index_t q = 0; q < np; ++q) {
            const T* panel = packed + (g * np + q) * panel_size;
            const Run* r0 = runs.data() + first_run[q];
            const Run* r1 = runs.data() + first_run[q + 1];
            if (per_tap) {  // one run: the tap's channels [c, c + cols) of each pixel
              for (index_t i = 0; i < mr; ++i) {
                const index_t ih = corner[3 * i] + r0->dkh, iw = corner[3 * i + 1] + r0->dkw;
                const bool inside = i < rows && ih >= 0 && ih < p.h && iw >= 0 && iw < p.w;
                outs[i] = inside ? dx + corner[3 * i + 2] + r0->offset + g * cg : nullptr;
              }
              kernel.add_ukernel(panels[q].cols, 1, ocg, ptrs, panel, outs);
              continue;
            }
            kernel.ukernel(rows, panels[q].cols, 1, ocg, ptrs, panel, tile, nr, nullptr, false);
            for (index_t i = 0; i < rows; ++i) {
              const T* src = tile + i * nr;
              const index_t ih = corner[3 * i], iw = corner[3 * i + 1];
              T* at = dx + corner[3 * i + 2] + g * cg;  // the window corner: may lie outside dx
              if (ih >= 0 && ih + reach_h < p.h && iw >= 0 && iw + reach_w < p.w) {
                for (const Run* r = r0; r < r1; ++r) add_run(at + r->offset, src + r->j, r->len);
              } else {
                for (const Run* r = r0; r < r1; ++r)
                  if (ih + r->dkh >= 0 && ih + r->dkh < p.h && iw + r->dkw >= 0 && iw + r->dkw < p.w)
                    add_run(at + r->offset, src + r->j, r->len);
              }
            }
          }
        }
      }
    }
  });
}

template void conv2d_backward_input_col2im_tiled<float>(float*, const float*, const float*, const Conv2DParams&);
template void conv2d_backward_input_col2im_tiled<double>(double*, const double*, const double*, const Conv2DParams&);

}  // namespace fastconv
