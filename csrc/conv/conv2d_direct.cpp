// conv2d as a direct / implicit GEMM over NHWC: every tile of MR output pixels reads its patches
// straight from x through per-tap row pointers (an indirection buffer of KH*KW*MR pointers built
// per tile, padding pointing at a zero row), so no im2col buffer and no packed A exist. Bias and
// ReLU are fused into the micro-kernel's store. Not the micro-kernels (gemm/f32_igemm_*.cpp).
//
// Forward for any geometry; the input gradient of a stride-1 convolution is itself a stride-1
// convolution of dy (flipped, transposed weights), so it runs here too; other strides use im2col.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>
#include <vector>

#include "conv/conv2d.h"
#include "core/parallel.h"
#include "core/threads.h"
#include "core/workspace.h"
#include "gemm/gemm_kernels.h"
#include "pool/pool2d_ukernels.h"

namespace fastconv {

namespace {

index_t round_up(index_t x, index_t to) { return (x + to - 1) / to * to; }

// Where the taps of an output pixel start in x: the geometry copied into locals (so stores of
// pointers cannot make the compiler reload it) and the range of output pixels whose whole window
// is inside x, which get their pointers from one base address.
template <typename T>
struct TapAddresses {
  const T* x;      // x, offset to the group's first channel
  const T* zeros;  // a zero row, long enough for one tap
  index_t h, w, c, sh, sw, pt, pl, dh, dw, kh, kw, oh, ow;
  index_t oh0, oh1, ow0, ow1;  // interior: oh in [oh0, oh1) and ow in [ow0, ow1)

  TapAddresses(const Conv2DParams& p, const T* x_, const T* zeros_)
      : x(x_), zeros(zeros_), h(p.h), w(p.w), c(p.c), sh(p.sh), sw(p.sw), pt(p.pt), pl(p.pl), dh(p.dh), dw(p.dw),
        kh(p.kh), kw(p.kw), oh(p.oh), ow(p.ow) {
    auto range = [](index_t in, index_t out, index_t s, index_t pad, index_t reach, index_t& lo, index_t& hi) {
      // o*s - pad >= 0 and o*s - pad + reach <= in - 1
      lo = std::min(out, (pad + s - 1) / s);
      const index_t top = in - 1 + pad - reach;
      hi = top < 0 ? lo : std::max(lo, std::min(out, top / s + 1));
    };
    range(p.h, p.oh, sh, pt, dh * (kh - 1), oh0, oh1);
    range(p.w, p.ow, sw, pl, dw * (kw - 1), ow0, ow1);
  }

  bool interior(index_t y, index_t x_) const { return y >= oh0 && y < oh1 && x_ >= ow0 && x_ < ow1; }
  // Whether output pixels m0 .. m0 + rows - 1 (flattened n, oh, ow; rows >= 1) are all interior.
  bool all_interior(index_t m0, index_t rows) const {
    const index_t m1 = m0 + rows - 1, y0 = (m0 / ow) % oh, y1 = (m1 / ow) % oh;
    if (m0 / ow == m1 / ow) return interior(y0, m0 % ow) && interior(y0, m1 % ow);  // one output row
    const bool rows_ok = m0 / (ow * oh) == m1 / (ow * oh) ? y0 >= oh0 && y1 < oh1 : oh0 == 0 && oh1 == oh;
    return rows_ok && ow0 == 0 && ow1 == ow;
  }
  index_t offset(index_t n, index_t y, index_t x_) const { return ((n * h + y * sh - pt) * w + x_ * sw - pl) * c; }
  const T* base(index_t n, index_t y, index_t x_) const { return x + offset(n, y, x_); }  // interior pixels only

