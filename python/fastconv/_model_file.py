"""Model files: one uncompressed NPZ (a zip of .npy members) holding the JSON config
(``__config__``), the weights (``weight_0000``, ...) and the optimizer's slots
(``optimizer_<slot>_0000``, ...); never pickle.

write() replaces the file atomically and removes what killed writers of the same file left behind.
read() checks the archive against itself before it reads any array: every member a stored .npy
whose header's shape and dtype account for exactly its bytes, the members' bytes within the file's,
the config's types and counts those save writes and its counts those of the members present. So
nothing is sized by a number that the file's bytes do not back. load_model (models.py) then checks
the layers' weight shapes, computed from the config without allocating, against the stored arrays
before it builds a layer (check_weight_shapes).
"""

import json
import math
import numbers
import os
import re
import tempfile
import zipfile

import numpy as np
from numpy.lib import format as npy_format

from fastconv import functional, layers as layers_module, losses, metrics as metrics_module, optimizers

try:
    import fcntl
except ImportError:     # Windows: no flock, so no telling a dead writer's leftovers from a live one's
    fcntl = None

FORMAT = "fastconv-model"
FORMAT_VERSION = 1
INT64_MAX = 2**63 - 1
_TMP_SUFFIX = ".fastconv.tmp"
_HEADER_READERS = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int(value, field, minimum=0, maximum=INT64_MAX):
    if not _is_int(value) or not minimum <= value <= maximum:
        raise ValueError(f"{field} must be an int in [{minimum}, {maximum}], got {_short(value)}")
    return int(value)


def _dict(value, field):
    if not isinstance(value, dict):
        raise ValueError(f"{field} must be a dict, got {_short(value)}")
    return value


def _list(value, field):
    if not isinstance(value, list):
        raise ValueError(f"{field} must be a list, got {_short(value)}")
    return value


def _required(config, key, field):
    if key not in config:
        raise ValueError(f"{field}.{key} is missing")
    return config[key]


# ----- writing
def _tmp_pattern(base):
    # tempfile.mkstemp's names: prefix, 8 characters of [a-z0-9_], suffix.
    return re.compile(re.escape(f".{base}.") + r"[a-z0-9_]{8}" + re.escape(_TMP_SUFFIX))


def _remove_dead_writers_files(directory, base):
    """Remove the temporary files that earlier saves of this file name left when they were killed.

    A writer holds an exclusive flock on its temporary file from just after creating it until it
    has renamed it into place, so a file we can lock belongs to no live writer, unless that writer
    has not locked it yet: such a file is still empty, and empty files are left alone."""
    if fcntl is None:
        return
    pattern = _tmp_pattern(base)
    for entry in os.scandir(directory):
        if not pattern.fullmatch(entry.name):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Still the file we locked (not renamed away meanwhile), regular and not empty.
            held = os.fstat(fd)
            if held.st_size > 0 and os.path.samestat(held, os.lstat(entry.path)):
                os.unlink(entry.path)
        except OSError:     # locked by a live writer, gone, or not ours to remove
            pass
        finally:
            os.close(fd)


def write(filepath, config, arrays, overwrite):
    """Write config (JSON) and arrays to filepath atomically: readers see the old file or the new one."""
    path = os.fspath(filepath)
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a directory; give a file name such as 'model.keras'")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"save: {path!r} exists and overwrite=False")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the directory {directory!r} does not exist")
    base = os.path.basename(path)
    _remove_dead_writers_files(directory, base)
    payload = {"__config__": np.array(json.dumps(config)), **arrays}
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=_TMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # held until closed, after the rename
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
            if os.path.exists(path):
                mode = os.stat(path).st_mode & 0o777
            else:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)
            os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ----- reading
def _read_members(path):
    """(config text, {name: array}) from the archive, each member's header checked against its size
    before its data are read."""
    file_size = os.path.getsize(path)
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len({info.filename for info in infos}) != len(infos):
            raise ValueError("the archive names a member twice")
        if sum(info.compress_size for info in infos) > file_size:
            raise ValueError(f"its members claim more bytes than the file's {file_size}")
        arrays = {}
        for info in infos:
            name = info.filename
            if not name.endswith(".npy"):
                raise ValueError(f"member {name!r} is not a .npy array")
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
                raise ValueError(f"member {name!r} is compressed; model files store their arrays uncompressed")
            with archive.open(info) as f:
                reader = _HEADER_READERS.get(npy_format.read_magic(f))
                if reader is None:
                    raise ValueError(f"member {name!r} has an unsupported .npy version")
                shape, _, dtype = reader(f)
                if dtype.hasobject:
                    raise ValueError(f"member {name!r} holds Python objects (pickle), which are never loaded")
                held = info.file_size - f.tell()
                if math.prod(shape) * dtype.itemsize != held:
                    raise ValueError(f"member {name!r} declares shape {shape} of {dtype} but holds {held} bytes")
            with archive.open(info) as f:
                arrays[name[:-len(".npy")]] = npy_format.read_array(f, allow_pickle=False)
    text = arrays.pop("__config__", None)
    if text is None or text.dtype.kind != "U" or text.shape != ():
        raise ValueError("it holds no JSON config")
    return str(text), arrays


