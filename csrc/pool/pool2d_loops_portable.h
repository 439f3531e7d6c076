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
    if constexpr (kArg) arg[ci] = static_cast<I>(win.h0 * p.w + win.w0);
  }
  for (index_t ih = win.h0; ih < win.h1; ++ih)
    for (index_t iw = win.w0; iw < win.w1; ++iw) {
      if (ih == win.h0 && iw == win.w0) continue;
      const T* __restrict xs = xn + (ih * p.w + iw) * p.c;
      const I at = static_cast<I>(ih * p.w + iw);
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

template <typename T, typename I, bool kArg>
void max_rows_as(T* y, index_t* argmax, const T* x, const Pool2DParams& p, index_t r0, index_t r1) {
  // One AVX-512 register for every ISA: narrower blocks re-walk the window more often, which
  // measured slower on AVX2 and SSE2 than their loop over a 64-byte block.
  constexpr index_t kBlock = 64 / sizeof(T);
  for (index_t r = r0; r < r1; ++r) {
    const index_t n = r / p.oh, oh = r % p.oh;
    for (index_t ow = 0; ow < p.ow; ++ow) {
      const index_t o = ((n * p.oh + oh) * p.ow + ow) * p.c;
      max_window_blocks<T, I, kArg, kBlock>(y + o, kArg ? argmax + o : nullptr, x + n * p.h * p.w * p.c, p,
                                            window_of(p, oh, ow), 0);
    }
  }
}

template <typename T>
void max_rows(T* y, index_t* argmax, const T* x, const Pool2DParams& p, index_t r0, index_t r1) {
  if (!argmax)
    max_rows_as<T, std::int32_t, false>(y, argmax, x, p, r0, r1);
  else if (p.h * p.w <= INT32_MAX)
    max_rows_as<T, std::int32_t, true>(y, argmax, x, p, r0, r1);
  else
    max_rows_as<T, index_t, true>(y, argmax, x, p, r0, r1);
}

// Scatters each image: dx = 0, then dx[argmax] += dy. Skips argmax entries outside [0, H*W) and
// returns how many it skipped, so the caller can raise without checking them all beforehand.
template <typename T>
index_t max_backward_images(T* dx, const T* dy, const index_t* argmax, const Pool2DParams& p, index_t n0, index_t n1) {
  const index_t image = p.h * p.w * p.c, outputs = p.oh * p.ow * p.c, plane = p.h * p.w;
  index_t skipped = 0;
  for (index_t n = n0; n < n1; ++n) {
    T* __restrict dxn = dx + n * image;
    for (index_t i = 0; i < image; ++i) dxn[i] = T(0);
    const index_t* an = argmax + n * outputs;
    const T* dyn = dy + n * outputs;
    for (index_t o = 0; o < outputs; o += p.c)
      for (index_t ci = 0; ci < p.c; ++ci) {
        const index_t a = an[o + ci];
        if (a >= 0 && a < plane)
          dxn[a * p.c + ci] += dyn[o + ci];
        else
          ++skipped;
      }
  }
  return skipped;
}

// Disjoint windows (SH >= KH, SW >= KW) over input rows [r0, r1) of the flattened (n, ih): each dx
// cell is written once, in memory order, with no zero pass: dy where its window's argmax names
// the cell, else 0. Returns how many argmax entries named a cell; when some name none (indices
// not from the forward), the caller redoes the work with the scatter.
template <typename T>
index_t max_backward_disjoint_rows(T* dx, const T* dy, const index_t* argmax, const Pool2DParams& p, index_t r0,
                                   index_t r1) {
  const index_t c = p.c;
  index_t hits = 0;
  for (index_t r = r0; r < r1; ++r) {
    const index_t n = r / p.h, ih = r % p.h;
    T* __restrict row = dx + r * p.w * c;
    const index_t oh = (ih + p.pt) / p.sh;
    if ((ih + p.pt) % p.sh >= p.kh || oh >= p.oh) {  // a row no window covers
      for (index_t i = 0; i < p.w * c; ++i) row[i] = T(0);
      continue;
    }
    index_t done = 0;  // columns of this row written so far
    for (index_t ow = 0; ow < p.ow; ++ow) {
      const Window win = window_of(p, oh, ow);
      for (index_t i = done * c; i < win.w0 * c; ++i) row[i] = T(0);
      const index_t o = ((n * p.oh + oh) * p.ow + ow) * c;
      const index_t* __restrict ao = argmax + o;
      const T* __restrict g = dy + o;
      for (index_t iw = win.w0; iw < win.w1; ++iw) {
        const index_t at = ih * p.w + iw;
        T* __restrict d = row + iw * c;
        for (index_t ci = 0; ci < c; ++ci) {
          const bool mine = ao[ci] == at;
          d[ci] = mine ? g[ci] : T(0);
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
