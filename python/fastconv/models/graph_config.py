"""A graph model's config (Keras's functional config, simplified) and the model rebuilt from it.

``graph_config(model)`` lists the layers in ``model.layers`` order, each with its config and its
calls: for each call, the tensors it reads as ``[layer name, call index, output index]``; then the
model's inputs and outputs the same way. ``model_from_graph_config`` checks every field (a
ValueError naming it), constructs the layers, and replays the calls from the inputs, checking
each layer's weights against what the file holds before it is built (``budget``), so a config
cannot make it allocate more than the file's arrays back. Nested models are configs of their own.
"""

import math

from fastconv import _model_file, layers as layers_module
from fastconv.layers.core import InputLayer
from fastconv.layers.symbolic import SymbolicTensor

__all__ = ["graph_config", "model_from_graph_config", "WeightBudget"]

GRAPH_CLASSES = ("Functional", "Sequential")


class WeightBudget:
    """The weight elements a file holds: layers built while reading it may take no more."""

    def __init__(self, elements):
        self.left = elements

    def take(self, layer, specs):
        need = sum(math.prod(shape) for _, shape, *_ in specs)
        if need > self.left:
            raise ValueError(f"layer {layer.name!r} needs {need} weight values, more than the file's arrays "
                             f"hold ({self.left} left)")
        self.left -= need


def _structure_config(structure):
    kind, keys = structure
    return {"kind": kind, "keys": keys}


def serialize_layer(layer):
    """{"class_name", "config"} of a layer, or of a model used as a layer."""
    from fastconv.models.model import Model
    from fastconv.models.sequential import Sequential
    if isinstance(layer, Sequential):
        return {"class_name": "Sequential", "config": layer.get_config()}
    if isinstance(layer, Model):
        return {"class_name": "Functional", "config": layer.get_config()}
    return layers_module.serialize(layer)


def graph_config(model):
    executor = model._executor
    entries = []
    for layer in executor.keras_order():    # a subclassed model's too: its graph, inputs included
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        entry["calls"] = [{"inputs": [executor.reference(t) for t in node.inputs], "single": node.single_input}
                          for node in executor.calls_of(layer) if node.inputs]
        entries.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": entries,
            "inputs": [executor.reference(t) for t in model._inputs],
            "outputs": [executor.reference(t) for t in model._outputs],
            "input_structure": _structure_config(model._input_structure),
            "output_structure": _structure_config(model._output_structure)}


def _str(value, field):
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field} must be a non-empty str, got {_model_file._short(value)}")
    return value


def _structure(value, field, count):
    _model_file._dict(value, field)
    kind, keys = value.get("kind"), value.get("keys")
    if kind not in ("single", "list", "dict"):
        raise ValueError(f"{field}.kind must be 'single', 'list' or 'dict', got {_model_file._short(kind)}")
    if kind == "single" and count != 1:
        raise ValueError(f"{field} is 'single' but there are {count} tensors")
    if kind == "dict":
        _model_file._list(keys, f"{field}.keys")
        if len(keys) != count or not all(isinstance(k, str) for k in keys):
            raise ValueError(f"{field}.keys must be {count} strings, got {_model_file._short(keys)}")
        return kind, list(keys)
    if keys is not None:
        raise ValueError(f"{field}.keys must be null for {kind!r}, got {_model_file._short(keys)}")
    return kind, None


def _refs(value, field):
    _model_file._list(value, field)
    refs = []
    for i, ref in enumerate(value):
        where = f"{field}[{i}]"
        _model_file._list(ref, where)
        if len(ref) != 3:
            raise ValueError(f"{where} must be [layer name, call index, output index], got {_model_file._short(ref)}")
        refs.append((_str(ref[0], f"{where}[0]"), _model_file._int(ref[1], f"{where}[1]"),
                     _model_file._int(ref[2], f"{where}[2]")))
    return refs


def _layer(entry, field, budget):
    from fastconv.models.sequential import Sequential
    class_name = entry.get("class_name")
    config = _model_file._dict(entry.get("config"), f"{field}.config")
    if class_name == "Functional":
        return model_from_graph_config(config, f"{field}.config", budget)
    if class_name == "Sequential":
        name, trainable, layer_list = _model_file.layers_from_config(config, f"{field}.config")
        if layer_list and isinstance(layer_list[0], InputLayer):     # Sequential() builds them at once
            _take_chain(layer_list[1:], layer_list[0]._batch_input_shape, budget)
        return Sequential(layer_list, name=name, trainable=trainable)
    try:
        return layers_module.get(entry)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{field} ({_model_file._short(class_name)}): {error}") from None


def _take_chain(layer_list, shape, budget):
    """A chain of layers' weights for inputs of shape, against the budget, before any is built."""
    for layer in layer_list:
        _check_before_build(layer, shape, budget)
        shape = tuple(layer.compute_output_shape(shape))


def _check_before_build(layer, shape, budget):
    """The weights layer would build for inputs of shape, against the budget, before building it;
    a Conv2D's geometry through the engine's own checks."""
    from fastconv.models.sequential import Sequential
    if layer.built or isinstance(shape, list):
        return
    if isinstance(layer, Sequential):
        _take_chain(layer.layers, shape, budget)
        return
    specs = layer.weight_specs(shape)
    if isinstance(layer, layers_module.Conv2D) and None not in shape[1:]:
        try:
            _model_file._check_conv_geometry(layer, shape, specs[0][1])
        except OverflowError as error:
            raise ValueError(f"layer {layer.name!r}: its geometry overflows: {error}") from None
    budget.take(layer, specs)


