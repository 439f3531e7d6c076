"""fastconv._model_stack: models trained as one stack end where each trained alone ends."""

import re
import warnings

import numpy as np
import pytest

from fastconv import layers, losses, optimizers, regularizers
from fastconv._model_stack import fit_stacked, why_not_stackable
from fastconv.models import Sequential
from fastconv.utils import set_random_seed


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 90)
    x = rng.random((90, 8, 8, 2), dtype=np.float32)
    x[np.arange(90), labels, :, 0] += 2
    return x, labels


def cnn(lr, l2, momentum=0.0, nesterov=False, sparse=False):
    """Two convolutions (the second a grouped one in the stack), both poolings, 'same' padding."""
    reg = regularizers.l2(l2) if l2 else None
    model = Sequential([
        layers.Conv2D(3, 3, padding="same", activation="relu", kernel_regularizer=reg, input_shape=(8, 8, 2)),
        layers.MaxPooling2D(2),
        layers.Conv2D(4, 2, activation="relu", bias_regularizer=regularizers.l1_l2(l1=l2, l2=l2) if l2 else None),
        layers.AveragePooling2D(2, strides=1),
        layers.Flatten(),
        layers.Dense(6, activation="relu", kernel_regularizer=regularizers.l1(l2) if l2 else None),
        layers.Dense(4, activation=None if sparse else "softmax"),
    ])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True) if sparse else "categorical_crossentropy"
    model.compile(optimizer=optimizers.SGD(learning_rate=lr, momentum=momentum, nesterov=nesterov), loss=loss)
    return model


def mlp(lr, l2):
    """Flatten then Dense on the shared input (one product with every model's units)."""
    model = Sequential([layers.Flatten(input_shape=(8, 8, 2)),
                        layers.Dense(5, activation="relu", kernel_regularizer=regularizers.l2(l2)),
                        layers.Dense(4, activation="softmax")])
    model.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="categorical_crossentropy")
    return model


def built(build, x, **params):
    set_random_seed(7)
    model = build(**params)
    model.build((None,) + x.shape[1:])
    return model


def targets(model, labels):
    return labels if isinstance(model.loss, losses.SparseCategoricalCrossentropy) else np.eye(4)[labels]


