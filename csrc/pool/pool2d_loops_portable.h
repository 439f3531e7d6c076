// Pooling loops over NHWC as templates the compiler vectorises over channels for the flags of the
// file that includes them. Plain loops only (no std helpers, no threading): see the ODR note.
#pragma once

#include <cstdint>

#include "pool/pool2d.h"

namespace fastconv {
// An unnamed namespace on purpose: each ISA file compiles its own copy with its own flags, and a
// shared inline instantiation would let the linker hand AVX-512 code to the generic path.
namespace {

struct Window {
  index_t h0, h1, w0, w1;  // clipped to the input: rows [h0, h1), columns [w0, w1)
};

inline Window window_of(const Pool2DParams& p, index_t oh, index_t ow) {
  const index_t hs = oh * p.sh - p.pt, ws = ow * p.sw - p.pl;
  Window win{hs < 0 ? 0 : hs, hs + p.kh < p.h ? hs + p.kh : p.h, ws < 0 ? 0 : ws, ws + p.kw < p.w ? ws + p.kw : p.w};
  return win;
}

inline index_t divisor(const Pool2DParams& p, const Window& win) {
  return p.count_include_pad ? p.kh * p.kw : (win.h1 - win.h0) * (win.w1 - win.w0);
}

// Max and, with kArg, first argmax of one window over CB channels, kept in local arrays the
// compiler holds in registers across the window (CB is a compile-time block) instead of updating y
// and argmax in memory for every cell. The running argmax has type I: int32 where H*W allows,
// so it blends as many lanes as the floats do (SSE2 cannot blend int64 lanes by a float mask).
// Strictly greater keeps the first maximum; the first NaN wins and stays.
template <typename T, typename I, bool kArg, index_t CB>
inline void max_window(T* __restrict yo, index_t* __restrict ao, const T* __restrict xn, const Pool2DParams& p,
                       const Window& win) {
  T best[CB];
  I arg[CB];
  const T* first = xn + (win.h0 * p.w + win.w0) * p.c;
  for (index_t ci = 0; ci < CB; ++ci) {
    best[ci] = first[ci];
    if constexpr (kArg) arg[ci] = static_cast<I>(win.h0 * p.index_w + win.w0);
  }
  for (index_t ih = win.h0; ih < win.h1; ++ih)
    for (index_t iw = win.w0; iw < win.w1; ++iw) {
      if (ih == win.h0 && iw == win.w0) continue;
      const T* __restrict xs = xn + (ih * p.w + iw) * p.c;
      const I at = static_cast<I>(ih * p.index_w + iw);
      // Kept a loop: fully unrolled, GCC no longer vectorises it (and MSVC ignores the pragma).
#pragma GCC unroll 1
      for (index_t ci = 0; ci < CB; ++ci) {
        const T v = xs[ci], cur = best[ci];
        // Bitwise, not short-circuit: a branch here makes GCC spill the block to memory.
        const bool take = (v > cur) | ((v != v) & (cur == cur));
        best[ci] = take ? v : cur;
        if constexpr (kArg) arg[ci] = take ? at : arg[ci];
      }
    }
  for (index_t ci = 0; ci < CB; ++ci) yo[ci] = best[ci];
  if constexpr (kArg)
    for (index_t ci = 0; ci < CB; ++ci) ao[ci] = arg[ci];
}

// Channels [c0, c) of one window in blocks of CB, then CB/2, ... 1 for the tail.
template <typename T, typename I, bool kArg, index_t CB>
inline void max_window_blocks(T* yo, index_t* ao, const T* xn, const Pool2DParams& p, const Window& win, index_t c0) {
  for (; c0 + CB <= p.c; c0 += CB) max_window<T, I, kArg, CB>(yo + c0, kArg ? ao + c0 : nullptr, xn + c0, p, win);
  if constexpr (CB > 1) max_window_blocks<T, I, kArg, CB / 2>(yo, ao, xn, p, win, c0);
}

// A whole 2x2 window inside the input: its cells written out and one loop over all channels,
// which the compiler vectorises with no per-cell loop overhead. Same cells, order and result as
// max_window; the running maximum is a number exactly while every cell so far is one, which is
// tracked on its own (a test of the maximum itself after a select stops GCC vectorising).
template <typename T, typename I, bool kArg>
inline void max_window_2x2(T* __restrict yo, index_t* __restrict ao, const T* __restrict x00, index_t c, index_t row,
                           I at, I w) {
  const T* x10 = x00 + row;
#pragma GCC ivdep
  for (index_t ci = 0; ci < c; ++ci) {
    const T v00 = x00[ci], v01 = x00[c + ci], v10 = x10[ci], v11 = x10[c + ci];
    T best = v00;
    I arg = at;
    bool numbers = v00 == v00;
    bool take = ((v01 > best) | (v01 != v01)) & numbers;
    best = take ? v01 : best;
    arg = take ? at + 1 : arg;
    numbers &= v01 == v01;
    take = ((v10 > best) | (v10 != v10)) & numbers;
    best = take ? v10 : best;
    arg = take ? at + w : arg;
    numbers &= v10 == v10;
    take = ((v11 > best) | (v11 != v11)) & numbers;
    yo[ci] = take ? v11 : best;
    if constexpr (kArg) ao[ci] = take ? at + w + 1 : arg;
  }
}

template <typename T, typename I, bool kArg>
void max_rows_as(T* y, index_t* argmax, const T* x, const Pool2DParams& p, index_t r0, index_t r1) {
  // One AVX-512 register for every ISA: narrower blocks re-walk the window more often, which
  // measured slower on AVX2 and SSE2 than their loop over a 64-byte block.
  constexpr index_t kBlock = 64 / sizeof(T);
  const index_t c = p.c, row = p.w * c;
  const bool pool_2x2 = p.kh == 2 && p.kw == 2;  // the usual pool: its whole windows take max_window_2x2
  // Windows side by side (stride 2, no padding on the left): a row of them steps one pointer.
  const bool row_2x2 = pool_2x2 && p.sw == 2 && p.pl == 0 && 2 * p.ow <= p.w;
  for (index_t r = r0; r < r1; ++r) {
    const index_t n = r / p.oh, oh = r % p.oh, o = r * p.ow * c;
    const T* xn = x + n * p.h * row;
    const index_t ih = oh * p.sh - p.pt;
    if (row_2x2 && ih >= 0 && ih + 1 < p.h) {
      const T* x00 = xn + ih * row;
      for (index_t ow = 0; ow < p.ow; ++ow)
        max_window_2x2<T, I, kArg>(y + o + ow * c, kArg ? argmax + o + ow * c : nullptr, x00 + 2 * ow * c, c, row,
                                   static_cast<I>(ih * p.index_w + 2 * ow), static_cast<I>(p.index_w));
      continue;
    }
    for (index_t ow = 0; ow < p.ow; ++ow) {
      const Window win = window_of(p, oh, ow);
      T* yo = y + o + ow * c;
      index_t* ao = kArg ? argmax + o + ow * c : nullptr;
      if (pool_2x2 && win.h1 - win.h0 == 2 && win.w1 - win.w0 == 2)
        max_window_2x2<T, I, kArg>(yo, ao, xn + (win.h0 * p.w + win.w0) * c, c, row,
                                   static_cast<I>(win.h0 * p.index_w + win.w0), static_cast<I>(p.index_w));
      else
        max_window_blocks<T, I, kArg, kBlock>(yo, ao, xn, p, win, 0);
    }
  }
}

template <typename T>
void max_rows(T* y, index_t* argmax, const T* x, const Pool2DParams& p, index_t r0, index_t r1) {
  if (!argmax)
    max_rows_as<T, std::int32_t, false>(y, argmax, x, p, r0, r1);
  else if (p.h * p.index_w <= INT32_MAX)
    max_rows_as<T, std::int32_t, true>(y, argmax, x, p, r0, r1);
  else
    max_rows_as<T, index_t, true>(y, argmax, x, p, r0, r1);
}

// Scatters each image: dx = 0, then dx[argmax] += dy. Skips argmax entries outside the H x W
// input (in index_w-wide rows) and returns how many it skipped, so the caller can raise without
// checking them all beforehand.
// With kRelu, only where the pooled output y is positive: the gradient through a ReLU before the
// pool (a window's maximum is the ReLU's output there), without a pass over the large tensor.
template <typename T, bool kRelu>
index_t max_backward_images_as(T* dx, const T* dy, const index_t* argmax, const T* relu_y, const Pool2DParams& p,
                               index_t n0, index_t n1) {
  const index_t image = p.h * p.w * p.c, outputs = p.oh * p.ow * p.c, cells = p.h * p.w;
  const bool narrower = p.index_w != p.w;  // indices of a wider tensor: their column must be < W
  index_t skipped = 0;
  for (index_t n = n0; n < n1; ++n) {
    T* __restrict dxn = dx + n * image;
    for (index_t i = 0; i < image; ++i) dxn[i] = T(0);
    const index_t* an = argmax + n * outputs;
    const T* dyn = dy + n * outputs;
    for (index_t o = 0; o < outputs; o += p.c)
      for (index_t ci = 0; ci < p.c; ++ci) {
        const index_t a = an[o + ci];
        T g = dyn[o + ci];
        // A select, not a branch: the sign of y is a coin toss.
        if constexpr (kRelu) g = relu_y[n * outputs + o + ci] > T(0) ? g : T(0);
        index_t cell = a;
        if (narrower && a >= 0) {
          const index_t row = a / p.index_w, col = a - row * p.index_w;
          cell = col < p.w ? row * p.w + col : cells;  // a row >= H gives a cell >= H*W too
        }
        if (cell >= 0 && cell < cells)
          dxn[cell * p.c + ci] += g;
        else
          ++skipped;
      }
  }
  return skipped;
}

template <typename T>
index_t max_backward_images(T* dx, const T* dy, const index_t* argmax, const T* relu_y, const Pool2DParams& p,
                            index_t n0, index_t n1) {
  return relu_y ? max_backward_images_as<T, true>(dx, dy, argmax, relu_y, p, n0, n1)
                : max_backward_images_as<T, false>(dx, dy, argmax, relu_y, p, n0, n1);
}

// One whole 2x2 window's four dx cells (rows d0 and d1 = d0 + W*C) from its argmax relative to
// the top-left cell, in one loop over the channels. Returns how many argmax entries named a cell.
// The pointers are parameters so that their __restrict holds (GCC ignores it on local pointers
// and gives up on the run-time alias checks of six streams).
template <typename T, bool kRelu>
index_t max_backward_window_2x2(T* __restrict d00, T* __restrict d01, T* __restrict d10, T* __restrict d11,
                                const T* __restrict g, const T* __restrict ry, const index_t* __restrict ao,
                                index_t c, index_t at, index_t w) {
  index_t hits = 0;
  for (index_t ci = 0; ci < c; ++ci) {
    const index_t a = ao[ci];
    bool pass = true;
    if constexpr (kRelu) pass = ry[ci] > T(0);
    const bool m00 = a == at, m01 = a == at + 1, m10 = a == at + w, m11 = a == at + w + 1;
    d00[ci] = m00 & pass ? g[ci] : T(0);
    d01[ci] = m01 & pass ? g[ci] : T(0);
    d10[ci] = m10 & pass ? g[ci] : T(0);
    d11[ci] = m11 & pass ? g[ci] : T(0);
    hits += m00 | m01 | m10 | m11;
  }
  return hits;
}

// Both dx rows under one row of whole 2x2 windows (KH = KW = SH = SW = 2, no padding: the usual
// pool), each argmax, dy and y read once and no per-cell loop. As max_backward_disjoint_rows_as.
template <typename T, bool kRelu>
index_t max_backward_rows_2x2(T* top, const T* dy, const index_t* argmax, const T* relu_y, const Pool2DParams& p,
                              index_t o_row, index_t ih) {
  const index_t c = p.c, row = p.w * c;
  index_t hits = 0;
  for (index_t ow = 0; ow < p.ow; ++ow) {
    const index_t o = (o_row * p.ow + ow) * c;
    T* d00 = top + 2 * ow * c;
    hits += max_backward_window_2x2<T, kRelu>(d00, d00 + c, d00 + row, d00 + row + c, dy + o,
                                              kRelu ? relu_y + o : nullptr, argmax + o, c, ih * p.index_w + 2 * ow,
                                              p.index_w);
  }
  for (index_t i = 2 * p.ow * c; i < row; ++i) top[i] = top[row + i] = T(0);  // columns no window covers
  return hits;
}

// Disjoint windows (SH >= KH, SW >= KW) over input rows [r0, r1) of the flattened (n, ih): each dx
// cell is written once, in memory order, with no zero pass: dy where its window's argmax names
// the cell (and, with kRelu, the pooled y is positive), else 0. Returns how many argmax entries
// named a cell; when some name none (indices not from the forward), the caller redoes the work
// with the scatter.
template <typename T, bool kRelu>
index_t max_backward_disjoint_rows_as(T* dx, const T* dy, const index_t* argmax, const T* relu_y,
                                      const Pool2DParams& p, index_t r0, index_t r1) {
  const index_t c = p.c;
  // 2x2 windows, stride 2, every one whole along W: pairs of rows inside the image take the loop of
  // their own (a window clipped by the bottom padding has one row, which the general loop takes).
  const bool whole_2x2 = p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 && p.pt == 0 && p.pl == 0 &&
                         2 * p.ow <= p.w;
  index_t hits = 0;
  for (index_t r = r0; r < r1; ++r) {
    const index_t n = r / p.h, ih = r % p.h;
    T* __restrict row = dx + r * p.w * c;
    const index_t oh = (ih + p.pt) / p.sh;
    if ((ih + p.pt) % p.sh >= p.kh || oh >= p.oh) {  // a row no window covers
      for (index_t i = 0; i < p.w * c; ++i) row[i] = T(0);
      continue;
    }
    if (whole_2x2 && ih % 2 == 0 && ih + 1 < p.h && r + 1 < r1) {
      hits += max_backward_rows_2x2<T, kRelu>(row, dy, argmax, relu_y, p, n * p.oh + oh, ih);
      ++r;  // its row too
      continue;
    }
    index_t done = 0;  // columns of this row written so far
    for (index_t ow = 0; ow < p.ow; ++ow) {
      const Window win = window_of(p, oh, ow);
      for (index_t i = done * c; i < win.w0 * c; ++i) row[i] = T(0);
      const index_t o = ((n * p.oh + oh) * p.ow + ow) * c;
      const index_t* __restrict ao = argmax + o;
      const T* __restrict g = dy + o;
      const T* __restrict ry = kRelu ? relu_y + o : nullptr;
      for (index_t iw = win.w0; iw < win.w1; ++iw) {
        const index_t at = ih * p.index_w + iw;
        T* __restrict d = row + iw * c;
        for (index_t ci = 0; ci < c; ++ci) {
          const bool mine = ao[ci] == at;
          bool pass = mine;
          if constexpr (kRelu) pass = mine & (ry[ci] > T(0));
          d[ci] = pass ? g[ci] : T(0);
          hits += mine;
        }
      }
      done = win.w1;
    }
    for (index_t i = done * c; i < p.w * c; ++i) row[i] = T(0);
  }
  return hits;
}

template <typename T>
index_t max_backward_disjoint_rows(T* dx, const T* dy, const index_t* argmax, const T* relu_y, const Pool2DParams& p,
                                   index_t r0, index_t r1) {
  return relu_y ? max_backward_disjoint_rows_as<T, true>(dx, dy, argmax, relu_y, p, r0, r1)
                : max_backward_disjoint_rows_as<T, false>(dx, dy, argmax, relu_y, p, r0, r1);
}

template <typename T>
void avg_rows(T* y, const T* x, const Pool2DParams& p, index_t r0, index_t r1) {
  const index_t c = p.c;
  for (index_t r = r0; r < r1; ++r) {
    const index_t n = r / p.oh, oh = r % p.oh;
    for (index_t ow = 0; ow < p.ow; ++ow) {
      const Window win = window_of(p, oh, ow);
      T* __restrict yo = y + ((n * p.oh + oh) * p.ow + ow) * c;
      for (index_t ci = 0; ci < c; ++ci) yo[ci] = T(0);
      for (index_t ih = win.h0; ih < win.h1; ++ih)
        for (index_t iw = win.w0; iw < win.w1; ++iw) {
          const T* __restrict xs = x + ((n * p.h + ih) * p.w + iw) * c;
          for (index_t ci = 0; ci < c; ++ci) yo[ci] += xs[ci];
        }
      const T scale = T(1) / static_cast<T>(divisor(p, win));
      for (index_t ci = 0; ci < c; ++ci) yo[ci] *= scale;
    }
  }
}

template <typename T>
void avg_backward_images(T* dx, const T* dy, const Pool2DParams& p, index_t n0, index_t n1) {
  const index_t c = p.c, image = p.h * p.w * c;
  for (index_t n = n0; n < n1; ++n) {
    for (index_t i = 0; i < image; ++i) dx[n * image + i] = T(0);
    for (index_t oh = 0; oh < p.oh; ++oh)
      for (index_t ow = 0; ow < p.ow; ++ow) {
        const Window win = window_of(p, oh, ow);
        const T* __restrict g = dy + ((n * p.oh + oh) * p.ow + ow) * c;
        const T scale = T(1) / static_cast<T>(divisor(p, win));
        for (index_t ih = win.h0; ih < win.h1; ++ih)
          for (index_t iw = win.w0; iw < win.w1; ++iw) {
            T* __restrict d = dx + ((n * p.h + ih) * p.w + iw) * c;
            for (index_t ci = 0; ci < c; ++ci) d[ci] += g[ci] * scale;
          }
      }
  }
}

}  // namespace
}  // namespace fastconv

// Defines the kernel tables of one ISA file: f32_pool2d__ISA and f64_pool2d__ISA.
#define FASTCONV_POOL2D_KERNELS(ISA)                                                                   \
  namespace fastconv {                                                                                 \
  const PoolKernels<float> f32_pool2d__##ISA{"f32_pool2d__" #ISA, Isa::ISA, max_rows<float>,          \
                                             max_backward_images<float>,                              \
                                             max_backward_disjoint_rows<float>, avg_rows<float>,      \
                                             avg_backward_images<float>};                             \
  const PoolKernels<double> f64_pool2d__##ISA{"f64_pool2d__" #ISA, Isa::ISA, max_rows<double>,        \
                                              max_backward_images<double>,                            \
                                              max_backward_disjoint_rows<double>, avg_rows<double>,   \
                                              avg_backward_images<double>};                           \
  }