  // The indirection of one tile: output pixels m0 .. m0 + rows - 1 (flattened n, oh, ow) as rows
  // 0 .. rows-1 of ptrs[t * MR + i] (t: tap, or kernel row when `merged`); rows >= `rows` read
  // the zero row. Returns the kernel rows [lo, hi) outside which every pixel of the tile reads
  // only padding (hi > lo), so the caller can skip those taps. Kept out of line so its loop
  // state lives in registers.
  __attribute__((noinline)) std::pair<index_t, index_t> tile(index_t m0, index_t rows, index_t mr, index_t taps,
                                                             bool merged, const T** ptrs, T* spill,
                                                             index_t spill_stride) const {
    index_t x_ = m0 % ow, y = (m0 / ow) % oh, n = m0 / (ow * oh);
    index_t lo = kh, hi = 0;
    // Interior pixels of one output row are sw*C apart: step a base pointer instead of
    // recomputing it, and store the taps (or kernel rows) as fixed offsets from it.
    const index_t row_step = dh * w * c, col_step = dw * c, pixel_step = sw * c;
    if (rows == mr && all_interior(m0, rows)) {
      // Every pixel reads only x (every tile of a valid convolution): row by row, with no
      // per-pixel tests, the taps' offsets fixed.
      index_t i = 0;
      while (i < rows) {
        const index_t run = std::min(rows - i, ow - x_);
        const T* b = x + offset(n, y, x_);
        for (index_t r = 0; r < kh; ++r) {
          if (merged) {
            const T** out = ptrs + r * mr + i;
            for (index_t j = 0; j < run; ++j) out[j] = b + r * row_step + j * pixel_step;
          } else {
            for (index_t q = 0; q < kw; ++q) {
              const T** out = ptrs + (r * kw + q) * mr + i;
              for (index_t j = 0; j < run; ++j) out[j] = b + r * row_step + q * col_step + j * pixel_step;
            }
          }
        }
        i += run;
        x_ = 0;
        if (++y == oh) y = 0, ++n;
      }
      return {0, kh};
    }
    bool row_inside = y >= oh0 && y < oh1;
    index_t cur = offset(n, y, x_);  // an offset, not a pointer: it may point outside x when unused
    // Kernel rows r with 0 <= y*sh - pt + r*dh < h, for the current output row y.
    auto note_rows = [&] {
      const index_t top = y * sh - pt;
      const index_t r_lo = top >= 0 ? 0 : (-top + dh - 1) / dh;
      const index_t r_hi = top >= h ? 0 : std::min(kh, (h - 1 - top) / dh + 1);
      lo = std::min(lo, r_lo);
      hi = std::max(hi, r_hi);
    };
    if (rows > 0) note_rows();
    for (index_t i = 0; i < rows; ++i) {
      if (row_inside && x_ >= ow0 && x_ < ow1) {
        const T* b = x + cur;
        if (merged) {
          for (index_t r = 0; r < kh; ++r) ptrs[r * mr + i] = b + r * row_step;
        } else {
          for (index_t r = 0; r < kh; ++r)
            for (index_t j = 0; j < kw; ++j) ptrs[(r * kw + j) * mr + i] = b + r * row_step + j * col_step;
        }
      } else if (merged) {
        this->rows(n, y, x_, ptrs + i, mr, spill + i * spill_stride);
      } else {
        taps_of(n, y, x_, ptrs + i, mr);
      }
      cur += pixel_step;
      if (++x_ == ow) {
        x_ = 0;
        if (++y == oh) y = 0, ++n;
        row_inside = y >= oh0 && y < oh1;
        cur = offset(n, y, 0);
        if (i + 1 < rows) note_rows();
      }
    }
    for (index_t i = rows; i < mr; ++i)
      for (index_t t = 0; t < taps; ++t) ptrs[t * mr + i] = zeros;
    if (hi <= lo) lo = 0, hi = 1;  // all padding: one tap of zeros (the kernel needs ks >= 1)
    return {lo, hi};
  }

  void taps_of(index_t n, index_t oh, index_t ow, const T** out, index_t stride) const {
    if (interior(oh, ow)) {
      const T* b = base(n, oh, ow);
      for (index_t i = 0; i < kh; ++i)
        for (index_t j = 0; j < kw; ++j) out[(i * kw + j) * stride] = b + (i * dh * w + j * dw) * c;
      return;
    }
    const index_t iw0 = ow * sw - pl;
    for (index_t i = 0; i < kh; ++i) {
      const index_t ih = oh * sh - pt + i * dh;
      const T** o = out + i * kw * stride;
      const bool row_ok = ih >= 0 && ih < h;
      const T* xrow = x + (n * h + ih) * w * c;
      for (index_t j = 0; j < kw; ++j) {
        const index_t iw = iw0 + j * dw;
        o[j * stride] = row_ok && iw >= 0 && iw < w ? xrow + iw * c : zeros;
      }
    }
  }

