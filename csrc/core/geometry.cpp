// Output-size and padding arithmetic for convolution and pooling (see geometry.h). Everything is
// computed in 128 bits, where no sum or product of two 64-bit values overflows, and narrowed once.
#include "core/geometry.h"

#include <algorithm>
#include <stdexcept>

#include "core/errors.h"

namespace fastconv {

namespace {

using wide_t = __int128;

std::string to_string(wide_t v) {
  if (v < 0) return "-" + to_string(-v);
  std::string digits;
  do digits.insert(digits.begin(), char('0' + int(v % 10))); while ((v /= 10) > 0);
  return digits;
}

index_t narrow(wide_t v, const char* what) {
  if (v > wide_t(INT64_MAX) || v < wide_t(INT64_MIN))
    throw std::overflow_error(concat("fastconv: ", what, " ", to_string(v), " does not fit in 64 bits"));
  return static_cast<index_t>(v);
}

void check_axis_args(index_t i, index_t k, index_t s, Pad1D p, index_t d) {
  FC_CHECK(i >= 0, "input size must be >= 0, got ", i);
  FC_CHECK(k >= 1, "kernel size must be >= 1, got ", k);
  FC_CHECK(s >= 1, "stride must be >= 1, got ", s);
  FC_CHECK(d >= 1, "dilation must be >= 1, got ", d);
  FC_CHECK(p.begin >= 0 && p.end >= 0, "padding must be >= 0, got (", p.begin, ", ", p.end, ")");
}

// The last input position a window of output o - 1 can read, counted from -p.begin: the span
// i + p.begin + p.end - d*(k-1) - 1 that the strides divide.
wide_t span(index_t i, index_t k, Pad1D p, index_t d) {
  return wide_t(i) + p.begin + p.end - wide_t(d) * (k - 1) - 1;
}

}  // namespace

index_t conv_output_size(index_t i, index_t k, index_t s, Pad1D p, index_t d) {
  check_axis_args(i, k, s, p, d);
  const wide_t room = span(i, k, p, d);
  if (room < 0) return 0;
  return narrow(room / s + 1, "the output size");
}

Pad1D resolve_padding(const std::string& mode, index_t i, index_t k, index_t s, index_t d) {
  FC_CHECK(k >= 1 && s >= 1 && d >= 1, "kernel size, stride and dilation must be >= 1, got ", k, ", ", s, ", ", d);
  const wide_t reach = wide_t(d) * (k - 1);  // the dilated kernel's extent, less one
  if (mode == "valid") return {0, 0};
  if (mode == "full") {
    const index_t side = narrow(reach, "'full' padding");
    return {side, side};
  }
  if (mode == "same") {
    const wide_t out = wide_t(i) / s + (i % s != 0);  // ceil(i / s), i >= 0
    const wide_t total = std::max<wide_t>((out - 1) * s + reach + 1 - i, 0);
    return {narrow(total / 2, "'same' padding"), narrow(total - total / 2, "'same' padding")};
  }
  FC_CHECK(false, "padding must be 'valid', 'same' or 'full', got '", mode, "'");
  return {};
}

ConvAxis make_conv_axis(index_t i, index_t k, index_t s, Pad1D pad, index_t d) {
  ConvAxis a{i, k, s, d, pad, conv_output_size(i, k, s, pad, d)};
  if (a.o < 1) return a;
  if (a.k == 1) a.d = 1;
  // The last window ends at (o-1)*s + d*(k-1) - pad.begin; padding past it is never read.
  // Both products are at most the span (itself below i + pad.begin + pad.end) once o >= 1.
  const wide_t last = wide_t(a.o - 1) * a.s + wide_t(a.d) * (a.k - 1) - pad.begin;
  a.pad.end = static_cast<index_t>(std::clamp<wide_t>(last + 1 - i, 0, pad.end));
  // One output never multiplies its stride: any stride past the span keeps o = 1, and span + 1
  // is the smallest (the input itself may extend past the window, so not 1).
  if (a.o == 1) a.s = static_cast<index_t>(std::min<wide_t>(a.s, span(i, a.k, a.pad, a.d) + 1));
  return a;
}

void check_padded_size(const char* what, index_t n, const ConvAxis& h, const ConvAxis& w, index_t c) {
  const wide_t hp = wide_t(h.i) + h.pad.begin + h.pad.end, wp = wide_t(w.i) + w.pad.begin + w.pad.end;
  // Each factor is below 2^64 and the bound below 2^61, so the products stop before overflowing.
  wide_t elements = std::max<wide_t>(n, 1);
  for (wide_t f : {hp, wp, wide_t(std::max<index_t>(c, 1))}) {
    elements *= f;
    if (elements > kMaxPaddedElements)
      throw std::overflow_error(concat("fastconv: ", what, ": the padded input (", n, ", ", to_string(hp), ", ",
                                       to_string(wp), ", ", c, ") has more than 2^60 elements, "
                                       "the engine's limit (is a stride, dilation or padding far larger than the input?)"));
  }
}

}  // namespace fastconv
