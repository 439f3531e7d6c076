// conv2d entry points: pick an algorithm, run it (see conv2d.h).
#include "conv/conv2d.h"

#include <cstring>
#include <string>

#include "core/errors.h"

namespace fastconv {

const char* conv_algorithm_name(ConvAlgorithm algo) {
  switch (algo) {
    case ConvAlgorithm::reference: return "reference";
    case ConvAlgorithm::im2col: return "im2col";
    case ConvAlgorithm::direct: return "direct";
    default: return "auto";
  }
}

ConvAlgorithm parse_conv_algorithm(const char* name) {
  const std::string s(name);
  if (s == "auto") return ConvAlgorithm::automatic;
  if (s == "reference") return ConvAlgorithm::reference;
  if (s == "im2col") return ConvAlgorithm::im2col;
  if (s == "direct") return ConvAlgorithm::direct;
  FC_CHECK(false, "algorithm must be 'auto', 'reference', 'im2col' or 'direct', got '", s, "'");
  return ConvAlgorithm::automatic;
}

// The direct convolution reads each input element straight into the micro-kernel and writes
// each output once, so it beats im2col + GEMM (which writes and re-reads a K-times larger patch
// matrix) on every layer measured; im2col stays for explicit requests and the backward passes
// the direct code does not cover.
ConvAlgorithm choose_conv_algorithm(const Conv2DParams&) { return ConvAlgorithm::direct; }

namespace {
// The direct input gradient is a forward convolution over dy with OC' = C output channels and
// the padding that grows OH x OW back to H x W: it wastes the SIMD width when C/G is small (the
// RGB layer) and multiplies zeros in that padding (a valid 3x3 layer's 15x15 from 13x13: 25%).
// im2col's tiled col2im has neither waste but adds every tile into dx: measured faster unless
// the padding is under about a tenth of dx. When it cannot tile (fewer images than threads),
// the untiled GEMM + col2im writes and rereads a K-times larger matrix and wins only on small
// images with much padding (e.g. 6x6 -> 4x4).
bool direct_backward_input_pays(const Conv2DParams& p) {
  const index_t outer = col2im_tiled_applies(p) ? 9 : 6;
  return p.cg() >= 16 && 10 * p.oh * p.ow >= outer * p.h * p.w;
}

ConvAlgorithm resolve(ConvAlgorithm algo, const Conv2DParams& p) {
  return algo == ConvAlgorithm::automatic ? choose_conv_algorithm(p) : algo;
}
}  // namespace

ConvAlgorithm backward_input_algorithm(const Conv2DParams& p, ConvAlgorithm requested) {
  const ConvAlgorithm a = resolve(requested, p);
  if (a != ConvAlgorithm::direct) return a;
  if (planar_backward_input_applies(p)) return ConvAlgorithm::direct;  // one channel: beats both
  const bool pays = requested == ConvAlgorithm::direct || direct_backward_input_pays(p);
  return direct_backward_input_applies(p) && pays ? ConvAlgorithm::direct : ConvAlgorithm::im2col;
}

template <typename T>
ConvAlgorithm backward_weight_algorithm(const Conv2DParams& p, ConvAlgorithm requested) {
  const ConvAlgorithm a = resolve(requested, p);
  if (a != ConvAlgorithm::direct) return a;
  return direct_backward_weight_applies<T>(p) ? ConvAlgorithm::direct : ConvAlgorithm::im2col;
}
template ConvAlgorithm backward_weight_algorithm<float>(const Conv2DParams&, ConvAlgorithm);
template ConvAlgorithm backward_weight_algorithm<double>(const Conv2DParams&, ConvAlgorithm);

template <typename T>
void conv2d_forward(T* y, const T* x, const T* w, const T* bias, const Conv2DParams& p, ConvAlgorithm algo) {
  switch (resolve(algo, p)) {
    case ConvAlgorithm::reference: conv2d_forward_reference(y, x, w, bias, p); break;
    case ConvAlgorithm::direct: conv2d_forward_direct(y, x, w, bias, p); break;
    default: conv2d_forward_im2col(y, x, w, bias, p);
  }
}

template <typename T>
void conv2d_backward_input(T* dx, const T* dy, const T* w, const Conv2DParams& p, ConvAlgorithm algo) {
  switch (backward_input_algorithm(p, algo)) {
    case ConvAlgorithm::reference: conv2d_backward_input_reference(dx, dy, w, p); break;
    case ConvAlgorithm::direct:
      if (planar_backward_input_applies(p))
        conv2d_backward_input_planar(dx, dy, w, p);
      else
        conv2d_backward_input_direct(dx, dy, w, p);
      break;
    default: conv2d_backward_input_im2col(dx, dy, w, p);
  }
}

template <typename T>
void conv2d_backward_weight(T* dw, T* db, const T* dy, const T* x, const Conv2DParams& p, ConvAlgorithm algo) {
  switch (backward_weight_algorithm<T>(p, algo)) {
    case ConvAlgorithm::reference: conv2d_backward_weight_reference(dw, db, dy, x, p); break;
    case ConvAlgorithm::direct: conv2d_backward_weight_direct(dw, db, dy, x, p); break;
    default: conv2d_backward_weight_im2col(dw, db, dy, x, p);
  }
}

#define FASTCONV_INSTANTIATE(T)                                                                                \
  template void conv2d_forward<T>(T*, const T*, const T*, const T*, const Conv2DParams&, ConvAlgorithm);       \
  template void conv2d_backward_input<T>(T*, const T*, const T*, const Conv2DParams&, ConvAlgorithm);          \
  template void conv2d_backward_weight<T>(T*, T*, const T*, const T*, const Conv2DParams&, ConvAlgorithm);
FASTCONV_INSTANTIATE(float)
FASTCONV_INSTANTIATE(double)

}  // namespace fastconv
