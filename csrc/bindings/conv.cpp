// Bindings of conv2d forward/backward and im2col/col2im, NHWC / HWIO only (the Python layer
// converts data formats). Each converts, checks briefly, releases the GIL and calls one function.
#include <vector>

#include "bindings/common.h"
#include "conv/conv2d.h"
#include "conv/im2col.h"
#include "core/threads.h"
#include "core/workspace.h"
#include "ops/activation.h"

namespace fastconv::bindings {

namespace {

Conv2DParams params_for(index_t n, index_t h, index_t w, index_t c, index_t oc, index_t kh, index_t kw,
                        const Pair& strides, const Pads& pads, const Pair& dilation, index_t groups, bool relu) {
  return make_conv2d_params(n, h, w, c, oc, kh, kw, strides[0], strides[1], pad_h(pads), pad_w(pads), dilation[0],
                            dilation[1], groups, relu);
}

// The bias of p's convolution when one is given (kept alive by `keep`), else null.
template <typename T>
const T* checked_bias(const py::object& bias_in, const Conv2DParams& p, py::array& keep) {
  if (bias_in.is_none()) return nullptr;
  keep = bias_in.cast<py::array>();
  const T* bp = checked_data<T>(keep, "b", 1);
  FC_CHECK(dim(keep, 0) == p.oc, "conv2d: b has ", dim(keep, 0), " elements, expected OC = ", p.oc);
  return bp;
}

// New dw (KH, KW, CG, OC) and, when asked for, db (OC) arrays; tuple() is what the bindings return.
template <typename T>
struct WeightGrads {
  py::array_t<T> dw;
  py::object db = py::none();
  T* dwp;
  T* dbp = nullptr;

  WeightGrads(const Conv2DParams& p, bool need_bias) : dw(new_array<T>({p.kh, p.kw, p.cg(), p.oc})) {
    dwp = mutable_data(dw);
    if (need_bias) {
      auto b = new_array<T>({p.oc});
      dbp = mutable_data(b);
      db = b;
    }
  }
  py::tuple tuple() const { return py::make_tuple(dw, db); }
};

// A new dx (N, H, W, C) when the input gradient is wanted, else None (and a null dxp).
template <typename T>
struct InputGrad {
  py::object dx = py::none();
  T* dxp = nullptr;

  InputGrad(const Conv2DParams& p, bool wanted) {
    if (!wanted) return;
    auto a = new_array<T>({p.n, p.h, p.w, p.c});
    dxp = mutable_data(a);
    dx = a;
  }
};

template <typename T>
py::array forward_impl(const py::array& x, const py::array& w, py::object bias_in, const Pair& strides,
                       const Pads& pads, const Pair& dilation, index_t groups, bool relu, const std::string& algorithm) {
  const T* xp = checked_data<T>(x, "x", 4);
  const T* wp = checked_data<T>(w, "w", 4);
  const Conv2DParams p = params_for(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), dim(w, 3), dim(w, 0), dim(w, 1),
                                    strides, pads, dilation, groups, relu);
  FC_CHECK(dim(w, 2) == p.cg(), "conv2d: w has ", dim(w, 2), " input channels per group, x has C/groups = ", p.cg());
  py::array bias;
  const T* bp = checked_bias<T>(bias_in, p, bias);
  const ConvAlgorithm algo = parse_conv_algorithm(algorithm.c_str());
  auto y = new_array<T>({p.n, p.oh, p.ow, p.oc});
  T* yp = mutable_data(y);
  {
    py::gil_scoped_release release;
    conv2d_forward<T>(yp, xp, wp, bp, p, algo);
  }
  return std::move(y);
}

// Convolution then max pooling, the convolution's output never stored whole (direct algorithm).
template <typename T>
py::tuple forward_maxpool_impl(const py::array& x, const py::array& w, py::object bias_in, const Pair& strides,
                               const Pads& pads, const Pair& dilation, index_t groups, bool relu, const Pair& pool,
                               const Pair& pool_strides, const Pads& pool_pads) {
  const T* xp = checked_data<T>(x, "x", 4);
  const T* wp = checked_data<T>(w, "w", 4);
  const Conv2DParams p = params_for(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), dim(w, 3), dim(w, 0), dim(w, 1),
                                    strides, pads, dilation, groups, relu);
  FC_CHECK(dim(w, 2) == p.cg(), "conv2d: w has ", dim(w, 2), " input channels per group, x has C/groups = ", p.cg());
  const Pool2DParams q = make_pool2d_params(p.n, p.oh, p.ow, p.oc, pool[0], pool[1], pool_strides[0], pool_strides[1],
                                            pad_h(pool_pads), pad_w(pool_pads), false);
  py::array bias;
  const T* bp = checked_bias<T>(bias_in, p, bias);
  auto pooled = new_array<T>({q.n, q.oh, q.ow, q.c});
  auto argmax = new_array<index_t>({q.n, q.oh, q.ow, q.c});
  T* yp = mutable_data(pooled);
  index_t* ap = mutable_data(argmax);
  {
    py::gil_scoped_release release;
    conv2d_forward_direct_maxpool<T>(yp, ap, xp, wp, bp, p, q);
  }
  return py::make_tuple(pooled, argmax);
}

