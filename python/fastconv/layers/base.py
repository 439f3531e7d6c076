"""The Layer base class: names, dtype, weights with their gradients and regularizers, config.

A layer is a forward/backward pair over NumPy arrays: ``forward(x, training)`` caches what
``backward(dy)`` needs, ``backward`` fills each weight's ``grad`` and returns dx. Not autodiff.
"""

import re

import numpy as np

from fastconv import _core, activations, initializers, regularizers
from fastconv.layers import symbolic

__all__ = ["Layer", "Weight"]

_NAME_COUNTS = {}


def _snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def reset_names():
    """Name layers and models from scratch again (keras.backend.clear_session)."""
    _NAME_COUNTS.clear()


def unique_name(base):
    """base, base_1, base_2, ... as Keras names layers and models within a session."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def standardize_shape(shape, name="input_shape"):
    """A shape without the batch axis as a tuple of positive ints (None allowed), else ValueError."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)) or not all(
            s is None or (isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0) for s in shape):
        raise ValueError(f"{name} must be a tuple of positive ints (without the batch axis), got {shape!r}")
    return tuple(None if s is None else int(s) for s in shape)


def split_batch_shape(batch_shape, name="batch_input_shape"):
    """(batch size, shape without it) of a shape whose batch axis comes first, else ValueError."""
    if not isinstance(batch_shape, (tuple, list)) or not batch_shape:
        raise ValueError(f"{name} must be a tuple (batch size or None, *shape), got {batch_shape!r}")
    return batch_shape[0], standardize_shape(tuple(batch_shape[1:]), name)


class Weight:
    """One weight array with its gradient (same shape, or None before backward) and regularizer."""

    __slots__ = ("name", "value", "grad", "trainable", "regularizer")

    def __init__(self, name, value, trainable=True, regularizer=None):
        self.name, self.value, self.grad = name, value, None
        self.trainable, self.regularizer = trainable, regularizer

    @property
    def shape(self):
        return self.value.shape

    def __repr__(self):
        return f"<Weight {self.name} shape={self.value.shape} dtype={self.value.dtype}>"


