"""The functional API (issue #15): Input, layers called on symbolic tensors, Model(inputs, outputs)
with several inputs and outputs, merge layers, shared layers and nested models; its gradients
against float64 central differences, training, and the errors for what it does not take."""

import numpy as np
import pytest

import fastconv
from fastconv import Input, Model, Sequential, layers
from fastconv.training.executor import Executor, GraphError
from fastconv.utils import set_random_seed


def graph_model(dtype="float64"):
    """Two inputs, two outputs; every merge, a shared Dense, a nested model, BatchNormalization."""
    set_random_seed(3)
    image = Input((6, 6, 2), dtype=dtype, name="image")
    side = Input((4,), dtype=dtype, name="side")
    c1 = layers.Conv2D(3, 3, padding="same", activation="relu", dtype=dtype)(image)
    c2 = layers.Conv2D(3, 3, padding="same", dtype=dtype)(c1)
    residual = layers.add([c1, c2], dtype=dtype)
    pooled = layers.MaxPooling2D(dtype=dtype)(layers.BatchNormalization(dtype=dtype)(residual, training=True))
    flat = layers.Flatten(dtype=dtype)(layers.Concatenate(dtype=dtype)([pooled, layers.Subtract(dtype=dtype)(
        [pooled, layers.Multiply(dtype=dtype)([pooled, pooled])])]))
    shared = layers.Dense(4, activation="tanh", dtype=dtype)
    a, b = shared(side), shared(layers.Dense(4, dtype=dtype)(side))            # one layer, two calls
    inner_in = Input((4,), dtype=dtype)
    inner = Model(inner_in, layers.Dense(4, activation="relu", dtype=dtype)(inner_in), name="inner")
    mixed = layers.concatenate([layers.Average(dtype=dtype)([a, b]), layers.Maximum(dtype=dtype)([a, inner(b)]),
                                layers.Minimum(dtype=dtype)([a, b])], dtype=dtype)
    both = layers.Concatenate(dtype=dtype)([flat, mixed])
    scores = layers.Dense(3, activation="softmax", dtype=dtype, name="scores")(both)
    value = layers.Dense(1, dtype=dtype, name="value")(both)
    return Model([image, side], [scores, value], name="two_by_two")


