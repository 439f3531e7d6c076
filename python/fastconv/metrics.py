"""Accuracy metrics with Keras's rule for ``metrics=["accuracy"]``: binary when y_pred has one
column, sparse (integer labels) when y_true has one axis fewer or a last axis of 1, else categorical;
and the mean absolute and squared errors ("mae", "mse").

Metrics accumulate over batches (``update_state``/``result``/``reset_state``). Not AUC/precision.
"""

import numpy as np

from fastconv import _other_losses

__all__ = ["Metric", "CategoricalAccuracy", "SparseCategoricalAccuracy", "BinaryAccuracy", "MeanAbsoluteError",
           "MeanSquaredError", "categorical_accuracy", "sparse_categorical_accuracy", "binary_accuracy",
           "mean_absolute_error", "mean_squared_error", "get"]


def _check(fn, y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape[:1] != y_pred.shape[:1]:
        raise ValueError(f"{fn}: y_true and y_pred must have the same number of samples, got shapes "
                         f"{y_true.shape} and {y_pred.shape}")
    return y_true, y_pred


def categorical_accuracy(y_true, y_pred):
    """Per sample: 1.0 where argmax(y_true) == argmax(y_pred)."""
    y_true, y_pred = _check("categorical_accuracy", y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"categorical_accuracy: y_true must have y_pred's shape {y_pred.shape}, got {y_true.shape}")
    return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    """Per sample: 1.0 where the integer label equals argmax(y_pred)."""
    y_true, y_pred = _check("sparse_categorical_accuracy", y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(f"sparse_categorical_accuracy: y_true must have shape {y_pred.shape[:-1]} for y_pred "
                         f"{y_pred.shape}, got {y_true.shape}")
    return (y_true.astype(np.int64) == y_pred.argmax(axis=-1)).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per sample: mean over the last axis of (y_pred > threshold) == y_true."""
    y_true, y_pred = _check("binary_accuracy", y_true, y_pred)
    y_true = y_true.reshape(y_pred.shape)
    return np.mean((y_pred > threshold) == (y_true > 0.5), axis=-1).astype(np.float32)


def mean_absolute_error(y_true, y_pred):
    """Per sample: mean over the last axis of |y_pred - y_true|."""
    return _other_losses.mean_absolute_error(y_true, y_pred)[0]


def mean_squared_error(y_true, y_pred):
    """Per sample: mean over the last axis of (y_pred - y_true)**2."""
    y_true, y_pred = _other_losses.pair("mean_squared_error", y_true, y_pred)
    diff = y_pred - y_true
    return diff * diff if diff.ndim == 1 else np.mean(diff * diff, axis=-1)


class Metric:
    """A mean of a per-sample function over every sample seen since reset_state()."""

    fn = None

    def __init__(self, name=None):
        self.name = name or self.default_name
        self.reset_state()

    def reset_state(self):
        self._total, self._count = 0.0, 0

    def update_state(self, y_true, y_pred):
        values = type(self).fn(y_true, y_pred)
        self._total += float(values.sum())
        self._count += int(values.size)

    def result(self):
        return self._total / self._count if self._count else 0.0

    def get_config(self):
        return {"name": self.name}


class CategoricalAccuracy(Metric):
    default_name = "categorical_accuracy"
    fn = staticmethod(categorical_accuracy)


class SparseCategoricalAccuracy(Metric):
    default_name = "sparse_categorical_accuracy"
    fn = staticmethod(sparse_categorical_accuracy)

    def update_state(self, y_true, y_pred):
        # fit's case (integer labels for a batch of score rows) counted in three NumPy calls: they
        # run right after the convolutions, where each call costs several times its warm time.
        if (type(y_true) is np.ndarray and type(y_pred) is np.ndarray and y_true.dtype.kind in "iu"
                and y_pred.ndim == 2 and y_true.shape in ((len(y_pred),), (len(y_pred), 1))):
            self._total += float(np.count_nonzero(y_true.reshape(-1) == y_pred.argmax(axis=-1)))
            self._count += len(y_pred)
            return
        super().update_state(y_true, y_pred)


class BinaryAccuracy(Metric):
    default_name = "binary_accuracy"
    fn = staticmethod(binary_accuracy)


class MeanAbsoluteError(Metric):
    default_name = "mean_absolute_error"
    fn = staticmethod(mean_absolute_error)


class MeanSquaredError(Metric):
    default_name = "mean_squared_error"
    fn = staticmethod(mean_squared_error)


_CLASSES = {c.__name__: c for c in (CategoricalAccuracy, SparseCategoricalAccuracy, BinaryAccuracy,
                                    MeanAbsoluteError, MeanSquaredError)}
_BY_NAME = {c.default_name: c for c in _CLASSES.values()}
_ALIASES = {"mae": MeanAbsoluteError, "mse": MeanSquaredError}     # named as given, as in Keras 3


def accuracy_for(y_true_shape, y_pred_shape, name="accuracy"):
    """Keras's resolution of "accuracy" from the shapes of the labels and predictions."""
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy(name)
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return SparseCategoricalAccuracy(name)
    return CategoricalAccuracy(name)


def get(identifier, y_true_shape, y_pred_shape):
    """A Metric from "accuracy"/"acc" (resolved by Keras's rule), a metric name or class name, or an instance."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return accuracy_for(y_true_shape, y_pred_shape, identifier)
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        if identifier.lower() in _BY_NAME:
            return _BY_NAME[identifier.lower()]()
        if identifier.lower() in _ALIASES:
            return _ALIASES[identifier.lower()](identifier)
    raise ValueError(f"metrics entries must be 'accuracy' or one of {sorted(_BY_NAME)}, got {identifier!r}")


def check(identifier):
    """Validate a metrics entry at compile time (before shapes are known)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str) and (identifier.lower() in ("accuracy", "acc") or identifier in _CLASSES
                                        or identifier.lower() in _BY_NAME or identifier.lower() in _ALIASES):
        return identifier
    raise ValueError(f"metrics entries must be 'accuracy' or one of {sorted(_BY_NAME)}, got {identifier!r}")


def serialize(identifier):
    if isinstance(identifier, str):
        return identifier
    return type(identifier).__name__ if type(identifier).__name__ in _CLASSES else None
