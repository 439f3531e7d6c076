"""Sequential's training step runs a ReLU Conv2D and the MaxPooling2D after it as one engine call
each way (fastconv._conv_pool): the same outputs and gradients as the layers one by one."""

import numpy as np
import pytest

from fastconv import _conv_pool, layers
from fastconv.models import Sequential, _backward_calls, _forward_calls
from fastconv.utils import set_random_seed


def model(data_format="channels_last", activation="relu", pool_kwargs=None, dtype="float32"):
    set_random_seed(5)
    shape = (10, 10, 3) if data_format == "channels_last" else (3, 10, 10)
    m = Sequential([layers.Conv2D(6, 3, activation=activation, data_format=data_format, input_shape=shape, dtype=dtype),
                    layers.MaxPooling2D(data_format=data_format, dtype=dtype, **(pool_kwargs or {})),
                    layers.Conv2D(5, 2, activation="relu", data_format=data_format, dtype=dtype),
                    layers.MaxPooling2D(data_format=data_format, dtype=dtype),
                    layers.Flatten(data_format=data_format, dtype=dtype),
                    layers.Dense(3, activation="softmax", dtype=dtype)])
    m.compile(optimizer="sgd", loss="categorical_crossentropy")
    m.build((None, *shape))
    m._set_need_input_grad()
    return m


def step_gradients(m, x, forward_calls, backward_calls):
    out = x
    for call in forward_calls:
        out = call(out, training=True)
    grad = m.layers[-1].backward_from_logits(m.loss.softmax_value_and_gradient(np.eye(3)[[0, 1, 2, 0, 1]],
                                                                               m.layers[-1].logits)[1])
    for call in backward_calls:
        grad = call(grad)
    return out, [w.grad.copy() for w in m.trainable_weights]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("pool_kwargs", [{}, {"pool_size": 3, "strides": 1, "padding": "same"}],
                         ids=["disjoint", "overlapping-same"])
def test_fused_step_gives_the_layer_by_layer_outputs_and_gradients(rng, dtype, pool_kwargs):
    m = model(pool_kwargs=pool_kwargs, dtype=dtype)
    x = rng.standard_normal((5, 10, 10, 3)).astype(dtype)
    forward, back = _forward_calls(m._layers), _backward_calls(m._layers[:-1][::-1])
    assert [type(c).__name__ for c in forward[:2]] == ["ConvPoolForward", "ConvPoolForward"]
    assert [type(c).__name__ for c in back[-2:]] == ["ConvPoolBackward", "ConvPoolBackward"]
    fused_out, fused = step_gradients(m, x, forward, back)
    plain_layers = m._layers[:-1][::-1]
    plain_out, plain = step_gradients(m, x, [layer.forward for layer in m._layers],
                                      [layer.backward for layer in plain_layers])
    np.testing.assert_array_equal(fused_out, plain_out)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for f, p in zip(fused, plain):
        assert np.abs(p).max() > 0
        np.testing.assert_allclose(f, p, rtol=tol, atol=tol * np.abs(p).max())


def test_only_nhwc_relu_convolutions_before_a_max_pool_are_fused():
    for m in (model(activation="linear"), model(data_format="channels_first")):
        first = _forward_calls(m._layers)[0]
        assert not isinstance(first, _conv_pool.ConvPoolForward)
    m = model("channels_first")
    assert not any(isinstance(c, _conv_pool.ConvPoolBackward) for c in _backward_calls(m._layers[::-1]))


def test_the_convolution_refuses_its_own_backward_after_a_fused_forward(rng):
    m = model()
    conv, pool = m.layers[0], m.layers[1]
    y = _conv_pool.ConvPoolForward(conv, pool)(rng.standard_normal((2, 10, 10, 3)).astype(np.float32))
    with pytest.raises(RuntimeError, match="ran fused with the max pooling"):
        conv.backward(np.ones((2, 8, 8, 6), np.float32))
    # The pool's own backward still gives the gradient w.r.t. the convolution's output.
    dense = pool.backward(np.ones_like(y))
    assert dense.shape == (2, 8, 8, 6) and dense.sum() == y.size


def test_training_with_the_fused_pair_learns_as_the_plain_layers(rng):
    x = rng.random((40, 10, 10, 3)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 40)]
    m = model()
    m.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    plain = model()
    for _ in range(2):
        for start in range(0, 40, 8):
            xb, yb = x[start:start + 8], y[start:start + 8]
            plain._forward(xb, training=True)
            _, grad = plain.loss.softmax_value_and_gradient(yb, plain.layers[-1].logits)
            grad = plain.layers[-1].backward_from_logits(grad)
            for layer in plain._layers[:-1][::-1]:
                grad = layer.backward(grad)
            plain.optimizer.apply(plain.trainable_weights)
    for a, b in zip(m.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
