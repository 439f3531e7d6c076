"""Losses with Keras's names, defaults and reductions, each with its gradient w.r.t. y_pred.

``CategoricalCrossentropy`` / ``SparseCategoricalCrossentropy`` clip probabilities to
[1e-7, 1 - 1e-7] as Keras does; with ``from_logits=True`` they use a stable log-softmax (logits of
±1e4 give finite values). Sequential fuses a final softmax with either into the gradient
``(p - y) / N`` w.r.t. the logits, and then takes the loss value from the logits too (as Keras
on TensorFlow does), so a saturated softmax still gives a finite, unclipped loss.
``BinaryCrossentropy`` / ``BinaryFocalCrossentropy`` do the same with a final sigmoid
(fastconv._binary_losses). Not sample weights or class weights.
"""

import numbers

import numpy as np

from fastconv import _binary_losses, _core, _other_losses
from fastconv._args import FLOAT_DTYPES

__all__ = ["Loss", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "MeanSquaredError",
           "BinaryCrossentropy", "BinaryFocalCrossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "mean_squared_error", "mse", "binary_crossentropy",
           "binary_focal_crossentropy", "MeanAbsoluteError", "Huber", "KLDivergence", "CategoricalHinge",
           "mean_absolute_error", "mae", "huber", "kl_divergence", "kld", "categorical_hinge", "get", "serialize",
           "EPSILON"]

EPSILON = 1e-7      # keras.config.epsilon()
REDUCTIONS = ("sum_over_batch_size", "sum", "none")


