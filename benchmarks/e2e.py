"""End-to-end training time of the course's two workloads, fastconv against PyTorch (NCHW and
channels_last) and Keras when they are installed: same model, data shapes, batch size, optimizer
and thread count, measured in one run.

Workloads:
  cifar10  the course's CIFAR-10 model, Adam, batch 32 (and --batch 128): seconds per epoch of
           50,000 images, extrapolated from --images images (median of --repeats runs, timed in
           rounds that rotate between the frameworks, each in a process of its own, the others
           stopped while one runs: TensorFlow's process keeps a core busy even between its runs).
  residual a residual CNN built with the functional API (conv 32, pool, a block of two 32-channel
           convs added to its input, pool, conv 64, pool, dense 64, dense 10), Adam, batch 32:
           seconds per 50,000-image epoch, as cifar10.
  digits   the course's digits model, SGD, batch 100: seconds for 100 epochs of 1,437 images
           (one cell of the grid search), extrapolated from --digits-epochs epochs.
  grid     (--grid) the course's full 7x7 eta x lambda grid with fastconv (one worker process per
           thread), wall time including the workers' start-up; the data set is loaded first.

Usage: python benchmarks/e2e.py [--threads 2] [--markdown BENCHMARKS.md]
"""

import argparse
import contextlib
import multiprocessing
import os
import platform
import signal
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


def worker(conn, framework, workload, threads, images, batch, digits_epochs):
    """In a process of its own: builds and warms up one framework's run, then times it whenever the
    parent asks, so no two frameworks share a heap or thread pools."""
    fastconv.set_num_threads(threads)
    if framework.startswith("PyTorch"):
        import torch
        torch.set_num_threads(threads)
    if framework == "Keras":
        limit_keras_threads(threads)
    if workload == "cifar10":
        x, y = cifar_like(images)
        make = {"fastconv": lambda: fastconv_cifar(x, y, batch), "Keras": lambda: keras_cifar(x, y, batch),
                "PyTorch NCHW": lambda: torch_cifar(x, y, batch, False),
                "PyTorch channels_last": lambda: torch_cifar(x, y, batch, True)}
    elif workload == "residual":
        x, y = cifar_like(images)
        make = {"fastconv": lambda: residual_fit(fastconv.keras, x, y, batch),
                "Keras": lambda: residual_fit(__import__("keras"), x, y, batch),
                "PyTorch NCHW": lambda: torch_residual(x, y, batch, False),
                "PyTorch channels_last": lambda: torch_residual(x, y, batch, True)}
    else:
        x, y = digits_like()
        make = {"fastconv": lambda: fastconv_digits(x, y, digits_epochs),
                "Keras": lambda: keras_digits(x, y, digits_epochs),
                "PyTorch NCHW": lambda: torch_digits(x, y, digits_epochs, False),
                "PyTorch channels_last": lambda: torch_digits(x, y, digits_epochs, True)}
    run = make[framework]()
    conn.send(framework_version(framework))
    while conn.recv() == "run":
        start = time.perf_counter()
        run()
        conn.send(time.perf_counter() - start)


@contextlib.contextmanager
def paused(processes):
    """Stops the processes (SIGSTOP) for the block and lets them go on after (SIGCONT), where the OS
    can: an idle framework's threads then cannot spin on a core the timed one needs (TensorFlow's
    keep one busy between its runs)."""
    stop, go = getattr(signal, "SIGSTOP", None), getattr(signal, "SIGCONT", None)
    if stop is None or go is None:
        yield
        return
    for process in processes:
        os.kill(process.pid, stop)
    try:
        yield
    finally:
        for process in processes:
            os.kill(process.pid, go)


