"""Pooling layers: MaxPooling2D, AveragePooling2D (engine calls) and GlobalAveragePooling2D (one mean).

MaxPooling2D keeps the argmax indices of its forward for its backward. Not 1-D/3-D pooling.
"""

import numpy as np

from fastconv import _core, functional as F
from fastconv._args import data_format as _data_format, int_pair
from fastconv.layers.base import Layer

__all__ = ["MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D"]


class _Pooling2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = int_pair(pool_size, "pool_size", 1)
        self.strides = self.pool_size if strides is None else int_pair(strides, "strides", 1)
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding.lower()
        self.data_format = _data_format(data_format)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"{type(self).__name__} {self.name!r} expects 4-D inputs, got input shape "
                             f"{tuple(input_shape)}")
        hw = (1, 2) if self.data_format == "channels_last" else (2, 3)
        out = list(input_shape)
        for axis, k, s in zip(hw, self.pool_size, self.strides):
            if out[axis] is not None:
                out[axis] = F.pool_output_size(out[axis], k, s, self.padding)
                if out[axis] < 1:
                    raise ValueError(f"{type(self).__name__} {self.name!r}: pool_size {self.pool_size} is larger "
                                     f"than the input {tuple(input_shape)} with padding={self.padding!r}")
        return tuple(out)

    def _geometry(self):
        return dict(pool_size=self.pool_size, strides=self.strides, padding=self.padding,
                    data_format=self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides), padding=self.padding,
                      data_format=self.data_format)
        return config


class MaxPooling2D(_Pooling2D):
    """Max over pool_size windows moved by strides.

    Args:
        pool_size (int or pair): default (2, 2). strides (int, pair or None): default pool_size.
        padding (str): "valid" or "same". data_format (str or None). **kwargs: Layer's.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, C)``.

    >>> import numpy as np
    >>> MaxPooling2D()(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
        self._engine_geometry = {}      # input shape -> F._pool_call's result, for the backward

    def forward(self, x, training=False):
        x = self._check_input(x, ndim=4)
        y, indices = F.max_pool2d(x, **self._geometry(), return_indices=True)
        self._cache = (x, y, indices)
        return y

    def backward(self, dy):
        return self._backward(dy, relu=False)

    def backward_through_relu(self, dy):
        """backward for a pool over ReLU outputs, returning the gradient w.r.t. the ReLU's input.

        Each gradient lands on its window's maximum, whose ReLU output is the pooled value, so the
        ReLU's mask is applied to the small pooled dy (zero where the maximum is not positive)
        instead of in a pass over the large tensor before pooling. Sequential uses it for
        Conv2D(activation="relu") followed by this layer (see Conv2D.backward_from_preactivation).
        """
        return self._backward(dy, relu=True)

    def _backward(self, dy, relu):
        # The engine directly, with F.max_pool2d_backward's geometry checks done once per input shape.
        x, y, indices = self._cached()
        dy = self._check_dy(dy, y.shape)
        geometry = self._engine_geometry.get(x.shape)
        if geometry is None:
            self._engine_geometry.clear()   # keep one shape: a model sees one input shape at a time
            geometry = self._engine_geometry[x.shape] = F._pool_call("max_pool2d_backward", x.shape,
                                                                     **self._geometry())
        fmt, x_shape, pool, strides, pads, _ = geometry
        nhwc = lambda a: np.ascontiguousarray(F._to_nhwc(a, fmt))  # noqa: E731
        dx = _core.max_pool2d_backward(nhwc(dy), nhwc(indices), x_shape, pool, strides, pads, False,
                                       nhwc(y) if relu else None)
        return F._from_nhwc(dx, fmt)


class AveragePooling2D(_Pooling2D):
    """Mean over pool_size windows; with "same", padded cells are not counted (Keras's rule).

    Args: as MaxPooling2D.
    """

    def forward(self, x, training=False):
        x = self._check_input(x, ndim=4)
        y = F.avg_pool2d(x, **self._geometry())
        self._cache = (x, y.shape)
        return y

    def backward(self, dy):
        x, y_shape = self._cached()
        return F.avg_pool2d_backward(self._check_dy(dy, y_shape), x, **self._geometry())


class GlobalAveragePooling2D(Layer):
    """Mean over H and W: ``(N, H, W, C) -> (N, C)`` (or ``(N, 1, 1, C)`` with keepdims).

    Args:
        data_format (str or None). keepdims (bool): default False. **kwargs: Layer's.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format)
        if not isinstance(keepdims, bool):
            raise TypeError(f"keepdims must be a bool, got {keepdims!r}")
        self.keepdims = keepdims

    def _axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"GlobalAveragePooling2D {self.name!r} expects 4-D inputs, got {tuple(input_shape)}")
        if self.keepdims:
            return tuple(1 if i in self._axes() else s for i, s in enumerate(input_shape))
        return tuple(s for i, s in enumerate(input_shape) if i not in self._axes())

    def forward(self, x, training=False):
        x = self._check_input(x, ndim=4)
        self._cache = x.shape
        return x.mean(axis=self._axes(), keepdims=self.keepdims)

    def backward(self, dy):
        shape = self._cached()
        a, b = self._axes()
        dy = self._check_dy(dy, self.compute_output_shape(shape))
        if not self.keepdims:
            dy = dy.reshape(tuple(1 if i in (a, b) else s for i, s in enumerate(shape)))
        scale = dy.dtype.type(1.0 / (shape[a] * shape[b]))
        return (dy * scale).repeat(shape[a], axis=a).repeat(shape[b], axis=b)

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config
