"""Grid search over model hyper-parameters, cells trained in parallel processes with joblib.

Each cell builds a model with ``build_fn(**params)``, trains it from the same seed and evaluates
it; workers get an equal share of the engine's threads, so the machine is neither idle nor
oversubscribed. Cells whose models differ only in learning rate, momentum and regularizer
strengths (the usual grid) train together as one model stack (fastconv._model_stack): one wide
convolution instead of many small ones, which keeps the cores busy where a small model alone
cannot. The processes come from joblib, so the same call runs on a Dask or Ray cluster
through joblib's backends::

    import joblib
    from dask.distributed import Client        # or: from ray.util.joblib import register_ray
    client = Client("scheduler-address:8786")
    with joblib.parallel_config(backend="dask"):
        result = grid_search(build_fn, {"eta": etas, "lmbd": lmbds}, x, y, n_jobs=-1)

Not a general hyper-parameter optimiser (no random or Bayesian search, no cross-validation).
"""

import itertools
import numbers
import os
import time
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["grid_search", "GridSearchResult"]

STACK_SIZE = 8   # cells per model stack, at most


@dataclass
class GridSearchResult:
    """The cells of a grid search, in the grid's order (the last parameter varies fastest).

    Attributes:
        param_grid (dict): parameter name -> list of values, as given.
        cells (list of dict): per cell ``params`` (dict), ``loss``, ``accuracy`` (on the training
            data), ``val_loss``, ``val_accuracy`` (NaN without validation data), ``seconds``.
    """
    param_grid: dict
    cells: list

    def table(self, metric):
        """The metric as an array of the grid's shape (one axis per parameter, in order)."""
        shape = tuple(len(v) for v in self.param_grid.values())
        if not self.cells or metric not in self.cells[0] or metric == "params":
            names = [k for k in (self.cells[0] if self.cells else {}) if k != "params"]
            raise KeyError(f"unknown metric {metric!r}; available: {names}")
        return np.array([cell[metric] for cell in self.cells], dtype=np.float64).reshape(shape)

    def best(self, metric="val_accuracy"):
        """The cell with the highest metric (NaN cells, e.g. diverged runs, never win)."""
        values = np.array([cell[metric] for cell in self.cells], dtype=np.float64)
        if np.all(np.isnan(values)):
            raise ValueError(f"no cell has a finite {metric}")
        return self.cells[int(np.nanargmax(values))]


def _finite_or_nan(value):
    value = float(value)
    return value if np.isfinite(value) else float("nan")


def _build(build_fn, params, seed, x):
    """The cell's model, built as fit would build it: from the seed, before any shuffling."""
    from fastconv.utils import set_random_seed

    set_random_seed(seed)
    model = build_fn(**params)
    if not model.built:
        model.build((None,) + tuple(np.shape(x)[1:]))
    return model


def _evaluate(model, params, x, y, validation_data, batch_size, seconds):
    loss, accuracy = model.evaluate(x, y, batch_size=batch_size, verbose=0)[:2]
    val_loss = val_accuracy = float("nan")
    if validation_data is not None:
        val_loss, val_accuracy = model.evaluate(*validation_data, batch_size=batch_size, verbose=0)[:2]
    return {"params": params, "loss": _finite_or_nan(loss), "accuracy": _finite_or_nan(accuracy),
            "val_loss": _finite_or_nan(val_loss), "val_accuracy": _finite_or_nan(val_accuracy),
            "seconds": seconds}


def _run_cell(build_fn, params, x, y, validation_data, epochs, batch_size, seed, threads):
    """Builds, trains and evaluates one cell, here or in a joblib worker."""
    import fastconv

    if threads is not None:
        fastconv.set_num_threads(threads)
    start = time.perf_counter()
    model = _build(build_fn, params, seed, x)
    with warnings.catch_warnings():
        # A diverging cell stops at its first NaN loss; its NaN results say so in the table.
        warnings.simplefilter("ignore", RuntimeWarning)
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, terminate_on_nan=True)
    result = _evaluate(model, params, x, y, validation_data, batch_size, 0.0)
    result["seconds"] = time.perf_counter() - start
    return result


def _run_stack(build_fn, params_list, x, y, validation_data, epochs, batch_size, seed, threads):
    """Builds, trains and evaluates several cells as one model stack; each cell's seconds are the
    stack's time shared equally."""
    import fastconv
    from fastconv._model_stack import fit_stacked

    if threads is not None:
        fastconv.set_num_threads(threads)
    start = time.perf_counter()
    models = [_build(build_fn, params, seed, x) for params in params_list]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit_stacked(models, x, y, batch_size=batch_size, epochs=epochs, terminate_on_nan=True)
    results = [_evaluate(model, params, x, y, validation_data, batch_size, 0.0)
               for model, params in zip(models, params_list)]
    seconds = (time.perf_counter() - start) / len(results)
    for result in results:
        result["seconds"] = seconds
    return results


def _why_not_stack(build_fn, combos, seed, x):
    """None when the cells' models can train as one stack, else why not (str)."""
    from fastconv import _random
    from fastconv._model_stack import why_not_stackable

    models, states = [], []
    for params in combos:
        models.append(_build(build_fn, params, seed, x))
        states.append(_random.generator().bit_generator.state)
    if any(state != states[0] for state in states):
        return "the models draw different amounts of random numbers when built, so they would not shuffle alike"
    return why_not_stackable(models)


