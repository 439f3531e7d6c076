// In-place optimizer updates over flat parameter arrays, with the L2 penalty's gradient (2*l2*p)
// fused in, following Keras 3's formulas. Not the optimizers' state bookkeeping (Python keeps it).
#pragma once

#include <vector>

#include "core/shapes.h"

namespace fastconv {

// One parameter array, its gradient and its optimizer state, all of n elements.
template <typename T>
struct ParamArrays {
  T* param;
  const T* grad;
  T* first;   // SGD's velocity (null without momentum), Adam's m
  T* second;  // Adam's v (unused by SGD)
  index_t n;
};

// Each update runs over all the arrays in one threaded pass, their elements split over the
// threads as if concatenated: a model's step is one parallel region, not one per weight. The
// arrays must not overlap.
//
// SGD: g' = g + 2*l2*p. momentum == 0: p -= lr*g'. Otherwise v = momentum*v - lr*g'; p += v, or
// with nesterov p += momentum*v - lr*g'.
template <typename T>
void sgd_update(const std::vector<ParamArrays<T>>& arrays, T lr, T momentum, bool nesterov, T l2);

// Adam: g' = g + 2*l2*p; m = b1*m + (1-b1)*g'; v = b2*v + (1-b2)*g'^2; p -= alpha*m / (sqrt(v) + eps),
// where the caller passes alpha = lr * sqrt(1 - b2^t) / (1 - b1^t) for step t.
template <typename T>
void adam_update(const std::vector<ParamArrays<T>>& arrays, T alpha, T beta1, T beta2, T eps, T l2);

}  // namespace fastconv
