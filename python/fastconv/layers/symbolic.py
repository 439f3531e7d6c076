"""Symbolic tensors and nodes: what calling a layer on ``Input(...)`` records (Keras's functional API).

A ``SymbolicTensor`` carries a shape (batch axis first, ``None`` when free) and a dtype, and knows
the node that made it; a ``Node`` is one call of a layer: its input and output tensors. Calling
one layer on two tensors makes two nodes of the same layer (a shared layer). ``fastconv.Model``
walks the nodes from its outputs back to its inputs. Nothing here computes on data.
"""

import numpy as np

__all__ = ["SymbolicTensor", "Node", "is_symbolic", "flatten", "call_layer"]


class SymbolicTensor:
    """A placeholder for the arrays a layer call will produce (Keras's ``KerasTensor``).

    Attributes: ``shape`` (tuple, batch axis first, e.g. ``(None, 8, 8, 1)``), ``dtype`` (str),
    ``name`` (str), ``node`` (the Node that made it) and ``index`` (which of its outputs it is).
    """

    __slots__ = ("shape", "dtype", "name", "node", "index")

    def __init__(self, shape, dtype, name, node=None, index=0):
        self.shape, self.dtype, self.name = tuple(shape), np.dtype(dtype).name, name
        self.node, self.index = node, index

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(f"{self!r} is symbolic: it stands for the output of a layer in a model under construction "
                        "and holds no data. Build a fastconv.Model(inputs, outputs) from it, then call the model "
                        "(or its predict) on arrays")

    def __bool__(self):
        raise TypeError(f"{self!r} is symbolic and has no truth value: Python branches on values (if, while, "
                        "and/or) cannot be recorded in a model's graph")

    def __len__(self):
        raise TypeError(f"{self!r} is symbolic: len() of a symbolic tensor is undefined; use .shape")

    def __iter__(self):
        raise TypeError(f"{self!r} is symbolic and cannot be iterated")

    # tensor arithmetic as merge layers, as Keras records ops on KerasTensors
    def _merge(self, other, name, op):
        if not isinstance(other, SymbolicTensor):
            raise TypeError(f"{self!r} {op} {other!r}: only two symbolic tensors of one shape can be combined "
                            "with +, - and * in a model's graph")
        from fastconv.layers import merging
        return getattr(merging, name)(dtype=self.dtype)([self, other])

    def __add__(self, other):
        return self._merge(other, "Add", "+")

    def __sub__(self, other):
        return self._merge(other, "Subtract", "-")

    def __mul__(self, other):
        return self._merge(other, "Multiply", "*")


class Node:
    """One call of ``layer`` on ``inputs`` (SymbolicTensors), producing ``outputs``."""

    __slots__ = ("layer", "inputs", "outputs", "single_input")

    def __init__(self, layer, inputs, single_input):
        self.layer, self.inputs, self.outputs, self.single_input = layer, list(inputs), [], single_input

    def __repr__(self):
        return f"<Node {self.layer.name}: {[t.name for t in self.inputs]} -> {[t.name for t in self.outputs]}>"


def is_symbolic(value):
    """Whether value is a SymbolicTensor, or a non-empty list/tuple of them."""
    if isinstance(value, SymbolicTensor):
        return True
    return (isinstance(value, (list, tuple)) and len(value) > 0
            and any(isinstance(v, SymbolicTensor) for v in value))


def flatten(value, what):
    """value (a SymbolicTensor, or a list/tuple/dict of them) as a list; TypeError naming what else."""
    items = list(value.values()) if isinstance(value, dict) else list(value) if isinstance(value, (list, tuple)) \
        else [value]
    for item in items:
        if not isinstance(item, SymbolicTensor):
            raise TypeError(f"{what} must be symbolic tensors (from fastconv.Input(...) or a layer called on one), "
                            f"got {item!r}")
    return items


def call_layer(layer, inputs, register=True):
    """Record layer called on inputs: build it for their shapes, make a Node, return its output
    tensor(s) with the layer's output shape. register=False keeps the node off the layer's list
    (a Sequential model's own chain, rebuilt as layers are added)."""
    single = isinstance(inputs, SymbolicTensor)
    tensors = [inputs] if single else flatten(inputs, f"the inputs of layer {layer.name!r}")
    shapes = tensors[0].shape if single else [t.shape for t in tensors]
    if not layer.built:
        layer.build(shapes)
    elif not layer.accepts_input_shape(shapes):
        raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) was built for inputs {layer.input_shape}, "
                         f"and cannot be called on {shapes}")
    node = Node(layer, tensors, single)
    out_shapes = layer.compute_output_shape(shapes)
    multi = isinstance(out_shapes, list)
    names = layer._call_output_names() if multi else [layer.name]
    for i, shape in enumerate(out_shapes if multi else [out_shapes]):
        count = len(layer._nodes)
        name = names[i] if count == 0 or not register else f"{names[i]}_{count}"
        node.outputs.append(SymbolicTensor(shape, layer.output_dtype(i), name, node, i))
    if register:
        layer._nodes.append(node)
    return list(node.outputs) if multi else node.outputs[0]