def _positive_int(value, name, allow_minus_one=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (value < 1 and not (
            allow_minus_one and value == -1)):
        raise ValueError(f"{name} must be an int >= 1{' or -1 (one per core)' if allow_minus_one else ''}, "
                         f"got {value!r}")
    return int(value)


def grid_search(build_fn, param_grid, x, y, validation_data=None, epochs=1, batch_size=32, seed=0, n_jobs=1,
                threads=None, on_cell=None, stack="auto"):
    """Train and evaluate a model for every combination of parameters.

    Args:
        build_fn (callable): ``build_fn(**params)`` returns a compiled model; a module-level
            function, so that worker processes can import it.
        param_grid (dict): name -> non-empty list of values.
        x, y (ndarray): training data. validation_data (tuple or None): ``(x_val, y_val)``.
        epochs, batch_size (int): as ``fit``. seed (int): every cell starts from it (same initial
            weights and shuffling), so results do not depend on order, nor on ``n_jobs`` beyond
            float32 rounding.
        n_jobs (int): cells trained at once in separate processes; -1: one per core; 1: here.
        threads (int or None): engine threads in all, shared evenly by the workers
            (``max(1, threads // n_jobs)`` each); None: this process's thread count.
        on_cell (callable or None): ``on_cell(cell)`` as each cell finishes (cells may finish out
            of order with n_jobs > 1; stacked cells finish together).
        stack (bool or "auto"): train the cells as one model stack (``n_jobs`` stacks with
            n_jobs > 1), each cell as if alone up to float32 rounding. "auto" (default): when the
            models allow it (same architecture, SGD, supported layers: see
            ``fastconv._model_stack``); True: always (ValueError saying why it cannot); False:
            one model at a time.

    Returns:
        GridSearchResult.

    Raises:
        TypeError, ValueError: bad arguments. ImportError: ``n_jobs != 1`` without joblib.
    """
    import fastconv

    if not callable(build_fn):
        raise TypeError(f"build_fn must be callable, got {build_fn!r}")
    if not isinstance(param_grid, dict) or not param_grid:
        raise TypeError(f"param_grid must be a non-empty dict of name -> list of values, got {param_grid!r}")
    grid = {}
    for name, values in param_grid.items():
        if not isinstance(name, str) or isinstance(values, (str, bytes)) or not hasattr(values, "__len__") \
                or len(values) == 0:
            raise ValueError(f"param_grid[{name!r}] must be a non-empty list of values, got {values!r}")
        grid[name] = list(values)
    epochs = _positive_int(epochs, "epochs")
    batch_size = _positive_int(batch_size, "batch_size")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    n_jobs = _positive_int(n_jobs, "n_jobs", allow_minus_one=True)
    if threads is not None:
        threads = _positive_int(threads, "threads")
    if on_cell is not None and not callable(on_cell):
        raise TypeError(f"on_cell must be callable or None, got {on_cell!r}")
    if validation_data is not None and (not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2):
        raise ValueError("validation_data must be a tuple (x_val, y_val)")
    if stack not in (True, False, "auto"):
        raise ValueError(f"stack must be True, False or 'auto', got {stack!r}")

    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    n_jobs = min((os.cpu_count() or 1) if n_jobs == -1 else n_jobs, len(combos))
    total_threads = threads if threads is not None else fastconv.get_num_threads()
    cells = [None] * len(combos)

    def record(index, cell):
        cells[index] = cell
        if on_cell is not None:
            on_cell(cell)

    if stack is not False:
        reason = _why_not_stack(build_fn, combos, seed, x)
        if reason and stack is True:
            raise ValueError(f"grid_search(stack=True): the cells cannot train as one stack: {reason}")
        stack = reason is None
    # Stacks: contiguous chunks of the grid, as many per job, each small enough that its
    # activations stay in cache (a stack of 49 small CNNs runs a third slower per model than 7s).
    chunks = None
    if stack:
        count = n_jobs * -(-len(combos) // (n_jobs * STACK_SIZE))
        chunks = [list(c) for c in np.array_split(np.arange(len(combos)), count)]

    if n_jobs == 1:
        previous = fastconv.get_num_threads()
        try:
            if stack:
                for chunk in chunks:
                    for index, cell in _indexed_stack(chunk, build_fn, [combos[i] for i in chunk], x, y,
                                                      validation_data, epochs, batch_size, seed, total_threads):
                        record(index, cell)
            else:
                for index, params in enumerate(combos):
                    record(index, _run_cell(build_fn, params, x, y, validation_data, epochs, batch_size, seed,
                                            total_threads))
        finally:
            fastconv.set_num_threads(previous)
        return GridSearchResult(grid, cells)

    try:
        import joblib
    except ImportError as err:
        raise ImportError("grid_search(n_jobs != 1) needs joblib: pip install 'fastconv[examples]' "
                          "(or pip install joblib), or use n_jobs=1") from err
    per_worker = max(1, total_threads // n_jobs)
    if stack:
        tasks = (joblib.delayed(_indexed_stack)(chunk, build_fn, [combos[i] for i in chunk], x, y, validation_data,
                                                epochs, batch_size, seed, per_worker) for chunk in chunks)
    else:
        tasks = (joblib.delayed(_indexed)(index, build_fn, params, x, y, validation_data, epochs, batch_size, seed,
                                          per_worker) for index, params in enumerate(combos))
    try:
        runner = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except (TypeError, ValueError):  # joblib < 1.4: results come in order
        runner = joblib.Parallel(n_jobs=n_jobs)
    for finished in runner(tasks):
        for index, cell in finished:
            record(index, cell)
    return GridSearchResult(grid, cells)


def _indexed(index, *args):
    return [(index, _run_cell(*args))]


def _indexed_stack(indices, *args):
    return list(zip(indices, _run_stack(*args)))
