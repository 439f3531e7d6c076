"""Core layers: Input, Dense, Flatten, Dropout, Activation, ReLU, Softmax (Keras's names and defaults).

Dense runs on the engine's GEMM with bias and ReLU fused; the others are one NumPy expression
each way. Not recurrent or attention layers.
"""

import math
import numbers

import numpy as np

from fastconv import _core, _random, activations
from fastconv._args import data_format as _data_format
from fastconv.layers import symbolic
from fastconv.layers.base import (ActivationOutput, Layer, serialize_init, serialize_reg, split_batch_shape,
                                  standardize_shape)

__all__ = ["InputLayer", "Input", "Dense", "Flatten", "Dropout", "Activation", "ReLU", "Softmax"]


def _float(value, name, low=None, high=None, low_open=False, high_open=False):
    bad = not isinstance(value, numbers.Real) or isinstance(value, bool) or not np.isfinite(value)
    if not bad and low is not None:
        bad = value <= low if low_open else value < low
    if not bad and high is not None:
        bad = value >= high if high_open else value > high
    if bad:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
        raise ValueError(f"{name} must be a float {' and '.join(s for s in (lo, hi) if s)}, got {value!r}")
    return float(value)


class InputLayer(Layer):
    """The input of a Sequential model: fixes the input shape (without the batch axis).

    Args:
        shape (tuple): e.g. ``(8, 8, 1)``. batch_size (int or None). dtype, name: as Layer.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
        if shape is None and batch_shape is None:
            raise ValueError("InputLayer needs shape= (the input's shape without the batch axis)")
        if batch_shape is not None:
            batch_size, shape = split_batch_shape(batch_shape, "batch_shape")
        shape = standardize_shape(shape, "shape")
        if batch_size is not None and (not isinstance(batch_size, numbers.Integral) or batch_size < 1):
            raise ValueError(f"batch_size must be None or a positive int, got {batch_size!r}")
        super().__init__(name=name, dtype=dtype,
                         batch_input_shape=(batch_size,) + shape, **kwargs)
        self.shape = shape
        self.batch_size = batch_size
        self.build(self._batch_input_shape)
        node = symbolic.Node(self, [], True)
        node.outputs.append(symbolic.SymbolicTensor(self._batch_input_shape, self.dtype, self.name, node, 0))
        self._nodes.append(node)

    @property
    def output(self):
        """The symbolic tensor this input stands for (what ``Input(...)`` returns)."""
        return self._nodes[0].outputs[0]

    @property
    def input(self):
        return self.output

    def forward(self, x, training=False):
        return self._check_input(x)

    def backward(self, dy):
        return dy

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name, "batch_shape": list(self._batch_input_shape)}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):
    """Keras's ``Input(shape)``: a symbolic tensor to call layers on and build a
    ``fastconv.Model(inputs, outputs)`` from, or the first entry of a Sequential model.

    >>> Input((8, 8, 1)).shape
    (None, 8, 8, 1)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape)
    return layer.output


