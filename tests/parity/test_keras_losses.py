"""Losses and metrics beyond cross-entropy against real Keras (issue #16, item 4, part): the same
small network, Keras's weights, 3 epochs of SGD; the same loss and "mae" / "mse" metrics (1e-4).

Keras is an optional test dependency (``pip install tensorflow-cpu``); CI installs it and runs these."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras", reason="Keras is not installed: pip install tensorflow-cpu to run the parity tests")

import fastconv  # noqa: E402

fk = fastconv.keras


def network(K, activation):
    inputs = K.Input((6,))
    h = K.layers.Dense(8, activation="tanh", name="hidden")(inputs)
    return K.Model(inputs, K.layers.Dense(4, activation=activation, name="out")(h))


CASES = [("mae", None, "real"), ("huber", None, "real"), ("kl_divergence", "softmax", "distribution"),
         ("categorical_hinge", None, "onehot")]


@pytest.mark.parametrize("loss, activation, kind", CASES, ids=[c[0] for c in CASES])
def test_loss_and_metrics_after_training_match_keras(loss, activation, kind):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((128, 6)).astype(np.float32)
    if kind == "real":
        y = rng.standard_normal((128, 4)).astype(np.float32)
    elif kind == "distribution":
        y = rng.random((128, 4)).astype(np.float32) + 0.1
        y /= y.sum(axis=1, keepdims=True)
    else:
        y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 128)]
    keras.utils.set_random_seed(0)
    theirs = network(keras, activation)
    ours = network(fk, activation)
    ours.set_weights(theirs.get_weights())
    for model, K in ((theirs, keras), (ours, fk)):
        model.compile(optimizer=K.optimizers.SGD(learning_rate=0.1), loss=loss, metrics=["mae", "mse"])
    h_theirs = theirs.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    h_ours = ours.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    for key in ("loss", "mae", "mse"):
        np.testing.assert_allclose(h_ours[key], h_theirs[key], rtol=1e-4, atol=1e-5, err_msg=key)
