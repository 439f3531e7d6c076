"""Side-by-side timing of fastconv against PyTorch (oneDNN) and NumPy references, in one run.

Measures the machine's FMA peak, then times the course's layers and the standard CNN layers of
issue 4 (forward, backward-data, backward-weights, forward + backward), a max-pooling layer and
a few GEMMs, for fastconv and -- when importable -- PyTorch in NCHW and channels_last at the same
thread count, plus the NumPy im2col + matmul reference. Prints ms (median), GFLOP/s, % of peak
and ratios; ``--markdown FILE`` writes the table with the machine described into its own section
of that file (other scripts' sections, e.g. benchmarks/e2e.py's, are kept).

Not a test: nothing here asserts on time. Run as ``fastconv bench``, as the script
``benchmarks/compare.py``, or as ``run(...)``::

    fastconv bench --threads 2 --markdown BENCHMARKS.md
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from fastconv import _core

# (name, N, C_in, H, W, C_out, kernel, pad): issue 4's table, all 3x3, stride 1.
LAYERS = [
    ("digits", 100, 1, 8, 8, 10, 3, 0),
    ("cifar1", 64, 3, 32, 32, 32, 3, 0),
    ("cifar2", 64, 32, 15, 15, 64, 3, 0),
    ("cifar3", 64, 64, 6, 6, 64, 3, 0),
    ("resnet", 8, 64, 56, 56, 64, 3, 1),
    ("vgg", 8, 128, 28, 28, 128, 3, 1),
]
# (name, N, H, W, C, pool): max pooling 2x2, stride 2, NHWC shape.
POOLS = [("maxpool", 64, 30, 30, 32, 2)]
# (M, N, K): square and conv-shaped GEMMs (M = N*OH*OW, N = C_out, K = C_in*9).
GEMMS = [(1024, 1024, 1024), (57600, 32, 27), (12544, 64, 288), (6272, 128, 1152), (25088, 64, 576)]

PASSES = ("fwd", "bwd_data", "bwd_weight", "fwd+bwd")
_STAT = "median"  # or "min" (run(stat=...)): the statistic of the repeated timings


@dataclass
class Row:
    section: str  # "conv", "pool", "gemm", "threads"
    name: str
    op: str
    flops: float
    ms: dict = field(default_factory=dict)  # implementation -> median ms

    def gflops(self, impl):
        t = self.ms.get(impl)
        return None if t is None or self.flops == 0 else self.flops / (t * 1e-3) / 1e9


def _median_ms(fn, min_repeats, min_seconds):
    return _measure({"f": fn}, min_repeats, min_seconds)["f"]


# OpenBLAS's workers spin for 2**28 cycles (OPENBLAS_THREAD_TIMEOUT's default, about 0.1 s)
# after each call before they sleep: measured on the 2-core machine, fastconv's 2-thread calls
# ran at half speed for about 90 ms after a NumPy matmul. So each block waits this long first.
_SETTLE_SECONDS = 0.15


def _measure(fns, min_repeats, min_seconds, rotations=3):
    """Median (or min) ms of each callable, timed side by side in blocks.

    Each implementation runs a block of consecutive calls, then the next one does, and the whole
    rotation repeats `rotations` times, so load from elsewhere on the machine falls on all of them
    alike. Blocks rather than single interleaved calls because every threaded library keeps its
    worker threads spinning for a while after a call (OpenMP, OpenBLAS): a call timed right after
    another library's would share the cores with those spinning threads. A pause before each
    block (_SETTLE_SECONDS) and its first, untimed call absorb that.
    """
    for fn in fns.values():
        fn()  # warm up: caches, scratch buffers, thread pools
    times = {k: [] for k in fns}
    per_block = max(1, -(-min_repeats // rotations))
    for _ in range(rotations):
        for k, fn in fns.items():
            time.sleep(_SETTLE_SECONDS)
            fn()  # untimed: lets this library's threads wake and the last one's go to sleep
            start = time.perf_counter()
            n = 0
            while n < per_block or (time.perf_counter() - start < min_seconds / rotations and n < 1000):
                t0 = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t0)
                n += 1
    return {k: (min(v) if _STAT == "min" else statistics.median(v)) * 1e3 for k, v in times.items()}


# ---------------------------------------------------------------------------------------------
# NumPy references (NHWC): im2col by sliding_window_view, then one matmul.

def _np_cols(xp, k):
    n, hp, wp, c = xp.shape
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))  # n, oh, ow, c, k, k
    oh, ow = win.shape[1], win.shape[2]
    return win.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, k * k * c), (n, oh, ow)


def _np_pad(x, pad):
    return np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0))) if pad else x


def numpy_conv_forward(x, w, b, pad):
    k = w.shape[0]
    cols, (n, oh, ow) = _np_cols(_np_pad(x, pad), k)
    return (cols @ w.reshape(-1, w.shape[3]) + b).reshape(n, oh, ow, -1)


def numpy_conv_backward_input(dy, w, x_shape, pad):
    n, h, wd, c = x_shape
    k = w.shape[0]
    dcols = dy.reshape(-1, dy.shape[3]) @ w.reshape(-1, w.shape[3]).T  # (M, k*k*c)
    dcols = dcols.reshape(n, dy.shape[1], dy.shape[2], k, k, c)
    dxp = np.zeros((n, h + 2 * pad, wd + 2 * pad, c), dtype=dy.dtype)
    oh, ow = dy.shape[1], dy.shape[2]
    for i in range(k):
        for j in range(k):
            dxp[:, i:i + oh, j:j + ow, :] += dcols[:, :, :, i, j, :]
    return dxp[:, pad:pad + h, pad:pad + wd, :]


def numpy_conv_backward_weight(dy, x, k, pad):
    cols, _ = _np_cols(_np_pad(x, pad), k)
    d = dy.reshape(-1, dy.shape[3])
    return (cols.T @ d).reshape(k, k, x.shape[3], -1), d.sum(axis=0)


def numpy_maxpool_forward(x, p):
    n, h, w, c = x.shape
    v = x[:, : h // p * p, : w // p * p, :].reshape(n, h // p, p, w // p, p, c)
    return v.max(axis=(2, 4))


def numpy_maxpool_backward(dy, x, y, p):
    n, h, w, c = x.shape
    v = x[:, : h // p * p, : w // p * p, :].reshape(n, h // p, p, w // p, p, c)
    mask = v == y[:, :, None, :, None, :]
    dx = np.zeros_like(x)
    dx[:, : h // p * p, : w // p * p, :] = (mask * dy[:, :, None, :, None, :]).reshape(n, h // p * p, w // p * p, c)
    return dx


# ---------------------------------------------------------------------------------------------

def machine_description(threads, peak):
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = _core.build_info()
    d = {
        "cpu": model,
        "logical cores": os.cpu_count(),
        "isa": f"{_core.get_isa()} (detected {_core.detected_isa()})",
        "gemm kernel": _core.gemm_kernel("float32"),
        "threads": threads,
        "measured peak": f"{peak:.0f} GFLOP/s float32 (FMA loop, {threads} threads)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "fastconv": f"{info['version']} ({info['compiler']}, {info['openmp_runtime']})",
        "os": platform.platform(),
    }
    try:
        import torch  # noqa: F401
        d["pytorch"] = f"{torch.__version__} (oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'})"
    except ImportError:
        d["pytorch"] = "not installed"
    return d


def _try_torch(threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def _numpy_threads(threads):
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(limits=threads)
    except ImportError:
        import contextlib
        return contextlib.nullcontext()


def bench_conv(torch, layers, passes, min_repeats, min_seconds, with_numpy, log):
    rows = []
    rng = np.random.default_rng(0)
    for (name, n, c, h, w, oc, k, pad) in layers:
        x = rng.standard_normal((n, h, w, c), dtype=np.float32)
        wt = (rng.standard_normal((k, k, c, oc), dtype=np.float32) / np.sqrt(k * k * c)).astype(np.float32)
        b = rng.standard_normal(oc, dtype=np.float32)
        strides, pads, dil = (1, 1), (pad, pad, pad, pad), (1, 1)
        oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
        dy = rng.standard_normal((n, oh, ow, oc), dtype=np.float32)
        flops = 2.0 * n * oh * ow * oc * k * k * c

        fc = {
            "fwd": lambda: _core.conv2d_forward(x, wt, b, strides, pads, dil, 1, False, "auto"),
            "bwd_data": lambda: _core.conv2d_backward_input(dy, wt, x.shape, strides, pads, dil, 1, "auto"),
            "bwd_weight": lambda: _core.conv2d_backward_weight(dy, x, (k, k), strides, pads, dil, 1, True, "auto"),
        }
        fc["fwd+bwd"] = lambda: (fc["fwd"](), fc["bwd_data"](), fc["bwd_weight"]())
        impls = {"fastconv": fc}
        if with_numpy:
            npf = {
                "fwd": lambda: numpy_conv_forward(x, wt, b, pad),
                "bwd_data": lambda: numpy_conv_backward_input(dy, wt, x.shape, pad),
                "bwd_weight": lambda: numpy_conv_backward_weight(dy, x, k, pad),
            }
            npf["fwd+bwd"] = lambda: (npf["fwd"](), npf["bwd_data"](), npf["bwd_weight"]())
            impls["numpy"] = npf
        if torch is not None:
            for layout in ("nchw", "channels_last"):
                fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
                tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).contiguous(memory_format=fmt)
                tw = torch.from_numpy(wt.transpose(3, 2, 0, 1).copy()).contiguous(memory_format=fmt)
                tb = torch.from_numpy(b)
                tdy = torch.from_numpy(dy.transpose(0, 3, 1, 2).copy()).contiguous(memory_format=fmt)
                cb = torch.ops.aten.convolution_backward

                def t_fwd(tx=tx, tw=tw, tb=tb):
                    with torch.no_grad():
                        return torch.nn.functional.conv2d(tx, tw, tb, 1, pad)

                def t_bwd(mask, tx=tx, tw=tw, tdy=tdy):
                    return cb(tdy, tx, tw, [oc], [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, mask)

                tp = {
                    "fwd": t_fwd,
                    "bwd_data": lambda t_bwd=t_bwd: t_bwd([True, False, False]),
                    "bwd_weight": lambda t_bwd=t_bwd: t_bwd([False, True, True]),
                }
                tp["fwd+bwd"] = lambda t_fwd=t_fwd, t_bwd=t_bwd: (t_fwd(), t_bwd([True, True, True]))
                impls[f"torch_{layout}"] = tp
        for op in passes:
            row = Row("conv", name, op, flops * (3 if op == "fwd+bwd" else 1))
            row.ms.update(_measure({impl: fns[op] for impl, fns in impls.items()}, min_repeats, min_seconds))
            rows.append(row)
            log(row)
    return rows


def bench_pool(torch, min_repeats, min_seconds, with_numpy, log):
    rows = []
    rng = np.random.default_rng(1)
    for (name, n, h, w, c, p) in POOLS:
        x = rng.standard_normal((n, h, w, c), dtype=np.float32)
        oh, ow = h // p, w // p
        dy = rng.standard_normal((n, oh, ow, c), dtype=np.float32)
        args = ((p, p), (p, p), (0, 0, 0, 0))
        y_argmax = _core.max_pool2d_forward(x, *args, True)
        fc = {
            "fwd": lambda: _core.max_pool2d_forward(x, *args, True),
            "bwd": lambda: _core.max_pool2d_backward(dy, y_argmax[1], x.shape, *args),
        }
        fc["fwd+bwd"] = lambda: _core.max_pool2d_backward(dy, _core.max_pool2d_forward(x, *args, True)[1], x.shape, *args)
        impls = {"fastconv": fc}
        if with_numpy:
            y_np = numpy_maxpool_forward(x, p)
            impls["numpy"] = {
                "fwd": lambda: numpy_maxpool_forward(x, p),
                "bwd": lambda: numpy_maxpool_backward(dy, x, y_np, p),
                "fwd+bwd": lambda: numpy_maxpool_backward(dy, x, numpy_maxpool_forward(x, p), p),
            }
        if torch is not None:
            for layout in ("nchw", "channels_last"):
                fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
                tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).contiguous(memory_format=fmt)
                tdy = torch.from_numpy(dy.transpose(0, 3, 1, 2).copy()).contiguous(memory_format=fmt)
                fwd = torch.ops.aten.max_pool2d_with_indices
                bwd = torch.ops.aten.max_pool2d_with_indices_backward
                _, idx = fwd(tx, [p, p], [p, p])

                def t_fb(tx=tx, tdy=tdy):
                    _, i = fwd(tx, [p, p], [p, p])
                    return bwd(tdy, tx, [p, p], [p, p], [0, 0], [1, 1], False, i)

                impls[f"torch_{layout}"] = {
                    "fwd": lambda tx=tx: fwd(tx, [p, p], [p, p]),
                    "bwd": lambda tx=tx, tdy=tdy, idx=idx: bwd(tdy, tx, [p, p], [p, p], [0, 0], [1, 1], False, idx),
                    "fwd+bwd": t_fb,
                }
        for op in ("fwd", "bwd", "fwd+bwd"):
            row = Row("pool", f"{name} {p}x{p} ({n},{h},{w},{c})", op, 0.0)
            row.ms.update(_measure({impl: fns[op] for impl, fns in impls.items()}, min_repeats, min_seconds))
            rows.append(row)
            log(row)
    return rows


def bench_gemm(min_repeats, min_seconds, log):
    rows = []
    rng = np.random.default_rng(2)
    for (m, n, k) in GEMMS:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        row = Row("gemm", f"{m}x{n}x{k}", "gemm", 2.0 * m * n * k)
        row.ms.update(_measure({"fastconv": lambda: _core.gemm(a, b), "numpy": lambda: a @ b}, min_repeats, min_seconds))
        rows.append(row)
        log(row)
    return rows


def bench_thread_scaling(threads, min_repeats, min_seconds, log):
    """resnet forward on 1 thread and on `threads`: the speed-up target of issue 4."""
    name, n, c, h, w, oc, k, pad = LAYERS[4]
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, h, w, c), dtype=np.float32)
    wt = rng.standard_normal((k, k, c, oc), dtype=np.float32)
    flops = 2.0 * n * h * w * oc * k * k * c
    row = Row("threads", name, "fwd", flops)
    before = _core.get_num_threads()
    try:
        def at(t):
            def fn():
                _core.set_num_threads(t)
                return _core.conv2d_forward(x, wt, None, (1, 1), (pad,) * 4, (1, 1), 1, False, "auto")
            return fn
        row.ms.update(_measure({f"fastconv_{t}t": at(t) for t in sorted({1, threads})}, min_repeats, min_seconds))
    finally:
        _core.set_num_threads(before)
    log(row)
    return [row]


def _ratio(num, den):
    return None if num is None or den is None or den == 0 else num / den


def summarize(row, peak):
    """Derived figures of one row: fastconv GFLOP/s, % of peak, speed-ups over the others."""
    fc = row.ms.get("fastconv")
    torch_best = min((row.ms[k] for k in ("torch_nchw", "torch_channels_last") if k in row.ms), default=None)
    out = {
        "fastconv_gflops": row.gflops("fastconv"),
        "pct_peak": None if row.gflops("fastconv") is None else 100.0 * row.gflops("fastconv") / peak,
        "vs_torch_best": _ratio(torch_best, fc),
        "vs_numpy": _ratio(row.ms.get("numpy"), fc),
    }
    if row.section == "threads":
        ts = sorted(row.ms)
        out["speedup"] = _ratio(row.ms[ts[0]], row.ms[ts[-1]])
    return out


def _fmt(v, spec):
    return "-" if v is None else format(v, spec)


def format_table(rows, peak, markdown=False):
    lines = []
    impls = ["fastconv", "torch_nchw", "torch_channels_last", "numpy"]
    header = ["layer", "pass", *[f"{i} ms" for i in impls], "fastconv GFLOP/s", "% peak", "x torch best", "x numpy"]
    conv_pool = [r for r in rows if r.section in ("conv", "pool")]
    gemm = [r for r in rows if r.section == "gemm"]
    thr = [r for r in rows if r.section == "threads"]

    def emit(cells, widths=None):
        if markdown:
            lines.append("| " + " | ".join(cells) + " |")
        else:
            lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths)))

    widths = [24, 10, 11, 13, 22, 11, 16, 7, 12, 8]
    if conv_pool:
        emit(header, widths)
        if markdown:
            lines.append("|" + "---|" * len(header))
        for r in conv_pool:
            s = summarize(r, peak)
            emit([r.name, r.op, *[_fmt(r.ms.get(i), ".3f") for i in impls], _fmt(s["fastconv_gflops"], ".1f"),
                  _fmt(s["pct_peak"], ".0f"), _fmt(s["vs_torch_best"], ".2f"), _fmt(s["vs_numpy"], ".2f")], widths)
    if gemm:
        lines.append("")
        h2 = ["gemm MxNxK", "fastconv ms", "numpy ms", "fastconv GFLOP/s", "numpy GFLOP/s", "% peak", "x numpy"]
        w2 = [18, 12, 10, 16, 14, 7, 8]
        emit(h2, w2)
        if markdown:
            lines.append("|" + "---|" * len(h2))
        for r in gemm:
            s = summarize(r, peak)
            emit([r.name, _fmt(r.ms["fastconv"], ".3f"), _fmt(r.ms["numpy"], ".3f"), _fmt(r.gflops("fastconv"), ".1f"),
                  _fmt(r.gflops("numpy"), ".1f"), _fmt(s["pct_peak"], ".0f"), _fmt(s["vs_numpy"], ".2f")], w2)
    if thr:
        lines.append("")
        for r in thr:
            parts = ", ".join(f"{k}: {v:.3f} ms" for k, v in sorted(r.ms.items()))
            lines.append(f"thread scaling, {r.name} {r.op}: {parts}; speed-up {_fmt(summarize(r, peak)['speedup'], '.2f')}x")
    return "\n".join(lines)


def write_section(path, text, marker):
    """Replaces the section between ``<!-- marker:start -->`` and ``<!-- marker:end -->`` of the
    markdown file (appending it when absent), keeping everything else: each benchmark script
    owns one section of BENCHMARKS.md."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    old = open(path).read() if os.path.exists(path) else (
        "# Benchmarks\n\nGenerated by the benchmark scripts (`fastconv bench`, `benchmarks/e2e.py`); "
        "each section says which script and run it comes from. Never edited by hand.\n")
    block = f"{start}\n{text.rstrip()}\n{end}\n"
    if start in old and end in old:
        new = old[: old.index(start)] + block + old[old.index(end) + len(end) + 1:]
    else:
        new = old.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(new)


