"""Sequential models: a stack of layers with Keras's compile / fit / evaluate / predict / save.

fit runs each batch forward through the layers, backward in reverse (a final softmax fused
with cross-entropy), adds the regularizers' terms and steps the optimizer in place. Models save
to one NPZ file holding a JSON config, the weights and the optimizer state (never pickle), written
atomically. Not the functional Model API.
"""

import numbers
import os
import signal
import sys
import threading
import time
import warnings

import numpy as np

from fastconv import _random, callbacks as callbacks_module, layers as layers_module, losses, metrics as metrics_module
from fastconv import _conv_pool, _fit_checks, _model_file, optimizers
from fastconv._model_file import FORMAT, FORMAT_VERSION
from fastconv.layers.base import Layer, unique_name
from fastconv.layers.core import InputLayer

__all__ = ["Sequential", "load_model"]


def _check_int(value, name, minimum):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _verbose(value):
    if value == "auto":
        return 1
    if value not in (0, 1, 2) or isinstance(value, bool):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {value!r}")
    return int(value)


def _data(x, name):
    array = np.asarray(x)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if array.ndim < 1:
        raise ValueError(f"{name} must have a batch axis, got shape {array.shape}")
    return array


def _format_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024


class _InterruptGuard:
    """During fit, turn the first Ctrl-C into a request to stop after the current batch (a second
    one interrupts at once)."""

    def __init__(self):
        self.requested = False
        self._previous = None
        self._installed = False

    def __enter__(self):
        # Only in the main thread (where Python delivers signals), and not where SIGINT is ignored
        # (a background job): there Ctrl-C must keep meaning what it meant before fit.
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN):
            try:
                self._previous = signal.signal(signal.SIGINT, self._handle)
                self._installed = True
            except ValueError:          # e.g. an embedded interpreter that owns signals
                pass
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self._installed:
            signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.SIG_DFL)
        return False


