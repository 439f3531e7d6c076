// Optimizer loops compiled for avx2 (flags from the file name, see CMakeLists.txt).
#include "ops/optimizer_loops_portable.h"

FASTCONV_OPTIMIZER_KERNELS(avx2)
