"""Conv2D: Keras's 2-D convolution layer over fastconv.functional.conv2d (bias and ReLU fused).

The kernel is ``(kh, kw, c_in // groups, filters)`` whatever data_format is, as in Keras, so
Keras weights load unchanged. Not a transposed or separable convolution.
"""

import numbers

import numpy as np

from fastconv import _core, functional as F
from fastconv._args import data_format as _data_format, int_pair
from fastconv.layers.base import ActivationOutput, Layer, serialize_init, serialize_reg

__all__ = ["Conv2D"]


def _positive_int(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _keras_padding(padding):
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding.lower()


class Conv2D(ActivationOutput, Layer):
    """2-D convolution (cross-correlation): ``activation(conv2d(x, kernel) + bias)``.

    Args:
        filters (int): output channels. kernel_size (int or pair): (kh, kw).
        strides (int or pair): default (1, 1). padding (str): "valid" (default) or "same".
        data_format (str or None): "channels_last" (default) or "channels_first".
        dilation_rate (int or pair): default (1, 1); strides > 1 and dilation > 1 exclude each other.
        groups (int): divides the input channels and filters.
        activation (str, function or None): relu (fused into the engine), softmax, sigmoid, tanh, linear.
        use_bias (bool). kernel_initializer, bias_initializer (str or Initializer): default
            "glorot_uniform" and "zeros". kernel_regularizer, bias_regularizer (Regularizer or None).
        **kwargs: Layer's (name, trainable, dtype, input_shape).

    Input shape: ``(N, H, W, C)`` (channels_last) or ``(N, C, H, W)``.
    Output shape: ``(N, OH, OW, filters)`` or ``(N, filters, OH, OW)``.

    Raises:
        ValueError, TypeError: naming the argument, what was expected and what was received.

    >>> import numpy as np
    >>> Conv2D(2, 3, kernel_initializer="ones")(np.ones((1, 5, 5, 1))).shape
    (1, 3, 3, 2)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = _positive_int(filters, "filters")
        self.kernel_size = int_pair(kernel_size, "kernel_size", 1)
        self.strides = int_pair(strides, "strides", 1)
        self.padding = _keras_padding(padding)
        self.data_format = _data_format(data_format)
        self.dilation_rate = int_pair(dilation_rate, "dilation_rate", 1)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"strides > 1 is incompatible with dilation_rate > 1, got strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}")
        self.groups = _positive_int(groups, "groups")
        if self.filters % self.groups:
            raise ValueError(f"filters must be a multiple of groups, got filters={self.filters}, groups={self.groups}")
        self._standardize_options(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                  bias_regularizer)
        self._calls = {}        # input shape -> the engine's geometry (functional._ConvCall)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def weight_specs(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"Conv2D {self.name!r} expects 4-D inputs (batch, H, W, C) for "
                             f"data_format={self.data_format!r}, got input shape {tuple(input_shape)}")
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"Conv2D {self.name!r}: the channel axis of the input must be known, got {input_shape}")
        if channels % self.groups:
            raise ValueError(f"Conv2D {self.name!r}: input channels {channels} must be a multiple of "
                             f"groups={self.groups} (input shape {tuple(input_shape)})")
        specs = [("kernel", (*self.kernel_size, channels // self.groups, self.filters), self.kernel_initializer,
                  self.kernel_regularizer, True)]
        if self.use_bias:
            specs.append(("bias", (self.filters,), self.bias_initializer, self.bias_regularizer, True))
        return specs

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            n, h, w, _ = input_shape
        else:
            n, _, h, w = input_shape
        oh, ow = (None if i is None else F.conv_output_size(i, k, s, self.padding, d)
                  for i, k, s, d in zip((h, w), self.kernel_size, self.strides, self.dilation_rate))
        if (oh is not None and oh < 1) or (ow is not None and ow < 1):
            raise ValueError(f"Conv2D {self.name!r}: kernel {self.kernel_size} does not fit the input "
                             f"{tuple(input_shape)} with padding={self.padding!r}")
        return (n, oh, ow, self.filters) if self.data_format == "channels_last" else (n, self.filters, oh, ow)

    def _engine_kernel(self):
        # Keras keeps HWIO for both formats; the functional API wants OIHW with channels_first.
        return self.kernel if self.data_format == "channels_last" else self.kernel.transpose(3, 2, 0, 1)

    def _geometry(self):
        return dict(strides=self.strides, padding=self.padding, dilation=self.dilation_rate, groups=self.groups,
                    data_format=self.data_format)

    def _engine_call(self, x_shape):
        """The engine's geometry for inputs of x_shape, checked by the functional API once per shape."""
        call = self._calls.get(x_shape)
        if call is None:
            if len(self._calls) >= 8:       # inputs of varying H, W: keep only recent shapes
                self._calls.clear()
            call = self._calls[x_shape] = F._conv_call("conv2d", x_shape, self._engine_kernel().shape, self.dtype,
                                                       **self._geometry())
        return call

    def forward(self, x, training=False):
        # The engine directly (F.conv2d's checks done once per shape by _engine_call), in its NHWC layout.
        x = self._check_input(x, ndim=4)
        call = self._engine_call(x.shape)
        x_e = np.ascontiguousarray(F._to_nhwc(x, call.fmt))
        args = (x_e, self.kernel, self.bias, *call.args(), self.activation == "relu")
        algorithm = F._forward_algorithm(call, "auto")
        if algorithm == "fft":
            from fastconv._fft_conv import conv2d_fft
            z = conv2d_fft(*args)
        else:
            z = _core.conv2d_forward(*args, algorithm)
        y, logits = self._activate(F._from_nhwc(z, call.fmt))
        self._cache = ((x_e, call), y, logits)
        return y

    def _backward_linear(self, dz, y_relu):
        x_e, call = self._cache[0]
        nhwc = lambda a: np.ascontiguousarray(F._to_nhwc(a, call.fmt))  # noqa: E731
        dx, dw, db = _core.conv2d_backward(nhwc(dz), x_e, self.kernel, None if y_relu is None else nhwc(y_relu),
                                           *call.args(), self.need_input_grad, "auto")
        self._weights[0].grad = dw          # HWIO, the kernel's own layout in both data formats
        if self.use_bias:
            self._weights[1].grad = db
        self._add_regularization_gradients()
        return None if dx is None else F._from_nhwc(dx, call.fmt)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=list(self.kernel_size), strides=list(self.strides),
                      padding=self.padding, data_format=self.data_format, dilation_rate=list(self.dilation_rate),
                      groups=self.groups, activation=self.activation, use_bias=self.use_bias,
                      kernel_initializer=serialize_init(self.kernel_initializer),
                      bias_initializer=serialize_init(self.bias_initializer),
                      kernel_regularizer=serialize_reg(self.kernel_regularizer),
                      bias_regularizer=serialize_reg(self.bias_regularizer))
        return config
