// Output-size and padding arithmetic for convolution and pooling, and the canonical form of one
// spatial axis that every kernel reads: the one place it lives (bound to Python as
// fastconv.conv_output_size / pool_output_size). Not argument parsing.
#pragma once

#include <string>
#include <utility>

#include "core/shapes.h"

namespace fastconv {

// Padding of one spatial axis.
struct Pad1D {
  index_t begin = 0;
  index_t end = 0;
};

// The engine's bound on a padded tensor, N * (H + PT + PB) * (W + PL + PR) * max(C, OC) elements:
// every address a kernel computes, padding included, lies inside it, so sums of a few addresses
// (and the transposed problem of the input gradient) stay far inside 64 bits.
constexpr index_t kMaxPaddedElements = index_t(1) << 60;

// o = floor((i + p_begin + p_end - d*(k-1) - 1) / s) + 1, exact for any 64-bit arguments (computed
// in 128 bits); 0 when nothing fits; std::overflow_error when o itself passes 64 bits.
index_t conv_output_size(index_t i, index_t k, index_t s, Pad1D p, index_t d);

// Padding for a named mode: "valid" (none), "same" (TensorFlow's rule: output ceil(i/s),
// the odd extra row/column at the end), "full" (d*(k-1) on both sides). Exact;
// std::overflow_error when the padding passes 64 bits.
Pad1D resolve_padding(const std::string& mode, index_t i, index_t k, index_t s, index_t d);

// One spatial axis of a convolution or pooling: input i, kernel k, stride s, dilation d, padding,
// output o = conv_output_size(...). Canonical when o >= 1: the end padding cut to what the last
// window reaches, the dilation 1 when there is one tap and the stride no larger than the span
// when there is one output (neither is then ever multiplied). o is unchanged, every output reads
// the same inputs as before, and every field is at most the padded extent i + pad.begin + pad.end.
struct ConvAxis {
  index_t i, k, s, d;
  Pad1D pad;
  index_t o;
};

// Validates (i >= 0, k, s, d >= 1, padding >= 0) and returns the canonical axis; o may be 0 (the
// caller says why that is an error in its own terms).
ConvAxis make_conv_axis(index_t i, index_t k, index_t s, Pad1D pad, index_t d);

// std::overflow_error naming `what` unless n * (i + pads of h) * (i + pads of w) * c fits
// kMaxPaddedElements.
void check_padded_size(const char* what, index_t n, const ConvAxis& h, const ConvAxis& w, index_t c);

}  // namespace fastconv
