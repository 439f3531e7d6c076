"""The engine's whole contract: conv2d, pooling, im2col and dense, forward and backward, on NumPy arrays.

Checks arguments and converts data formats at the boundary, then makes one call into the C++
engine (``fastconv._core``); no loop here touches pixels. Layers and models call only this module.

Conventions (see DESIGN.md):

* ``data_format="channels_last"`` (default, Keras): activations ``(N, H, W, C)``, conv weights
  ``(KH, KW, C // groups, OC)``. ``"channels_first"`` (PyTorch): activations ``(N, C, H, W)``,
  weights ``(OC, C // groups, KH, KW)``. Results come back in the caller's format.
* dtypes: float32 (the fast path) and float64; mixed inputs compute in the wider one. Integer,
  bool, complex and float16 inputs raise ``TypeError``.
* Any array layout is accepted: non-contiguous, Fortran-order, negative-stride or read-only
  inputs are copied once into a C-contiguous array before the call (inputs are never modified).
* Size arguments (``strides``, ``dilation``, ``pool_size``, ``kernel_size``) take an int or an
  ``(h, w)`` pair. ``padding`` takes ``"valid"``, ``"same"`` (TensorFlow's rule: output
  ``ceil(i / s)``, the odd extra row/column at the bottom/right), ``"full"``, an int, a pair, or
  ``((top, bottom), (left, right))``; pooling takes ``"valid"`` or ``"same"``.
* Convolution is cross-correlation, as in every deep-learning library.
"""

from dataclasses import dataclass

import warnings

import numpy as np

from fastconv import _core
from fastconv._args import (activation_name, as_array, data_format as _data_format, engine_array,
                            float_dtype, int_pair, int_scalar, padding_spec, resolve_pads)

__all__ = [
    "conv2d", "conv2d_backward", "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
    "im2col", "col2im", "dense", "dense_backward", "conv_output_size", "pool_output_size", "explain",
    "set_num_threads", "get_num_threads", "sgd_update", "adam_update",
]

CONV_ALGORITHMS = ("auto", "direct", "im2col", "fft", "reference")


# ---------------------------------------------------------------------------------------------
# Layout helpers: the engine is NHWC / HWIO.

def _axes(fmt):
    return "(N, H, W, C)" if fmt == "channels_last" else "(N, C, H, W)"


def _w_axes(fmt):
    return "(KH, KW, C/groups, OC)" if fmt == "channels_last" else "(OC, C/groups, KH, KW)"


def _to_nhwc(x, fmt):
    return x if fmt == "channels_last" else x.transpose(0, 2, 3, 1)


def _from_nhwc(y, fmt):
    return y if fmt == "channels_last" else np.ascontiguousarray(y.transpose(0, 3, 1, 2))


def _to_hwio(w, fmt):
    return w if fmt == "channels_last" else w.transpose(2, 3, 1, 0)


def _from_hwio(w, fmt):
    return w if fmt == "channels_last" else np.ascontiguousarray(w.transpose(3, 2, 0, 1))


def _nhwc_shape(shape, fmt):
    return tuple(shape) if fmt == "channels_last" else (shape[0], shape[2], shape[3], shape[1])


def _user_shape(nhwc_shape, fmt):
    n, h, w, c = nhwc_shape
    return (n, h, w, c) if fmt == "channels_last" else (n, c, h, w)


def _check_shape_tuple(shape, name):
    if (not isinstance(shape, (tuple, list)) or len(shape) != 4
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0 for s in shape)):
        raise ValueError(f"{name} must be a tuple of 4 non-negative ints, got {shape!r}")
    return tuple(int(s) for s in shape)


# ---------------------------------------------------------------------------------------------
# Convolution

@dataclass(frozen=True)
class _ConvCall:
    """A validated conv2d problem in engine terms (NHWC, HWIO) plus the caller's format."""
    fmt: str
    dtype: np.dtype
    x_shape: tuple      # NHWC
    kernel: tuple       # (KH, KW)
    in_per_group: int
    out_channels: int
    strides: tuple
    pads: tuple         # (top, bottom, left, right)
    dilation: tuple
    groups: int
    out_shape: tuple    # NHWC

    def args(self):
        return self.strides, self.pads, self.dilation, self.groups


