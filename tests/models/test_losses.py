"""Losses against closed forms, their gradients against finite differences, stability and bad inputs."""

import numpy as np
import pytest

from fastconv import losses, metrics

RNG = np.random.default_rng(7)


def _fd(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        plus = f(a)
        a[i] = old - eps
        minus = f(a)
        a[i] = old
        g[i] = (plus - minus) / (2 * eps)
    return g


def _probs(n, c):
    z = RNG.standard_normal((n, c))
    return np.exp(z) / np.exp(z).sum(1, keepdims=True)


def test_categorical_crossentropy_closed_form():
    y = np.eye(3)[[0, 2]]
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    np.testing.assert_allclose(losses.categorical_crossentropy(y, p), [-np.log(0.7), -np.log(0.6)])
    assert losses.CategoricalCrossentropy()(y, p) == pytest.approx(-(np.log(0.7) + np.log(0.6)) / 2)
    assert losses.get("categorical_crossentropy")(y, p) == pytest.approx(-(np.log(0.7) + np.log(0.6)) / 2)
    assert losses.CategoricalCrossentropy(reduction="sum")(y, p) == pytest.approx(-(np.log(0.7) + np.log(0.6)))


def test_probabilities_are_clipped_as_keras_does():
    y = np.array([[1.0, 0.0]])
    p = np.array([[0.0, 1.0]])
    assert losses.categorical_crossentropy(y, p)[0] == pytest.approx(-np.log(1e-7))
    assert losses.sparse_categorical_crossentropy(np.array([0]), p)[0] == pytest.approx(-np.log(1e-7 / (1 + 1e-7)),
                                                                                           rel=1e-6)
    _, grad = losses.CategoricalCrossentropy().value_and_gradient(y, p)
    assert np.isfinite(grad).all()


def test_sparse_matches_categorical_and_accepts_n_by_1_labels():
    labels = np.array([2, 0, 1, 1])
    p = _probs(4, 3)
    expected = losses.categorical_crossentropy(np.eye(3)[labels], p)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, p), expected)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels[:, None].astype(np.uint8), p), expected)
    z = RNG.standard_normal((4, 3))
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, z, from_logits=True),
                               losses.categorical_crossentropy(np.eye(3)[labels], z, from_logits=True))


def test_mse_closed_form_and_gradient():
    y, p = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    loss = losses.MeanSquaredError()
    value, grad = loss.value_and_gradient(y, p)
    assert value == pytest.approx(np.mean((y - p) ** 2))
    np.testing.assert_allclose(grad, 2 * (p - y) / 15)
    assert losses.get("mse") is not losses.get("mse") and isinstance(losses.get("mse"), losses.MeanSquaredError)


@pytest.mark.parametrize("loss,y,pred", [
    (losses.CategoricalCrossentropy(), np.eye(4)[[0, 3, 1]], _probs(3, 4)),
    (losses.CategoricalCrossentropy(from_logits=True), np.eye(4)[[0, 3, 1]], RNG.standard_normal((3, 4))),
    (losses.CategoricalCrossentropy(label_smoothing=0.1), np.eye(4)[[0, 3, 1]], _probs(3, 4)),
    (losses.SparseCategoricalCrossentropy(), np.array([0, 3, 1]), _probs(3, 4)),
    (losses.SparseCategoricalCrossentropy(from_logits=True), np.array([[0], [3], [1]]), RNG.standard_normal((3, 4))),
    (losses.MeanSquaredError(), RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))),
], ids=["cce", "cce_logits", "cce_smoothing", "scce", "scce_logits", "mse"])
def test_loss_gradients_match_finite_differences(loss, y, pred):
    _, grad = loss.value_and_gradient(y, pred)
    numeric = _fd(lambda a: loss(y, a), pred.copy())
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    assert np.abs(grad).max() > 0


@pytest.mark.parametrize("loss,y", [
    (losses.CategoricalCrossentropy(from_logits=True), np.eye(3)[[0, 1]]),
    (losses.SparseCategoricalCrossentropy(from_logits=True), np.array([0, 1])),
], ids=["cce", "scce"])
def test_logits_of_1e4_give_finite_loss_and_gradient(loss, y):
    z = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]])
    value, grad = loss.value_and_gradient(y, z)
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert value == pytest.approx(2e4 / 2)              # sample 2 is off by 2e4, sample 1 is right
    np.testing.assert_allclose(grad, np.array([[0, 0, 0], [1, -1, 0]]) / 2, atol=1e-12)