  // With dilation 1 along W and one group, the KW taps of a kernel row read KW*C contiguous
  // values, so a micro-kernel "tap" can be a whole kernel row: KH pointers per pixel instead of
  // KH*KW, and a KW times longer inner loop. A row partly in the padding is copied, with zeros,
  // into `spill` (KH slots of KW*C values), so pointers never leave x.
  void rows(index_t n, index_t oh, index_t ow, const T** out, index_t stride, T* spill) const {
    if (interior(oh, ow)) {
      const T* b = base(n, oh, ow);
      for (index_t i = 0; i < kh; ++i) out[i * stride] = b + i * dh * w * c;
      return;
    }
    const index_t iw0 = ow * sw - pl, seg = kw * c;
    const bool inside = iw0 >= 0 && iw0 + kw - 1 < w;
    for (index_t i = 0; i < kh; ++i) {
      const index_t ih = oh * sh - pt + i * dh;
      if (ih < 0 || ih >= h) {
        out[i * stride] = zeros;
        continue;
      }
      const T* xrow = x + (n * h + ih) * w * c;
      if (inside) {
        out[i * stride] = xrow + iw0 * c;
        continue;
      }
      T* dst = spill + i * seg;
      for (index_t j = 0; j < kw; ++j) {
        const index_t iw = iw0 + j;
        if (iw >= 0 && iw < w)
          std::memcpy(dst + j * c, xrow + iw * c, sizeof(T) * static_cast<std::size_t>(c));
        else
          std::fill(dst + j * c, dst + (j + 1) * c, T(0));
      }
      out[i * stride] = dst;
    }
  }
};

}  // namespace

namespace {

// The direct forward's setup and team, shared by the plain and the pooled entries: packs w, sizes
// the indirection buffers and runs work(tid, nt, tiles) on `threads` threads, where
// tiles(m_begin, m_end, out) computes output pixels [m_begin, m_end) (flattened n, oh, ow) in
// tiles of MR from m_begin and stores pixel m at out + (m - m_begin) * OC.
template <typename T, typename Work>
void run_direct_forward(const T* x, const T* w, const T* bias, const Conv2DParams& p, int threads, Work&& work) {
  // x is (N, H, W, C), w is (KH, KW, CG, OC), y is (N, OH, OW, OC)
  const IgemmKernel<T>& kernel = select_igemm_kernel<T>();
  const index_t mr = kernel.mr, nr = kernel.nr;
  const index_t cg = p.cg(), ocg = p.ocg(), ks = p.kh * p.kw, k = p.k();
  const index_t panels = (ocg + nr - 1) / nr;  // NR-wide column panels per group
  const index_t panel_size = k * nr;
  // Micro-kernel taps: whole kernel rows (KH of KW*CG values) when they are contiguous in x.
  const bool rows_merged = p.dw == 1 && p.g == 1 && p.kw > 1;
  const index_t taps = rows_merged ? p.kh : ks, tap_len = rows_merged ? p.kw * cg : cg;

  // Everything is allocated before the parallel region (allocation may throw).
  T* packed_w = scratch<T>(Scratch::conv_packed_w, checked_mul(p.g * panels, panel_size));
  T* zeros = scratch<T>(Scratch::conv_zero, tap_len);
  std::fill(zeros, zeros + tap_len, T(0));
  // Per-thread slices of the indirection and spill buffers start on their own 128-byte lines: they
  // are rewritten for every tile, and sharing a line between threads would bounce it between cores.
  const index_t pointer_stride = round_up(taps * mr, 16);
  const T** pointers_all = static_cast<const T**>(
      scratch_bytes(Scratch::conv_pointers, static_cast<std::size_t>(checked_mul(threads, pointer_stride, index_t(sizeof(T*))))));
  const index_t spill_size = rows_merged ? round_up(checked_mul(mr, p.kh, tap_len), 128 / index_t(sizeof(T))) : 0;
  T* spill_all = rows_merged ? scratch<T>(Scratch::conv_cols, checked_mul(threads, spill_size)) : nullptr;

  // Pack w into (group, panel) blocks of K x NR, zero-padded past OCG: w is already K x OC.
  auto pack = [&](index_t q0, index_t q1) {
    for (index_t q = q0; q < q1; ++q) {
      const index_t g = q / panels, j0 = (q % panels) * nr, cols = std::min(nr, ocg - j0);
      T* dst = packed_w + q * panel_size;
      const T* src = w + g * ocg + j0;
      for (index_t r = 0; r < k; ++r) {
        for (index_t j = 0; j < cols; ++j) dst[r * nr + j] = src[r * p.oc + j];
        for (index_t j = cols; j < nr; ++j) dst[r * nr + j] = T(0);
      }
    }
  };
  // Small weights are packed before the region, so no thread waits at a barrier for another
  // that the OS has not scheduled yet.
  const bool pack_in_region = checked_mul(p.g * panels, panel_size) > (index_t(1) << 18);
  if (!pack_in_region) pack(0, p.g * panels);

  parallel_region_flushed(threads, [&](int tid, int nt) {
    if (pack_in_region) {
      const auto [q0, q1] = static_split(p.g * panels, tid, nt);
      pack(q0, q1);
      team_barrier(nt);
    }
    const T** ptrs = pointers_all + static_cast<index_t>(tid) * pointer_stride;
    T* spill = rows_merged ? spill_all + static_cast<index_t>(tid) * spill_size : nullptr;
    TapAddresses<T> at(p, x, zeros);
    auto tiles = [&](index_t m_begin, index_t m_end, T* out) {
      for (index_t m0 = m_begin; m0 < m_end; m0 += mr) {
        const index_t rows = std::min(mr, m_end - m0);
        for (index_t g = 0; g < p.g; ++g) {
          // Indirection: ptrs[t * MR + i] = the CG channels of group g that tap t of pixel m0 + i
          // reads, or the zero row (padding, and rows past the last pixel).
          at.x = x + g * cg;
          const auto [r_lo, r_hi] = at.tile(m0, rows, mr, taps, rows_merged, ptrs, spill, p.kh * tap_len);
          // Only the taps of kernel rows [r_lo, r_hi): the others read padding for every pixel.
          const index_t per_row = rows_merged ? 1 : p.kw, t_lo = r_lo * per_row, t_n = (r_hi - r_lo) * per_row;
          // 2nd loop: OCG by NR; 1st: the micro-kernel over the whole reduction.
          for (index_t q = 0; q < panels; ++q) {
            const index_t j0 = q * nr;
            kernel.ukernel(rows, std::min(nr, ocg - j0), t_n, tap_len, ptrs + t_lo * mr,
                           packed_w + (g * panels + q) * panel_size + t_lo * tap_len * nr,
                           out + (m0 - m_begin) * p.oc + g * ocg + j0, p.oc, bias ? bias + g * ocg + j0 : nullptr,
                           p.relu);
          }
        }
      }
    };
    work(tid, nt, tiles);
  });
}

}  // namespace

template <typename T>
void conv2d_forward_direct(T* y, const T* x, const T* w, const T* bias, const Conv2DParams& p) {
  const index_t mr = select_igemm_kernel<T>().mr;
  const index_t pixels = p.n * p.oh * p.ow, tiles = (pixels + mr - 1) / mr;
  int threads = threads_for_work(p.flops());
  threads = static_cast<int>(std::min<index_t>(threads, std::max<index_t>(tiles, 1)));
  // Tiles are taken from a shared counter (each output tile is computed whole by whichever thread
  // takes it, so results do not depend on who), in grabs of about 1/16 of a thread's share: few
  // enough atomics, neighbouring tiles (which share input rows) mostly on one core, and fine
  // enough to rebalance when a thread starts late.
  std::atomic<index_t> next_tile{0};
  const index_t grab = std::max<index_t>(1, tiles / (index_t(threads) * 16));
  run_direct_forward(x, w, bias, p, threads, [&](int, int, auto& compute) {
    for (;;) {
      const index_t t0 = next_tile.fetch_add(grab, std::memory_order_relaxed);
      if (t0 >= tiles) break;
      const index_t m0 = t0 * mr, m1 = std::min(pixels, (t0 + grab) * mr);
      compute(m0, m1, y + m0 * p.oc);
    }
  });
}

template <typename T>
void conv2d_forward_direct_maxpool(T* pooled, index_t* argmax, const T* x, const T* w, const T* bias,
                                   const Conv2DParams& p_whole, const Pool2DParams& q_whole) {
  // Groups of a few images: each is convolved into its thread's buffer, small enough to stay in
  // that core's L2, and pooled from there, so the (N, OH, OW, OC) tensor never reaches memory.
  // Only the rows and columns the pool reads are computed (pooled_region).
  const auto [p, q] = pooled_region(p_whole, q_whole);
  constexpr index_t kBufferBytes = index_t(256) << 10;
  const index_t image_pixels = p.oh * p.ow, image_size = image_pixels * p.oc;
  int threads = threads_for_work(p.flops());
  index_t per_group = std::max<index_t>(1, kBufferBytes / (image_size * index_t(sizeof(T))));
  per_group = std::min(per_group, std::max<index_t>(1, p.n / (4 * index_t(threads))));  // groups to share out
  const index_t groups = (p.n + per_group - 1) / per_group;
  threads = static_cast<int>(std::min<index_t>(threads, std::max<index_t>(groups, 1)));
  T* buffers = scratch<T>(Scratch::conv_pooled, checked_mul(threads, per_group, image_size));
  const PoolKernels<T>& pool = pool_kernels<T>();
  const index_t pooled_image = q.oh * q.ow * q.c;
  std::atomic<index_t> next_group{0};
  run_direct_forward(x, w, bias, p, threads, [&](int tid, int, auto& compute) {
    T* buffer = buffers + static_cast<index_t>(tid) * per_group * image_size;
    for (;;) {
      const index_t group = next_group.fetch_add(1, std::memory_order_relaxed);
      if (group >= groups) break;
      const index_t n0 = group * per_group, n1 = std::min(p.n, n0 + per_group);
      compute(n0 * image_pixels, n1 * image_pixels, buffer);
      Pool2DParams part = q;
      part.n = n1 - n0;
      pool.max_rows(pooled + n0 * pooled_image, argmax + n0 * pooled_image, buffer, part, 0, part.n * q.oh);
    }
  });
}

bool direct_backward_input_applies(const Conv2DParams& p) {
  // Stride 1 and padding no larger than the dilated kernel's reach: then dx is a forward
  // convolution of dy with padding (DH*(KH-1) - PT, DH*(KH-1) - PB, ...), which must be >= 0.
  return p.sh == 1 && p.sw == 1 && p.pt <= p.dh * (p.kh - 1) && p.pb <= p.dh * (p.kh - 1) &&
         p.pl <= p.dw * (p.kw - 1) && p.pr <= p.dw * (p.kw - 1);
}

template <typename T>
void conv2d_backward_input_direct(T* dx, const T* dy, const T* w, const Conv2DParams& p) {
  // dx (N, H, W, C) = conv(dy (N, OH, OW, OC), w') with w'[kh, kw, og, g*CG + c] =
  // w[KH-1-kh, KW-1-kw, c, g*OCG + og]: the kernel flipped and its channel roles swapped per group.
  const index_t cg = p.cg(), ocg = p.ocg();
  T* wt = scratch<T>(Scratch::conv_aux, checked_mul(p.kh, p.kw, ocg, p.c));
  for (index_t kh = 0; kh < p.kh; ++kh)
    for (index_t kw = 0; kw < p.kw; ++kw) {
      const T* src = w + ((p.kh - 1 - kh) * p.kw + (p.kw - 1 - kw)) * cg * p.oc;
      T* dst = wt + (kh * p.kw + kw) * ocg * p.c;
      for (index_t g = 0; g < p.g; ++g)
        for (index_t og = 0; og < ocg; ++og)
          for (index_t c = 0; c < cg; ++c) dst[og * p.c + g * cg + c] = src[c * p.oc + g * ocg + og];
    }
  Conv2DParams q = p;
  q.h = p.oh;
  q.w = p.ow;
  q.c = p.oc;
  q.oc = p.c;
  q.pt = p.dh * (p.kh - 1) - p.pt;
  q.pb = p.dh * (p.kh - 1) - p.pb;
  q.pl = p.dw * (p.kw - 1) - p.pl;
  q.pr = p.dw * (p.kw - 1) - p.pr;
  q.oh = p.h;
  q.ow = p.w;
  q.relu = false;
  conv2d_forward_direct(dx, dy, wt, static_cast<const T*>(nullptr), q);
}

template <typename T>
bool direct_backward_weight_applies(const Conv2DParams& p) {
  // A channel block must fit inside one pixel's CG, or (one group) whole patches are packed.
  return p.cg() >= select_wgrad_kernel<T>(p.cg()).mr || p.g == 1;
}

namespace {

// The weight gradient for few input channels (CG < MR, one group: the RGB layer, the digits
// layer), where there are too few (tap, channel) rows to share among threads: the pixels are cut
// into fixed parts (a number that depends on the geometry only, never on the thread count), each
// reduced by one thread into its own partial dw, and the parts are then summed in order, so the
// result is bitwise the same for any thread count. Within a part, chunks of KC pixels have their
// whole patches (K = KH*KW*C values) packed into a buffer that stays in L1, rows padded to
// Kp = K rounded up to MR; a partial dw is Kp x OCp (OC rounded up to NR), so every tile is full.
// When K % MR != 0 the first padding column of every patch holds 1: that row of the partial is
// sum over pixels of dy, i.e. db, for free.
template <typename T>
struct PackedPatches {
  const Conv2DParams& p;
  const WgradKernel<T>& kernel;
  index_t k, kp, r_blocks, o_blocks, ocp, part_size;

