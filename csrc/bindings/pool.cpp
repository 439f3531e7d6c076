// Bindings of max / average pooling forward and backward, NHWC only.
#include "bindings/common.h"
#include "pool/pool2d.h"

namespace fastconv::bindings {

namespace {

Pool2DParams params_for(index_t n, index_t h, index_t w, index_t c, const Pair& pool, const Pair& strides,
                        const Pads& pads, bool count_include_pad) {
  return make_pool2d_params(n, h, w, c, pool[0], pool[1], strides[0], strides[1], pad_h(pads), pad_w(pads),
                            count_include_pad);
}

template <typename T>
py::object max_forward_impl(const py::array& x, const Pair& pool, const Pair& strides, const Pads& pads,
                            bool return_argmax, bool reference) {
  const T* xp = checked_data<T>(x, "x", 4);
  const Pool2DParams p = params_for(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), pool, strides, pads, false);
  auto y = new_array<T>({p.n, p.oh, p.ow, p.c});
  auto argmax = new_array<index_t>(return_argmax ? std::vector<index_t>{p.n, p.oh, p.ow, p.c} : std::vector<index_t>{0});
  T* yp = mutable_data(y);
  index_t* ap = return_argmax ? mutable_data(argmax) : nullptr;
  {
    py::gil_scoped_release release;
    if (reference)
      maxpool2d_forward_reference<T>(yp, ap, xp, p);
    else
      maxpool2d_forward<T>(yp, ap, xp, p);
  }
  if (return_argmax) return py::make_tuple(y, argmax);
  return std::move(y);
}

template <typename T>
py::array max_backward_impl(const py::array& dy, const py::array& argmax, const py::object& relu_y_in,
                            const std::array<index_t, 4>& x_shape, const Pair& pool, const Pair& strides,
                            const Pads& pads, bool reference) {
  const T* dyp = checked_data<T>(dy, "dy", 4);
  const index_t* ap = checked_data<index_t>(argmax, "argmax", 4);
  py::array relu_y;
  const T* ryp = nullptr;
  if (!relu_y_in.is_none()) {
    relu_y = relu_y_in.cast<py::array>();
    ryp = checked_data<T>(relu_y, "relu_y", 4);
  }
  const Pool2DParams p = params_for(x_shape[0], x_shape[1], x_shape[2], x_shape[3], pool, strides, pads, false);
  for (int i = 0; i < 4; ++i) {
    const index_t want = std::array<index_t, 4>{p.n, p.oh, p.ow, p.c}[i];
    FC_CHECK(dim(dy, i) == want && dim(argmax, i) == want && (!ryp || dim(relu_y, i) == want),
             "max_pool2d_backward: dy, argmax", ryp ? " and relu_y" : "", " must be (", p.n, ", ", p.oh, ", ", p.ow,
             ", ", p.c, ")");
  }
  // An argmax outside each image's H * W plane would write out of bounds: checked before the
  // reference runs; the kernel skips and counts such entries, so it is checked only when some were.
  const auto check_argmax = [&] {
    const index_t count = p.n * p.oh * p.ow * p.c, plane = p.h * p.w;
    for (index_t i = 0; i < count; ++i)
      FC_CHECK(ap[i] >= 0 && ap[i] < plane, "max_pool2d_backward: argmax holds ", ap[i], ", outside [0, ", plane, ")");
  };
  if (reference) check_argmax();
  auto dx = new_array<T>({p.n, p.h, p.w, p.c});
  T* dxp = mutable_data(dx);
  index_t skipped = 0;
  {
    py::gil_scoped_release release;
    if (reference)
      maxpool2d_backward_reference<T>(dxp, dyp, ap, ryp, p);
    else
      skipped = maxpool2d_backward<T>(dxp, dyp, ap, ryp, p);
  }
  if (skipped > 0) check_argmax();
  return std::move(dx);
}

template <typename T>
py::array avg_forward_impl(const py::array& x, const Pair& pool, const Pair& strides, const Pads& pads,
                           bool count_include_pad, bool reference) {
  const T* xp = checked_data<T>(x, "x", 4);
  const Pool2DParams p = params_for(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), pool, strides, pads, count_include_pad);
  auto y = new_array<T>({p.n, p.oh, p.ow, p.c});
  T* yp = mutable_data(y);
  {
    py::gil_scoped_release release;
    if (reference)
      avgpool2d_forward_reference<T>(yp, xp, p);
    else
      avgpool2d_forward<T>(yp, xp, p);
  }
  return std::move(y);
}

