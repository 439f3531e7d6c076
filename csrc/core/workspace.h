// Scratch memory reused across calls: one growable, 64-byte aligned buffer per (thread, slot).
// Allocate on the calling thread before a parallel region (allocation may throw bad_alloc).
#pragma once

#include <cstddef>

#include "core/errors.h"
#include "core/shapes.h"

namespace fastconv {

enum class Scratch { gemm_a = 0, gemm_b, conv_cols, conv_aux, activation_grad, conv_packed_w, conv_pointers, conv_zero,
                     conv_pooled, count };

// At least bytes of this thread's buffer for `slot`; contents are not kept when it grows.
void* scratch_bytes(Scratch slot, std::size_t bytes);

template <typename T>
T* scratch(Scratch slot, index_t count) {
  const index_t bytes = checked_mul(count, static_cast<index_t>(sizeof(T)));
  return static_cast<T*>(scratch_bytes(slot, static_cast<std::size_t>(bytes)));
}

}  // namespace fastconv
