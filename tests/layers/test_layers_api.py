"""Layer construction, shapes, weights, configs, initializers and bad inputs (Keras's names and defaults)."""

import math

import numpy as np
import pytest

from fastconv import activations, initializers, layers, regularizers


def test_conv2d_defaults_and_keras_weight_layout():
    layer = layers.Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3))
    assert (layer.strides, layer.padding, layer.dilation_rate, layer.groups) == ((1, 1), "valid", (1, 1), 1)
    assert layer.data_format == "channels_last" and layer.use_bias and layer.activation == "relu"
    layer.build((None, 32, 32, 3))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 3, 32) and bias.shape == (32,) and kernel.dtype == np.float32
    assert not bias.any()
    assert layer.compute_output_shape((None, 32, 32, 3)) == (None, 30, 30, 32)
    assert layer.count_params() == 896


def test_conv2d_matches_a_direct_computation_with_keras_weights():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 6, 3))
    kernel, bias = rng.standard_normal((3, 2, 3, 4)), rng.standard_normal(4)
    layer = layers.Conv2D(4, (3, 2), activation="relu", dtype="float64")
    layer.build((None, 5, 6, 3))
    layer.set_weights([kernel, bias])
    expected = np.zeros((2, 3, 5, 4))
    for i in range(3):
        for j in range(5):
            expected[:, i, j] = np.einsum("nhwc,hwco->no", x[:, i:i + 3, j:j + 2], kernel) + bias
    np.testing.assert_allclose(layer(x), np.maximum(expected, 0), rtol=1e-12, atol=1e-12)
    # channels_first: same kernel (Keras keeps HWIO), transposed activations
    cf = layers.Conv2D(4, (3, 2), activation="relu", data_format="channels_first", dtype="float64")
    cf.build((None, 3, 5, 6))
    cf.set_weights([kernel, bias])
    np.testing.assert_allclose(cf(x.transpose(0, 3, 1, 2)), np.maximum(expected, 0).transpose(0, 3, 1, 2),
                               rtol=1e-12, atol=1e-12)


def test_dense_matches_numpy_and_keeps_keras_kernel_order():
    rng = np.random.default_rng(1)
    layer = layers.Dense(3, activation="softmax", dtype="float64")
    x = rng.standard_normal((4, 5))
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (5, 3)
    z = x @ kernel + bias
    np.testing.assert_allclose(y, np.exp(z) / np.exp(z).sum(1, keepdims=True))
    np.testing.assert_allclose(layer.logits, z)


def test_glorot_uniform_uses_keras_fans():
    assert initializers.compute_fans((3, 3, 1, 10)) == (9, 90)
    assert initializers.compute_fans((90, 50)) == (90, 50)
    w = initializers.GlorotUniform(seed=0)((3, 3, 16, 32))
    limit = math.sqrt(6 / (16 * 9 + 32 * 9))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    assert abs(w.std() - limit / math.sqrt(3)) < 0.02 * limit
    he = initializers.get("he_normal")((400, 300))
    assert abs(he.std() - math.sqrt(2 / 400)) < 0.03 * math.sqrt(2 / 400)
    assert np.abs(he).max() <= 2 * math.sqrt(2 / 400) / 0.87962566103423978 + 1e-9


def test_initializers_are_seeded_by_set_random_seed():
    from fastconv._random import set_random_seed
    set_random_seed(5)
    a = layers.Dense(4)
    a.build((None, 3))
    set_random_seed(5)
    b = layers.Dense(4)
    b.build((None, 3))
    np.testing.assert_array_equal(a.kernel, b.kernel)
    c = layers.Dense(4)
    c.build((None, 3))
    assert not np.array_equal(a.kernel, c.kernel)


def test_layer_names_are_unique_and_snake_case():
    a, b = layers.MaxPooling2D(), layers.MaxPooling2D()
    assert a.name.startswith("max_pooling2d") and b.name != a.name
    assert layers.ReLU().name.startswith("re_lu")
    assert layers.Dense(1, name="out").name == "out"


