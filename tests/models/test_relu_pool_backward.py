"""Sequential's backward through Conv2D(relu) -> MaxPooling2D: the pool applies the ReLU's mask to
its own gradient and the convolution skips its own; the gradients are those of the plain chain."""

import numpy as np
import pytest

from fastconv import layers
from fastconv.models import Sequential
from fastconv.training.executor import Executor
from fastconv.utils import set_random_seed


def model(data_format, pool_kwargs, activation="relu"):
    set_random_seed(3)
    shape = (9, 9, 3) if data_format == "channels_last" else (3, 9, 9)
    m = Sequential([layers.Conv2D(4, 3, activation="relu", data_format=data_format, input_shape=shape),
                    layers.Conv2D(5, 2, activation=activation, data_format=data_format),
                    layers.MaxPooling2D(data_format=data_format, **pool_kwargs),
                    layers.Flatten(data_format=data_format),
                    layers.Dense(3, activation="softmax")])
    m.compile(optimizer="sgd", loss="categorical_crossentropy")
    m.build((None, *shape))
    m._ensure_graph()
    return m


def gradients(m, x, ex):
    out = ex.forward([x], training=True)[0]
    _, grad = m.loss.softmax_value_and_gradient(np.eye(3)[[0, 1, 2, 0]], ex.logits(0))
    ex.backward([grad], from_logits=[0])
    return [w.grad.copy() for w in m.trainable_weights], out


def step_kinds(ex):
    return [("ConvPoolBackward" if type(step.backward).__name__ == "ConvPoolBackward" else
             "pair" if len(step.layers) == 2 else "backward") for step in ex.steps]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("pool_kwargs", [{}, {"pool_size": 3, "strides": 1, "padding": "same"}],
                         ids=["disjoint", "overlapping-same"])
def test_fused_relu_mask_gives_the_plain_gradients(rng, data_format, pool_kwargs):
    m = model(data_format, pool_kwargs)
    x = rng.standard_normal((4, *m.input_shape[1:])).astype(np.float32)
    fused_executor = Executor(m.inputs, m.outputs)
    # NHWC: one engine call for the pair (fastconv._conv_pool); else the pool's masked backward, then
    # the convolution's from its pre-activation gradient, as one step.
    pair = "ConvPoolBackward" if data_format == "channels_last" else "pair"
    assert step_kinds(fused_executor) == ["backward", pair, "backward", "backward"]
    fused, _ = gradients(m, x, fused_executor)
    plain, _ = gradients(m, x, Executor(m.inputs, m.outputs, fuse=False))
    for f, p in zip(fused, plain):
        assert np.abs(p).max() > 0
        np.testing.assert_allclose(f, p, rtol=1e-6, atol=1e-7)


def test_only_a_relu_convolution_before_a_max_pool_is_fused():
    m = model("channels_last", {}, activation="linear")
    assert step_kinds(Executor(m.inputs, m.outputs)) == ["backward"] * 5


def test_fused_backward_calls_check_their_gradient(rng):
    m = model("channels_last", {})
    pool, conv = m.layers[2], m.layers[1]
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layers.MaxPooling2D().backward_through_relu(np.zeros((1, 2, 2, 1), np.float32))
    Executor(m.inputs, m.outputs, fuse=False).forward([rng.standard_normal((2, 9, 9, 3)).astype(np.float32)], True)
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(2, 3, 3, 5\), got \(2, 3, 3, 4\)"):
        pool.backward_through_relu(np.zeros((2, 3, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(2, 6, 6, 5\), got \(2, 6, 6\)"):
        conv.backward_from_preactivation(np.zeros((2, 6, 6), np.float32))
