"""Models as graphs of layer calls (Keras's ``keras.Model``): the functional API and what every model
shares (compile, fit, evaluate, predict, weights, summary).

``Model(inputs, outputs)`` takes symbolic tensors from ``fastconv.Input(...)`` and the layers
called on them; ``Sequential`` is the same model over a chain. Each training step is the
executor's (fastconv.training.executor): forward, the losses (softmax fused with cross-entropy
where an output allows it), backward, one optimizer step over every trainable weight. A model is
also a layer: called on symbolic tensors inside another model, it runs as one step of that one.
A subclassed model (``call()`` overridden, layers assigned in ``__init__``) is traced: on its
first data, ``call`` runs once on symbolic tensors of that data's shapes, and the graph it records
is the model from then on, as Keras builds a functional graph from ``call``.
"""

import numbers
import os
import sys
import time
import warnings

import numpy as np

from fastconv import _fit_checks, _model_file, _random, callbacks as callbacks_module, losses
from fastconv import metrics as metrics_module, optimizers
from fastconv._model_file import FORMAT, FORMAT_VERSION
from fastconv.layers.base import Layer, _snake_case, unique_name
from fastconv.layers.core import Input, InputLayer
from fastconv.layers.symbolic import SymbolicTensor, flatten
from fastconv.models._data import as_arrays, check_array
from fastconv.models._interrupt import InterruptGuard
from fastconv.models._running_logs import RunningLogs
from fastconv.training.executor import Executor, unique

__all__ = ["Model"]


def check_int(value, name, minimum):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_verbose(value):
    if value == "auto":
        return 1
    if value not in (0, 1, 2) or isinstance(value, bool):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {value!r}")
    return int(value)


def format_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024


def _structure(value):
    """('single' | 'list' | 'dict', keys) of a model's inputs or outputs argument."""
    if isinstance(value, dict):
        return "dict", list(value)
    if isinstance(value, (list, tuple)):
        return "list", None
    return "single", None


