"""Losses and metrics beyond cross-entropy (issue #16, item 4, part): mean absolute error, Huber, KL
divergence, categorical hinge and the "mae" / "mse" metrics, against Keras's formulas in NumPy,
with float64 central-difference gradients and bad inputs."""

import numpy as np
import pytest

from fastconv import Input, Model, layers, losses, metrics

RNG = np.random.default_rng(11)


def keras_huber(y, p, delta):
    e = np.abs(p - y)
    q = np.minimum(e, delta)
    return np.mean(0.5 * q * q + delta * (e - q), axis=-1)


def keras_kld(y, p):
    y, p = np.clip(y, 1e-7, 1), np.clip(p, 1e-7, 1)
    return np.sum(y * np.log(y / p), axis=-1)


def keras_hinge(y, p):
    pos = np.sum(y * p, axis=-1)
    neg = np.max((1 - y) * p, axis=-1)
    return np.maximum(neg - pos + 1, 0)


CASES = [
    ("mae", lambda: losses.get("mae"), lambda y, p: np.mean(np.abs(p - y), axis=-1), "real"),
    ("huber", lambda: losses.Huber(delta=0.7), lambda y, p: keras_huber(y, p, 0.7), "real"),
    ("kld", lambda: losses.get("kld"), keras_kld, "distribution"),
    ("categorical_hinge", lambda: losses.get("categorical_hinge"), keras_hinge, "onehot"),
]


def data(kind):
    if kind == "real":
        return RNG.standard_normal((5, 4)), RNG.standard_normal((5, 4))
    if kind == "distribution":
        y = RNG.random((5, 4)) + 0.1
        p = RNG.random((5, 4)) + 0.1
        return y / y.sum(1, keepdims=True), p / p.sum(1, keepdims=True)
    return np.eye(4)[RNG.integers(0, 4, 5)], RNG.standard_normal((5, 4)) * 0.3


@pytest.mark.parametrize("name, make, reference, kind", CASES, ids=[c[0] for c in CASES])
def test_values_and_float64_gradients(name, make, reference, kind):
    y, p = data(kind)
    loss = make()
    np.testing.assert_allclose(loss(y, p), reference(y, p).mean(), rtol=1e-12)
    _, grad = loss.value_and_gradient(y, p)
    assert np.abs(grad).max() > 0
    for i in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        np.testing.assert_allclose(grad[i], (loss(y, up) - loss(y, down)) / 2e-6, rtol=1e-5, atol=1e-8)


def test_names_configs_and_metrics_in_fit():
    assert isinstance(losses.get("mean_absolute_error"), losses.MeanAbsoluteError)
    assert losses.get(losses.serialize(losses.Huber(2.0))).delta == 2.0
    inp = Input((3,))
    model = Model(inp, layers.Dense(2)(inp))
    model.compile("sgd", "huber", metrics=["mae", "mse"])
    x, y = RNG.standard_normal((16, 3)), RNG.standard_normal((16, 2))
    logs = model.fit(x, y, epochs=1, verbose=0, shuffle=False).history
    assert set(logs) == {"loss", "mae", "mse"}
    out = model.predict(x)
    result = model.evaluate(x, y, return_dict=True, verbose=0)
    assert result["mae"] == pytest.approx(np.mean(np.abs(out - y)), rel=1e-5)
    assert result["mse"] == pytest.approx(np.mean((out - y) ** 2), rel=1e-5)
    assert metrics.get("mean_absolute_error", (2, 1), (2, 1)).name == "mean_absolute_error"


@pytest.mark.parametrize("call, error, match", [
    (lambda: losses.Huber(delta=0), ValueError, r"delta must be a finite float > 0"),
    (lambda: losses.get("mae")(np.ones((2, 3)), np.ones((2, 2))), ValueError, r"y_true must have y_pred's shape"),
    (lambda: losses.get("kld")(np.array([["a"]]), np.ones((1, 1))), TypeError, r"y_true must be numeric"),
    (lambda: metrics.get("rmse", (1,), (1, 1)), ValueError, r"metrics entries must be 'accuracy'"),
])
def test_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()
