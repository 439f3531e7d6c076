// The input gradient of a one-channel convolution with stride 1 (the digits layer) as a sum of
// OC plane correlations, vectorised along the pixels: the tiled col2im would use 9 of a 32-wide
// tile row for it and add the rest into dx one scalar at a time. Not the channel-rich paths
// (conv2d_direct.cpp, conv2d_col2im_tiled.cpp).
//
// dx padded to HF x WF (HF = H + PT + PB = OH + DH*(KH-1), WF = W + PL + PR = OW + KW - 1) is
//   dxf[r, s] = sum_o sum_{kh, kw} w[kh, kw, 0, o] * dy[r - DH*kh, s - kw, o].
// Each image's dy plane o is laid into an HF x WF frame: DH*(KH-1) rows of zeros, then rows of
// KW-1 zeros followed by the OW values. Frames of consecutive images follow each other as one
// flat row, and dxf is that row's valid correlation with the flipped kernel: a read past the end
// of a frame row lands in the next row's leading zeros, past the last row in the next frame's
// zero rows, so no tap crosses from one image or row into another.
#include <algorithm>
#include <cstring>

#include "conv/conv2d.h"
#include "core/parallel.h"
#include "core/threads.h"
#include "core/workspace.h"
#include "signal/signal_blocking.h"

namespace fastconv {

bool planar_backward_input_applies(const Conv2DParams& p) {
  // The frames hold the padded dx, so padding or a dilated reach far beyond dy and x would make
  // them (and the work) larger than both: those layers take the general paths.
  const index_t frame = (p.h + p.pt + p.pb) * (p.w + p.pl + p.pr);
  return p.c == 1 && p.sh == 1 && p.sw == 1 && p.dw == 1 && frame <= 4 * std::max(p.oh * p.ow, p.h * p.w);
}

template <typename T>
void conv2d_backward_input_planar(T* dx, const T* dy, const T* w, const Conv2DParams& p) {
  if (p.n == 0 || p.h == 0 || p.w == 0) return;
  if (p.oc == 0) {  // no output channel: nothing flows back
    std::fill(dx, dx + p.n * p.h * p.w, T(0));
    return;
  }
  const index_t reach_h = p.dh * (p.kh - 1), reach_w = p.kw - 1;
  // OH x OW may stop short of what H x W allows (pooled_region cuts unread rows and columns):
  // the frames then end in zero rows and columns, which the flat correlation allows.
  const index_t hf = p.h + p.pt + p.pb, wf = p.w + p.pl + p.pr, frame = hf * wf, taps = p.kh * p.kw;
  // Laying dy into planes moves about one value per multiply-add, so this runs near 25 GFLOP/s a
  // core (the digits layer), an eighth of the SIMD speed threads_for_work assumes: its work is
  // weighed accordingly, and the digits layer's 0.65 MFLOP (27 us alone) gets both cores.
  const int threads = static_cast<int>(std::min<index_t>(threads_for_work(8 * p.flops()), p.n));
  // Images per block: the block's OC dy planes about 32 KB, to stay in L1 while the kernel
  // passes over them; never more than a thread's share.
  const index_t share = ceil_div(p.n, threads);
  const index_t per_block = std::clamp<index_t>((index_t(32) << 10) / (p.oc * frame * index_t(sizeof(T))), 1, share);
  // Always the widest kernel, whatever the block: results must not depend on the thread count.
  const CorrelateKernel<T>& kernel = select_correlate_kernel<T>();
  const index_t nb = kernel.nb, out_len = round_up(per_block * frame, nb);
  // A plane is read up to DH*(KH-1) rows and KW-1 values past the last block's start + NB.
  const index_t plane = out_len + reach_h * wf + reach_w;
  const index_t per_thread = p.oc * plane + out_len;

  // w flipped, one KH x KW kernel per output channel, its rows DH frame rows apart.
  T* flipped = scratch<T>(Scratch::conv_packed_w, checked_mul(p.oc, taps));
  for (index_t o = 0; o < p.oc; ++o)
    for (index_t t = 0; t < taps; ++t) flipped[o * taps + t] = w[(taps - 1 - t) * p.oc + o];
  T* buffers = scratch<T>(Scratch::conv_cols, checked_mul(per_thread, threads));

  parallel_region_flushed(threads, [&](int tid, int nt) {
    T* planes = buffers + tid * per_thread;
    T* out = planes + p.oc * plane;
    const auto [first, last] = static_split(p.n, tid, nt);
    for (index_t n0 = first; n0 < last; n0 += per_block) {
      const index_t images = std::min(per_block, last - n0);
      // Zero the planes (frames' zero rows and columns, the tail past the last frame), then lay
      // dy in: each pixel's OC values go one to a plane.
      std::fill(planes, planes + p.oc * plane, T(0));
      for (index_t i = 0; i < images; ++i)
        for (index_t oh = 0; oh < p.oh; ++oh) {
          const T* src = dy + ((n0 + i) * p.oh + oh) * p.ow * p.oc;
          T* row = planes + i * frame + (reach_h + oh) * wf + reach_w;
          for (index_t ow = 0; ow < p.ow; ++ow)
            for (index_t o = 0; o < p.oc; ++o) row[o * plane + ow] = src[ow * p.oc + o];
        }
      const index_t len = round_up(images * frame, nb);
      for (index_t j = 0; j < len; j += nb)
        for (index_t o = 0; o < p.oc; ++o)
          kernel.ukernel(p.kh, p.kw, planes + o * plane + j, p.dh * wf, flipped + o * taps, out + j, o > 0);
      // dx is dxf without its padding rows and columns (C = 1: a pixel is one value).
      for (index_t i = 0; i < images; ++i)
        for (index_t ih = 0; ih < p.h; ++ih)
          std::memcpy(dx + ((n0 + i) * p.h + ih) * p.w, out + i * frame + (ih + p.pt) * wf + p.pl,
                      static_cast<std::size_t>(p.w) * sizeof(T));
    }
  });
}

template void conv2d_backward_input_planar<float>(float*, const float*, const float*, const Conv2DParams&);
template void conv2d_backward_input_planar<double>(double*, const double*, const double*, const Conv2DParams&);

}  // namespace fastconv