def median_times(frameworks, repeats, **workload):
    """{framework: median seconds} of one workload, each framework in its own process (worker),
    timed in rounds that take each in turn, so a burst of load on this shared machine falls on all
    of them rather than on one, the others paused while one runs; and the versions the workers
    report."""
    context = multiprocessing.get_context("spawn")
    pipes, processes, versions = {}, [], []
    for framework in frameworks:
        parent, child = context.Pipe()
        process = context.Process(target=worker, args=(child, framework), kwargs=workload, daemon=True)
        process.start()
        pipes[framework] = parent
        processes.append(process)
    for pipe in pipes.values():
        versions.append(pipe.recv())
    times = {framework: [] for framework in frameworks}
    for _ in range(repeats):
        for (framework, pipe), process in zip(pipes.items(), processes):
            with paused([p for p in processes if p is not process]):
                pipe.send("run")
                times[framework].append(pipe.recv())
    for pipe in pipes.values():
        pipe.send("stop")
    for process in processes:
        process.join()
    return {framework: statistics.median(t) for framework, t in times.items()}, versions


# ---------------------------------------------------------------------------------------------
# fastconv

# Each workload function builds the model, warms it up and returns the run to time.

def fastconv_cifar(x, y, batch):
    model = build_cifar10_model()
    model.fit(x[: batch * 4], y[: batch * 4], batch_size=batch, epochs=1, verbose=0)  # warm-up
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


def residual_model(K):
    """The residual workload's model, from a Keras namespace K (keras, or fastconv.keras)."""
    L = K.layers
    inputs = K.Input((32, 32, 3))
    h = L.MaxPooling2D()(L.Conv2D(32, 3, activation="relu")(inputs))
    skip = h
    h = L.Conv2D(32, 3, padding="same")(L.Conv2D(32, 3, padding="same", activation="relu")(h))
    h = L.MaxPooling2D()(L.ReLU()(L.add([skip, h])))
    h = L.MaxPooling2D()(L.Conv2D(64, 3, activation="relu")(h))
    h = L.Dense(64, activation="relu")(L.Flatten()(h))
    return K.Model(inputs, L.Dense(10, activation="softmax")(h))


def residual_fit(K, x, y, batch):
    """fastconv's or Keras's run of the residual workload (the same program for both)."""
    model = residual_model(K)
    model.compile(optimizer=K.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    model.fit(x[: batch * 4], y[: batch * 4], batch_size=batch, epochs=1, verbose=0)
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


def fastconv_digits(x, y, epochs):
    model = build_digits_model(0.01, 1e-4)
    model.fit(x[:200], y[:200], batch_size=100, epochs=1, verbose=0)
    return lambda: model.fit(x, y, batch_size=100, epochs=epochs, verbose=0)


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


def torch_cifar(x, y, batch, channels_last):
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
    return lambda: run(x, labels)


def torch_residual(x, y, batch, channels_last):
    import torch
    from torch import nn

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2))
            self.block = nn.Sequential(nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1))
            self.head = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                      nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 10))

        def forward(self, inputs):
            h = self.stem(inputs)
            return self.head(torch.relu(h + self.block(h)))

    model = Residual()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    labels = y.reshape(-1)
    run = lambda xs, ys: torch_fit(model, xs, ys, batch, 1, opt, nn.CrossEntropyLoss(), channels_last)  # noqa: E731
    run(x[: batch * 4], labels[: batch * 4])
    return lambda: run(x, labels)


def torch_digits(x, y, epochs, channels_last):
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
    return lambda: run(epochs)


# ---------------------------------------------------------------------------------------------
# Keras (whatever backend it is configured with)

def keras_cifar(x, y, batch):
    import keras
    from keras import layers
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                              layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
                              layers.Conv2D(64, 3, activation="relu"), layers.Flatten(),
                              layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[: batch * 4], y[: batch * 4], batch_size=batch, epochs=1, verbose=0)
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)


def keras_digits(x, y, epochs):
    import keras
    from keras import layers, regularizers
    l2 = regularizers.l2(1e-4)
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(10, 3, activation="relu", kernel_regularizer=l2),
                              layers.MaxPooling2D(), layers.Flatten(),
                              layers.Dense(50, activation="relu", kernel_regularizer=l2),
                              layers.Dense(10, activation="softmax", kernel_regularizer=l2)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="categorical_crossentropy")
    model.fit(x, y, batch_size=100, epochs=1, verbose=0)
    return lambda: model.fit(x, y, batch_size=100, epochs=epochs, verbose=0)


