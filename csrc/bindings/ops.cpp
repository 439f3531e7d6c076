// Bindings of the in-place optimizer updates and the row-wise softmax ops: every array is checked
// (dtype, C order, writeable, size) before the GIL is released.
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
  sgd_update<T>(p, v, g, n, T(lr), T(momentum), nesterov, T(l2));
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
  adam_update<T>(p, mp, vp, g, n, T(alpha), T(beta1), T(beta2), T(eps), T(l2));
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