  PackedPatches(const Conv2DParams& p_, const WgradKernel<T>& kernel_) : p(p_), kernel(kernel_) {
    k = p.k();
    kp = (k + kernel.mr - 1) / kernel.mr * kernel.mr;
    r_blocks = kp / kernel.mr;
    o_blocks = (p.oc + kernel.nr - 1) / kernel.nr;
    ocp = o_blocks * kernel.nr;
    part_size = kp * ocp;
  }
  bool db_in_gemm() const { return kp > k; }

  // Rows of seg interior pixels of one output row (stride-1 columns), from the first pixel's
  // window at src: KH runs of RUN = KW*C values each (RUN 0: p.kw * p.c at run time), then the
  // padding columns (a 1 first: the db row).
  template <int RUN>
  void pack_interior(T* dst, const T* src, index_t seg) const {
    const index_t run = RUN ? RUN : p.kw * p.c, row_step = p.dh * p.w * p.c, pixel_step = p.sw * p.c;
    for (index_t i = 0; i < seg; ++i, dst += kp, src += pixel_step) {
      for (index_t kh = 0; kh < p.kh; ++kh) std::memcpy(dst + kh * run, src + kh * row_step, run * sizeof(T));
      for (index_t r = k; r < kp; ++r) dst[r] = r == k ? T(1) : T(0);
    }
  }

