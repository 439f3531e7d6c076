// Bindings for build information, ISA and thread control, and the shared geometry arithmetic.
#include "bindings/common.h"
#include "core/cpu_features.h"
#include "core/threads.h"
#include "gemm/gemm_kernels.h"

#ifndef FASTCONV_VERSION
#define FASTCONV_VERSION "unknown"
#endif
#ifndef FASTCONV_COMPILER
#define FASTCONV_COMPILER "unknown"
#endif

namespace fastconv::bindings {

void register_config(py::module_& m) {
  m.def("build_info", [] {
    py::dict info;
    info["version"] = FASTCONV_VERSION;
    info["compiler"] = FASTCONV_COMPILER;
    info["openmp"] = have_openmp();
    info["openmp_runtime"] = openmp_runtime();
    info["detected_isa"] = isa_name(detected_isa());
    py::list kernels;
    for (const auto& k : gemm_kernels<float>()) kernels.append(k.name);
    for (const auto& k : gemm_kernels<double>()) kernels.append(k.name);
    info["gemm_kernels"] = kernels;
    return info;
  });
  m.def("detected_isa", [] { return std::string(isa_name(detected_isa())); });
  m.def("get_isa", [] { return std::string(isa_name(active_isa())); });
  m.def("set_isa", [](const std::string& name) { set_active_isa(parse_isa(name)); }, py::arg("name"));
  m.def("gemm_kernel", [](const std::string& dtype) {
    if (dtype == "float64") return std::string(select_gemm_kernel<double>().name);
    FC_CHECK(dtype == "float32", "dtype must be 'float32' or 'float64', got '", dtype, "'");
    return std::string(select_gemm_kernel<float>().name);
  }, py::arg("dtype") = "float32");
  m.def("block_cache_stats", [] {
    const BlockCacheStats st = block_cache_stats();
    py::dict d;
    d["cached_bytes"] = st.cached_bytes;
    d["cached_blocks"] = st.cached_blocks;
    d["hits"] = st.hits;
    d["misses"] = st.misses;
    d["max_cached_bytes"] = kMaxCachedBytes;
    d["min_block_bytes"] = kMinCachedBytes;
    return d;
  });
  m.def("block_cache_clear", &block_cache_clear);
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.def("max_threads", &max_threads);

  m.def("conv_output_size", [](index_t i, index_t k, index_t s, index_t pad_begin, index_t pad_end, index_t d) {
    return conv_output_size(i, k, s, {pad_begin, pad_end}, d);
  }, py::arg("i"), py::arg("k"), py::arg("s"), py::arg("pad_begin"), py::arg("pad_end"), py::arg("d"));
  // (o, s, d, pad_begin, pad_end) of the canonical axis (geometry.h): what the kernels will run.
  m.def("conv_axis", [](index_t i, index_t k, index_t s, index_t pad_begin, index_t pad_end, index_t d) {
    const ConvAxis a = make_conv_axis(i, k, s, {pad_begin, pad_end}, d);
    return py::make_tuple(a.o, a.s, a.d, a.pad.begin, a.pad.end);
  }, py::arg("i"), py::arg("k"), py::arg("s"), py::arg("pad_begin"), py::arg("pad_end"), py::arg("d"));
  m.def("resolve_padding", [](const std::string& mode, index_t i, index_t k, index_t s, index_t d) {
    const Pad1D p = resolve_padding(mode, i, k, s, d);
    return py::make_tuple(p.begin, p.end);
  }, py::arg("mode"), py::arg("i"), py::arg("k"), py::arg("s"), py::arg("d"));
}

}  // namespace fastconv::bindings
