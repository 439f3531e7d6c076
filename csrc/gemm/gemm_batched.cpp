// Threads over the batch, each running the serial GEMM (see gemm_batched.h).
#include "gemm/gemm_batched.h"

#include <exception>
#include <vector>

#include "core/errors.h"
#include "core/parallel.h"
#include "core/threads.h"

namespace fastconv {

template <typename T>
void gemm_batched(Trans trans_a, Trans trans_b, index_t batch, index_t m, index_t n, index_t k, const T* a,
                  index_t stride_a, index_t lda, const T* b, index_t stride_b, index_t ldb, T* c,
                  index_t stride_c, index_t ldc, const T* bias, bool relu) {
  FC_CHECK(batch >= 0, "gemm_batched: batch must be >= 0, got ", batch);
  auto one = [&](index_t i, int max_threads) {
    GemmEpilogue<T> epilogue;
    epilogue.bias = bias == nullptr ? nullptr : bias + i * n;
    epilogue.relu = relu;
    gemm<T>(trans_a, trans_b, m, n, k, T(1), a + i * stride_a, lda, b + i * stride_b, ldb, T(0), c + i * stride_c,
            ldc, epilogue, max_threads);
  };
  const double flops = 2.0 * static_cast<double>(batch) * static_cast<double>(m) * static_cast<double>(n) *
                       static_cast<double>(k);
  const int threads = threads_for_work(flops);
  if (threads <= 1 || batch < threads) {  // few large products: gemm threads each one itself
    for (index_t i = 0; i < batch; ++i) one(i, 0);
    return;
  }
  // gemm may throw (its scratch buffers grow on first use on each thread); a parallel region must
  // not, so each thread keeps its error and the first is rethrown after the region.
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  parallel_region(threads, [&](int tid, int nt) {
    const auto [begin, end] = static_split(batch, tid, nt);
    try {
      for (index_t i = begin; i < end; ++i) one(i, 1);
    } catch (...) {
      errors[static_cast<std::size_t>(tid)] = std::current_exception();
    }
  });
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
}

template void gemm_batched<float>(Trans, Trans, index_t, index_t, index_t, index_t, const float*, index_t, index_t,
                                  const float*, index_t, index_t, float*, index_t, index_t, const float*, bool);
template void gemm_batched<double>(Trans, Trans, index_t, index_t, index_t, index_t, const double*, index_t, index_t,
                                   const double*, index_t, index_t, double*, index_t, index_t, const double*, bool);

}  // namespace fastconv
