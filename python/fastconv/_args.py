"""Argument standardisation shared by the functional API: sizes, padding, data formats, dtypes.

Not validation of shapes against each other (each function does that, in its user's terms).
"""

import numbers

import numpy as np

from fastconv import _core

DATA_FORMATS = ("channels_last", "channels_first")
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _is_int(value):
    # type() first: a plain int skips the ABC check (this runs several times on every call).
    return type(value) is int or (isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)))


INT64_MAX = 2**63 - 1


def _check_int64(value, name, original):
    # The engine's sizes are 64-bit: a larger Python int would reach it as a bare pybind11 TypeError.
    if value > INT64_MAX:
        raise OverflowError(f"{name} must be at most 2**63 - 1, got {original!r}")


def int_scalar(value, name, minimum=None):
    """value as a Python int >= minimum and < 2**63; TypeError for non-integers (bool included)."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    _check_int64(value, name, value)
    return int(value)


def int_pair(value, name, minimum=None):
    """An int or a pair of ints as an (h, w) tuple of Python ints, each >= minimum and < 2**63."""
    if type(value) is tuple and len(value) == 2 and type(value[0]) is int and type(value[1]) is int:
        pair = value        # already standard (what layers pass on every call)
    elif _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list, np.ndarray)) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name} must be an int or a pair of ints (h, w), got {value!r}")
    if minimum is not None and min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    _check_int64(max(pair), name, value)
    return pair


def data_format(value):
    """'channels_last' (NHWC, Keras) or 'channels_first' (NCHW, PyTorch); None means channels_last."""
    if value is None:
        return "channels_last"
    if not isinstance(value, str) or value.lower() not in DATA_FORMATS:
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return value.lower()


def padding_spec(padding, modes=("valid", "same", "full")):
    """A padding mode string (lower-cased) or explicit ((top, bottom), (left, right)) ints.

    Accepts a mode name, an int (all sides), a pair (h, w) (both sides of each axis), or
    ((top, bottom), (left, right)).
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in modes:
            raise ValueError(f"padding must be one of {', '.join(map(repr, modes))} or explicit ints, got {padding!r}")
        return mode
    if "explicit" not in modes:
        raise ValueError(f"padding must be one of {', '.join(map(repr, modes))}, got {padding!r}")
    if _is_int(padding):
        pads = ((int(padding),) * 2,) * 2
    elif isinstance(padding, (tuple, list)) and len(padding) == 2 and all(_is_int(p) for p in padding):
        pads = ((int(padding[0]),) * 2, (int(padding[1]),) * 2)
    elif (isinstance(padding, (tuple, list)) and len(padding) == 2
          and all(isinstance(p, (tuple, list)) and len(p) == 2 and all(_is_int(v) for v in p) for p in padding)):
        pads = tuple((int(p[0]), int(p[1])) for p in padding)
    else:
        raise TypeError("padding must be 'valid', 'same', 'full', an int, a pair (h, w) or "
                        f"((top, bottom), (left, right)), got {padding!r}")
    if min(min(p) for p in pads) < 0:
        raise ValueError(f"padding must be >= 0, got {padding!r}")
    _check_int64(max(max(p) for p in pads), "padding", padding)
    return pads


def resolve_pads(spec, in_hw, kernel_hw, strides, dilation):
    """(top, bottom, left, right) for a padding_spec result, by the engine's geometry."""
    if isinstance(spec, str):
        top, bottom = _core.resolve_padding(spec, in_hw[0], kernel_hw[0], strides[0], dilation[0])
        left, right = _core.resolve_padding(spec, in_hw[1], kernel_hw[1], strides[1], dilation[1])
        return (top, bottom, left, right)
    return (spec[0][0], spec[0][1], spec[1][0], spec[1][1])


def float_dtype(*arrays_and_names):
    """The common float dtype of (array, name) pairs; TypeError naming any non-float input."""
    for array, name in arrays_and_names:
        if array.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{name} must have dtype float32 or float64, got {array.dtype} "
                            "(convert with .astype(np.float32))")
    return np.result_type(*(a.dtype for a, _ in arrays_and_names))


def as_array(value, name, ndim=None):
    """value as an ndarray (no copy for an ndarray), checking ndim; TypeError for non-numeric data."""
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    return array


def engine_array(array, dtype):
    """array as a C-contiguous array of dtype: the engine's input form (copies only when needed)."""
    return np.ascontiguousarray(array, dtype=dtype)


def activation_name(value):
    """None/'linear' -> None, 'relu' -> 'relu'."""
    if value is None or (isinstance(value, str) and value.lower() == "linear"):
        return None
    if isinstance(value, str) and value.lower() == "relu":
        return "relu"
    raise ValueError(f"activation must be None, 'linear' or 'relu', got {value!r}")
