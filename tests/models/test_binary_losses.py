"""Binary classification (issue #16, item 1): BinaryCrossentropy and BinaryFocalCrossentropy against
Keras's formulas written in NumPy, float64 central-difference gradients, the sigmoid fused with them
in fit, (N,) labels for a one-unit output, the from_logits warning, and bad inputs."""

import warnings

import numpy as np
import pytest

from fastconv import Input, Model, layers, losses
from fastconv.utils import set_random_seed

RNG = np.random.default_rng(7)


def keras_bce(y, p, from_logits=False, smoothing=0.0):
    """Keras 3's binary_crossentropy (TensorFlow backend), per sample."""
    y = y * (1 - smoothing) + 0.5 * smoothing
    if from_logits:
        return np.mean(np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p))), axis=-1)
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)


def keras_focal(y, p, from_logits=False, gamma=2.0, alpha=0.25, balance=False, smoothing=0.0):
    """Keras 3's binary_focal_crossentropy, per sample (the BCE from logits where it has them)."""
    y = y * (1 - smoothing) + 0.5 * smoothing
    if from_logits:
        bce = np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))
        p = 1 / (1 + np.exp(-p))
    else:
        c = np.clip(p, 1e-7, 1 - 1e-7)
        bce = -(y * np.log(c) + (1 - y) * np.log(1 - c))
    p_t = y * p + (1 - y) * (1 - p)
    focal = (1 - p_t) ** gamma * bce
    if balance:
        focal *= y * alpha + (1 - y) * (1 - alpha)
    return np.mean(focal, axis=-1)


CASES = [
    ("bce probabilities", lambda: losses.BinaryCrossentropy(), lambda y, p: keras_bce(y, p), False),
    ("bce logits", lambda: losses.BinaryCrossentropy(from_logits=True), lambda y, z: keras_bce(y, z, True), True),
    ("bce smoothing", lambda: losses.BinaryCrossentropy(label_smoothing=0.2),
     lambda y, p: keras_bce(y, p, smoothing=0.2), False),
    ("focal probabilities", lambda: losses.BinaryFocalCrossentropy(), lambda y, p: keras_focal(y, p), False),
    ("focal logits balanced", lambda: losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3,
                                                                     gamma=1.5, from_logits=True),
     lambda y, z: keras_focal(y, z, True, 1.5, 0.3, True), True),
    ("focal smoothing gamma 0", lambda: losses.BinaryFocalCrossentropy(gamma=0.0, label_smoothing=0.1),
     lambda y, p: keras_focal(y, p, gamma=0.0, smoothing=0.1), False),
]


@pytest.mark.parametrize("name, make, reference, logits", CASES, ids=[c[0] for c in CASES])
def test_values_and_float64_gradients(name, make, reference, logits):
    y = RNG.integers(0, 2, (6, 3)).astype(np.float64)
    pred = RNG.standard_normal((6, 3)) * 2 if logits else RNG.uniform(0.05, 0.95, (6, 3))
    loss = make()
    np.testing.assert_allclose(loss(y, pred), reference(y, pred).mean(), rtol=1e-12)
    value, grad = loss.value_and_gradient(y, pred)
    assert np.abs(grad).max() > 0
    eps = 1e-6
    for i in np.ndindex(pred.shape):
        up, down = pred.copy(), pred.copy()
        up[i] += eps
        down[i] -= eps
        np.testing.assert_allclose(grad[i], (loss(y, up) - loss(y, down)) / (2 * eps), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("make", [lambda: losses.BinaryCrossentropy(label_smoothing=0.1),
                                  lambda: losses.BinaryFocalCrossentropy(apply_class_balancing=True)])
def test_fused_sigmoid_gives_the_gradient_through_the_sigmoid(make):
    loss = make()
    y = RNG.integers(0, 2, (5, 2)).astype(np.float64)
    z = RNG.standard_normal((5, 2))
    p = 1 / (1 + np.exp(-z))
    value, dz = loss.fused_value_and_gradient(y, z)
    plain_value, dp = loss.value_and_gradient(y, p)
    np.testing.assert_allclose(value, plain_value, rtol=1e-9)
    np.testing.assert_allclose(dz, dp * p * (1 - p), rtol=1e-7)


def test_saturated_logits_stay_finite():
    loss = losses.BinaryCrossentropy(from_logits=True)
    value, grad = loss.value_and_gradient(np.array([[1.0], [0.0]]), np.array([[-1e4], [1e4]]))
    assert value == pytest.approx(1e4) and np.isfinite(grad).all()


def test_a_sigmoid_classifier_trains_fused_with_one_label_per_sample():
    set_random_seed(0)
    x = RNG.standard_normal((128, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)            # shape (N,), as Keras programs pass it
    inp = Input((4,))
    model = Model(inp, layers.Dense(1, activation="sigmoid")(layers.Dense(8, activation="relu")(inp)))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    assert model._fused_outputs()[0] is model.layers[-1]
    history = model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.85
    assert model.evaluate(x, y, verbose=0)[1] > 0.85


def test_from_logits_on_a_sigmoid_output_warns_as_keras():
    inp = Input((4,))
    model = Model(inp, layers.Dense(1, activation="sigmoid")(inp))
    model.compile("sgd", losses.BinaryCrossentropy(from_logits=True))
    with pytest.warns(UserWarning, match="received from_logits=True, but output .* sigmoid activation"):
        model.fit(np.zeros((4, 4)), np.zeros(4), verbose=0)
    model.compile("sgd", "binary_crossentropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(np.zeros((4, 4)), np.zeros(4), verbose=0)


def test_names_classes_and_configs():
    for name, cls in [("binary_crossentropy", losses.BinaryCrossentropy),
                      ("binary_focal_crossentropy", losses.BinaryFocalCrossentropy)]:
        assert isinstance(losses.get(name), cls) and isinstance(losses.get(cls.__name__), cls)
    focal = losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.0, label_smoothing=0.1)
    again = losses.get(losses.serialize(focal))
    assert again.get_config() == focal.get_config()
    assert losses.get(losses.binary_crossentropy).name == "binary_crossentropy"
    np.testing.assert_allclose(losses.binary_focal_crossentropy(np.ones((2, 1)), np.full((2, 1), 0.5), gamma=0.0),
                               losses.binary_crossentropy(np.ones((2, 1)), np.full((2, 1), 0.5)))


@pytest.mark.parametrize("call, error, match", [
    (lambda: losses.BinaryCrossentropy(label_smoothing=1.5), ValueError, r"label_smoothing must be a float in \[0, 1\]"),
    (lambda: losses.BinaryCrossentropy(from_logits="yes"), TypeError, r"from_logits must be a bool"),
    (lambda: losses.BinaryFocalCrossentropy(gamma=-1), ValueError, r"gamma must be a finite float >= 0"),
    (lambda: losses.BinaryFocalCrossentropy(alpha=2), ValueError, r"alpha must be a float in \[0, 1\]"),
    (lambda: losses.BinaryCrossentropy()(np.ones((3, 2)), np.ones((3, 1)) * 0.5), ValueError,
     r"y_true must have y_pred's shape \(3, 1\)"),
    (lambda: losses.BinaryCrossentropy()(np.array(["a"]), np.ones(1)), TypeError, r"y_true must be numeric"),
])
def test_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()
