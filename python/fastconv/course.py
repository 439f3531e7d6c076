"""The course's two CNN programs as library functions: the digits CNN (one run, and the eta x lambda
grid search, optionally in parallel processes) and the CIFAR-10 CNN. The ``fastconv digits``,
``fastconv grid digits`` and ``fastconv cifar10`` commands are thin shells over these.

Not the course's code itself: ``examples/`` holds that, with only its imports changed.
"""

import csv
import dataclasses
import numbers
import os
import pathlib
import time

import numpy as np

from fastconv.utils import set_random_seed

__all__ = ["build_digits_model", "train_digits", "grid_search_digits", "write_grid_csv", "DigitsResult",
           "GridResult", "build_cifar10_model", "train_cifar10", "Cifar10Result", "set_random_seed"]

# The settings the course trains the digits CNN with (create_convolutional_neural_network_keras).
DIGITS_DEFAULTS = {"epochs": 100, "batch_size": 100, "receptive_field": 3, "n_filters": 10,
                   "n_neurons_connected": 50, "n_categories": 10}
# The default settings of `fastconv digits`, read off the course's grid (`fastconv grid digits`,
# 100 epochs, seed 0): the eta = 0.01 row is a plateau (test accuracy 0.975-0.978 for every
# lambda <= 0.01, 0.947-0.983 over seeds 0-4 at lambda = 1e-4). The grid's single highest cell,
# eta = 0.1 / lambda = 0.01 (0.983 at seed 0), is not stable: 0.86-0.98 over seeds 0-4.
BEST_ETA, BEST_LMBD = 0.01, 1e-4


def _check_int(value, name, minimum):
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def _check_positive(value, name, allow_zero=False):
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return value


def build_digits_model(eta=BEST_ETA, lmbd=BEST_LMBD, input_shape=(8, 8, 1), receptive_field=3, n_filters=10,
                       n_neurons_connected=50, n_categories=10):
    """The course's ``create_convolutional_neural_network_keras``: Conv2D(n_filters, 3x3, relu) ->
    MaxPooling2D(2x2) -> Flatten -> Dense(50, relu) -> Dense(10, softmax), every layer with an L2
    kernel regularizer of strength ``lmbd``, compiled with SGD(learning_rate=eta) and categorical
    cross-entropy, metric accuracy.

    Args:
        eta (float): learning rate, > 0. lmbd (float): L2 strength, >= 0.
        input_shape (tuple): one image's shape, default ``(8, 8, 1)``.
        receptive_field, n_filters, n_neurons_connected, n_categories (int): as in the course.

    Returns:
        fastconv.models.Sequential, compiled.
    """
    eta = _check_positive(eta, "eta")
    lmbd = _check_positive(lmbd, "lmbd", allow_zero=True)
    for name, value in (("receptive_field", receptive_field), ("n_filters", n_filters),
                        ("n_neurons_connected", n_neurons_connected), ("n_categories", n_categories)):
        _check_int(value, name, 1)
    from fastconv import layers, optimizers, regularizers
    from fastconv.models import Sequential

    model = Sequential()
    model.add(layers.Conv2D(n_filters, (receptive_field, receptive_field), input_shape=tuple(input_shape),
                            activation="relu", kernel_regularizer=regularizers.l2(lmbd)))
    model.add(layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(n_neurons_connected, activation="relu", kernel_regularizer=regularizers.l2(lmbd)))
    model.add(layers.Dense(n_categories, activation="softmax", kernel_regularizer=regularizers.l2(lmbd)))
    model.compile(loss="categorical_crossentropy", optimizer=optimizers.SGD(learning_rate=eta), metrics=["accuracy"])
    return model


@dataclasses.dataclass
class DigitsResult:
    """One training run of the digits CNN."""

    model: object
    history: object
    eta: float
    lmbd: float
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float


def _digits_data(test_size, seed, data):
    from fastconv.datasets import digits
    from fastconv.utils import to_categorical

    if data is None:
        (x_train, y_train), (x_test, y_test) = digits.load_data(test_size=test_size, seed=seed)
    else:
        (x_train, y_train), (x_test, y_test) = data
    return x_train, to_categorical(y_train, 10), x_test, to_categorical(y_test, 10)


