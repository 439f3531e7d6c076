"""Keras's namespace over fastconv, so that programs written for ``tensorflow.keras`` run with
their imports changed: ``import fastconv as tf`` then ``tf.keras.layers.Conv2D``, or
``from fastconv.keras import layers, models, optimizers, regularizers``.

Submodules load on first use; ``utils`` and ``datasets`` come from ``fastconv.utils`` and
``fastconv.datasets``. Not a full Keras: only what fastconv implements.
"""

import importlib

_SUBMODULES = ("layers", "models", "losses", "optimizers", "regularizers", "callbacks", "metrics", "activations",
               "initializers", "utils", "datasets", "backend", "mixed_precision", "ops")
_ATTRIBUTES = {"Sequential": ("fastconv.models", "Sequential"), "Model": ("fastconv.models", "Model"),
               "Input": ("fastconv.layers", "Input")}


def __getattr__(name):
    if name == "__version__":       # fastconv's, as programs print keras.__version__
        return importlib.import_module("fastconv").__version__
    if name in _SUBMODULES:
        return importlib.import_module(f"fastconv.keras.{name}")
    if name in _ATTRIBUTES:
        module, attribute = _ATTRIBUTES[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'fastconv.keras' has no attribute {name!r}")


__all__ = list(_SUBMODULES) + list(_ATTRIBUTES)