def write_markdown(path, rows, machine, peak, threads, stat="median"):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = [
        "## Kernels against PyTorch and NumPy (`fastconv bench`)",
        "",
        f"Generated by `fastconv bench` (`fastconv.bench`) on {now}. float32, {threads} threads for every library, "
        f"{stat} of repeated calls, timed side by side in blocks that rotate between the libraries; all "
        "figures come from this one run. Ratios are speed-ups of fastconv "
        "(time of the other / time of fastconv; > 1 means fastconv is faster). \"torch best\" is the faster "
        "of PyTorch's two memory formats. GFLOP/s and % of peak count 2*N*OH*OW*OC*KH*KW*C per pass "
        "(three passes for forward + backward).",
        "",
        "### Machine",
        "",
        *[f"- {k}: {v}" for k, v in machine.items()],
        "",
        "### Results",
        "",
        format_table(rows, peak, markdown=True),
        "",
    ]
    write_section(path, "\n".join(text), "kernels")


def run(threads=None, passes=PASSES, layers=None, pools=True, gemms=True, scaling=True, with_torch=True,
        with_numpy=True, min_repeats=15, min_seconds=0.3, markdown=None, verbose=True, file=None, stat="median"):
    """Runs the comparison and returns {"peak_gflops", "machine", "rows"} (rows: list of Row).

    Args:
        threads (int | None): threads for every library (default: fastconv's current count).
        passes (tuple[str]): any of "fwd", "bwd_data", "bwd_weight", "fwd+bwd".
        layers (list[str] | None): layer names from LAYERS (default: all).
        markdown (str | None): path of a BENCHMARKS.md to write.
        stat (str): "median" (default) or "min" of the repeated timings; "min" is steadier on a
            machine shared with other work, and the markdown says which was used.
    """
    global _STAT
    if stat not in ("median", "min"):
        raise ValueError(f"stat must be 'median' or 'min', got {stat!r}")
    _STAT = stat
    out = file or sys.stdout
    threads = threads or _core.get_num_threads()
    before = _core.get_num_threads()
    _core.set_num_threads(threads)
    torch = _try_torch(threads) if with_torch else None
    peak = _core.measure_peak_gflops(None, threads)
    machine = machine_description(threads, peak)
    if verbose:
        for k, v in machine.items():
            print(f"{k:>14}: {v}", file=out)
        print(file=out, flush=True)

    def log(row):
        if verbose:
            s = summarize(row, peak)
            parts = "  ".join(f"{k} {v:.3f}" for k, v in row.ms.items())
            print(f"{row.name:>28} {row.op:>10}  {parts}  | x torch best {_fmt(s['vs_torch_best'], '.2f')}"
                  f"  x numpy {_fmt(s['vs_numpy'], '.2f')}  {_fmt(s['pct_peak'], '.0f')}% peak", file=out, flush=True)

    selected = [l for l in LAYERS if layers is None or l[0] in layers]
    rows = []
    try:
        with _numpy_threads(threads):
            rows += bench_conv(torch, selected, passes, min_repeats, min_seconds, with_numpy, log)
            if pools:
                rows += bench_pool(torch, min_repeats, min_seconds, with_numpy, log)
            if gemms:
                rows += bench_gemm(min_repeats, min_seconds, log)
            if scaling and threads > 1:
                rows += bench_thread_scaling(threads, min_repeats, min_seconds, log)
    finally:
        _core.set_num_threads(before)
    if verbose:
        print(file=out)
        print(format_table(rows, peak), file=out)
    if markdown:
        write_markdown(markdown, rows, machine, peak, threads, stat)
    return {"peak_gflops": peak, "machine": machine, "rows": rows}


