"""Functional-API models against real Keras (issue #15): the same program built with ``keras`` and
with ``fastconv.keras``, fastconv given Keras's weights through ``set_weights(keras_model.get_weights())``:
the same predictions (1e-5) and, after 3 epochs of SGD on the digits, the same loss (1e-4).

Keras is an optional test dependency (``pip install tensorflow-cpu``); CI installs it and runs these."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras", reason="Keras is not installed: pip install tensorflow-cpu to run the parity tests")

import fastconv  # noqa: E402
from fastconv.datasets import digits  # noqa: E402

fk = fastconv.keras


def two_inputs_two_outputs(K):
    """Merges (add, subtract, multiply, average, maximum, minimum, concatenate), a shared Dense and
    BatchNormalization, on the digits image and a second input (its row sums)."""
    L = K.layers
    image = K.Input((8, 8, 1), name="image")
    rows = K.Input((8,), name="rows")
    c1 = L.Conv2D(6, 3, padding="same", activation="relu", name="c1")(image)
    c2 = L.Conv2D(6, 3, padding="same", name="c2")(c1)
    block = L.Activation("relu", name="block_relu")(L.add([c1, L.BatchNormalization(name="bn")(c2)], name="skip"))
    pooled = L.MaxPooling2D(name="pool")(block)
    flat = L.Flatten(name="flat")(L.concatenate([pooled, L.subtract([pooled, L.multiply([pooled, pooled], name="square")],
                                                                              name="minus")], name="cat"))
    shared = L.Dense(8, activation="tanh", name="shared")
    a, b = shared(rows), shared(L.Dense(8, name="pre")(rows))
    side = L.concatenate([L.average([a, b], name="mean"), L.maximum([a, b], name="most"),
                          L.minimum([a, b], name="least")], name="side_cat")
    both = L.concatenate([flat, side], name="both")
    digit = L.Dense(10, activation="softmax", name="digit")(both)
    big = L.Dense(1, name="big")(both)
    return K.Model([image, rows], [digit, big], name="two_by_two")


def nested(K):
    """A model used as a layer of another, called twice (shared): its weights count once."""
    L = K.layers
    inner_in = K.Input((8, 8, 1))
    inner_out = L.GlobalAveragePooling2D()(L.Conv2D(8, 3, padding="same", activation="relu", name="inner_conv")(inner_in))
    inner = K.Model(inner_in, inner_out, name="features")
    image = K.Input((8, 8, 1), name="image")
    flipped = K.Input((8, 8, 1), name="flipped")
    joined = L.concatenate([inner(image), inner(flipped)], name="joined")
    out = L.Dense(10, activation="softmax", name="digit")(L.Dense(16, activation="relu", name="hidden")(joined))
    return K.Model([image, flipped], out, name="siamese")


def data():
    (x, y), _ = digits.load_data()
    x, y = x[:320] / 16.0, y[:320]     # pixels 0-16 scaled to [0, 1]
    rows = x.mean(axis=2)[..., 0]
    return x, rows, y


def build_pair(builder):
    keras.utils.set_random_seed(0)
    theirs = builder(keras)
    fastconv.utils.set_random_seed(0)
    ours = builder(fk)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


def test_two_inputs_two_outputs_predict_and_train_like_keras():
    theirs, ours = build_pair(two_inputs_two_outputs)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    x, rows, y = data()
    big = (y >= 5).astype(np.float32)[:, None]
    inputs, targets = [x, rows], [y, big]
    for a, b in zip(ours.predict(inputs, verbose=0), theirs.predict(inputs, verbose=0)):
        # float32 sums in another order: 1e-5 of the output's scale (the regression output reaches 14)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(b).max()))
    for model, K in ((theirs, keras), (ours, fk)):
        model.compile(optimizer=K.optimizers.SGD(learning_rate=0.05),
                      loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5])
    h_theirs = theirs.fit(inputs, targets, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    h_ours = ours.fit(inputs, targets, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-4, atol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_nested_shared_model_predicts_and_trains_like_keras():
    theirs, ours = build_pair(nested)
    assert len(ours.get_weights()) == len(theirs.get_weights()) == 6
    x, _, y = data()
    inputs = [x, x[:, :, ::-1]]
    np.testing.assert_allclose(ours.predict(inputs), theirs.predict(inputs, verbose=0), rtol=1e-5, atol=1e-5)
    for model, K in ((theirs, keras), (ours, fk)):
        model.compile(optimizer=K.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    h_theirs = theirs.fit(inputs, y, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    h_ours = ours.fit(inputs, y, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(h_ours["accuracy"], h_theirs["accuracy"], atol=1 / 320 + 1e-9)


def test_layer_order_and_summary_columns_match_keras():
    theirs, ours = build_pair(two_inputs_two_outputs)
    # every layer is named: automatic names count the session's layers, which differ between the two
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert ours.output_shape == [tuple(s) for s in theirs.output_shape]
    assert ours.count_params() == theirs.count_params()


def subclassed_class(K):
    class Residual(K.Model):
        """Layers made in __init__, composed in call() with + (Keras records it as an add)."""

        def __init__(self):
            super().__init__()
            self.conv = K.layers.Conv2D(6, 3, padding="same", activation="relu")
            self.conv2 = K.layers.Conv2D(6, 3, padding="same")
            self.flat = K.layers.Flatten()
            self.out = K.layers.Dense(10, activation="softmax")

        def call(self, inputs, training=False):
            h = self.conv(inputs)
            h = K.layers.ReLU()(h + self.conv2(h))
            return self.out(self.flat(h))
    return Residual


def test_subclassed_model_predicts_and_trains_like_keras():
    x, _, y = data()
    keras.utils.set_random_seed(0)
    theirs = subclassed_class(keras)()
    theirs(x[:1])                               # Keras builds a subclassed model on its first call
    ours = subclassed_class(fk)()
    ours(x[:1])                                 # fastconv traces call() then
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    for model, K in ((theirs, keras), (ours, fk)):
        model.compile(optimizer=K.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    h_theirs = theirs.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    h_ours = ours.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-4, atol=1e-4)
