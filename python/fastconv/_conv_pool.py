"""Conv2D(activation="relu") followed by MaxPooling2D, run as one engine call each way in training.

The engine convolves a few images at a time into a buffer that stays in cache and pools them
from there (``_core.conv2d_forward_maxpool``), so the large tensor before pooling never goes to
memory. Training does not need it: the pair's backward starts from the pooled gradient, with the
ReLU's mask read off the pooled output and the pool's argmax saying where each gradient lands.
The layers' caches are filled as their own forwards would, with the tensor before pooling
replaced by a stand-in of its shape (``PooledAway``), which ``Conv2D.backward`` refuses.

Backward (``ConvPoolBackward``), the engine takes the pooled gradient and the argmax straight to
the convolution's gradients, rebuilding the gradient before pooling a few images at a time in
cache: ``_core.conv2d_backward_maxpool`` (input and weights), or ``conv2d_backward_weight_maxpool``
when the convolution needs no input gradient (the model's first trainable layer). Unfusable pairs
(channels_first) go through ``MaxPooling2D.backward_through_relu`` and
``Conv2D.backward_from_preactivation`` instead.
"""

import numpy as np

from fastconv import _core, functional as F
from fastconv.layers import Conv2D, MaxPooling2D
from fastconv.layers.base import PooledAway


def fusable(conv, pool):
    """Whether (conv, pool) can run as one call: a ReLU Conv2D, then a MaxPooling2D, both NHWC."""
    return (isinstance(conv, Conv2D) and isinstance(pool, MaxPooling2D) and conv.activation == "relu"
            and conv.data_format == pool.data_format == "channels_last" and conv.dtype == pool.dtype)


def _pool_engine_args(pool, x_shape):
    """MaxPooling2D pool's (pool, strides, pads) in engine terms for NHWC inputs of x_shape."""
    _, _, window, strides, pads, _ = F._pool_call("max_pool2d", x_shape, **pool._geometry())
    return window, strides, pads


class ConvPoolForward:
    """The pair's training forward: one engine call where the engine's choice for the convolution
    is its direct algorithm, else the two layers' own forwards."""

    def __init__(self, conv, pool):
        self.conv, self.pool = conv, pool
        self._plans = {}        # input shape -> (pool's engine arguments, stand-ins for the caches), or None

    def __call__(self, x, training=True):
        conv, pool = self.conv, self.pool
        x = conv._check_input(x, ndim=4)
        call = conv._engine_call(x.shape)
        if x.shape not in self._plans:
            self._plans[x.shape] = self._plan(call)
        plan = self._plans[x.shape]
        if plan is None:
            return pool.forward(conv.forward(x, training=training), training=training)
        pool_args, conv_output, pool_input = plan
        x_e = np.ascontiguousarray(x)
        y, argmax = _core.conv2d_forward_maxpool(x_e, conv.kernel, conv.bias, *call.args(), True, *pool_args)
        conv._cache = ((x_e, call), conv_output, None)
        pool._cache = (pool_input, y, argmax)
        return y

    def _plan(self, call):
        """For a convolution the engine would run direct: the pool's engine arguments, and what the
        layers' caches hold for the tensor before pooling (the pool's backward reads only its
        input's shape and dtype: the indices say where each gradient goes). Else None."""
        if F._forward_algorithm(call, "auto") != "auto":
            return None
        plan = _core.conv2d_plan(call.x_shape, (*call.kernel, call.in_per_group, call.out_channels), *call.args(),
                                 "auto", call.dtype.name)
        if plan["forward"] != "direct":
            return None
        return (_pool_engine_args(self.pool, call.out_shape), PooledAway(call.out_shape, self.conv.dtype),
                np.broadcast_to(np.zeros((), self.conv.dtype), call.out_shape))


class ConvPoolBackward:
    """The pair's backward in one engine call, which applies the ReLU's mask to the pooled gradient
    (as MaxPooling2D.backward_through_relu): the convolution's weight gradient, and its input
    gradient when it needs one."""

    def __init__(self, conv, pool):
        self.conv, self.pool = conv, pool
        self._pool_args = {}        # conv output shape (NHWC) -> (pool, strides, pads)

    def __call__(self, dy):
        conv, pool = self.conv, self.pool
        _, y, argmax = pool._cached()
        dy = np.ascontiguousarray(pool._check_dy(dy, y.shape))
        x_e, call = conv._cached()[0]
        pool_args = self._pool_args.get(call.out_shape)
        if pool_args is None:
            pool_args = self._pool_args[call.out_shape] = _pool_engine_args(pool, call.out_shape)
        if conv.need_input_grad:
            dx, dw, db = _core.conv2d_backward_maxpool(dy, argmax, y, x_e, conv.kernel, *call.args(),
                                                       True, conv.use_bias, *pool_args)
        else:
            dx = None
            dw, db = _core.conv2d_backward_weight_maxpool(dy, argmax, y, x_e, call.kernel, *call.args(),
                                                          call.out_channels, conv.use_bias, *pool_args)
        conv._weights[0].grad = dw
        if conv.use_bias:
            conv._weights[1].grad = db
        conv._add_regularization_gradients()
        return dx