def _conv_call(fn, x_shape_user, w_shape_user, dtype, strides, padding, dilation, groups, data_format):
    fmt = _data_format(data_format)
    strides = int_pair(strides, "strides", 1)
    dilation = int_pair(dilation, "dilation", 1)
    spec = padding_spec(padding, ("valid", "same", "full", "explicit"))
    groups = int_scalar(groups, "groups", 1)
    if len(x_shape_user) != 4:
        raise ValueError(f"{fn}: x must be 4-D {_axes(fmt)} for data_format={fmt!r}, got shape {tuple(x_shape_user)}")
    if len(w_shape_user) != 4:
        raise ValueError(f"{fn}: w must be 4-D {_w_axes(fmt)} for data_format={fmt!r}, got shape {tuple(w_shape_user)}")
    n, h, w, c = _nhwc_shape(x_shape_user, fmt)
    kh, kw, cg, oc = w_shape_user if fmt == "channels_last" else (*w_shape_user[2:], w_shape_user[1], w_shape_user[0])
    where = f"x has shape {tuple(x_shape_user)} {_axes(fmt)}, w has shape {tuple(w_shape_user)} {_w_axes(fmt)}"
    if min(kh, kw, cg, oc) < 1:
        raise ValueError(f"{fn}: w must have no zero-size axis; {where}")
    if c < 1:
        raise ValueError(f"{fn}: x has no channels; {where}")
    if c % groups or oc % groups:
        raise ValueError(f"{fn}: groups={groups} must divide both the input channels C={c} and the "
                         f"output channels OC={oc}; {where}")
    if c // groups != cg:
        raise ValueError(f"{fn}: channel mismatch: x has C={c} input channels, so w needs C/groups={c // groups} "
                         f"(groups={groups}) but has {cg}; {where}")
    pads = resolve_pads(spec, (h, w), (kh, kw), strides, dilation)
    # The canonical geometry (csrc/core/geometry.h) is what every algorithm, the FFT included, runs.
    oh, sh, dh, pt, pb = _core.conv_axis(h, kh, strides[0], pads[0], pads[1], dilation[0])
    ow, sw, dw, pl, pr = _core.conv_axis(w, kw, strides[1], pads[2], pads[3], dilation[1])
    if oh < 1 or ow < 1:
        ekh, ekw = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
        raise ValueError(f"{fn}: the kernel {kh}x{kw} (dilation {dilation[0]}x{dilation[1]}, spanning "
                         f"{ekh}x{ekw}) is larger than the padded input "
                         f"{h + pads[0] + pads[1]}x{w + pads[2] + pads[3]} (H x W); {where}, padding={padding!r}. "
                         f"Is the channel axis where data_format={fmt!r} expects it?")
    return _ConvCall(fmt, dtype, (n, h, w, c), (kh, kw), cg, oc, (sh, sw), (pt, pb, pl, pr), (dh, dw), groups,
                     (n, oh, ow, oc))


def _check_algorithm(algorithm):
    if not isinstance(algorithm, str) or algorithm not in CONV_ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(map(repr, CONV_ALGORITHMS))}, got {algorithm!r}")
    return algorithm


def _forward_algorithm(call, algorithm):
    """What conv2d runs: "auto" becomes "fft" where the FFT cost model (fitted on measured
    crossovers; it never pays at 3x3) says it beats the engine, else the name goes to the engine."""
    if algorithm != "auto" or max(call.kernel) < 5:
        return algorithm
    from fastconv._fft_conv import fft_conv2d_cost
    engine_s, fft_s = fft_conv2d_cost(call.x_shape, (*call.kernel, call.in_per_group, call.out_channels),
                                      call.strides, call.pads, call.dilation, call.groups,
                                      threads=_core.get_num_threads())
    return "fft" if fft_s < engine_s else "auto"


