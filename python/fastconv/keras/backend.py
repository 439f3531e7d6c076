"""``keras.backend`` for fastconv: what CNN programs call on it (``clear_session``, ``floatx``,
``epsilon``, ``backend``). NumPy and fastconv's engine are the only backend."""

from fastconv import _core
from fastconv.layers import base

__all__ = ["clear_session", "floatx", "epsilon", "backend"]


def clear_session(free_memory=True):
    """Start layer and model names from scratch (``dense``, ``dense_1``, ... again) and hand the
    engine's cached output blocks back to the system, as Keras's ``clear_session`` resets its state."""
    base.reset_names()
    if free_memory:
        _core.block_cache_clear()


def floatx():
    """The default float type of layers: "float32"."""
    return "float32"


def epsilon():
    """The fuzz factor Keras's losses clip with: 1e-7."""
    return 1e-7


def backend():
    return "fastconv"
