"""Rewrite rules applied when a model's graph is compiled into steps.

A step is what the executor runs at once: one layer call, or a fused pair. Today's rule: a
``Conv2D(activation="relu")`` whose output only a ``MaxPooling2D`` reads (and that is not a model
output) runs with it as one step. NHWC pairs run as one engine call each way
(fastconv._conv_pool); other pairs run the two forwards, and backward the pool applies the
ReLU's mask to its own small gradient so that the convolution skips its pass over the large one.
"""

from fastconv import _conv_pool
from fastconv.layers import Conv2D, MaxPooling2D

__all__ = ["Step", "make_steps"]


class Step:
    """One unit of execution: layers (their caches belong to this step while it is pending),
    forward(x, training), backward(dy), backward_from_logits(dz), and the slots it reads and
    writes. The executor fills need_input_grad, has_trainable, runs_backward and shared."""

    __slots__ = ("layers", "forward", "backward", "backward_from_logits", "inputs", "outputs", "single_input",
                 "single_layer", "need_input_grad", "has_trainable", "runs_backward", "shared")

    def __init__(self, layers, forward, backward, inputs, outputs, single_input, backward_from_logits=None):
        self.layers, self.forward, self.backward = layers, forward, backward
        self.backward_from_logits = backward_from_logits
        self.inputs, self.outputs, self.single_input = inputs, outputs, single_input
        self.single_layer = len(layers) == 1
        self.need_input_grad = self.has_trainable = self.runs_backward = self.shared = False

    def __repr__(self):
        return f"<Step {'+'.join(layer.name for layer in self.layers)}: {self.inputs} -> {self.outputs}>"


def _relu_conv_then_pool(conv, pool):
    return (isinstance(conv, Conv2D) and isinstance(pool, MaxPooling2D) and conv.activation == "relu"
            and conv.dtype == pool.dtype)


def _pair_step(conv, pool, inputs, outputs):
    if _conv_pool.fusable(conv, pool):
        return Step([conv, pool], _conv_pool.ConvPoolForward(conv, pool), _conv_pool.ConvPoolBackward(conv, pool),
                    inputs, outputs, True)

    def forward(x, training=False):
        return pool.forward(conv.forward(x, training=training), training=training)

    def backward(dy):
        return conv.backward_from_preactivation(pool.backward_through_relu(dy))
    return Step([conv, pool], forward, backward, inputs, outputs, True)


def _layer_step(node, slot):
    layer = node.layer
    return Step([layer], layer.forward, layer.backward, [slot[id(t)] for t in node.inputs],
                [slot[id(t)] for t in node.outputs], node.single_input,
                getattr(layer, "backward_from_logits", None))


def make_steps(nodes, slot, readers, output_slots, fuse=True):
    """The steps for nodes (in execution order); slot maps a tensor to its slot, readers a slot
    to the nodes that read it, output_slots are the model's outputs."""
    steps, absorbed = [], set()
    for node in nodes:
        if id(node) in absorbed:
            continue
        if fuse and len(node.outputs) == 1:
            out = slot[id(node.outputs[0])]
            after = readers.get(out, [])
            if (len(after) == 1 and out not in output_slots and _relu_conv_then_pool(node.layer, after[0].layer)
                    and after[0].single_input):
                pool_node = after[0]
                absorbed.add(id(pool_node))
                steps.append(_pair_step(node.layer, pool_node.layer, [slot[id(node.inputs[0])]],
                                        [slot[id(pool_node.outputs[0])]]))
                continue
        steps.append(_layer_step(node, slot))
    return steps
