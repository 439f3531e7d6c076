"""What fit, evaluate and predict accept as data: NumPy arrays (or what np.asarray makes numeric),
one per model input or output, as one array, a list in the model's order or a dict by name.
Anything else (a tf.data Dataset, a generator, a torch DataLoader) is refused naming what it is."""

import inspect

import numpy as np

__all__ = ["as_arrays", "check_array"]

_STREAMS = ("Dataset", "DataLoader", "Sequence", "PyDataset", "Generator", "Iterator")


def _describe(value):
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__qualname__


def _refuse_stream(value, name, fn):
    streaming = (inspect.isgenerator(value) or inspect.isasyncgen(value) or hasattr(value, "__next__")
                 or any(part in type(value).__name__ for part in _STREAMS))
    if streaming and not isinstance(value, np.ndarray):
        raise TypeError(f"{fn}: {name} is a {_describe(value)}. fastconv trains on NumPy arrays held in memory "
                        "(one array, or a list or dict of arrays for a model with several inputs or outputs); "
                        "datasets, generators and data loaders are not supported: collect the batches into arrays "
                        "first (e.g. np.concatenate over them)")


def check_array(value, name, fn):
    """value as a numeric array with a batch axis, else TypeError/ValueError naming it."""
    _refuse_stream(value, name, fn)
    try:
        array = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{fn}: {name} cannot be made into one array ({err})") from None
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: {name} must be a numeric array, got {_describe(value)}"
                        + (f" of dtype {array.dtype}" if isinstance(value, np.ndarray) or array.dtype != object else
                           " (arrays of Python objects are not data fastconv can train on)"))
    if array.ndim < 1:
        raise ValueError(f"{fn}: {name} must have a batch axis, got shape {array.shape}")
    return array


def as_arrays(data, names, what, fn):
    """data (an array, a list/tuple of arrays in order, or a dict by name) as a list with one array
    per name; what is "x" or "y"."""
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(names))
        missing = [n for n in names if n not in data]
        if unknown or missing:
            raise ValueError(f"{fn}: {what} is a dict with keys {sorted(data)}, the model's "
                             f"{'inputs' if what == 'x' else 'outputs'} are {names}")
        return [check_array(data[n], f"{what}[{n!r}]", fn) for n in names]
    if isinstance(data, (list, tuple)) and len(names) > 1:
        if len(data) != len(names):
            raise ValueError(f"{fn}: {what} has {len(data)} arrays, the model has {len(names)} "
                             f"{'inputs' if what == 'x' else 'outputs'} {names}")
        return [check_array(d, f"{what}[{i}]", fn) for i, d in enumerate(data)]
    if len(names) > 1:
        raise ValueError(f"{fn}: the model has {len(names)} {'inputs' if what == 'x' else 'outputs'} {names}: "
                         f"give {what} as a list or a dict of arrays, got {_describe(data)}")
    if isinstance(data, (list, tuple)) and len(data) == 1 and isinstance(data[0], np.ndarray):
        data = data[0]
    return [check_array(data, what, fn)]
