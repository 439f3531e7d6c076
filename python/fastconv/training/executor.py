"""The one executor: runs a model's graph of layer calls forward and backward.

``Executor(inputs, outputs)`` orders the nodes between the given symbolic tensors, applies the
fusion rules (fastconv.training.fusion) and keeps a list of steps. ``forward(xs, training)``
runs them on arrays; ``backward(output_grads)`` runs them in reverse, summing the gradients of a
tensor read by several nodes and the weight gradients of a layer called more than once, and
returns the inputs' gradients. Sequential models are chains of the same steps. Not autodiff: each
layer's backward is its own, written beside its forward.
"""

import numpy as np

from fastconv.layers.symbolic import SymbolicTensor
from fastconv.training import fusion

__all__ = ["Executor", "GraphError", "unique"]


class GraphError(ValueError):
    """The tensors given do not form a model: an output unreachable from the inputs, a repeated input, ..."""


def _ordered_nodes(inputs, outputs):
    """The nodes that compute outputs from inputs, each after the nodes it reads (depth-first from
    the outputs); GraphError naming a tensor that needs an input not among inputs."""
    input_ids = {id(t) for t in inputs}
    order, done, active = [], set(), set()

    def visit(tensor, path):
        if id(tensor) in input_ids:
            return
        node = tensor.node
        if node is None or not node.inputs:
            layer = node.layer.name if node is not None else "?"
            raise GraphError(f"graph disconnected: {path[-1]} needs the input {tensor.name!r} (layer {layer!r}), which "
                             f"is not among the model's inputs {[t.name for t in inputs]}")
        if id(node) in done:
            return
        if id(node) in active:
            raise GraphError(f"the graph has a cycle through layer {node.layer.name!r}")
        active.add(id(node))
        for t in node.inputs:
            visit(t, path + [f"tensor {t.name!r}"])
        active.discard(id(node))
        done.add(id(node))
        order.append(node)

    for t in outputs:
        visit(t, [f"output {t.name!r}"])
    return order


