// ReLU's gradient, vectorised and threaded (see activation.h).
#include "ops/activation.h"

#include "core/parallel.h"
#include "core/threads.h"

namespace fastconv {

template <typename T>
void relu_backward(T* dx, const T* dy, const T* y, index_t n) {
  // Memory-bound: an element (12 bytes moved) weighs 16 flops, as a pooling cell does, so that
  // a CIFAR-sized layer's mask (about a million elements) uses both cores' memory bandwidth.
  parallel_for(n, threads_for_work(16.0 * static_cast<double>(n)), [&](index_t begin, index_t end) {
    T* __restrict out = dx;
    const T* __restrict g = dy;
    const T* __restrict act = y;
    // Both operands loaded unconditionally so the select vectorises: a branch on the sign of
    // y mispredicts half the time on real activations (10x slower).
    for (index_t i = begin; i < end; ++i) {
      const T gi = g[i];
      out[i] = act[i] > T(0) ? gi : T(0);
    }
  });
}

template void relu_backward<float>(float*, const float*, const float*, index_t);
template void relu_backward<double>(double*, const double*, const double*, index_t);

}  // namespace fastconv