  // The row of one pixel whose window may reach into padding or has dilated columns.
  void pack_edge(T* dst, index_t n, index_t oh, index_t ow, const TapAddresses<T>& at) const {
    for (index_t kh = 0; kh < p.kh; ++kh) {
      const index_t ih = oh * p.sh - p.pt + kh * p.dh;
      for (index_t kw = 0; kw < p.kw; ++kw) {
        const index_t iw = ow * p.sw - p.pl + kw * p.dw;
        T* d = dst + (kh * p.kw + kw) * p.c;
        if (ih >= 0 && ih < p.h && iw >= 0 && iw < p.w) {
          const T* src = at.x + ((n * p.h + ih) * p.w + iw) * p.c;
          for (index_t ci = 0; ci < p.c; ++ci) d[ci] = src[ci];
        } else {
          for (index_t ci = 0; ci < p.c; ++ci) d[ci] = T(0);
        }
      }
    }
    for (index_t r = k; r < kp; ++r) dst[r] = r == k ? T(1) : T(0);
  }

  // partial (+)= patches(m0 .. m0 + kc - 1)^T dy, dy holding those pixels' rows of OC values
  // (overwrites when !accumulate). patches: KC x Kp, ptrs: its rows.
  void chunk(T* partial, const T* dy, index_t m0, index_t kc, bool accumulate, T* patches, const T** ptrs,
             const TapAddresses<T>& at) const {
    index_t ow = m0 % p.ow, oh = (m0 / p.ow) % p.oh, n = m0 / (p.ow * p.oh);
    // A segment of pixels within one output row at a time: interior segments copy each pixel's KH
    // runs of KW*C values at fixed steps, with the run length a constant where it is a common one.
    for (index_t j = 0; j < kc;) {
      const index_t seg = std::min(kc - j, p.ow - ow);
      T* dst = patches + j * kp;
      if (p.dw == 1 && oh >= at.oh0 && oh < at.oh1 && ow >= at.ow0 && ow + seg <= at.ow1) {
        const T* src = at.base(n, oh, ow);
        switch (p.kw * p.c) {
          case 3: pack_interior<3>(dst, src, seg); break;   // 3x3 over one channel (the digits layer)
          case 9: pack_interior<9>(dst, src, seg); break;   // 3x3 over RGB
          default: pack_interior<0>(dst, src, seg);
        }
      } else {
        for (index_t i = 0; i < seg; ++i) pack_edge(dst + i * kp, n, oh, ow + i, at);
      }
      j += seg;
      ow += seg;
      if (ow == p.ow) {
        ow = 0;
        if (++oh == p.oh) oh = 0, ++n;
      }
    }
    const index_t mr = kernel.mr, nr = kernel.nr;
    for (index_t rb = 0; rb < r_blocks; ++rb)
      for (index_t ob = 0; ob < o_blocks; ++ob) {
        const index_t o0 = ob * nr;
        kernel.ukernel(kc, ptrs, rb * mr, dy + o0, p.oc, std::min(nr, p.oc - o0), partial + rb * mr * ocp + o0, ocp,
                       accumulate);
      }
  }

