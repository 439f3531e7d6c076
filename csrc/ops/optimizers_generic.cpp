// Optimizer loops compiled for generic (flags from the file name, see CMakeLists.txt).
#include "ops/optimizer_loops_portable.h"

FASTCONV_OPTIMIZER_KERNELS(generic)