def conv2d(x, w, b=None, strides=1, padding="valid", dilation=1, groups=1, activation=None,
           data_format="channels_last", algorithm="auto"):
    """2-D convolution (cross-correlation) with optional bias and fused ReLU.

    Args:
        x (ndarray): input, ``(N, H, W, C)`` (channels_last) or ``(N, C, H, W)`` (channels_first).
        w (ndarray): kernel, ``(KH, KW, C // groups, OC)`` or ``(OC, C // groups, KH, KW)``.
        b (ndarray or None): bias, ``(OC,)``.
        strides (int or pair): step of the window, >= 1.
        padding (str, int, pair or pair of pairs): see the module docstring.
        dilation (int or pair): spacing of the kernel taps, >= 1.
        groups (int): channel groups; ``groups == C`` with OC a multiple of C is depthwise.
        activation (None, "linear" or "relu"): applied after the bias, in the same pass.
        data_format (str): ``"channels_last"`` or ``"channels_first"``.
        algorithm (str): ``"auto"`` (the fastest for the shapes, see :func:`explain`),
            ``"direct"`` (NHWC implicit GEMM: patches packed straight from x), ``"im2col"``
            (explicit patch matrix + GEMM), ``"fft"`` (through NumPy's FFT; worth it for large
            kernels) or ``"reference"`` (plain loops, slow).

    Returns:
        ndarray: ``(N, OH, OW, OC)`` or ``(N, OC, OH, OW)``, dtype float32 or float64.

    Raises:
        TypeError: a non-float dtype, or a size argument that is not an int or a pair.
        ValueError: wrong ndim, channel mismatch, groups not dividing channels, kernel larger
            than the padded input, stride or dilation < 1, negative padding, unknown strings.

    >>> x = np.ones((1, 4, 4, 1), np.float32); w = np.ones((3, 3, 1, 2), np.float32)
    >>> conv2d(x, w, padding="same")[0, :, :, 0]
    array([[4., 6., 6., 4.],
           [6., 9., 9., 6.],
           [6., 9., 9., 6.],
           [4., 6., 6., 4.]], dtype=float32)
    """
    x = as_array(x, "x")
    w = as_array(w, "w")
    arrays = [(x, "x"), (w, "w")]
    if b is not None:
        b = as_array(b, "b")
        arrays.append((b, "b"))
    dtype = float_dtype(*arrays)
    call = _conv_call("conv2d", x.shape, w.shape, dtype, strides, padding, dilation, groups, data_format)
    if b is not None and b.shape != (call.out_channels,):
        raise ValueError(f"conv2d: b must have shape ({call.out_channels},) (OC), got {b.shape}")
    relu = activation_name(activation) == "relu"
    args = (engine_array(_to_nhwc(x, call.fmt), dtype), engine_array(_to_hwio(w, call.fmt), dtype),
            None if b is None else engine_array(b, dtype), *call.args(), relu)
    if _forward_algorithm(call, _check_algorithm(algorithm)) == "fft":
        from fastconv._fft_conv import conv2d_fft
        return _from_nhwc(conv2d_fft(*args), call.fmt)
    return _from_nhwc(_core.conv2d_forward(*args, algorithm), call.fmt)


def conv2d_backward(dy, x, w, strides=1, padding="valid", dilation=1, groups=1, data_format="channels_last",
                    need_input_grad=True, activation=None, y=None, algorithm="auto"):
    """Gradients of conv2d with respect to its input, kernel and bias.

    Args:
        dy (ndarray): gradient of the loss w.r.t. conv2d's output, in the output's shape.
        x, w: the forward call's input and kernel; strides ... data_format as in the forward call.
        need_input_grad (bool): False skips dx (e.g. a network's first layer) and returns None.
        activation (None, "linear" or "relu"): the forward call's fused activation; with "relu",
            pass the forward output as ``y`` and dy is taken through the ReLU (zero where y <= 0).
        y (ndarray or None): the forward output, required with activation="relu".
        algorithm (str): as in conv2d; "fft" computes the backward with the engine's "auto" choice.

    Returns:
        tuple: ``(dx, dw, db)``: dx like x (or None), dw like w, db ``(OC,)``.

    Raises:
        TypeError, ValueError: as conv2d, plus dy or y not of the output's shape.
    """
    dy = as_array(dy, "dy")
    x = as_array(x, "x")
    w = as_array(w, "w")
    dtype = float_dtype((dy, "dy"), (x, "x"), (w, "w"))
    call = _conv_call("conv2d_backward", x.shape, w.shape, dtype, strides, padding, dilation, groups, data_format)
    expected = _user_shape(call.out_shape, call.fmt)
    if dy.shape != expected:
        raise ValueError(f"conv2d_backward: dy must have the output's shape {expected}, got {dy.shape}")
    y_e = None
    if activation_name(activation) == "relu":
        if y is None:
            raise ValueError("conv2d_backward: activation='relu' needs the forward output y")
        y = as_array(y, "y")
        if y.shape != expected:
            raise ValueError(f"conv2d_backward: y must have the output's shape {expected}, got {y.shape}")
        y_e = engine_array(_to_nhwc(y, call.fmt), dtype)
    algorithm = _check_algorithm(algorithm)
    if algorithm == "fft":
        algorithm = "auto"
    dx, dw, db = _core.conv2d_backward(engine_array(_to_nhwc(dy, call.fmt), dtype),
                                       engine_array(_to_nhwc(x, call.fmt), dtype),
                                       engine_array(_to_hwio(w, call.fmt), dtype), y_e, *call.args(),
                                       bool(need_input_grad), algorithm)
    if dx is not None:
        dx = _from_nhwc(dx, call.fmt)
    return dx, _from_hwio(dw, call.fmt), db