def train_digits(eta=BEST_ETA, lmbd=BEST_LMBD, epochs=100, batch_size=100, test_size=0.2, seed=0, verbose=0,
                 validation=True, data=None, callbacks=None):
    """Train the course's digits CNN once and evaluate it on both halves of the split.

    Args:
        eta (float): SGD learning rate (default 0.01). lmbd (float): L2 strength (default 1e-4).
        epochs (int): default 100, as the course. batch_size (int): default 100, as the course.
        test_size (float): held-out fraction of the 80/20 split (``fastconv.datasets.digits``).
        seed (int): seeds the split, the weights and the shuffling: a run repeats exactly.
        verbose (int): fit's verbosity (0 silent, 1 progress bar, 2 one line per epoch).
        validation (bool): also report test loss/accuracy per epoch (``val_*`` in the history; it
            does not change training).
        data (tuple or None): ``((x_train, y_train), (x_test, y_test))`` with integer labels,
            instead of loading the digits.
        callbacks (list or None): passed to ``fit``.

    Returns:
        DigitsResult: the model, its History, train/test loss and accuracy, seconds spent.
    """
    epochs = _check_int(epochs, "epochs", 1)
    batch_size = _check_int(batch_size, "batch_size", 1)
    seed = _check_int(seed, "seed", 0)
    x_train, y_train, x_test, y_test = _digits_data(test_size, seed, data)
    set_random_seed(seed)
    model = build_digits_model(eta, lmbd, input_shape=x_train.shape[1:])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=verbose,
                        validation_data=(x_test, y_test) if validation else None, callbacks=callbacks)
    seconds = time.perf_counter() - start
    train_loss, train_acc = model.evaluate(x_train, y_train, batch_size=batch_size, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    return DigitsResult(model, history, float(eta), float(lmbd), float(train_loss), float(train_acc),
                        float(test_loss), float(test_acc), seconds)


@dataclasses.dataclass
class GridResult:
    """The eta x lambda grid: ``train_accuracy[i, j]`` is the run with ``etas[i]``, ``lmbds[j]``."""

    etas: np.ndarray
    lmbds: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    test_loss: np.ndarray
    seconds: np.ndarray

    def best(self):
        """(eta, lmbd, test accuracy) of the cell with the highest test accuracy (first on ties)."""
        acc = np.where(np.isnan(self.test_accuracy), -np.inf, self.test_accuracy)
        i, j = np.unravel_index(int(np.argmax(acc)), acc.shape)
        return float(self.etas[i]), float(self.lmbds[j]), float(self.test_accuracy[i, j])


def _values(values, name):
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{name} must be a non-empty list of finite numbers >= 0, got {values.tolist()}")
    return values


def grid_search_digits(etas, lmbds, epochs=100, batch_size=100, test_size=0.2, seed=0, jobs=1, threads=None,
                       on_cell=None):
    """The course's grid search: train the digits CNN for every (eta, lmbd) pair.

    Every cell is trained from the same seed (same split, same initial weights, same shuffling),
    so a cell's result does not depend on the order the cells run in, and on ``jobs`` only up to
    float32 rounding (the cells train as model stacks, see ``fastconv.model_selection``, whose
    sizes follow ``jobs``); a repeated call is bitwise repeatable.

    Args:
        etas (array-like): learning rates (the course: ``np.logspace(-5, 1, 7)``).
        lmbds (array-like): L2 strengths (the course: ``np.logspace(-5, 1, 7)``).
        epochs, batch_size, test_size, seed: as ``train_digits``.
        jobs (int): cells trained at once in separate processes (joblib); 1 runs them here,
            -1 uses one process per core.
        threads (int or None): engine threads in all; each of the ``jobs`` workers gets
            ``max(1, threads // jobs)`` so the machine is not oversubscribed. None: this
            process's current thread count.
        on_cell (callable or None): called as ``on_cell(eta, lmbd, train_acc, test_acc)`` as each
            cell finishes.

    Returns:
        GridResult.

    Raises:
        ValueError / TypeError: bad arguments. ImportError: ``jobs != 1`` without joblib.
    """
    from fastconv.model_selection import grid_search

    etas, lmbds = _values(etas, "etas"), _values(lmbds, "lmbds")
    if np.any(etas == 0):
        raise ValueError(f"etas must be > 0, got {etas.tolist()}")
    seed = _check_int(seed, "seed", 0)
    if on_cell is not None and not callable(on_cell):
        raise TypeError(f"on_cell must be callable or None, got {on_cell!r}")
    x_train, y_train, x_test, y_test = _digits_data(test_size, seed, None)

    def report(cell):
        on_cell(cell["params"]["eta"], cell["params"]["lmbd"], cell["accuracy"], cell["val_accuracy"])

    search = grid_search(build_digits_model, {"eta": [float(e) for e in etas], "lmbd": [float(v) for v in lmbds]},
                         x_train, y_train, validation_data=(x_test, y_test), epochs=epochs, batch_size=batch_size,
                         seed=seed, n_jobs=jobs, threads=threads, on_cell=report if on_cell else None)
    return GridResult(etas, lmbds, search.table("accuracy"), search.table("val_accuracy"), search.table("val_loss"),
                      search.table("seconds"))


def write_grid_csv(result, path):
    """The grid as CSV, one row per cell: eta, lmbd, train_accuracy, test_accuracy, test_loss, seconds.

    Returns the path written (str). Raises TypeError for a result that is not a GridResult or a
    path that is not a str / os.PathLike.
    """
    if not isinstance(result, GridResult):
        raise TypeError(f"result must be a GridResult (from grid_search_digits), got {type(result).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["eta", "lmbd", "train_accuracy", "test_accuracy", "test_loss", "seconds"])
        for i, eta in enumerate(result.etas):
            for j, lmbd in enumerate(result.lmbds):
                writer.writerow([f"{eta:.6g}", f"{lmbd:.6g}", f"{result.train_accuracy[i, j]:.6f}",
                                 f"{result.test_accuracy[i, j]:.6f}", f"{result.test_loss[i, j]:.6g}",
                                 f"{result.seconds[i, j]:.3f}"])
    return str(path)


def build_cifar10_model():
    """The course's CIFAR-10 CNN: Conv2D(32) -> MaxPool -> Conv2D(64) -> MaxPool -> Conv2D(64) ->
    Flatten -> Dense(64, relu) -> Dense(10) (logits), all convolutions 3x3 relu; compiled with Adam,
    SparseCategoricalCrossentropy(from_logits=True) and accuracy."""
    from fastconv import layers, losses
    from fastconv.models import Sequential

    model = Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10))
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