def _arrays(fn, y_true, y_pred):
    y_pred = np.asarray(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(np.float32)
    y_true = np.asarray(y_true)
    if y_true.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: y_true must be numeric, got dtype {y_true.dtype}")
    if y_pred.ndim < 1:
        raise ValueError(f"{fn}: y_pred must have a batch axis, got shape {y_pred.shape}")
    if y_true.shape[:1] != y_pred.shape[:1]:
        raise ValueError(f"{fn}: y_true and y_pred must have the same number of samples, got shapes "
                         f"{y_true.shape} and {y_pred.shape}")
    return y_true, y_pred


def _log_softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _categorical(y_true, y_pred, from_logits, label_smoothing=0.0, fn="categorical_crossentropy"):
    """Per-sample losses and their gradients w.r.t. y_pred."""
    y_true, y_pred = _arrays(fn, y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{fn}: y_true must have y_pred's shape {y_pred.shape} (one-hot labels), got "
                         f"{y_true.shape}; for integer labels use sparse_categorical_crossentropy")
    y = y_true.astype(y_pred.dtype, copy=False)
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + label_smoothing / y.shape[-1]
    if from_logits and y_pred.dtype in FLOAT_DTYPES:
        # The engine's one pass; same arithmetic as below up to rounding.
        return _core.softmax_cross_entropy(np.ascontiguousarray(y_pred), np.ascontiguousarray(y))
    if from_logits:
        log_p = _log_softmax(y_pred)
        loss = -np.sum(y * log_p, axis=-1)
        grad = np.exp(log_p) * np.sum(y, axis=-1, keepdims=True) - y
        return loss, grad
    total = np.sum(y_pred, axis=-1, keepdims=True)
    q = y_pred / total
    inside = (q > EPSILON) & (q < 1 - EPSILON)
    c = np.clip(q, EPSILON, 1 - EPSILON)
    loss = -np.sum(y * np.log(c), axis=-1)
    g = np.where(inside, -y / c, 0)                                  # dL/dq
    grad = (g - np.sum(g * q, axis=-1, keepdims=True)) / total      # through q = p / sum(p)
    return loss, grad.astype(y_pred.dtype, copy=False)


def _sparse_labels(fn, y_true, y_pred):
    y_true, y_pred = _arrays(fn, y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(f"{fn}: y_true must hold one integer label per sample, shape {y_pred.shape[:-1]} or "
                         f"{y_pred.shape[:-1] + (1,)} for y_pred of shape {y_pred.shape}, got {y_true.shape}; "
                         "for one-hot labels use categorical_crossentropy")
    labels = y_true.astype(np.int64)
    if y_true.dtype.kind == "f" and not np.array_equal(labels, y_true):
        raise ValueError(f"{fn}: y_true must hold integer class labels, got non-integer values")
    classes = y_pred.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"{fn}: labels must be in [0, {classes}) for y_pred with {classes} classes, got values in "
                         f"[{labels.min()}, {labels.max()}]")
    return labels[..., None], y_pred


def _sparse(y_true, y_pred, from_logits, fn="sparse_categorical_crossentropy"):
    if (from_logits and type(y_pred) is np.ndarray and y_pred.dtype in FLOAT_DTYPES and y_pred.ndim == 2
            and type(y_true) is np.ndarray and y_true.dtype.kind in "iu" and y_true.size == len(y_pred)
            and y_true.shape in ((len(y_pred),), (len(y_pred), 1))):
        # A training step's case: the engine's one pass over the logits, which checks the labels'
        # range itself (None: one is outside, and the checked path below says which).
        result = _core.sparse_softmax_cross_entropy(np.ascontiguousarray(y_pred),
                                                     np.ascontiguousarray(y_true.reshape(-1), dtype=np.int64))
        if result is not None:
            return result
    labels, y_pred = _sparse_labels(fn, y_true, y_pred)
    if from_logits and y_pred.dtype in FLOAT_DTYPES and y_pred.ndim == 2:
        return _core.sparse_softmax_cross_entropy(np.ascontiguousarray(y_pred), np.ascontiguousarray(labels[:, 0]))
    if from_logits:
        log_p = _log_softmax(y_pred)
        loss = -np.take_along_axis(log_p, labels, axis=-1)[..., 0]
        grad = np.exp(log_p)
        np.put_along_axis(grad, labels, np.take_along_axis(grad, labels, axis=-1) - 1, axis=-1)
        return loss, grad
    # TensorFlow's rule: log of the clipped probabilities, renormalised.
    c = np.clip(y_pred, EPSILON, 1 - EPSILON)
    inside = (y_pred > EPSILON) & (y_pred < 1 - EPSILON)
    total = np.sum(c, axis=-1, keepdims=True)
    c_y = np.take_along_axis(c, labels, axis=-1)
    loss = (np.log(total) - np.log(c_y))[..., 0]
    g = np.broadcast_to(1 / total, c.shape).copy()
    np.put_along_axis(g, labels, np.take_along_axis(g, labels, axis=-1) - 1 / c_y, axis=-1)
    return loss, np.where(inside, g, 0).astype(y_pred.dtype, copy=False)


def _mse(y_true, y_pred, fn="mean_squared_error"):
    y_true, y_pred = _arrays(fn, y_true, y_pred)
    if y_true.shape != y_pred.shape and y_true.shape + (1,) == y_pred.shape:
        y_true = y_true[..., None]
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{fn}: y_true must have y_pred's shape {y_pred.shape}, got {y_true.shape}")
    diff = y_pred - y_true.astype(y_pred.dtype, copy=False)
    if diff.ndim == 1:
        return diff * diff, 2 * diff
    return np.mean(diff * diff, axis=-1), diff * (2.0 / diff.shape[-1])


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Per-sample cross-entropy for one-hot (or soft) labels: ``-sum(y_true * log(y_pred), axis=-1)``.

    >>> categorical_crossentropy(np.array([[0, 1.0]]), np.array([[0.5, 0.5]])).round(4)
    array([0.6931])
    """
    return _categorical(y_true, y_pred, from_logits, label_smoothing)[0]


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample cross-entropy for integer labels ``(N,)`` or ``(N, 1)``.

    >>> sparse_categorical_crossentropy(np.array([1]), np.array([[0.0, 0.0]]), from_logits=True).round(4)
    array([0.6931])
    """
    return _sparse(y_true, y_pred, from_logits)[0]


def mean_squared_error(y_true, y_pred):
    """Per-sample ``mean((y_true - y_pred)**2, axis=-1)``."""
    return _mse(y_true, y_pred)[0]


mse = MSE = mean_squared_error


class Loss:
    """Base class: ``loss(y_true, y_pred)`` is the reduced loss (a float with the default reduction);
    ``value_and_gradient(y_true, y_pred)`` also returns its gradient w.r.t. y_pred.

    Args:
        reduction (str): "sum_over_batch_size" (default: the mean over samples), "sum" or "none".
        name (str or None).
    """

    fuses_with = None      # "softmax" or "sigmoid": a model's final activation it can take the logits of
    sparse_labels = False  # targets are integer class labels rather than arrays shaped like y_pred

    @property
    def fuses_with_softmax(self):
        return self.fuses_with == "softmax"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction
        self.name = name or _snake(type(self).__name__)

    def _per_sample(self, y_true, y_pred):
        raise NotImplementedError

    def _reduce(self, losses, grad):
        if self.reduction == "none":
            return losses, grad
        n = losses.size
        if self.reduction == "sum":
            return float(np.sum(losses)), grad
        return float(losses.mean()) if n else 0.0, grad / max(n, 1)

    def __call__(self, y_true, y_pred):
        return self._reduce(*self._per_sample(y_true, y_pred))[0]

    def value_and_gradient(self, y_true, y_pred):
        """(reduced loss, dloss/dy_pred); with reduction "none" the per-sample losses."""
        return self._reduce(*self._per_sample(y_true, y_pred))

    def softmax_value_and_gradient(self, y_true, logits):
        """For a final softmax fused with this loss: (loss, dloss/dlogits), computed from the logits."""
        raise NotImplementedError(f"{type(self).__name__} does not fuse with softmax")

    def fused_value_and_gradient(self, y_true, logits):
        """(loss, dloss/dlogits) for the final activation named by fuses_with, from its logits."""
        if self.fuses_with == "softmax":
            return self.softmax_value_and_gradient(y_true, logits)
        raise NotImplementedError(f"{type(self).__name__} does not fuse with an activation")

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _snake(name):
    import re
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


class CategoricalCrossentropy(Loss):
    """Cross-entropy for one-hot labels ``(N, C)``.

    Args:
        from_logits (bool): y_pred are logits (default False: probabilities, clipped to [1e-7, 1 - 1e-7]).
        label_smoothing (float): in [0, 1]. reduction, name: as Loss.

    >>> round(CategoricalCrossentropy(from_logits=True)(np.eye(2), np.array([[1e4, -1e4], [0, 0]])), 4)
    0.3466
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        super().__init__(reduction, name)
        self.from_logits = _check_bool(from_logits, "from_logits")
        if not isinstance(label_smoothing, numbers.Real) or not 0 <= label_smoothing <= 1:
            raise ValueError(f"label_smoothing must be a float in [0, 1], got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)
        self.fuses_with = None if self.from_logits else "softmax"

    def _per_sample(self, y_true, y_pred):
        return _categorical(y_true, y_pred, self.from_logits, self.label_smoothing)

    def softmax_value_and_gradient(self, y_true, logits):
        return self._reduce(*_categorical(y_true, logits, True, self.label_smoothing))

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy for integer labels ``(N,)`` or ``(N, 1)`` (the course's CIFAR-10 loss, from_logits=True).

    Args:
        from_logits (bool): default False. reduction, name: as Loss.
    """

    sparse_labels = True

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name="sparse_categorical_crossentropy"):
        super().__init__(reduction, name)
        self.from_logits = _check_bool(from_logits, "from_logits")
        self.fuses_with = None if self.from_logits else "softmax"

    def _per_sample(self, y_true, y_pred):
        return _sparse(y_true, y_pred, self.from_logits)

    def softmax_value_and_gradient(self, y_true, logits):
        return self._reduce(*_sparse(y_true, logits, True))

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