@dataclass(frozen=True)
class ConvPlan:
    """What fastconv runs for a conv2d call and its backward (see :func:`explain`)."""
    algorithm: str          # forward
    backward_input: str
    backward_weight: str
    output_shape: tuple
    gflop: float            # forward; the backward costs about twice as much
    isa: str
    gemm_kernel: str
    threads: int

    def passes(self):
        return f"fwd {self.algorithm}, bwd-data {self.backward_input}, bwd-weights {self.backward_weight}"

    def __str__(self):
        return (f"conv2d -> {self.output_shape}: {self.passes()}; {self.gflop:.3g} GFLOP forward, "
                f"isa={self.isa}, gemm kernel={self.gemm_kernel}, threads={self.threads}")


def explain(x, w, strides=1, padding="valid", dilation=1, groups=1, data_format="channels_last", dtype="float32",
            algorithm="auto"):
    """The algorithms conv2d and conv2d_backward run for these shapes, without running them.

    Args:
        x, w (ndarray or shape tuple): the input and kernel, or just their shapes.
        strides ... data_format: as in conv2d. dtype (str): used when shapes are given.
        algorithm (str): as in conv2d ("auto" shows what it picks).

    Returns:
        ConvPlan: per-pass algorithms, output shape, GFLOP, ISA, GEMM micro-kernel, threads.

    >>> explain((64, 32, 32, 3), (3, 3, 3, 32)).output_shape
    (64, 30, 30, 32)
    """
    x_shape = x.shape if hasattr(x, "shape") else tuple(x)
    w_shape = w.shape if hasattr(w, "shape") else tuple(w)
    dtype = np.dtype(getattr(x, "dtype", dtype))
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"explain: dtype must be float32 or float64, got {dtype}")
    call = _conv_call("explain", x_shape, w_shape, dtype, strides, padding, dilation, groups, data_format)
    algorithm = _check_algorithm(algorithm)
    engine = "auto" if algorithm == "fft" else algorithm
    plan = _core.conv2d_plan(call.x_shape, (*call.kernel, call.in_per_group, call.out_channels), *call.args(),
                             engine, dtype.name)
    forward = "fft" if _forward_algorithm(call, algorithm) == "fft" else plan["forward"]
    return ConvPlan(forward, plan["backward_input"], plan["backward_weight"], _user_shape(call.out_shape, call.fmt),
                    plan["flops"] / 1e9, _core.get_isa(), _core.gemm_kernel(dtype.name), _core.get_num_threads())


# ---------------------------------------------------------------------------------------------
# Pooling

def _pool_call(fn, x_shape_user, pool_size, strides, padding, data_format):
    fmt = _data_format(data_format)
    pool = int_pair(pool_size, "pool_size", 1)
    strides = pool if strides is None else int_pair(strides, "strides", 1)
    spec = padding_spec(padding, ("valid", "same"))
    if len(x_shape_user) != 4:
        raise ValueError(f"{fn}: x must be 4-D {_axes(fmt)} for data_format={fmt!r}, got shape {tuple(x_shape_user)}")
    n, h, w, c = _nhwc_shape(x_shape_user, fmt)
    if min(h, w, c) < 1:
        raise ValueError(f"{fn}: x must have non-empty H, W and C axes, got shape {tuple(x_shape_user)} {_axes(fmt)}")
    pads = resolve_pads(spec, (h, w), pool, strides, (1, 1))
    oh, sh, _, pt, pb = _core.conv_axis(h, pool[0], strides[0], pads[0], pads[1], 1)
    ow, sw, _, pl, pr = _core.conv_axis(w, pool[1], strides[1], pads[2], pads[3], 1)
    if oh < 1 or ow < 1:
        raise ValueError(f"{fn}: pool_size {pool[0]}x{pool[1]} is larger than the input {h}x{w} (H x W) of "
                         f"x with shape {tuple(x_shape_user)} {_axes(fmt)}, padding={padding!r}")
    return fmt, (n, h, w, c), pool, (sh, sw), (pt, pb, pl, pr), (n, oh, ow, c)


def _pool_input(x, fn):
    x = as_array(x, "x")
    return x, float_dtype((x, "x"))


def _pool_dy(dy, out_shape, fmt, dtype_x, fn):
    dy = as_array(dy, "dy")
    dtype = np.result_type(dtype_x, float_dtype((dy, "dy")))
    expected = _user_shape(out_shape, fmt)
    if dy.shape != expected:
        raise ValueError(f"{fn}: dy must have the output's shape {expected}, got {dy.shape}")
    return engine_array(_to_nhwc(dy, fmt), dtype)


