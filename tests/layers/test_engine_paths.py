"""Conv2D and Dense call the engine directly with geometry checked once per input shape; these
tests hold them to the checked functional API they replace (same engine calls, same results)."""

import pickle

import numpy as np
import pytest

from fastconv import _core, activations, functional as F, layers, regularizers

RNG = np.random.default_rng(11)

CONV_CASES = [  # descriptor: data format, activation, bias, strides, padding, dilation, groups, dtype
    ("channels_last", "relu", True, 1, "valid", 1, 1, "float32"),
    ("channels_last", "linear", False, 2, "same", 1, 1, "float64"),
    ("channels_last", "softmax", True, 1, "same", 2, 1, "float32"),
    ("channels_last", "tanh", True, 1, "valid", 1, 2, "float64"),
    ("channels_first", "relu", True, 1, "valid", 1, 1, "float32"),
    ("channels_first", "linear", True, 2, "same", 1, 2, "float64"),
]


def _conv_case(fmt, activation, use_bias, strides, padding, dilation, groups, dtype):
    layer = layers.Conv2D(4, 3, strides=strides, padding=padding, dilation_rate=dilation, groups=groups,
                          activation=activation, use_bias=use_bias, data_format=fmt, dtype=dtype,
                          kernel_regularizer=regularizers.l2(0.1), bias_initializer="ones")
    shape = (3, 9, 8, 2) if fmt == "channels_last" else (3, 2, 9, 8)
    layer.build((None,) + shape[1:])
    return layer, RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "-".join(map(str, c)))
def test_conv2d_engine_path_matches_functional(case):
    fmt, activation, use_bias = case[:3]
    layer, x = _conv_case(*case)
    y = layer(x)
    kernel = layer.kernel if fmt == "channels_last" else layer.kernel.transpose(3, 2, 0, 1)
    geometry = layer._geometry()
    z = F.conv2d(x, kernel, layer.bias, activation="relu" if activation == "relu" else None, **geometry)
    expected = activations.forward(activation, z)
    if activation == "softmax":             # the engine's softmax: equal up to rounding
        np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(y, expected)
    dy = RNG.standard_normal(y.shape).astype(x.dtype)
    dx = layer.backward(dy)
    dz = dy if activation in ("relu", "linear") else activations.backward(activation, dy, y)
    ex_dx, ex_dw, ex_db = F.conv2d_backward(dz, x, kernel, **geometry, activation="relu" if activation == "relu"
                                            else None, y=y if activation == "relu" else None)
    if fmt == "channels_first":
        ex_dw = ex_dw.transpose(2, 3, 1, 0)
    ex_dw = ex_dw + x.dtype.type(2 * 0.1) * layer.kernel      # the L2 term, as Keras adds it
    close = dict(rtol=1e-5, atol=1e-6) if activation == "softmax" else dict(rtol=0, atol=0)
    np.testing.assert_allclose(dx, ex_dx, **close)
    np.testing.assert_allclose(layer._weights[0].grad, ex_dw, **close)
    assert layer._weights[0].grad.shape == layer.kernel.shape and dx.shape == x.shape
    if use_bias:
        np.testing.assert_allclose(layer._weights[1].grad, ex_db, **close)


def test_conv2d_engine_path_skips_dx_for_the_first_layer_and_follows_auto_on_large_kernels():
    x = RNG.standard_normal((2, 40, 40, 2)).astype(np.float32)
    layer = layers.Conv2D(3, 7, padding="same", activation="relu")
    layer.build((None, 40, 40, 2))
    np.testing.assert_allclose(layer(x), F.conv2d(x, layer.kernel, layer.bias, padding="same", activation="relu"),
                               rtol=1e-5, atol=1e-5)   # whichever algorithm "auto" picks, both pick it
    layer.need_input_grad = False
    assert layer.backward(np.ones((2, 40, 40, 3), np.float32)) is None


