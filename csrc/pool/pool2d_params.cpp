// Validation and output geometry of a pooling call (see pool2d.h).
#include "core/errors.h"
#include "pool/pool2d.h"

namespace fastconv {

Pool2DParams make_pool2d_params(index_t n, index_t h, index_t w, index_t c, index_t kh, index_t kw,
                                index_t sh, index_t sw, Pad1D pad_h, Pad1D pad_w, bool count_include_pad) {
  FC_CHECK(n >= 0 && h >= 1 && w >= 1 && c >= 1, "pool2d: bad sizes N=", n, " H=", h, " W=", w, " C=", c);
  FC_CHECK(kh >= 1 && kw >= 1, "pool2d: pool size must be >= 1, got (", kh, ", ", kw, ")");
  FC_CHECK(sh >= 1 && sw >= 1, "pool2d: strides must be >= 1, got (", sh, ", ", sw, ")");
  FC_CHECK(pad_h.begin < kh && pad_h.end < kh && pad_w.begin < kw && pad_w.end < kw,
           "pool2d: padding must be smaller than the pool size");
  Pool2DParams p{n, h, w, c, kh, kw, sh, sw, pad_h.begin, pad_h.end, pad_w.begin, pad_w.end, 0, 0, count_include_pad, w};
  p.oh = conv_output_size(h, kh, sh, pad_h, 1);
  p.ow = conv_output_size(w, kw, sw, pad_w, 1);
  FC_CHECK(p.oh >= 1 && p.ow >= 1, "pool2d: pool size (", kh, ", ", kw, ") is larger than the padded input (",
           h + pad_h.begin + pad_h.end, ", ", w + pad_w.begin + pad_w.end, ")");
  checked_mul(n, h, w, c);
  return p;
}

}  // namespace fastconv
