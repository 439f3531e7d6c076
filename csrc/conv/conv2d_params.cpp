// Validation and output geometry of a conv2d call (see conv2d_params.h).
#include "conv/conv2d_params.h"

#include <algorithm>

#include "core/errors.h"

namespace fastconv {

Conv2DParams make_conv2d_params(index_t n, index_t h, index_t w, index_t c, index_t oc, index_t kh,
                                index_t kw, index_t sh, index_t sw, Pad1D pad_h, Pad1D pad_w,
                                index_t dh, index_t dw, index_t g, bool relu) {
  FC_CHECK(n >= 0 && h >= 0 && w >= 0 && c >= 1 && oc >= 1, "conv2d: bad sizes N=", n, " H=", h,
           " W=", w, " C=", c, " OC=", oc);
  FC_CHECK(kh >= 1 && kw >= 1, "conv2d: kernel size must be >= 1, got (", kh, ", ", kw, ")");
  FC_CHECK(sh >= 1 && sw >= 1, "conv2d: strides must be >= 1, got (", sh, ", ", sw, ")");
  FC_CHECK(dh >= 1 && dw >= 1, "conv2d: dilation must be >= 1, got (", dh, ", ", dw, ")");
  FC_CHECK(g >= 1 && c % g == 0 && oc % g == 0, "conv2d: groups=", g, " must divide C=", c,
           " and OC=", oc);
  const ConvAxis y = make_conv_axis(h, kh, sh, pad_h, dh), x = make_conv_axis(w, kw, sw, pad_w, dw);
  FC_CHECK(y.o >= 1 && x.o >= 1, "conv2d: kernel (", kh, ", ", kw, ") with dilation (", dh, ", ", dw,
           ") is larger than the padded input: H=", h, " padded by (", pad_h.begin, ", ", pad_h.end, "), W=", w,
           " padded by (", pad_w.begin, ", ", pad_w.end, ")");
  // The kernels address the padded input and, for the input gradient, the padded dy: both bounded.
  check_padded_size("conv2d", n, y, x, std::max(c, oc));
  // Element counts of every tensor must fit in 64 bits (throws OverflowError otherwise).
  checked_mul(n, h, w, c);
  checked_mul(n, y.o, x.o, oc);
  checked_mul(kh, kw, c, oc);
  checked_mul(n, y.o, x.o, kh, kw, c);
  return Conv2DParams{n, h, w, c, oc, kh, kw, y.s, x.s, y.d, x.d, y.pad.begin, y.pad.end, x.pad.begin, x.pad.end,
                      g, y.o, x.o, relu};
}

}  // namespace fastconv