def _per_output(value, names, what, default):
    """compile's loss / loss_weights / metrics argument as one entry per output."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"{what} names {unknown}, which are not outputs of the model; outputs: {names}")
        return [value.get(n, default) for n in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(f"{what} has {len(value)} entries, the model has {len(names)} outputs {names}")
        return list(value)
    return [value] * len(names)


def _assigned_layers(model):
    """Layers assigned as attributes of a subclassed model (directly, or in a list or tuple), in
    assignment order, as Keras tracks them."""
    for name, value in vars(model).items():
        if name.startswith("_") or value is model:
            continue
        if isinstance(value, Layer):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, Layer))


class Model(Layer):
    """A model from symbolic inputs to outputs (Keras's functional ``keras.Model``), or, subclassed
    with ``call()`` overridden, the graph that call records on the model's first data.

    Args:
        inputs: a symbolic tensor from ``fastconv.Input(...)``, or a list or dict of them (none
            for a subclassed model).
        outputs: a symbolic tensor computed from inputs by calling layers, or a list or dict of them.
        name (str or None): default "functional", "functional_1", ... (a subclass's snake-cased name).

    >>> from fastconv import Input, Model, layers
    >>> x = Input((4,)); h = layers.Dense(3, activation="relu")(x)
    >>> model = Model(x, layers.add([h, layers.Dense(3)(h)]))
    >>> model.output_shape
    (None, 3)
    """

    _single_output = False      # Sequential: compile needs no graph to know its outputs

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if kwargs:
            raise TypeError(f"Model() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}")
        if type(self).call is not Model.call:       # subclassed: traced from call() on first data
            if inputs is not None or outputs is not None:
                raise TypeError(f"{type(self).__name__} defines call(): its graph comes from call(), so "
                                "super().__init__() takes no inputs or outputs")
            self._init_model(name if name is not None else unique_name(_snake_case(type(self).__name__)),
                             trainable)
            self.built = False
            return
        if inputs is None or outputs is None:
            raise TypeError("Model(inputs, outputs) needs both: symbolic tensors from fastconv.Input(...) and the "
                            "outputs of layers called on them")
        self._init_model(name if name is not None else unique_name("functional"), trainable)
        self._input_structure = _structure(inputs)
        self._output_structure = _structure(outputs)
        self._set_graph(flatten(inputs, "Model inputs"), flatten(outputs, "Model outputs"))

    def call(self, inputs, training=False):
        """What a subclassed model computes: override it, calling the layers made in ``__init__``
        on ``inputs`` (and merge layers, or ``+``, ``-``, ``*`` between tensors). It runs once, on
        symbolic tensors, to record the model's graph: Python code that needs values (``if`` on a
        tensor, NumPy functions) cannot be recorded and raises a TypeError naming it; a branch on
        ``training`` is recorded as training=False (Dropout and BatchNormalization still get fit's
        flag)."""
        raise NotImplementedError

    def _trace(self, example, fn):
        """Record call() on symbolic tensors shaped like example (arrays: one, a list or a dict)."""
        def symbolic(array, name):
            array = check_array(array, "x" if name is None else f"x[{name!r}]", fn)
            return Input(array.shape[1:], name=None if name is None else str(name))   # float32, as Keras's
        if isinstance(example, dict):
            inputs = {key: symbolic(value, key) for key, value in example.items()}
        elif isinstance(example, (list, tuple)):
            inputs = [symbolic(value, None) for value in example]
        else:
            inputs = symbolic(example, None)
        self._trace_symbolic(inputs)

    def _trace_symbolic(self, inputs):
        try:
            outputs = self.call(inputs, training=False)
        except TypeError as err:
            raise TypeError(f"{type(self).__name__}.call() could not be recorded as a graph: {err}") from None
        try:
            flat_outputs = flatten(outputs, f"the outputs of {type(self).__name__}.call()")
        except TypeError as err:
            raise TypeError(f"{err}: call() must compute its outputs with layers from its inputs") from None
        self._input_structure = _structure(inputs)
        self._output_structure = _structure(outputs)
        self._set_graph(flatten(inputs, "inputs"), flat_outputs)

    def _init_model(self, name, trainable):
        Layer.__init__(self, name=name, trainable=trainable)
        self.optimizer = None
        self._compile_args = (None, None, None)
        self._losses = None
        self._loss_weights = None
        self._metric_ids = []
        self._metrics = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._executor = None

    def _set_graph(self, inputs, outputs):
        executor = Executor(inputs, outputs)
        names = [layer.name for layer in executor.keras_order()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"the layer names {repeated} are used more than once in model {self.name!r}: names "
                             "must be unique within a model (as in Keras)")
        self._executor = executor
        self._inputs, self._outputs = list(inputs), list(outputs)
        self.dtype = np.dtype(inputs[0].dtype)
        self.built = True
        if self.compiled:       # a subclassed model compiled before it was traced, or a Sequential grown since
            self._resolve_compile()

    # ----- structure
    @property
    def inputs(self):
        return list(self._inputs)

    @property
    def outputs(self):
        return list(self._outputs)

    @property
    def input(self):
        """The model's input tensor, or the list of them (Keras's ``model.input``)."""
        return self._inputs[0] if len(self._inputs) == 1 else list(self._inputs)

    @property
    def output(self):
        """The model's output tensor, or the list of them (Keras's ``model.output``)."""
        return self._outputs[0] if len(self._outputs) == 1 else list(self._outputs)

    @property
    def input_names(self):
        return [t.node.layer.name for t in self._inputs]

    @property
    def output_names(self):
        keys = self._output_structure[1]
        return list(keys) if keys is not None else [t.node.layer.name if t.node.layer is not None else t.name
                                                     for t in self._outputs]

    @property
    def input_shape(self):
        shapes = [t.shape for t in self._inputs]
        return shapes[0] if self._input_structure[0] == "single" else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self._outputs]
        return shapes[0] if self._output_structure[0] == "single" else shapes

    @property
    def layers(self):
        """The layers in Keras's order: for a graph model by depth from the inputs (InputLayers
        included); for a subclassed model the layers assigned to it, in assignment order, then any
        other layer call() used."""
        if type(self).call is Model.call:
            return self._executor.keras_order()
        tracked = unique(_assigned_layers(self))
        if self._executor is None:
            return tracked
        seen = {id(layer) for layer in tracked}
        return tracked + [layer for layer in self._executor.keras_order()
                          if id(layer) not in seen and not isinstance(layer, InputLayer)]

    def get_layer(self, name=None, index=None):
        """A layer by name or by index into ``layers``."""
        layers = self.layers
        if index is not None:
            if not isinstance(index, numbers.Integral) or not -len(layers) <= index < len(layers):
                raise ValueError(f"index must be an int in [0, {len(layers)}), got {index!r}")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {[l.name for l in layers]}")

    # ----- as a layer inside another model
    def compute_output_shape(self, input_shape):
        if self._executor is None:
            self.build(input_shape)
        shapes = [t.shape for t in self._outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def accepts_input_shape(self, shape):
        if self._executor is None:
            return True
        shapes = [shape] if isinstance(shape, tuple) else list(shape)
        expected = [t.shape for t in self._inputs]
        return len(shapes) == len(expected) and all(
            len(e) == len(s) and all(a is None or b is None or a == b for a, b in zip(e[1:], s[1:]))
            for e, s in zip(expected, shapes))

    def build(self, input_shape=None):
        if self._executor is None:              # a subclassed model: trace call() for these shapes
            if input_shape is None:
                raise ValueError(f"model {self.name!r} needs build(input_shape) or data before it has weights")
            shapes = [input_shape] if isinstance(input_shape, tuple) else list(input_shape)
            inputs = [Input(tuple(shape)[1:]) for shape in shapes]
            self._trace_symbolic(inputs[0] if isinstance(input_shape, tuple) else inputs)
            return
        if not self.accepts_input_shape(input_shape if input_shape is not None else self.input_shape):
            raise ValueError(f"model {self.name!r} takes inputs {self.input_shape}, got {input_shape}")

    def _call_output_names(self):
        return self.output_names

    def forward(self, x, training=False):
        xs = self._check_inputs(x, "call")
        outs = self._executor.forward(xs, training=training, keep_caches=True)
        self._cache = self._executor._run
        return self._pack_outputs(outs)

    def backward(self, dy):
        self._executor._run = self._cached()
        if self._executor.inputs_need_grad != self.need_input_grad:
            self._executor.prepare_backward(inputs_need_grad=self.need_input_grad)
        dys = [dy] if len(self._outputs) == 1 else list(dy)
        dxs = self._executor.backward(dys, regularize=self.regularize_in_backward)
        return dxs[0] if len(dxs) == 1 else dxs

    @property
    def weights(self):
        return unique(w for layer in self.layers for w in layer.weights)

    @property
    def trainable_weights(self):
        return unique(w for layer in self.layers for w in layer.trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def get_weights(self):
        """Copies of every weight, layer by layer in Keras's order (what keras_model.get_weights() lists)."""
        return [w.value.copy() for w in self.weights]

    def set_weights(self, weights):
        """Set get_weights()'s list (shapes checked, ValueError naming the weight)."""
        weights = list(weights)
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(f"model {self.name!r} has {len(mine)} weight arrays, got {len(weights)}")
        for w, new in zip(mine, weights):
            new = np.asarray(new)
            if new.shape != w.value.shape:
                raise ValueError(f"model {self.name!r}: weight {w.name!r} has shape {w.value.shape}, got an array of "
                                 f"shape {new.shape}")
            if new.dtype.kind not in "fiu":
                raise TypeError(f"model {self.name!r}: weight {w.name!r} must be numeric, got dtype {new.dtype}")
        for w, new in zip(mine, weights):
            w.value[...] = new

    def count_params(self):
        return int(sum(w.value.size for w in self.weights))

    def regularization_loss(self):
        """The regularizers' terms of every layer the model computes with (each layer once)."""
        layers = self._executor.layers if self._executor is not None else self.layers   # per step: no rescan
        return float(sum(layer.regularization_loss() for layer in layers))

    # ----- data
    def _check_inputs(self, x, fn):
        if self._executor is None:
            self._trace(x, fn)
        xs = as_arrays(x, self.input_names, "x", fn)
        for array, t in zip(xs, self._inputs):
            if array.ndim != len(t.shape) or any(e is not None and e != s for e, s in zip(t.shape[1:], array.shape[1:])):
                which = "inputs" if len(xs) == 1 else f"input {t.name!r}"
                raise ValueError(f"{fn}: model {self.name!r} expects {which} of shape {t.shape}, got {array.shape}")
        if len({len(a) for a in xs}) > 1:
            raise ValueError(f"{fn}: the inputs have different numbers of samples: {[a.shape for a in xs]}")
        return xs

    def _pack_outputs(self, outs):
        kind, keys = self._output_structure
        if kind == "single":
            return outs[0]
        if kind == "dict":
            return dict(zip(keys, outs))
        return list(outs)

    def _check_xy(self, x, y, fn):
        if x is None:
            raise ValueError(f"{fn}() needs inputs x")
        xs = self._check_inputs(x, fn)
        if y is None:
            raise ValueError(f"{fn}() needs targets y")
        ys = as_arrays(y, self.output_names, "y", fn)
        n = len(xs[0])
        for array in ys:
            if len(array) != n:
                shapes = lambda arrays: arrays[0].shape if len(arrays) == 1 else [a.shape for a in arrays]
                raise ValueError(f"{fn}: x and y must have the same number of samples, got x {shapes(xs)} and "
                                 f"y {shapes(ys)}")
        if n == 0:
            raise ValueError(f"{fn}: x is empty (shape {xs[0].shape})")
        return xs, ys

    # ----- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None):
        """Set the optimizer (name or instance), the loss (name or Loss; a list or dict gives one
        per output, None for an output without one), loss_weights (the total is their weighted
        sum) and metrics (e.g. ["accuracy"] for every output, or a dict / list of lists per output).
        A subclassed model not yet traced checks them against its outputs when it is."""
        if metrics is not None and isinstance(metrics, (str, metrics_module.Metric)):
            raise TypeError(f"metrics must be a list, e.g. ['accuracy'], got {metrics!r}")
        self.optimizer = optimizers.get(optimizer)
        self._compile_args = (loss, metrics, loss_weights)
        self.compiled = True
        if self._executor is not None or self._single_output:
            self._resolve_compile()

    def _resolve_compile(self):
        """compile's loss, loss_weights and metrics, one entry per output."""
        loss, metrics, loss_weights = self._compile_args
        names = self.output_names
        self._losses = None if loss is None else [None if l is None else losses.get(l)
                                                  for l in _per_output(loss, names, "loss", None)]
        weights = _per_output(loss_weights, names, "loss_weights", 1.0) if loss_weights is not None else \
            [1.0] * len(names)
        for w in weights:
            if not isinstance(w, numbers.Real) or isinstance(w, bool) or not np.isfinite(w):
                raise ValueError(f"loss_weights must be finite numbers, got {loss_weights!r}")
        self._loss_weights = [float(w) for w in weights]
        if metrics is None:
            metrics = []
        if isinstance(metrics, dict) or (len(names) > 1 and metrics and all(isinstance(m, (list, tuple))
                                                                               for m in metrics)):
            per_output = _per_output(metrics, names, "metrics", [])
        else:
            per_output = [metrics] * len(names)
        self._metric_ids = [[metrics_module.check(m) for m in (ms if isinstance(ms, (list, tuple)) else [ms])]
                            for ms in per_output]
        self._metrics = None

    @property
    def loss(self):
        """The loss (one per output: a list) given to compile."""
        if self._losses is None:
            return None
        return self._losses[0] if len(self._losses) == 1 else list(self._losses)

    def _require_compiled(self, what):
        loss = self._compile_args[0] if self.compiled else None
        if loss is None or (isinstance(loss, (list, tuple, dict)) and all(
                l is None for l in (loss.values() if isinstance(loss, dict) else loss))):
            raise RuntimeError(f"call compile(optimizer, loss, metrics) with a loss before {what}()")

    def _make_metrics(self, ys, outs):
        if self._metrics is None:
            self._metrics = [[metrics_module.get(m, y.shape, out.shape) for m in ids]
                             for ids, y, out in zip(self._metric_ids, ys, outs)]
        for ms in self._metrics:
            for m in ms:
                m.reset_state()
        return self._metrics

    # ----- one step
    def _fused_outputs(self):
        """For each output: the softmax or sigmoid layer whose logits its loss starts from, or None."""
        fused = []
        for k, loss in enumerate(self._losses):
            fusable = loss is not None and loss.fuses_with is not None and loss.reduction != "none"
            fused.append(self._executor.fusable_output(k, loss.fuses_with) if fusable else None)
        return fused

    def _losses_and_grads(self, ys, outs, fused):
        """(total of the weighted losses, each output's loss, the gradients, the outputs whose
        gradient is w.r.t. the logits)."""
        total, per_output, grads, from_logits = 0.0, [], [], []
        for k, (loss, weight) in enumerate(zip(self._losses, self._loss_weights)):
            if loss is None:
                per_output.append(None)
                grads.append(None)
                continue
            if fused[k] is not None:
                value, grad = loss.fused_value_and_gradient(ys[k], self._executor.logits(k))
                from_logits.append(k)
            else:
                value, grad = loss.value_and_gradient(ys[k], outs[k])
            if weight != 1.0:
                value, grad = value * weight, grad * grad.dtype.type(weight)
            total += value
            per_output.append(value)
            grads.append(grad)
        return total, per_output, grads, from_logits

    def _train_step(self, xs, ys, fused):
        """One batch: forward, losses, backward, optimizer step. Returns (total loss with the
        regularizers' terms, each output's loss, the outputs)."""
        executor = self._executor
        outs = executor.forward(xs, training=True)
        total, per_output, grads, from_logits = self._losses_and_grads(ys, outs, fused)
        total += self.regularization_loss()      # with the weights the gradients were taken at
        executor.backward(grads, from_logits)
        self.optimizer.apply(executor.trainable_weights)
        return total, per_output, outs

    def _prepare_training(self):
        """What a training step needs, read off the layers as they are now (callbacks may change
        what is trainable)."""
        self._executor.prepare_backward()
        return self._fused_outputs()

    def profile(self, x, y, batch_size=32, repeats=10, print_fn=None):
        """Time one training step, step by step as fit runs it, on the first batch of (x, y).

        Prints, per step (a layer, or a fused pair such as conv2d+max_pooling2d), forward and
        backward milliseconds per batch, GFLOP/s, the share of the machine's measured float32 peak,
        and the algorithm each convolution pass runs; then the optimizer's step. Weights, optimizer state and the random generator are left unchanged.

        Args:
            x, y (ndarray): data as for fit. batch_size (int): default 32. repeats (int): timings
                per pass (the median is shown). print_fn (callable or None): default print.

        Returns:
            list of fastconv.profiling.LayerProfile.
        """
        from fastconv import profiling
        self._require_compiled("profile")
        xs, ys = self._check_xy(x, y, "profile")
        batch_size = check_int(batch_size, "batch_size", 1)
        repeats = check_int(repeats, "repeats", 1)
        rows, peak = profiling.profile_model(self, xs, ys, batch_size, repeats)
        (print_fn or print)(profiling.format_profile(rows, peak, min(batch_size, len(xs[0]))))
        return rows

    # ----- fit / evaluate / predict
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, initial_epoch=0, terminate_on_nan=True):
        """Train for epochs over (x, y) in batches; returns a History.

        Args:
            x (ndarray, or a list / dict of them for several inputs): inputs ``(N, ...)``.
            y (ndarray, or a list / dict of them for several outputs): targets (one-hot, labels, ...).
            batch_size (int or None): default 32. epochs (int): train until this epoch index.
            verbose (0, 1, 2 or "auto"): 0 silent; 1 and 2 print each epoch's logs.
            callbacks (list of Callback). validation_split (float): in [0, 1), the last fraction of
                the samples (taken before shuffling) held out for validation.
            validation_data (tuple (x_val, y_val) or None): overrides validation_split.
            shuffle (bool): reshuffle the training samples every epoch (fastconv's generator, see
                set_random_seed). initial_epoch (int): epoch to start at (resuming).
            terminate_on_nan (bool): stop, with a warning naming the epoch and batch, when the loss
                becomes NaN or Inf (default True, like Keras's TerminateOnNaN callback).

        Returns:
            History: ``history.history`` with "loss", metric names and "val_" versions per epoch
            (for several outputs also "<output>_loss" and "<output>_<metric>").

        Raises TypeError for data that is not arrays (a dataset, a generator, a data loader), and
        ValueError before the first step for NaN/Inf in x or y and for targets the loss cannot use
        (labels out of range, shapes that do not match the output); warns for integer inputs far
        outside [0, 1]. Ctrl-C stops after the current batch (the weights stay those of a completed
        step) and returns the History of the finished epochs, with ``history.interrupted = True``.
        """
        self._require_compiled("fit")
        xs, ys = self._check_xy(x, y, "fit")
        batch_size = 32 if batch_size is None else check_int(batch_size, "batch_size", 1)
        epochs = check_int(epochs, "epochs", 0)
        initial_epoch = check_int(initial_epoch, "initial_epoch", 0)
        verbose = check_verbose(verbose)
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be a bool, got {shuffle!r}")
        if not isinstance(validation_split, numbers.Real) or not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be a float in [0, 1), got {validation_split!r}")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a tuple (x_val, y_val), got "
                                 f"{type(validation_data).__name__} of length {len(validation_data) if hasattr(validation_data, '__len__') else '?'}")
            xs_val, ys_val = self._check_xy(*validation_data, "fit (validation_data)")
        elif validation_split:
            n_all = len(xs[0])
            split = int(np.floor(n_all * (1.0 - validation_split)))
            if split == 0 or split == n_all:
                raise ValueError(f"validation_split={validation_split} leaves no training or no validation samples "
                                 f"of {n_all}")
            xs, xs_val = [a[:split] for a in xs], [a[split:] for a in xs]
            ys, ys_val = [a[:split] for a in ys], [a[split:] for a in ys]
        else:
            xs_val = ys_val = None
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, callbacks_module.Callback):
                raise TypeError(f"callbacks must be fastconv.callbacks.Callback instances, got {cb!r}")
        self._check_data(xs, ys, "")
        self._warn_logits_of_an_activation()
        if xs_val is not None:
            self._check_data(xs_val, ys_val, "validation ")
        for k, array in enumerate(xs):
            _fit_checks.warn_unscaled(array, "fit" if len(xs) == 1 else f"fit (input {self.input_names[k]!r})")
        n = len(xs[0])
        steps = -(-n // batch_size)
        history = callbacks_module.History()
        progress = callbacks_module.ProgbarLogger(verbose)
        params = {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size, "samples": n}
        cbs = callbacks_module.CallbackList([progress, *callbacks, history], self, params)
        history.model = self
        self.history = history
        self.stop_training = False
        epoch, batch = initial_epoch, -1
        logs = {}
        # As Keras, batch hooks run only when some callback implements them.
        batch_begin, batch_end = cbs.implements("on_train_batch_begin"), cbs.implements("on_train_batch_end")
        with InterruptGuard() as guard:
            try:
                cbs.on_train_begin()
                for epoch in range(initial_epoch, epochs):
                    cbs.on_epoch_begin(epoch)
                    fused = None            # prepared after callbacks ran: they may change what is trainable
                    order = _random.generator().permutation(n) if shuffle else None
                    running = RunningLogs(self.output_names, self._make_metrics)
                    for batch in range(steps):
                        if batch_begin:
                            cbs.on_train_batch_begin(batch)
                            fused = None
                        if fused is None:
                            fused = self._prepare_training()
                        rows = slice(batch * batch_size, (batch + 1) * batch_size)
                        if order is not None:
                            index = order[rows]
                            xb, yb = [a.take(index, axis=0) for a in xs], [a.take(index, axis=0) for a in ys]
                        else:
                            xb, yb = [a[rows] for a in xs], [a[rows] for a in ys]
                        loss, per_output, outs = self._train_step(xb, yb, fused)
                        running.add(yb, outs, loss, per_output)
                        logs = running.logs()
                        if batch_end:
                            cbs.on_train_batch_end(batch, logs)
                            fused = None
                        # The running mean too: finite batch losses near the float maximum sum to inf.
                        if terminate_on_nan and not (np.isfinite(loss) and np.isfinite(logs["loss"])):
                            bad = loss if not np.isfinite(loss) else logs["loss"]
                            warnings.warn(f"fit: the loss became {bad} in epoch {epoch + 1}, batch {batch + 1}; "
                                          "training stopped there. Try a lower learning rate, or pass "
                                          "terminate_on_nan=False to train on", RuntimeWarning, stacklevel=2)
                            self.stop_training = True
                        if guard.requested or self.stop_training:
                            break
                    if guard.requested:
                        raise KeyboardInterrupt
                    if xs_val is not None:
                        val = self._evaluate_arrays(xs_val, ys_val, batch_size)
                        logs.update({f"val_{k}": v for k, v in val.items()})
                    cbs.on_epoch_end(epoch, dict(logs))
                    if self.stop_training:
                        break
            except KeyboardInterrupt:
                history.interrupted = True
                print(f"fit: interrupted (Ctrl-C) in epoch {epoch + 1}, batch {batch + 1}; the weights are those "
                      f"after the last completed batch; returning the history of {len(history.epoch)} "
                      "completed epoch(s)", file=sys.stderr)
            cbs.on_train_end(dict(logs))
        return history

    def _warn_logits_of_an_activation(self):
        """Keras's warning for from_logits=True on an output a softmax or sigmoid made."""
        for k, loss in enumerate(self._losses):
            if loss is None or not getattr(loss, "from_logits", False):
                continue
            for activation in ("softmax", "sigmoid"):
                if self._executor.fusable_output(k, activation) is not None:
                    warnings.warn(f"{loss.name} received from_logits=True, but output {self.output_names[k]!r} is "
                                  f"produced by a {activation} activation and thus does not represent logits. Was "
                                  "this intended?", UserWarning, stacklevel=3)

    def _check_data(self, xs, ys, what):
        for k, array in enumerate(xs):
            name = f"{what}x" if len(xs) == 1 else f"{what}x[{self.input_names[k]!r}]"
            _fit_checks.check_finite(array, name, "fit")
        for k, (array, loss) in enumerate(zip(ys, self._losses)):
            name = f"{what}y" if len(ys) == 1 else f"{what}y[{self.output_names[k]!r}]"
            _fit_checks.check_finite(array, name, "fit")
            if loss is not None:
                _fit_checks.check_targets(loss, array, self._outputs[k].shape, "fit")

    def _evaluate_arrays(self, xs, ys, batch_size, cbs=None):
        running = RunningLogs(self.output_names, self._make_metrics)
        reg = self.regularization_loss()
        fused = self._fused_outputs()
        for batch, start in enumerate(range(0, len(xs[0]), batch_size)):
            if cbs is not None:
                cbs.on_test_batch_begin(batch)
            rows = slice(start, start + batch_size)
            xb, yb = [a[rows] for a in xs], [a[rows] for a in ys]
            outs = self._executor.forward(xb, training=False)
            loss, per_output, _, _ = self._losses_and_grads(yb, outs, fused)
            running.add(yb, outs, loss + reg, per_output)
            if cbs is not None:
                cbs.on_test_batch_end(batch, {"loss": running.loss})
        return running.logs()

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False, callbacks=None):
        """Loss (with regularization) and metrics over (x, y).

        Returns:
            ``[loss, metric, ...]``, or the loss alone when compiled without metrics (and one
            output), or a dict with return_dict=True.
        """
        self._require_compiled("evaluate")
        xs, ys = self._check_xy(x, y, "evaluate")
        batch_size = 32 if batch_size is None else check_int(batch_size, "batch_size", 1)
        verbose = check_verbose(verbose)
        params = {"steps": -(-len(xs[0]) // batch_size), "verbose": verbose, "batch_size": batch_size}
        cbs = callbacks_module.CallbackList([callbacks_module.ProgbarLogger(verbose), *(callbacks or [])], self, params)
        cbs.on_test_begin()
        logs = self._evaluate_arrays(xs, ys, batch_size, cbs)
        cbs.on_test_end(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0):
        """The model's outputs for x, computed in batches (inference mode: no dropout, moving BN
        statistics): an array, or a list / dict of them as the model's outputs were given."""
        if x is None:
            raise ValueError("predict() needs inputs x")
        xs = self._check_inputs(x, "predict")
        batch_size = 32 if batch_size is None else check_int(batch_size, "batch_size", 1)
        check_verbose(verbose)
        start_time = time.perf_counter()
        n = len(xs[0])
        chunks = [self._executor.forward([a[i:i + batch_size] for a in xs], training=False)
                  for i in range(0, n, batch_size)]
        outs = []
        for k, t in enumerate(self._outputs):
            if chunks:
                outs.append(np.concatenate([c[k] for c in chunks]))
            else:
                outs.append(np.zeros((0,) + tuple(t.shape[1:]), self.dtype))
        if verbose:
            print(f"{len(chunks)}/{len(chunks)} - {time.perf_counter() - start_time:.0f}s")
        return self._pack_outputs(outs)

    def __call__(self, x, training=False):
        """Outputs for arrays x (as predict, in one batch), or, on symbolic tensors, this model as
        one layer call of another model."""
        if isinstance(x, SymbolicTensor) or (isinstance(x, (list, tuple, dict)) and any(
                isinstance(v, SymbolicTensor) for v in (x.values() if isinstance(x, dict) else x))):
            return super().__call__(list(x.values()) if isinstance(x, dict) else x, training=training)
        return self.forward(x, training=training)

    # ----- summary
    def summary(self, line_length=None, print_fn=None):
        """Print a table of layers (name and type), output shapes, parameter counts and, for graph
        models, the tensors each layer is connected to (Keras's "Connected to"); then totals."""
        if self._executor is None:
            raise ValueError(f"model {self.name!r} has not been built yet: call it on data, or build(input_shape), "
                             "first (its graph comes from call())")
        self._summary(self._summary_rows(), ("Layer (type)", "Output Shape", "Param #", "Connected to"),
                      self.dtype.itemsize, line_length, print_fn)

    def _summary_rows(self):
        executor, rows = self._executor, []
        for layer in self.layers:
            nodes = executor.calls_of(layer)
            shapes = [t.shape for node in nodes for t in node.outputs]
            shape = str(shapes[0]) if len(shapes) == 1 else str(shapes)
            connected = ", ".join("{}[{}][{}]".format(*executor.reference(t)) for node in nodes for t in node.inputs)
            rows.append((f"{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params():,}",
                         connected or "-"))
        return rows

    def _summary(self, rows, headers, itemsize, line_length, print_fn):
        """The summary table of rows under headers, then the parameter totals (itemsize bytes each)."""
        widths = [max(len(headers[i]), *(len(r[i]) for r in rows)) + 4 for i in range(len(headers))]
        width = max(sum(widths) + 1, line_length or 0)
        line = lambda cells: (" " + "".join(c.ljust(w) for c, w in zip(cells, widths))).rstrip()
        trainable = sum(w.value.size for w in self.trainable_weights)
        total = self.count_params()
        text = [f'Model: "{self.name}"', "_" * width, line(headers), "=" * width]
        text += [line(r) for r in rows]
        text += ["=" * width,
                 f"Total params: {total:,} ({format_bytes(total * itemsize)})",
                 f"Trainable params: {trainable:,} ({format_bytes(trainable * itemsize)})",
                 f"Non-trainable params: {total - trainable:,} ({format_bytes((total - trainable) * itemsize)})",
                 "_" * width]
        (print_fn or print)("\n".join(text))

    # ----- config and saving
    def get_config(self):
        """The graph: every layer's config and calls, the inputs and outputs (graph_config)."""
        from fastconv.models.graph_config import graph_config
        if self._executor is None:
            raise ValueError(f"model {self.name!r} has not been built yet: nothing to describe")
        return graph_config(self)

    @classmethod
    def from_config(cls, config):
        """A (functional) Model from get_config()'s dict; ValueError naming the field that is wrong.
        A subclassed model's config rebuilds its traced graph as a functional Model."""
        from fastconv.models.graph_config import model_from_graph_config
        return model_from_graph_config(config)

    def _check_file_weights(self, config, data):
        raise ValueError("build the model (call it on data) before loading weights into it")

    def _optimizer_weights(self):
        """The trainable weights in the order the optimizer's state follows (the executor's)."""
        return self._executor.trainable_weights if self._executor is not None else self.trainable_weights

    def _file_weights(self):
        """The weights in a file's order: the graph's layers in Keras's order (for a subclassed
        model, its traced graph's, as the functional model load_model rebuilds from it)."""
        return unique(w for layer in self._executor.keras_order() for w in layer.weights)

    def _set_file_weights(self, arrays):
        mine = self._file_weights()
        if len(arrays) != len(mine):
            raise ValueError(f"model {self.name!r} has {len(mine)} weight arrays, the file holds {len(arrays)}")
        for w, new in zip(mine, arrays):
            if new.shape != w.value.shape:
                raise ValueError(f"model {self.name!r}: weight {w.name!r} has shape {w.value.shape}, the file holds "
                                 f"{new.shape}")
        for w, new in zip(mine, arrays):
            w.value[...] = new

    def _file_config(self, include_optimizer):
        from fastconv.models.graph_config import serialize_layer
        first_input = self.input_shape if isinstance(self.input_shape, tuple) else self.input_shape[0]
        config = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": serialize_layer(self),
                  "build_input_shape": list(first_input), "n_weights": len(self._file_weights()), "compile": None}
        if include_optimizer and self.compiled and self._losses is not None:
            state = self.optimizer.get_state()
            serialize_loss = lambda loss: None if loss is None else losses.serialize(loss)
            single = len(self._losses) == 1
            config["compile"] = {
                "optimizer": optimizers.serialize(self.optimizer),
                "loss": serialize_loss(self._losses[0]) if single else [serialize_loss(l) for l in self._losses],
                "metrics": ([metrics_module.serialize(m) for m in self._metric_ids[0]] if single else
                            [[metrics_module.serialize(m) for m in ids] for ids in self._metric_ids]),
                "loss_weights": None if single else list(self._loss_weights),
                "iterations": state["iterations"],
                "slots": {k: len(v) for k, v in state["slots"].items()}}
        return config, (self.optimizer.get_state() if config["compile"] else None)

    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Write the model (config, weights, optimizer state) to one NPZ file, atomically.

        Args:
            filepath (str or PathLike): written exactly as named (e.g. "model.keras" or "model.npz").
            overwrite (bool): False refuses to replace an existing file.
        """
        if not self.built:
            raise ValueError(f"model {self.name!r} is not built: nothing to save yet")
        config, state = self._file_config(include_optimizer)
        arrays = {f"weight_{i:04d}": w.value for i, w in enumerate(self._file_weights())}
        if state is not None:
            for slot, values in state["slots"].items():
                arrays.update({f"optimizer_{slot}_{i:04d}": v for i, v in enumerate(values)})
        _model_file.write(filepath, config, arrays, overwrite)

    def save_weights(self, filepath, overwrite=True):
        """Write only the weights (with the model config, to check them against on loading)."""
        if not self.built:
            raise ValueError(f"model {self.name!r} is not built: nothing to save yet")
        config, _ = self._file_config(False)
        config["weights_only"] = True
        _model_file.write(filepath, config, {f"weight_{i:04d}": w.value for i, w in enumerate(self._file_weights())},
                          overwrite)

    def load_weights(self, filepath):
        """Set the weights from a file written by save or save_weights (shapes checked)."""
        config, data = _model_file.read(filepath)
        if not self.built:
            try:
                self._check_file_weights(config, data)          # before allocating any
            except ValueError as error:
                raise ValueError(f"{os.fspath(filepath)!r} does not fit model {self.name!r}: {error}") from None
            self.build(tuple(config["build_input_shape"]))
        self._set_file_weights([data[f"weight_{i:04d}"] for i in range(config["n_weights"])])

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, layers={[l.name for l in self.layers]}>"
