"""Checks fit() makes on its data before the first step: finite values, targets the loss can use,
inputs on a sensible scale. Not the per-batch checks inside the losses."""

import warnings

import numpy as np


def check_finite(array, name, fn):
    """ValueError naming the first sample holding NaN or Inf, found without a full-size temporary."""
    if array.dtype.kind != "f" or array.size == 0:
        return
    # One pass: a NaN or Inf makes the sum non-finite. So can an overflow of finite values (no
    # warning for it: the data are fine), which min and max then clear.
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(array, axis=None)
    if np.isfinite(total) or (np.isfinite(array.min()) and np.isfinite(array.max())):
        return
    bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
    raise ValueError(f"{fn}: {name} holds NaN or Inf values in {int(bad.sum())} of {len(array)} samples (first: "
                     f"sample {int(np.argmax(bad))}); remove or impute them before training")


def check_targets(loss, y, output_shape, fn):
    """Targets that fit the loss and the model's output shape, e.g. integer labels in range."""
    classes = output_shape[-1]
    if getattr(loss, "sparse_labels", False):
        labels = y[..., 0] if y.ndim == 2 and y.shape[1] == 1 else y
        if labels.ndim != 1:
            raise ValueError(f"{fn}: {loss.name} needs one integer label per sample, shape (N,) or (N, 1), got y of "
                             f"shape {y.shape}; for one-hot targets use categorical_crossentropy")
        if labels.dtype.kind == "f" and not np.array_equal(labels, np.round(labels)):
            raise ValueError(f"{fn}: {loss.name} needs integer class labels, y holds non-integer values")
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise ValueError(f"{fn}: labels must be in [0, {classes}) for a model with {classes} outputs, got values "
                             f"in [{labels.min()}, {labels.max()}]")
    elif y.shape[1:] != tuple(output_shape[1:]) and y.shape[1:] + (1,) != tuple(output_shape[1:]):
        # (N,) targets for a (N, 1) output are taken as (N, 1), as Keras does
        raise ValueError(f"{fn}: y has shape {y.shape} but the model's output is {tuple(output_shape)} "
                         f"(loss {loss.name}); integer labels need sparse_categorical_crossentropy, or "
                         "fastconv.utils.to_categorical")


def warn_unscaled(x, fn):
    """A warning for integer inputs far outside [0, 1], e.g. raw uint8 pixels."""
    if x.dtype.kind in "iu" and x.size:
        high = int(np.abs(x).max())
        if high > 1:
            warnings.warn(f"{fn}: x is {x.dtype} with values up to {high}: networks train poorly on inputs far "
                          "outside [0, 1]; scale them first (e.g. x / 255.0 for 8-bit images)", RuntimeWarning,
                          stacklevel=3)
