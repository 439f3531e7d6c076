"""Training several Sequential models of one architecture at once, as one wider model.

A grid search trains one network many times with different learning rates and regularization
strengths; each run alone is too small to keep the cores busy. Stacked, the models' convolutions
run as one convolution with their filters side by side (the first layer reads the shared input
once, later ones are grouped convolutions with a group per model), pooling runs over all models'
channels in one call and each Dense layer is a batched matrix product (threads over models).

Each model keeps its own weights, learning rate, momentum and regularizers, sees the same batches
in the same order as when trained alone from the same random state, and stops at its own first
non-finite loss. The results agree with training each model alone up to float32 rounding (some
sums run in another order); the weights and optimizer state are written back into the models.

Stacks what a hyper-parameter grid of small CNNs and MLPs uses (``why_not_stackable`` names what
else stands in the way): Conv2D (channels_last, groups 1, ReLU or linear), MaxPooling2D and
AveragePooling2D (channels_last), Flatten, Dense (ReLU or linear; softmax on the last layer), SGD
(momentum, Nesterov), L1/L2 regularizers, categorical or sparse cross-entropy after a final
softmax or from logits. Not metrics or callbacks during training: evaluate the models afterwards.
"""

import warnings

import numpy as np

from fastconv import _core, _fit_checks, _random, functional as F, losses, optimizers, regularizers
from fastconv.layers import AveragePooling2D, Conv2D, Dense, Flatten, InputLayer, MaxPooling2D
from fastconv.models.model import check_int as _check_int

__all__ = ["why_not_stackable", "fit_stacked"]

_LOSSES = (losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy)
_REGULARIZERS = (regularizers.L1L2, regularizers.L1, regularizers.L2)
# Per-model options that may differ between the stacked models; everything else must agree.
_PER_MODEL_OPTIONS = ("name", "kernel_regularizer", "bias_regularizer")


def _layers(model):
    return [layer for layer in model.layers if not isinstance(layer, InputLayer)]


def _layer_reason(layer, position, last):
    where = f"layer {position} ({type(layer).__name__} {layer.name!r})"
    if type(layer) not in (Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dense):
        return f"{where} is not one of Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dense"
    if not layer.trainable or layer.dtype != np.float32:
        return f"{where} must be trainable and float32"
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        return f"{where} must use data_format='channels_last'"
    if isinstance(layer, Conv2D) and (layer.groups != 1 or layer.activation not in ("relu", "linear")):
        return f"{where} must have groups=1 and a relu or linear activation"
    if isinstance(layer, Dense) and layer.activation not in (("relu", "linear", "softmax") if last else ("relu", "linear")):
        return f"{where} must have a relu or linear activation (softmax only on the last layer)"
    for reg in (getattr(layer, "kernel_regularizer", None), getattr(layer, "bias_regularizer", None)):
        if reg is not None and type(reg) not in _REGULARIZERS:
            return f"{where} has a regularizer other than L1/L2/L1L2"
    return None


def _model_reason(model):
    if not model.built or getattr(model, "optimizer", None) is None:
        return "every model must be built and compiled"
    opt, loss = model.optimizer, model.loss
    if type(opt) is not optimizers.SGD or opt.iterations:
        return f"the optimizer must be a fresh SGD, got {type(opt).__name__} after {opt.iterations} steps"
    if type(loss) not in _LOSSES or loss.reduction != "sum_over_batch_size":
        return "the loss must be categorical or sparse categorical cross-entropy, averaged over the batch"
    layers = _layers(model)
    if not layers or isinstance(layers[0], (MaxPooling2D, AveragePooling2D)):
        return "the first layer must be Conv2D, Flatten or Dense"
    flat = False
    for i, layer in enumerate(layers):
        reason = _layer_reason(layer, i, i == len(layers) - 1)
        if reason:
            return reason
        if flat and not isinstance(layer, Dense):
            return f"layer {i} ({type(layer).__name__}) follows a Flatten or Dense layer; only Dense may"
        if isinstance(layer, Dense) and not flat and len(layer.input_shape) != 2:
            return f"layer {i} (Dense) needs 2-D inputs (batch, features); put a Flatten before it"
        flat = flat or isinstance(layer, (Flatten, Dense))
    last = layers[-1]
    if not isinstance(last, Dense):
        return "the last layer must be Dense"
    # The loss must be computed from the last layer's pre-activation, as fit's fused path does.
    if (last.activation == "softmax") == loss.from_logits:
        return "the loss must follow a final softmax (from_logits=False) or take logits from a linear last layer"
    return None