def _check_values(config):
    """Every int within 64 bits and every float finite, anywhere in the config (JSON allows
    Infinity, NaN and ints of any size; save never writes them)."""
    stack = [(config, "config")]
    while stack:
        value, field = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, f"{field}.{k}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{field}[{i}]") for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{field} must be a finite number, got {value!r}")
        elif _is_int(value) and not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise ValueError(f"{field} must be an int within 64 bits, got {_short(value)}")


def _check_shape(shape, field):
    """build_input_shape as save writes it: a list, batch axis (None or an int) first, then sizes."""
    _list(shape, field)
    if not shape:
        raise ValueError(f"{field} must have a batch axis, got []")
    if shape[0] is not None:
        _int(shape[0], f"{field}[0]", 1)
    for i, size in enumerate(shape[1:], 1):
        _int(size, f"{field}[{i}]", 1)
    _elements(shape, field)
    return tuple(shape)


def _elements(shape, field):
    if math.prod(s for s in shape[1:] if s is not None) > INT64_MAX:
        raise ValueError(f"{field} {tuple(shape)} has more than 2**63 - 1 elements per sample")


def _check_config(config, arrays):
    """The file-level config fields save writes (types, ranges) and the arrays they account for."""
    _check_values(config)
    n_weights = _int(_required(config, "n_weights", "config"), "config.n_weights")
    _check_shape(_required(config, "build_input_shape", "config"), "config.build_input_shape")
    if not isinstance(config.get("weights_only", False), bool):
        raise ValueError(f"config.weights_only must be a bool, got {_short(config['weights_only'])}")
    _dict(_required(config, "model", "config"), "config.model")
    compiled = _required(config, "compile", "config")
    counts = {"weight": n_weights}
    if compiled is not None:
        _dict(compiled, "config.compile")
        for key in ("optimizer", "loss", "metrics", "iterations"):
            _required(compiled, key, "config.compile")
        _int(compiled["iterations"], "config.compile.iterations")
        for slot, count in _dict(_required(compiled, "slots", "config.compile"), "config.compile.slots").items():
            if not re.fullmatch(r"[a-z_]+", slot):
                raise ValueError(f"config.compile.slots has an invalid slot name {_short(slot)}")
            counts[f"optimizer_{slot}"] = _int(count, f"config.compile.slots.{slot}")
    return counts


def _array_names(counts, arrays):
    """(missing, unexpected) array names for counts {prefix: n}, without listing all the declared
    names (a count may be huge; stops at the fifth missing name)."""
    missing = []
    for prefix, count in counts.items():
        for i in range(count):
            if f"{prefix}_{i:04d}" not in arrays:
                missing.append(f"{prefix}_{i:04d}")
                if len(missing) == 5:
                    break
        if len(missing) == 5:
            break

    def declared(name):
        prefix, _, index = name.rpartition("_")
        return prefix in counts and index.isdigit() and f"{int(index):04d}" == index and int(index) < counts[prefix]

    return missing, sorted(name for name in arrays if not declared(name))


def read(filepath):
    """(config, {name: array}) of a model file, checked as the module docstring says.

    Raises:
        FileNotFoundError: no file. ValueError: not a model file, damaged, or an invalid config.
    """
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    try:
        text, arrays = _read_members(path)
        config = json.loads(text)
    except MemoryError:
        raise
    except Exception as error:      # zipfile, numpy's header parser, json: a truncated or foreign file
        raise ValueError(f"{path!r} is not a fastconv model file (written by Sequential.save): "
                         f"{type(error).__name__}: {error}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{path!r} is not a fastconv model file (no {FORMAT!r} config)")
    version = config.get("format_version")
    if not _is_int(version) or version != FORMAT_VERSION:
        raise ValueError(f"{path!r} has format version {version!r}; this fastconv reads version {FORMAT_VERSION}")
    try:
        counts = _check_config(config, arrays)
    except ValueError as error:
        raise ValueError(f"{path!r} has an invalid model config: {error}") from None
    missing, unexpected = _array_names(counts, arrays)
    if missing:
        declared = ", ".join(f"{n} {prefix}_ arrays" for prefix, n in counts.items())
        raise ValueError(f"{path!r} is damaged: missing arrays {missing} (its config declares {declared}; "
                         f"the file holds {len(arrays)} arrays)")
    if unexpected:
        raise ValueError(f"{path!r} is damaged or was edited: unexpected arrays {unexpected[:5]}")
    not_float = [f"{k} ({v.dtype})" for k, v in arrays.items() if v.dtype.kind != "f"]
    if not_float:
        raise ValueError(f"{path!r} is damaged or was edited: model files hold float arrays, got {not_float[:5]}")
    return config, arrays


