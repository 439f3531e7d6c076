"""Per-layer timing of a model's training step: forward and backward milliseconds per batch,
GFLOP/s, the share of the machine's measured peak, and the algorithm each convolution runs.

Used through ``model.profile(x, y)``: the steps are the executor's, so a fused pair is one row. The model's weights, optimizer state and random
generator are left as they were. Not a general Python profiler.
"""

import time
from dataclasses import dataclass

import numpy as np

from fastconv import _core, _random


@dataclass
class LayerProfile:
    """One row of a profile; GFLOP counts are per batch (0 for layers without arithmetic to speak of)."""
    name: str
    kind: str
    output_shape: tuple
    forward_ms: float
    backward_ms: float
    forward_gflop: float
    backward_gflop: float
    algorithm: str

    def gflops(self, which):
        ms, gflop = (self.forward_ms, self.forward_gflop) if which == "forward" else (self.backward_ms,
                                                                                      self.backward_gflop)
        return gflop / (ms / 1e3) if gflop and ms > 0 else float("nan")


def _flops(layer, x_shape, y_shape):
    """(forward, backward) floating-point operations of a conv or dense layer for one batch."""
    kind = type(layer).__name__
    if kind == "Conv2D":
        kh, kw, cg, _ = layer.kernel.shape
        forward = 2.0 * np.prod(y_shape) * kh * kw * cg
    elif kind == "Dense":
        forward = 2.0 * np.prod(y_shape) * layer.kernel.shape[0]
    else:
        return 0.0, 0.0
    return forward, forward * (2 if layer.need_input_grad else 1)  # input and weight gradients


def _algorithm(layer, x_shape):
    if type(layer).__name__ != "Conv2D":
        return "gemm" if type(layer).__name__ == "Dense" else ""
    from fastconv.functional import explain
    plan = explain(x_shape, layer._engine_kernel().shape, **layer._geometry(), dtype=str(layer.kernel.dtype))
    data = plan.backward_input if layer.need_input_grad else "skipped"
    return f"fwd {plan.algorithm}, bwd-data {data}, bwd-weights {plan.backward_weight}"


def _median_ms(run, repeats, prepare=None):
    times = []
    for _ in range(repeats):
        if prepare is not None:
            prepare()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def _step_flops(step, shapes):
    """(forward, backward) operations of a step: its layers' sums, each layer given its own input
    and output shapes (a fused pair's inner shape is the convolution's output)."""
    forward = backward = 0.0
    for layer, (x_shape, y_shape) in zip(step.layers, shapes):
        f, b = _flops(layer, x_shape, y_shape)
        forward, backward = forward + f, backward + b
    return forward, backward


def _layer_shapes(step, x_shape, batch):
    shapes, shape = [], x_shape
    for layer in step.layers:
        out = (batch,) + tuple(layer.compute_output_shape((None,) + tuple(shape[1:]))[1:])
        shapes.append((shape, out))
        shape = out
    return shapes


def profile_model(model, xs, ys, batch_size=32, repeats=10):
    """Time each step of the model's training step, as fit runs it (a fused pair is one step), on
    one batch of (xs, ys) (lists, one array per input and output); returns (rows, peak GFLOP/s)."""
    xb, yb = [a[:batch_size] for a in xs], [a[:batch_size] for a in ys]
    executor = model._executor
    weights, state = model.get_weights(), model.optimizer.get_state()
    random_state = _random.generator().bit_generator.state
    try:
        fused = model._prepare_training()
        outs = executor.forward(xb, training=True)
        _, _, grads, from_logits = model._losses_and_grads(yb, outs, fused)
        received = {}
        executor.backward(grads, from_logits, record=received)
        values = executor._run[0]
        batch = len(xb[0])
        rows = []
        for step in executor.steps:
            ins = [values[s] for s in step.inputs]
            x = ins[0] if step.single_input else ins
            forward_ms = _median_ms(lambda: step.forward(x, training=True), repeats)
            backward_ms = 0.0
            if id(step) in received:
                run, dy = received[id(step)]
                backward_ms = _median_ms(lambda: run(dy), repeats, prepare=lambda: step.forward(x, training=True))
            out_shape = tuple(values[step.outputs[0]].shape)
            shapes = _layer_shapes(step, ins[0].shape, batch) if step.single_input else [(None, out_shape)]
            fwd, bwd = _step_flops(step, shapes) if step.single_input else (0.0, 0.0)
            rows.append(LayerProfile("+".join(layer.name for layer in step.layers),
                                     "+".join(type(layer).__name__ for layer in step.layers), out_shape, forward_ms,
                                     backward_ms, fwd / 1e9, bwd / 1e9 if backward_ms else 0.0,
                                     ", ".join(filter(None, (_algorithm(layer, shape[0])
                                                             for layer, shape in zip(step.layers, shapes))))
                                     if step.single_input else ""))
        optimizer_ms = _median_ms(lambda: model.optimizer.apply(executor.trainable_weights), repeats)
        rows.append(LayerProfile(f"optimizer ({type(model.optimizer).__name__})", "", (), 0.0, optimizer_ms, 0.0,
                                 0.0, "engine" if type(model.optimizer).__name__ in ("SGD", "Adam") else "numpy"))
    finally:
        model.set_weights(weights)
        model.optimizer.set_state(state, executor.trainable_weights)
        _random.generator().bit_generator.state = random_state
    return rows, _core.measure_peak_gflops(None, None, 0.1, 3)


def format_profile(rows, peak, batch_size):
    """The profile as a text table, Keras-summary style."""
    header = (f"{'Layer (type)':<34}{'Output shape':<20}{'fwd ms':>8}{'bwd ms':>8}{'fwd GF/s':>10}{'bwd GF/s':>10}"
              f"{'% peak':>8}  algorithm")
    lines = [f"Profile of one training step, batch {batch_size}; measured peak {peak:.0f} GFLOP/s "
             f"({_core.get_isa()}, {_core.get_num_threads()} threads)", header, "-" * len(header)]
    total_fwd = total_bwd = 0.0
    for r in rows:
        total_fwd += r.forward_ms
        total_bwd += r.backward_ms
        rates = [r.gflops("forward"), r.gflops("backward")]
        best = np.nanmax(rates) if not all(np.isnan(rates)) else float("nan")
        cell = lambda v, fmt: f"{v:{fmt}}" if np.isfinite(v) else "-"  # noqa: E731
        name = f"{r.name} ({r.kind})" if r.kind else r.name
        lines.append(f"{name:<34.34}{str(r.output_shape) if r.output_shape else '':<20}{r.forward_ms:>8.3f}"
                     f"{r.backward_ms:>8.3f}{cell(rates[0], '10.1f'):>10}{cell(rates[1], '10.1f'):>10}"
                     f"{cell(100 * best / peak, '7.1f'):>8}  {r.algorithm}")
    lines.append("-" * len(header))
    lines.append(f"{'total':<54}{total_fwd:>8.3f}{total_bwd:>8.3f}   "
                 f"({total_fwd + total_bwd:.2f} ms a step)")
    return "\n".join(lines)
