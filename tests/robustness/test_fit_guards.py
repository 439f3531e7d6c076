"""fit checks its data before the first step, stops on a NaN or Inf loss, repeats bitwise and keeps its
memory flat."""

import resource
import warnings

import numpy as np
import pytest

import fastconv
from fastconv import _fit_checks, layers, optimizers
from fastconv.models import Sequential
from fastconv.utils import set_random_seed
from tests.models.helpers import make_data, make_model


@pytest.fixture(autouse=True)
def _seeded():
    set_random_seed(0)


@pytest.mark.parametrize("where", ["x", "y"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_in_the_data_are_refused_up_front(where, value):
    x, y, _ = make_data(40)
    (x if where == "x" else y)[7, 0] = value
    model = make_model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=rf"fit: {where} holds NaN or Inf values in 1 of 40 samples \(first: sample 7\)"):
        model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # nothing trained


def test_large_finite_data_whose_sum_overflows_is_accepted():
    # The check's one-pass sum overflows to Inf here; min and max must clear it, quietly.
    x, y, _ = make_data(40)
    x[:, 0, 0, 0] = np.finfo(x.dtype).max
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.add.reduce(x, axis=None))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        _fit_checks.check_finite(x, "x", "fit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # training on such inputs overflows
        make_model().fit(x, y, epochs=1, verbose=0, terminate_on_nan=False)


def test_nan_in_validation_data_is_refused():
    x, y, _ = make_data(40)
    xv = x[:8].copy()
    xv[3, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"validation x holds NaN"):
        make_model().fit(x, y, epochs=1, verbose=0, validation_data=(xv, y[:8]))


def test_labels_out_of_range_for_the_loss():
    x, _, labels = make_data(40)
    model = make_model(loss="sparse_categorical_crossentropy")
    bad = labels.copy()
    bad[5] = 3
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\) for a model with 3 outputs, got values in \[0, 3\]"):
        model.fit(x, bad, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"got values in \[-1, 2\]"):
        model.fit(x, np.where(labels == 0, -1, labels), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="non-integer values"):
        model.fit(x, labels + 0.5, epochs=1, verbose=0)


def test_targets_that_do_not_match_the_output():
    x, _, labels = make_data(40)
    with pytest.raises(ValueError, match=r"y has shape \(40,\) but the model's output is \(None, 3\).*to_categorical"):
        make_model().fit(x, labels, epochs=1, verbose=0)


def test_mismatched_sample_counts():
    x, y, _ = make_data(40)
    with pytest.raises(ValueError, match=r"same number of samples"):
        make_model().fit(x, y[:39], epochs=1, verbose=0)


def test_unscaled_integer_images_warn():
    x, y, _ = make_data(40)
    pixels = np.clip(x * 100 + 128, 0, 255).astype(np.uint8)
    with pytest.warns(RuntimeWarning, match=r"uint8 with values up to 2\d\d.*x / 255.0"):
        make_model().fit(pixels, y, epochs=1, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_model().fit((pixels / 255.0).astype(np.float32), y, epochs=1, verbose=0)


def test_a_nan_loss_stops_training_naming_epoch_and_batch():
    x, y, _ = make_data(64)
    model = make_model(optimizer=optimizers.SGD(learning_rate=1e30))
    with pytest.warns(RuntimeWarning, match=r"the loss became (nan|inf) in epoch 1, batch \d+; training stopped"):
        history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert len(history.epoch) == 1
    model = make_model(optimizer=optimizers.SGD(learning_rate=1e30))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, terminate_on_nan=False)
    assert len(history.epoch) == 3


def test_fit_is_bitwise_repeatable_for_a_seed_and_thread_count(threads):
    x, y, _ = make_data(64)
    for n in (1, 2):
        fastconv.set_num_threads(n)
        runs = []
        for _ in range(2):
            model = make_model(optimizer="adam", seed=3)
            set_random_seed(3)
            model.fit(x, y, epochs=3, batch_size=16, verbose=0)
            runs.append(model.get_weights())
        for a, b in zip(*runs):
            np.testing.assert_array_equal(a, b)


def test_three_epochs_of_fit_keep_memory_flat():
    rng = np.random.default_rng(0)
    x = rng.random((512, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, (512, 1))
    model = Sequential([layers.Conv2D(16, 3, activation="relu", input_shape=(32, 32, 3)), layers.MaxPooling2D(),
                        layers.Flatten(), layers.Dense(10)])
    model.compile(optimizer="adam", loss=fastconv.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, verbose=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model.fit(x, y, epochs=3, verbose=0)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 20, f"peak resident memory grew by {grown_mb:.1f} MB over 3 epochs"


def test_an_inf_loss_stops_training_too():
    # Every batch loss is finite (about 5e306 a sample) but their running sum passes the float64
    # maximum in the third batch: the loss fit reports is inf. Before the fix fit trained on,
    # logging inf for every epoch. The tiny learning rate keeps the weights where they are.
    x, y, _ = make_data(64)
    x = np.full(x.shape, 6e151)

    def model():
        m = Sequential([layers.Input((6, 6, 1), dtype="float64"), layers.Flatten(dtype="float64"),
                        layers.Dense(3, dtype="float64", kernel_initializer="ones")])
        m.compile(optimizer=optimizers.SGD(learning_rate=5e-324), loss="mse")
        return m

    with pytest.warns(RuntimeWarning, match=r"the loss became inf in epoch 1, batch 3; training stopped"):
        history = model().fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert len(history.epoch) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model().fit(x, y, epochs=3, batch_size=16, verbose=0, terminate_on_nan=False)
    assert len(history.epoch) == 3 and np.isinf(history.history["loss"]).all()
