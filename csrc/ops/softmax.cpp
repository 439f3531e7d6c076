// Row-wise softmax and softmax cross-entropy (see softmax.h): the arithmetic of
// fastconv.activations.softmax and losses' from-logits cross-entropy without NumPy's temporaries.
#include "ops/softmax.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/parallel.h"
#include "core/threads.h"

namespace fastconv {

namespace {
// exp dominates: count ~20 flops an element so only large batches use threads.
int softmax_threads(index_t n, index_t c) { return threads_for_work(20.0 * static_cast<double>(n) * c); }

// out[j] = exp(z[j] - m) for the row's maximum m (so no exp overflows); returns m and the sum.
template <typename T>
std::pair<T, T> shifted_exp(T* out, const T* z, index_t c) {
  T m = z[0];
  for (index_t j = 1; j < c; ++j) m = std::max(m, z[j]);
  T sum = 0;
  for (index_t j = 0; j < c; ++j) {
    out[j] = std::exp(z[j] - m);
    sum += out[j];
  }
  return {m, sum};
}
}  // namespace

template <typename T>
void softmax_rows(T* p, const T* z, index_t n, index_t c) {
  if (c <= 0) return;
  parallel_for(n, softmax_threads(n, c), [&](index_t r0, index_t r1) {
    for (index_t i = r0; i < r1; ++i) {
      const T* zi = z + i * c;
      T* pi = p + i * c;
      const T sum = shifted_exp(pi, zi, c).second;
      for (index_t j = 0; j < c; ++j) pi[j] /= sum;
    }
  });
}

template <typename T>
void softmax_cross_entropy(T* loss, T* grad, const T* z, const T* y, index_t n, index_t c) {
  if (c <= 0) {
    std::fill(loss, loss + n, T(0));
    return;
  }
  parallel_for(n, softmax_threads(n, c), [&](index_t r0, index_t r1) {
    for (index_t i = r0; i < r1; ++i) {
      const T* zi = z + i * c;
      const T* yi = y + i * c;
      T* gi = grad + i * c;
      const auto [m, sum] = shifted_exp(gi, zi, c);
      const T lse = std::log(sum);
      T l = 0, total = 0;
      for (index_t j = 0; j < c; ++j) {
        l += yi[j] * ((zi[j] - m) - lse);
        total += yi[j];
      }
      for (index_t j = 0; j < c; ++j) gi[j] = gi[j] / sum * total - yi[j];
      loss[i] = -l;
    }
  });
}

template <typename T>
void sparse_softmax_cross_entropy(T* loss, T* grad, const T* z, const index_t* labels, index_t n, index_t c) {
  parallel_for(n, softmax_threads(n, c), [&](index_t r0, index_t r1) {
    for (index_t i = r0; i < r1; ++i) {
      const T* zi = z + i * c;
      T* gi = grad + i * c;
      const auto [m, sum] = shifted_exp(gi, zi, c);
      // softmax_cross_entropy's arithmetic with one y[i, j] = 1: the other terms add exact zeros.
      for (index_t j = 0; j < c; ++j) gi[j] = gi[j] / sum;
      gi[labels[i]] -= T(1);
      loss[i] = -((zi[labels[i]] - m) - std::log(sum));
    }
  });
}

template void softmax_rows<float>(float*, const float*, index_t, index_t);
template void softmax_rows<double>(double*, const double*, index_t, index_t);
template void softmax_cross_entropy<float>(float*, float*, const float*, const float*, index_t, index_t);
template void softmax_cross_entropy<double>(double*, double*, const double*, const double*, index_t, index_t);
template void sparse_softmax_cross_entropy<float>(float*, float*, const float*, const index_t*, index_t, index_t);
template void sparse_softmax_cross_entropy<double>(double*, double*, const double*, const index_t*, index_t, index_t);

}  // namespace fastconv