template <typename T>
py::array backward_input_impl(const py::array& dy, const py::array& w, const std::array<index_t, 4>& x_shape,
                              const Pair& strides, const Pads& pads, const Pair& dilation, index_t groups,
                              const std::string& algorithm) {
  const T* dyp = checked_data<T>(dy, "dy", 4);
  const T* wp = checked_data<T>(w, "w", 4);
  const Conv2DParams p = params_for(x_shape[0], x_shape[1], x_shape[2], x_shape[3], dim(w, 3), dim(w, 0), dim(w, 1),
                                    strides, pads, dilation, groups, false);
  FC_CHECK(dim(w, 2) == p.cg(), "conv2d_backward: w has ", dim(w, 2), " input channels per group, expected ", p.cg());
  FC_CHECK(dim(dy, 0) == p.n && dim(dy, 1) == p.oh && dim(dy, 2) == p.ow && dim(dy, 3) == p.oc,
           "conv2d_backward: dy must be (", p.n, ", ", p.oh, ", ", p.ow, ", ", p.oc, ")");
  const ConvAlgorithm algo = parse_conv_algorithm(algorithm.c_str());
  auto dx = new_array<T>({p.n, p.h, p.w, p.c});
  T* dxp = mutable_data(dx);
  {
    py::gil_scoped_release release;
    conv2d_backward_input<T>(dxp, dyp, wp, p, algo);
  }
  return std::move(dx);
}

template <typename T>
py::tuple backward_weight_impl(const py::array& dy, const py::array& x, const Pair& kernel, const Pair& strides,
                               const Pads& pads, const Pair& dilation, index_t groups, bool need_bias,
                               const std::string& algorithm) {
  const T* dyp = checked_data<T>(dy, "dy", 4);
  const T* xp = checked_data<T>(x, "x", 4);
  const Conv2DParams p = params_for(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), dim(dy, 3), kernel[0], kernel[1],
                                    strides, pads, dilation, groups, false);
  FC_CHECK(dim(dy, 0) == p.n && dim(dy, 1) == p.oh && dim(dy, 2) == p.ow,
           "conv2d_backward: dy must be (", p.n, ", ", p.oh, ", ", p.ow, ", OC)");
  const ConvAlgorithm algo = parse_conv_algorithm(algorithm.c_str());
  WeightGrads<T> grads(p, need_bias);
  T* dwp = grads.dwp;
  T* dbp = grads.dbp;
  {
    py::gil_scoped_release release;
    conv2d_backward_weight<T>(dwp, dbp, dyp, xp, p, algo);
  }
  return grads.tuple();
}

// The pooled output's gradient, the pool's argmax and (for a ReLU convolution, whose mask y > 0
// applies) the pooled output, checked against the pool q of p's output.
template <typename T>
struct PooledGradient {
  const T* dy;
  const index_t* argmax;
  const T* relu_y = nullptr;
  py::array keep_y;

