"""``keras.utils`` for fastconv: set_random_seed and Keras 3's to_categorical (float64) here, the
rest from ``fastconv.utils``."""

import importlib

from fastconv._random import set_random_seed  # noqa: F401


def to_categorical(x, num_classes=None):
    """Keras 3's ``to_categorical``: fastconv.utils.to_categorical as float64, as Keras returns it."""
    from fastconv.utils import to_categorical as one_hot
    return one_hot(x, num_classes, dtype="float64")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    module = importlib.import_module("fastconv.utils")
    try:
        return getattr(module, name)
    except AttributeError:
        raise AttributeError(f"module 'fastconv.keras.utils' has no attribute {name!r}") from None