# ----- the model's config
def layers_from_config(config, field="config"):
    """(name, trainable, [layers]) from Sequential.get_config()'s dict: the layers constructed, not
    built (nothing allocated); ValueError naming the field that is wrong."""
    _dict(config, field)
    name = config.get("name")
    if name is not None and (not isinstance(name, str) or not name):
        raise ValueError(f"{field}.name must be a non-empty str, got {_short(name)}")
    trainable = config.get("trainable", True)
    if not isinstance(trainable, bool):
        raise ValueError(f"{field}.trainable must be a bool, got {_short(trainable)}")
    layer_list = []
    for i, layer_config in enumerate(_list(_required(config, "layers", field), f"{field}.layers")):
        where = f"{field}.layers[{i}]"
        _dict(layer_config, where)
        class_name = layer_config.get("class_name")
        _dict(layer_config.get("config", {}), f"{where}.config")
        try:
            layer_list.append(layers_module.get(layer_config))
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where} ({_short(class_name)}): {error}") from None
    return name, trainable, layer_list


def _check_conv_geometry(layer, shape, kernel_shape):
    """The engine's own checks of a convolution's geometry (its bound on the padded input among
    them), for one image, without an array: what fit would otherwise meet at its first step."""
    kh, kw, cg, oc = kernel_shape
    w_shape = kernel_shape if layer.data_format == "channels_last" else (oc, cg, kh, kw)
    functional.explain((1, *shape[1:]), w_shape, layer.strides, layer.padding, layer.dilation_rate, layer.groups,
                       layer.data_format)


def check_weight_shapes(layer_list, input_shape, arrays):
    """The weight shapes the layers would build for input_shape, computed without allocating, equal
    to the stored arrays ``weight_0000``, ...; and every layer's output shape positive."""
    shape, i = input_shape, 0
    for layer in layer_list:
        if isinstance(layer, layers_module.InputLayer):
            continue
        try:
            specs = layer.weight_specs(shape)
            out = tuple(layer.compute_output_shape(shape))
            if isinstance(layer, layers_module.Conv2D) and None not in shape[1:]:
                _check_conv_geometry(layer, shape, specs[0][1])
        except OverflowError as error:  # the engine's exact geometry: a size past its bounds
            raise ValueError(f"layer {layer.name!r}: its geometry (kernel_size, strides, dilation_rate, padding) "
                             f"overflows: {error}") from None
        if not out or any(not _is_int(s) or s < 1 for s in out[1:]):
            raise ValueError(f"layer {layer.name!r} gives outputs of shape {out} for inputs {shape}")
        _elements(out, f"the output of layer {layer.name!r}")
        for name, weight_shape, *_ in specs:
            stored = arrays.get(f"weight_{i:04d}")
            if stored is None or stored.shape != tuple(weight_shape):
                raise ValueError(f"layer {layer.name!r}: weight {name!r} has shape {tuple(weight_shape)}, the file "
                                 f"holds {'no array' if stored is None else stored.shape} for it (weight_{i:04d})")
            i += 1
        shape = out
    stored = sum(name.startswith("weight_") for name in arrays)
    if i != stored:
        raise ValueError(f"the layers have {i} weight arrays, the file holds {stored}")


def compile_from_config(compiled, field="config.compile"):
    """(optimizer, loss, metrics) from the compile dict save writes; ValueError naming the field."""
    optimizer, loss = _dict(compiled["optimizer"], f"{field}.optimizer"), compiled["loss"]
    try:
        optimizer = optimizers.get(optimizer)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{field}.optimizer: {error}") from None
    if loss is not None:
        _dict(loss, f"{field}.loss")
        try:
            loss = losses.get(loss)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{field}.loss: {error}") from None
    metrics = []
    for i, metric in enumerate(_list(compiled["metrics"], f"{field}.metrics")):
        if metric is None:      # what save writes for a metric it cannot name
            continue
        if not isinstance(metric, str):
            raise ValueError(f"{field}.metrics[{i}] must be a metric name, got {_short(metric)}")
        try:
            metrics.append(metrics_module.check(metric))
        except ValueError as error:
            raise ValueError(f"{field}.metrics[{i}]: {error}") from None
    return optimizer, loss, metrics
