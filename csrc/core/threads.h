// Thread count for the engine's OpenMP regions, and the rule for when work is too small to split.
// Not a thread pool: OpenMP's runtime is the pool.
#pragma once

#include "core/shapes.h"

namespace fastconv {

bool have_openmp();
// The most threads the engine runs: kThreadsPerCpu per CPU. More only oversubscribes, and tens
// of thousands make the OpenMP runtime fail to create them (libgomp then ends the process).
constexpr int kThreadsPerCpu = 4;
int max_threads();
int get_num_threads();      // threads a parallel region of the engine will use (1 in a forked child)
bool in_forked_child();     // true in a process forked from the one that loaded the engine
// n >= 1 (at most max_threads(): larger is capped), for calls from every Python thread. Replaces
// OMP_NUM_THREADS's count; a lower limit set on the calling thread afterwards (threadpoolctl,
// omp_set_num_threads) caps it. Leaves the OpenMP runtime's own setting alone.
void set_num_threads(int n);
const char* openmp_runtime();  // e.g. "libgomp (OpenMP 201511)" or "none"

// Threads worth using for `flops` floating-point operations: 1 below about 4 MFLOP, so small
// problems never pay for entering a parallel region.
int threads_for_work(double flops);

}  // namespace fastconv
