"""save / load_model: identical predictions, identical resumed training, atomic writes, clear errors."""

import json
import os

import numpy as np
import pytest

from fastconv import layers, optimizers, regularizers
from fastconv._random import set_random_seed
from fastconv.models import Sequential, load_model

from .helpers import make_model


@pytest.mark.parametrize("optimizer", ["adam", optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                                       optimizers.RMSprop(momentum=0.5)], ids=["adam", "sgd_nesterov", "rmsprop"])
def test_round_trip_predicts_and_resumes_identically(tmp_path, data, optimizer):
    x, y, _ = data
    model = make_model(l2=1e-3, optimizer=optimizer)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [l.get_config() for l in loaded.layers] == [l.get_config() for l in model.layers]
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.iterations == model.optimizer.iterations == 12
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    set_random_seed(3)
    h1 = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    set_random_seed(3)
    h2 = loaded.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert h1.history == h2.history
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_file_is_npz_with_json_config_and_no_pickle(tmp_path, data):
    model = make_model()
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as npz:
        config = json.loads(str(npz["__config__"]))
        assert all(npz[k].dtype != object for k in npz.files)
    assert config["format"] == "fastconv-model" and config["model"]["class_name"] == "Sequential"
    assert [l["class_name"] for l in config["model"]["config"]["layers"]] == [
        "InputLayer", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert config["compile"]["loss"]["class_name"] == "CategoricalCrossentropy"


def test_uncompiled_and_unbuilt_models(tmp_path):
    model = Sequential([layers.Input((3,)), layers.Dense(2, kernel_regularizer=regularizers.l2(0.1))])
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert not loaded.compiled and loaded.layers[0].kernel_regularizer.l2 == 0.1
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
    with pytest.raises(ValueError, match=r"is not built: nothing to save"):
        Sequential([layers.Dense(2)]).save(tmp_path / "x.keras")


def test_weights_only(tmp_path, data):
    x, _, _ = data
    model = make_model()
    model.save_weights(tmp_path / "w.npz")
    other = make_model(seed=9)
    other.load_weights(tmp_path / "w.npz")
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    with pytest.raises(ValueError, match=r"holds weights only"):
        load_model(tmp_path / "w.npz")
    small = Sequential([layers.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"has 2 weight arrays, got 6"):
        small.load_weights(tmp_path / "w.npz")


def test_save_is_atomic(tmp_path, data, monkeypatch):
    x, _, _ = data
    model = make_model()
    path = tmp_path / "model.keras"
    model.save(path)
    before = model.predict(x)
    mode = os.stat(path).st_mode

    def crash(file, **arrays):
        file.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")

    model.layers[0].kernel[...] += 1.0
    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.keras"], "no temporary file is left behind"
    assert os.stat(path).st_mode == mode
    np.testing.assert_array_equal(load_model(path).predict(x), before)


def test_save_refuses_bad_destinations(tmp_path):
    model = make_model()
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match=r"exists and overwrite=False"):
        model.save(tmp_path / "m.keras", overwrite=False)
    with pytest.raises(IsADirectoryError, match=r"is a directory"):
        model.save(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"the directory .* does not exist"):
        model.save(tmp_path / "missing" / "m.keras")


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no model file at .*nothing.keras"):
        load_model(tmp_path / "nothing.keras")
    (tmp_path / "text.keras").write_text("not a model")
    with pytest.raises(ValueError, match=r"is not a fastconv model file"):
        load_model(tmp_path / "text.keras")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match=r"is not a fastconv model file"):
        load_model(tmp_path / "other.npz")
    np.savez(tmp_path / "pickled.npz", __config__=np.array([{"format": "fastconv-model"}], dtype=object))
    with pytest.raises(ValueError, match=r"is not a fastconv model file"):
        load_model(tmp_path / "pickled.npz")
    good = make_model()
    good.save(tmp_path / "good.keras")
    data = (tmp_path / "good.keras").read_bytes()
    (tmp_path / "truncated.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"is not a fastconv model file"):
        load_model(tmp_path / "truncated.keras")
    config = {"format": "fastconv-model", "format_version": 99}
    np.savez(tmp_path / "future.npz", __config__=np.array(json.dumps(config)))
    with pytest.raises(ValueError, match=r"format version 99"):
        load_model(tmp_path / "future.npz")
