// Softmax over the last axis of (N, C) rows, and its cross-entropy with soft or integer labels,
// each in one pass. Not the reductions over rows (Python's Loss does those).
#pragma once

#include "core/shapes.h"

namespace fastconv {

// p[i, :] = exp(z[i, :] - max) / sum(exp(z[i, :] - max)); z and p are (n, c).
template <typename T>
void softmax_rows(T* p, const T* z, index_t n, index_t c);

// With log_p = z - max - log(sum(exp(z - max))) per row:
// loss[i] = -sum_j y[i, j] * log_p[i, j], grad[i, j] = p[i, j] * sum_j y[i, j] - y[i, j] with
// p = softmax(z) (the gradient w.r.t. z). loss is (n,), grad, z, y are (n, c).
template <typename T>
void softmax_cross_entropy(T* loss, T* grad, const T* z, const T* y, index_t n, index_t c);

// The same with y the one-hot rows of labels (n,), each in [0, c), without the one-hot matrix:
// bitwise the same results for finite z.
template <typename T>
void sparse_softmax_cross_entropy(T* loss, T* grad, const T* z, const index_t* labels, index_t n, index_t c);

}  // namespace fastconv
