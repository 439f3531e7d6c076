"""Binary cross-entropy and its focal form, per sample, with their gradients (Keras 3's formulas).

``binary(y, p)`` is ``-mean(y log p + (1 - y) log(1 - p))`` over the last axis, the probabilities
clipped to [1e-7, 1 - 1e-7] (no gradient where clipped); from logits z it is the stable
``max(z, 0) - z y + log(1 + exp(-|z|))`` with gradient ``sigmoid(z) - y``. A final sigmoid fused
with the loss (what Keras on TensorFlow does for a model's sigmoid output) takes the logits path.
``focal`` multiplies each term by ``(1 - p_t)**gamma`` (``p_t = y p + (1 - y)(1 - p)``) and, with
class balancing, by ``alpha`` for positives and ``1 - alpha`` for negatives. Label smoothing
moves targets towards 0.5. Used by fastconv.losses; not a public module.
"""

import numpy as np

EPSILON = 1e-7      # keras.config.epsilon()


def _targets(fn, y_true, y_pred, label_smoothing):
    """y_true as y_pred's dtype and shape ((N,) labels for a (N, 1) output too), smoothed."""
    y_pred = np.asarray(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(np.float32)
    y_true = np.asarray(y_true)
    if y_true.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: y_true must be numeric, got dtype {y_true.dtype}")
    if y_true.shape != y_pred.shape and y_true.shape + (1,) == y_pred.shape:
        y_true = y_true[..., None]
    if y_true.shape != y_pred.shape or y_pred.ndim < 1:
        raise ValueError(f"{fn}: y_true must have y_pred's shape {y_pred.shape} (one 0/1 target per output unit), "
                         f"got {y_true.shape}")
    y = y_true.astype(y_pred.dtype, copy=False)
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return y, y_pred


def _mean_last(values, grad):
    """Per-sample means over the last axis, and the gradient scaled to match (1-D: per element)."""
    if values.ndim == 1:
        return values, grad
    return values.mean(axis=-1), grad / values.shape[-1]


def _sigmoid(z):
    return np.exp(-np.logaddexp(0, -z)).astype(z.dtype, copy=False)


def binary(y_true, y_pred, from_logits, label_smoothing=0.0, fn="binary_crossentropy"):
    """(per-sample loss, dloss/dy_pred) of binary cross-entropy."""
    y, y_pred = _targets(fn, y_true, y_pred, label_smoothing)
    if from_logits:
        z = y_pred
        loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        return _mean_last(loss, _sigmoid(z) - y)
    p = np.clip(y_pred, EPSILON, 1 - EPSILON)
    inside = (y_pred > EPSILON) & (y_pred < 1 - EPSILON)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    grad = np.where(inside, (1 - y) / (1 - p) - y / p, 0).astype(y_pred.dtype, copy=False)
    return _mean_last(loss, grad)


def focal(y_true, y_pred, from_logits, gamma=2.0, alpha=0.25, apply_class_balancing=False, label_smoothing=0.0,
          fn="binary_focal_crossentropy"):
    """(per-sample loss, dloss/dy_pred) of binary focal cross-entropy."""
    y, y_pred = _targets(fn, y_true, y_pred, label_smoothing)
    if from_logits:
        z = y_pred
        p = _sigmoid(z)
        bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        dbce, dp = p - y, p * (1 - p)                   # d bce / dz, d p / dz
    else:
        p = y_pred
        c = np.clip(p, EPSILON, 1 - EPSILON)
        bce = -(y * np.log(c) + (1 - y) * np.log(1 - c))
        dbce = np.where((p > EPSILON) & (p < 1 - EPSILON), (1 - y) / (1 - c) - y / c, 0)
        dp = np.ones_like(p)
    p_t = y * p + (1 - y) * (1 - p)
    factor = (1 - p_t) ** gamma
    # d factor / d p_t = -gamma (1 - p_t)^(gamma - 1): zero when gamma is 0 (no 0 * inf at p_t = 1)
    dfactor = -gamma * (1 - p_t) ** (gamma - 1) if gamma else np.zeros_like(p_t)
    loss = factor * bce
    grad = factor * dbce + bce * dfactor * (2 * y - 1) * dp
    if apply_class_balancing:
        weight = y * alpha + (1 - y) * (1 - alpha)
        loss, grad = weight * loss, weight * grad
    return _mean_last(loss.astype(y_pred.dtype, copy=False), grad.astype(y_pred.dtype, copy=False))