def train_alone_and_stacked(build, settings, x, labels, epochs=3, batch_size=16):
    alone = []
    for params in settings:
        model = built(build, x, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model.fit(x, targets(model, labels), batch_size=batch_size, epochs=epochs, verbose=0)
        alone.append(model)
    stack = [built(build, x, **params) for params in settings]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        steps = fit_stacked(stack, x, targets(stack[0], labels), batch_size=batch_size, epochs=epochs)
    return alone, stack, steps


def assert_same_training(alone, stack, steps):
    for i, (a, s) in enumerate(zip(alone, stack)):
        assert steps[i] == a.optimizer.iterations == s.optimizer.iterations
        for wa, ws in zip(a.get_weights(), s.get_weights()):
            assert np.abs(wa).max() > 0
            np.testing.assert_allclose(ws, wa, rtol=2e-4, atol=2e-5, err_msg=f"model {i}")


@pytest.mark.parametrize("build,settings", [
    (cnn, [dict(lr=0.05, l2=0.0), dict(lr=0.2, l2=1e-3), dict(lr=0.01, l2=1e-2)]),
    (cnn, [dict(lr=0.05, l2=1e-3, momentum=0.9, nesterov=True), dict(lr=0.02, l2=0.0, momentum=0.5, nesterov=True)]),
    (cnn, [dict(lr=0.1, l2=1e-3, sparse=True), dict(lr=0.03, l2=0.0, sparse=True)]),
    (mlp, [dict(lr=0.05, l2=1e-3), dict(lr=0.3, l2=0.0)]),
], ids=["cnn-sgd", "cnn-nesterov", "cnn-sparse-logits", "mlp"])
def test_stacked_models_end_where_each_alone_ends(data, build, settings):
    x, labels = data
    assert_same_training(*train_alone_and_stacked(build, settings, x, labels))


def test_momentum_state_is_written_back(data):
    x, labels = data
    alone, stack, _ = train_alone_and_stacked(cnn, [dict(lr=0.05, l2=0.0, momentum=0.9)], x, labels, epochs=1)
    for va, vs in zip(alone[0].optimizer.get_state()["slots"]["momentums"],
                      stack[0].optimizer.get_state()["slots"]["momentums"]):
        assert np.abs(va).max() > 0
        np.testing.assert_allclose(vs, va, rtol=2e-4, atol=2e-6)


def test_a_diverging_model_stops_alone_and_the_others_go_on(data):
    x, labels = data
    settings = [dict(lr=0.05, l2=0.0), dict(lr=1e6, l2=1.0)]
    alone, stack, steps = train_alone_and_stacked(cnn, settings, x, labels, epochs=4)
    assert steps[1] < steps[0] == 4 * 6
    assert_same_training(alone[:1], stack[:1], steps[:1])
    assert steps[1] == alone[1].optimizer.iterations
    with pytest.warns(RuntimeWarning, match="model 1's loss became"):
        fit_stacked([built(cnn, x, **p) for p in settings], x, np.eye(4)[labels], batch_size=16, epochs=1)


def test_without_terminate_on_nan_every_model_runs_every_step(data):
    x, labels = data
    stack = [built(cnn, x, lr=lr, l2=1.0) for lr in (0.05, 1e6)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fit_stacked(stack, x, np.eye(4)[labels], batch_size=30, epochs=2, terminate_on_nan=False) == [6, 6]
    assert not [w for w in caught if "loss became" in str(w.message)]
    assert not np.isfinite(stack[1].get_weights()[0]).all() and np.isfinite(stack[0].get_weights()[0]).all()


def other_models(x):
    adam = cnn(0.1, 0.0)
    adam.compile(optimizer="adam", loss="categorical_crossentropy")
    dropout = Sequential([layers.Flatten(input_shape=(8, 8, 2)), layers.Dropout(0.5), layers.Dense(4)])
    dropout.compile(optimizer="sgd", loss=losses.CategoricalCrossentropy(from_logits=True))
    first_format = Sequential([layers.Conv2D(2, 3, data_format="channels_first", input_shape=(2, 8, 8)),
                               layers.Flatten(), layers.Dense(4, activation="softmax")])
    first_format.compile(optimizer="sgd", loss="categorical_crossentropy")
    mse = mlp(0.1, 0.0)
    mse.compile(optimizer="sgd", loss="mse")
    unfused = mlp(0.1, 0.0)
    unfused.compile(optimizer="sgd", loss=losses.CategoricalCrossentropy(from_logits=True))
    for model in (adam, dropout, mse, unfused):
        model.build((None,) + x.shape[1:])
    first_format.build((None, 2, 8, 8))
    return {"adam": adam, "dropout": dropout, "channels_first": first_format, "mse": mse, "unfused": unfused}


@pytest.mark.parametrize("name,reason", [
    ("adam", "the optimizer must be a fresh SGD, got Adam"),
    ("dropout", r"layer 1 \(Dropout 'dropout.*'\) is not one of Conv2D"),
    ("channels_first", "must use data_format='channels_last'"),
    ("mse", "the loss must be categorical or sparse categorical cross-entropy"),
    ("unfused", "the loss must follow a final softmax"),
])
def test_why_not_stackable_names_the_reason(data, name, reason):
    x, _ = data
    model = other_models(x)[name]
    assert re.search("^model 0: .*" + reason, why_not_stackable([model])), why_not_stackable([model])
    with pytest.raises(ValueError, match="the models cannot be trained as one stack: model 0: .*" + reason):
        fit_stacked([model], x, np.eye(4)[data[1]])


def test_models_must_share_their_architecture(data):
    x, labels = data
    assert why_not_stackable([]) == "there are no models"
    assert why_not_stackable([built(cnn, x, lr=0.1, l2=0.0), built(mlp, x, lr=0.1, l2=0.0)]).startswith(
        "model 1 differs from model 0")
    trained = built(cnn, x, lr=0.1, l2=0.0)
    trained.fit(x, np.eye(4)[labels], epochs=1, verbose=0)
    assert "after 3 steps" in why_not_stackable([trained])
    assert why_not_stackable([Sequential([layers.Dense(4)])]) == "model 0: every model must be built and compiled"


def test_fit_stacked_checks_the_data_as_fit_does(data):
    x, labels = data
    stack = [built(cnn, x, lr=0.1, l2=0.0)]
    with pytest.raises(ValueError, match="fit: x and y must have the same number of samples"):
        fit_stacked(stack, x, np.eye(4)[labels][:10])
    bad = x.copy()
    bad[3, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="fit: x holds NaN or Inf values in 1 of 90 samples"):
        fit_stacked(stack, bad, np.eye(4)[labels])


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(batch_size=0), ValueError, "batch_size must be an int >= 1"),
    (dict(epochs=-1), ValueError, "epochs must be an int >= 0"),
    (dict(shuffle="yes"), TypeError, "shuffle and terminate_on_nan must be bools"),
])
def test_fit_stacked_bad_arguments(data, kwargs, error, match):
    x, labels = data
    with pytest.raises(error, match=match):
        fit_stacked([built(cnn, x, lr=0.1, l2=0.0)], x, np.eye(4)[labels], **kwargs)
