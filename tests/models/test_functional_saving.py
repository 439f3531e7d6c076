"""Saving and loading graph models (issue #15): functional models with several inputs and outputs,
nested and shared layers, subclassed models (loaded as their traced functional graph); optimizer
state that resumes training exactly; edited configs refused with the field named, and never an
allocation the file's arrays do not back."""

import json

import numpy as np
import pytest

from fastconv import Input, Model, layers
from fastconv.models import load_model
from tests.models.test_functional import Residual, data, graph_model


def test_functional_model_round_trip_resumes_training_exactly(tmp_path):
    model = graph_model("float32")
    model.compile("adam", ["categorical_crossentropy", "mse"], metrics={"scores": ["accuracy"]},
                  loss_weights=[1.0, 0.5])
    x, y = data(32, "float32")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "graph.keras"
    model.save(path)
    again = load_model(path)
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    assert again.output_names == model.output_names and again.input_names == model.input_names
    for a, b in zip(again.predict(x), model.predict(x)):
        np.testing.assert_array_equal(a, b)
    before = model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False).history
    after = again.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False).history
    assert before == after
    config = again.get_config()
    rebuilt = Model.from_config(json.loads(json.dumps(config)))
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]


def test_dict_inputs_and_outputs_survive_a_round_trip(tmp_path):
    a, b = Input((3,), name="a"), Input((3,), name="b")
    h = layers.Dense(4, activation="relu")(layers.concatenate([a, b]))
    model = Model({"a": a, "b": b}, {"up": layers.Dense(1, name="up")(h), "down": layers.Dense(2, name="down")(h)})
    x = {"a": np.ones((2, 3), np.float32), "b": np.zeros((2, 3), np.float32)}
    model.save(tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")
    out, out_again = model.predict(x), again.predict(x)
    assert set(out_again) == {"up", "down"}
    for key in out:
        np.testing.assert_array_equal(out[key], out_again[key])


def test_subclassed_model_saves_its_traced_graph(tmp_path):
    model = Residual()
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype(np.float32)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, np.arange(4), verbose=0)
    model.save(tmp_path / "sub.keras")
    again = load_model(tmp_path / "sub.keras")
    assert type(again) is Model
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    model.save_weights(tmp_path / "w.keras")
    fresh = Residual()
    fresh(x[:1])
    fresh.load_weights(tmp_path / "w.keras")
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))


def _edit(path, out, change):
    """A copy of the model file at path with its JSON config changed by change(config)."""
    with np.load(path, allow_pickle=False) as stored:
        arrays = dict(stored)
    config = json.loads(str(arrays["__config__"]))
    change(config)
    with open(out, "wb") as f:     # a file object: np.savez would add .npz to a name
        np.savez(f, **dict(arrays, __config__=np.array(json.dumps(config))))
    return out


@pytest.fixture
def saved(tmp_path):
    a = Input((3,), name="a")
    shared = layers.Dense(3, name="shared")
    model = Model(a, layers.Dense(2, name="out")(shared(shared(a))))
    path = tmp_path / "m.keras"
    model.save(path)
    return path


@pytest.mark.parametrize("change, match", [
    (lambda c: c["model"]["config"]["layers"][1]["calls"][0]["inputs"][0].__setitem__(0, "nope"),
     r"reads from layer 'nope', which the config does not have"),
    (lambda c: c["model"]["config"]["layers"][1]["calls"][1]["inputs"][0].__setitem__(1, 7),
     r"read tensors no call makes"),
    (lambda c: c["model"]["config"]["layers"][1]["calls"][0].__setitem__("single", "yes"), r"single must be a bool"),
    (lambda c: c["model"]["config"]["layers"][1].__setitem__("name", "a"), r"'a' appears twice"),
    (lambda c: c["model"]["config"]["layers"][1]["config"].__setitem__("units", 10 ** 7),
     r"needs 40000000 weight values, more than the file's arrays hold"),
    (lambda c: c["model"]["config"].__setitem__("outputs", [["out", 3, 0]]), r"outputs\[0\] names \['out', 3, 0\]"),
    (lambda c: c["model"]["config"].__setitem__("inputs", "a"), r"config.model.config.inputs must be a list"),
    (lambda c: c["model"]["config"]["output_structure"].__setitem__("kind", "set"), r"kind must be 'single'"),
    (lambda c: c["model"].__setitem__("class_name", "Subclassed"), r"must be 'Sequential' or 'Functional'"),
    (lambda c: c["model"]["config"]["layers"][2].__setitem__("class_name", "os.system"), r"unknown layer config"),
])
def test_edited_graph_configs_are_refused_naming_the_field(saved, tmp_path, change, match):
    edited = _edit(saved, tmp_path / "edited.keras", change)
    with pytest.raises(ValueError, match=match):
        load_model(edited)