def _signature(model):
    layers = [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k not in _PER_MODEL_OPTIONS},
               [w.shape for w in layer.weights]) for layer in _layers(model)]
    loss = model.loss
    return layers, type(loss).__name__, {k: v for k, v in loss.get_config().items() if k != "name"}, \
        model.optimizer.nesterov


def why_not_stackable(models):
    """None when fit_stacked can train these models together, else the first reason it cannot (str)."""
    models = list(models)
    if not models:
        return "there are no models"
    for i, model in enumerate(models):
        reason = _model_reason(model)
        if reason:
            return f"model {i}: {reason}"
    first = _signature(models[0])
    for i, model in enumerate(models[1:], 1):
        if _signature(model) != first:
            return (f"model {i} differs from model 0 in more than learning rate, momentum and regularizer "
                    "strengths (layers, shapes, loss or nesterov)")
    return None


class _StackedWeight:
    """One weight of every model, side by side along model_axis, with the per-model factors of its
    update shaped to broadcast against it."""

    def __init__(self, weights, model_axis, optimizer_list):
        self.originals = weights
        self.model_axis = model_axis
        self.value = np.ascontiguousarray(np.stack([w.value for w in weights], axis=model_axis))
        self.grad = None
        shape = (len(weights),) + (1,) * (self.value.ndim - model_axis - 1)

        def factor(values):
            return np.asarray(values, np.float32).reshape(shape)

        regs = [w.regularizer for w in weights]
        self.l1 = factor([r.l1 if r else 0.0 for r in regs])
        self.l2 = factor([r.l2 if r else 0.0 for r in regs])
        self.two_l2 = factor([2 * r.l2 if r else 0.0 for r in regs])
        self.has_l1, self.has_l2 = bool(self.l1.any()), bool(self.l2.any())
        self.lr = factor([opt.learning_rate for opt in optimizer_list])
        self.momentum = factor([opt.momentum for opt in optimizer_list])
        self.velocity = np.zeros_like(self.value) if self.momentum.any() else None
        # (before, M, after): the model axis in the middle, for per-model sums.
        before = int(np.prod(self.value.shape[:model_axis], dtype=np.int64))
        self._by_model = self.value.reshape(before, len(weights), -1)

    def model_slice(self, array, m):
        return np.take(array, m, axis=self.model_axis)

    def penalty(self):
        """Each model's regularization loss for this weight (M,), summed in float32 as
        Regularizer does; 0.0 without regularizers."""
        total = 0.0
        if self.has_l2:
            total = total + self.l2.reshape(-1) * np.einsum("amb,amb->m", self._by_model, self._by_model)
        if self.has_l1:
            total = total + self.l1.reshape(-1) * np.abs(self._by_model).sum(axis=(0, 2))
        return total

    def sgd_step(self, nesterov):
        """Keras's SGD step with the regularizers' gradient, in the engine's order of operations."""
        g = self.grad
        if self.has_l2:
            g += self.two_l2 * self.value
        if self.has_l1:
            g += self.l1 * np.sign(self.value)
        g *= self.lr
        if self.velocity is None:
            self.value -= g
            return
        self.velocity *= self.momentum
        self.velocity -= g
        self.value += self.momentum * self.velocity - g if nesterov else self.velocity