class MeanSquaredError(Loss):
    """Mean over the last axis of the squared error, then over samples."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(reduction, name)

    def _per_sample(self, y_true, y_pred):
        return _mse(y_true, y_pred)


def _fraction(value, name):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a float in [0, 1], got {value!r}")
    return float(value)


class BinaryCrossentropy(Loss):
    """Cross-entropy for 0/1 targets, one per output unit (a one-unit sigmoid output, or multi-label).

    Args:
        from_logits (bool): y_pred are logits (default False: probabilities, clipped to [1e-7, 1 - 1e-7]).
        label_smoothing (float): in [0, 1]; targets move towards 0.5. reduction, name: as Loss.

    A model's final sigmoid is fused with it (the gradient ``(sigmoid(z) - y) / units`` w.r.t. the
    logits, the value from the logits), as Keras on TensorFlow computes it.

    >>> round(BinaryCrossentropy()(np.array([[1.0], [0.0]]), np.array([[0.9], [0.2]])), 4)
    0.1643
    """

    fuses_with = "sigmoid"

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        super().__init__(reduction, name)
        self.from_logits = _check_bool(from_logits, "from_logits")
        self.label_smoothing = _fraction(label_smoothing, "label_smoothing")
        self.fuses_with = None if self.from_logits else "sigmoid"

    def _per_sample(self, y_true, y_pred):
        return _binary_losses.binary(y_true, y_pred, self.from_logits, self.label_smoothing)

    def fused_value_and_gradient(self, y_true, logits):
        return self._reduce(*_binary_losses.binary(y_true, logits, True, self.label_smoothing))

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


class BinaryFocalCrossentropy(Loss):
    """Binary cross-entropy with each term scaled by ``(1 - p_t)**gamma``, so confident correct
    predictions count less (Lin et al., 2017; Keras's ``BinaryFocalCrossentropy``).

    Args:
        apply_class_balancing (bool): also weight positives by ``alpha``, negatives by ``1 - alpha``.
        alpha (float): in [0, 1]. gamma (float): >= 0 (0 is plain binary cross-entropy).
        from_logits, label_smoothing, reduction, name: as BinaryCrossentropy.
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 reduction="sum_over_batch_size", name="binary_focal_crossentropy"):
        super().__init__(reduction, name)
        self.apply_class_balancing = _check_bool(apply_class_balancing, "apply_class_balancing")
        self.alpha = _fraction(alpha, "alpha")
        if not isinstance(gamma, numbers.Real) or isinstance(gamma, bool) or not 0 <= gamma < float("inf"):
            raise ValueError(f"gamma must be a finite float >= 0, got {gamma!r}")
        self.gamma = float(gamma)
        self.from_logits = _check_bool(from_logits, "from_logits")
        self.label_smoothing = _fraction(label_smoothing, "label_smoothing")
        self.fuses_with = None if self.from_logits else "sigmoid"

    def _options(self):
        return dict(gamma=self.gamma, alpha=self.alpha, apply_class_balancing=self.apply_class_balancing,
                    label_smoothing=self.label_smoothing)

    def _per_sample(self, y_true, y_pred):
        return _binary_losses.focal(y_true, y_pred, self.from_logits, **self._options())

    def fused_value_and_gradient(self, y_true, logits):
        return self._reduce(*_binary_losses.focal(y_true, logits, True, **self._options()))

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, **self._options()}


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Per-sample binary cross-entropy, the mean over the last axis.

    >>> binary_crossentropy(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])).round(4)
    array([0.6931])
    """
    return _binary_losses.binary(y_true, y_pred, from_logits, _fraction(label_smoothing, "label_smoothing"))[0]


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                              label_smoothing=0.0):
    """Per-sample binary focal cross-entropy, the mean over the last axis."""
    return BinaryFocalCrossentropy(apply_class_balancing, alpha, gamma, from_logits, label_smoothing,
                                   reduction="none")(y_true, y_pred)


class MeanAbsoluteError(Loss):
    """Mean over the last axis of the absolute error, then over samples ("mae")."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(reduction, name)

    def _per_sample(self, y_true, y_pred):
        return _other_losses.mean_absolute_error(y_true, y_pred)