@dataclasses.dataclass
class Cifar10Result:
    """One training run of the CIFAR-10 CNN."""

    model: object
    history: object
    test_loss: float
    test_accuracy: float
    seconds: float
    train_images: int
    test_images: int


def train_cifar10(path=None, epochs=10, batch_size=32, seed=0, verbose=1, limit=None, callbacks=None, data=None):
    """Train the course's CIFAR-10 CNN (pixels / 255, Adam, batch 32, the test set as validation
    data) and evaluate it.

    Args:
        path (str or None): where the data is (``fastconv.datasets.cifar10.load_data``'s path).
        epochs (int): default 10. batch_size (int): default 32 (Keras's default, as the course).
        seed (int): seeds the weights and the shuffling.
        verbose (int): fit's verbosity.
        limit (int or None): use only the first ``limit`` training and test images (quick runs).
        callbacks (list or None): passed to ``fit``.
        data (tuple or None): ``((x_train, y_train), (x_test, y_test))`` as ``load_data`` returns
            them, instead of loading (``path`` is then unused).

    Returns:
        Cifar10Result.
    """
    from fastconv.datasets import cifar10

    epochs = _check_int(epochs, "epochs", 1)
    batch_size = _check_int(batch_size, "batch_size", 1)
    seed = _check_int(seed, "seed", 0)
    if limit is not None:
        limit = _check_int(limit, "limit", 1)
    if data is None:
        data = cifar10.load_data(path)
    (train_images, train_labels), (test_images, test_labels) = data
    if limit is not None:
        train_images, train_labels = train_images[:limit], train_labels[:limit]
        test_images, test_labels = test_images[:limit], test_labels[:limit]
    train_images = train_images.astype(np.float32) / np.float32(255.0)
    test_images = test_images.astype(np.float32) / np.float32(255.0)
    set_random_seed(seed)
    model = build_cifar10_model()
    start = time.perf_counter()
    history = model.fit(train_images, train_labels, epochs=epochs, batch_size=batch_size, verbose=verbose,
                        validation_data=(test_images, test_labels), callbacks=callbacks)
    seconds = time.perf_counter() - start
    test_loss, test_acc = model.evaluate(test_images, test_labels, batch_size=batch_size, verbose=0)
    return Cifar10Result(model, history, float(test_loss), float(test_acc), seconds, len(train_images),
                         len(test_images))
