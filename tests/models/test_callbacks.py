"""Callbacks (EarlyStopping, ModelCheckpoint, History) and Ctrl-C during fit."""

import os
import signal

import numpy as np
import pytest

from fastconv import callbacks
from fastconv.models import load_model

from .helpers import make_data, make_model


class Recorder(callbacks.Callback):
    """Keeps the weights at each epoch end."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def _same(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b))


def test_early_stopping_stops_and_restores_best_weights(data):
    x, y, _ = data
    model = make_model()
    recorder = Recorder()
    # the loss falls every epoch, so under mode="max" epoch 0 stays the best
    stop = callbacks.EarlyStopping(monitor="loss", mode="max", patience=2, restore_best_weights=True)
    history = model.fit(x, y, batch_size=16, epochs=10, verbose=0, callbacks=[recorder, stop])
    assert len(history.epoch) == 3 and stop.stopped_epoch == 2 and stop.best_epoch == 0
    assert model.stop_training
    assert _same(model.get_weights(), recorder.weights[0])


def test_early_stopping_restores_also_without_stopping(data):
    x, y, _ = data
    model = make_model()
    recorder = Recorder()
    stop = callbacks.EarlyStopping(monitor="loss", mode="max", patience=50, restore_best_weights=True)
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[recorder, stop])
    assert len(history.epoch) == 4 and stop.stopped_epoch == 0
    assert _same(model.get_weights(), recorder.weights[0])
    assert not _same(model.get_weights(), recorder.weights[-1])


def test_early_stopping_on_val_loss_with_min_delta(data):
    x, y, _ = data
    model = make_model()
    stop = callbacks.EarlyStopping(patience=1, min_delta=10.0)      # val_loss can never improve by 10
    history = model.fit(x, y, epochs=10, batch_size=16, validation_split=0.25, verbose=0, callbacks=[stop])
    assert len(history.epoch) == 2 and stop.mode == "min"
    assert callbacks.EarlyStopping(monitor="val_accuracy").mode == "max"


def test_unknown_monitor_warns_listing_the_keys_and_training_goes_on(data, tmp_path):
    """As Keras (issue #16): val_loss without validation data is a warning, not an error."""
    x, y, _ = data
    for cb in (callbacks.EarlyStopping(patience=0), callbacks.ModelCheckpoint(tmp_path / "m.keras",
                                                                            save_best_only=True),
               callbacks.EarlyStopping(monitor="val_acc")):
        with pytest.warns(RuntimeWarning, match=r"not available; available: \['accuracy', 'loss'\]"):
            history = make_model().fit(x, y, epochs=2, verbose=0, callbacks=[cb])
        assert len(history.epoch) == 2
    assert not (tmp_path / "m.keras").exists()


def test_a_callback_overriding_only_on_batch_end_is_called():
    """Keras calls the older on_batch_begin / on_batch_end from the train-batch hooks."""
    x, y, _ = make_data(40)
    seen = []

    class Old(callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, round(logs["loss"], 3) > 0))

    make_model().fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[Old()])
    assert seen == [("begin", 0), ("end", 0, True), ("begin", 1), ("end", 1, True), ("begin", 2), ("end", 2, True)]


def test_model_checkpoint_formats_epoch_and_saves_every_epoch(data, tmp_path):
    x, y, _ = data
    model = make_model()
    template = str(tmp_path / "ckpt" / "model-{epoch:02d}-{loss:.3f}.keras")
    model.fit(x, y, epochs=3, batch_size=32, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(template, monitor="loss")])
    names = sorted(os.listdir(tmp_path / "ckpt"))
    assert [n[:9] for n in names] == ["model-01-", "model-02-", "model-03-"]
    last = load_model(tmp_path / "ckpt" / names[-1])
    np.testing.assert_array_equal(last.predict(x), model.predict(x))


def test_model_checkpoint_save_best_only(data, tmp_path):
    x, y, _ = data
    model = make_model()
    recorder = Recorder()
    path = tmp_path / "best.keras"
    ckpt = callbacks.ModelCheckpoint(path, monitor="loss", mode="max", save_best_only=True)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[recorder, ckpt])
    assert _same(load_model(path).get_weights(), recorder.weights[0])   # only epoch 1 was "best"
    weights_only = tmp_path / "w.npz"
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(weights_only, monitor="accuracy", save_weights_only=True)])
    other = make_model(seed=5)
    other.load_weights(weights_only)
    assert _same(other.get_weights(), model.get_weights())


