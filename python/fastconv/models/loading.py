"""``load_model``: a model from a file written by ``model.save`` (NPZ + JSON, read without pickle),
Sequential or graph (functional, or a subclassed model's traced graph, loaded as a functional
Model). Every field is checked, and the weights the layers would build are checked against the
file's arrays before anything is allocated."""

import numbers
import os

import numpy as np

from fastconv import _model_file
from fastconv.models.graph_config import WeightBudget, model_from_graph_config
from fastconv.models.sequential import Sequential

__all__ = ["load_model"]


def _sequential(config, data):
    name, trainable, layer_list = _model_file.layers_from_config(config["model"].get("config"), "config.model.config")
    input_shape = tuple(config["build_input_shape"])
    first = layer_list[0]._batch_input_shape if layer_list else None
    if first is not None and tuple(first[1:]) != input_shape[1:]:
        raise ValueError(f"config.build_input_shape {input_shape} does not match the first layer's input "
                         f"shape {tuple(first)}")
    _model_file.check_weight_shapes(layer_list, input_shape, data)
    # Only now, with every weight's shape that of a stored array, are the layers built.
    model = Sequential(layer_list, name=name, trainable=trainable)
    model.build(input_shape)
    return model


def _graph(config, data):
    stored = sum(int(np.prod(a.shape)) for k, a in data.items() if k.startswith("weight_"))
    model = model_from_graph_config(config["model"].get("config"), "config.model.config", WeightBudget(stored))
    if len(model.weights) != config["n_weights"]:
        raise ValueError(f"the layers have {len(model.weights)} weight arrays, the file holds {config['n_weights']}")
    return model


def _compile_arguments(compiled, n_outputs):
    """(optimizer, loss, metrics, loss_weights) from the compile dict save writes: one loss and a
    list of metrics, or for several outputs a list of each."""
    if not isinstance(compiled["loss"], list):
        return (*_model_file.compile_from_config(compiled), None)
    field = "config.compile"
    losses, metrics = compiled["loss"], compiled["metrics"]
    if len(losses) != n_outputs or not isinstance(metrics, list) or len(metrics) != n_outputs:
        raise ValueError(f"{field}.loss and {field}.metrics must have one entry per output ({n_outputs})")
    parts = [_model_file.compile_from_config({**compiled, "loss": loss, "metrics": ms}, f"{field}[output {k}]")
             for k, (loss, ms) in enumerate(zip(losses, metrics))]
    weights = compiled.get("loss_weights")
    if weights is not None and (not isinstance(weights, list) or len(weights) != n_outputs or not all(
            isinstance(w, numbers.Real) and not isinstance(w, bool) for w in weights)):
        raise ValueError(f"{field}.loss_weights must be {n_outputs} numbers, got {_model_file._short(weights)}")
    return parts[0][0], [p[1] for p in parts], [p[2] for p in parts], weights


def load_model(filepath, compile=True):
    """A model from a file written by ``model.save`` (NPZ + JSON, read without pickle).

    Args:
        filepath (str or PathLike). compile (bool): also restore the optimizer (with its state),
            losses and metrics, so that fit resumes where it stopped.

    Raises:
        FileNotFoundError: no file. ValueError: not a fastconv model file, damaged, or a config that
            save would not write (naming the field), found before any layer is built.
    """
    path = os.fspath(filepath)
    config, data = _model_file.read(path)
    if config.get("weights_only"):
        raise ValueError(f"{path!r} holds weights only (save_weights); build the model and call "
                         "model.load_weights() instead")
    compiled = config["compile"] if compile else None
    try:
        class_name = config["model"].get("class_name")
        if class_name == "Sequential":
            model = _sequential(config, data)
        elif class_name == "Functional":
            model = _graph(config, data)
        else:
            raise ValueError(f"config.model.class_name must be 'Sequential' or 'Functional', got "
                             f"{_model_file._short(class_name)}")
        if compiled is not None:
            optimizer, loss, metrics, loss_weights = _compile_arguments(compiled, len(model.output_names))
        model.set_weights([data[f"weight_{i:04d}"] for i in range(config["n_weights"])])
        if compiled is not None:
            model.compile(optimizer=optimizer, loss=loss, metrics=metrics, loss_weights=loss_weights)
            slots = {slot: [data[f"optimizer_{slot}_{i:04d}"] for i in range(count)]
                     for slot, count in compiled["slots"].items()}
            if slots or compiled["iterations"]:
                model.optimizer.set_state({"iterations": compiled["iterations"], "slots": slots},
                                          model._optimizer_weights())
    except ValueError as error:
        raise ValueError(f"{path!r} has an invalid model config: {error}") from None
    return model
