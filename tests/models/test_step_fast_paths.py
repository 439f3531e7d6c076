"""The training step's internal fast paths against the checked code they stand in for: optimizer
updates straight into the engine, the engine's softmax cross-entropy, and fit's dispatch of
batch hooks only to callbacks that implement them."""

import numpy as np
import pytest

from fastconv import _core, callbacks, functional as F, losses, optimizers
from fastconv.layers.base import Weight

from .helpers import make_data, make_model

RNG = np.random.default_rng(5)


def _weights(dtype):
    return [Weight(f"w{i}", RNG.standard_normal(shape).astype(dtype)) for i, shape in enumerate(((3, 4), (4,)))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make, reference", [
    (lambda: optimizers.SGD(0.1), lambda w, g, s, t: F.sgd_update(w, g, None, 0.1)),
    (lambda: optimizers.SGD(0.1, momentum=0.9), lambda w, g, s, t: F.sgd_update(w, g, s[0], 0.1, 0.9)),
    (lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
     lambda w, g, s, t: F.sgd_update(w, g, s[0], 0.1, 0.9, nesterov=True)),
    (lambda: optimizers.Adam(0.01), lambda w, g, s, t: F.adam_update(w, g, s[0], s[1], t, 0.01)),
], ids=["sgd", "momentum", "nesterov", "adam"])
def test_engine_updates_match_the_functional_ones(dtype, make, reference):
    opt, weights = make(), _weights(dtype)
    expected = [w.value.copy() for w in weights]
    slots = [[np.zeros_like(e) for _ in range(2)] for e in expected]
    for step in range(1, 4):
        grads = [RNG.standard_normal(w.value.shape).astype(dtype) for w in weights]
        for e, g, s in zip(expected, grads, slots):
            reference(e, g, s, step)
        if step == 2:       # off the engine path: a float64 gradient and a non-contiguous one
            grads = [grads[0].astype(np.float64) if dtype == "float32" else grads[0].tolist(),
                     np.repeat(grads[1], 2)[::2]]
        if step == 3:
            grads[0] = grads[0].tolist()
        for w, g in zip(weights, grads):
            w.grad = g
        opt.apply(weights)
        for e, w in zip(expected, weights):
            np.testing.assert_array_equal(w.value, e)
            assert w.value.dtype == np.dtype(dtype)


def test_hyperparameters_set_between_steps_are_checked():
    opt, weights = optimizers.SGD(0.1), _weights("float32")
    for w in weights:
        w.grad = np.ones_like(w.value)
    opt.learning_rate = float("nan")
    with pytest.raises(TypeError, match=r"learning_rate must be a finite number"):
        opt.apply(weights)
    adam = optimizers.Adam()
    adam.beta_1 = 1.0
    with pytest.raises(ValueError, match=r"beta_1 and beta_2 must be < 1"):
        adam.apply(weights)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_engine_softmax_cross_entropy_matches_numpy(dtype, smoothing):
    z = (RNG.standard_normal((7, 2, 5)) * 4).astype(dtype)
    z[0, 0] = [1e4, -1e4, 0, 0, 0]
    y = RNG.random((7, 2, 5)).astype(dtype)         # soft labels, not summing to 1
    loss, grad = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing).value_and_gradient(y, z)
    # The NumPy formula the engine replaces (float16 logits still take it).
    yy = y * (1 - smoothing) + smoothing / 5
    log_p = z - z.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loss, np.mean(-np.sum(yy * log_p, -1)), **tol)
    np.testing.assert_allclose(grad, (np.exp(log_p) * yy.sum(-1, keepdims=True) - yy) / 14, **tol)
    assert grad.dtype == np.dtype(dtype)
    half_loss = losses.categorical_crossentropy(y.astype(np.float16), z.astype(np.float16), from_logits=True)
    assert half_loss.dtype == np.float16 and half_loss.shape == (7, 2)


@pytest.mark.parametrize("n", [3, 5000])           # one thread, and rows split over threads
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_engine_sparse_cross_entropy_is_the_one_hot_one_bitwise(dtype, n):
    z = (RNG.standard_normal((n, 10)) * 4).astype(dtype)
    z[0] = [1e4, -1e4] + [0] * 8
    labels = RNG.integers(0, 10, n)
    one_hot = np.eye(10, dtype=dtype)[labels]
    for got, want in zip(_core.sparse_softmax_cross_entropy(z, labels), _core.softmax_cross_entropy(z, one_hot)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("labels", [np.array([[0], [2], [1]], np.uint8), np.array([0, 2, 1], np.int32),
                                    np.array([0.0, 2.0, 1.0])], ids=["uint8-column", "int32", "float"])
def test_sparse_cross_entropy_from_logits_takes_any_integer_labels(labels):
    z = RNG.standard_normal((3, 4)).astype(np.float32)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    value, grad = loss.value_and_gradient(labels, z)
    want = losses.CategoricalCrossentropy(from_logits=True).value_and_gradient(np.eye(4)[[0, 2, 1]], z)
    assert value == pytest.approx(want[0], rel=1e-6)
    np.testing.assert_allclose(grad, want[1], rtol=1e-6, atol=1e-7)


def test_sparse_cross_entropy_names_a_label_out_of_range():
    z = RNG.standard_normal((3, 4)).astype(np.float32)
    assert _core.sparse_softmax_cross_entropy(z, np.array([0, 4, 1])) is None     # the engine leaves it to Python
    for bad in ([0, 4, 1], [-1, 0, 1]):
        with pytest.raises(ValueError, match=r"labels must be in \[0, 4\)"):
            losses.SparseCategoricalCrossentropy(from_logits=True)(np.array(bad), z)
    with pytest.raises(ValueError, match=r"one entry per row of z \(3\), got 2"):
        _core.sparse_softmax_cross_entropy(z, np.array([0, 1]))
    with pytest.raises(TypeError, match="labels"):
        _core.sparse_softmax_cross_entropy(z, np.array([0, 1, 2], np.int32))


class _Counter(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        assert "loss" in logs and "accuracy" in logs


def test_batch_hooks_run_only_for_callbacks_that_implement_them():
    assert not callbacks.CallbackList([callbacks.ProgbarLogger(0), callbacks.History()], None, {}).implements(
        "on_train_batch_end")
    assert callbacks.CallbackList([callbacks.ProgbarLogger(1)], None, {}).implements("on_train_batch_end")
    lam = callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: begun.append(batch))
    assert callbacks.CallbackList([lam], None, {}).implements("on_train_batch_begin")
    begun, counter = [], _Counter()
    x, y, _ = make_data(40)
    make_model().fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[lam, counter])
    assert begun == [0, 1, 2] * 2 and counter.batches == 6


def test_a_layer_frozen_by_a_batch_callback_counts_from_the_next_step():
    # As before the step plan was cached: the next step sees the change (and the optimizer, built
    # for the old list of trainable weights, refuses it).
    x, y, _ = make_data(48)
    model = make_model()
    seen = []

    def freeze(batch, logs):
        seen.append(batch)
        model.layers[0].trainable = False

    with pytest.raises(ValueError, match=r"built for weights of shapes"):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[callbacks.LambdaCallback(on_train_batch_end=freeze)])
    assert seen == [0]