def add_arguments(ap, with_threads=True):
    """The command-line options of the comparison (``fastconv bench`` adds --threads itself)."""
    if with_threads:
        ap.add_argument("--threads", type=int, default=None, help="threads for every library (default: fastconv's)")
    ap.add_argument("--layers", nargs="*", default=None, help="subset of: " + " ".join(l[0] for l in LAYERS))
    ap.add_argument("--passes", nargs="*", default=list(PASSES), choices=PASSES)
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch even when it is installed")
    ap.add_argument("--no-numpy", action="store_true", help="skip the NumPy references")
    ap.add_argument("--no-pool", action="store_true")
    ap.add_argument("--no-gemm", action="store_true")
    ap.add_argument("--repeats", type=int, default=15, help="minimum timed calls per measurement")
    ap.add_argument("--seconds", type=float, default=0.3, help="minimum seconds per measurement")
    ap.add_argument("--markdown", default=None, help="write the table into this file's kernels section")
    ap.add_argument("--stat", default="median", choices=("median", "min"), help="statistic of the repeated timings")


def run_from_args(a):
    if a.threads is not None and a.threads < 1:
        raise ValueError(f"--threads must be >= 1, got {a.threads}")
    if a.repeats < 1 or a.seconds < 0:
        raise ValueError(f"--repeats must be >= 1 and --seconds >= 0, got {a.repeats} and {a.seconds}")
    unknown = sorted(set(a.layers or []) - {l[0] for l in LAYERS})
    if unknown:
        raise ValueError(f"unknown --layers {unknown}; choose from {[l[0] for l in LAYERS]}")
    return run(threads=a.threads, passes=tuple(a.passes), layers=a.layers, pools=not a.no_pool, gemms=not a.no_gemm,
               with_torch=not a.no_torch, with_numpy=not a.no_numpy, min_repeats=a.repeats, min_seconds=a.seconds,
               markdown=a.markdown, stat=a.stat)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(ap)
    run_from_args(ap.parse_args(argv))


if __name__ == "__main__":
    main()