def max_pool2d(x, pool_size=2, strides=None, padding="valid", data_format="channels_last", return_indices=False):
    """Max pooling; NaN propagates (a window holding NaN gives NaN), like PyTorch.

    Args:
        x (ndarray): ``(N, H, W, C)`` or ``(N, C, H, W)``, float32 or float64.
        pool_size (int or pair): window size. strides (int, pair or None): default pool_size.
        padding ("valid" or "same"): padded cells never win.
        data_format (str): as in conv2d.
        return_indices (bool): also return, per output element, the flat index ``ih * W + iw``
            of the first maximum in its window (int64, the output's shape), for the backward.

    Returns:
        ndarray, or (ndarray, ndarray) with return_indices.

    >>> max_pool2d(np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1))[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """
    x, dtype = _pool_input(x, "max_pool2d")
    fmt, _, pool, strides, pads, _ = _pool_call("max_pool2d", x.shape, pool_size, strides, padding, data_format)
    result = _core.max_pool2d_forward(engine_array(_to_nhwc(x, fmt), dtype), pool, strides, pads, bool(return_indices))
    if return_indices:
        return _from_nhwc(result[0], fmt), _from_nhwc(result[1], fmt)
    return _from_nhwc(result, fmt)


def max_pool2d_backward(dy, x, pool_size=2, strides=None, padding="valid", data_format="channels_last",
                        indices=None):
    """Gradient of max_pool2d w.r.t. x: each dy goes to its window's first maximum (summed where
    windows overlap).

    Args:
        dy (ndarray): gradient w.r.t. the output. x (ndarray): the forward input.
        pool_size ... data_format: as in the forward call.
        indices (ndarray or None): the forward's ``return_indices`` output, to skip recomputing it.

    Returns:
        ndarray: dx, like x.
    """
    x, dtype = _pool_input(x, "max_pool2d_backward")
    fmt, x_shape, pool, strides, pads, out_shape = _pool_call("max_pool2d_backward", x.shape, pool_size, strides,
                                                              padding, data_format)
    dy_e = _pool_dy(dy, out_shape, fmt, dtype, "max_pool2d_backward")
    if indices is None:
        _, argmax = _core.max_pool2d_forward(engine_array(_to_nhwc(x, fmt), dtype), pool, strides, pads, True)
    else:
        indices = as_array(indices, "indices")
        if indices.dtype.kind not in "iu":
            raise TypeError(f"max_pool2d_backward: indices must be integers, got dtype {indices.dtype}")
        if indices.shape != _user_shape(out_shape, fmt):
            raise ValueError(f"max_pool2d_backward: indices must have the output's shape "
                             f"{_user_shape(out_shape, fmt)}, got {indices.shape}")
        argmax = engine_array(_to_nhwc(indices, fmt), np.int64)
    return _from_nhwc(_core.max_pool2d_backward(dy_e, argmax, x_shape, pool, strides, pads), fmt)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid", data_format="channels_last", count_include_pad=False):
    """Average pooling.

    Args:
        x, pool_size, strides, padding, data_format: as in max_pool2d.
        count_include_pad (bool): divide by the whole window (True) or by its cells inside the
            input (False, Keras's behaviour for "same").

    Returns:
        ndarray: the pooled x.
    """
    x, dtype = _pool_input(x, "avg_pool2d")
    fmt, _, pool, strides, pads, _ = _pool_call("avg_pool2d", x.shape, pool_size, strides, padding, data_format)
    y = _core.avg_pool2d_forward(engine_array(_to_nhwc(x, fmt), dtype), pool, strides, pads, bool(count_include_pad))
    return _from_nhwc(y, fmt)


def avg_pool2d_backward(dy, x, pool_size=2, strides=None, padding="valid", data_format="channels_last",
                        count_include_pad=False):
    """Gradient of avg_pool2d w.r.t. its input.

    Args:
        dy (ndarray): gradient w.r.t. the output.
        x (ndarray or shape tuple): the forward input (only its shape is used).
        pool_size ... count_include_pad: as in the forward call.

    Returns:
        ndarray: dx, shaped like x, dtype of dy.
    """
    if hasattr(x, "shape"):
        x_shape_user, dtype = x.shape, float_dtype((as_array(x, "x"), "x"))
    else:
        x_shape_user, dtype = _check_shape_tuple(x, "x"), np.dtype(np.float32)
    fmt, x_shape, pool, strides, pads, out_shape = _pool_call("avg_pool2d_backward", x_shape_user, pool_size, strides,
                                                              padding, data_format)
    dy_e = _pool_dy(dy, out_shape, fmt, dtype, "avg_pool2d_backward")
    return _from_nhwc(_core.avg_pool2d_backward(dy_e, x_shape, pool, strides, pads, bool(count_include_pad)), fmt)


