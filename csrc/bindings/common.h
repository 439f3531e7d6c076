// Helpers every binding file shares: dtype dispatch, checked raw pointers, shape tuples.
// Bindings convert and check briefly; real validation lives in the C++ params constructors.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <string>
#include <vector>

#include "core/block_cache.h"
#include "core/errors.h"
#include "core/geometry.h"
#include "core/shapes.h"

namespace fastconv::bindings {

namespace py = pybind11;

// The dtype name, for error messages.
inline std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// Equality, not identity: an unpickled array's dtype is an equal but distinct object.
template <typename T>
bool has_dtype(const py::array& a) {
  const py::dtype want = py::dtype::of<T>();
  const py::dtype got = a.dtype();
  return got.is(want) || got.equal(want);
}

inline bool is_float32(const py::array& a) { return has_dtype<float>(a); }
inline bool is_float64(const py::array& a) { return has_dtype<double>(a); }

// Calls f(T{}) with T = float or double by x's dtype; anything else is a TypeError.
template <typename F>
auto dispatch_float(const py::array& x, const char* what, F&& f) {
  if (is_float32(x)) return f(float{});
  if (is_float64(x)) return f(double{});
  throw py::type_error(concat(what, ": dtype must be float32 or float64, got ", dtype_name(x)));
}

// Checks that `a` is a C-contiguous array of T with `ndim` dimensions; returns its data.
template <typename T>
const T* checked_data(const py::array& a, const char* name, py::ssize_t ndim) {
  if (!has_dtype<T>(a))
    throw py::type_error(concat(name, ": dtype must be ", py::str(py::dtype::of<T>()).cast<std::string>(),
                                ", got ", dtype_name(a)));
  FC_CHECK(a.ndim() == ndim, name, ": expected ", ndim, " dimensions, got ", a.ndim());
  FC_CHECK(a.flags() & py::array::c_style, name, ": must be C-contiguous");
  return static_cast<const T*>(a.data());
}

inline index_t dim(const py::array& a, int i) { return static_cast<index_t>(a.shape(i)); }

// A new C-contiguous output array; large ones take their memory from the engine's block cache
// (core/block_cache.h) and give it back when NumPy frees them.
template <typename T>
py::array_t<T> new_array(const std::vector<index_t>& shape) {
  std::vector<py::ssize_t> s(shape.begin(), shape.end());
  index_t count = 1;
  for (index_t d : shape) count = checked_mul(count, d);
  const index_t bytes = checked_mul(count, static_cast<index_t>(sizeof(T)));
  if (static_cast<std::size_t>(bytes) < kMinCachedBytes) return py::array_t<T>(s);
  void* block = block_acquire(static_cast<std::size_t>(bytes));
  py::capsule owner(block, [](void* b) { block_release(b); });
  return py::array_t<T>(s, static_cast<T*>(block), owner);
}

template <typename T>
T* mutable_data(py::array_t<T>& a) {
  return a.mutable_data();
}

using Pair = std::array<index_t, 2>;
using Pads = std::array<index_t, 4>;  // top, bottom, left, right

inline Pad1D pad_h(const Pads& p) { return {p[0], p[1]}; }
inline Pad1D pad_w(const Pads& p) { return {p[2], p[3]}; }

void register_config(py::module_& m);
void register_gemm(py::module_& m);
void register_conv(py::module_& m);
void register_pool(py::module_& m);
void register_ops(py::module_& m);
void register_signal(py::module_& m);
void register_kernels(py::module_& m);

}  // namespace fastconv::bindings