def data(n, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    x = [rng.standard_normal((n, 6, 6, 2)).astype(dtype), rng.standard_normal((n, 4)).astype(dtype)]
    y = [np.eye(3, dtype=dtype)[rng.integers(0, 3, n)], rng.standard_normal((n, 1)).astype(dtype)]
    return x, y


def total_loss(model, x, y):
    outs = model._executor.forward(x, training=True)
    return sum(loss.value_and_gradient(t, o)[0] * w for loss, w, t, o in
               zip(model._losses, model._loss_weights, y, outs))


def test_graph_gradients_match_central_differences():
    model = graph_model()
    model.compile("sgd", ["categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5])
    x, y = data(5)
    model._prepare_training()
    outs = model._executor.forward(x, training=True)
    _, _, grads, _ = model._losses_and_grads(y, outs, [None, None])       # unfused: the plain gradient
    model._executor.backward(grads)
    analytic = [w.grad.copy() for w in model._executor.trainable_weights]
    assert len(analytic) == len(model.trainable_weights) == 16
    eps = 1e-6
    for w, grad in zip(model._executor.trainable_weights, analytic):
        assert np.abs(grad).max() > 0, w.name
        flat = w.value.reshape(-1)
        for i in np.random.default_rng(1).choice(flat.size, min(4, flat.size), replace=False):
            keep = flat[i]
            flat[i] = keep + eps
            up = total_loss(model, x, y)
            flat[i] = keep - eps
            down = total_loss(model, x, y)
            flat[i] = keep
            np.testing.assert_allclose(grad.reshape(-1)[i], (up - down) / (2 * eps), rtol=1e-5, atol=1e-8,
                                       err_msg=w.name)


def test_merge_layers_input_gradients_match_central_differences():
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal((2, 3, 4)) for _ in range(3)]
    dy = rng.standard_normal((2, 3, 4))
    for layer, count in [(layers.Add(), 3), (layers.Subtract(), 2), (layers.Multiply(), 3), (layers.Average(), 3),
                         (layers.Maximum(), 3), (layers.Minimum(), 3), (layers.Concatenate(axis=1), 3)]:
        layer.dtype = np.dtype("float64")
        inputs = [x.copy() for x in xs[:count]]
        out = layer.forward(inputs)
        dy_l = dy if out.shape == dy.shape else rng.standard_normal(out.shape)
        dxs = layer.backward(dy_l)
        for k in range(count):
            assert np.abs(dxs[k]).max() > 0
            i = (1, 2, 3)
            keep = inputs[k][i]
            inputs[k][i] = keep + 1e-6
            up = (layer.forward(inputs) * dy_l).sum()
            inputs[k][i] = keep - 1e-6
            down = (layer.forward(inputs) * dy_l).sum()
            inputs[k][i] = keep
            np.testing.assert_allclose(dxs[k][i], (up - down) / 2e-6, rtol=1e-6, atol=1e-9, err_msg=type(layer).__name__)


def test_two_inputs_two_outputs_train_with_lists_and_dicts():
    model = graph_model("float32")
    model.compile("adam", {"scores": "categorical_crossentropy", "value": "mse"},
                  metrics={"scores": ["accuracy"]}, loss_weights={"value": 0.1})
    x, y = data(64, "float32")
    history = model.fit({"image": x[0], "side": x[1]}, {"scores": y[0], "value": y[1]}, epochs=8, batch_size=16,
                        verbose=0)
    logs = history.history
    assert set(logs) == {"loss", "scores_loss", "value_loss", "scores_accuracy"}
    assert logs["loss"][-1] < logs["loss"][0]
    scores, value = model.predict(x)
    assert scores.shape == (64, 3) and value.shape == (64, 1)
    np.testing.assert_allclose(scores.sum(axis=1), 1, rtol=1e-5)
    result = model.evaluate(x, y, return_dict=True, verbose=0)
    assert set(result) == set(logs)
    model.summary(print_fn=lambda text: setattr(test_two_inputs_two_outputs_train_with_lists_and_dicts, "text", text))
    text = test_two_inputs_two_outputs_train_with_lists_and_dicts.text
    assert "Connected to" in text and "inner (Model)" in text and "image[0][0]" in text


def test_shared_layer_gradients_are_summed_and_its_penalty_counted_once():
    set_random_seed(0)
    from fastconv import regularizers
    inp = Input((3,), dtype="float64")
    shared = layers.Dense(3, dtype="float64", kernel_regularizer=regularizers.l2(0.5), use_bias=False)
    model = Model(inp, shared(shared(inp)))
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).standard_normal((4, 3))
    y = np.zeros((4, 3))
    model._prepare_training()
    out = model._executor.forward([x], training=True)[0]
    _, grad = model._losses[0].value_and_gradient(y, out)
    model._executor.backward([grad])
    k = shared.kernel
    h = x @ k
    dz = grad
    expected = h.T @ dz + x.T @ (dz @ k.T) + 2 * 0.5 * k        # both calls, and the L2 term once
    np.testing.assert_allclose(shared.weights[0].grad, expected, rtol=1e-10)
    assert model.regularization_loss() == pytest.approx(0.5 * (k ** 2).sum())


def test_residual_block_trains():
    set_random_seed(1)
    inp = Input((8, 8, 1))
    h = layers.Conv2D(8, 3, padding="same")(inp)
    h = layers.ReLU()(layers.BatchNormalization()(h))
    h2 = layers.Conv2D(8, 3, padding="same")(h)
    h = layers.ReLU()(layers.add([h2, h]))
    out = layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(h))
    model = Model(inp, out)
    model.compile(fastconv.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    from fastconv.datasets import digits
    (x, y), _ = digits.load_data()
    history = model.fit(x[:600], y[:600], epochs=6, batch_size=32, verbose=0)
    loss, accuracy = history.history["loss"], history.history["accuracy"]
    assert loss[-1] < 0.8 * loss[0] and accuracy[-1] > accuracy[0] + 0.2


def test_sequential_takes_an_input_tensor_and_a_model_as_a_layer():
    inner = Sequential([layers.Input((4,)), layers.Dense(3, activation="relu")])
    model = Sequential([layers.Input((4,)), inner, layers.Dense(2)])
    assert model.output_shape == (None, 2) and model.count_params() == 15 + 8
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 4), np.float32), np.zeros((8, 2), np.float32), verbose=0)
    x = Input((4,))
    outer = Model(x, inner(x))
    np.testing.assert_allclose(outer.predict(np.ones((2, 4))), inner.predict(np.ones((2, 4))))