  PooledGradient(const py::array& dpooled, const py::array& argmax_in, const py::object& relu_y_in,
                 const Pool2DParams& q)
      : dy(checked_data<T>(dpooled, "dy", 4)), argmax(checked_data<index_t>(argmax_in, "argmax", 4)) {
    if (!relu_y_in.is_none()) {
      keep_y = relu_y_in.cast<py::array>();
      relu_y = checked_data<T>(keep_y, "y", 4);
    }
    for (int i = 0; i < 4; ++i) {
      const index_t want = std::array<index_t, 4>{q.n, q.oh, q.ow, q.c}[i];
      FC_CHECK(dim(dpooled, i) == want && dim(argmax_in, i) == want && (!relu_y || dim(keep_y, i) == want),
               "conv2d_backward: the pooled dy, argmax and y must be (", q.n, ", ", q.oh, ", ", q.ow, ", ", q.c, ")");
    }
  }

  // After a kernel skipped `skipped` argmax entries: the ValueError naming one outside q's input
  // (for the fused kernels, the part the pool reads: no window's maximum lies elsewhere).
  void check_skipped(index_t skipped, const Pool2DParams& q) const {
    if (skipped == 0) return;
    const index_t count = q.n * q.oh * q.ow * q.c, plane = q.h * q.index_w;
    for (index_t i = 0; i < count; ++i) {
      const index_t a = argmax[i];
      FC_CHECK(a >= 0 && a < plane, "conv2d_backward: argmax holds ", a, ", outside [0, ", plane, ")");
      FC_CHECK(a % q.index_w < q.w, "conv2d_backward: argmax holds ", a, ", in column ", a % q.index_w,
               " of the convolution's output, which no pool window reads");
    }
  }
};

Pool2DParams pool_of_output(const Conv2DParams& p, const Pair& pool, const Pair& pool_strides, const Pads& pool_pads) {
  return make_pool2d_params(p.n, p.oh, p.ow, p.oc, pool[0], pool[1], pool_strides[0], pool_strides[1],
                            pad_h(pool_pads), pad_w(pool_pads), false);
}

// The weight gradient of a convolution followed by max pooling, from the pooled gradient: fused
// where the engine can (few input channels), else through the dense gradient before pooling.
template <typename T>
py::tuple backward_weight_maxpool_impl(const py::array& dpooled, const py::array& argmax, py::object relu_y,
                                       const py::array& x,
                                       const Pair& kernel, const Pair& strides, const Pads& pads, const Pair& dilation,
                                       index_t groups, index_t oc, bool need_bias, const Pair& pool,
                                       const Pair& pool_strides, const Pads& pool_pads) {
  const T* xp = checked_data<T>(x, "x", 4);
  const Conv2DParams p = params_for(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), oc, kernel[0], kernel[1], strides,
                                    pads, dilation, groups, false);
  const Pool2DParams q = pool_of_output(p, pool, pool_strides, pool_pads);
  const PooledGradient<T> g(dpooled, argmax, relu_y, q);
  WeightGrads<T> grads(p, need_bias);
  const bool fused = backward_weight_maxpool_fuses<T>(p);
  index_t skipped = 0;
  {
    py::gil_scoped_release release;
    if (fused) {
      skipped = conv2d_backward_weight_direct_maxpool<T>(grads.dwp, grads.dbp, g.dy, g.argmax, g.relu_y, xp, p, q);
    } else {
      std::vector<T> dense(static_cast<std::size_t>(checked_mul(p.n, p.oh, p.ow, p.oc)));
      skipped = maxpool2d_backward<T>(dense.data(), g.dy, g.argmax, g.relu_y, q);
      if (skipped == 0) conv2d_backward_weight<T>(grads.dwp, grads.dbp, dense.data(), xp, p, ConvAlgorithm::automatic);
    }
  }
  g.check_skipped(skipped, fused ? pooled_region(p, q).second : q);
  return grads.tuple();
}