# ---------------------------------------------------------------------------------------------
# Patch matrices

def _im2col_call(fn, x_shape_user, kernel_size, strides, padding, dilation, data_format, dtype):
    kh, kw = int_pair(kernel_size, "kernel_size", 1)
    fmt = _data_format(data_format)
    c = _nhwc_shape(x_shape_user, fmt)[3] if len(x_shape_user) == 4 else 1
    w_shape = (kh, kw, c, 1) if fmt == "channels_last" else (1, c, kh, kw)
    return _conv_call(fn, x_shape_user, w_shape, dtype, strides, padding, dilation, 1, fmt)


def im2col(x, kernel_size, strides=1, padding="valid", dilation=1, data_format="channels_last"):
    """The patch matrix of x: one row per output pixel, one column per kernel tap and channel.

    With channels_last, columns are ordered (kh, kw, c), so ``im2col(x, k) @ w.reshape(-1, OC)``
    is ``conv2d(x, w)`` flattened; with channels_first they are ordered (c, kh, kw), matching
    ``w.reshape(OC, -1).T`` for OIHW weights.

    Returns:
        ndarray: ``(N * OH * OW, KH * KW * C)``; rows ordered (n, oh, ow).

    >>> im2col(np.arange(9.0).reshape(1, 3, 3, 1), 2)
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    """
    x = as_array(x, "x")
    dtype = float_dtype((x, "x"))
    call = _im2col_call("im2col", x.shape, kernel_size, strides, padding, dilation, data_format, dtype)
    cols = _core.im2col(engine_array(_to_nhwc(x, call.fmt), dtype), call.kernel, call.strides, call.pads,
                        call.dilation)
    if call.fmt == "channels_first":
        kh, kw = call.kernel
        c = call.x_shape[3]
        cols = np.ascontiguousarray(cols.reshape(-1, kh, kw, c).transpose(0, 3, 1, 2).reshape(-1, c * kh * kw))
    return cols


def col2im(cols, x_shape, kernel_size, strides=1, padding="valid", dilation=1, data_format="channels_last"):
    """The adjoint of im2col: adds each row's patch back into an array of x_shape (overlaps sum).

    Args:
        cols (ndarray): ``(N * OH * OW, KH * KW * C)``, ordered as im2col returns it.
        x_shape (tuple): the shape of the image tensor, in data_format's order.

    Returns:
        ndarray: of x_shape.
    """
    cols = as_array(cols, "cols", 2)
    dtype = float_dtype((cols, "cols"))
    x_shape = _check_shape_tuple(x_shape, "x_shape")
    call = _im2col_call("col2im", x_shape, kernel_size, strides, padding, dilation, data_format, dtype)
    n, oh, ow, _ = call.out_shape
    kh, kw = call.kernel
    c = call.x_shape[3]
    if cols.shape != (n * oh * ow, kh * kw * c):
        raise ValueError(f"col2im: cols must have shape ({n * oh * ow}, {kh * kw * c}) for x_shape {x_shape}, "
                         f"got {cols.shape}")
    if call.fmt == "channels_first":
        cols = cols.reshape(-1, c, kh, kw).transpose(0, 2, 3, 1).reshape(cols.shape[0], -1)
    x = _core.col2im(engine_array(cols, dtype), call.x_shape, call.kernel, call.strides, call.pads, call.dilation)
    return _from_nhwc(x, call.fmt)


# ---------------------------------------------------------------------------------------------
# Dense (fully connected) on the engine's GEMM

def _dense_arrays(fn, x, w):
    x = as_array(x, "x")
    w = as_array(w, "w", 2)
    if x.ndim < 1 or x.shape[-1] != w.shape[0]:
        raise ValueError(f"{fn}: x's last axis must match w's first: x has shape {x.shape}, w has shape {w.shape} "
                         "(in_features, units)")
    return x, w


