"""Sequential: structure, summary, compile/fit/evaluate/predict, the gradients fit applies,
regularization, determinism and bad inputs."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastconv
from fastconv import callbacks, layers, losses, optimizers, regularizers
from fastconv._random import set_random_seed
from fastconv.models import Sequential

from .helpers import make_data, make_model


def cifar_model():
    model = Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    return model


def _rows(text):
    return [re.sub(r"_\d+ ", " ", line.strip()) for line in text.splitlines()]


def test_summary_of_the_course_cifar_model(capsys):
    model = cifar_model()
    model.summary()                                     # the course prints the convolutional base first
    base = capsys.readouterr().out
    assert "Total params: 56,320 (220.00 KB)" in base
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10))
    model.summary()
    text = capsys.readouterr().out
    rows = _rows(text)
    assert rows[0].startswith('Model: "sequential')
    header = 2                                          # title, rule, header, rule, rows
    assert re.match(r"Layer \(type\)\s+Output Shape\s+Param #$", rows[header])
    expected = [("conv2d (Conv2D)", "(None, 30, 30, 32)", "896"),
                ("max_pooling2d (MaxPooling2D)", "(None, 15, 15, 32)", "0"),
                ("conv2d (Conv2D)", "(None, 13, 13, 64)", "18,496"),
                ("max_pooling2d (MaxPooling2D)", "(None, 6, 6, 64)", "0"),
                ("conv2d (Conv2D)", "(None, 4, 4, 64)", "36,928"),
                ("flatten (Flatten)", "(None, 1024)", "0"),
                ("dense (Dense)", "(None, 64)", "65,600"),
                ("dense (Dense)", "(None, 10)", "650")]
    body = rows[header + 2:header + 2 + len(expected)]
    for row, (name, shape, params) in zip(body, expected):
        assert re.fullmatch(rf"{re.escape(name)}\s+{re.escape(shape)}\s+{params}", row), row
    assert "Total params: 122,570 (478.79 KB)" in text
    assert "Trainable params: 122,570 (478.79 KB)" in text
    assert "Non-trainable params: 0 (0.00 B)" in text
    assert model.count_params() == 122570
    assert [l.count_params() for l in model.layers] == [896, 0, 18496, 0, 36928, 0, 65600, 650]


def test_summary_counts_non_trainable_batchnorm_statistics():
    model = Sequential([layers.Input((4,)), layers.BatchNormalization(), layers.Dense(2)])
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 26 " in lines[0] and "Non-trainable params: 8 " in lines[0]


def test_summary_and_count_params_need_an_input_shape():
    model = Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match=r"not been built yet: give the first layer input_shape="):
        model.summary()
    with pytest.raises(ValueError, match=r"is not built"):
        model.count_params()
    model.predict(np.zeros((2, 5)))
    assert model.count_params() == 18


def test_fit_evaluate_predict(data, capsys):
    x, y, _ = data
    model = make_model()
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0, validation_data=(x[:32], y[:32]))
    assert capsys.readouterr().out == ""
    assert isinstance(history, callbacks.History) and model.history is history
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert history.epoch == list(range(8)) and all(len(v) == 8 for v in history.history.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.8
    assert model.evaluate(x[:32], y[:32], verbose=0) == pytest.approx(
        [history.history["val_loss"][-1], history.history["val_accuracy"][-1]])
    p = model.predict(x)
    assert p.shape == (96, 3) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(model.predict(x, batch_size=7), p)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] == accuracy


def test_verbose_prints_one_line_per_epoch(data, capsys):
    x, y, _ = data
    model = make_model()
    model.fit(x, y, batch_size=32, epochs=2, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2" and len(out) == 4
    assert re.fullmatch(r"3/3 - \d+s - \d+[mu]s/step - loss: \d+\.\d{4} - accuracy: \d\.\d{4}", out[1]), out[1]
    model.evaluate(x, y, verbose=1)
    assert re.fullmatch(r"3/3 - \d+s - \d+[mu]s/step - loss: \d+\.\d{4} - accuracy: \d\.\d{4}\n",
                        capsys.readouterr().out)


def test_evaluate_without_metrics_returns_the_loss(data):
    x, y, labels = data
    model = make_model(metrics=(), loss="sparse_categorical_crossentropy")
    value = model.evaluate(x, labels, verbose=0)
    assert isinstance(value, float)
    assert value == pytest.approx(losses.sparse_categorical_crossentropy(labels, model.predict(x)).mean(), rel=1e-5)


def test_validation_split_holds_out_the_last_samples(data):
    x, y, _ = data
    model = make_model()
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(x[72:], y[72:], verbose=0)[0])


# ----- the gradients fit applies, against finite differences of evaluate's loss

@pytest.mark.parametrize("loss,last,labels", [
    ("categorical_crossentropy", "softmax", "onehot"),                       # fused softmax + CE
    (losses.SparseCategoricalCrossentropy(from_logits=True), None, "int"),   # the CIFAR program's loss
    ("mse", "softmax", "onehot"),                                            # softmax backward, unfused
    ("sparse_categorical_crossentropy", "softmax", "int"),                   # fused, integer labels
], ids=["cce_softmax_fused", "scce_logits", "mse_softmax", "scce_softmax_fused"])
def test_fit_applies_the_gradient_of_the_reported_loss(loss, last, labels):
    x, y, lab = make_data(n=12, seed=3)
    targets = y if labels == "onehot" else lab
    model = make_model(dtype="float64", l2=0.01, optimizer=optimizers.SGD(learning_rate=1.0), loss=loss,
                       last_activation=last, metrics=())
    before = model.get_weights()
    model.fit(x, targets, batch_size=12, epochs=1, shuffle=False, verbose=0)
    applied = [b - a for b, a in zip(before, model.get_weights())]        # SGD(lr=1): w_new = w - grad
    model.set_weights(before)
    rng = np.random.default_rng(0)
    for w, grad in zip(model.weights, applied):
        assert np.abs(grad).max() > 0, w.name
        for i in rng.choice(w.value.size, min(12, w.value.size), replace=False):
            flat = w.value.reshape(-1)
            old = flat[i]
            flat[i] = old + 1e-6
            plus = model.evaluate(x, targets, batch_size=12, verbose=0)
            flat[i] = old - 1e-6
            minus = model.evaluate(x, targets, batch_size=12, verbose=0)
            flat[i] = old
            assert grad.reshape(-1)[i] == pytest.approx((plus - minus) / 2e-6, rel=1e-4, abs=1e-8), w.name


def test_regularization_is_added_to_the_loss(data):
    x, y, _ = data
    lam = 1e-2
    model = make_model(l2=lam)
    plain = make_model(l2=None)
    plain.set_weights(model.get_weights())
    penalty = lam * sum(float(np.sum(l.kernel.astype(np.float64) ** 2)) for l in model.layers if hasattr(l, "kernel"))
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(plain.evaluate(x, y, verbose=0)[0] + penalty, rel=1e-5)
    assert model.evaluate(x, y, verbose=0)[1] == plain.evaluate(x, y, verbose=0)[1]


def test_training_is_deterministic_given_the_seed(data):
    x, y, _ = data
    runs = []
    for _ in range(2):
        model = make_model(seed=11, optimizer="adam")
        history = model.fit(x, y, batch_size=10, epochs=3, verbose=0)
        runs.append((model.get_weights(), history.history))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)
    assert runs[0][1] == runs[1][1]
    other = make_model(seed=12, optimizer="adam")
    other.fit(x, y, batch_size=10, epochs=3, verbose=0)
    assert not np.array_equal(other.get_weights()[0], runs[0][0][0])


def test_dropout_and_batchnorm_models_train_and_predict_deterministically(data):
    x, y, _ = data
    set_random_seed(0)
    model = Sequential([layers.Input((6, 6, 1)), layers.Conv2D(4, 3), layers.BatchNormalization(), layers.ReLU(),
                        layers.GlobalAveragePooling2D(), layers.Dropout(0.2), layers.Dense(3),
                        layers.Softmax()])
    model.compile("rmsprop", "categorical_crossentropy", ["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_array_equal(model.predict(x), model.predict(x))
    assert model.layers[1].moving_mean.any()


def test_model_weights_in_keras_order():
    model = make_model()
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(3, 3, 1, 4), (4,), (16, 8), (8,), (8, 3), (3,)]
    new = [np.full(s, 0.5, np.float32) for s in shapes]
    model.set_weights(new)
    assert all((w == 0.5).all() for w in model.get_weights())
    assert model.get_layer(index=0) is model.layers[0]
    assert model.get_layer(model.layers[3].name) is model.layers[3]


def test_keras_namespace_runs_the_course_imports():
    import fastconv as tf
    from fastconv.keras import layers as keras_layers, models, optimizers as keras_optimizers, regularizers as keras_reg
    from fastconv.keras.layers import Dense, Input
    from fastconv.keras.models import Sequential as KerasSequential
    loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert loss.from_logits and isinstance(loss, losses.SparseCategoricalCrossentropy)
    assert models.Sequential is Sequential is KerasSequential is fastconv.Sequential is tf.keras.Sequential
    assert keras_layers.Conv2D is layers.Conv2D and Dense is layers.Dense and Input is layers.Input
    assert keras_optimizers.SGD(lr=0.1).learning_rate == 0.1
    assert keras_reg.l2(1e-4).l2 == 1e-4
    assert tf.keras.utils.set_random_seed is set_random_seed
    with pytest.raises(AttributeError):
        tf.keras.no_such_module


def test_import_fastconv_stays_light():
    code = ("import sys, time; t = time.perf_counter(); import fastconv; t = time.perf_counter() - t; "
            "print(t, [m for m in ('fastconv.layers', 'fastconv.models', 'fastconv.losses') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert out[1].strip() == "[]"
    assert float(out[0]) < 0.3


# ----- bad inputs

@pytest.mark.parametrize("call,error,match", [
    (lambda m, x, y: m.fit(x, y[:10], verbose=0), ValueError, r"x and y must have the same number of samples, got x "
                                                               r"\(96, 6, 6, 1\) and y \(10, 3\)"),
    (lambda m, x, y: m.fit(x, y, batch_size=0, verbose=0), ValueError, r"batch_size must be an int >= 1, got 0"),
    (lambda m, x, y: m.fit(x, y, epochs=-1, verbose=0), ValueError, r"epochs must be an int >= 0, got -1"),
    (lambda m, x, y: m.fit(x, y, verbose=3), ValueError, r"verbose must be 0, 1, 2 or 'auto', got 3"),
    (lambda m, x, y: m.fit(x, y, validation_split=1.0, verbose=0), ValueError, r"validation_split must be a float in"),
    (lambda m, x, y: m.fit(x, y, validation_data=(x,), verbose=0), ValueError, r"validation_data must be a tuple"),
    (lambda m, x, y: m.fit(x, y, shuffle="yes", verbose=0), TypeError, r"shuffle must be a bool"),
    (lambda m, x, y: m.fit(x, y, callbacks=[print], verbose=0), TypeError, r"callbacks must be fastconv.callbacks"),
    (lambda m, x, y: m.fit(x[:, :5], y, verbose=0), ValueError, r"expects inputs of shape \(None, 6, 6, 1\), got "
                                                                r"\(96, 5, 6, 1\)"),
    (lambda m, x, y: m.fit(x, None, verbose=0), ValueError, r"fit\(\) needs targets y"),
    (lambda m, x, y: m.fit(x.astype(str), y, verbose=0), TypeError, r"x must be a numeric array"),
    (lambda m, x, y: m.fit(x, np.argmax(y, 1), verbose=0), ValueError,
     r"y has shape \(96,\) but the model's output is \(None, 3\).*sparse_categorical_crossentropy"),
    (lambda m, x, y: m.evaluate(x, y, batch_size=-2), ValueError, r"batch_size must be an int >= 1, got -2"),
    (lambda m, x, y: m.predict(x[0]), ValueError, r"expects inputs of shape \(None, 6, 6, 1\), got \(6, 6, 1\)"),
    (lambda m, x, y: m.add("dense"), TypeError, r"Sequential.add expects a fastconv layer"),
    (lambda m, x, y: m.add(m.layers[0]), ValueError, r"already in the model"),
    (lambda m, x, y: m.get_layer("nope"), ValueError, r"no layer named 'nope'; layers: \["),
    (lambda m, x, y: m.set_weights([np.zeros(1)]), ValueError, r"has 6 weight arrays, got 1"),
    (lambda m, x, y: m.compile("sgd", "mse", metrics="accuracy"), TypeError, r"metrics must be a list"),
    (lambda m, x, y: m.compile("sgd", "mse", metrics=["f1"]), ValueError, r"metrics entries must be 'accuracy'"),
    (lambda m, x, y: m.compile("nadam", "mse"), ValueError, r"optimizer must be one of"),
], ids=lambda v: None)
def test_bad_inputs(data, call, error, match):
    x, y, _ = data
    with pytest.raises(error, match=match):
        call(make_model(), x, y)


def test_fit_before_compile_and_add_input_late():
    with pytest.raises(RuntimeError, match=r"call compile\(optimizer, loss, metrics\) with a loss before fit\(\)"):
        Sequential([layers.Dense(2)]).fit(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"an Input can only be the first entry"):
        Sequential([layers.Dense(2), layers.Input((3,))])


def test_keras_namespace_beyond_layers_and_models():
    """What real programs touch besides layers (issue #16 item 7): version, backend, ops, policy."""
    import fastconv as tf
    from fastconv import keras
    assert keras.__version__ == tf.__version__
    assert keras.utils.to_categorical([0, 2], 3).dtype == np.float64           # Keras 3's dtype
    assert fastconv.utils.to_categorical([0, 2], 3).dtype == np.float32       # fastconv's own default stays
    assert tf.ones((2, 3)).dtype == np.float32 and tf.zeros(2).shape == (2,)
    assert tf.constant([1.5, 2.0]).dtype == np.float32 and tf.constant([1, 2]).dtype.kind == "i"
    ops = keras.ops
    x = ops.convert_to_tensor([[1.0, 3.0], [4.0, 2.0]])
    assert ops.argmax(x).tolist() == [1, 0] and ops.sum(x) == 10 and ops.mean(x, axis=0).tolist() == [2.5, 2.5]
    assert ops.expand_dims(x, -1).shape == (2, 2, 1) and ops.concatenate([x, x], axis=1).shape == (2, 4)
    assert ops.stack([x, x]).shape == (2, 2, 2) and ops.reshape(x, (4,)).shape == (4,)
    keras.mixed_precision.set_global_policy("float32")
    assert keras.mixed_precision.global_policy() == "float32"
    with pytest.raises(ValueError, match="'mixed_bfloat16' is not supported by fastconv yet"):
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    layers.Dense(2, name="named_before_clear")
    keras.backend.clear_session()
    assert layers.Dense(2).name == "dense" and keras.backend.floatx() == "float32"
    assert keras.backend.epsilon() == 1e-7