def test_conv2d_geometry_is_checked_once_per_input_shape():
    layer = layers.Conv2D(2, 3, padding="same")
    layer.build((None, None, 5, 1))         # any height
    for n, h in ((2, 6), (3, 6), (2, 9), (2, 6)):
        x = RNG.standard_normal((n, h, 5, 1)).astype(np.float32)
        np.testing.assert_array_equal(layer(x), F.conv2d(x, layer.kernel, layer.bias, padding="same"))
    assert set(layer._calls) == {(2, 6, 5, 1), (3, 6, 5, 1), (2, 9, 5, 1)}


@pytest.mark.parametrize("activation", ["relu", "linear", "softmax"])
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 7)], ids=["2d", "3d"])
def test_dense_engine_path_matches_functional(activation, shape):
    layer = layers.Dense(4, activation=activation, kernel_regularizer=regularizers.l2(0.5),
                         bias_initializer="ones")
    x = RNG.standard_normal(shape).astype(np.float32)
    y = layer(x)
    z = F.dense(x, layer.kernel, layer.bias, activation="relu" if activation == "relu" else None)
    np.testing.assert_allclose(y, activations.forward(activation, z), rtol=1e-6, atol=1e-7)
    dy = RNG.standard_normal(y.shape).astype(np.float32)
    if activation == "softmax":             # as Sequential does with cross-entropy
        dx, dz = layer.backward_from_logits(dy), dy
    else:
        dx, dz = layer.backward(dy), dy
    ex_dx, ex_dw, ex_db = F.dense_backward(dz, x, layer.kernel, activation="relu" if activation == "relu" else None,
                                           y=y)
    np.testing.assert_array_equal(dx, ex_dx)
    np.testing.assert_array_equal(layer._weights[0].grad, ex_dw + np.float32(2 * 0.5) * layer.kernel)
    np.testing.assert_array_equal(layer._weights[1].grad, ex_db)


@pytest.mark.parametrize("make", [lambda x: x.tolist(), lambda x: x.astype(np.float64),
                                  lambda x: np.asfortranarray(x)], ids=["list", "float64", "fortran"])
def test_inputs_off_the_fast_check_give_the_same_results(make):
    conv = layers.Conv2D(3, 3, activation="relu", input_shape=(6, 6, 2))
    dense = layers.Dense(3)
    x = RNG.standard_normal((4, 6, 6, 2)).astype(np.float32)
    y = conv(x)
    np.testing.assert_array_equal(conv(make(x)), y)
    flat = y.reshape(4, -1)
    np.testing.assert_array_equal(dense(make(flat)), dense(flat))
    dy = RNG.standard_normal(y.shape).astype(np.float32)
    conv(x)
    dx = conv.backward(dy)
    np.testing.assert_array_equal(conv.backward(make(dy)), dx)


def test_engine_accepts_unpickled_arrays_and_refuses_byte_swapped_ones():
    # An unpickled array's dtype is equal to, not the same object as, float32 (e.g. in a joblib worker).
    x = pickle.loads(pickle.dumps(RNG.standard_normal((2, 5, 5, 1)).astype(np.float32)))
    w = pickle.loads(pickle.dumps(np.ones((3, 3, 1, 2), np.float32)))
    assert x.dtype is not np.dtype(np.float32)
    y = _core.conv2d_forward(x, w, None, (1, 1), (0, 0, 0, 0), (1, 1), 1, False, "auto")
    np.testing.assert_array_equal(y, F.conv2d(x, w))
    layer = pickle.loads(pickle.dumps(layers.Conv2D(2, 3, input_shape=(5, 5, 1))))
    np.testing.assert_array_equal(layer(x), F.conv2d(x, layer.kernel, layer.bias))
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64, got >f4"):
        _core.conv2d_forward(x.astype(">f4"), w, None, (1, 1), (0, 0, 0, 0), (1, 1), 1, False, "auto")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_engine_softmax_matches_numpy(dtype):
    z = (RNG.standard_normal((6, 3, 11)) * 20).astype(dtype)
    z[0, 0, :] = 1e4                        # large logits stay finite
    p = _core.softmax(z)
    assert p.dtype == z.dtype and p.shape == z.shape
    np.testing.assert_allclose(p, activations.softmax(z), rtol=1e-6 if dtype == "float32" else 1e-13, atol=1e-30)
