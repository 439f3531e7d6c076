// Optimizer loops compiled for avx512 (flags from the file name, see CMakeLists.txt).
#include "ops/optimizer_loops_portable.h"

FASTCONV_OPTIMIZER_KERNELS(avx512)
