"""End-to-end training time of the course's two workloads, fastconv against PyTorch (NCHW and
channels_last) and Keras when they are installed: same model, data shapes, batch size, optimizer
and thread count, measured in one run.

Workloads:
  cifar10  the course's CIFAR-10 model, Adam, batch 32 (and --batch 128): seconds per epoch of
           50,000 images, extrapolated from --images images (median of --repeats runs).
  digits   the course's digits model, SGD, batch 100: seconds for 100 epochs of 1,437 images
           (one cell of the grid search), extrapolated from --digits-epochs epochs.
  grid     (--grid) the course's full 7x7 eta x lambda grid with fastconv (one worker process per
           thread), wall time including the workers' start-up; the data set is loaded first.

Usage: python benchmarks/e2e.py [--threads 2] [--markdown BENCHMARKS.md]
"""

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

import fastconv
from fastconv.bench import write_section
from fastconv.course import build_cifar10_model, build_digits_model

CIFAR_EPOCH_IMAGES = 50_000
DIGITS_TRAIN_IMAGES = 1_437


# ---------------------------------------------------------------------------------------------
# Data: the course's shapes; real images when they are at hand does not change the timing.

def cifar_like(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 32, 32, 3), dtype=np.float32), rng.integers(0, 10, (n, 1)).astype(np.int64)


def digits_like(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((DIGITS_TRAIN_IMAGES, 8, 8, 1), dtype=np.float32) * 16
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, DIGITS_TRAIN_IMAGES)]
    return x, y


def median_time(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---------------------------------------------------------------------------------------------
# fastconv

def fastconv_cifar(x, y, batch, repeats):
    model = build_cifar10_model()
    model.fit(x[: batch * 4], y[: batch * 4], batch_size=batch, epochs=1, verbose=0)  # warm-up
    return median_time(lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0), repeats)


def fastconv_digits(x, y, epochs, repeats):
    model = build_digits_model(0.01, 1e-4)
    model.fit(x[:200], y[:200], batch_size=100, epochs=1, verbose=0)
    return median_time(lambda: model.fit(x, y, batch_size=100, epochs=epochs, verbose=0), repeats)


# ---------------------------------------------------------------------------------------------
# PyTorch, both memory formats

def torch_fit(model, x, y, batch, epochs, optimizer, loss_fn, channels_last):
    import torch
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    if channels_last:
        xt = xt.contiguous(memory_format=torch.channels_last)
    yt = torch.from_numpy(y)
    n = xt.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()


def torch_cifar(x, y, batch, repeats, channels_last):
    import torch
    from torch import nn
    model = nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(1024, 64),
                          nn.ReLU(), nn.Linear(64, 10))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    labels = y.reshape(-1)
    run = lambda xs, ys: torch_fit(model, xs, ys, batch, 1, opt, nn.CrossEntropyLoss(), channels_last)  # noqa: E731
    run(x[: batch * 4], labels[: batch * 4])
    return median_time(lambda: run(x, labels), repeats)


def torch_digits(x, y, epochs, repeats, channels_last):
    import torch
    from torch import nn
    model = nn.Sequential(nn.Conv2d(1, 10, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(90, 50),
                          nn.ReLU(), nn.Linear(50, 10))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    # Keras's l2(lambda) adds lambda * sum(w^2) to the loss: SGD weight decay of 2 * lambda.
    opt = torch.optim.SGD(model.parameters(), lr=0.01, weight_decay=2e-4)
    labels = y.argmax(axis=1)
    run = lambda e: torch_fit(model, x, labels, 100, e, opt, nn.CrossEntropyLoss(), channels_last)  # noqa: E731
    run(1)
    return median_time(lambda: run(epochs), repeats)


# ---------------------------------------------------------------------------------------------
# Keras (whatever backend it is configured with)

def keras_cifar(x, y, batch, repeats):
    import keras
    from keras import layers
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                              layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
                              layers.Conv2D(64, 3, activation="relu"), layers.Flatten(),
                              layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[: batch * 4], y[: batch * 4], batch_size=batch, epochs=1, verbose=0)
    return median_time(lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0), repeats)


def keras_digits(x, y, epochs, repeats):
    import keras
    from keras import layers, regularizers
    l2 = regularizers.l2(1e-4)
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(10, 3, activation="relu", kernel_regularizer=l2),
                              layers.MaxPooling2D(), layers.Flatten(),
                              layers.Dense(50, activation="relu", kernel_regularizer=l2),
                              layers.Dense(10, activation="softmax", kernel_regularizer=l2)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="categorical_crossentropy")
    model.fit(x, y, batch_size=100, epochs=1, verbose=0)
    return median_time(lambda: model.fit(x, y, batch_size=100, epochs=epochs, verbose=0), repeats)


# ---------------------------------------------------------------------------------------------

def available(module):
    try:
        __import__(module)
        return True
    except Exception:  # a broken optional install is as good as none here
        return False