class Huber(Loss):
    """Squared error for errors up to delta, linear beyond: ``0.5 e**2`` or ``delta (|e| - delta / 2)``.

    Args:
        delta (float): > 0, where the loss turns linear. reduction, name: as Loss.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(reduction, name)
        if not isinstance(delta, numbers.Real) or isinstance(delta, bool) or not 0 < delta < float("inf"):
            raise ValueError(f"delta must be a finite float > 0, got {delta!r}")
        self.delta = float(delta)

    def _per_sample(self, y_true, y_pred):
        return _other_losses.huber(y_true, y_pred, self.delta)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


class KLDivergence(Loss):
    """``sum(y_true * log(y_true / y_pred))`` over the last axis, both clipped to [1e-7, 1] ("kld")."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(reduction, name)

    def _per_sample(self, y_true, y_pred):
        return _other_losses.kl_divergence(y_true, y_pred)


class CategoricalHinge(Loss):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` for one-hot y_true."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge"):
        super().__init__(reduction, name)

    def _per_sample(self, y_true, y_pred):
        return _other_losses.categorical_hinge(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """Per-sample ``mean(|y_pred - y_true|, axis=-1)``."""
    return _other_losses.mean_absolute_error(y_true, y_pred)[0]


def huber(y_true, y_pred, delta=1.0):
    """Per-sample Huber loss (see Huber)."""
    return Huber(delta, reduction="none")(y_true, y_pred)


def kl_divergence(y_true, y_pred):
    """Per-sample Kullback-Leibler divergence (see KLDivergence)."""
    return _other_losses.kl_divergence(y_true, y_pred)[0]


def categorical_hinge(y_true, y_pred):
    """Per-sample categorical hinge loss (see CategoricalHinge)."""
    return _other_losses.categorical_hinge(y_true, y_pred)[0]


mae = MAE = mean_absolute_error
kld = KLD = kl_divergence


_BY_NAME = {"categorical_crossentropy": CategoricalCrossentropy,
            "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
            "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
            "binary_crossentropy": BinaryCrossentropy, "binary_focal_crossentropy": BinaryFocalCrossentropy,
            "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError, "huber": Huber,
            "huber_loss": Huber, "kl_divergence": KLDivergence, "kld": KLDivergence,
            "categorical_hinge": CategoricalHinge}
_CLASSES = {cls.__name__: cls for cls in (CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquaredError,
                                          BinaryCrossentropy, BinaryFocalCrossentropy, MeanAbsoluteError, Huber,
                                          KLDivergence, CategoricalHinge)}
_FUNCTIONS = {categorical_crossentropy: CategoricalCrossentropy,
              sparse_categorical_crossentropy: SparseCategoricalCrossentropy, mean_squared_error: MeanSquaredError,
              binary_crossentropy: BinaryCrossentropy, binary_focal_crossentropy: BinaryFocalCrossentropy,
              mean_absolute_error: MeanAbsoluteError, huber: Huber, kl_divergence: KLDivergence,
              categorical_hinge: CategoricalHinge}


def get(identifier):
    """A Loss from a name ("categorical_crossentropy", "mse", a class name), a function of this
    module, a config dict or an instance."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        if identifier.lower() in _BY_NAME:
            return _BY_NAME[identifier.lower()]()
        raise ValueError(f"loss must be one of {sorted(set(_BY_NAME) | set(_CLASSES))} or a Loss, got {identifier!r}")
    if callable(identifier) and identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]()
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    raise TypeError(f"loss must be a name such as 'categorical_crossentropy' or a fastconv.losses.Loss, "
                    f"got {identifier!r}")


def serialize(loss):
    if type(loss).__name__ not in _CLASSES:
        raise TypeError(f"cannot serialize loss {loss!r}")
    return {"class_name": type(loss).__name__, "config": loss.get_config()}
