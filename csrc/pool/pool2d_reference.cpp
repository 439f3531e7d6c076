// Plain-loop pooling: one output element at a time; the oracle for the tests.
#include <algorithm>
#include <cmath>
#include <vector>

#include "pool/pool2d.h"

namespace fastconv {

template <typename T>
void maxpool2d_forward_reference(T* y, index_t* argmax, const T* x, const Pool2DParams& p) {
  for (index_t n = 0; n < p.n; ++n)
    for (index_t oh = 0; oh < p.oh; ++oh)
      for (index_t ow = 0; ow < p.ow; ++ow)
        for (index_t c = 0; c < p.c; ++c) {
          bool found = false;
          T best = T(0);
          index_t at = -1;
          for (index_t kh = 0; kh < p.kh; ++kh)
            for (index_t kw = 0; kw < p.kw; ++kw) {
              const index_t ih = oh * p.sh - p.pt + kh, iw = ow * p.sw - p.pl + kw;
              if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
              const T v = x[((n * p.h + ih) * p.w + iw) * p.c + c];
              if (!found || (std::isnan(v) && !std::isnan(best)) || v > best) {
                best = v;
                at = ih * p.w + iw;
                found = true;
              }
            }
          const index_t o = ((n * p.oh + oh) * p.ow + ow) * p.c + c;
          y[o] = best;
          if (argmax) argmax[o] = at;
        }
}

template <typename T>
void maxpool2d_backward_reference(T* dx, const T* dy, const index_t* argmax, const T* relu_y, const Pool2DParams& p) {
  std::fill(dx, dx + p.n * p.h * p.w * p.c, T(0));
  for (index_t n = 0; n < p.n; ++n)
    for (index_t o = 0; o < p.oh * p.ow; ++o)
      for (index_t c = 0; c < p.c; ++c) {
        const index_t i = (n * p.oh * p.ow + o) * p.c + c;
        if (argmax[i] >= 0 && (!relu_y || relu_y[i] > T(0))) dx[(n * p.h * p.w + argmax[i]) * p.c + c] += dy[i];
      }
}

namespace {
// Cells of window (oh, ow) inside the input, and the divisor average pooling uses.
index_t window_count(const Pool2DParams& p, index_t oh, index_t ow) {
  if (p.count_include_pad) return p.kh * p.kw;
  const index_t h0 = std::max<index_t>(oh * p.sh - p.pt, 0), h1 = std::min<index_t>(oh * p.sh - p.pt + p.kh, p.h);
  const index_t w0 = std::max<index_t>(ow * p.sw - p.pl, 0), w1 = std::min<index_t>(ow * p.sw - p.pl + p.kw, p.w);
  return std::max<index_t>(h1 - h0, 0) * std::max<index_t>(w1 - w0, 0);
}
}  // namespace

template <typename T>
void avgpool2d_forward_reference(T* y, const T* x, const Pool2DParams& p) {
  for (index_t n = 0; n < p.n; ++n)
    for (index_t oh = 0; oh < p.oh; ++oh)
      for (index_t ow = 0; ow < p.ow; ++ow)
        for (index_t c = 0; c < p.c; ++c) {
          double sum = 0.0;
          for (index_t kh = 0; kh < p.kh; ++kh)
            for (index_t kw = 0; kw < p.kw; ++kw) {
              const index_t ih = oh * p.sh - p.pt + kh, iw = ow * p.sw - p.pl + kw;
              if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
              sum += x[((n * p.h + ih) * p.w + iw) * p.c + c];
            }
          const index_t count = window_count(p, oh, ow);
          y[((n * p.oh + oh) * p.ow + ow) * p.c + c] = static_cast<T>(count > 0 ? sum / count : 0.0);
        }
}

template <typename T>
void avgpool2d_backward_reference(T* dx, const T* dy, const Pool2DParams& p) {
  std::vector<double> acc(static_cast<std::size_t>(p.n * p.h * p.w * p.c), 0.0);
  for (index_t n = 0; n < p.n; ++n)
    for (index_t oh = 0; oh < p.oh; ++oh)
      for (index_t ow = 0; ow < p.ow; ++ow) {
        const index_t count = window_count(p, oh, ow);
        if (count == 0) continue;
        for (index_t c = 0; c < p.c; ++c) {
          const double g = dy[((n * p.oh + oh) * p.ow + ow) * p.c + c] / static_cast<double>(count);
          for (index_t kh = 0; kh < p.kh; ++kh)
            for (index_t kw = 0; kw < p.kw; ++kw) {
              const index_t ih = oh * p.sh - p.pt + kh, iw = ow * p.sw - p.pl + kw;
              if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
              acc[((n * p.h + ih) * p.w + iw) * p.c + c] += g;
            }
        }
      }
  std::transform(acc.begin(), acc.end(), dx, [](double v) { return static_cast<T>(v); });
}

#define FASTCONV_INSTANTIATE(T)                                                                          \
  template void maxpool2d_forward_reference<T>(T*, index_t*, const T*, const Pool2DParams&);            \
  template void maxpool2d_backward_reference<T>(T*, const T*, const index_t*, const T*, const Pool2DParams&);     \
  template void avgpool2d_forward_reference<T>(T*, const T*, const Pool2DParams&);                      \
  template void avgpool2d_backward_reference<T>(T*, const T*, const Pool2DParams&);
FASTCONV_INSTANTIATE(float)
FASTCONV_INSTANTIATE(double)

}  // namespace fastconv