def limit_keras_threads(threads):
    """TensorFlow sizes its thread pools on first use: set them to the thread count before that."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not available("keras"):
        return
    import keras
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def machine_description(threads):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = [f"fastconv {fastconv.__version__} ({fastconv.get_isa()})", f"NumPy {np.__version__}"]
    if available("torch"):
        import torch
        versions.append(f"PyTorch {torch.__version__}")
    if available("keras"):
        import keras
        versions.append(f"Keras {keras.__version__} ({keras.backend.backend()})")
    return (f"{cpu}, {os.cpu_count()} logical cores, {threads} threads for every framework; "
            f"Python {platform.python_version()}; " + ", ".join(versions))


def run(threads=2, images=2_000, batches=(32, 128), digits_epochs=10, repeats=3, grid=False, frameworks=None,
        workloads=("cifar10", "digits")):
    """Times the workloads; returns a list of (workload, {framework: seconds})."""
    fastconv.set_num_threads(threads)
    frameworks = frameworks or ["fastconv", "torch", "keras"]
    has_torch = "torch" in frameworks and available("torch")
    has_keras = "keras" in frameworks and available("keras")
    if has_torch:
        import torch
        torch.set_num_threads(threads)
    rows = []
    x, y = cifar_like(images)
    scale = CIFAR_EPOCH_IMAGES / images
    for batch in batches if "cifar10" in workloads else ():
        result = {"fastconv": fastconv_cifar(x, y, batch, repeats) * scale}
        if has_torch:
            result["PyTorch NCHW"] = torch_cifar(x, y, batch, repeats, False) * scale
            result["PyTorch channels_last"] = torch_cifar(x, y, batch, repeats, True) * scale
        if has_keras:
            result["Keras"] = keras_cifar(x, y, batch, repeats) * scale
        rows.append((f"CIFAR-10 course model, Adam, batch {batch}: s per 50,000-image epoch", result))
        print(format_row(*rows[-1]), flush=True)
    if "digits" in workloads:
        dx, dy = digits_like()
        scale = 100 / digits_epochs
        result = {"fastconv": fastconv_digits(dx, dy, digits_epochs, repeats) * scale}
        if has_torch:
            result["PyTorch NCHW"] = torch_digits(dx, dy, digits_epochs, repeats, False) * scale
            result["PyTorch channels_last"] = torch_digits(dx, dy, digits_epochs, repeats, True) * scale
        if has_keras:
            result["Keras"] = keras_digits(dx, dy, digits_epochs, repeats) * scale
        rows.append(("digits course model, SGD, batch 100: s per 100 epochs (one grid cell)", result))
        print(format_row(*rows[-1]), flush=True)
    if grid:
        from fastconv.course import grid_search_digits
        from fastconv.datasets import digits
        digits.load_data()  # imports scikit-learn (about 1 s) before the clock starts, as in a running session
        etas = lmbds = np.logspace(-5, 1, 7)
        start = time.perf_counter()
        grid_search_digits(etas, lmbds, epochs=100, jobs=threads, threads=threads)
        rows.append(("the course's 7x7 eta x lambda grid, 100 epochs, worker start-up included: wall s",
                     {"fastconv": time.perf_counter() - start}))
        print(format_row(*rows[-1]), flush=True)
    return rows


def format_row(workload, result):
    base = result["fastconv"]
    cells = [f"{name} {seconds:.2f} s ({base / seconds:.2f}x)" for name, seconds in result.items()]
    return f"{workload}: " + "; ".join(cells)


def markdown(rows, threads):
    names = []
    for _, result in rows:
        names += [n for n in result if n not in names]
    lines = ["## End-to-end training (`benchmarks/e2e.py`)", "",
             f"Machine: {machine_description(threads)}. Medians; each cell is seconds and, in brackets, "
             "fastconv's time as a fraction of that framework's (below 1: fastconv is faster).", "",
             "| workload | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for workload, result in rows:
        cells = [f"{result[n]:.2f} ({result['fastconv'] / result[n]:.2f})" if n in result else "—" for n in names]
        lines.append(f"| {workload} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--images", type=int, default=2_000, help="CIFAR-10 images timed per run")
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--digits-epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--grid", action="store_true", help="also time the full 7x7 grid search (fastconv)")
    parser.add_argument("--frameworks", nargs="+", default=None, help="subset of: fastconv torch keras")
    parser.add_argument("--workloads", nargs="+", choices=("cifar10", "digits"), default=("cifar10", "digits"),
                        help="which rows to time (the --grid row is separate)")
    parser.add_argument("--markdown", help="write the table into this file (its e2e section)")
    args = parser.parse_args(argv)
    if "keras" in (args.frameworks or ["keras"]):
        limit_keras_threads(args.threads)
    print(machine_description(args.threads), flush=True)
    rows = run(args.threads, args.images, tuple(args.batch), args.digits_epochs, args.repeats, args.grid, args.frameworks,
               tuple(args.workloads))
    if args.markdown:
        write_section(args.markdown, markdown(rows, args.threads), "e2e")
    return 0


if __name__ == "__main__":
    sys.exit(main())
