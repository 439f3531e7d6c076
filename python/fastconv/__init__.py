"""fastconv: a CPU convolution engine for Python.

C++ kernels (OpenMP + SIMD) for conv2d and pooling, forward and backward, under a NumPy
functional API. Importing fastconv loads only NumPy and the engine; the Keras-style layers,
models and other submodules load on first use.

>>> import fastconv, numpy as np
>>> fastconv.conv2d(np.ones((1, 5, 5, 1), np.float32), np.ones((3, 3, 1, 1), np.float32)).shape
(1, 3, 3, 1)
"""

import importlib

from fastconv import _core
from fastconv._config import apply_isa_from_environment, config, get_isa, set_isa, show_config
from fastconv.functional import (adam_update, avg_pool2d, avg_pool2d_backward, col2im, conv2d, conv2d_backward,
                                 conv_output_size, dense, dense_backward, explain, get_num_threads, im2col,
                                 max_pool2d, max_pool2d_backward, pool_output_size, set_num_threads, sgd_update)

__version__ = _core.build_info()["version"]

apply_isa_from_environment()

# Submodules loaded on first attribute access, so `import fastconv` stays light.
_LAZY_SUBMODULES = ("selfcheck", "cli", "layers", "models", "losses", "optimizers", "regularizers", "metrics",
                    "callbacks", "activations", "initializers", "keras", "utils", "datasets", "plot", "course",
                    "signal", "model_selection")
# name -> (module, attribute); ones / zeros / constant for programs that `import fastconv as tf`
_LAZY_ATTRIBUTES = {"Sequential": ("fastconv.models", "Sequential"), "Model": ("fastconv.models", "Model"),
                    "Input": ("fastconv.layers", "Input"), "ones": ("fastconv.keras.ops", "ones"),
                    "zeros": ("fastconv.keras.ops", "zeros"), "constant": ("fastconv.keras.ops", "convert_to_tensor")}


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"fastconv.{name}")
    if name in _LAZY_ATTRIBUTES:
        module, attribute = _LAZY_ATTRIBUTES[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'fastconv' has no attribute {name!r}")


__all__ = [
    "conv2d", "conv2d_backward", "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
    "im2col", "col2im", "dense", "dense_backward", "conv_output_size", "pool_output_size", "explain",
    "set_num_threads", "get_num_threads", "sgd_update", "adam_update", "show_config", "config", "get_isa", "set_isa", "__version__",
]