// Both gradients of a convolution followed by max pooling, from the pooled gradient, the gradient
// before pooling rebuilt a few images at a time in cache (conv2d_backward_maxpool).
template <typename T>
py::tuple backward_maxpool_impl(const py::array& dpooled, const py::array& argmax, py::object relu_y,
                                const py::array& x, const py::array& w, const Pair& strides, const Pads& pads,
                                const Pair& dilation, index_t groups, bool need_input_grad, bool need_bias,
                                const Pair& pool, const Pair& pool_strides, const Pads& pool_pads) {
  const T* xp = checked_data<T>(x, "x", 4);
  const T* wp = checked_data<T>(w, "w", 4);
  const Conv2DParams p = params_for(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), dim(w, 3), dim(w, 0), dim(w, 1),
                                    strides, pads, dilation, groups, false);
  FC_CHECK(dim(w, 2) == p.cg(), "conv2d_backward: w has ", dim(w, 2), " input channels per group, expected ", p.cg());
  const Pool2DParams q = pool_of_output(p, pool, pool_strides, pool_pads);
  const PooledGradient<T> g(dpooled, argmax, relu_y, q);
  InputGrad<T> input(p, need_input_grad);
  WeightGrads<T> grads(p, need_bias);
  index_t skipped = 0;
  {
    py::gil_scoped_release release;
    skipped = conv2d_backward_maxpool<T>(input.dxp, grads.dwp, grads.dbp, g.dy, g.argmax, g.relu_y, xp, wp, p, q);
  }
  g.check_skipped(skipped, pooled_region(p, q).second);  // the fused kernels take the part the pool reads
  return py::make_tuple(input.dx, grads.dw, grads.db);
}

// Both gradients in one call: dy is taken through the fused ReLU first (when y, the forward
// output, is given), once, into scratch memory.
template <typename T>
py::tuple backward_impl(const py::array& dy, const py::array& x, const py::array& w, py::object y_in,
                        const Pair& strides, const Pads& pads, const Pair& dilation, index_t groups,
                        bool need_input_grad, const std::string& algorithm) {
  const T* dyp = checked_data<T>(dy, "dy", 4);
  const T* xp = checked_data<T>(x, "x", 4);
  const T* wp = checked_data<T>(w, "w", 4);
  const Conv2DParams p = params_for(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), dim(w, 3), dim(w, 0), dim(w, 1),
                                    strides, pads, dilation, groups, false);
  FC_CHECK(dim(w, 2) == p.cg(), "conv2d_backward: w has ", dim(w, 2), " input channels per group, expected ", p.cg());
  FC_CHECK(dim(dy, 0) == p.n && dim(dy, 1) == p.oh && dim(dy, 2) == p.ow && dim(dy, 3) == p.oc,
           "conv2d_backward: dy must be (", p.n, ", ", p.oh, ", ", p.ow, ", ", p.oc, ")");
  const T* yp = nullptr;
  py::array y;
  if (!y_in.is_none()) {
    y = y_in.cast<py::array>();
    yp = checked_data<T>(y, "y", 4);
    for (int i = 0; i < 4; ++i) FC_CHECK(y.shape(i) == dy.shape(i), "conv2d_backward: y must have dy's shape");
  }
  const ConvAlgorithm algo = parse_conv_algorithm(algorithm.c_str());
  const index_t dy_size = p.n * p.oh * p.ow * p.oc;
  T* masked = yp ? scratch<T>(Scratch::activation_grad, dy_size) : nullptr;
  InputGrad<T> input(p, need_input_grad);
  WeightGrads<T> grads(p, true);
  {
    py::gil_scoped_release release;
    if (masked) {
      relu_backward<T>(masked, dyp, yp, dy_size);
      dyp = masked;
    }
    if (input.dxp) conv2d_backward_input<T>(input.dxp, dyp, wp, p, algo);
    conv2d_backward_weight<T>(grads.dwp, grads.dbp, dyp, xp, p, algo);
  }
  return py::make_tuple(input.dx, grads.dw, grads.db);
}

template <typename T>
py::array relu_backward_impl(const py::array& dy, const py::array& y) {
  const T* dyp = checked_data<T>(dy, "dy", dy.ndim());
  const T* yp = checked_data<T>(y, "y", dy.ndim());
  FC_CHECK(y.size() == dy.size(), "relu_backward: y must have dy's shape");
  py::array_t<T> dx = new_array<T>(std::vector<index_t>(dy.shape(), dy.shape() + dy.ndim()));
  T* dxp = mutable_data(dx);
  {
    py::gil_scoped_release release;
    relu_backward<T>(dxp, dyp, yp, static_cast<index_t>(dy.size()));
  }
  return std::move(dx);
}

