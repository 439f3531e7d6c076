// Validation and output geometry of a pooling call (see pool2d.h).
#include "core/errors.h"
#include "pool/pool2d.h"

namespace fastconv {

Pool2DParams make_pool2d_params(index_t n, index_t h, index_t w, index_t c, index_t kh, index_t kw,
                                index_t sh, index_t sw, Pad1D pad_h, Pad1D pad_w, bool count_include_pad) {
  FC_CHECK(n >= 0 && h >= 1 && w >= 1 && c >= 1, "pool2d: bad sizes N=", n, " H=", h, " W=", w, " C=", c);
  FC_CHECK(kh >= 1 && kw >= 1, "pool2d: pool size must be >= 1, got (", kh, ", ", kw, ")");
  FC_CHECK(sh >= 1 && sw >= 1, "pool2d: strides must be >= 1, got (", sh, ", ", sw, ")");
  FC_CHECK(pad_h.begin >= 0 && pad_h.end >= 0 && pad_w.begin >= 0 && pad_w.end >= 0 && pad_h.begin < kh &&
               pad_h.end < kh && pad_w.begin < kw && pad_w.end < kw,
           "pool2d: padding must be >= 0 and smaller than the pool size");
  const ConvAxis y = make_conv_axis(h, kh, sh, pad_h, 1), x = make_conv_axis(w, kw, sw, pad_w, 1);
  FC_CHECK(y.o >= 1 && x.o >= 1, "pool2d: pool size (", kh, ", ", kw, ") is larger than the padded input: H=", h,
           " padded by (", pad_h.begin, ", ", pad_h.end, "), W=", w, " padded by (", pad_w.begin, ", ", pad_w.end, ")");
  check_padded_size("pool2d", n, y, x, c);
  checked_mul(n, h, w, c);
  checked_mul(n, y.o, x.o, c);
  return Pool2DParams{n, h, w, c, kh, kw, y.s, x.s, y.pad.begin, y.pad.end, x.pad.begin, x.pad.end,
                      y.o, x.o, count_include_pad, w};
}

}  // namespace fastconv