# ---------------------------------------------------------------------------------------------

def available(module):
    """Whether module is installed, without importing it (TensorFlow's import starts threads)."""
    import importlib.util
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def limit_keras_threads(threads):
    """TensorFlow sizes its thread pools on first use: set them to the thread count before that."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def machine_description(threads, versions):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} logical cores, {threads} threads for every framework; "
            f"Python {platform.python_version()}; NumPy {np.__version__}, " + ", ".join(versions))


def framework_version(framework):
    """What a worker reports of the framework it runs (after importing it)."""
    if framework.startswith("PyTorch"):
        return f"PyTorch {sys.modules['torch'].__version__}"
    if framework == "Keras":
        keras = sys.modules["keras"]
        return f"Keras {keras.__version__} ({keras.backend.backend()})"
    return f"fastconv {fastconv.__version__} ({fastconv.get_isa()})"


def run(threads=2, images=2_000, batches=(32, 128), digits_epochs=10, repeats=3, grid=False, frameworks=None,
        workloads=("cifar10", "residual", "digits")):
    """Times the workloads; returns (a list of (workload, {framework: seconds}), the machine and
    the frameworks' versions)."""
    fastconv.set_num_threads(threads)
    frameworks = frameworks or ["fastconv", "torch", "keras"]
    names = ["fastconv"]
    if "torch" in frameworks and available("torch"):
        names += ["PyTorch NCHW", "PyTorch channels_last"]
    if "keras" in frameworks and available("keras"):
        names.append("Keras")
    common = dict(threads=threads, images=images, digits_epochs=digits_epochs)
    plans = [(f"CIFAR-10 course model, Adam, batch {batch}: s per 50,000-image epoch", CIFAR_EPOCH_IMAGES / images,
              dict(common, workload="cifar10", batch=batch)) for batch in (batches if "cifar10" in workloads else ())]
    if "residual" in workloads:
        plans.append(("residual CNN (functional API), Adam, batch 32: s per 50,000-image epoch",
                      CIFAR_EPOCH_IMAGES / images, dict(common, workload="residual", batch=32)))
    if "digits" in workloads:
        plans.append(("digits course model, SGD, batch 100: s per 100 epochs (one grid cell)", 100 / digits_epochs,
                      dict(common, workload="digits", batch=100)))
    rows, versions = [], [framework_version("fastconv")]
    for name, scale, workload in plans:
        seconds, seen = median_times(names, repeats, **workload)
        for version in seen:
            if version not in versions:
                versions.append(version)
        rows.append((name, {framework: s * scale for framework, s in seconds.items()}))
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
    return rows, machine_description(threads, versions)


def format_row(workload, result):
    base = result["fastconv"]
    cells = [f"{name} {seconds:.2f} s ({base / seconds:.2f}x)" for name, seconds in result.items()]
    return f"{workload}: " + "; ".join(cells)


def markdown(rows, description):
    names = []
    for _, result in rows:
        names += [n for n in result if n not in names]
    lines = ["## End-to-end training (`benchmarks/e2e.py`)", "",
             f"Machine: {description}. Medians of runs timed in rounds that take the frameworks in turn, each "
             "in a process of its own, the others stopped (SIGSTOP) while one runs (TensorFlow's process keeps a "
             "core busy even between its runs); each cell is seconds and, in brackets, "
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
    parser.add_argument("--workloads", nargs="+", choices=("cifar10", "residual", "digits"),
                        default=("cifar10", "residual", "digits"),
                        help="which rows to time (the --grid row is separate)")
    parser.add_argument("--markdown", help="write the table into this file (its e2e section)")
    args = parser.parse_args(argv)
    rows, description = run(args.threads, args.images, tuple(args.batch), args.digits_epochs, args.repeats, args.grid,
                            args.frameworks, tuple(args.workloads))
    print(description, flush=True)
    if args.markdown:
        write_section(args.markdown, markdown(rows, description), "e2e")
    return 0


if __name__ == "__main__":
    sys.exit(main())
