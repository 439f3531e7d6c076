"""``keras.ops`` for fastconv: the NumPy-like functions CNN programs use on data, over NumPy
(arrays in, arrays out; float64 inputs stay float64, Python numbers become float32 as Keras's do)."""

import numpy as np

__all__ = ["ones", "zeros", "convert_to_tensor", "convert_to_numpy", "argmax", "mean", "sum", "expand_dims", "stack",
           "concatenate", "reshape", "cast"]


def _dtype(dtype):
    return np.dtype("float32" if dtype is None else dtype)


def ones(shape, dtype=None):
    return np.ones(shape, _dtype(dtype))


def zeros(shape, dtype=None):
    return np.zeros(shape, _dtype(dtype))


def convert_to_tensor(x, dtype=None):
    """x as an array; Python floats and float64 lists become float32 unless dtype says otherwise."""
    array = np.asarray(x)
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if not isinstance(x, np.ndarray) and array.dtype == np.float64:
        return array.astype(np.float32)
    return array


def convert_to_numpy(x):
    return np.asarray(x)


def cast(x, dtype):
    return np.asarray(x).astype(dtype, copy=False)


def argmax(x, axis=-1, keepdims=False):
    return np.argmax(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001 (Keras's name)
    return np.sum(x, axis=axis, keepdims=keepdims)


def expand_dims(x, axis):
    return np.expand_dims(x, axis)


def stack(xs, axis=0):
    return np.stack(xs, axis=axis)


def concatenate(xs, axis=0):
    return np.concatenate(xs, axis=axis)


def reshape(x, newshape):
    return np.reshape(x, newshape)