class Executor:
    """Forward and backward over the nodes between inputs and outputs (lists of SymbolicTensor)."""

    def __init__(self, inputs, outputs, fuse=True):
        for t in list(inputs) + list(outputs):
            if not isinstance(t, SymbolicTensor):
                raise TypeError(f"model inputs and outputs must be symbolic tensors, got {t!r}")
        if len({id(t) for t in inputs}) != len(inputs):
            raise GraphError(f"the same tensor appears twice among the inputs {[t.name for t in inputs]}")
        for t in inputs:
            if t.node is None or t.node.inputs:
                raise GraphError(f"model inputs must come from fastconv.Input(...); {t.name!r} is the output of "
                                 f"layer {t.node.layer.name!r}")
        self.inputs, self.outputs = list(inputs), list(outputs)
        nodes = _ordered_nodes(self.inputs, self.outputs)
        slot = {id(t): i for i, t in enumerate(self.inputs)}
        for node in nodes:
            for t in node.outputs:
                slot.setdefault(id(t), len(slot))
        self.n_slots = len(slot)
        self.input_slots = [slot[id(t)] for t in self.inputs]
        self.output_slots = [slot[id(t)] for t in self.outputs]
        readers = {}
        for node in nodes:
            for t in node.inputs:
                readers.setdefault(slot[id(t)], []).append(node)
        self.nodes = nodes
        # each layer's calls in this graph, inputs' included, in order: "[layer][call][output]" names a tensor
        self._calls = {}
        for node in [t.node for t in self.inputs] + nodes:
            self._calls.setdefault(id(node.layer), []).append(node)
        self.steps = fusion.make_steps(nodes, slot, readers, set(self.output_slots) if fuse else None, fuse)
        self.layers = unique(layer for step in self.steps for layer in step.layers)
        calls = {}
        for step in self.steps:
            for layer in step.layers:
                calls[id(layer)] = calls.get(id(layer), 0) + 1
        for step in self.steps:
            step.shared = any(calls[id(layer)] > 1 for layer in step.layers)
        self._shared_layers = [layer for layer in self.layers if calls[id(layer)] > 1]
        self._producer = {s: step for step in self.steps for s in step.outputs}
        self._keras_order = keras_layer_order(self.inputs, self.outputs)
        self._run = None
        self.inputs_need_grad = False
        self.prepare_backward()

    def calls_of(self, layer):
        """The layer's calls (Nodes) in this graph, in order."""
        return list(self._calls.get(id(layer), ()))

    def reference(self, tensor):
        """``[layer name, call index, output index]`` of a tensor of this graph."""
        return [tensor.node.layer.name, self._calls[id(tensor.node.layer)].index(tensor.node), tensor.index]

    def keras_order(self):
        """The layers, InputLayers included, in Keras's ``model.layers`` order."""
        return list(self._keras_order)

    # ----- forward
    def forward(self, xs, training=False, keep_caches=False):
        """The outputs (a list) for input arrays xs (a list, in the inputs' order). keep_caches:
        keep every step's layer caches with this run, not only the shared layers' (a model called
        more than once inside another, whose backward comes after its later calls' forwards)."""
        values = [None] * self.n_slots
        for s, x in zip(self.input_slots, xs):
            values[s] = x
        caches = {}
        for step in self.steps:
            ins = [values[s] for s in step.inputs]
            y = step.forward(ins[0] if step.single_input else ins, training=training)
            if len(step.outputs) == 1:
                values[step.outputs[0]] = y
            else:
                for s, value in zip(step.outputs, y):
                    values[s] = value
            if step.shared or keep_caches:  # a layer called again overwrites its cache: keep this call's
                caches[id(step)] = [layer._cache for layer in step.layers]
        self._run = (values, caches)
        return [values[s] for s in self.output_slots]

    def _restore(self, step):
        caches = self._run[1].get(id(step))
        if caches is not None:
            for layer, cache in zip(step.layers, caches):
                layer._cache = cache

    # ----- softmax + cross-entropy
    def fusable_output(self, k, activation):
        """The layer whose activation ("softmax" or "sigmoid") makes output k, when its gradient
        may start from the logits (that layer's call is the output's only reader), else None."""
        step = self._producer.get(self.output_slots[k])
        if step is None or step.outputs != [self.output_slots[k]] or not step.single_layer:
            return None
        layer = step.layers[0]
        if getattr(layer, "output_activation", "linear") != activation or self.output_slots[k] in self._read:
            return None
        return layer

    def logits(self, k):
        """The pre-activation values of output k in the last forward (see fusable_output)."""
        step = self._producer[self.output_slots[k]]
        self._restore(step)
        return step.layers[0].logits

    # ----- backward
    def prepare_backward(self, inputs_need_grad=False):
        """Work out, from what is trainable now, which steps need a backward and which need their
        input gradient; call again after changing a layer's trainable flag. inputs_need_grad: the
        model's inputs need gradients too (a model called inside another)."""
        self.inputs_need_grad = inputs_need_grad
        needs_grad = [False] * self.n_slots      # whether a trainable weight lies upstream of the slot
        for s in self.input_slots:
            needs_grad[s] = inputs_need_grad
        for step in self.steps:
            step.need_input_grad = any(needs_grad[s] for s in step.inputs)
            step.has_trainable = any(layer.trainable_weights for layer in step.layers)
            step.runs_backward = step.need_input_grad or step.has_trainable
            inner = getattr(step.layers[0], "_executor", None)      # a model called as a layer
            if inner is not None:
                inner.prepare_backward(inputs_need_grad=step.need_input_grad)
            for s in step.outputs:
                needs_grad[s] = step.runs_backward
        self._read = {s for step in self.steps for s in step.inputs}
        self._backward_order = [step for step in reversed(self.steps) if step.runs_backward]
        # Keras's order (model.layers): the order optimizer state is saved and restored in
        self.trainable_weights = unique(w for layer in self._keras_order for w in layer.trainable_weights)

    def backward(self, output_grads, from_logits=(), regularize=True, record=None):
        """Gradients of the inputs (None where no input needs one) from output_grads (one per output,
        None for an output without a loss); from_logits: the outputs whose gradient is w.r.t. the
        logits of fusable_output(k, ...). Fills every trainable weight's grad (zeros where no gradient
        reaches it). regularize=False leaves out the regularizers' gradients (a shared model's
        later call). record: a dict that receives, per step, the backward it ran and its dy
        (model.profile times them)."""
        values = self._run[0]
        grads = [None] * self.n_slots
        for s, g in zip(self.output_slots, output_grads):
            if g is not None:
                grads[s] = g if grads[s] is None else grads[s] + g
        logits_steps = {id(self._producer[self.output_slots[k]]) for k in from_logits}
        # Per-layer bookkeeping only where it matters: shared layers, or a shared model's later call.
        careful = bool(self._shared_layers) or not regularize or bool(self._run[1])
        sums, seen = {}, set()
        for step in self._backward_order:
            if len(step.outputs) == 1:
                dy = grads[step.outputs[0]]
                if dy is None:
                    _zero_grads(step.layers)
                    continue
            else:
                dy = [grads[s] for s in step.outputs]
                if all(g is None for g in dy):
                    _zero_grads(step.layers)
                    continue
                dy = [_zeros_like(values[s]) if g is None else g for s, g in zip(step.outputs, dy)]
            if careful:
                self._restore(step)
                for layer in step.layers:
                    layer.regularize_in_backward = regularize and id(layer) not in seen
                    seen.add(id(layer))
            step.layers[0].need_input_grad = step.need_input_grad
            run = step.backward_from_logits if id(step) in logits_steps else step.backward
            if record is not None:
                record[id(step)] = (run, dy)
            dx = run(dy)
            if step.shared:
                _sum_weight_grads(step.layers, sums)
            if not step.need_input_grad:
                continue
            if step.single_input:
                s = step.inputs[0]
                if dx is not None:
                    grads[s] = dx if grads[s] is None else grads[s] + dx
                continue
            for s, g in zip(step.inputs, dx):
                if g is not None:
                    grads[s] = g if grads[s] is None else grads[s] + g
        if careful:
            for layer in self.layers:
                layer.regularize_in_backward = True
            for layer in self._shared_layers:
                for w in layer.trainable_weights:
                    if id(w) in sums:
                        w.grad = sums[id(w)]
        return [grads[s] for s in self.input_slots]


