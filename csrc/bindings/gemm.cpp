// Bindings of the GEMM (for tests and benchmarks): C = act(alpha op(A) op(B) + beta C + bias), and
// of the batched GEMM the model stack's Dense layers use.
#include "bindings/common.h"
#include "gemm/gemm.h"
#include "gemm/gemm_batched.h"

namespace fastconv::bindings {

namespace {

template <typename T>
py::array gemm_impl(const py::array& a, const py::array& b, py::object c_in, bool trans_a, bool trans_b,
                    double alpha, double beta, py::object bias_in, bool relu, bool reference) {
  const T* ap = checked_data<T>(a, "a", 2);
  const T* bp = checked_data<T>(b, "b", 2);
  const index_t m = dim(a, trans_a ? 1 : 0), k = dim(a, trans_a ? 0 : 1);
  const index_t kb = dim(b, trans_b ? 1 : 0), n = dim(b, trans_b ? 0 : 1);
  FC_CHECK(k == kb, "gemm: inner sizes differ: op(a) is (", m, ", ", k, "), op(b) is (", kb, ", ", n, ")");
  py::array_t<T> c = c_in.is_none() ? new_array<T>({m, n}) : py::array_t<T>(c_in.cast<py::array>().attr("copy")());
  if (!c_in.is_none()) {
    checked_data<T>(c, "c", 2);
    FC_CHECK(dim(c, 0) == m && dim(c, 1) == n, "gemm: c must be (", m, ", ", n, ")");
  } else {
    FC_CHECK(beta == 0.0, "gemm: beta needs c");
  }
  GemmEpilogue<T> ep;
  py::array bias_arr;
  if (!bias_in.is_none()) {
    bias_arr = bias_in.cast<py::array>();
    ep.bias = checked_data<T>(bias_arr, "bias", 1);
    FC_CHECK(dim(bias_arr, 0) == n, "gemm: bias must have ", n, " elements");
  }
  ep.relu = relu;
  T* cp = mutable_data(c);
  const index_t lda = dim(a, 1), ldb = dim(b, 1);
  const Trans ta = trans_a ? Trans::yes : Trans::no, tb = trans_b ? Trans::yes : Trans::no;
  {
    py::gil_scoped_release release;
    if (reference)
      gemm_reference<T>(ta, tb, m, n, k, T(alpha), ap, lda, bp, ldb, T(beta), cp, n, ep);
    else
      gemm<T>(ta, tb, m, n, k, T(alpha), ap, lda, bp, ldb, T(beta), cp, n, ep);
  }
  return std::move(c);
}


template <typename T>
py::array gemm_batched_impl(const py::array& a, const py::array& b, bool trans_a, bool trans_b, py::object bias_in,
                            bool relu) {
  const T* ap = checked_data<T>(a, "a", 3);
  const T* bp = checked_data<T>(b, "b", 3);
  const index_t batch = dim(a, 0);
  const index_t m = dim(a, trans_a ? 2 : 1), k = dim(a, trans_a ? 1 : 2);
  const index_t kb = dim(b, trans_b ? 2 : 1), n = dim(b, trans_b ? 1 : 2);
  FC_CHECK(dim(b, 0) == batch, "gemm_batched: a holds ", batch, " matrices, b holds ", dim(b, 0));
  FC_CHECK(k == kb, "gemm_batched: inner sizes differ: op(a[i]) is (", m, ", ", k, "), op(b[i]) is (", kb, ", ", n,
           ")");
  const T* biasp = nullptr;
  py::array bias_arr;
  if (!bias_in.is_none()) {
    bias_arr = bias_in.cast<py::array>();
    biasp = checked_data<T>(bias_arr, "bias", 2);
    FC_CHECK(dim(bias_arr, 0) == batch && dim(bias_arr, 1) == n, "gemm_batched: bias must be (", batch, ", ", n,
             "), got (", dim(bias_arr, 0), ", ", dim(bias_arr, 1), ")");
  }
  py::array_t<T> c = new_array<T>({batch, m, n});
  T* cp = mutable_data(c);
  const Trans ta = trans_a ? Trans::yes : Trans::no, tb = trans_b ? Trans::yes : Trans::no;
  {
    py::gil_scoped_release release;
    gemm_batched<T>(ta, tb, batch, m, n, k, ap, dim(a, 1) * dim(a, 2), dim(a, 2), bp, dim(b, 1) * dim(b, 2),
                    dim(b, 2), cp, m * n, n, biasp, relu);
  }
  return std::move(c);
}

}  // namespace

void register_gemm(py::module_& m) {
  m.def("gemm", [](const py::array& a, const py::array& b, py::object c, bool trans_a, bool trans_b, double alpha,
                   double beta, py::object bias, bool relu, bool reference) {
    return dispatch_float(a, "gemm", [&](auto t) {
      return gemm_impl<decltype(t)>(a, b, c, trans_a, trans_b, alpha, beta, bias, relu, reference);
    });
  }, py::arg("a"), py::arg("b"), py::arg("c") = py::none(), py::arg("trans_a") = false, py::arg("trans_b") = false,
     py::arg("alpha") = 1.0, py::arg("beta") = 0.0, py::arg("bias") = py::none(), py::arg("relu") = false,
     py::arg("reference") = false);
  m.def("gemm_batched", [](const py::array& a, const py::array& b, bool trans_a, bool trans_b, py::object bias,
                           bool relu) {
    return dispatch_float(a, "gemm_batched", [&](auto t) {
      return gemm_batched_impl<decltype(t)>(a, b, trans_a, trans_b, bias, relu);
    });
  }, py::arg("a"), py::arg("b"), py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("bias") = py::none(),
     py::arg("relu") = false);
}

}  // namespace fastconv::bindings