def model_from_graph_config(config, field="config", budget=None):
    """The Model that graph_config described, its layers built; ValueError naming a wrong field."""
    from fastconv.models.model import Model
    budget = budget if budget is not None else WeightBudget(math.inf)
    _model_file._dict(config, field)
    name = _str(config.get("name"), f"{field}.name")
    trainable = config.get("trainable", True)
    if not isinstance(trainable, bool):
        raise ValueError(f"{field}.trainable must be a bool, got {_model_file._short(trainable)}")
    entries = _model_file._list(_model_file._required(config, "layers", field), f"{field}.layers")
    layers, calls = {}, []
    for i, entry in enumerate(entries):
        where = f"{field}.layers[{i}]"
        _model_file._dict(entry, where)
        layer_name = _str(entry.get("name"), f"{where}.name")
        if layer_name in layers:
            raise ValueError(f"{where}.name {layer_name!r} appears twice")
        layer = _layer(entry, where, budget)
        if layer.name != layer_name:
            raise ValueError(f"{where}.name is {layer_name!r} but its config names the layer {layer.name!r}")
        layers[layer_name] = layer
        for k, call in enumerate(_model_file._list(entry.get("calls", []), f"{where}.calls")):
            _model_file._dict(call, f"{where}.calls[{k}]")
            single = call.get("single", True)
            if not isinstance(single, bool):
                raise ValueError(f"{where}.calls[{k}].single must be a bool, got {_model_file._short(single)}")
            refs = _refs(call.get("inputs"), f"{where}.calls[{k}].inputs")
            if single and len(refs) != 1:
                raise ValueError(f"{where}.calls[{k}] reads {len(refs)} tensors but says it takes one")
            calls.append((layer, k, refs, single, f"{where}.calls[{k}]"))
    inputs_refs = _refs(_model_file._required(config, "inputs", field), f"{field}.inputs")
    outputs_refs = _refs(_model_file._required(config, "outputs", field), f"{field}.outputs")
    if not inputs_refs or not outputs_refs:
        raise ValueError(f"{field} must have at least one input and one output")
    produced = {}
    for layer_name, layer in layers.items():
        if isinstance(layer, InputLayer):
            produced[(layer_name, 0)] = [layer.output]
    pending = [c for c in calls if not isinstance(c[0], InputLayer)]
    while pending:      # replay every call whose inputs exist, until none is left or none can run
        waiting = []
        for layer, k, refs, single, where in pending:
            tensors = []
            for ref_name, call_index, output_index in refs:
                outs = produced.get((ref_name, call_index))
                if outs is None:
                    if ref_name not in layers:
                        raise ValueError(f"{where} reads from layer {ref_name!r}, which the config does not have")
                    break
                if output_index >= len(outs):
                    raise ValueError(f"{where} reads output {output_index} of {ref_name!r}, which has {len(outs)}")
                tensors.append(outs[output_index])
            else:
                if (layer.name, k - 1) not in produced and k > 0:
                    waiting.append((layer, k, refs, single, where))   # a layer's calls replay in order
                    continue
                argument = tensors[0] if single else tensors
                _check_before_build(layer, argument.shape if single else [t.shape for t in tensors], budget)
                try:
                    out = layer(argument)
                except (TypeError, ValueError) as error:
                    raise ValueError(f"{where}: {error}") from None
                produced[(layer.name, k)] = out if isinstance(out, list) else [out]
                continue
            waiting.append((layer, k, refs, single, where))
        if len(waiting) == len(pending):
            raise ValueError(f"{field}: the calls of {sorted({w[0].name for w in waiting})} read tensors no call "
                             "makes (a cycle, or a missing layer)")
        pending = waiting

    def tensor(ref, where):
        outs = produced.get(ref[:2])
        if outs is None or ref[2] >= len(outs):
            raise ValueError(f"{where} names {list(ref)}, a tensor the config's calls do not make")
        return outs[ref[2]]
    inputs = [tensor(r, f"{field}.inputs[{i}]") for i, r in enumerate(inputs_refs)]
    outputs = [tensor(r, f"{field}.outputs[{i}]") for i, r in enumerate(outputs_refs)]
    for i, t in enumerate(inputs):
        if not isinstance(t, SymbolicTensor) or not isinstance(t.node.layer, InputLayer):
            raise ValueError(f"{field}.inputs[{i}] must name an InputLayer")
    in_kind, in_keys = _structure(config.get("input_structure", {"kind": "list"}), f"{field}.input_structure",
                                  len(inputs))
    out_kind, out_keys = _structure(config.get("output_structure", {"kind": "list"}), f"{field}.output_structure",
                                    len(outputs))
    pack = lambda kind, keys, ts: ts[0] if kind == "single" else dict(zip(keys, ts)) if kind == "dict" else ts
    try:
        return Model(pack(in_kind, in_keys, inputs), pack(out_kind, out_keys, outputs), name=name,
                     trainable=trainable)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{field}: {error}") from None
