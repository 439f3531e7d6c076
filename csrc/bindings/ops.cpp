// Bindings of the in-place optimizer updates and the row-wise softmax ops: every array is checked
// (dtype, C order, writeable, size) before the GIL is released.
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "bindings/common.h"
#include "ops/optimizers.h"
#include "ops/softmax.h"

namespace fastconv::bindings {

namespace {

// The data of a writeable, C-contiguous array of T with `size` elements.
template <typename T>
T* writable(const py::array& a, const char* name, index_t size) {
  if (!has_dtype<T>(a))
    throw py::type_error(concat(name, ": dtype must match the parameter's (", py::str(py::dtype::of<T>()).cast<std::string>(),
                                "), got ", dtype_name(a)));
  FC_CHECK(a.flags() & py::array::c_style, name, ": must be C-contiguous");
  FC_CHECK(a.writeable(), name, ": must be writeable (it is updated in place)");
  FC_CHECK(static_cast<index_t>(a.size()) == size, name, ": must have ", size, " elements like the parameter, got ",
           a.size());
  return static_cast<T*>(const_cast<void*>(a.data()));
}

template <typename T>
void sgd_impl(const py::array& param, const py::array& grad, py::object velocity, double lr, double momentum,
              bool nesterov, double l2) {
  const index_t n = static_cast<index_t>(param.size());
  T* p = writable<T>(param, "param", n);
  const T* g = writable<T>(grad, "grad", n);
  T* v = nullptr;
  if (momentum != 0.0) {
    FC_CHECK(!velocity.is_none(), "sgd_update: momentum needs a velocity array");
    v = writable<T>(velocity.cast<py::array>(), "velocity", n);
  }
  py::gil_scoped_release release;
  sgd_update<T>({{p, g, v, nullptr, n}}, T(lr), T(momentum), nesterov, T(l2));
}

template <typename T>
void adam_impl(const py::array& param, const py::array& grad, const py::array& m, const py::array& v, double alpha,
               double beta1, double beta2, double eps, double l2) {
  const index_t n = static_cast<index_t>(param.size());
  T* p = writable<T>(param, "param", n);
  const T* g = writable<T>(grad, "grad", n);
  T* mp = writable<T>(m, "m", n);
  T* vp = writable<T>(v, "v", n);
  py::gil_scoped_release release;
  adam_update<T>({{p, g, mp, vp, n}}, T(alpha), T(beta1), T(beta2), T(eps), T(l2));
}

bool is_float_array(const py::handle& h) {
  if (!py::isinstance<py::array>(h)) return false;
  const auto a = py::reinterpret_borrow<py::array>(h);
  return is_float32(a) || is_float64(a);
}

// The arrays of a whole model's update (lists of params, grads and of each state slot, or None for
// an unused slot), when every one is what the engine updates in place as it is: ndarrays of T, C
// order, the right sizes, the written ones writeable and no two of them overlapping. Nothing when
// one is not: the caller then updates array by array through the checked path.
template <typename T>
std::optional<std::vector<ParamArrays<T>>> engine_arrays(const py::list& params, const py::list& grads,
                                                         const py::object& firsts, const py::object& seconds) {
  const std::size_t count = params.size();
  const auto slot = [&](const py::object& slots) -> std::optional<py::list> {
    if (slots.is_none()) return py::list();
    if (!py::isinstance<py::list>(slots) || py::len(slots) != count) return std::nullopt;
    return slots.cast<py::list>();
  };
  const auto first = slot(firsts), second = slot(seconds);
  if (grads.size() != count || !first || !second) return std::nullopt;
  const auto data = [](const py::handle& h, index_t n, bool written) -> T* {
    if (!py::isinstance<py::array>(h)) return nullptr;
    const auto a = py::reinterpret_borrow<py::array>(h);
    const bool ok = has_dtype<T>(a) && (a.flags() & py::array::c_style) && (!written || a.writeable()) &&
                    static_cast<index_t>(a.size()) == n;
    return ok ? static_cast<T*>(const_cast<void*>(a.data())) : nullptr;
  };
  std::vector<ParamArrays<T>> arrays;
  std::vector<std::pair<const char*, const char*>> written;  // byte ranges, for the overlap test
  for (std::size_t i = 0; i < count; ++i) {
    if (!py::isinstance<py::array>(params[i])) return std::nullopt;
    const index_t n = static_cast<index_t>(py::reinterpret_borrow<py::array>(params[i]).size());
    ParamArrays<T> a{data(params[i], n, true), data(grads[i], n, false),
                     first->empty() ? nullptr : data((*first)[i], n, true),
                     second->empty() ? nullptr : data((*second)[i], n, true), n};
    if (!a.param || !a.grad || (!first->empty() && !a.first) || (!second->empty() && !a.second)) return std::nullopt;
    for (T* p : {a.param, a.first, a.second})
      if (p && n > 0) written.emplace_back(reinterpret_cast<const char*>(p), reinterpret_cast<const char*>(p + n));
    arrays.push_back(a);
  }
  std::sort(written.begin(), written.end());
  for (std::size_t i = 1; i < written.size(); ++i)
    if (written[i].first < written[i - 1].second) return std::nullopt;
  return arrays;
}

// z as (rows, classes) over its last axis.
std::pair<index_t, index_t> rows_of(const py::array& z, const char* name) {
  FC_CHECK(z.ndim() >= 1, name, ": needs at least one axis");
  const index_t c = dim(z, static_cast<int>(z.ndim()) - 1);
  return {c ? static_cast<index_t>(z.size()) / c : 0, c};
}

template <typename T>
py::array softmax_impl(const py::array& z) {
  const T* zp = checked_data<T>(z, "z", z.ndim());
  const auto [n, c] = rows_of(z, "softmax");
  py::array_t<T> p(std::vector<py::ssize_t>(z.shape(), z.shape() + z.ndim()));
  T* pp = mutable_data(p);
  {
    py::gil_scoped_release release;
    softmax_rows<T>(pp, zp, n, c);
  }
  return std::move(p);
}

template <typename T>
py::tuple softmax_cross_entropy_impl(const py::array& z, const py::array& y) {
  const T* zp = checked_data<T>(z, "z", z.ndim());
  const T* yp = checked_data<T>(y, "y", z.ndim());
  for (py::ssize_t i = 0; i < z.ndim(); ++i)
    FC_CHECK(y.shape(i) == z.shape(i), "softmax_cross_entropy: y must have z's shape");
  const auto [n, c] = rows_of(z, "softmax_cross_entropy");
  py::array_t<T> loss(std::vector<py::ssize_t>(z.shape(), z.shape() + z.ndim() - 1));
  py::array_t<T> grad(std::vector<py::ssize_t>(z.shape(), z.shape() + z.ndim()));
  T* lp = mutable_data(loss);
  T* gp = mutable_data(grad);
  {
    py::gil_scoped_release release;
    softmax_cross_entropy<T>(lp, gp, zp, yp, n, c);
  }
  return py::make_tuple(loss, grad);
}

// Integer labels instead of one-hot rows; None when a label is outside [0, C) (the caller's
// checked path then says which).
template <typename T>
py::object sparse_softmax_cross_entropy_impl(const py::array& z, const py::array& labels) {
  const T* zp = checked_data<T>(z, "z", 2);
  const index_t* lp = checked_data<index_t>(labels, "labels", 1);
  const auto [n, c] = rows_of(z, "sparse_softmax_cross_entropy");
  FC_CHECK(dim(labels, 0) == n, "sparse_softmax_cross_entropy: labels must have one entry per row of z (", n,
           "), got ", dim(labels, 0));
  for (index_t i = 0; i < n; ++i)
    if (lp[i] < 0 || lp[i] >= c) return py::none();
  py::array_t<T> loss(std::vector<py::ssize_t>{static_cast<py::ssize_t>(n)});
  py::array_t<T> grad(std::vector<py::ssize_t>{static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(c)});
  T* lossp = mutable_data(loss);
  T* gp = mutable_data(grad);
  {
    py::gil_scoped_release release;
    sparse_softmax_cross_entropy<T>(lossp, gp, zp, lp, n, c);
  }
  return py::make_tuple(loss, grad);
}

}  // namespace

void register_ops(py::module_& m) {
  m.def("sgd_update", [](const py::array& param, const py::array& grad, py::object velocity, double lr,
                         double momentum, bool nesterov, double l2) {
    dispatch_float(param, "sgd_update", [&](auto t) {
      sgd_impl<decltype(t)>(param, grad, velocity, lr, momentum, nesterov, l2);
      return 0;
    });
  }, py::arg("param"), py::arg("grad"), py::arg("velocity"), py::arg("lr"), py::arg("momentum"), py::arg("nesterov"),
     py::arg("l2"));
  m.def("adam_update", [](const py::array& param, const py::array& grad, const py::array& m_, const py::array& v,
                          double alpha, double beta1, double beta2, double eps, double l2) {
    dispatch_float(param, "adam_update", [&](auto t) {
      adam_impl<decltype(t)>(param, grad, m_, v, alpha, beta1, beta2, eps, l2);
      return 0;
    });
  }, py::arg("param"), py::arg("grad"), py::arg("m"), py::arg("v"), py::arg("alpha"), py::arg("beta1"), py::arg("beta2"),
     py::arg("eps"), py::arg("l2"));
  // A whole model's step in one call: lists of params, grads and state arrays (velocities None
  // without momentum). Returns False, changing nothing, when some array is not what the engine
  // updates in place as it is (see engine_arrays); the caller then goes array by array.
  m.def("sgd_update_many", [](const py::list& params, const py::list& grads, py::object velocities, double lr,
                              double momentum, bool nesterov, double l2) {
    if (params.empty()) return true;
    if (!is_float_array(params[0])) return false;
    return dispatch_float(params[0].cast<py::array>(), "sgd_update_many", [&](auto t) {
      using T = decltype(t);
      if (momentum != 0.0 && velocities.is_none()) return false;
      const auto arrays = engine_arrays<T>(params, grads, momentum != 0.0 ? velocities : py::none(), py::none());
      if (!arrays) return false;
      py::gil_scoped_release release;
      sgd_update<T>(*arrays, T(lr), T(momentum), nesterov, T(l2));
      return true;
    });
  }, py::arg("params"), py::arg("grads"), py::arg("velocities"), py::arg("lr"), py::arg("momentum"),
     py::arg("nesterov"), py::arg("l2"));
  m.def("adam_update_many", [](const py::list& params, const py::list& grads, const py::list& ms, const py::list& vs,
                               double alpha, double beta1, double beta2, double eps, double l2) {
    if (params.empty()) return true;
    if (!is_float_array(params[0])) return false;
    return dispatch_float(params[0].cast<py::array>(), "adam_update_many", [&](auto t) {
      using T = decltype(t);
      const auto arrays = engine_arrays<T>(params, grads, ms, vs);
      if (!arrays) return false;
      py::gil_scoped_release release;
      adam_update<T>(*arrays, T(alpha), T(beta1), T(beta2), T(eps), T(l2));
      return true;
    });
  }, py::arg("params"), py::arg("grads"), py::arg("ms"), py::arg("vs"), py::arg("alpha"), py::arg("beta1"),
     py::arg("beta2"), py::arg("eps"), py::arg("l2"));
  m.def("sparse_softmax_cross_entropy", [](const py::array& z, const py::array& labels) {
    return dispatch_float(z, "sparse_softmax_cross_entropy", [&](auto t) {
      return sparse_softmax_cross_entropy_impl<decltype(t)>(z, labels);
    });
  }, py::arg("z"), py::arg("labels"));
  m.def("softmax", [](const py::array& z) {
    return dispatch_float(z, "softmax", [&](auto t) { return softmax_impl<decltype(t)>(z); });
  }, py::arg("z"));
  m.def("softmax_cross_entropy", [](const py::array& z, const py::array& y) {
    return dispatch_float(z, "softmax_cross_entropy", [&](auto t) {
      return softmax_cross_entropy_impl<decltype(t)>(z, y);
    });
  }, py::arg("z"), py::arg("y"));
}

}  // namespace fastconv::bindings