@pytest.mark.parametrize("layer", [
    layers.Conv2D(4, 3, strides=2, padding="same", activation="tanh", kernel_regularizer=regularizers.l2(1e-4),
                  kernel_initializer=initializers.HeNormal(seed=1), input_shape=(8, 8, 1)),
    layers.Dense(5, activation="softmax", bias_regularizer=regularizers.l1_l2(0.1, 0.2)),
    layers.MaxPooling2D((3, 3), strides=1, padding="same"), layers.AveragePooling2D(),
    layers.GlobalAveragePooling2D(keepdims=True), layers.Flatten(), layers.Dropout(0.3, seed=2),
    layers.Activation("sigmoid"), layers.ReLU(max_value=6.0), layers.Softmax(axis=1),
    layers.BatchNormalization(momentum=0.9, epsilon=1e-5),
], ids=lambda l: type(l).__name__)
def test_get_config_round_trips(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert layers.get(layers.serialize(layer)).get_config() == layer.get_config()


def test_set_weights_checks_count_and_shapes():
    layer = layers.Dense(3)
    layer.build((None, 4))
    with pytest.raises(ValueError, match=r"expects 2 weight arrays"):
        layer.set_weights([np.zeros((4, 3))])
    with pytest.raises(ValueError, match=r"shape \(4, 3\).*\(3, 4\)"):
        layer.set_weights([np.zeros((3, 4)), np.zeros(3)])
    kernel = layer.kernel
    layer.set_weights([np.ones((4, 3)), np.zeros(3)])
    assert layer.kernel is kernel and kernel.sum() == 12     # in place


def test_batch_normalization_moving_statistics_follow_keras():
    layer = layers.BatchNormalization(dtype="float64")
    x = np.random.default_rng(0).standard_normal((64, 3)) * 2 + 5
    layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean, 0.01 * x.mean(0))
    np.testing.assert_allclose(layer.moving_variance, 0.99 + 0.01 * x.var(0))
    assert [w.name.split("/")[-1] for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name.split("/")[-1] for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    y = layer(x, training=False)
    np.testing.assert_allclose(y, (x - layer.moving_mean) / np.sqrt(layer.moving_variance + 1e-3))


def test_relu_layer_and_activations_values():
    x = np.array([[-2.0, -0.5, 0.5, 3.0, 8.0]])
    np.testing.assert_allclose(layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=1.0)(x),
                               [[-0.3, -0.15, -0.05, 3.0, 6.0]])
    np.testing.assert_allclose(activations.sigmoid(np.array([-800.0, 0.0, 800.0])), [0.0, 0.5, 1.0])
    assert np.isfinite(activations.softmax(np.array([[1e4, -1e4]]))).all()
    assert activations.get(None) == "linear" and activations.get(activations.tanh) == "tanh"


def test_input_layer_and_shapes():
    inp = layers.Input((8, 8, 1))   # a symbolic tensor, as Keras's (issue #15): batch axis first
    assert isinstance(inp.node.layer, layers.InputLayer) and inp.node.layer.shape == (8, 8, 1)
    assert inp.shape == (None, 8, 8, 1) and inp.dtype == "float32"
    assert layers.Flatten().compute_output_shape((None, 3, 4, 5)) == (None, 60)
    assert layers.GlobalAveragePooling2D().compute_output_shape((None, 3, 4, 5)) == (None, 5)
    assert layers.MaxPooling2D().compute_output_shape((None, 7, 7, 2)) == (None, 3, 3, 2)
    assert layers.MaxPooling2D(padding="same").compute_output_shape((None, 7, 7, 2)) == (None, 4, 4, 2)


# ----- bad inputs: each error names the argument, what was expected and what was received