class Sequential:
    """A linear stack of layers (Keras's ``keras.Sequential``).

    Args:
        layers (list of Layer or None): added in order. name (str or None): default "sequential".

    >>> from fastconv import layers
    >>> model = Sequential([layers.Input((4,)), layers.Dense(2)])
    >>> model.count_params()
    10
    """

    def __init__(self, layers=None, name=None, trainable=True):
        self.name = name if name is not None else unique_name("sequential")
        self.trainable = trainable
        self._layers = []
        self._input_layer = None
        self.optimizer = self.loss = None
        self._metric_ids = []
        self._metrics = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        for layer in layers or ():
            self.add(layer)

    # ----- structure
    def add(self, layer):
        """Append a layer; builds it at once when the model's input shape is known."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a fastconv layer (e.g. layers.Dense(10)), got {layer!r}")
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError("an Input can only be the first entry of a Sequential model")
            self._input_layer = layer
            return
        if any(l is layer for l in self._layers):
            raise ValueError(f"layer {layer.name!r} is already in the model")
        if any(l.name == layer.name for l in self._layers):
            raise ValueError(f"the model already has a layer named {layer.name!r}; layer names must be unique")
        if not self._layers and self._input_layer is None and layer._batch_input_shape is not None:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape, dtype=layer.dtype.name)
        self._layers.append(layer)
        if self._input_layer is not None:
            shape = self._input_layer._batch_input_shape if len(self._layers) == 1 else self._layers[-2].output_shape
            if not layer.built:
                layer.build(shape)
            elif tuple(layer.input_shape[1:]) != tuple(shape[1:]):
                raise ValueError(f"layer {layer.name!r} was built for inputs {layer.input_shape}, but the model "
                                 f"gives it {shape}")

    def pop(self):
        """Remove the last layer."""
        if not self._layers:
            raise TypeError("there are no layers in the model")
        return self._layers.pop()

    @property
    def layers(self):
        """The layers, without the Input (as in Keras 3)."""
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index."""
        if index is not None:
            if not isinstance(index, numbers.Integral) or not -len(self._layers) <= index < len(self._layers):
                raise ValueError(f"index must be an int in [0, {len(self._layers)}), got {index!r}")
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {[l.name for l in self._layers]}")

    @property
    def built(self):
        return bool(self._layers) and all(l.built for l in self._layers)

    def build(self, input_shape=None):
        """Build every layer for inputs of input_shape (batch axis first, may be None)."""
        if not self._layers:
            raise ValueError("the model has no layers: add some before building it")
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("build() needs input_shape, or an Input / input_shape= on the first layer")
            input_shape = self._input_layer._batch_input_shape
        input_shape = tuple(input_shape)
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=(None,) + input_shape[1:], dtype=self._layers[0].dtype.name)
        shape = self._input_layer._batch_input_shape
        if tuple(shape[1:]) != tuple(input_shape[1:]):
            raise ValueError(f"the model's input shape is {shape}, got input_shape {input_shape}")
        for layer in self._layers:
            if not layer.built:
                layer.build(shape)
            shape = layer.output_shape

    def _ensure_built(self, x):
        if not self.built:
            self.build((None,) + tuple(x.shape[1:]))
        expected = self.input_shape
        if x.ndim != len(expected) or any(e is not None and e != s for e, s in zip(expected[1:], x.shape[1:])):
            raise ValueError(f"model {self.name!r} expects inputs of shape {expected}, got {x.shape}")

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise AttributeError(f"model {self.name!r} has no defined input shape yet")
        return self._input_layer._batch_input_shape

    @property
    def output_shape(self):
        if not self.built:
            raise AttributeError(f"model {self.name!r} is not built yet")
        return self._layers[-1].output_shape

    # ----- weights
    @property
    def weights(self):
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self):
        return [w for layer in self._layers if self.trainable for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def get_weights(self):
        """Copies of every layer's weights, layer by layer in Keras's order."""
        return [array for layer in self._layers for array in layer.get_weights()]

    def set_weights(self, weights):
        """Set get_weights()'s list (shapes checked, ValueError naming the layer)."""
        weights = list(weights)
        expected = sum(len(l.weights) for l in self._layers)
        if len(weights) != expected:
            raise ValueError(f"model {self.name!r} has {expected} weight arrays, got {len(weights)}")
        i = 0
        for layer in self._layers:
            n = len(layer.weights)
            layer.set_weights(weights[i:i + n])
            i += n

    def count_params(self):
        if not self.built:
            raise ValueError(f"model {self.name!r} is not built: give the first layer input_shape= or add an Input, "
                             "or call build()/fit() first")
        return sum(l.count_params() for l in self._layers)

    # ----- summary
    def summary(self, line_length=None, print_fn=None):
        """Print a table of layers (name and type), output shapes and parameter counts, then totals."""
        if not self.built:
            raise ValueError(f"model {self.name!r} has not been built yet: give the first layer input_shape= "
                             "(or add layers.Input(shape)), or call build(input_shape), fit() or predict() first")
        rows = [(f"{l.name} ({type(l).__name__})", str(l.output_shape), f"{l.count_params():,}") for l in self._layers]
        headers = ("Layer (type)", "Output Shape", "Param #")
        widths = [max(len(headers[i]), *(len(r[i]) for r in rows)) + 4 for i in range(3)]
        width = max(sum(widths) + 1, line_length or 0)
        line = lambda cells: (" " + "".join(c.ljust(w) for c, w in zip(cells, widths))).rstrip()
        trainable = sum(w.value.size for w in self.trainable_weights)
        total = self.count_params()
        itemsize = self._layers[0].dtype.itemsize
        text = [f'Model: "{self.name}"', "_" * width, line(headers), "=" * width]
        text += [line(r) for r in rows]
        text += ["=" * width,
                 f"Total params: {total:,} ({_format_bytes(total * itemsize)})",
                 f"Trainable params: {trainable:,} ({_format_bytes(trainable * itemsize)})",
                 f"Non-trainable params: {total - trainable:,} ({_format_bytes((total - trainable) * itemsize)})",
                 "_" * width]
        (print_fn or print)("\n".join(text))

    # ----- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Set the optimizer (name or instance), the loss (name or Loss) and metrics (e.g. ["accuracy"])."""
        self.optimizer = optimizers.get(optimizer)
        self.loss = None if loss is None else losses.get(loss)
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str, metrics_module.Metric)):
            raise TypeError(f"metrics must be a list, e.g. ['accuracy'], got {metrics!r}")
        self._metric_ids = [metrics_module.check(m) for m in metrics]
        self._metrics = None
        self.compiled = True

    def _require_compiled(self, what):
        if not self.compiled or self.loss is None:
            raise RuntimeError(f"call compile(optimizer, loss, metrics) with a loss before {what}()")

    def _make_metrics(self, y, out_shape):
        if self._metrics is None:
            self._metrics = [metrics_module.get(m, y.shape, out_shape) for m in self._metric_ids]
        for m in self._metrics:
            m.reset_state()
        return self._metrics

    # ----- forward / backward
    def __call__(self, x, training=False):
        x = _data(x, "x")
        self._ensure_built(x)
        return self._forward(x, training)

    def _forward(self, x, training):
        for layer in self._layers:
            x = layer.forward(x, training=training)
        return x

    def _fused(self):
        last = self._layers[-1]
        return (last.output_activation == "softmax" and self.loss.fuses_with_softmax
                and self.loss.reduction != "none")

    def _loss_and_grad(self, y, out, fused=None):
        if fused is None:
            fused = self._fused()
        if fused:
            return self.loss.softmax_value_and_gradient(y, self._layers[-1].logits)
        return self.loss.value_and_gradient(y, out)

    def _regularization_loss(self):
        return sum(layer.regularization_loss() for layer in self._layers)

    def _first_trainable(self):
        for i, layer in enumerate(self._layers):
            if layer.trainable_weights:
                return i
        return len(self._layers)

    def _step_plan(self):
        """What a training step runs, read off the layers as they are now: (the layers' forward
        calls; their backward calls, last first; whether the softmax output is fused with the loss;
        the trainable weights)."""
        fused = self._fused()
        first = self._first_trainable()
        back = self._layers[first:-1] if fused else self._layers[first:]
        return _forward_calls(self._layers), _backward_calls(back[::-1]), fused, self.trainable_weights

    def _train_step(self, x, y, plan=None):
        """One batch: forward, loss, backward, optimizer step. Returns (loss incl. regularization, output).

        plan: _step_plan()'s result, when the caller knows the layers have not changed since."""
        layers_forward, layers_back, fused, weights = self._step_plan() if plan is None else plan
        out = x
        for forward in layers_forward:
            out = forward(out, training=True)
        loss, grad = self._loss_and_grad(y, out, fused)
        loss += self._regularization_loss()          # with the weights the gradients were taken at
        if fused:
            grad = self._layers[-1].backward_from_logits(grad)
        for backward in layers_back:
            grad = backward(grad)
        self.optimizer.apply(weights)
        return loss, out

    def _set_need_input_grad(self):
        first = self._first_trainable()
        for i, layer in enumerate(self._layers):
            layer.need_input_grad = i != first

    def profile(self, x, y, batch_size=32, repeats=10, print_fn=None):
        """Time one training step layer by layer on the first batch of (x, y).

        Prints, per layer, forward and backward milliseconds per batch, GFLOP/s, the share of the
        machine's measured float32 peak, and the algorithm each convolution pass runs; then the
        optimizer's step. Weights, optimizer state and the random generator are left unchanged.

        Args:
            x, y (ndarray): data as for fit. batch_size (int): default 32. repeats (int): timings
                per pass (the median is shown). print_fn (callable or None): default print.

        Returns:
            list of fastconv.profiling.LayerProfile.
        """
        from fastconv import profiling
        self._require_compiled("profile")
        x, y = self._check_xy(x, y, "profile")
        batch_size = _check_int(batch_size, "batch_size", 1)
        repeats = _check_int(repeats, "repeats", 1)
        rows, peak = profiling.profile_model(self, x, y, batch_size, repeats)
        (print_fn or print)(profiling.format_profile(rows, peak, min(batch_size, len(x))))
        return rows

    # ----- fit / evaluate / predict
    def _check_xy(self, x, y, fn):
        x = _data(x, "x")
        if y is None:
            raise ValueError(f"{fn}() needs targets y")
        y = _data(y, "y")
        if len(x) != len(y):
            raise ValueError(f"{fn}: x and y must have the same number of samples, got x {x.shape} and y {y.shape}")
        if len(x) == 0:
            raise ValueError(f"{fn}: x is empty (shape {x.shape})")
        return x, y

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, initial_epoch=0, terminate_on_nan=True):
        """Train for epochs over (x, y) in batches; returns a History.

        Args:
            x (ndarray): inputs ``(N, ...)``. y (ndarray): targets (one-hot, integer labels, ...).
            batch_size (int or None): default 32. epochs (int): train until this epoch index.
            verbose (0, 1, 2 or "auto"): 0 silent; 1 and 2 print each epoch's logs.
            callbacks (list of Callback). validation_split (float): in [0, 1), the last fraction of
                x/y (taken before shuffling) held out for validation.
            validation_data (tuple (x_val, y_val) or None): overrides validation_split.
            shuffle (bool): reshuffle the training samples every epoch (fastconv's generator, see
                set_random_seed). initial_epoch (int): epoch to start at (resuming).
            terminate_on_nan (bool): stop, with a warning naming the epoch and batch, when the loss
                becomes NaN or Inf (default True, like Keras's TerminateOnNaN callback).

        Returns:
            History: ``history.history`` with "loss", metric names and "val_" versions per epoch.

        Raises ValueError before the first step for NaN/Inf in x or y and for targets the loss
        cannot use (labels out of range, shapes that do not match the output); warns for integer
        inputs far outside [0, 1]. Ctrl-C stops after the current batch (the weights stay those of a completed step) and
        returns the History of the finished epochs, with ``history.interrupted = True``.
        """
        self._require_compiled("fit")
        x, y = self._check_xy(x, y, "fit")
        batch_size = 32 if batch_size is None else _check_int(batch_size, "batch_size", 1)
        epochs = _check_int(epochs, "epochs", 0)
        initial_epoch = _check_int(initial_epoch, "initial_epoch", 0)
        verbose = _verbose(verbose)
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be a bool, got {shuffle!r}")
        if not isinstance(validation_split, numbers.Real) or not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be a float in [0, 1), got {validation_split!r}")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a tuple (x_val, y_val), got "
                                 f"{type(validation_data).__name__} of length {len(validation_data) if hasattr(validation_data, '__len__') else '?'}")
            x_val, y_val = self._check_xy(*validation_data, "fit (validation_data)")
        elif validation_split:
            split = int(np.floor(len(x) * (1.0 - validation_split)))
            if split == 0 or split == len(x):
                raise ValueError(f"validation_split={validation_split} leaves no training or no validation samples "
                                 f"of {len(x)}")
            x, x_val, y, y_val = x[:split], x[split:], y[:split], y[split:]
        else:
            x_val = y_val = None
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, callbacks_module.Callback):
                raise TypeError(f"callbacks must be fastconv.callbacks.Callback instances, got {cb!r}")
        self._ensure_built(x)
        for xs, ys, what in ((x, y, ""), (x_val, y_val, "validation ")):
            if xs is not None:
                _fit_checks.check_finite(xs, f"{what}x", "fit")
                _fit_checks.check_finite(ys, f"{what}y", "fit")
                _fit_checks.check_targets(self.loss, ys, self.output_shape, "fit")
        _fit_checks.warn_unscaled(x, "fit")
        self._set_need_input_grad()
        n = len(x)
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
        with _InterruptGuard() as guard:
            try:
                cbs.on_train_begin()
                for epoch in range(initial_epoch, epochs):
                    cbs.on_epoch_begin(epoch)
                    plan = None             # rebuilt after callbacks ran: they may change what is trainable
                    order = _random.generator().permutation(n) if shuffle else None
                    total_loss, seen = 0.0, 0
                    metrics = None
                    for batch in range(steps):
                        if batch_begin:
                            cbs.on_train_batch_begin(batch)
                            plan = None
                        if plan is None:
                            plan = self._step_plan()
                        rows = slice(batch * batch_size, (batch + 1) * batch_size)
                        if order is not None:
                            xb, yb = x.take(order[rows], axis=0), y.take(order[rows], axis=0)  # x[idx], faster
                        else:
                            xb, yb = x[rows], y[rows]
                        loss, out = self._train_step(xb, yb, plan)
                        if metrics is None:
                            metrics = self._make_metrics(yb, out.shape)
                        for m in metrics:
                            m.update_state(yb, out)
                        total_loss += loss * len(xb)
                        seen += len(xb)
                        logs = {"loss": total_loss / seen, **{m.name: m.result() for m in metrics}}
                        if batch_end:
                            cbs.on_train_batch_end(batch, logs)
                            plan = None
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
                    if x_val is not None:
                        val = self._evaluate_arrays(x_val, y_val, batch_size)
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

    def _evaluate_arrays(self, x, y, batch_size, cbs=None):
        total_loss, seen = 0.0, 0
        metrics = None
        reg = self._regularization_loss()
        for batch, start in enumerate(range(0, len(x), batch_size)):
            if cbs is not None:
                cbs.on_test_batch_begin(batch)
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            out = self._forward(xb, training=False)
            loss, _ = self._loss_and_grad(yb, out)
            if metrics is None:
                metrics = self._make_metrics(yb, out.shape)
            for m in metrics:
                m.update_state(yb, out)
            total_loss += (loss + reg) * len(xb)
            seen += len(xb)
            if cbs is not None:
                cbs.on_test_batch_end(batch, {"loss": total_loss / seen})
        return {"loss": total_loss / seen, **{m.name: m.result() for m in metrics}}

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False, callbacks=None):
        """Loss (with regularization) and metrics over (x, y).

        Returns:
            ``[loss, metric, ...]``, or the loss alone when compiled without metrics, or a dict
            with return_dict=True.
        """
        self._require_compiled("evaluate")
        x, y = self._check_xy(x, y, "evaluate")
        batch_size = 32 if batch_size is None else _check_int(batch_size, "batch_size", 1)
        verbose = _verbose(verbose)
        self._ensure_built(x)
        params = {"steps": -(-len(x) // batch_size), "verbose": verbose, "batch_size": batch_size}
        cbs = callbacks_module.CallbackList([callbacks_module.ProgbarLogger(verbose), *(callbacks or [])], self, params)
        cbs.on_test_begin()
        logs = self._evaluate_arrays(x, y, batch_size, cbs)
        cbs.on_test_end(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0):
        """The model's outputs for x, computed in batches (inference mode: no dropout, moving BN statistics)."""
        x = _data(x, "x")
        batch_size = 32 if batch_size is None else _check_int(batch_size, "batch_size", 1)
        _verbose(verbose)
        self._ensure_built(x)
        start_time = time.perf_counter()
        out = [self._forward(x[i:i + batch_size], training=False) for i in range(0, len(x), batch_size)]
        result = np.concatenate(out) if out else np.zeros((0,) + tuple(self.output_shape[1:]), self._layers[-1].dtype)
        if verbose:
            steps = len(out)
            print(f"{steps}/{steps} - {time.perf_counter() - start_time:.0f}s")
        return result

    # ----- config and saving
    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "layers": ([layers_module.serialize(self._input_layer)] if self._input_layer is not None else [])
                + [layers_module.serialize(l) for l in self._layers]}

    @classmethod
    def from_config(cls, config):
        """A model from get_config()'s dict; ValueError naming the field that is wrong."""
        name, trainable, layer_list = _model_file.layers_from_config(config)
        return cls(layer_list, name=name, trainable=trainable)

    def _file_config(self, include_optimizer):
        config = {"format": FORMAT, "format_version": FORMAT_VERSION,
                  "model": {"class_name": "Sequential", "config": self.get_config()},
                  "build_input_shape": list(self.input_shape) if self.built else None,
                  "n_weights": len(self.weights), "compile": None}
        if include_optimizer and self.compiled:
            state = self.optimizer.get_state()
            config["compile"] = {"optimizer": optimizers.serialize(self.optimizer),
                                 "loss": None if self.loss is None else losses.serialize(self.loss),
                                 "metrics": [metrics_module.serialize(m) for m in self._metric_ids],
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
        arrays = {f"weight_{i:04d}": w for i, w in enumerate(self.get_weights())}
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
        _model_file.write(filepath, config, {f"weight_{i:04d}": w for i, w in enumerate(self.get_weights())},
                          overwrite)

    def load_weights(self, filepath):
        """Set the weights from a file written by save or save_weights (shapes checked)."""
        config, data = _model_file.read(filepath)
        if not self.built:
            shape = tuple(config["build_input_shape"])
            try:
                _model_file.check_weight_shapes(self._layers, shape, data)     # before allocating any
            except ValueError as error:
                raise ValueError(f"{os.fspath(filepath)!r} does not fit model {self.name!r}: {error}") from None
            self.build(shape)
        self.set_weights([data[f"weight_{i:04d}"] for i in range(config["n_weights"])])

    def __repr__(self):
        return f"<Sequential name={self.name!r}, layers={[l.name for l in self._layers]}>"


def _forward_calls(layers):
    """Each layer's forward, first layer first; a ReLU Conv2D and the MaxPooling2D after it as one
    call (fastconv._conv_pool), whose backward _backward_calls always starts from the pooled
    gradient (ConvPoolBackward), the only way the fused forward's caches allow."""
    calls, i = [], 0
    while i < len(layers):
        pair = layers[i:i + 2]
        if len(pair) == 2 and _conv_pool.fusable(*pair):
            calls.append(_conv_pool.ConvPoolForward(*pair))
            i += 2
        else:
            calls.append(layers[i].forward)
            i += 1
    return calls


def _backward_calls(layers_back):
    """Each layer's backward, last layer first; a MaxPooling2D right after a ReLU Conv2D applies the
    ReLU's mask to its own small gradient and the convolution skips its pass over the pre-pool
    tensor (the same gradient: each lands on a window's maximum, the ReLU's output there). When the
    pair is fusable (NHWC), it is one engine call (fastconv._conv_pool)."""
    calls, i = [], 0
    while i < len(layers_back):
        layer = layers_back[i]
        before = layers_back[i + 1] if i + 1 < len(layers_back) else None
        if not (isinstance(layer, layers_module.MaxPooling2D) and isinstance(before, layers_module.Conv2D)
                and before.activation == "relu"):
            calls.append(layer.backward)
            i += 1
        elif _conv_pool.fusable(before, layer):
            calls.append(_conv_pool.ConvPoolBackward(before, layer))
            i += 2
        else:
            calls += [layer.backward_through_relu, before.backward_from_preactivation]
            i += 2
    return calls


def load_model(filepath, compile=True):
    """A Sequential model from a file written by ``model.save`` (NPZ + JSON, read without pickle).

    Args:
        filepath (str or PathLike). compile (bool): also restore the optimizer (with its state),
            loss and metrics, so that fit resumes where it stopped.

    Raises:
        FileNotFoundError: no file. ValueError: not a fastconv model file, damaged, or a config that
            save would not write (naming the field), found before any layer is built.
    """
    path = os.fspath(filepath)
    config, data = _model_file.read(path)
    if config.get("weights_only"):
        raise ValueError(f"{path!r} holds weights only (save_weights); build the model and call "
                         "model.load_weights() instead")
    compiled = config["compile"] if compile else None
    try:
        if config["model"].get("class_name") != "Sequential":
            raise ValueError(f"config.model.class_name must be 'Sequential', got {config['model'].get('class_name')!r}")
        name, trainable, layer_list = _model_file.layers_from_config(config["model"].get("config"),
                                                                     "config.model.config")
        input_shape = tuple(config["build_input_shape"])
        first = layer_list[0]._batch_input_shape if layer_list else None
        if first is not None and tuple(first[1:]) != input_shape[1:]:
            raise ValueError(f"config.build_input_shape {input_shape} does not match the first layer's input "
                             f"shape {tuple(first)}")
        _model_file.check_weight_shapes(layer_list, input_shape, data)
        if compiled is not None:
            optimizer, loss, metrics = _model_file.compile_from_config(compiled)
        # Only now, with every weight's shape that of a stored array, are the layers built.
        model = Sequential(layer_list, name=name, trainable=trainable)
        model.build(input_shape)
        model.set_weights([data[f"weight_{i:04d}"] for i in range(config["n_weights"])])
        if compiled is not None:
            model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
            slots = {slot: [data[f"optimizer_{slot}_{i:04d}"] for i in range(count)]
                     for slot, count in compiled["slots"].items()}
            if slots or compiled["iterations"]:
                model.optimizer.set_state({"iterations": compiled["iterations"], "slots": slots},
                                          model.trainable_weights)
    except ValueError as error:
        raise ValueError(f"{path!r} has an invalid model config: {error}") from None
    return model