def dense(x, w, b=None, activation=None):
    """``act(x @ w + b)`` over the last axis of x, with bias and ReLU fused into the GEMM.

    Args:
        x (ndarray): ``(..., in_features)``. w (ndarray): ``(in_features, units)`` (Keras's order).
        b (ndarray or None): ``(units,)``. activation (None, "linear" or "relu").

    Returns:
        ndarray: ``(..., units)``.
    """
    x, w = _dense_arrays("dense", x, w)
    arrays = [(x, "x"), (w, "w")]
    if b is not None:
        b = as_array(b, "b")
        arrays.append((b, "b"))
        if b.shape != (w.shape[1],):
            raise ValueError(f"dense: b must have shape ({w.shape[1]},), got {b.shape}")
    dtype = float_dtype(*arrays)
    x2 = engine_array(x.reshape(-1, w.shape[0]), dtype)
    y = _core.gemm(x2, engine_array(w, dtype), None, False, False, 1.0, 0.0,
                   None if b is None else engine_array(b, dtype), activation_name(activation) == "relu")
    return y.reshape(*x.shape[:-1], w.shape[1])


def dense_backward(dy, x, w, need_input_grad=True, activation=None, y=None):
    """Gradients of dense: ``(dx, dw, db)`` (dx None when not needed).

    Args:
        dy (ndarray): ``(..., units)``. x, w, activation: the forward call's.
        y (ndarray or None): the forward output, required with activation="relu".
    """
    dy = as_array(dy, "dy")
    x, w = _dense_arrays("dense_backward", x, w)
    dtype = float_dtype((dy, "dy"), (x, "x"), (w, "w"))
    if dy.shape != (*x.shape[:-1], w.shape[1]):
        raise ValueError(f"dense_backward: dy must have shape {(*x.shape[:-1], w.shape[1])}, got {dy.shape}")
    dy2 = engine_array(dy.reshape(-1, w.shape[1]), dtype)
    if activation_name(activation) == "relu":
        if y is None or np.shape(y) != dy.shape:
            raise ValueError(f"dense_backward: activation='relu' needs the forward output y of shape {dy.shape}")
        dy2 = _core.relu_backward(dy2, engine_array(as_array(y, "y").reshape(dy2.shape), dtype))
    x2 = engine_array(x.reshape(-1, w.shape[0]), dtype)
    w_e = engine_array(w, dtype)
    dw = _core.gemm(x2, dy2, None, True, False)
    db = dy2.sum(axis=0)
    dx = _core.gemm(dy2, w_e, None, False, True).reshape(x.shape) if need_input_grad else None
    return dx, dw, db


# ---------------------------------------------------------------------------------------------
# Geometry and threads

def _padding_pair(padding, i, k, s, d):
    if isinstance(padding, str):
        return _core.resolve_padding(padding_spec(padding), i, k, s, d)
    return int_pair(padding, "padding", 0)


def conv_output_size(i, k, s=1, padding="valid", d=1):
    """Output length of a convolution along one axis: ``floor((i + p_begin + p_end - d*(k-1) - 1) / s) + 1``.

    Args:
        i (int): input length. k (int): kernel length. s (int): stride. d (int): dilation.
        padding: "valid", "same", "full", an int (both ends) or a pair (begin, end).

    Returns:
        int: the output length; 0 when the kernel does not fit.

    >>> conv_output_size(32, 3), conv_output_size(32, 3, 2, "same"), conv_output_size(5, 3, padding="full")
    (30, 16, 7)
    """
    i, k, s, d = (int_scalar(v, name, low) for v, name, low in ((i, "i", 0), (k, "k", 1), (s, "s", 1), (d, "d", 1)))
    begin, end = _padding_pair(padding, i, k, s, d)
    return _core.conv_output_size(i, k, s, begin, end, d)


def pool_output_size(i, k, s=None, padding="valid"):
    """Output length of pooling along one axis (stride defaults to the window, as in Keras).

    >>> pool_output_size(30, 2), pool_output_size(7, 2, padding="same")
    (15, 4)
    """
    s = k if s is None else s
    padding_spec(padding, ("valid", "same"))
    return conv_output_size(i, k, s, padding, 1)


def set_num_threads(n):
    """Use n threads in the engine's parallel regions, instead of OMP_NUM_THREADS or the CPU count.

    A limit set later around a call (``threadpoolctl.threadpool_limits``) caps it. At most
    ``4 * os.cpu_count()`` threads: more only oversubscribe the cores, and tens of thousands make
    the OpenMP runtime end the process, so a larger n is capped with a RuntimeWarning.
    """
    n = int_scalar(n, "n", 1)
    most = _core.max_threads()
    if n > most:
        warnings.warn(f"set_num_threads({n}): capped at {most} threads, the engine's maximum (4 per CPU)",
                      RuntimeWarning, stacklevel=2)
        n = most
    _core.set_num_threads(n)