@pytest.mark.parametrize("factory,error,match", [
    (lambda: layers.Conv2D(0, 3), ValueError, r"filters must be a positive int, got 0"),
    (lambda: layers.Conv2D(4.5, 3), ValueError, r"filters must be a positive int, got 4.5"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), TypeError, r"kernel_size must be an int or a pair"),
    (lambda: layers.Conv2D(4, 3, padding="full"), ValueError, r"padding must be 'valid' or 'same', got 'full'"),
    (lambda: layers.Conv2D(4, 3, strides=0), ValueError, r"strides must be >= 1, got 0"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), ValueError, r"strides > 1 is incompatible"),
    (lambda: layers.Conv2D(4, 3, groups=3), ValueError, r"filters must be a multiple of groups"),
    (lambda: layers.Conv2D(4, 3, activation="swish"), ValueError, r"activation must be one of .* got 'swish'"),
    (lambda: layers.Conv2D(4, 3, data_format="nhwc"), ValueError, r"data_format must be"),
    (lambda: layers.Conv2D(4, 3, kernel_initializer="glorot"), ValueError, r"kernel_initializer must be one of"),
    (lambda: layers.Conv2D(4, 3, kernel_regularizer=0.1), TypeError, r"kernel_regularizer must be None, a Regularizer"),
    (lambda: layers.Conv2D(4, 3, input_shape=(8, -8, 1)), ValueError, r"input_shape must be a tuple of positive"),
    (lambda: layers.Conv2D(4, 3, kernel_constraint=None), TypeError, r"unexpected keyword argument.*kernel_constraint"),
    (lambda: layers.Dense(0), ValueError, r"units must be a positive int, got 0"),
    (lambda: layers.Dense(3, use_bias="yes"), TypeError, r"use_bias must be a bool, got 'yes'"),
    (lambda: layers.Dense(3, dtype="int32"), TypeError, r"dtype must be 'float32' or 'float64', got int32"),
    (lambda: layers.MaxPooling2D(pool_size=0), ValueError, r"pool_size must be >= 1"),
    (lambda: layers.AveragePooling2D(padding="full"), ValueError, r"padding must be 'valid' or 'same'"),
    (lambda: layers.Dropout(1.0), ValueError, r"rate must be a float >= 0.0 and < 1.0, got 1.0"),
    (lambda: layers.Dropout(-0.1), ValueError, r"rate must be a float"),
    (lambda: layers.Activation("gelu"), ValueError, r"activation must be one of"),
    (lambda: layers.ReLU(max_value=-1), ValueError, r"max_value must be a float >= 0.0, got -1"),
    (lambda: layers.Softmax(axis="last"), TypeError, r"axis must be an int"),
    (lambda: layers.BatchNormalization(momentum=2.0), ValueError, r"momentum must be a float in \[0, 1\]"),
    (lambda: layers.BatchNormalization(epsilon=0), ValueError, r"epsilon must be > 0"),
    (lambda: layers.Input(), ValueError, r"needs shape="),
    (lambda: regularizers.l2(-1.0), ValueError, r"l2 must be a finite float >= 0, got -1.0"),
    (lambda: regularizers.get("l3"), ValueError, r"regularizer must be one of"),
    (lambda: initializers.VarianceScaling(mode="fan_middle"), ValueError, r"mode must be one of"),
    (lambda: initializers.VarianceScaling(scale=0), ValueError, r"scale must be a positive float, got 0"),
    (lambda: initializers.VarianceScaling(distribution="cauchy"), ValueError, r"distribution must be one of"),
    (lambda: initializers.GlorotUniform(seed=-1), TypeError, r"seed must be None or an int >= 0, got -1"),
    (lambda: initializers.get(3), TypeError, r"initializer must be a name such as 'glorot_uniform'"),
    (lambda: activations.get(3), ValueError, r"activation must be one of"),
    (lambda: layers.Dense(3, name=""), TypeError, r"name must be a non-empty str"),
    (lambda: layers.Dense(3, trainable="no"), TypeError, r"trainable must be a bool"),
    (lambda: layers.GlobalAveragePooling2D(keepdims=1), TypeError, r"keepdims must be a bool"),
    (lambda: layers.get({"class_name": "LSTM"}), ValueError, r"unknown layer config .* known classes"),
], ids=lambda v: None)
def test_bad_constructor_arguments(factory, error, match):
    with pytest.raises(error, match=match):
        factory()


def test_bad_call_inputs_name_layer_and_shapes():
    conv = layers.Conv2D(4, 3, input_shape=(8, 8, 1))
    conv.build((None, 8, 8, 1))
    with pytest.raises(ValueError, match=r"expects 4-D input, got shape \(8, 8\)"):
        conv(np.zeros((8, 8)))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(None, 8, 8, 1\), got shape \(2, 8, 8, 3\)"):
        conv(np.zeros((2, 8, 8, 3)))
    with pytest.raises(TypeError, match=r"input must be numeric, got dtype <U1"):
        conv(np.full((1, 8, 8, 1), "a"))
    with pytest.raises(ValueError, match=r"kernel \(5, 5\) does not fit the input \(None, 3, 3, 1\)"):
        layers.Conv2D(2, 5).build((None, 3, 3, 1))
    with pytest.raises(ValueError, match=r"input channels 3 must be a multiple of groups=2"):
        layers.Conv2D(2, 1, groups=2).build((None, 4, 4, 3))
    with pytest.raises(RuntimeError, match=r"backward called before forward"):
        layers.Flatten().backward(np.zeros((1, 2)))
    dense = layers.Dense(3)
    y = dense(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(2, 3\), got \(2, 4\)"):
        dense.backward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"pool_size \(3, 3\) is larger than the input"):
        layers.MaxPooling2D(3).build((None, 2, 2, 1))
    assert y.shape == (2, 3)


def test_set_random_seed_checks_its_argument():
    from fastconv._random import set_random_seed
    with pytest.raises(TypeError, match=r"seed must be an int, got '1'"):
        set_random_seed("1")
    with pytest.raises(ValueError, match=r"seed must be >= 0, got -3"):
        set_random_seed(-3)


def test_relu_layer_at_its_threshold_gives_the_lower_side_as_keras():
    """At x == threshold Keras's ReLU outputs the lower side (0 for the plain ReLU) with a zero
    gradient (TensorFlow's relu); found by the subclassed-model parity test (issue #15)."""
    x = np.array([[-1.0, 0.0, 1.0, 2.0]], np.float32)
    plain = layers.ReLU()
    assert plain(x).tolist() == [[0.0, 0.0, 1.0, 2.0]]
    assert plain.backward(np.ones_like(x)).tolist() == [[0.0, 0.0, 1.0, 1.0]]
    shifted = layers.ReLU(threshold=1.0, negative_slope=0.5)
    assert shifted(x).tolist() == [[-1.0, -0.5, 0.0, 2.0]]
    assert shifted.backward(np.ones_like(x)).tolist() == [[0.5, 0.5, 0.5, 1.0]]
