"""Sequential's backward through Conv2D(relu) -> MaxPooling2D: the pool applies the ReLU's mask to
its own gradient and the convolution skips its own; the gradients are those of the plain chain."""

import numpy as np
import pytest

from fastconv import layers
from fastconv.models import Sequential, _backward_calls
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
    m._set_need_input_grad()
    return m


def gradients(m, x, calls):
    out = m._forward(x, training=True)
    grad = m.layers[-1].backward_from_logits(m.loss.softmax_value_and_gradient(np.eye(3)[[0, 1, 2, 0]],
                                                                               m.layers[-1].logits)[1])
    for call in calls:
        grad = call(grad)
    return [w.grad.copy() for w in m.trainable_weights], out


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("pool_kwargs", [{}, {"pool_size": 3, "strides": 1, "padding": "same"}],
                         ids=["disjoint", "overlapping-same"])
def test_fused_relu_mask_gives_the_plain_gradients(rng, data_format, pool_kwargs):
    m = model(data_format, pool_kwargs)
    x = rng.standard_normal((4, *m.input_shape[1:])).astype(np.float32)
    back = m._layers[:-1][::-1]
    calls = _backward_calls(back)
    # NHWC: one engine call for the pair (fastconv._conv_pool); else the pool's masked backward, then
    # the convolution's from its pre-activation gradient.
    pair = (["ConvPoolBackward"] if data_format == "channels_last"
            else ["backward_through_relu", "backward_from_preactivation"])
    assert [getattr(c, "__name__", type(c).__name__) for c in calls] == ["backward", *pair, "backward"]
    fused, _ = gradients(m, x, calls)
    plain, _ = gradients(m, x, [layer.backward for layer in back])
    for f, p in zip(fused, plain):
        assert np.abs(p).max() > 0
        np.testing.assert_allclose(f, p, rtol=1e-6, atol=1e-7)


def test_only_a_relu_convolution_before_a_max_pool_is_fused():
    m = model("channels_last", {}, activation="linear")
    names = [call.__name__ for call in _backward_calls(m._layers[:-1][::-1])]
    assert names == ["backward", "backward", "backward", "backward"]


def test_fused_backward_calls_check_their_gradient(rng):
    m = model("channels_last", {})
    pool, conv = m.layers[2], m.layers[1]
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layers.MaxPooling2D().backward_through_relu(np.zeros((1, 2, 2, 1), np.float32))
    m._forward(rng.standard_normal((2, 9, 9, 3)).astype(np.float32), training=True)
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(2, 3, 3, 5\), got \(2, 3, 3, 4\)"):
        pool.backward_through_relu(np.zeros((2, 3, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(2, 6, 6, 5\), got \(2, 6, 6\)"):
        conv.backward_from_preactivation(np.zeros((2, 6, 6), np.float32))