def keras_layer_order(inputs, outputs):
    """The layers between inputs and outputs in Keras's order (``model.layers``, and so the order
    of ``get_weights()``): by depth, the inputs' first, and within a depth in the order a walk
    from the outputs first meets them (keras/src/models/functional.py, ``_build_map``)."""
    input_ids = {id(t) for t in inputs}
    first_met, post_order, done = {}, [], set()

    def visit(tensor):
        node = tensor.node
        if id(node) in done:
            return
        first_met.setdefault(id(node.layer), len(first_met))
        if id(tensor) not in input_ids:
            for t in node.inputs:
                visit(t)
        done.add(id(node))
        post_order.append(node)

    for t in outputs:
        visit(t)
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        if id(node.outputs[0]) not in input_ids or node.inputs:
            for t in node.inputs:
                node_depth[id(t.node)] = max(depth + 1, node_depth.get(id(t.node), 0))
    return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)], first_met[id(layer)]))


def unique(items):
    """items without repeats (by identity), in first-seen order."""
    seen, out = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


def _zeros_like(array):
    return np.zeros_like(array)


def _zero_grads(layers):
    for layer in layers:
        for w in layer.trainable_weights:
            w.grad = np.zeros_like(w.value)


def _sum_weight_grads(layers, sums):
    for layer in layers:
        for w in layer.trainable_weights:
            if w.grad is not None:
                sums[id(w)] = w.grad.copy() if id(w) not in sums else sums[id(w)] + w.grad
