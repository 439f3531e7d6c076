"""Mean absolute error, Huber, KL divergence and categorical hinge, per sample, with their gradients
w.r.t. y_pred (Keras 3's formulas: each a mean or sum over the last axis), and the target checks
and last-axis mean they share with the binary losses. Used by fastconv.losses and fastconv.metrics;
not a public module."""

import numpy as np

EPSILON = 1e-7      # keras.config.epsilon()


def pair(fn, y_true, y_pred):
    """(y_true, y_pred) as arrays of y_pred's float dtype and shape ((N,) targets for (N, 1) too)."""
    y_pred = np.asarray(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(np.float32)
    y_true = np.asarray(y_true)
    if y_true.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: y_true must be numeric, got dtype {y_true.dtype}")
    if y_true.shape != y_pred.shape and y_true.shape + (1,) == y_pred.shape:
        y_true = y_true[..., None]
    if y_true.shape != y_pred.shape or y_pred.ndim < 1:
        raise ValueError(f"{fn}: y_true must have y_pred's shape {y_pred.shape}, got {y_true.shape}")
    return y_true.astype(y_pred.dtype, copy=False), y_pred


def mean_last(values, grad):
    """Per-sample means over the last axis, and the gradient scaled to match (1-D: per element)."""
    if values.ndim == 1:
        return values, grad
    return values.mean(axis=-1), grad / values.shape[-1]


def mean_absolute_error(y_true, y_pred, fn="mean_absolute_error"):
    y, p = pair(fn, y_true, y_pred)
    diff = p - y
    return mean_last(np.abs(diff), np.sign(diff))


def huber(y_true, y_pred, delta=1.0, fn="huber"):
    y, p = pair(fn, y_true, y_pred)
    error = p - y
    magnitude = np.abs(error)
    quadratic = np.minimum(magnitude, delta)
    loss = 0.5 * quadratic * quadratic + delta * (magnitude - quadratic)
    return mean_last(loss, np.where(magnitude <= delta, error, delta * np.sign(error)).astype(p.dtype, copy=False))


def kl_divergence(y_true, y_pred, fn="kl_divergence"):
    y, p = pair(fn, y_true, y_pred)
    t, q = np.clip(y, EPSILON, 1), np.clip(p, EPSILON, 1)
    loss = np.sum(t * np.log(t / q), axis=-1)
    grad = np.where((p > EPSILON) & (p < 1), -t / q, 0).astype(p.dtype, copy=False)
    return loss, grad


def categorical_hinge(y_true, y_pred, fn="categorical_hinge"):
    y, p = pair(fn, y_true, y_pred)
    positive = np.sum(y * p, axis=-1)
    others = (1 - y) * p
    top = np.argmax(others, axis=-1)[..., None]
    negative = np.take_along_axis(others, top, axis=-1)[..., 0]
    loss = np.maximum(negative - positive + 1, 0)
    grad = -y.copy()
    np.put_along_axis(grad, top, np.take_along_axis(grad, top, axis=-1) + np.take_along_axis(1 - y, top, axis=-1),
                      axis=-1)
    return loss, (grad * (loss > 0)[..., None]).astype(p.dtype, copy=False)