def test_model_checkpoint_unknown_filepath_key(data, tmp_path):
    x, y, _ = data
    with pytest.raises(KeyError, match=r"names 'val_loss', which is not in the logs; available keys"):
        make_model().fit(x, y, epochs=1, verbose=0,
                         callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "{val_loss:.2f}.keras"), "loss")])


def test_callback_hooks_order_and_lambda(data):
    x, y, _ = data
    events = []
    cb = callbacks.LambdaCallback(on_train_begin=lambda logs: events.append("train_begin"),
                                  on_epoch_begin=lambda e, logs: events.append(f"epoch_begin{e}"),
                                  on_train_batch_end=lambda b, logs: events.append(f"batch{b}"),
                                  on_epoch_end=lambda e, logs: events.append(f"epoch_end{e}:{sorted(logs)}"),
                                  on_train_end=lambda logs: events.append("train_end"))
    make_model().fit(x, y, epochs=2, batch_size=48, verbose=0, callbacks=[cb])
    assert events == ["train_begin", "epoch_begin0", "batch0", "batch1", "epoch_end0:['accuracy', 'loss']",
                      "epoch_begin1", "batch0", "batch1", "epoch_end1:['accuracy', 'loss']", "train_end"]
    with pytest.raises(TypeError, match=r"unknown hook 'on_epoch_ends'"):
        callbacks.LambdaCallback(on_epoch_ends=print)


@pytest.mark.parametrize("bad,error,match", [
    (lambda: callbacks.EarlyStopping(patience=-1), ValueError, r"patience must be an int >= 0, got -1"),
    (lambda: callbacks.EarlyStopping(mode="up"), ValueError, r"mode must be 'auto', 'min' or 'max', got 'up'"),
    (lambda: callbacks.EarlyStopping(monitor=3), TypeError, r"monitor must be a log key"),
    (lambda: callbacks.ModelCheckpoint(3), TypeError, r"filepath must be a str or path"),
    (lambda: callbacks.ModelCheckpoint("m.keras", save_freq=10), ValueError, r"save_freq must be 'epoch'"),
], ids=lambda v: None)
def test_bad_callback_arguments(bad, error, match):
    with pytest.raises(error, match=match):
        bad()


# ----- Ctrl-C

class InterruptAt(callbacks.Callback):
    """Simulates Ctrl-C at (epoch, batch): by raising KeyboardInterrupt at the batch's end, or by
    sending SIGINT to this process at the batch's start (the real thing, mid-batch)."""

    def __init__(self, epoch, batch, how):
        super().__init__()
        self.at, self.how = (epoch, batch), how
        self.epoch = None
        self.snapshot = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.how == "sigint" and (self.epoch, batch) == self.at:
            os.kill(os.getpid(), signal.SIGINT)

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.snapshot = self.model.get_weights()
            if self.how == "raise":
                raise KeyboardInterrupt


@pytest.mark.parametrize("how", ["raise", "sigint"])
def test_ctrl_c_stops_after_the_current_batch(data, how, capsys):
    x, y, _ = data
    model = make_model()
    interrupt = InterruptAt(epoch=1, batch=2, how=how)
    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[interrupt])
    assert history.interrupted
    assert history.epoch == [0] and len(history.history["loss"]) == 1
    assert _same(model.get_weights(), interrupt.snapshot), "weights are those after the last completed batch"
    assert model.optimizer.iterations == 6 + 3
    assert "interrupted (Ctrl-C) in epoch 2, batch 3" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)     # the model trains on normally
    assert not history.interrupted and len(history.epoch) == 1


def test_ctrl_c_runs_train_end_callbacks(data):
    x, y, _ = data
    model = make_model()
    recorder = Recorder()
    stop = callbacks.EarlyStopping(monitor="loss", mode="max", patience=10, restore_best_weights=True)
    model.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[recorder, stop, InterruptAt(2, 0, "raise")])
    assert _same(model.get_weights(), recorder.weights[0])


def test_ignored_sigint_stays_ignored_during_fit(data):
    x, y, _ = data
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)      # as in a background job
    try:
        history = make_model().fit(x, y, batch_size=16, epochs=2, verbose=0,
                                   callbacks=[InterruptAt(0, 1, "sigint")])
        assert not history.interrupted and len(history.epoch) == 2
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
