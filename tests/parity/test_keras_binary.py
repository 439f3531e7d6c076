"""Binary classification against real Keras (issue #16, item 1): a sigmoid CNN on the digits (digit
< 5 or not) with binary cross-entropy, its focal form and from_logits=True, fastconv given Keras's
weights: the same predictions (1e-5) and, after 3 epochs of SGD, the same loss (1e-4) and accuracy.

Keras is an optional test dependency (``pip install tensorflow-cpu``); CI installs it and runs these."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras", reason="Keras is not installed: pip install tensorflow-cpu to run the parity tests")

import fastconv  # noqa: E402
from fastconv.datasets import digits  # noqa: E402

fk = fastconv.keras


def classifier(K, activation):
    L = K.layers
    inputs = K.Input((8, 8, 1))
    h = L.MaxPooling2D(name="pool")(L.Conv2D(4, 3, activation="relu", name="conv")(inputs))
    h = L.Dense(8, activation="relu", name="hidden")(L.Flatten(name="flat")(h))
    return K.Model(inputs, L.Dense(1, activation=activation, name="out")(h))


LOSSES = [
    ("bce smoothed", "sigmoid", lambda K: K.losses.BinaryCrossentropy(label_smoothing=0.1)),
    ("focal balanced", "sigmoid", lambda K: K.losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=2.0)),
    ("bce from logits", None, lambda K: K.losses.BinaryCrossentropy(from_logits=True)),
]


@pytest.mark.parametrize("name, activation, make_loss", LOSSES, ids=[c[0] for c in LOSSES])
def test_binary_classifier_predicts_and_trains_like_keras(name, activation, make_loss):
    (x, y), _ = digits.load_data()
    x, labels = x[:320] / 16.0, (y[:320] < 5).astype(np.float32)      # (N,) labels, as Keras programs pass
    keras.utils.set_random_seed(0)
    theirs = classifier(keras, activation)
    ours = classifier(fk, activation)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    metric = "accuracy" if activation == "sigmoid" else None
    for model, K in ((theirs, keras), (ours, fk)):
        model.compile(optimizer=K.optimizers.SGD(learning_rate=0.1), loss=make_loss(K),
                      metrics=[metric] if metric else [])
    h_theirs = theirs.fit(x, labels, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    h_ours = ours.fit(x, labels, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-4, atol=1e-4)
    if metric:
        np.testing.assert_allclose(h_ours["accuracy"], h_theirs["accuracy"], atol=1 / 320 + 1e-9)
