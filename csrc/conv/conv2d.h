// conv2d forward and backward: one entry per pass, dispatching to an algorithm.
// x is (N, H, W, C), w is (KH, KW, CG, OC), y is (N, OH, OW, OC); all dense, row-major.
#pragma once

#include <utility>

#include "conv/conv2d_params.h"
#include "pool/pool2d.h"

namespace fastconv {

// direct: implicit GEMM straight from NHWC x (conv2d_direct.cpp); its backward-input runs for
// stride 1 (one-channel inputs as plane correlations) and its backward-weight for CG >= the
// kernel's MR or one group (else im2col's).
enum class ConvAlgorithm { automatic = 0, reference, im2col, direct };

const char* conv_algorithm_name(ConvAlgorithm algo);
ConvAlgorithm parse_conv_algorithm(const char* name);  // "auto", "reference", "im2col", "direct"
// What `automatic` runs for these params (forward).
ConvAlgorithm choose_conv_algorithm(const Conv2DParams& p);
// What each backward pass runs when asked for `requested` (the direct code covers only some
// geometries of them; the rest falls back to im2col). The dispatchers below use exactly these.
ConvAlgorithm backward_input_algorithm(const Conv2DParams& p, ConvAlgorithm requested);
template <typename T>
ConvAlgorithm backward_weight_algorithm(const Conv2DParams& p, ConvAlgorithm requested);

// y = act(conv(x, w) + bias); bias (OC) may be null.
template <typename T>
void conv2d_forward(T* y, const T* x, const T* w, const T* bias, const Conv2DParams& p, ConvAlgorithm algo);

// dx = conv2d's adjoint applied to dy (overwrites dx). dy is the gradient w.r.t. the output
// before any activation.
template <typename T>
void conv2d_backward_input(T* dx, const T* dy, const T* w, const Conv2DParams& p, ConvAlgorithm algo);

// dw = patches(x)^T dy, db = sum of dy over N, OH, OW (overwrite; db may be null).
template <typename T>
void conv2d_backward_weight(T* dw, T* db, const T* dy, const T* x, const Conv2DParams& p, ConvAlgorithm algo);

// The plain-loop oracles (conv2d_reference.cpp) and im2col + GEMM (conv2d_im2col.cpp).
template <typename T>
void conv2d_forward_reference(T* y, const T* x, const T* w, const T* bias, const Conv2DParams& p);
template <typename T>
void conv2d_backward_input_reference(T* dx, const T* dy, const T* w, const Conv2DParams& p);
template <typename T>
void conv2d_backward_weight_reference(T* dw, T* db, const T* dy, const T* x, const Conv2DParams& p);

template <typename T>
void conv2d_forward_im2col(T* y, const T* x, const T* w, const T* bias, const Conv2DParams& p);
template <typename T>
void conv2d_backward_input_im2col(T* dx, const T* dy, const T* w, const Conv2DParams& p);
template <typename T>
void conv2d_backward_weight_im2col(T* dw, T* db, const T* dy, const T* x, const Conv2DParams& p);
// im2col's input gradient tiled so no patch matrix exists (conv2d_col2im_tiled.cpp): it runs
// when there are at least as many images as threads (each image is owned by one thread).
bool col2im_tiled_applies(const Conv2DParams& p);
template <typename T>
void conv2d_backward_input_col2im_tiled(T* dx, const T* dy, const T* w, const Conv2DParams& p);

template <typename T>
void conv2d_forward_direct(T* y, const T* x, const T* w, const T* bias, const Conv2DParams& p);
// The direct forward followed by max pooling q (q.n, q.h, q.w, q.c = p.n, p.oh, p.ow, p.oc): pooled
// and argmax as maxpool2d_forward's of the convolution's output, which is never stored whole.
template <typename T>
void conv2d_forward_direct_maxpool(T* pooled, index_t* argmax, const T* x, const T* w, const T* bias,
                                   const Conv2DParams& p, const Pool2DParams& q);
// The weight gradient of a convolution followed by max pooling q, from the gradient w.r.t. the
// pooled output and the pool's argmax, with the gradient before pooling never stored whole: for
// few input channels and one group (backward_weight_maxpool_fuses). relu_y (may be null): the
// pooled output of a ReLU convolution, whose mask (y > 0) applies to dpooled. Returns how many
// argmax entries lay outside their image (skipped; dw is then not the gradient).
template <typename T>
bool backward_weight_maxpool_fuses(const Conv2DParams& p);
template <typename T>
index_t conv2d_backward_weight_direct_maxpool(T* dw, T* db, const T* dpooled, const index_t* argmax, const T* relu_y,
                                              const T* x, const Conv2DParams& p, const Pool2DParams& q);
// p and q (q's input being p's output) cut to the rows and columns of p's output that some window
// of q reads: when the windows stop short of the last ones (a 13 x 13 output pooled 2x2 uses
// 12 x 12), those are never pooled, so the fused calls below neither compute them nor (their
// gradient being zero) take them backward. q.index_w stays the whole output's width, so the argmax
// indices are those of the whole output.
std::pair<Conv2DParams, Pool2DParams> pooled_region(const Conv2DParams& p, const Pool2DParams& q);
// Both gradients of a convolution followed by max pooling q, from the pooled gradient and the
// pool's argmax (conv2d_pooled_backward.cpp): the gradient before pooling is rebuilt a few images
// at a time in cache. dx may be null (not needed), db too; relu_y as above. Returns how many
// argmax entries lay outside their image (skipped; the gradients are then not the gradients).
template <typename T>
index_t conv2d_backward_maxpool(T* dx, T* dw, T* db, const T* dpooled, const index_t* argmax, const T* relu_y,
                                const T* x, const T* w, const Conv2DParams& p, const Pool2DParams& q);
// Whether conv2d_backward_input_direct handles p (stride 1, padding within the kernel's reach).
bool direct_backward_input_applies(const Conv2DParams& p);
template <typename T>
void conv2d_backward_input_direct(T* dx, const T* dy, const T* w, const Conv2DParams& p);
// The direct input gradient of a one-channel layer (stride 1, no column dilation): OC plane
// correlations along the pixels (conv2d_backward_input_planar.cpp).
bool planar_backward_input_applies(const Conv2DParams& p);
template <typename T>
void conv2d_backward_input_planar(T* dx, const T* dy, const T* w, const Conv2DParams& p);
// Whether conv2d_backward_weight_direct handles p (CG at least the kernel's MR channels).
template <typename T>
bool direct_backward_weight_applies(const Conv2DParams& p);
template <typename T>
void conv2d_backward_weight_direct(T* dw, T* db, const T* dy, const T* x, const Conv2DParams& p);

}  // namespace fastconv
