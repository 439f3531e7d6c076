// Max and average pooling over NHWC, forward and backward, with plain-loop references beside.
// x is (N, H, W, C), y is (N, OH, OW, C); argmax holds, per output element, ih * W + iw.
#pragma once

#include "core/geometry.h"
#include "core/shapes.h"

namespace fastconv {

struct Pool2DParams {
  index_t n, h, w, c;
  index_t kh, kw, sh, sw;
  index_t pt, pb, pl, pr;
  index_t oh, ow;
  bool count_include_pad;  // average pooling: divide by KH*KW rather than the real cells
  // The row width of max pooling's argmax indices (ih * index_w + iw): W, except when the input
  // is the left part of a wider tensor, whose indices they are (the fused calls, rows_pooled).
  index_t index_w;
};

// Checks sizes (window no larger than the padded input, padding smaller than the window) and
// computes OH, OW.
Pool2DParams make_pool2d_params(index_t n, index_t h, index_t w, index_t c, index_t kh, index_t kw,
                                index_t sh, index_t sw, Pad1D pad_h, Pad1D pad_w, bool count_include_pad);

// y = max over each window (padding never wins); NaN propagates; argmax (may be null) records the
// first maximum in (kh, kw) order, or the first NaN.
template <typename T>
void maxpool2d_forward(T* y, index_t* argmax, const T* x, const Pool2DParams& p);
// dx = 0, then dx[argmax] += dy (windows may overlap). Skips argmax entries outside [0, H*W) and
// returns how many it skipped (dx is then not the gradient). relu_y (may be null): the pooled
// output of a pool over ReLU outputs; only the dy where it is positive pass (the ReLU's mask).
template <typename T>
index_t maxpool2d_backward(T* dx, const T* dy, const index_t* argmax, const T* relu_y, const Pool2DParams& p);

template <typename T>
void avgpool2d_forward(T* y, const T* x, const Pool2DParams& p);
// dx = 0, then each window's cells get dy / count.
template <typename T>
void avgpool2d_backward(T* dx, const T* dy, const Pool2DParams& p);

template <typename T>
void maxpool2d_forward_reference(T* y, index_t* argmax, const T* x, const Pool2DParams& p);
template <typename T>
void maxpool2d_backward_reference(T* dx, const T* dy, const index_t* argmax, const T* relu_y, const Pool2DParams& p);
template <typename T>
void avgpool2d_forward_reference(T* y, const T* x, const Pool2DParams& p);
template <typename T>
void avgpool2d_backward_reference(T* dx, const T* dy, const Pool2DParams& p);

}  // namespace fastconv
