"""Sequential models: a stack of layers (Keras's ``keras.Sequential``), a chain graph run by the
same executor and training loop as every Model (fastconv.models.model). Saves to one NPZ file
holding a JSON config, the weights and the optimizer state (never pickle), written atomically.
"""

import numbers

import numpy as np

from fastconv import _model_file, layers as layers_module
from fastconv.layers.base import Layer, unique_name
from fastconv.layers.core import InputLayer
from fastconv.layers.symbolic import SymbolicTensor, call_layer
from fastconv.models._data import check_array
from fastconv.models.model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """A linear stack of layers (Keras's ``keras.Sequential``).

    Args:
        layers (list of Layer or None): added in order. name (str or None): default "sequential".

    >>> from fastconv import layers
    >>> model = Sequential([layers.Input((4,)), layers.Dense(2)])
    >>> model.count_params()
    10
    """

    def __init__(self, layers=None, name=None, trainable=True):
        self._init_model(name if name is not None else unique_name("sequential"), trainable)
        self._layers = []
        self._input_layer = None
        self._input_structure = self._output_structure = ("single", None)
        self._graph_key = None
        self._chain_nodes = []
        for layer in layers or ():
            self.add(layer)

    # ----- structure
    def add(self, layer):
        """Append a layer; builds it at once when the model's input shape is known."""
        if isinstance(layer, SymbolicTensor) and not layer.node.inputs:   # layers.Input(...)
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a fastconv layer (e.g. layers.Dense(10)), got {layer!r}")
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError("an Input can only be the first entry of a Sequential model")
            self._input_layer = layer
            return
        if any(l is layer for l in self._layers):
            raise ValueError(f"layer {layer.name!r} is already in the model")
        if any(l.name == layer.name for l in self._layers):
            raise ValueError(f"the model already has a layer named {layer.name!r}; layer names must be unique")
        if not self._layers and self._input_layer is None and layer._batch_input_shape is not None:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape, dtype=layer.dtype.name)
        self._layers.append(layer)
        if self._input_layer is not None:
            shape = self._input_layer._batch_input_shape if len(self._layers) == 1 else self._layers[-2].output_shape
            if not layer.built:
                layer.build(shape)
            elif tuple(layer.input_shape[1:]) != tuple(shape[1:]):
                raise ValueError(f"layer {layer.name!r} was built for inputs {layer.input_shape}, but the model "
                                 f"gives it {shape}")

    def pop(self):
        """Remove the last layer."""
        if not self._layers:
            raise TypeError("there are no layers in the model")
        return self._layers.pop()

    @property
    def layers(self):
        """The layers, without the Input (as in Keras 3)."""
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index."""
        if index is not None:
            if not isinstance(index, numbers.Integral) or not -len(self._layers) <= index < len(self._layers):
                raise ValueError(f"index must be an int in [0, {len(self._layers)}), got {index!r}")
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {[l.name for l in self._layers]}")

    @property
    def built(self):
        return bool(self._layers) and all(l.built for l in self._layers)

    @built.setter
    def built(self, value):
        """Computed from the layers: Layer.__init__'s assignment is ignored."""

    def _ensure_graph(self):
        """The chain graph over the layers as they are now (rebuilt after add or pop): each layer
        called once on the last one's output, so that ``layer.output`` works as in Keras; the
        calls of an earlier chain are taken off the layers first."""
        key = (id(self._input_layer), tuple(id(layer) for layer in self._layers))
        if self._graph_key != key:
            for node in self._chain_nodes:
                if node in node.layer._nodes:
                    node.layer._nodes.remove(node)
            tensor = self._input_layer.output
            for layer in self._layers:
                tensor = call_layer(layer, tensor)
            self._chain_nodes = [layer._nodes[-1] for layer in self._layers]
            self._set_graph([self._input_layer.output], [tensor])
            self._graph_key = key

    def _built_graph(self):
        if not self.built:
            raise AttributeError(f"model {self.name!r} has no input yet: start it with an Input (or input_shape=), "
                                 "or build it")
        self._ensure_graph()
        return self

    @property
    def inputs(self):
        return Model.inputs.fget(self._built_graph())

    @property
    def outputs(self):
        return Model.outputs.fget(self._built_graph())

    @property
    def input(self):
        return Model.input.fget(self._built_graph())

    @property
    def output(self):
        return Model.output.fget(self._built_graph())

    def _check_inputs(self, x, fn):
        if isinstance(x, (list, tuple)) and len(x) == 1 and isinstance(x[0], np.ndarray):
            x = x[0]
        if not self.built:
            if not self._layers:
                raise ValueError(f"model {self.name!r} has no layers: add some before calling {fn}()")
            self.build((None,) + tuple(check_array(x, "x", fn).shape[1:]))
        self._ensure_graph()
        return super()._check_inputs(x, fn)

    def compute_output_shape(self, input_shape):
        if not self.built:
            self.build(input_shape)
        self._ensure_graph()
        return super().compute_output_shape(input_shape)

    def accepts_input_shape(self, shape):
        self._ensure_graph()
        return super().accepts_input_shape(shape)

    @property
    def input_names(self):
        return [self._input_layer.name]

    _single_output = True

    @property
    def output_names(self):
        return [self._layers[-1].name if self._layers else "output"]

    def build(self, input_shape=None):
        """Build every layer for inputs of input_shape (batch axis first, may be None)."""
        if not self._layers:
            raise ValueError("the model has no layers: add some before building it")
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("build() needs input_shape, or an Input / input_shape= on the first layer")
            input_shape = self._input_layer._batch_input_shape
        input_shape = tuple(input_shape)
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=(None,) + input_shape[1:], dtype=self._layers[0].dtype.name)
        shape = self._input_layer._batch_input_shape
        if tuple(shape[1:]) != tuple(input_shape[1:]):
            raise ValueError(f"the model's input shape is {shape}, got input_shape {input_shape}")
        for layer in self._layers:
            if not layer.built:
                layer.build(shape)
            shape = layer.output_shape

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise AttributeError(f"model {self.name!r} has no defined input shape yet")
        return self._input_layer._batch_input_shape

    @property
    def output_shape(self):
        if not self.built:
            raise AttributeError(f"model {self.name!r} is not built yet")
        return self._layers[-1].output_shape

    # ----- weights
    @property
    def weights(self):
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self):
        return [w for layer in self._layers if self.trainable for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def get_weights(self):
        """Copies of every layer's weights, layer by layer in Keras's order."""
        return [array for layer in self._layers for array in layer.get_weights()]

    def set_weights(self, weights):
        """Set get_weights()'s list (shapes checked, ValueError naming the layer)."""
        weights = list(weights)
        expected = sum(len(l.weights) for l in self._layers)
        if len(weights) != expected:
            raise ValueError(f"model {self.name!r} has {expected} weight arrays, got {len(weights)}")
        i = 0
        for layer in self._layers:
            n = len(layer.weights)
            layer.set_weights(weights[i:i + n])
            i += n

    def count_params(self):
        if not self.built:
            raise ValueError(f"model {self.name!r} is not built: give the first layer input_shape= or add an Input, "
                             "or call build()/fit() first")
        return sum(l.count_params() for l in self._layers)

    # ----- summary
    def summary(self, line_length=None, print_fn=None):
        """Print a table of layers (name and type), output shapes and parameter counts, then totals."""
        if not self.built:
            raise ValueError(f"model {self.name!r} has not been built yet: give the first layer input_shape= "
                             "(or add layers.Input(shape)), or call build(input_shape), fit() or predict() first")
        rows = [(f"{l.name} ({type(l).__name__})", str(l.output_shape), f"{l.count_params():,}") for l in self._layers]
        self._summary(rows, ("Layer (type)", "Output Shape", "Param #"), self._layers[0].dtype.itemsize, line_length,
                      print_fn)

    # ----- config and saving
    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "layers": ([layers_module.serialize(self._input_layer)] if self._input_layer is not None else [])
                + [layers_module.serialize(l) for l in self._layers]}

    @classmethod
    def from_config(cls, config):
        """A model from get_config()'s dict; ValueError naming the field that is wrong."""
        name, trainable, layer_list = _model_file.layers_from_config(config)
        return cls(layer_list, name=name, trainable=trainable)

    def _file_weights(self):
        return self.weights

    def _set_file_weights(self, arrays):
        self.set_weights(arrays)

    def _check_file_weights(self, config, data):
        """Before building from a file: the weights the layers would make against its arrays."""
        _model_file.check_weight_shapes(self._layers, tuple(config["build_input_shape"]), data)

    def __repr__(self):
        return f"<Sequential name={self.name!r}, layers={[l.name for l in self._layers]}>"