  // Runs part(q, partial, tid, chunk_buffers) for parts q in [0, parts) split over the threads,
  // then dw (and db, when given) = the partials summed in part order.
  template <typename Part>
  void reduce(T* dw, T* db, index_t parts, int threads, Part&& part) const {
    const index_t kc_max = kernel.kc;
    T* patches_all = scratch<T>(Scratch::conv_cols, checked_mul(threads, kc_max, kp));
    T* partials = scratch<T>(Scratch::conv_aux, checked_mul(parts, part_size));
    const T** pointers_all = static_cast<const T**>(scratch_bytes(
        Scratch::conv_pointers, static_cast<std::size_t>(checked_mul(threads, kc_max, index_t(sizeof(T*))))));
    parallel_region_flushed(threads, [&](int tid, int nt) {
      T* patches = patches_all + static_cast<index_t>(tid) * kc_max * kp;
      const T** ptrs = pointers_all + static_cast<index_t>(tid) * kc_max;
      for (index_t j = 0; j < kc_max; ++j) ptrs[j] = patches + j * kp;
      const auto [q0, q1] = static_split(parts, tid, nt);
      for (index_t q = q0; q < q1; ++q) part(q, partials + q * part_size, tid, patches, ptrs);
      team_barrier(nt);
      const index_t out_rows = k + (db ? 1 : 0);
      const auto [r0, r1] = static_split(out_rows, tid, nt);
      for (index_t r = r0; r < r1; ++r) {
        T* out = r < k ? dw + r * p.oc : db;
        for (index_t o = 0; o < p.oc; ++o) out[o] = partials[r * ocp + o];
        for (index_t q = 1; q < parts; ++q) {
          const T* src = partials + q * part_size + r * ocp;
          for (index_t o = 0; o < p.oc; ++o) out[o] += src[o];
        }
      }
    });
  }
};

constexpr index_t kPackedParts = 16;

template <typename T>
void backward_weight_packed_patches(T* dw, T* db, const T* dy, const T* x, const Conv2DParams& p,
                                    const WgradKernel<T>& kernel, int threads) {
  const PackedPatches<T> packed(p, kernel);
  const index_t kc_max = kernel.kc, pixels = p.n * p.oh * p.ow, chunks = (pixels + kc_max - 1) / kc_max;
  const index_t parts = std::min(kPackedParts, chunks);
  threads = static_cast<int>(std::min<index_t>(threads, parts));
  packed.reduce(dw, db, parts, threads, [&](index_t q, T* partial, int, T* patches, const T** ptrs) {
    const TapAddresses<T> at(p, x, x);
    const index_t c_begin = q * chunks / parts, c_end = (q + 1) * chunks / parts;
    for (index_t chunk = c_begin; chunk < c_end; ++chunk) {
      const index_t m0 = chunk * kc_max;
      packed.chunk(partial, dy + m0 * p.oc, m0, std::min(kc_max, pixels - m0), chunk > c_begin, patches, ptrs, at);
    }
  });
}

// Whether the weight gradient's tiles may span a whole kernel row (KW*C contiguous values of x,
// TapAddresses::rows): one group, undilated columns, and few output columns whose windows reach
// into the left or right padding (their rows are copied, with zeros, for every chunk).
template <typename T>
bool wgrad_rows_merge(const Conv2DParams& p, index_t edge_columns) {
  return p.g == 1 && p.dw == 1 && 4 * edge_columns <= p.ow && select_wgrad_kernel<T>(p.kw * p.c).mr <= p.kw * p.c;
}

}  // namespace

template <typename T>
void conv2d_backward_weight_direct(T* dw, T* db, const T* dy, const T* x, const Conv2DParams& p) {
  // dw (KH*KW*CG, OC) = sum over output pixels m of patch(m)^T dy(m), db = sum over m of dy(m).
  // Tiles are MR rows of one tap (MR input channels) or, with one group, of one kernel row (MR of
  // its KW*C values, a tile's rows may then span two taps) x NR output channels. Work units
  // (group, tap or kernel row, OC block) are split statically over threads; each runs its row
  // blocks over the pixels in fixed chunks of KC, in order, so every dw element is reduced in an
  // order that does not depend on the thread count. The last row block, when the rows are not a
  // multiple of MR, is shifted back to end at the last row and accumulated in a private tile (its
  // first rows belong to the previous block).
  const index_t cg = p.cg(), ocg = p.ocg(), ks = p.kh * p.kw;
  const index_t pixels = p.n * p.oh * p.ow;
  const TapAddresses<T> geometry(p, x, x);
  const index_t edge_columns = geometry.ow0 + (p.ow - geometry.ow1);  // windows reaching the side padding
  const bool channel_rich = cg >= select_wgrad_kernel<T>(cg).mr;
  const bool merged = channel_rich && wgrad_rows_merge<T>(p, edge_columns);
  // seg: the rows of one tap (or kernel row), taps: how many of those per group.
  const index_t seg = merged ? p.kw * cg : cg, taps = merged ? p.kh : ks;
  const WgradKernel<T>& kernel = select_wgrad_kernel<T>(seg);
  const index_t mr = kernel.mr, nr = kernel.nr, kc_max = kernel.kc, chunks = (pixels + kc_max - 1) / kc_max;
  const index_t c_blocks = (seg + mr - 1) / mr, o_blocks = (ocg + nr - 1) / nr;
  const bool shifted_tail = seg % mr != 0;
  const index_t units = p.g * taps * o_blocks;

  int threads = threads_for_work(p.flops());
  if (!channel_rich && pixels > 0) {
    const WgradKernel<T>& packed_kernel = select_wgrad_kernel<T>(p.k());
    const bool db_in_gemm = p.k() % packed_kernel.mr != 0;
    if (db && !db_in_gemm) {  // no spare patch column: a separate pass over dy
      std::fill(db, db + p.oc, T(0));
      for (index_t m = 0; m < pixels; ++m)
        for (index_t o = 0; o < p.oc; ++o) db[o] += dy[m * p.oc + o];
    }
    backward_weight_packed_patches(dw, db_in_gemm ? db : nullptr, dy, x, p, packed_kernel, threads);
    return;
  }
  threads = static_cast<int>(std::min<index_t>(threads, std::max<index_t>(units, 1)));
  const index_t zero_row = std::max(seg, p.c);  // a tap of every group, or a kernel row
  T* zeros = scratch<T>(Scratch::conv_zero, zero_row);
  std::fill(zeros, zeros + zero_row, T(0));
  T* tails = scratch<T>(Scratch::conv_aux, checked_mul(units, mr, nr));
  // With several threads the tap pointers of every chunk are built once, shared, split among the
  // threads (each would otherwise build all of them); per-thread chunk buffers when that table
  // would be large, or when kernel rows are merged (edge pixels' rows are copied per chunk).
  const bool shared_pointers =
      !merged && threads > 1 && checked_mul(chunks, ks, kc_max, index_t(sizeof(T*))) <= (index_t(64) << 20);
  const index_t pointer_slots = shared_pointers ? chunks : threads;
  const T** pointers_all = static_cast<const T**>(scratch_bytes(
      Scratch::conv_pointers, static_cast<std::size_t>(checked_mul(pointer_slots, taps, kc_max, index_t(sizeof(T*))))));
  // Merged: the copied kernel rows of a chunk's edge pixels, KH of KW*C values each: at most the
  // edge columns of every output row the chunk touches.
  const index_t spill_pixels = merged ? std::min(kc_max, (kc_max / std::max<index_t>(p.ow, 1) + 2) * edge_columns) : 0;
  const index_t spill_size = spill_pixels * p.kh * seg;
  T* spills = scratch<T>(Scratch::conv_cols, checked_mul(threads, std::max<index_t>(spill_size, 1)));

  parallel_region_flushed(threads, [&](int tid, int nt) {
    if (db) {
      // In blocks of 16 columns summed in a local array: db itself could alias dy for all the
      // compiler knows, which would make it load and store db for every pixel.
      const auto [o0, o1] = static_split(p.oc, tid, nt);
      for (index_t ob = o0; ob < o1; ob += 16) {
        const index_t len = std::min<index_t>(16, o1 - ob);
        T acc[16] = {};
        if (len == 16) {  // a fixed trip count keeps acc in registers
          for (index_t m = 0; m < pixels; ++m)
            for (int j = 0; j < 16; ++j) acc[j] += dy[m * p.oc + ob + j];
        } else {
          for (index_t m = 0; m < pixels; ++m)
            for (index_t j = 0; j < len; ++j) acc[j] += dy[m * p.oc + ob + j];
        }
        std::copy(acc, acc + len, db + ob);
      }
    }
    if (pixels == 0) {
      const auto [r0, r1] = static_split(ks * cg, tid, nt);
      for (index_t r = r0; r < r1; ++r) std::fill(dw + r * p.oc, dw + (r + 1) * p.oc, T(0));
      return;
    }
    const TapAddresses<T> at(p, x, zeros);
    T* spill = spills + static_cast<index_t>(tid) * spill_size;
    // ptrs[t * KC + j]: where tap (or kernel row) t of pixel m0 + j starts in x (channel 0), in
    // the spill (a kernel row partly in the left or right padding) or the zero row.
    auto build = [&](index_t chunk, const T** ptrs) {
      const index_t m0 = chunk * kc_max, kc = std::min(kc_max, pixels - m0);
      index_t ow = m0 % p.ow, oh = (m0 / p.ow) % p.oh, n = m0 / (p.ow * p.oh);
      T* next_spill = spill;
      for (index_t j = 0; j < kc; ++j) {
        if (!merged) {
          at.taps_of(n, oh, ow, ptrs + j, kc_max);
        } else if (ow >= at.ow0 && ow < at.ow1) {
          at.rows(n, oh, ow, ptrs + j, kc_max, nullptr);  // never copies: the rows lie inside
        } else {
          at.rows(n, oh, ow, ptrs + j, kc_max, next_spill);
          next_spill += p.kh * seg;
        }
        if (++ow == p.ow) {
          ow = 0;
          if (++oh == p.oh) oh = 0, ++n;
        }
      }
    };
    if (shared_pointers) {
      const auto [c0, c1] = static_split(chunks, tid, nt);
      for (index_t chunk = c0; chunk < c1; ++chunk) build(chunk, pointers_all + chunk * taps * kc_max);
      team_barrier(nt);
    }
    const auto [u0, u1] = static_split(units, tid, nt);
    for (index_t chunk = 0; chunk < chunks; ++chunk) {
      const index_t m0 = chunk * kc_max, kc = std::min(kc_max, pixels - m0);
      const T** ptrs = pointers_all + (shared_pointers ? chunk : static_cast<index_t>(tid)) * taps * kc_max;
      if (!shared_pointers) build(chunk, ptrs);
      const bool accumulate = chunk > 0;
      for (index_t u = u0; u < u1; ++u) {
        const index_t g = u / (taps * o_blocks), t = (u / o_blocks) % taps, o0 = (u % o_blocks) * nr;
        const index_t cols = std::min(nr, ocg - o0);
        const T* b = dy + m0 * p.oc + g * ocg + o0;
        for (index_t cb = 0; cb < c_blocks; ++cb) {
          const bool tail = shifted_tail && cb == c_blocks - 1;
          const index_t c0 = tail ? seg - mr : cb * mr;
          T* c = tail ? tails + u * mr * nr : dw + (t * seg + c0) * p.oc + g * ocg + o0;
          kernel.ukernel(kc, ptrs + t * kc_max, g * cg + c0, b, p.oc, cols, c, tail ? nr : p.oc, accumulate);
        }
      }
    }
    if (shifted_tail) {
      // Copy the tail tiles' new rows ((c_blocks-1)*MR .. seg-1) into dw.
      const index_t first = (c_blocks - 1) * mr, skip = first - (seg - mr);
      for (index_t u = u0; u < u1; ++u) {
        const index_t g = u / (taps * o_blocks), t = (u / o_blocks) % taps, o0 = (u % o_blocks) * nr;
        const index_t cols = std::min(nr, ocg - o0);
        for (index_t i = skip; i < mr; ++i) {
          const T* src = tails + (u * mr + i) * nr;
          T* dst = dw + (t * seg + seg - mr + i) * p.oc + g * ocg + o0;
          for (index_t j = 0; j < cols; ++j) dst[j] = src[j];
        }
      }
    }
  });
}

template <typename T>
bool backward_weight_maxpool_fuses(const Conv2DParams& p) {
  return p.cg() < select_wgrad_kernel<T>(p.cg()).mr && p.g == 1 && p.n > 0;
}

template <typename T>
index_t conv2d_backward_weight_direct_maxpool(T* dw, T* db, const T* dpooled, const index_t* argmax, const T* relu_y,
                                              const T* x, const Conv2DParams& p_whole, const Pool2DParams& q_whole) {
  // As backward_weight_packed_patches, with parts of whole images: each scatters the pooled
  // gradient of a few images at a time into its thread's buffer (small enough to stay in L2) and
  // reduces from there, so the gradient before pooling never exists whole. Only over the rows and
  // columns the pool reads (pooled_region): the gradient of the others is zero.
  const auto [p, q] = pooled_region(p_whole, q_whole);
  constexpr index_t kBufferBytes = index_t(256) << 10;
  const PackedPatches<T> packed(p, select_wgrad_kernel<T>(p.k()));
  const index_t image_pixels = p.oh * p.ow, image_size = image_pixels * p.oc, pooled_image = q.oh * q.ow * q.c;
  const index_t per_group = std::max<index_t>(1, kBufferBytes / (image_size * index_t(sizeof(T))));
  const index_t parts = std::min(kPackedParts, p.n);
  const int threads = static_cast<int>(std::min<index_t>(threads_for_work(p.flops()), parts));
  const bool db_separate = db && !packed.db_in_gemm();
  T* buffers = scratch<T>(Scratch::conv_pooled, checked_mul(threads, per_group, image_size));
  std::vector<index_t> skipped(static_cast<std::size_t>(threads), 0);
  const PoolKernels<T>& pool = pool_kernels<T>();
  // Disjoint windows write each cell of the buffer once (no zero pass, no scatter); not on
  // generic, as in maxpool2d_backward.
  const bool disjoint = q.sh >= q.kh && q.sw >= q.kw && pool.isa != Isa::generic;
  const index_t kc_max = packed.kernel.kc;
  packed.reduce(dw, db_separate ? nullptr : db, parts, threads,
                [&](index_t part, T* partial, int tid, T* patches, const T** ptrs) {
    const TapAddresses<T> at(p, x, x);
    T* buffer = buffers + static_cast<index_t>(tid) * per_group * image_size;
    const index_t n_begin = part * p.n / parts, n_end = (part + 1) * p.n / parts;
    bool first = true;
    for (index_t n0 = n_begin; n0 < n_end; n0 += per_group) {
      const index_t n1 = std::min(n_end, n0 + per_group);
      Pool2DParams group = q;
      group.n = n1 - n0;
      const T* dy_group = dpooled + n0 * pooled_image;
      const index_t* argmax_group = argmax + n0 * pooled_image;
      const T* relu_group = relu_y ? relu_y + n0 * pooled_image : nullptr;
      // The scatter when some argmax names no cell of its window (indices not from the forward).
      if (!disjoint || pool.max_backward_disjoint_rows(buffer, dy_group, argmax_group, relu_group, group, 0,
                                                       group.n * q.h) != group.n * pooled_image)
        skipped[static_cast<std::size_t>(tid)] +=
            pool.max_backward_images(buffer, dy_group, argmax_group, relu_group, group, 0, group.n);
      const index_t m_begin = n0 * image_pixels, m_end = n1 * image_pixels;
      for (index_t m0 = m_begin; m0 < m_end; m0 += kc_max, first = false)
        packed.chunk(partial, buffer + (m0 - m_begin) * p.oc, m0, std::min(kc_max, m_end - m0), !first, patches, ptrs,
                     at);
    }
  });
  if (db_separate) {  // no spare patch column: every pooled gradient lands on one pixel, so db sums them
    std::fill(db, db + p.oc, T(0));
    for (index_t i = 0; i < q.n * q.oh * q.ow; ++i)
      for (index_t o = 0; o < p.oc; ++o)
        if (!relu_y || relu_y[i * p.oc + o] > T(0)) db[o] += dpooled[i * p.oc + o];
  }
  index_t total = 0;
  for (index_t s : skipped) total += s;
  return total;
}

#define FASTCONV_INSTANTIATE(T)                                                                   \
  template bool direct_backward_weight_applies<T>(const Conv2DParams&);                           \
  template void conv2d_backward_weight_direct<T>(T*, T*, const T*, const T*, const Conv2DParams&); \
  template void conv2d_forward_direct_maxpool<T>(T*, index_t*, const T*, const T*, const T*, const Conv2DParams&, \
                                                 const Pool2DParams&);                                        \
  template void conv2d_forward_direct<T>(T*, const T*, const T*, const T*, const Conv2DParams&); \
  template bool backward_weight_maxpool_fuses<T>(const Conv2DParams&);                                   \
  template index_t conv2d_backward_weight_direct_maxpool<T>(T*, T*, const T*, const index_t*, const T*,   \
                                                            const T*, const Conv2DParams&,                \
                                                            const Pool2DParams&);                         \
  template void conv2d_backward_input_direct<T>(T*, const T*, const T*, const Conv2DParams&);
FASTCONV_INSTANTIATE(float)
FASTCONV_INSTANTIATE(double)

}  // namespace fastconv
