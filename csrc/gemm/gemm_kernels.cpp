// The table of GEMM micro-kernels and the choice by active ISA (see gemm_kernels.h).
#include "gemm/gemm_kernels.h"

#include <atomic>
#include <type_traits>

#include "core/errors.h"

namespace fastconv {

// Lowest ISA first; within an ISA the last entry is the default (alternatives, when there are
// any, come first and are reached through force_gemm_kernel by tests and benchmarks).
template <>
const std::vector<GemmKernel<float>>& gemm_kernels<float>() {
  static const std::vector<GemmKernel<float>> table{f32_gemm_4x8__generic, f32_gemm_6x16__avx2,
                                                    f32_gemm_14x32__avx512};
  return table;
}

template <>
const std::vector<GemmKernel<double>>& gemm_kernels<double>() {
  static const std::vector<GemmKernel<double>> table{f64_gemm_4x4__generic};
  return table;
}

namespace {
std::atomic<const void*> g_forced_f32{nullptr};
std::atomic<const void*> g_forced_f64{nullptr};
template <typename T>
std::atomic<const void*>& forced_slot() {
  if constexpr (std::is_same_v<T, float>)
    return g_forced_f32;
  else
    return g_forced_f64;
}

template <typename T>
const GemmKernel<T>* find_kernel(const std::string& name) {
  for (const auto& kernel : gemm_kernels<T>())
    if (name == kernel.name) return &kernel;
  return nullptr;
}
}  // namespace

template <typename T>
const GemmKernel<T>& select_gemm_kernel() {
  if (const void* forced = forced_slot<T>().load(std::memory_order_relaxed))
    return *static_cast<const GemmKernel<T>*>(forced);
  const auto& table = gemm_kernels<T>();
  const GemmKernel<T>* best = &table.front();
  for (const auto& kernel : table)
    if (static_cast<int>(kernel.isa) <= static_cast<int>(active_isa())) best = &kernel;
  return *best;
}

void force_gemm_kernel(const std::string& name) {
  if (name.empty()) {
    g_forced_f32.store(nullptr);
    g_forced_f64.store(nullptr);
    return;
  }
  const GemmKernel<float>* f = find_kernel<float>(name);
  const GemmKernel<double>* d = find_kernel<double>(name);
  FC_CHECK(f || d, "unknown GEMM kernel '", name, "'");
  const Isa isa = f ? f->isa : d->isa;
  FC_CHECK(static_cast<int>(isa) <= static_cast<int>(detected_isa()), "GEMM kernel '", name,
           "' needs ISA '", isa_name(isa), "', this CPU has '", isa_name(detected_isa()), "'");
  if (f) g_forced_f32.store(f);
  if (d) g_forced_f64.store(d);
}

template <>
const std::vector<IgemmKernel<float>>& igemm_kernels<float>() {
  static const std::vector<IgemmKernel<float>> table{f32_igemm_4x8__generic, f32_igemm_6x16__avx2,
                                                     f32_igemm_14x32__avx512};
  return table;
}

template <>
const std::vector<IgemmKernel<double>>& igemm_kernels<double>() {
  static const std::vector<IgemmKernel<double>> table{f64_igemm_4x4__generic};
  return table;
}

template <typename T>
const IgemmKernel<T>& select_igemm_kernel() {
  const auto& table = igemm_kernels<T>();
  const IgemmKernel<T>* best = &table.front();
  for (const auto& kernel : table)
    if (static_cast<int>(kernel.isa) <= static_cast<int>(active_isa())) best = &kernel;
  return *best;
}

template <>
const std::vector<WgradKernel<float>>& wgrad_kernels<float>() {
  static const std::vector<WgradKernel<float>> table{f32_wgrad_4x8__generic, f32_wgrad_6x16__avx2,
                                                     f32_wgrad_8x32__avx512, f32_wgrad_14x32__avx512};
  return table;
}

template <>
const std::vector<WgradKernel<double>>& wgrad_kernels<double>() {
  static const std::vector<WgradKernel<double>> table{f64_wgrad_4x4__generic};
  return table;
}

template <typename T>
const WgradKernel<T>& select_wgrad_kernel(index_t rows) {
  const auto& table = wgrad_kernels<T>();
  Isa isa = table.front().isa;
  for (const auto& kernel : table)
    if (static_cast<int>(kernel.isa) <= static_cast<int>(active_isa())) isa = kernel.isa;
  const WgradKernel<T>* best = nullptr;
  index_t best_cost = 0;
  for (const auto& kernel : table) {
    if (kernel.isa != isa) continue;
    // (computed rows) * (MR + 2) / MR = blocks * (MR + 2).
    const index_t cost = rows > 0 ? (rows + kernel.mr - 1) / kernel.mr * (kernel.mr + 2) : 0;
    if (!best || cost < best_cost || (cost == best_cost && kernel.mr > best->mr)) {
      best = &kernel;
      best_cost = cost;
    }
  }
  return *best;
}

template const WgradKernel<float>& select_wgrad_kernel<float>(index_t);
template const WgradKernel<double>& select_wgrad_kernel<double>(index_t);
template const IgemmKernel<float>& select_igemm_kernel<float>();
template const IgemmKernel<double>& select_igemm_kernel<double>();
template const GemmKernel<float>& select_gemm_kernel<float>();
template const GemmKernel<double>& select_gemm_kernel<double>();

}  // namespace fastconv
