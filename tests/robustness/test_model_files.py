"""load_model on damaged, hand-edited and hostile files: a clear error, never code from the file."""

import json
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile

import numpy as np
import pytest

from fastconv import layers
from fastconv.models import Sequential, load_model
from tests.models.helpers import make_data, make_model

ROOT = __file__.rsplit("/tests/", 1)[0]


def saved(tmp_path):
    model = make_model(optimizer="adam")
    x, y, _ = make_data(32)
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "good.keras"
    model.save(path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return model, path, arrays, json.loads(str(arrays["__config__"]))


def rewrite(tmp_path, arrays, config, name="edited.keras"):
    path = tmp_path / name
    arrays = dict(arrays, __config__=np.array(json.dumps(config)))
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def test_wrong_weight_shape_is_refused(tmp_path):
    _, _, arrays, config = saved(tmp_path)
    arrays["weight_0000"] = np.zeros((5, 5, 1, 4), np.float32)
    with pytest.raises(ValueError, match=r"shape"):
        load_model(rewrite(tmp_path, arrays, config))


def test_wrong_weight_dtype_is_refused(tmp_path):
    _, _, arrays, config = saved(tmp_path)
    arrays["weight_0000"] = arrays["weight_0000"].astype(np.int64)
    with pytest.raises((ValueError, TypeError), match=r"dtype|float"):
        load_model(rewrite(tmp_path, arrays, config))


def test_missing_and_extra_keys(tmp_path):
    _, _, arrays, config = saved(tmp_path)
    without = {k: v for k, v in arrays.items() if k != "weight_0001"}
    with pytest.raises(ValueError, match=r"missing arrays \['weight_0001'\]"):
        load_model(rewrite(tmp_path, without, config, "missing.keras"))
    extra = dict(arrays, weight_9999=np.zeros(3, np.float32))
    with pytest.raises(ValueError, match=r"unexpected arrays.*weight_9999"):
        load_model(rewrite(tmp_path, extra, config, "extra.keras"))
    broken = dict(config)
    del broken["model"]
    with pytest.raises(ValueError, match=r"invalid model config"):
        load_model(rewrite(tmp_path, arrays, broken, "noconfig.keras"))


def test_a_different_architecture_is_refused(tmp_path):
    _, _, arrays, config = saved(tmp_path)
    layer_list = config["model"]["config"]["layers"]
    dense = next(layer for layer in layer_list if layer["class_name"] == "Dense")
    dense["config"]["units"] = 17
    with pytest.raises(ValueError, match=r"shape"):
        load_model(rewrite(tmp_path, arrays, config))


@pytest.mark.parametrize("class_name", ["os.system", "builtins.eval", "__import__", "Sequential", "Layer"])
def test_unknown_layer_classes_are_refused_without_importing_anything(tmp_path, class_name):
    _, _, arrays, config = saved(tmp_path)
    config["model"]["config"]["layers"][0]["class_name"] = class_name
    with pytest.raises(ValueError, match=r"unknown layer|invalid model config|not a fastconv layer"):
        load_model(rewrite(tmp_path, arrays, config))


def test_object_arrays_are_never_unpickled(tmp_path):
    _, _, arrays, config = saved(tmp_path)
    path = tmp_path / "pickled.keras"
    evil = dict(arrays, weight_0000=np.array([{"payload": 1}], dtype=object))
    with open(path, "wb") as f:
        np.savez(f, **evil)
    with pytest.raises(ValueError, match="not a fastconv model file"):
        load_model(path)


def test_corrupted_bytes_inside_the_archive(tmp_path):
    _, path, _, _ = saved(tmp_path)
    data = bytearray(path.read_bytes())
    for offset in range(200, len(data), max(1, len(data) // 7)):
        data[offset] ^= 0xFF
    bad = tmp_path / "flipped.keras"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        load_model(bad)


def test_a_zip_that_is_not_npz(tmp_path):
    path = tmp_path / "zip.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ValueError, match="not a fastconv model file"):
        load_model(path)


def load_peak(path):
    """(the error load_model raised, peak bytes it allocated while doing so)."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as error:
            load_model(path)
        return error.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("edit", ["n_weights", "slots"])
def test_huge_declared_counts_are_refused_in_little_memory(tmp_path, edit):
    # Before the fix, load_model listed every declared name first: 10**9 of them ran past 30 s at
    # 2.5 GB. 10**6 here: tens of MB before the fix, nothing like it now.
    _, _, arrays, config = saved(tmp_path)
    if edit == "n_weights":
        config["n_weights"] = 10**6
    else:
        config["compile"]["slots"]["momentums"] = 10**6
    error, peak = load_peak(rewrite(tmp_path, arrays, config))
    assert "missing arrays" in str(error) and "1000000" in str(error)
    assert peak < 2 * 2**20, f"load_model allocated {peak / 2**20:.1f} MB to refuse the file"


@pytest.mark.parametrize("field, value", [("units", 10**6), ("filters", 10**6), ("filters", 10**15)])
def test_layers_are_checked_against_the_stored_shapes_before_they_are_built(tmp_path, field, value):
    # Before the fix the layers were built (and initialised) first: Dense units=10**8 took 17 s and
    # 4.7 GB before the ValueError, filters=10**15 raised MemoryError.
    _, _, arrays, config = saved(tmp_path)
    layer = next(l for l in config["model"]["config"]["layers"] if field in l["config"])
    layer["config"][field] = value
    error, peak = load_peak(rewrite(tmp_path, arrays, config))
    assert "invalid model config" in str(error) and "shape" in str(error)
    assert peak < 2 * 2**20, f"load_model allocated {peak / 2**20:.1f} MB to refuse the file"


def _drop(*keys):
    def edit(config):
        parent = config
        for key in keys[:-1]:
            parent = parent[key]
        del parent[keys[-1]]
    return edit


def _set(value, *keys):
    def edit(config):
        parent = config
        for key in keys[:-1]:
            parent = parent[key]
        parent[keys[-1]] = value
    return edit


EDITS = {
    "no loss": (_drop("compile", "loss"), r"config\.compile\.loss is missing"),
    "no metrics": (_drop("compile", "metrics"), r"config\.compile\.metrics is missing"),
    "no iterations": (_drop("compile", "iterations"), r"config\.compile\.iterations is missing"),
    "no optimizer": (_drop("compile", "optimizer"), r"config\.compile\.optimizer is missing"),
    "no slots": (_drop("compile", "slots"), r"config\.compile\.slots is missing"),
    "model config null": (_set(None, "model", "config"), r"config\.model\.config must be a dict, got None"),
    "model null": (_set(None, "model"), r"config\.model must be a dict"),
    "metrics 5": (_set(5, "compile", "metrics"), r"config\.compile\.metrics must be a list, got 5"),
    "metrics [5]": (_set([5], "compile", "metrics"), r"config\.compile\.metrics\[0\] must be a metric name"),
    "iterations -1": (_set(-1, "compile", "iterations"), r"config\.compile\.iterations must be an int in \[0, "),
    "iterations 1.5": (_set(1.5, "compile", "iterations"), r"config\.compile\.iterations must be an int"),
    "iterations true": (_set(True, "compile", "iterations"), r"config\.compile\.iterations must be an int"),
    "iterations 2**64": (_set(2**64, "compile", "iterations"),
                         r"config\.compile\.iterations must be an int within 64 bits"),
    "n_weights Infinity": (_set(float("inf"), "n_weights"), r"config\.n_weights must be a finite number, got inf"),
    "n_weights NaN": (_set(float("nan"), "n_weights"), r"config\.n_weights must be a finite number"),
    "n_weights 6.0": (_set(6.0, "n_weights"), r"config\.n_weights must be an int"),
    "n_weights true": (_set(True, "n_weights"), r"config\.n_weights must be an int"),
    "slots count -1": (_set(-1, "compile", "slots", "momentums"), r"config\.compile\.slots\.momentums must be an int"),
    "slots list": (_set([1], "compile", "slots"), r"config\.compile\.slots must be a dict"),
    "optimizer string": (_set("adam", "compile", "optimizer"), r"config\.compile\.optimizer must be a dict"),
    "optimizer unknown": (_set({"class_name": "Evil"}, "compile", "optimizer"), r"config\.compile\.optimizer: "),
    "learning rate NaN": (lambda c: c["compile"]["optimizer"]["config"].update(learning_rate=float("nan")),
                          r"config\.compile\.optimizer\.config\.learning_rate must be a finite number"),
    "optimizer keyword": (lambda c: c["compile"]["optimizer"]["config"].update(evil=1),
                          r"config\.compile\.optimizer: .*unexpected keyword argument"),
    "loss 5": (_set(5, "compile", "loss"), r"config\.compile\.loss must be a dict"),
    "layers null": (_set(None, "model", "config", "layers"), r"config\.model\.config\.layers must be a list"),
    "layer 5": (lambda c: c["model"]["config"]["layers"].__setitem__(1, 5),
                r"config\.model\.config\.layers\[1\] must be a dict"),
    "layer config list": (lambda c: c["model"]["config"]["layers"][1].__setitem__("config", []),
                          r"config\.model\.config\.layers\[1\]\.config must be a dict"),
    "units 8.0": (lambda c: c["model"]["config"]["layers"][4]["config"].update(units=8.0),
                  r"config\.model\.config\.layers\[4\] \('Dense'\): units must be a positive int, got 8\.0"),
    "kernel_size true": (lambda c: c["model"]["config"]["layers"][1]["config"].update(kernel_size=True),
                         r"config\.model\.config\.layers\[1\] \('Conv2D'\): kernel_size must be an int or a pair"),
    "build_input_shape null": (_set(None, "build_input_shape"), r"config\.build_input_shape must be a list"),
    "build_input_shape 0": (_set([None, 6, 0, 1], "build_input_shape"),
                            r"config\.build_input_shape\[2\] must be an int in \[1, "),
    "build_input_shape other": (_set([None, 7, 6, 1], "build_input_shape"),
                                r"config\.build_input_shape \(None, 7, 6, 1\) does not match the first layer's input"),
    "model class": (_set("Model", "model", "class_name"), r"config\.model\.class_name must be 'Sequential'"),
    "trainable 1": (_set(1, "model", "config", "trainable"), r"config\.model\.config\.trainable must be a bool"),
}


@pytest.mark.parametrize("case", EDITS, ids=list(EDITS))
def test_edited_configs_are_refused_naming_the_field(tmp_path, case):
    edit, message = EDITS[case]
    _, _, arrays, config = saved(tmp_path)
    edit(config)
    with pytest.raises(ValueError, match=r"invalid model config: " + message):
        load_model(rewrite(tmp_path, arrays, config))


def test_iterations_minus_one_no_longer_turns_the_weights_nan(tmp_path):
    # Before the fix "iterations": -1 loaded, and the first Adam step divided by 1 - beta_1**0.
    model, _, arrays, config = saved(tmp_path)
    config["compile"]["iterations"] = -1
    with pytest.raises(ValueError, match=r"iterations must be an int in \[0, "):
        load_model(rewrite(tmp_path, arrays, config))


JUNK = [None, True, -1, 0, 10**15, 2**63, 1.5, float("inf"), float("nan"), "x", [], {}, [1, 2], {"a": 1}]


def _leaves(value, path=()):
    """Every position in a config (dict values and list items), as key paths."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield path + (key,)
        yield from _leaves(child, path + (key,))


FUZZ = textwrap.dedent("""
    import copy, json, sys
    import numpy as np
    from fastconv.models import load_model
    from tests.robustness.test_model_files import JUNK, _leaves

    path, out = sys.argv[1], sys.argv[2]
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    config = json.loads(str(arrays["__config__"]))
    x = np.zeros((2, 6, 6, 1), np.float32)
    accepted = refused = 0
    for keys in _leaves(config):
        for junk in JUNK:
            edited = copy.deepcopy(config)
            parent = edited
            for key in keys[:-1]:
                parent = parent[key]
            parent[keys[-1]] = junk
            with open(out, "wb") as f:
                np.savez(f, **dict(arrays, __config__=np.array(json.dumps(edited))))
            try:
                model = load_model(out)
            except ValueError:
                refused += 1
                continue
            except Exception as error:
                print("UNEXPECTED", keys, repr(junk), type(error).__name__, error)
                continue
            accepted += 1
            try:
                model.predict(x)   # an accepted file gives a model that runs
            except (ValueError, TypeError):
                pass
    print("accepted", accepted, "refused", refused)
""")


def test_every_config_field_replaced_by_junk(tmp_path):
    # Every position of a saved config replaced by each junk value: load_model refuses with a
    # ValueError or returns a model that predicts; never another exception, never a crash (run in
    # a subprocess, so that one cannot take the test session with it).
    _, path, _, _ = saved(tmp_path)
    result = subprocess.run([sys.executable, "-c", FUZZ, str(path), str(tmp_path / "fuzz.keras")], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "UNEXPECTED" not in result.stdout, result.stdout[-3000:]
    assert "refused" in result.stdout


DILATION = textwrap.dedent("""
    import json, sys
    import numpy as np
    from fastconv import layers
    from fastconv.models import Sequential, load_model

    path = sys.argv[1]
    model = Sequential([layers.Input((1, 1, 1)), layers.Conv2D(1, 1), layers.Conv2D(4, 3, padding="same"),
                        layers.GlobalAveragePooling2D(), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.save(path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    config = json.loads(str(arrays["__config__"]))
    config["model"]["config"]["layers"][2]["config"]["dilation_rate"] = [2**63 - 1, 2**63 - 1]
    with open(path, "wb") as f:
        np.savez(f, **dict(arrays, __config__=np.array(json.dumps(config))))
    try:
        loaded = load_model(path)
    except ValueError as error:
        print("refused:", error)
        sys.exit(0)
    print("accepted; fitting", flush=True)
    loaded.fit(np.zeros((4, 1, 1, 1), np.float32), np.zeros((4, 2), np.float32), epochs=1, verbose=0)
    print("fit returned")
""")


def test_a_dilation_that_overflows_the_geometry_is_refused(tmp_path):
    # The hardening issue's model file: dilation 2**63 - 1 on a 1x1 input ("same" padding: with "valid" the
    # 3x3 kernel does not fit the 1x1 input, and that model cannot be built to be saved). Before
    # the fix the engine's 64-bit geometry wrapped (d * (k - 1) overflowed) to a positive output
    # size, load_model accepted the file and fit then aborted the process. Run in a subprocess so
    # that such a crash fails the test rather than ending the session.
    result = subprocess.run([sys.executable, "-c", DILATION, str(tmp_path / "dilated.keras")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "refused:" in result.stdout, (result.returncode, result.stdout,
                                                                    result.stderr[-2000:])
    assert "dilation_rate" in result.stdout and "invalid model config" in result.stdout


@pytest.mark.parametrize("dilation, padding", [([2, 2], "valid"), ([2**63 - 1, 1], "same")])
def test_conv_geometry_the_loader_refuses(tmp_path, dilation, padding):
    # A dilated kernel larger than the input (an empty output), and a dilation whose 'same'
    # padding passes 64 bits.
    model = Sequential([layers.Input((3, 3, 1)), layers.Conv2D(2, 3, padding=padding), layers.Flatten(),
                        layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    with np.load(tmp_path / "m.keras", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    config = json.loads(str(arrays["__config__"]))
    config["model"]["config"]["layers"][1]["config"]["dilation_rate"] = dilation
    with pytest.raises(ValueError, match=r"invalid model config: .*(does not fit|dilation_rate)"):
        load_model(rewrite(tmp_path, arrays, config))


def test_members_that_claim_more_bytes_than_they_hold(tmp_path):
    # A .npy header declaring a larger array than its member holds is refused before any array is
    # allocated from it.
    _, _, arrays, config = saved(tmp_path)
    path = tmp_path / "claims.keras"
    with zipfile.ZipFile(rewrite(tmp_path, arrays, config)) as good, zipfile.ZipFile(path, "w") as z:
        for name in good.namelist():
            data = good.read(name)
            if name == "weight_0000.npy":
                data = data.replace(b"'shape': (3, 3, 1, 4)", b"'shape': (9999,3,1,4)")
            z.writestr(name, data)
    error, peak = load_peak(path)
    assert "declares shape" in str(error) and peak < 2 * 2**20
    with zipfile.ZipFile(tmp_path / "deflated.keras", "w", zipfile.ZIP_DEFLATED) as z:
        with zipfile.ZipFile(rewrite(tmp_path, arrays, config)) as good:
            for name in good.namelist():
                z.writestr(name, good.read(name))
    with pytest.raises(ValueError, match="compressed"):
        load_model(tmp_path / "deflated.keras")