template <typename T>
py::array avg_backward_impl(const py::array& dy, const std::array<index_t, 4>& x_shape, const Pair& pool,
                            const Pair& strides, const Pads& pads, bool count_include_pad, bool reference) {
  const T* dyp = checked_data<T>(dy, "dy", 4);
  const Pool2DParams p = params_for(x_shape[0], x_shape[1], x_shape[2], x_shape[3], pool, strides, pads, count_include_pad);
  FC_CHECK(dim(dy, 0) == p.n && dim(dy, 1) == p.oh && dim(dy, 2) == p.ow && dim(dy, 3) == p.c,
           "avg_pool2d_backward: dy must be (", p.n, ", ", p.oh, ", ", p.ow, ", ", p.c, ")");
  auto dx = new_array<T>({p.n, p.h, p.w, p.c});
  T* dxp = mutable_data(dx);
  {
    py::gil_scoped_release release;
    if (reference)
      avgpool2d_backward_reference<T>(dxp, dyp, p);
    else
      avgpool2d_backward<T>(dxp, dyp, p);
  }
  return std::move(dx);
}

}  // namespace

void register_pool(py::module_& m) {
  m.def("max_pool2d_forward", [](const py::array& x, Pair pool, Pair strides, Pads pads, bool return_argmax,
                                 bool reference) {
    return dispatch_float(x, "max_pool2d", [&](auto t) {
      return max_forward_impl<decltype(t)>(x, pool, strides, pads, return_argmax, reference);
    });
  }, py::arg("x"), py::arg("pool"), py::arg("strides"), py::arg("pads"), py::arg("return_argmax") = false,
     py::arg("reference") = false);
  // relu_y: the pooled output, when the pool's input is a ReLU's output: dx is then the gradient
  // w.r.t. the ReLU's input (only the dy whose y is positive pass).
  m.def("max_pool2d_backward", [](const py::array& dy, const py::array& argmax, std::array<index_t, 4> x_shape,
                                  Pair pool, Pair strides, Pads pads, bool reference, py::object relu_y) {
    return dispatch_float(dy, "max_pool2d_backward", [&](auto t) {
      return max_backward_impl<decltype(t)>(dy, argmax, relu_y, x_shape, pool, strides, pads, reference);
    });
  }, py::arg("dy"), py::arg("argmax"), py::arg("x_shape"), py::arg("pool"), py::arg("strides"), py::arg("pads"),
     py::arg("reference") = false, py::arg("relu_y") = py::none());
  m.def("avg_pool2d_forward", [](const py::array& x, Pair pool, Pair strides, Pads pads, bool count_include_pad,
                                 bool reference) {
    return dispatch_float(x, "avg_pool2d", [&](auto t) {
      return avg_forward_impl<decltype(t)>(x, pool, strides, pads, count_include_pad, reference);
    });
  }, py::arg("x"), py::arg("pool"), py::arg("strides"), py::arg("pads"), py::arg("count_include_pad"),
     py::arg("reference") = false);
  m.def("avg_pool2d_backward", [](const py::array& dy, std::array<index_t, 4> x_shape, Pair pool, Pair strides,
                                  Pads pads, bool count_include_pad, bool reference) {
    return dispatch_float(dy, "avg_pool2d_backward", [&](auto t) {
      return avg_backward_impl<decltype(t)>(dy, x_shape, pool, strides, pads, count_include_pad, reference);
    });
  }, py::arg("dy"), py::arg("x_shape"), py::arg("pool"), py::arg("strides"), py::arg("pads"),
     py::arg("count_include_pad"), py::arg("reference") = false);
}

}  // namespace fastconv::bindings