class Layer:
    """Base class of fastconv's layers (Keras's ``keras.layers.Layer``).

    Args:
        name (str or None): unique within the session by default (``dense``, ``dense_1``, ...).
        trainable (bool): whether fit updates this layer's weights.
        dtype (str or None): "float32" (default, the fast path) or "float64"; inputs are cast to it.
        input_shape (tuple or None): the input's shape without the batch axis, for the first
            layer of a Sequential model (Keras's legacy keyword).
        batch_input_shape (tuple or None): the same with the batch axis first.

    Subclasses implement ``build(input_shape)`` (call ``add_weight``), ``compute_output_shape``,
    ``forward(x, training)`` and ``backward(dy)``, and extend ``get_config``.
    """

    input_shape = None      # set by build (batch axis first)
    output_shape = None

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, batch_input_shape=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}")
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"name must be a non-empty str, got {name!r}")
        if not isinstance(trainable, (bool, np.bool_)):
            raise TypeError(f"trainable must be a bool, got {trainable!r}")
        self.name = name if name is not None else unique_name(_snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        dtype = np.dtype("float32" if dtype is None else dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise TypeError(f"dtype must be 'float32' or 'float64', got {dtype}")
        self.dtype = dtype
        self.built = False
        self._weights = []
        self._batch_input_shape = None
        if batch_input_shape is not None:
            batch_size, shape = split_batch_shape(batch_input_shape)
            self._batch_input_shape = (batch_size,) + shape
        elif input_shape is not None:
            self._batch_input_shape = (None,) + standardize_shape(input_shape)
        self._input_tail = None       # input_shape[1:] once built: inputs matching it skip _check_input
        self.need_input_grad = True   # a model sets False on its first layer: backward skips dx
        self.regularize_in_backward = True  # False in the backward of a shared layer's later calls
        self._cache = None
        self._nodes = []              # one Node per call on symbolic tensors (fastconv.layers.symbolic)

    # ----- weights
    def add_weight(self, name, shape, initializer="zeros", regularizer=None, trainable=True):
        """Create a weight of shape with initializer; returns its array (updated in place by optimizers)."""
        value = np.ascontiguousarray(initializers.get(initializer)(tuple(shape), self.dtype), dtype=self.dtype)
        self._weights.append(Weight(f"{self.name}/{name}", value, bool(trainable), regularizer))
        return value

    @property
    def weights(self):
        """All Weight objects, in Keras's order (e.g. kernel, bias)."""
        return list(self._weights)

    @property
    def trainable_weights(self):
        return [w for w in self._weights if w.trainable and self.trainable]

    @property
    def non_trainable_weights(self):
        return [w for w in self._weights if not (w.trainable and self.trainable)]

    def get_weights(self):
        """Copies of the weight arrays, in Keras's order and shapes."""
        return [w.value.copy() for w in self._weights]

    def set_weights(self, weights):
        """Copy arrays into the weights (Keras's order and shapes); ValueError naming the mismatch."""
        weights = list(weights)
        if len(weights) != len(self._weights):
            raise ValueError(f"layer {self.name!r} expects {len(self._weights)} weight arrays "
                             f"{[w.shape for w in self._weights]}, got {len(weights)}")
        for w, new in zip(self._weights, weights):
            new = np.asarray(new)
            if new.shape != w.value.shape:
                raise ValueError(f"layer {self.name!r}: weight {w.name!r} has shape {w.value.shape}, "
                                 f"got an array of shape {new.shape}")
            if new.dtype.kind not in "fiu":
                raise TypeError(f"layer {self.name!r}: weight {w.name!r} must be numeric, got dtype {new.dtype}")
            w.value[...] = new          # in place: optimizer state keeps pointing at the same arrays

    def count_params(self):
        return int(sum(w.value.size for w in self._weights))

    def regularization_loss(self):
        """Sum of the regularizers' terms over this layer's weights (Keras adds it to the loss)."""
        return float(sum(w.regularizer(w.value) for w in self._weights if w.regularizer is not None))

    def _add_regularization_gradients(self):
        if not self.regularize_in_backward:   # the gradient of a shared layer's penalty is added once
            return
        for w in self._weights:
            if w.regularizer is not None and w.grad is not None:
                w.regularizer.add_gradient(w.grad, w.value)

    # ----- shapes and calls
    def weight_specs(self, input_shape):
        """What build(input_shape) makes, without making it: ``(name, shape, initializer, regularizer,
        trainable)`` per weight (each stored as the attribute of that name), input_shape checked.
        load_model checks a file's arrays against these shapes before anything is allocated."""
        return []

    def build(self, input_shape):
        """Make the weights for inputs of input_shape (batch axis first, may be None)."""
        specs = self.weight_specs(input_shape)
        output_shape = self.compute_output_shape(tuple(input_shape))     # checked before allocating
        for name, shape, initializer, regularizer, trainable in specs:
            setattr(self, name, self.add_weight(name, shape, initializer, regularizer, trainable))
        self.input_shape = tuple(input_shape)
        self.output_shape = output_shape
        self._input_tail = self.input_shape[1:]
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _ensure_built(self, x_shape):
        if not self.built:
            self.build((None,) + tuple(x_shape[1:]))

    def _check_input(self, x, min_ndim=None, ndim=None):
        """x as an array of the layer's dtype, checked against the built input shape."""
        if type(x) is np.ndarray and x.dtype == self.dtype and x.shape[1:] == self._input_tail:
            return x    # what a model passes on every step: the built shape (ndim checked at build) and dtype
        x = np.asarray(x)
        if x.dtype.kind not in "fiub":
            raise TypeError(f"layer {self.name!r} ({type(self).__name__}): input must be numeric, got dtype {x.dtype}")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        if ndim is not None and x.ndim != ndim:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) expects {ndim}-D input, got shape {x.shape}")
        if min_ndim is not None and x.ndim < min_ndim:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) expects input of rank >= {min_ndim}, "
                             f"got shape {x.shape}")
        self._ensure_built(x.shape)
        expected = self.input_shape
        if expected is not None and (len(expected) != x.ndim or any(
                e is not None and e != s for e, s in zip(expected[1:], x.shape[1:]))):
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) was built for inputs of shape {expected}, "
                             f"got shape {x.shape}")
        return x

    def __call__(self, x, training=False):
        """forward(x, training) on arrays, building the layer on first use. On symbolic tensors
        (``fastconv.Input(...)`` or a layer's output) it records the call in a model's graph and
        returns the output's symbolic tensor, as Keras's functional API does."""
        if symbolic.is_symbolic(x):
            return symbolic.call_layer(self, x)
        return self.forward(x, training=training)

    def _only_node(self, what):
        if not self._nodes:
            raise AttributeError(f"layer {self.name!r} has no {what}: it has not been called on a symbolic tensor "
                                 "(fastconv.Input(...)) or in a built model")
        if len(self._nodes) > 1:
            raise AttributeError(f"layer {self.name!r} has been called {len(self._nodes)} times, so it has no single "
                                 f"{what}; use the tensors its calls returned")
        return self._nodes[0]

    @property
    def input(self):
        """The symbolic tensor(s) of the layer's one call (Keras's ``layer.input``)."""
        node = self._only_node("input")
        return node.inputs[0] if node.single_input else list(node.inputs)

    @property
    def output(self):
        """The symbolic tensor of the layer's one call, e.g. to build a feature extractor:
        ``Model(model.input, model.layers[-2].output)``."""
        outputs = self._only_node("output").outputs
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def accepts_input_shape(self, shape):
        """Whether the built layer can run on inputs of shape (batch axis first): the same shape
        after the batch axis, None matching anything."""
        expected = self.input_shape
        if expected is None or len(expected) != len(shape):
            return expected is None
        return all(e is None or s is None or e == s for e, s in zip(expected[1:], shape[1:]))

    def _call_output_names(self):
        """Names of the symbolic outputs of a call (one, the layer's name, except for models)."""
        return [self.name]

    def output_dtype(self, index=0):
        return self.dtype.name

    def forward(self, x, training=False):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, dy):
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"layer {self.name!r}: backward called before forward")
        return self._cache

    def _check_dy(self, dy, shape):
        if type(dy) is np.ndarray and dy.shape == shape and dy.dtype == self.dtype:
            return dy
        dy = np.asarray(dy)
        if dy.shape != shape:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}): dy must have the output's shape "
                             f"{shape}, got {dy.shape}")
        return dy.astype(self.dtype, copy=False)

    # ----- softmax + cross-entropy fusion (see Sequential.fit)
    output_activation = "linear"   # a layer ending in softmax or sigmoid says so, and offers backward_from_logits

    def backward_from_logits(self, dz):
        raise NotImplementedError(f"{type(self).__name__} has no softmax output")

    # ----- config
    def get_config(self):
        """The constructor's arguments as a JSON-able dict (``from_config(get_config())`` rebuilds)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"


def serialize_init(initializer):
    """An initializer argument as stored in a config: a name or a class dict."""
    if isinstance(initializer, str):
        return initializer
    return initializers.serialize(initializer)


def serialize_reg(regularizer):
    return regularizers.serialize(regularizer)


class PooledAway:
    """What a Conv2D caches for the output that a fused convolution + max pooling forward never
    stored (fastconv._conv_pool): its shape and dtype, enough for backward_from_preactivation."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype


