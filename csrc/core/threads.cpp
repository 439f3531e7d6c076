// Engine thread count on top of the OpenMP runtime (see threads.h).
#include "core/threads.h"

#include <algorithm>
#include <atomic>

#include "core/errors.h"

#ifdef FASTCONV_HAVE_OPENMP
#include <omp.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif

namespace fastconv {

bool have_openmp() {
#ifdef FASTCONV_HAVE_OPENMP
  return true;
#else
  return false;
#endif
}

namespace {
// Set by set_num_threads; 0 means "follow the OpenMP runtime". Kept here rather than only in the
// runtime because omp_set_num_threads binds to the calling thread alone, and the engine is called
// from many Python threads. The runtime's own setting for the calling thread (OMP_NUM_THREADS,
// threadpoolctl's limits) stays an upper bound.
std::atomic<int> g_threads{0};

#ifdef FASTCONV_HAVE_OPENMP
// The runtime's setting when the engine loaded (OMP_NUM_THREADS, else the CPU count). A lower
// setting on the calling thread later is a limit someone set on purpose (threadpoolctl,
// omp_set_num_threads): set_num_threads never touches the runtime, so that limit caps it.
const int g_runtime_default = omp_get_max_threads();
#endif

// A child forked after the parent ran a parallel region inherits a dead OpenMP thread pool, and
// libgomp hangs on the next region: the engine runs serially in a forked child.
std::atomic<bool> g_forked_child{false};
#if defined(__unix__) || defined(__APPLE__)
const int g_fork_handler = pthread_atfork(nullptr, nullptr, [] { g_forked_child.store(true); });
#endif
}  // namespace

bool in_forked_child() { return g_forked_child.load(std::memory_order_relaxed); }

int max_threads() {
#ifdef FASTCONV_HAVE_OPENMP
  // Once: libgomp asks the kernel for the affinity mask on every omp_get_num_procs call, and
  // get_num_threads runs on every engine call.
  static const int most = kThreadsPerCpu * std::max(1, omp_get_num_procs());
  return most;
#else
  return 1;
#endif
}

int get_num_threads() {
#ifdef FASTCONV_HAVE_OPENMP
  if (in_forked_child()) return 1;
  const int n = g_threads.load(std::memory_order_relaxed), runtime = omp_get_max_threads();
  const int chosen = n == 0 ? runtime : runtime < g_runtime_default ? std::min(n, runtime) : n;
  return std::clamp(chosen, 1, max_threads());
#else
  return 1;
#endif
}

void set_num_threads(int n) {
  FC_CHECK(n >= 1, "number of threads must be >= 1, got ", n);
  g_threads.store(std::min(n, max_threads()), std::memory_order_relaxed);
}

const char* openmp_runtime() {
#if defined(FASTCONV_HAVE_OPENMP) && defined(__GNUC__) && !defined(__clang__)
  return "libgomp";
#elif defined(FASTCONV_HAVE_OPENMP) && defined(__clang__)
  return "libomp";
#elif defined(FASTCONV_HAVE_OPENMP)
  return "openmp";
#else
  return "none";
#endif
}

int threads_for_work(double flops) {
  // A thread must get tens of microseconds of work (~2 MFLOP at SIMD speed) to repay waking it:
  // on a loaded machine every region also waits for the scheduler to run all its threads.
  constexpr double kFlopsPerThread = 2.0e6;
  const int by_work = static_cast<int>(std::max(1.0, flops / kFlopsPerThread));
  return std::min(get_num_threads(), by_work);
}

}  // namespace fastconv