class _Conv:
    """Conv2D: one convolution over all models' filters (a group per model after the first layer).
    The functional API checks the geometry once per input shape; each step calls the engine."""

    def __init__(self, layers, optimizer_list, shared_input):
        layer = layers[0]
        self.weights = [_StackedWeight([lay._weights[i] for lay in layers], 3 if i == 0 else 0, optimizer_list)
                        for i in range(len(layer._weights))]
        kh, kw, c, _, f = self.weights[0].value.shape
        self.kernel_shape = (kh, kw, c, len(layers) * f)
        self.options = dict(strides=layer.strides, padding=layer.padding, dilation=layer.dilation_rate,
                            groups=1 if shared_input else len(layers))
        self.relu = layer.activation == "relu"
        self.need_input_grad = not shared_input
        self._calls = {}

    def _engine_args(self, x_shape):
        call = self._calls.get(x_shape)
        if call is None:
            call = self._calls[x_shape] = F._conv_call("conv2d", x_shape, self.kernel_shape, np.float32,
                                                       data_format="channels_last", **self.options)
        return call.args()

    def forward(self, x):
        bias = self.weights[1].value.reshape(-1) if len(self.weights) > 1 else None
        z = _core.conv2d_forward(x, self.weights[0].value.reshape(self.kernel_shape), bias,
                                 *self._engine_args(x.shape), self.relu, "auto")
        self._cache = (x, z)
        return z

    def backward(self, dz):
        x, z = self._cache
        dx, dw, db = _core.conv2d_backward(dz, x, self.weights[0].value.reshape(self.kernel_shape),
                                           z if self.relu else None, *self._engine_args(x.shape),
                                           self.need_input_grad, "auto")
        self.weights[0].grad = dw.reshape(self.weights[0].value.shape)
        if len(self.weights) > 1:
            self.weights[1].grad = db.reshape(self.weights[1].value.shape)
        return dx


class _Pool:
    """Pooling acts on each channel alone, so all models' channels pool in one call (the geometry
    checked by the functional API once per input shape)."""

    weights = ()

    def __init__(self, layer):
        self.options = (layer.pool_size, layer.strides, layer.padding)
        self.is_max = isinstance(layer, MaxPooling2D)
        self._calls = {}

    def _engine_args(self, x_shape):
        args = self._calls.get(x_shape)
        if args is None:
            _, _, pool, strides, pads, _ = F._pool_call("pooling", x_shape, *self.options, "channels_last")
            args = self._calls[x_shape] = (pool, strides, pads)
        return args

    def forward(self, x):
        args = self._engine_args(x.shape)
        if self.is_max:
            y, indices = _core.max_pool2d_forward(x, *args, True)
            self._cache = (x.shape, indices)
            return y
        self._cache = (x.shape, None)
        return _core.avg_pool2d_forward(x, *args, False)

    def backward(self, dy):
        x_shape, indices = self._cache
        if self.is_max:
            return _core.max_pool2d_backward(dy, indices, x_shape, *self._engine_args(x_shape))
        return _core.avg_pool2d_backward(dy, x_shape, *self._engine_args(x_shape), False)