def test_feature_extractor_from_layer_outputs_as_in_keras():
    """Model(model.input, model.layers[-2].output): the Keras idiom, on Sequential and graph models."""
    from fastconv import Sequential
    seq = Sequential([layers.Input((4,)), layers.Dense(6, activation="relu"), layers.Dense(2)])
    features = Model(seq.input, seq.layers[-2].output)
    x = np.random.default_rng(0).random((3, 4)).astype(np.float32)
    np.testing.assert_allclose(features.predict(x), seq.layers[0](x), rtol=1e-6)
    seq.pop()
    seq.add(layers.Dense(3))                       # a rebuilt chain replaces its calls on the layers
    assert seq.predict(x).shape == (3, 3) and seq.layers[0].output.shape == (None, 6)
    inp = Input((4,))
    shared = layers.Dense(2)
    model = Model(inp, layers.add([shared(inp), shared(inp)]))
    assert model.input is inp and model.output.shape == (None, 2)
    with pytest.raises(AttributeError, match="called 2 times, so it has no single output"):
        shared.output
    with pytest.raises(AttributeError, match="has not been called"):
        layers.Dense(2).output


def test_freezing_a_nested_model_between_fits_is_seen():
    inner_in = Input((3,))
    inner = Model(inner_in, layers.Dense(3, activation="relu")(inner_in))
    inp = Input((3,))
    model = Model(inp, layers.Dense(1)(inner(inp)))
    model.compile("sgd", "mse")
    x, y = np.ones((4, 3), np.float32), np.ones((4, 1), np.float32)
    model.fit(x, y, verbose=0)
    frozen = inner.get_weights()
    inner.trainable = False
    with pytest.raises(ValueError, match=r"call compile\(\) again"):
        model.fit(x, y, verbose=0)
    model.compile("sgd", "mse")
    model.fit(x, y, verbose=0)
    for a, b in zip(inner.get_weights(), frozen):
        np.testing.assert_array_equal(a, b)
    assert len(model.trainable_weights) == 2


def test_layers_weights_and_get_layer_follow_keras_order():
    model = graph_model("float32")
    names = [layer.name for layer in model.layers]
    assert names[0] == "image" and "side" in names and names[-2:] == ["scores", "value"]
    assert model.get_layer("inner").name == "inner" and model.get_layer(index=0).name == "image"
    weights = model.get_weights()
    model.set_weights([w + 1 for w in weights])
    np.testing.assert_allclose(model.get_weights()[0], weights[0] + 1)


# ----- errors

def test_graph_errors_name_the_problem():
    a, b = Input((3,)), Input((3,))
    out = layers.add([a, b])
    with pytest.raises(GraphError, match="graph disconnected.*not among the model's inputs"):
        Model(a, out)
    with pytest.raises(TypeError, match="needs both"):
        Model(a)
    with pytest.raises(TypeError, match="must be symbolic tensors"):
        Model(a, np.zeros(3))
    with pytest.raises(ValueError, match=r"needs inputs of one shape"):
        layers.add([a, Input((4,))])
    with pytest.raises(ValueError, match=r"takes exactly 2 inputs, got 3"):
        layers.subtract([a, a, b])
    with pytest.raises(ValueError, match=r"must be called on a list of inputs"):
        layers.Add()(a)
    with pytest.raises(ValueError, match=r"match except along axis -1"):
        layers.concatenate([Input((2, 3)), Input((3, 3))])
    dense = layers.Dense(2)
    dense(a)
    with pytest.raises(ValueError, match=r"was built for inputs \(None, 3\), and cannot be called on \(None, 5\)"):
        dense(Input((5,)))
    with pytest.raises(TypeError, match="no truth value.*cannot be recorded"):
        bool(a)
    with pytest.raises(TypeError, match="is symbolic"):
        np.asarray(a)