class Dense(ActivationOutput, Layer):
    """Fully connected: ``activation(x @ kernel + bias)`` over the last axis.

    Args:
        units (int): output size. activation (str, function or None): relu is fused into the GEMM.
        use_bias (bool). kernel_initializer, bias_initializer: default "glorot_uniform", "zeros".
        kernel_regularizer, bias_regularizer (Regularizer or None). **kwargs: Layer's.

    Input shape: ``(N, ..., in_features)``. Output shape: ``(N, ..., units)``.
    Kernel: ``(in_features, units)``, Keras's order.

    >>> Dense(3, kernel_initializer="ones")(np.ones((2, 4))).tolist()
    [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, numbers.Integral) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units must be a positive int, got {units!r}")
        self.units = int(units)
        self._standardize_options(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                  bias_regularizer)

    def weight_specs(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Dense {self.name!r} needs inputs (batch, ..., features) with known features, "
                             f"got input shape {tuple(input_shape)}")
        specs = [("kernel", (input_shape[-1], self.units), self.kernel_initializer, self.kernel_regularizer, True)]
        if self.use_bias:
            specs.append(("bias", (self.units,), self.bias_initializer, self.bias_regularizer, True))
        return specs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x, training=False):
        # The engine's GEMM directly: F.dense's checks hold once x has the built shape and dtype.
        x = np.ascontiguousarray(self._check_input(x, min_ndim=2))
        z = _core.gemm(x.reshape(-1, x.shape[-1]), self.kernel, None, False, False, 1.0, 0.0, self.bias,
                       self.activation == "relu")
        y, logits = self._activate(z.reshape(*x.shape[:-1], self.units))
        self._cache = (x, y, logits)
        return y

    def _backward_linear(self, dz, y_relu):
        # As F.dense_backward, on arrays the layer made or _check_dy checked.
        x = self._cache[0]
        dz2 = np.ascontiguousarray(dz).reshape(-1, self.units)
        if y_relu is not None:
            dz2 = _core.relu_backward(dz2, y_relu.reshape(dz2.shape))
        x2 = x.reshape(-1, x.shape[-1])
        self._weights[0].grad = _core.gemm(x2, dz2, None, True, False)
        if self.use_bias:
            self._weights[1].grad = dz2.sum(axis=0)
        self._add_regularization_gradients()
        return _core.gemm(dz2, self.kernel, None, False, True).reshape(x.shape) if self.need_input_grad else None

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=self.activation, use_bias=self.use_bias,
                      kernel_initializer=serialize_init(self.kernel_initializer),
                      bias_initializer=serialize_init(self.bias_initializer),
                      kernel_regularizer=serialize_reg(self.kernel_regularizer),
                      bias_regularizer=serialize_reg(self.bias_regularizer))
        return config


class Flatten(Layer):
    """Flattens each sample to a vector, in channels_last order (Keras transposes channels_first first).

    Input shape: ``(N, d1, d2, ...)``. Output shape: ``(N, d1 * d2 * ...)``.

    >>> Flatten()(np.zeros((2, 4, 4, 3))).shape
    (2, 48)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(s is None for s in rest) else int(np.prod(rest, dtype=np.int64))
        return (input_shape[0], size)

    def _channels_first(self, ndim):
        return self.data_format == "channels_first" and ndim > 2

    def forward(self, x, training=False):
        x = self._check_input(x, min_ndim=1)
        self._cache = x.shape
        if self._channels_first(x.ndim):
            x = np.moveaxis(x, 1, -1)
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        shape = self._cached()
        dy = self._check_dy(dy, (shape[0], math.prod(shape[1:])))
        if self._channels_first(len(shape)):
            return np.moveaxis(dy.reshape(shape[0], *shape[2:], shape[1]), -1, 1)
        return dy.reshape(shape)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Dropout(Layer):
    """Sets a fraction rate of inputs to zero during training and scales the rest by ``1 / (1 - rate)``.

    Args:
        rate (float): in [0, 1). noise_shape (tuple or None): broadcastable mask shape (None
            entries take the input's size). seed (int or None): own generator; else fastconv's.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _float(rate, "rate", 0.0, 1.0, high_open=True)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = None if seed is None else _random.generator(seed)

    def _mask_shape(self, shape):
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape):
            raise ValueError(f"Dropout {self.name!r}: noise_shape {self.noise_shape} must have the input's rank "
                             f"{len(shape)} (input shape {shape})")
        return tuple(s if n is None else n for n, s in zip(self.noise_shape, shape))

    def forward(self, x, training=False):
        x = self._check_input(x)
        if not training or self.rate == 0.0:
            self._cache = (x.shape, None)
            return x
        rng = self._rng if self._rng is not None else _random.generator()
        keep = rng.random(self._mask_shape(x.shape)) >= self.rate
        mask = keep.astype(self.dtype) * self.dtype.type(1.0 / (1.0 - self.rate))
        self._cache = (x.shape, mask)
        return x * mask

    def backward(self, dy):
        shape, mask = self._cached()
        dy = self._check_dy(dy, shape)
        return dy if mask is None else dy * mask

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=None if self.noise_shape is None else list(self.noise_shape),
                      seed=self.seed)
        return config


class Activation(Layer):
    """Applies an activation function: relu, softmax (last axis), sigmoid, tanh or linear.

    >>> Activation("relu")(np.array([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    @property
    def output_activation(self):
        return self.activation

    def forward(self, x, training=False):
        x = self._check_input(x)
        y = activations.forward(self.activation, x)
        self._cache = (y, x if self.activation in ("softmax", "sigmoid") else None)
        return y

    @property
    def logits(self):
        return None if self._cache is None else self._cache[1]

    def backward(self, dy):
        y = self._cached()[0]
        return activations.backward(self.activation, self._check_dy(dy, y.shape), y)

    def backward_from_logits(self, dz):
        if self.activation not in ("softmax", "sigmoid"):
            raise RuntimeError(f"layer {self.name!r} has activation {self.activation!r}, not softmax or sigmoid")
        return self._check_dy(dz, self._cached()[0].shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = self.activation
        return config


class ReLU(Layer):
    """Keras's ReLU layer: ``min(max_value, x)`` for ``x > threshold``, ``negative_slope * (x - threshold)``
    otherwise; the gradient at the threshold itself is the lower side's, as in Keras and TensorFlow.

    Args:
        max_value (float or None): >= 0. negative_slope (float): >= 0. threshold (float).
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else _float(max_value, "max_value", 0.0)
        self.negative_slope = _float(negative_slope, "negative_slope", 0.0)
        self.threshold = _float(threshold, "threshold")

    def _plain(self):
        return self.negative_slope == 0.0 and self.threshold == 0.0 and self.max_value is None

    def forward(self, x, training=False):
        x = self._check_input(x)
        if self._plain():    # the engine's mask from y backward (y > 0 exactly where x > 0)
            y = np.maximum(x, 0)
            self._cache = (x, y)
            return y
        if self.negative_slope == 0.0 and self.threshold == 0.0:
            y = np.maximum(x, 0)
        else:
            y = np.where(x > self.threshold, x, self.negative_slope * (x - self.threshold)).astype(self.dtype)
        if self.max_value is not None:
            np.minimum(y, self.max_value, out=y)
        self._cache = (x, None)
        return y

    def backward(self, dy):
        x, y = self._cached()
        dy = self._check_dy(dy, x.shape)
        if y is not None:
            return _core.relu_backward(np.ascontiguousarray(dy), y)
        slope = np.where(x > self.threshold, 1.0, self.negative_slope).astype(self.dtype)
        if self.max_value is not None:
            slope[x >= self.max_value] = 0
        return dy * slope

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config


class Softmax(Layer):
    """Softmax along axis (default -1, the last)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise TypeError(f"axis must be an int, got {axis!r}")
        self.axis = int(axis)

    @property
    def output_activation(self):
        return "softmax" if self.axis == -1 else "softmax_axis"

    def forward(self, x, training=False):
        x = self._check_input(x)
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(f"Softmax {self.name!r}: axis {self.axis} is out of range for input shape {x.shape}")
        y = activations.softmax(x, axis=self.axis)
        self._cache = (y, x)
        return y

    @property
    def logits(self):
        return None if self._cache is None else self._cache[1]

    def backward(self, dy):
        y = self._cached()[0]
        dy = self._check_dy(dy, y.shape)
        return y * (dy - np.sum(dy * y, axis=self.axis, keepdims=True))

    def backward_from_logits(self, dz):
        return self._check_dy(dz, self._cached()[0].shape)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