class _Flatten:
    """(N, H, W, M * C) -> (M, N, H * W * C): each model's features in Keras's (h, w, c) order.
    A shared input stays shared: (N, ...) -> (N, features)."""

    weights = ()

    def __init__(self, models, shared_input):
        self.models, self.shared_input = models, shared_input

    def forward(self, x):
        self._shape = x.shape
        if self.shared_input:
            return x.reshape(len(x), -1)
        n, h, w, mc = x.shape
        by_model = x.reshape(n, h, w, self.models, mc // self.models).transpose(3, 0, 1, 2, 4)
        return np.ascontiguousarray(by_model).reshape(self.models, n, -1)

    def backward(self, dy):
        n, h, w, mc = self._shape
        by_model = dy.reshape(self.models, n, h, w, mc // self.models).transpose(1, 2, 3, 0, 4)
        return np.ascontiguousarray(by_model).reshape(self._shape)


class _Dense:
    """Dense as a batched product (M, N, in) x (M, in, out); on a shared input (N, in) one product
    with all models' units side by side."""

    def __init__(self, layers, optimizer_list, shared_input):
        layer = layers[0]
        self.shared_input = shared_input
        self.weights = [_StackedWeight([lay._weights[i] for lay in layers], 1 if shared_input and i == 0 else 0,
                                       optimizer_list) for i in range(len(layer._weights))]
        self.relu = layer.activation == "relu"
        self.need_input_grad = not shared_input

    def _bias(self):
        return self.weights[1].value if len(self.weights) > 1 else None

    def forward(self, h):
        kernel, bias = self.weights[0].value, self._bias()
        if self.shared_input:
            units, models = kernel.shape[2], kernel.shape[1]
            z = F.dense(h, kernel.reshape(len(kernel), -1), None if bias is None else bias.reshape(-1),
                        activation="relu" if self.relu else None)
            z = np.ascontiguousarray(z.reshape(len(h), models, units).transpose(1, 0, 2))
        else:
            z = _core.gemm_batched(h, kernel, False, False, bias, self.relu)
        self._cache = (h, z)
        return z

    def backward(self, dz):
        h, z = self._cache
        if self.relu:
            dz = _core.relu_backward(dz, z)
        kernel = self.weights[0].value
        if self.shared_input:
            dz2 = np.ascontiguousarray(dz.transpose(1, 0, 2)).reshape(len(h), -1)
            _, dw, db = F.dense_backward(dz2, h, kernel.reshape(len(kernel), -1), need_input_grad=False)
            dh = None
        else:
            dw = _core.gemm_batched(h, dz, True, False, None, False)
            db = np.einsum("mno->mo", dz)          # half the time of dz.sum(axis=1)
            dh = _core.gemm_batched(dz, kernel, False, True, None, False) if self.need_input_grad else None
        self.weights[0].grad = dw.reshape(kernel.shape)
        if len(self.weights) > 1:
            self.weights[1].grad = db.reshape(self.weights[1].value.shape)
        return dh


def _targets(y, loss, classes):
    """The targets as float32 probabilities (N, classes): one-hot for sparse labels, smoothed
    as the loss smooths them."""
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        labels = (y[:, 0] if y.ndim == 2 else y).astype(np.intp)
        return np.eye(classes, dtype=np.float32)[labels]
    y = np.asarray(y, dtype=np.float32)
    if loss.label_smoothing:
        y = y * np.float32(1.0 - loss.label_smoothing) + np.float32(loss.label_smoothing / classes)
    return y


def _cross_entropy_from_logits(logits, y):
    """Each model's mean cross-entropy (M,) and its gradient w.r.t. the logits (M, N, K), by the
    engine's kernel that the losses' from-logits path uses."""
    n = logits.shape[1]
    per_sample, grad = _core.softmax_cross_entropy(logits, np.ascontiguousarray(np.broadcast_to(y, logits.shape)))
    grad /= np.float32(n)
    return per_sample.mean(axis=1), grad


def _stack(models):
    layers_by_model = [_layers(model) for model in models]
    optimizer_list = [model.optimizer for model in models]
    stacked, shared = [], True
    for layers in zip(*layers_by_model):
        kind = type(layers[0])
        if kind is Conv2D:
            stacked.append(_Conv(layers, optimizer_list, shared))
        elif kind is Dense:
            stacked.append(_Dense(layers, optimizer_list, shared))
        elif kind is Flatten:
            stacked.append(_Flatten(len(models), shared))
            continue                        # a flattened shared input is still shared
        else:
            stacked.append(_Pool(layers[0]))
        shared = False
    return stacked


def fit_stacked(models, x, y, batch_size=32, epochs=1, shuffle=True, terminate_on_nan=True):
    """Train compiled, built models of one architecture together, as ``model.fit(x, y, batch_size,
    epochs, shuffle)`` would train each from the current random state; the models' weights and
    optimizer state are updated in place.

    Args:
        models (list of Sequential): see ``why_not_stackable``. x, y (ndarray): training data.
        batch_size, epochs (int). shuffle (bool): one permutation per epoch from fastconv's random
            generator, shared by all models (as each draws it when trained alone).
        terminate_on_nan (bool): a model whose loss becomes NaN or Inf stops after that batch
            (its weights are those after it), with a RuntimeWarning; the others go on.

    Returns:
        list of int: the optimizer steps each model took.

    Raises:
        ValueError: the models cannot be stacked (the reason), or bad data (as fit).
    """
    models = list(models)
    reason = why_not_stackable(models)
    if reason:
        raise ValueError(f"fit_stacked: the models cannot be trained as one stack: {reason}")
    batch_size = _check_int(batch_size, "batch_size", 1)
    epochs = _check_int(epochs, "epochs", 0)
    if not isinstance(shuffle, (bool, np.bool_)) or not isinstance(terminate_on_nan, (bool, np.bool_)):
        raise TypeError(f"shuffle and terminate_on_nan must be bools, got {shuffle!r} and {terminate_on_nan!r}")
    first = models[0]
    (x,), (y,) = first._check_xy(x, y, "fit")
    _fit_checks.check_finite(x, "x", "fit")
    _fit_checks.check_finite(y, "y", "fit")
    _fit_checks.check_targets(first.loss, y, first.output_shape, "fit")
    _fit_checks.warn_unscaled(x, "fit")
    x = np.asarray(x, dtype=np.float32)
    stacked = _stack(models)
    weights = [w for layer in stacked for w in layer.weights]
    targets = _targets(y, first.loss, first.output_shape[-1])
    steps = np.zeros(len(models), dtype=np.int64)
    finished = {}                          # model -> (weights, velocities) when it stopped
    with np.errstate(over="ignore", invalid="ignore"):   # a diverging model says so by its loss
        _train(models, stacked, weights, x, targets, batch_size, epochs, shuffle, terminate_on_nan, steps, finished)
    _write_back(models, weights, finished, steps)
    return [int(s) for s in steps]


def _train(models, stacked, weights, x, targets, batch_size, epochs, shuffle, terminate_on_nan, steps, finished):
    nesterov = models[0].optimizer.nesterov
    n = len(x)
    for epoch in range(epochs):
        order = _random.generator().permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            out = x[idx]
            for layer in stacked:
                out = layer.forward(out)
            model_loss, grad = _cross_entropy_from_logits(out, targets[idx])
            if terminate_on_nan:                # the regularizers' terms only decide when to stop
                model_loss = model_loss + sum(w.penalty() for w in weights)
            for layer in reversed(stacked):
                grad = layer.backward(grad)
                if grad is None:            # the first weighted layer: nothing before it learns
                    break
            for w in weights:
                w.sgd_step(nesterov)
            running = [m for m in range(len(models)) if m not in finished]
            steps[running] += 1
            if terminate_on_nan:
                for m in running:
                    if not np.isfinite(model_loss[m]):
                        warnings.warn(f"fit_stacked: model {m}'s loss became {model_loss[m]} in epoch {epoch + 1}; "
                                      "it stopped there", RuntimeWarning, stacklevel=3)
                        finished[m] = [(w.model_slice(w.value, m).copy(), None if w.velocity is None else
                                        w.model_slice(w.velocity, m).copy()) for w in weights]
                if len(finished) == len(models):
                    break
        if len(finished) == len(models):
            break


def _write_back(models, weights, finished, steps):
    for m, model in enumerate(models):
        saved = finished.get(m) or [(w.model_slice(w.value, m), None if w.velocity is None else
                                     w.model_slice(w.velocity, m)) for w in weights]
        slots = {}
        for w, (value, velocity) in zip(weights, saved):
            w.originals[m].value[...] = value
            if velocity is not None:
                slots.setdefault("momentums", []).append(velocity)
        if model.optimizer.momentum:
            model.optimizer.set_state({"iterations": int(steps[m]), "slots": slots}, model.trainable_weights)
        else:
            model.optimizer.iterations = int(steps[m])