// im2col over all channels (groups = 1): cols is (N * OH * OW, KH * KW * C).
template <typename T>
py::array im2col_impl(const py::array& x, const Pair& kernel, const Pair& strides, const Pads& pads,
                      const Pair& dilation) {
  const T* xp = checked_data<T>(x, "x", 4);
  const Conv2DParams p = params_for(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), 1, kernel[0], kernel[1], strides, pads,
                                    dilation, 1, false);
  auto cols = new_array<T>({checked_mul(p.n, p.oh, p.ow), p.k()});
  T* cp = mutable_data(cols);
  {
    py::gil_scoped_release release;
    im2col<T>(cp, xp, p, 0, 0, p.n * p.oh, threads_for_work(static_cast<double>(p.n) * p.oh * p.ow * p.k()));
  }
  return std::move(cols);
}

template <typename T>
py::array col2im_impl(const py::array& cols, const std::array<index_t, 4>& x_shape, const Pair& kernel,
                      const Pair& strides, const Pads& pads, const Pair& dilation) {
  const T* cp = checked_data<T>(cols, "cols", 2);
  const Conv2DParams p = params_for(x_shape[0], x_shape[1], x_shape[2], x_shape[3], 1, kernel[0], kernel[1], strides,
                                    pads, dilation, 1, false);
  FC_CHECK(dim(cols, 0) == p.n * p.oh * p.ow && dim(cols, 1) == p.k(), "col2im: cols must be (", p.n * p.oh * p.ow,
           ", ", p.k(), ") for x_shape (", p.n, ", ", p.h, ", ", p.w, ", ", p.c, "), got (", dim(cols, 0), ", ",
           dim(cols, 1), ")");
  auto x = py::array_t<T>(std::vector<py::ssize_t>{p.n, p.h, p.w, p.c});
  T* xp = mutable_data(x);
  {
    py::gil_scoped_release release;
    std::fill(xp, xp + p.n * p.h * p.w * p.c, T(0));
    col2im<T>(xp, cp, p, 0, 0, p.n * p.oh, threads_for_work(static_cast<double>(p.n) * p.oh * p.ow * p.k()));
  }
  return std::move(x);
}

}  // namespace

