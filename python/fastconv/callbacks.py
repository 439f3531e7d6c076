"""Training callbacks with Keras's hooks: History, ProgbarLogger (fit's progress output),
EarlyStopping, ModelCheckpoint, LambdaCallback.

Sequential.fit calls ``on_train_begin``, ``on_epoch_begin``, ``on_train_batch_begin/end``,
``on_epoch_end(epoch, logs)`` and ``on_train_end``; evaluate calls ``on_test_*``. Not TensorBoard.
"""

import io
import os
import sys
import time
import warnings

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
           "LambdaCallback"]


class Callback:
    """Base class: override any ``on_*`` hook. ``self.model`` and ``self.params`` are set by fit."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def _implements(self, hook):
        """Whether hook does anything here: overridden by the class or set on the instance (the
        train-batch hooks also through Keras's older names, on_batch_begin / on_batch_end)."""
        if hook in _BATCH_ALIASES and self._implements(_BATCH_ALIASES[hook]):
            return True
        return hook in vars(self) or getattr(type(self), hook) is not getattr(Callback, hook)

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)       # Keras's older name, still called

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


_BATCH_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


class CallbackList:
    """Calls a hook on every callback in order, always with a logs dict."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def implements(self, hook):
        """Whether some callback implements hook (fit skips batch hooks that none does, as Keras does)."""
        return any(cb._implements(hook) for cb in self.callbacks)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        arity = 2 if ("epoch" in hook or "batch" in hook) else 1

        def call(*args):
            args = args + ({},) * (arity - len(args))         # Keras always passes logs
            for cb in self.callbacks:
                getattr(cb, hook)(*args)
        setattr(self, hook, call)       # made once per hook
        return call


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"]``, ``["accuracy"]``, ``["val_loss"]``, ...

    Attributes:
        history (dict of lists), epoch (list of epoch indices), params (fit's settings),
        interrupted (bool): fit stopped early on Ctrl-C.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []
        self.interrupted = False

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self):
        return f"<History epochs={len(self.epoch)} keys={list(self.history)}>"


def format_logs(logs):
    """``loss: 0.1234 - accuracy: 0.9500`` as Keras prints metrics."""
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class _TqdmBar:
    """A tqdm bar over one epoch's (or evaluate's) steps, the logs as its postfix."""

    def __init__(self, tqdm, total, stream):
        self._bar = tqdm(total=total, file=stream, unit="step", leave=True, ascii=None, dynamic_ncols=True,
                         bar_format="{n_fmt}/{total_fmt} {bar} {elapsed}<{remaining}, {rate_fmt}{postfix}")

    def update(self, done, logs):
        self._bar.update(done - self._bar.n)
        if logs:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)

    def close(self, logs):
        if logs:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
        self._bar.close()


class _PlainBar:
    """The fallback without tqdm: ``12/15 [=======>...] - 0s - loss: ...`` redrawn with a carriage return."""

    WIDTH = 30

    def __init__(self, total, stream):
        self._total, self._stream = max(int(total), 1), stream
        self._start = self._last = time.perf_counter()
        self._done = 0

    def _draw(self, logs, end=""):
        filled = self.WIDTH * self._done // self._total
        arrow = ">" if self._done < self._total else ""
        bar = "=" * max(filled - len(arrow), 0) + arrow + "." * (self.WIDTH - max(filled, len(arrow)))
        text = f"\r{self._done}/{self._total} [{bar}] - {time.perf_counter() - self._start:.0f}s"
        if logs:
            text += f" - {format_logs(logs)}"
        self._stream.write(text + end)
        self._stream.flush()

    def update(self, done, logs):
        self._done = done
        now = time.perf_counter()
        if now - self._last >= 0.1 or done >= self._total:
            self._last = now
            self._draw(logs)

    def close(self, logs):
        self._draw(logs, end="\n")


def _terminal_size_known(stream):
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False
    return size.columns > 0 and size.lines > 0


def _new_bar(total, stream):
    """tqdm's bar on a terminal that reports its size; else (no tqdm, or a pty that reports 0
    columns or 0 rows, where tqdm draws nothing) the plain bar."""
    if _terminal_size_known(stream):
        try:
            from tqdm.auto import tqdm
        except ImportError:  # tqdm is optional (the examples extra)
            pass
        else:
            return _TqdmBar(tqdm, total, stream)
    return _PlainBar(total, stream)


class ProgbarLogger(Callback):
    """Fit's and evaluate's progress output, as Keras's verbose modes:

    - ``verbose=1`` on a terminal: ``Epoch i/n``, then a live progress bar over the epoch's steps
      with the running loss and metrics (tqdm when installed, else a plain text bar); evaluate
      draws one bar.
    - ``verbose=1`` elsewhere (a file, a pipe, a notebook log): one line per epoch,
      ``Epoch i/n - steps - time - logs``; evaluate prints one line.
    - ``verbose=2``: ``Epoch i/n`` then one line with the epoch's logs, as Keras prints it.
    - ``verbose=0``: nothing.

    This class is the one place that prints during training.

    Args:
        verbose (int): 0, 1 or 2. stream: default sys.stdout (looked up at each call).
    """

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream
        self._start = None
        self._bar = None

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def _print(self, text):
        print(text, file=self._out(), flush=True)

    def _use_bar(self):
        """A live bar: verbose=1 and the output is a terminal."""
        if self.verbose != 1:
            return False
        isatty = getattr(self._out(), "isatty", None)
        try:
            return bool(isatty is not None and isatty())
        except (ValueError, OSError):  # a closed or detached stream
            return False

    def _line(self, steps, logs):
        elapsed = time.perf_counter() - self._start
        per_step = elapsed / max(steps, 1)
        unit = f"{per_step * 1e3:.0f}ms/step" if per_step >= 1e-3 else f"{per_step * 1e6:.0f}us/step"
        text = f"{steps}/{steps} - {elapsed:.0f}s - {unit}"
        return text + (f" - {format_logs(logs)}" if logs else "")

    def _close_bar(self, logs=None):
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.close(logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        header = f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}"
        if self._use_bar():
            self._print(header)
            self._bar = _new_bar(self.params.get("steps", 0), self._out())
        elif self.verbose == 2:
            self._print(header)
        self._header = header

    def _implements(self, hook):
        # Only verbose=1 draws a bar that batches update.
        if hook == "on_train_batch_end" and self.verbose != 1:
            return False
        return super()._implements(hook)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._close_bar(logs)
        elif self.verbose == 1:
            self._print(f"{self._header} - {self._line(self.params.get('steps', 0), logs)}")
        elif self.verbose == 2:
            self._print(self._line(self.params.get("steps", 0), logs))

    def on_train_end(self, logs=None):
        self._close_bar()  # an epoch cut short (Ctrl-C, stop_training) leaves its bar open

    def on_test_begin(self, logs=None):
        self._start = time.perf_counter()
        if self._use_bar():
            self._bar = _new_bar(self.params.get("steps", 0), self._out())

    def on_test_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(batch + 1, logs)

    def on_test_end(self, logs=None):
        if self._bar is not None:
            self._close_bar(logs)
        elif self.verbose:
            self._print(self._line(self.params.get("steps", 0), logs))


def _auto_mode(monitor):
    return "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"


class _Monitor(Callback):
    """Shared by EarlyStopping and ModelCheckpoint: the monitored value and its comparison."""

    def __init__(self, monitor, mode, min_delta=0.0):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"monitor must be a log key such as 'val_loss', got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.mode = _auto_mode(monitor) if mode == "auto" else mode
        self.min_delta = abs(float(min_delta))

    def _current(self, logs, what):
        """The monitored value, or None with Keras's warning when the logs lack it (val_* keys
        without validation data): the callback then does nothing this epoch, as in Keras."""
        logs = logs or {}
        if self.monitor not in logs:
            warnings.warn(f"{type(self).__name__}: {what} conditioned on {self.monitor!r}, which is not available; "
                          f"available: {sorted(logs)} (val_* keys need validation_data or validation_split)",
                          RuntimeWarning, stacklevel=3)
            return None
        return float(logs[self.monitor])

    def _better(self, value, reference):
        if reference is None:
            return True
        if self.mode == "min":                       # improved by more than min_delta
            return value + self.min_delta < reference
        return value - self.min_delta > reference


class EarlyStopping(_Monitor):
    """Stop fit when the monitored value has not improved for patience epochs.

    Args:
        monitor (str): default "val_loss". min_delta (float): smallest change counted as improvement.
        patience (int): epochs without improvement before stopping. verbose (int).
        mode (str): "auto" (max for accuracy-like keys, else min), "min" or "max".
        baseline (float or None): training stops unless the value beats it within patience.
        restore_best_weights (bool): at the end of training (stopped early or not) set the weights
            of the best epoch.
        start_from_epoch (int): epochs to wait before counting.

    An epoch whose logs lack monitor (``val_loss`` without validation data) is skipped with a
    RuntimeWarning listing the keys, as Keras warns and goes on.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
            raise ValueError(f"patience must be an int >= 0, got {patience!r}")
        if not isinstance(start_from_epoch, int) or start_from_epoch < 0:
            raise ValueError(f"start_from_epoch must be an int >= 0, got {start_from_epoch!r}")
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self._current(logs, "early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()   # the first epoch counts even if it misses the baseline
            self.best_epoch = epoch
        self.wait += 1
        if self._better(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save the model (or its weights) at the end of epochs.

    Args:
        filepath (str or PathLike): may hold ``{epoch:02d}`` and log keys (``{val_loss:.2f}``);
            epoch counts from 1, as in Keras.
        monitor (str): default "val_loss". verbose (int).
        save_best_only (bool): save only when the monitored value improves.
        save_weights_only (bool): save only the weights (``model.save_weights``).
        mode (str): "auto", "min" or "max". save_freq: "epoch" (the only supported value).
        initial_value_threshold (float or None): a value to beat before the first save.

    With save_best_only and no monitor in the logs, nothing is saved and a RuntimeWarning says
    so (as in Keras). Raises KeyError when filepath names a log key that is not in the logs.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode)
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"filepath must be a str or path, got {filepath!r}")
        if save_freq != "epoch":
            raise ValueError(f"save_freq must be 'epoch', got {save_freq!r}")
        self.filepath = os.fspath(filepath)
        self.verbose, self.save_best_only, self.save_weights_only = verbose, bool(save_best_only), bool(save_weights_only)
        self.best = None if initial_value_threshold is None else float(initial_value_threshold)

    def _path(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch + 1, **(logs or {}))
        except KeyError as error:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} names {error.args[0]!r}, which is not in "
                           f"the logs; available keys: {sorted(logs or {})} and 'epoch'") from None

    def on_epoch_end(self, epoch, logs=None):
        path = self._path(epoch, logs)
        if self.save_best_only:
            current = self._current(logs, "saving the best model only")
            if current is None:
                return
            if not self._better(current, self.best):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                previous = "inf" if self.best is None else f"{self.best:.5f}"
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {previous} to {current:.5f}, saving to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise TypeError(f"LambdaCallback: unknown hook {name!r}")
            if fn is not None:
                setattr(self, name, fn)
