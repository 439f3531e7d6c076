"""fastconv.model_selection.grid_search: every cell, in order, the same in parallel as serially."""

import numpy as np
import pytest

from fastconv.course import build_digits_model
from fastconv.model_selection import GridSearchResult, grid_search


@pytest.fixture(scope="module")
def digits_subset():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 120)
    x = rng.random((120, 8, 8, 1), dtype=np.float32) * 4
    x[np.arange(120), labels % 8, :, 0] += 8  # the label lights up one row: learnable quickly
    y = np.eye(10, dtype=np.float32)[labels]
    return x[:100], y[:100], x[100:], y[100:]


GRID = {"eta": [0.01, 0.1, 10.0], "lmbd": [1e-4, 1e-2]}


def test_grid_cells_in_order_with_tables(digits_subset):
    x, y, xv, yv = digits_subset
    seen = []
    result = grid_search(build_digits_model, GRID, x, y, validation_data=(xv, yv), epochs=3, batch_size=50,
                         on_cell=seen.append)
    assert isinstance(result, GridSearchResult) and len(result.cells) == 6 and len(seen) == 6
    assert [c["params"] for c in result.cells] == [{"eta": e, "lmbd": v} for e in GRID["eta"] for v in GRID["lmbd"]]
    table = result.table("val_accuracy")
    assert table.shape == (3, 2)
    finite = table[np.isfinite(table)]
    assert ((finite >= 0) & (finite <= 1)).all()
    assert result.best("accuracy")["params"]["eta"] in (0.01, 0.1)
    with pytest.raises(KeyError, match=r"unknown metric 'f1'; available: \['loss', 'accuracy'"):
        result.table("f1")


def test_parallel_cells_equal_serial_cells(digits_subset):
    pytest.importorskip("joblib")
    x, y, xv, yv = digits_subset
    serial = grid_search(build_digits_model, GRID, x, y, validation_data=(xv, yv), epochs=2, batch_size=50, threads=2)
    parallel = grid_search(build_digits_model, GRID, x, y, validation_data=(xv, yv), epochs=2, batch_size=50,
                           n_jobs=2, threads=2)
    for metric in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_array_equal(serial.table(metric), parallel.table(metric))


def test_stacked_cells_equal_cells_trained_alone(digits_subset):
    x, y, xv, yv = digits_subset
    alone = grid_search(build_digits_model, GRID, x, y, validation_data=(xv, yv), epochs=3, batch_size=50, stack=False)
    stacked = grid_search(build_digits_model, GRID, x, y, validation_data=(xv, yv), epochs=3, batch_size=50,
                          stack=True)
    for metric in ("loss", "val_loss"):
        np.testing.assert_allclose(stacked.table(metric), alone.table(metric), rtol=1e-4)
    np.testing.assert_array_equal(stacked.table("val_accuracy"), alone.table("val_accuracy"))


def unstackable_model(eta, lmbd):
    model = build_digits_model(eta, lmbd)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_stack_true_says_why_the_cells_cannot_stack(digits_subset):
    x, y, _, _ = digits_subset
    with pytest.raises(ValueError, match=r"grid_search\(stack=True\): the cells cannot train as one stack: model 0: "
                                         "the optimizer must be a fresh SGD, got Adam"):
        grid_search(unstackable_model, GRID, x, y, stack=True)
    auto = grid_search(unstackable_model, {"eta": [0.01], "lmbd": [1e-4]}, x, y, epochs=1)  # one at a time
    assert np.isfinite(auto.table("loss")).all()


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(stack="yes"), ValueError, "stack must be True, False or 'auto'"),
    (dict(build_fn=3), TypeError, "build_fn must be callable"),
    (dict(param_grid=[("eta", [1])]), TypeError, "param_grid must be a non-empty dict"),
    (dict(param_grid={}), TypeError, "param_grid must be a non-empty dict"),
    (dict(param_grid={"eta": []}), ValueError, r"param_grid\['eta'\] must be a non-empty list"),
    (dict(param_grid={"eta": "0.1"}), ValueError, r"param_grid\['eta'\] must be a non-empty list"),
    (dict(epochs=0), ValueError, "epochs must be an int >= 1"),
    (dict(n_jobs=0), ValueError, "n_jobs must be an int >= 1 or -1"),
    (dict(threads=-2), ValueError, "threads must be an int >= 1"),
    (dict(seed=-1), ValueError, "seed must be an int >= 0"),
    (dict(on_cell="print"), TypeError, "on_cell must be callable"),
    (dict(validation_data=[1, 2, 3]), ValueError, r"validation_data must be a tuple \(x_val, y_val\)"),
])
def test_bad_arguments(digits_subset, kwargs, error, match):
    x, y, _, _ = digits_subset
    args = dict(build_fn=build_digits_model, param_grid={"eta": [0.1]}, x=x, y=y)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        grid_search(**args)
