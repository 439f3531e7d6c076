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

from fastconv._other_losses import EPSILON, mean_last, pair


def _targets(fn, y_true, y_pred, label_smoothing):
    """y_true as y_pred's dtype and shape ((N,) labels for a (N, 1) output too), smoothed."""
    y, y_pred = pair(fn, y_true, y_pred)
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return y, y_pred


def _sigmoid(z):
    return np.exp(-np.logaddexp(0, -z)).astype(z.dtype, copy=False)


def binary(y_true, y_pred, from_logits, label_smoothing=0.0, fn="binary_crossentropy"):
    """(per-sample loss, dloss/dy_pred) of binary cross-entropy."""
    y, y_pred = _targets(fn, y_true, y_pred, label_smoothing)
    if from_logits:
        z = y_pred
        loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        return mean_last(loss, _sigmoid(z) - y)
    p = np.clip(y_pred, EPSILON, 1 - EPSILON)
    inside = (y_pred > EPSILON) & (y_pred < 1 - EPSILON)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    grad = np.where(inside, (1 - y) / (1 - p) - y / p, 0).astype(y_pred.dtype, copy=False)
    return mean_last(loss, grad)


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
    return mean_last(loss.astype(y_pred.dtype, copy=False), grad.astype(y_pred.dtype, copy=False))