void register_conv(py::module_& m) {
  m.def("conv2d_forward", [](const py::array& x, const py::array& w, py::object b, Pair strides, Pads pads,
                             Pair dilation, index_t groups, bool relu, const std::string& algorithm) {
    return dispatch_float(x, "conv2d", [&](auto t) {
      return forward_impl<decltype(t)>(x, w, b, strides, pads, dilation, groups, relu, algorithm);
    });
  }, py::arg("x"), py::arg("w"), py::arg("b"), py::arg("strides"), py::arg("pads"), py::arg("dilation"),
     py::arg("groups"), py::arg("relu"), py::arg("algorithm"));
  m.def("conv2d_forward_maxpool", [](const py::array& x, const py::array& w, py::object b, Pair strides, Pads pads,
                                     Pair dilation, index_t groups, bool relu, Pair pool, Pair pool_strides,
                                     Pads pool_pads) {
    return dispatch_float(x, "conv2d", [&](auto t) {
      return forward_maxpool_impl<decltype(t)>(x, w, b, strides, pads, dilation, groups, relu, pool, pool_strides,
                                               pool_pads);
    });
  }, py::arg("x"), py::arg("w"), py::arg("b"), py::arg("strides"), py::arg("pads"), py::arg("dilation"),
     py::arg("groups"), py::arg("relu"), py::arg("pool"), py::arg("pool_strides"), py::arg("pool_pads"));
  m.def("conv2d_backward_input", [](const py::array& dy, const py::array& w, std::array<index_t, 4> x_shape,
                                    Pair strides, Pads pads, Pair dilation, index_t groups, const std::string& algorithm) {
    return dispatch_float(dy, "conv2d_backward", [&](auto t) {
      return backward_input_impl<decltype(t)>(dy, w, x_shape, strides, pads, dilation, groups, algorithm);
    });
  }, py::arg("dy"), py::arg("w"), py::arg("x_shape"), py::arg("strides"), py::arg("pads"), py::arg("dilation"),
     py::arg("groups"), py::arg("algorithm"));
  m.def("conv2d_backward_weight", [](const py::array& dy, const py::array& x, Pair kernel, Pair strides, Pads pads,
                                     Pair dilation, index_t groups, bool need_bias, const std::string& algorithm) {
    return dispatch_float(dy, "conv2d_backward", [&](auto t) {
      return backward_weight_impl<decltype(t)>(dy, x, kernel, strides, pads, dilation, groups, need_bias, algorithm);
    });
  }, py::arg("dy"), py::arg("x"), py::arg("kernel"), py::arg("strides"), py::arg("pads"), py::arg("dilation"),
     py::arg("groups"), py::arg("need_bias"), py::arg("algorithm"));
  m.def("conv2d_backward_weight_maxpool", [](const py::array& dy, const py::array& argmax, py::object y,
                                              const py::array& x,
                                              Pair kernel, Pair strides, Pads pads, Pair dilation, index_t groups,
                                              index_t oc, bool need_bias, Pair pool, Pair pool_strides, Pads pool_pads) {
    return dispatch_float(dy, "conv2d_backward", [&](auto t) {
      return backward_weight_maxpool_impl<decltype(t)>(dy, argmax, y, x, kernel, strides, pads, dilation, groups, oc,
                                                       need_bias, pool, pool_strides, pool_pads);
    });
  }, py::arg("dy"), py::arg("argmax"), py::arg("y"), py::arg("x"), py::arg("kernel"), py::arg("strides"),
     py::arg("pads"), py::arg("dilation"), py::arg("groups"), py::arg("oc"), py::arg("need_bias"), py::arg("pool"),
     py::arg("pool_strides"), py::arg("pool_pads"));
  m.def("conv2d_backward_maxpool", [](const py::array& dy, const py::array& argmax, py::object y, const py::array& x,
                                       const py::array& w, Pair strides, Pads pads, Pair dilation, index_t groups,
                                       bool need_input_grad, bool need_bias, Pair pool, Pair pool_strides,
                                       Pads pool_pads) {
    return dispatch_float(dy, "conv2d_backward", [&](auto t) {
      return backward_maxpool_impl<decltype(t)>(dy, argmax, y, x, w, strides, pads, dilation, groups, need_input_grad,
                                                need_bias, pool, pool_strides, pool_pads);
    });
  }, py::arg("dy"), py::arg("argmax"), py::arg("y"), py::arg("x"), py::arg("w"), py::arg("strides"), py::arg("pads"),
     py::arg("dilation"), py::arg("groups"), py::arg("need_input_grad"), py::arg("need_bias"), py::arg("pool"),
     py::arg("pool_strides"), py::arg("pool_pads"));
  m.def("conv2d_backward", [](const py::array& dy, const py::array& x, const py::array& w, py::object y, Pair strides,
                              Pads pads, Pair dilation, index_t groups, bool need_input_grad, const std::string& algorithm) {
    return dispatch_float(dy, "conv2d_backward", [&](auto t) {
      return backward_impl<decltype(t)>(dy, x, w, y, strides, pads, dilation, groups, need_input_grad, algorithm);
    });
  }, py::arg("dy"), py::arg("x"), py::arg("w"), py::arg("y"), py::arg("strides"), py::arg("pads"), py::arg("dilation"),
     py::arg("groups"), py::arg("need_input_grad"), py::arg("algorithm"));
  m.def("relu_backward", [](const py::array& dy, const py::array& y) {
    return dispatch_float(dy, "relu_backward", [&](auto t) { return relu_backward_impl<decltype(t)>(dy, y); });
  }, py::arg("dy"), py::arg("y"));
  m.def("im2col", [](const py::array& x, Pair kernel, Pair strides, Pads pads, Pair dilation) {
    return dispatch_float(x, "im2col", [&](auto t) { return im2col_impl<decltype(t)>(x, kernel, strides, pads, dilation); });
  }, py::arg("x"), py::arg("kernel"), py::arg("strides"), py::arg("pads"), py::arg("dilation"));
  m.def("col2im", [](const py::array& cols, std::array<index_t, 4> x_shape, Pair kernel, Pair strides, Pads pads,
                     Pair dilation) {
    return dispatch_float(cols, "col2im", [&](auto t) {
      return col2im_impl<decltype(t)>(cols, x_shape, kernel, strides, pads, dilation);
    });
  }, py::arg("cols"), py::arg("x_shape"), py::arg("kernel"), py::arg("strides"), py::arg("pads"), py::arg("dilation"));
}

}  // namespace fastconv::bindings
