"""The executor's fusion rule runs a ReLU Conv2D and the MaxPooling2D after it as one engine call
each way (fastconv._conv_pool): the same outputs and gradients as the layers one by one."""

import numpy as np
import pytest

from fastconv import _conv_pool, layers
from fastconv.models import Sequential
from fastconv.training.executor import Executor
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
    m._ensure_graph()
    return m


def executor(m, fuse=True):
    return Executor(m.inputs, m.outputs, fuse=fuse)


def step_gradients(m, x, ex):
    out = ex.forward([x], training=True)[0]
    _, grad = m.loss.softmax_value_and_gradient(np.eye(3)[[0, 1, 2, 0, 1]], ex.logits(0))
    ex.backward([grad], from_logits=[0])
    return out, [w.grad.copy() for w in m.trainable_weights]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("pool_kwargs", [{}, {"pool_size": 3, "strides": 1, "padding": "same"}],
                         ids=["disjoint", "overlapping-same"])
def test_fused_step_gives_the_layer_by_layer_outputs_and_gradients(rng, dtype, pool_kwargs):
    m = model(pool_kwargs=pool_kwargs, dtype=dtype)
    x = rng.standard_normal((5, 10, 10, 3)).astype(dtype)
    fused_executor = executor(m)
    steps = fused_executor.steps
    assert [type(step.forward).__name__ for step in steps[:2]] == ["ConvPoolForward", "ConvPoolForward"]
    assert [type(step.backward).__name__ for step in steps[:2]] == ["ConvPoolBackward", "ConvPoolBackward"]
    fused_out, fused = step_gradients(m, x, fused_executor)
    plain_out, plain = step_gradients(m, x, executor(m, fuse=False))
    np.testing.assert_array_equal(fused_out, plain_out)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for f, p in zip(fused, plain):
        assert np.abs(p).max() > 0
        np.testing.assert_allclose(f, p, rtol=tol, atol=tol * np.abs(p).max())


def test_only_nhwc_relu_convolutions_before_a_max_pool_are_fused():
    for m in (model(activation="linear"), model(data_format="channels_first")):
        first = executor(m).steps[0]
        assert not isinstance(first.forward, _conv_pool.ConvPoolForward)
    m = model("channels_first")
    assert not any(isinstance(step.backward, _conv_pool.ConvPoolBackward) for step in executor(m).steps)


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
    plain_executor = executor(plain, fuse=False)
    for _ in range(2):
        for start in range(0, 40, 8):
            xb, yb = x[start:start + 8], y[start:start + 8]
            plain_executor.forward([xb], training=True)
            _, grad = plain.loss.softmax_value_and_gradient(yb, plain_executor.logits(0))
            plain_executor.backward([grad], from_logits=[0])
            plain.optimizer.apply(plain.trainable_weights)
    for a, b in zip(m.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