class ActivationOutput:
    """Mixin for layers with an ``activation=`` argument (Conv2D, Dense).

    ReLU is fused into the engine call (forward and backward); other activations run after it in
    NumPy. With softmax the pre-activation output (logits) is kept so that Sequential can fuse
    softmax with cross-entropy (gradient ``(p - y) / N`` w.r.t. the logits).
    """

    def _standardize_options(self, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                             bias_regularizer):
        """Checks and sets the options Conv2D and Dense share: activation, bias, initializers and
        regularizers of the kernel and the bias."""
        self.activation = activations.get(activation)
        if not isinstance(use_bias, bool):
            raise TypeError(f"use_bias must be a bool, got {use_bias!r}")
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        self.kernel_regularizer = regularizers.get(kernel_regularizer, "kernel_regularizer")
        self.bias_regularizer = regularizers.get(bias_regularizer, "bias_regularizer")
        self.kernel = self.bias = None

    @property
    def output_activation(self):
        return self.activation

    def _engine_activation(self):
        return "relu" if self.activation == "relu" else None

    def _activate(self, z):
        """(y, logits): logits kept only for softmax."""
        if self.activation in ("relu", "linear"):
            return z, None
        if self.activation == "softmax":
            return _core.softmax(z), z      # z is the engine's output: C-contiguous, float32 or float64
        if self.activation == "sigmoid":    # kept for a fused sigmoid + binary cross-entropy
            return activations.forward(self.activation, z), z
        return activations.forward(self.activation, z), None

    @property
    def logits(self):
        """The last forward's output before a softmax or sigmoid (None for other activations)."""
        return None if self._cache is None else self._cache[-1]

    def backward(self, dy):
        """Gradient w.r.t. the input; fills the weights' grads. dy is w.r.t. the (activated) output."""
        y = self._cached()[1]
        if isinstance(y, PooledAway):
            raise RuntimeError(f"layer {self.name!r}: its last forward ran fused with the max pooling after it, "
                               "which keeps no output here; backward goes through that layer's "
                               "backward_through_relu and this layer's backward_from_preactivation")
        dy = self._check_dy(dy, y.shape)
        if self.activation == "relu":
            return self._backward_linear(dy, y)
        if self.activation != "linear":
            dy = activations.backward(self.activation, dy, y)
        return self._backward_linear(dy, None)

    def backward_from_preactivation(self, dz):
        """Backward from the gradient w.r.t. the output before the activation, e.g. after a max
        pool that applied this ReLU's mask (MaxPooling2D.backward_through_relu)."""
        return self._backward_linear(self._check_dy(dz, self._cached()[1].shape), None)

    def backward_from_logits(self, dz):
        """Backward from the gradient w.r.t. the output before a softmax or sigmoid (fused with a
        cross-entropy)."""
        if self.activation not in ("softmax", "sigmoid"):
            raise RuntimeError(f"layer {self.name!r} has activation {self.activation!r}, not softmax or sigmoid")
        return self._backward_linear(self._check_dy(dz, self._cached()[1].shape), None)
