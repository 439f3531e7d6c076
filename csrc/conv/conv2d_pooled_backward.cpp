// Both gradients of a convolution followed by max pooling, from the gradient w.r.t. the pooled
// output: the gradient before pooling is rebuilt a group of images at a time in a buffer that
// stays in cache, and the group's input gradient and weight-gradient part are computed from
// there. Unfused, that tensor (the largest of the step after the convolution's own output) would
// be written to memory by the pool's backward and read back twice. Also pooled_region, the part of
// the convolution's output a pool reads, which every fused conv + pool call keeps to. Not the
// few-channel weight gradient of the first layer (conv2d_backward_weight_direct_maxpool).
#include <algorithm>

#include "conv/conv2d.h"
#include "core/workspace.h"

namespace fastconv {

std::pair<Conv2DParams, Pool2DParams> pooled_region(const Conv2DParams& p, const Pool2DParams& q) {
  // Windows start at row -pt of the output, every SH rows; without bottom padding the last one
  // may end above the last row. Likewise for columns.
  const index_t rows = q.pb == 0 ? std::min(q.h, (q.oh - 1) * q.sh - q.pt + q.kh) : q.h;
  const index_t cols = q.pr == 0 ? std::min(q.w, (q.ow - 1) * q.sw - q.pl + q.kw) : q.w;
  Conv2DParams cut = p;
  Pool2DParams pool = q;
  if (rows > 0 && cols > 0) {
    cut.oh = pool.h = rows;
    cut.ow = pool.w = cols;  // pool.index_w stays the whole output's width
  }
  return {cut, pool};
}

template <typename T>
index_t conv2d_backward_maxpool(T* dx, T* dw, T* db, const T* dpooled, const index_t* argmax, const T* relu_y,
                                const T* x, const T* w, const Conv2DParams& p_whole, const Pool2DParams& q_whole) {
  const auto [p, q] = pooled_region(p_whole, q_whole);
  // A group's gradient before pooling is about the size of two cores' L2 (1 MB each on the machine
  // measured): for the course's second layer at batch 128 the step's backward pair ran 8% faster
  // than unfused, against 3% with groups of a quarter of that; smaller batches are one group.
  constexpr index_t kGroupBytes = index_t(2) << 20;
  const index_t out_image = p.oh * p.ow * p.oc, in_image = p.h * p.w * p.c, pooled_image = q.oh * q.ow * q.c;
  const index_t per_group = std::clamp<index_t>(kGroupBytes / std::max<index_t>(1, out_image * index_t(sizeof(T))),
                                                1, std::max<index_t>(p.n, 1));
  const index_t dw_size = p.kh * p.kw * p.cg() * p.oc;
  T* dense = scratch<T>(Scratch::conv_pooled, checked_mul(per_group, out_image));
  T* part = scratch<T>(Scratch::activation_grad, dw_size + p.oc);  // a later group's dw, then db
  index_t skipped = 0;
  for (index_t n0 = 0; n0 < p.n; n0 += per_group) {
    Conv2DParams group = p;
    group.n = std::min(per_group, p.n - n0);
    Pool2DParams pooled = q;
    pooled.n = group.n;
    skipped += maxpool2d_backward<T>(dense, dpooled + n0 * pooled_image, argmax + n0 * pooled_image,
                                     relu_y ? relu_y + n0 * pooled_image : nullptr, pooled);
    if (dx) conv2d_backward_input<T>(dx + n0 * in_image, dense, w, group, ConvAlgorithm::automatic);
    if (n0 == 0) {
      conv2d_backward_weight<T>(dw, db, dense, x, group, ConvAlgorithm::automatic);
      continue;
    }
    // Summed group by group in order: the same result for a given batch and thread count.
    conv2d_backward_weight<T>(part, db ? part + dw_size : nullptr, dense, x + n0 * in_image, group,
                              ConvAlgorithm::automatic);
    for (index_t i = 0; i < dw_size; ++i) dw[i] += part[i];
    if (db)
      for (index_t o = 0; o < p.oc; ++o) db[o] += part[dw_size + o];
  }
  return skipped;
}

template index_t conv2d_backward_maxpool<float>(float*, float*, float*, const float*, const index_t*, const float*,
                                                const float*, const float*, const Conv2DParams&, const Pool2DParams&);
template index_t conv2d_backward_maxpool<double>(double*, double*, double*, const double*, const index_t*,
                                                 const double*, const double*, const double*, const Conv2DParams&,
                                                 const Pool2DParams&);

}  // namespace fastconv