def get_num_threads():
    """Threads the engine's parallel regions use."""
    return _core.get_num_threads()


# ---------------------------------------------------------------------------------------------
# Optimizer updates, in place (Keras 3's formulas), with the L2 penalty's gradient fused in

def _state_array(array, name, param):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(array).__name__}")
    if array.dtype != param.dtype or array.shape != param.shape:
        raise ValueError(f"{name} must match param (shape {param.shape}, dtype {param.dtype}), "
                         f"got shape {array.shape}, dtype {array.dtype}")
    if not (array.flags.c_contiguous and array.flags.writeable):
        raise ValueError(f"{name} must be a writeable C-contiguous array: it is updated in place")
    return array


def _update_args(param, grad):
    if not isinstance(param, np.ndarray):
        raise TypeError(f"param must be a numpy array, got {type(param).__name__}")
    float_dtype((param, "param"))
    _state_array(param, "param", param)
    grad = as_array(grad, "grad")
    float_dtype((grad, "grad"))
    if grad.shape != param.shape:
        raise ValueError(f"grad must have param's shape {param.shape}, got {grad.shape}")
    return engine_array(grad, param.dtype)


def _finite(value, name, low=None, high=None):
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
    return float(value)


def sgd_update(param, grad, velocity=None, learning_rate=0.01, momentum=0.0, nesterov=False, l2=0.0):
    """One SGD step on param, in place: Keras's SGD with the L2 penalty's gradient added.

    ``g = grad + 2 * l2 * param``; without momentum ``param -= learning_rate * g``; with it
    ``velocity = momentum * velocity - learning_rate * g`` and ``param += velocity`` (Nesterov:
    ``param += momentum * velocity - learning_rate * g``).

    Args:
        param (ndarray): writeable, C-contiguous float32/float64 parameters, updated in place.
        grad (array-like): the loss gradient, param's shape.
        velocity (ndarray or None): momentum state like param (updated in place); needed when
            momentum > 0.
        learning_rate, momentum (float): momentum in [0, 1]. nesterov (bool). l2 (float): >= 0.

    >>> p = np.ones(3, np.float32); sgd_update(p, np.ones(3), learning_rate=0.5); p
    array([0.5, 0.5, 0.5], dtype=float32)
    """
    grad = _update_args(param, grad)
    lr = _finite(learning_rate, "learning_rate")
    momentum = _finite(momentum, "momentum", 0.0, 1.0)
    l2 = _finite(l2, "l2", 0.0)
    if momentum > 0:
        if velocity is None:
            raise ValueError("sgd_update: momentum > 0 needs a velocity array like param")
        _state_array(velocity, "velocity", param)
    _core.sgd_update(param, grad, velocity if momentum > 0 else None, lr, momentum, bool(nesterov), l2)


def adam_update(param, grad, m, v, step, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, l2=0.0):
    """One Adam step on param, in place, as Keras 3 computes it.

    ``g = grad + 2 * l2 * param``; ``m = b1*m + (1-b1)*g``; ``v = b2*v + (1-b2)*g**2``;
    ``param -= lr * sqrt(1 - b2**step) / (1 - b1**step) * m / (sqrt(v) + epsilon)``.

    Args:
        param (ndarray): writeable, C-contiguous float parameters, updated in place.
        grad (array-like): param's shape. m, v (ndarray): moment estimates like param, in place.
        step (int): this update's number, from 1.
        learning_rate, beta_1, beta_2 (betas in [0, 1)), epsilon (> 0), l2 (>= 0): floats.
    """
    grad = _update_args(param, grad)
    _state_array(m, "m", param)
    _state_array(v, "v", param)
    step = int_scalar(step, "step", 1)
    lr = _finite(learning_rate, "learning_rate")
    b1 = _finite(beta_1, "beta_1", 0.0, 1.0)
    b2 = _finite(beta_2, "beta_2", 0.0, 1.0)
    if b1 >= 1.0 or b2 >= 1.0:
        raise ValueError(f"beta_1 and beta_2 must be < 1, got {beta_1!r}, {beta_2!r}")
    eps = _finite(epsilon, "epsilon", 0.0)
    if eps <= 0:
        raise ValueError(f"epsilon must be > 0, got {epsilon!r}")
    alpha = lr * np.sqrt(1.0 - b2 ** step) / (1.0 - b1 ** step)
    _core.adam_update(param, grad, m, v, alpha, b1, b2, eps, _finite(l2, "l2", 0.0))