def test_fused_softmax_gradient_is_p_minus_y_over_n():
    z = RNG.standard_normal((5, 4))
    y = np.eye(4)[[0, 1, 2, 3, 0]]
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    value, grad = losses.CategoricalCrossentropy().softmax_value_and_gradient(y, z)
    np.testing.assert_allclose(grad, (p - y) / 5)
    assert value == pytest.approx(losses.CategoricalCrossentropy()(y, p))
    value, grad = losses.SparseCategoricalCrossentropy().softmax_value_and_gradient(np.array([0, 1, 2, 3, 0]), z)
    np.testing.assert_allclose(grad, (p - y) / 5)
    assert losses.CategoricalCrossentropy().fuses_with_softmax
    assert not losses.CategoricalCrossentropy(from_logits=True).fuses_with_softmax


def test_accuracy_follows_keras_rule():
    p = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert isinstance(metrics.get("accuracy", (3, 2), (3, 2)), metrics.CategoricalAccuracy)
    assert isinstance(metrics.get("accuracy", (3,), (3, 2)), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("acc", (3, 1), (3, 2)), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("accuracy", (3, 1), (3, 1)), metrics.BinaryAccuracy)
    np.testing.assert_array_equal(metrics.categorical_accuracy(np.eye(2)[[1, 1, 1]], p), [1, 0, 1])
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(np.array([[1], [0], [0]]), p), [1, 1, 0])
    m = metrics.get("accuracy", (3,), (3, 2))
    m.update_state(np.array([1, 0, 0]), p)
    m.update_state(np.array([0]), p[:1])
    assert m.result() == pytest.approx(2 / 4) and m.name == "accuracy"


def test_sparse_accuracy_counts_the_same_on_its_fast_path(rng):
    # Integer labels on fit's fast path, any other labels through the per-sample function.
    p = rng.standard_normal((50, 7))
    p[3, 2] = np.nan                                    # argmax's rule for a NaN row, both ways
    labels = rng.integers(0, 7, 50)
    want = np.mean(metrics.sparse_categorical_accuracy(labels, p))
    for y in (labels, labels[:, None].astype(np.uint8), labels.astype(np.float64), labels.tolist()):
        m = metrics.SparseCategoricalAccuracy()
        m.update_state(y[:20], p[:20])
        m.update_state(y[20:], p[20:])
        assert m.result() == pytest.approx(want, abs=1e-12)
    with pytest.raises(ValueError, match="same number of samples"):
        metrics.SparseCategoricalAccuracy().update_state(labels[:3], p)


@pytest.mark.parametrize("call,error,match", [
    (lambda: losses.categorical_crossentropy(np.array([1, 2]), _probs(2, 3)), ValueError,
     r"y_true must have y_pred's shape \(2, 3\).*got \(2,\); for integer labels use sparse"),
    (lambda: losses.sparse_categorical_crossentropy(np.eye(3)[[0, 1]], _probs(2, 3)), ValueError,
     r"one integer label per sample.*got \(2, 3\); for one-hot labels use categorical"),
    (lambda: losses.sparse_categorical_crossentropy(np.array([0, 3]), _probs(2, 3)), ValueError,
     r"labels must be in \[0, 3\).*\[0, 3\]"),
    (lambda: losses.sparse_categorical_crossentropy(np.array([0.5, 1]), _probs(2, 3)), ValueError,
     r"integer class labels"),
    (lambda: losses.mean_squared_error(np.zeros((2, 3)), np.zeros((3, 3))), ValueError,
     r"same number of samples.*\(2, 3\) and \(3, 3\)"),
    (lambda: losses.mean_squared_error(np.zeros((2, 2)), np.zeros((2, 3))), ValueError, r"y_pred's shape"),
    (lambda: losses.categorical_crossentropy(np.array([["a"]]), np.zeros((1, 1))), TypeError, r"y_true must be numeric"),
    (lambda: losses.get("hinge"), ValueError, r"loss must be one of"),
    (lambda: losses.get(3), TypeError, r"loss must be a name"),
    (lambda: losses.CategoricalCrossentropy(from_logits="yes"), TypeError, r"from_logits must be a bool"),
    (lambda: losses.CategoricalCrossentropy(reduction="mean"), ValueError, r"reduction must be one of"),
    (lambda: metrics.get("auc", (1,), (1, 2)), ValueError, r"metrics entries must be 'accuracy'"),
], ids=lambda v: None)
def test_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()