class Residual(Model):
    """A subclassed model: layers made in __init__, composed in call() with + and a merge layer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(6, 3, padding="same", activation="relu")
        self.conv2 = layers.Conv2D(6, 3, padding="same")
        self.pool = layers.Flatten()
        self.drop = layers.Dropout(0.25)
        self.out = layers.Dense(10, activation="softmax")

    def call(self, inputs, training=False):
        h = self.conv(inputs)
        h = layers.ReLU()(h + self.conv2(h))
        return self.out(self.drop(self.pool(h), training=training))


def test_subclassed_model_is_traced_on_first_data_and_trains():
    set_random_seed(2)
    model = Residual(name="res")
    assert not model.built and model.layers[0] is model.conv
    with pytest.raises(ValueError, match="has not been built yet"):
        model.summary()
    model.compile(fastconv.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    from fastconv.datasets import digits
    (x, y), _ = digits.load_data()
    history = model.fit(x[:400] / 16.0, y[:400], epochs=5, batch_size=32, verbose=0)
    assert model.built and history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    assert [layer.name for layer in model.layers[:5]] == [model.conv.name, model.conv2.name, model.pool.name,
                                                           model.drop.name, model.out.name]
    assert len(model.get_weights()) == 6 and model.predict(x[:3] / 16.0).shape == (3, 10)
    dropout_step = [step for step in model._executor.steps if step.layers[0] is model.drop]
    assert dropout_step, "Dropout is in the graph: fit's training flag reaches it"
    # as a layer of a functional model
    inp = Input((8, 8, 1))
    outer = Model(inp, model(inp))
    np.testing.assert_allclose(outer.predict(x[:3] / 16.0), model.predict(x[:3] / 16.0), rtol=1e-6)


def test_subclassed_model_errors_name_the_construct():
    class Branchy(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, inputs, training=False):
            return self.dense(inputs) if inputs else inputs

    class NumPyInside(Branchy):
        def call(self, inputs, training=False):
            return self.dense(np.tanh(inputs))

    class NoLayers(Branchy):
        def call(self, inputs, training=False):
            return 2.0

    with pytest.raises(TypeError, match=r"Branchy.call\(\) could not be recorded.*no truth value.*\(if, while"):
        Branchy().predict(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"NumPyInside.call\(\) could not be recorded.*is symbolic"):
        NumPyInside().predict(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"outputs of NoLayers.call\(\) must be symbolic.*with layers"):
        NoLayers().predict(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"takes no inputs or outputs"):
        Branchy.__init__(Branchy.__new__(Branchy)) or Model.__init__(Branchy.__new__(Branchy), Input((2,)),
                                                                       Input((2,)))
    with pytest.raises(TypeError, match=r"only two symbolic tensors of one shape"):
        Input((2,)) + 1.0


class _FakeDataset:
    def __iter__(self):
        yield np.zeros((2, 3)), np.zeros((2, 2))


class DataLoader:
    def __iter__(self):
        return iter([])


@pytest.mark.parametrize("x, received", [
    ((b for b in [np.zeros((2, 3))]), "generator"),
    (_FakeDataset(), "_FakeDataset"),
    (DataLoader(), "DataLoader"),
    ([{"a": 1}, {"b": 2}], "list"),
])
def test_fit_names_data_it_cannot_take(x, received):
    model = Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match=rf"fit: x (is a .*{received}|must be a numeric array, got {received})"):
        model.fit(x, np.zeros((2, 2)), verbose=0)


def test_multi_io_data_errors():
    model = graph_model("float32")
    model.compile("sgd", ["categorical_crossentropy", "mse"])
    x, y = data(4, "float32")
    with pytest.raises(ValueError, match=r"the model has 2 inputs \['image', 'side'\]: give x as a list or a dict"):
        model.fit(x[0], y, verbose=0)
    with pytest.raises(ValueError, match=r"x is a dict with keys \['image'\], the model's inputs are"):
        model.fit({"image": x[0]}, y, verbose=0)
    with pytest.raises(ValueError, match=r"y has 1 arrays, the model has 2 outputs"):
        model.fit(x, [y[0]], verbose=0)
    with pytest.raises(ValueError, match=r"loss names \['nope'\], which are not outputs"):
        model.compile("sgd", {"nope": "mse"})
    with pytest.raises(ValueError, match=r"expects input 'image' of shape \(None, 6, 6, 2\), got \(4, 6, 6, 3\)"):
        model.predict([np.zeros((4, 6, 6, 3)), x[1]])


def test_layer_names_must_be_unique_and_edge_graphs_work():
    a = Input((3,), name="a")
    with pytest.raises(ValueError, match=r"\['twin'\] are used more than once"):
        Model(a, layers.Dense(2, name="twin")(layers.Dense(3, name="twin")(a)))
    identity = Model(a, a)                       # an output that is the input itself
    np.testing.assert_array_equal(identity.predict(np.ones((2, 3))), np.ones((2, 3)))
    b = Input((3,), name="b")
    unused = Model([a, b], layers.Dense(1)(a))   # an input no output needs: accepted, as in Keras
    assert unused.predict([np.ones((2, 3)), np.zeros((2, 3))]).shape == (2, 1)


def test_executor_refuses_inputs_that_are_not_inputs():
    a = Input((3,))
    h = layers.Dense(2)(a)
    with pytest.raises(GraphError, match="must come from fastconv.Input"):
        Executor([h], [layers.Dense(1)(h)])
    with pytest.raises(GraphError, match="appears twice"):
        Executor([a, a], [h])


@pytest.mark.parametrize("call, error, match", [
    (lambda a, m: Model(a, layers.Dense(2)(a), name=5), TypeError, r"name must be a non-empty str"),
    (lambda a, m: Model(a, layers.Dense(2)(a), colour="red"), TypeError, r"unexpected keyword argument\(s\): colour"),
    (lambda a, m: layers.Concatenate(axis="last"), TypeError, r"axis must be an int, got 'last'"),
    (lambda a, m: layers.Concatenate(axis=0)([a, a]), ValueError, r"axis 0 is not an axis after the batch axis"),
    (lambda a, m: layers.Add()([np.ones((2, 3)), np.ones((2, 4))]), ValueError, r"needs inputs of one shape"),
    (lambda a, m: layers.Add()(np.ones((2, 3))), TypeError, r"takes a list of arrays"),
    (lambda a, m: m.compile("sgd", "mse", loss_weights=["x"]), ValueError, r"loss_weights must be finite numbers"),
    (lambda a, m: m.compile("sgd", "mse", metrics={"nope": ["accuracy"]}), ValueError, r"metrics names \['nope'\]"),
    (lambda a, m: m.compile("sgd", "mse", metrics="accuracy"), TypeError, r"metrics must be a list"),
    (lambda a, m: m.get_layer(index=9), ValueError, r"index must be an int in \[0, 2\)"),
    (lambda a, m: m.get_layer("nope"), ValueError, r"no layer named 'nope'"),
    (lambda a, m: m.set_weights([np.zeros((3, 3))]), ValueError, r"has 2 weight arrays, got 1"),
    (lambda a, m: m.set_weights([np.zeros((3, 3)), np.zeros(2)]), ValueError, r"has shape \(3, 2\), got an array of "
                                                                               r"shape \(3, 3\)"),
    (lambda a, m: m.fit(np.ones((4, 3)), np.ones((4, 2))), RuntimeError, r"with a loss before fit\(\)"),
    (lambda a, m: m.predict(None), ValueError, r"predict\(\) needs inputs x"),
    (lambda a, m: m.predict(np.ones((4, 5))), ValueError, r"expects inputs of shape \(None, 3\), got \(4, 5\)"),
], ids=lambda v: None)
def test_bad_inputs_of_the_graph_api(call, error, match):
    a = Input((3,))
    model = Model(a, layers.Dense(2)(a))
    with pytest.raises(error, match=match):
        call(a, model)
