"""BatchNormalization: Keras's batch normalisation over the channel axis, as NumPy reductions.

Training normalises with the batch's mean and (biased) variance and updates the moving
statistics; inference uses the moving statistics. Not layer/group normalisation.
"""

import numbers

import numpy as np

from fastconv import initializers, regularizers
from fastconv.layers.base import Layer, serialize_init, serialize_reg

__all__ = ["BatchNormalization"]


class BatchNormalization(Layer):
    """``gamma * (x - mean) / sqrt(var + epsilon) + beta`` per channel.

    Args:
        axis (int): the channel axis (default -1). momentum (float): of the moving statistics,
            default 0.99. epsilon (float): default 1e-3. center, scale (bool): use beta, gamma.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer:
            default "zeros", "ones", "zeros", "ones". beta_regularizer, gamma_regularizer.
        **kwargs: Layer's. With ``trainable=False`` the layer runs in inference mode, as in Keras.

    Weights (Keras's order): gamma, beta (trainable), moving_mean, moving_variance (not).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise TypeError(f"axis must be an int, got {axis!r}")
        self.axis = int(axis)
        for value, name in ((momentum, "momentum"), (epsilon, "epsilon")):
            if not isinstance(value, numbers.Real) or isinstance(value, bool) or not (0 <= value <= 1 or name == "epsilon"):
                raise ValueError(f"{name} must be a float{' in [0, 1]' if name == 'momentum' else ''}, got {value!r}")
        if epsilon <= 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon!r}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer, "beta_initializer")
        self.gamma_initializer = initializers.get(gamma_initializer, "gamma_initializer")
        self.moving_mean_initializer = initializers.get(moving_mean_initializer, "moving_mean_initializer")
        self.moving_variance_initializer = initializers.get(moving_variance_initializer, "moving_variance_initializer")
        self.beta_regularizer = regularizers.get(beta_regularizer, "beta_regularizer")
        self.gamma_regularizer = regularizers.get(gamma_regularizer, "gamma_regularizer")
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def weight_specs(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim or (self.axis % ndim) == 0:
            raise ValueError(f"BatchNormalization {self.name!r}: axis {self.axis} is not a feature axis of inputs "
                             f"of shape {tuple(input_shape)}")
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(f"BatchNormalization {self.name!r}: axis {self.axis} of the input must be known, "
                             f"got {tuple(input_shape)}")
        shape = (channels,)
        specs = []
        if self.scale:
            specs.append(("gamma", shape, self.gamma_initializer, self.gamma_regularizer, True))
        if self.center:
            specs.append(("beta", shape, self.beta_initializer, self.beta_regularizer, True))
        return specs + [("moving_mean", shape, self.moving_mean_initializer, None, False),
                        ("moving_variance", shape, self.moving_variance_initializer, None, False)]

    def _shapes(self, ndim):
        axis = self.axis % ndim
        reduce = tuple(i for i in range(ndim) if i != axis)
        bshape = tuple(-1 if i == axis else 1 for i in range(ndim))
        return reduce, bshape

    def forward(self, x, training=False):
        x = self._check_input(x, min_ndim=2)
        reduce, bshape = self._shapes(x.ndim)
        training = training and self.trainable
        if training:
            mean = x.mean(axis=reduce)
            var = x.var(axis=reduce)
            m = self.momentum
            self.moving_mean *= m
            self.moving_mean += (1 - m) * mean
            self.moving_variance *= m
            self.moving_variance += (1 - m) * var
        else:
            mean, var = self.moving_mean, self.moving_variance
        inv_std = (1.0 / np.sqrt(var + self.epsilon)).astype(self.dtype)
        xhat = (x - mean.reshape(bshape)) * inv_std.reshape(bshape)
        y = xhat
        if self.scale:
            y = y * self.gamma.reshape(bshape)
        if self.center:
            y = y + self.beta.reshape(bshape)
        self._cache = (xhat, inv_std, training)
        return y

    def backward(self, dy):
        xhat, inv_std, training = self._cached()
        dy = self._check_dy(dy, xhat.shape)
        reduce, bshape = self._shapes(xhat.ndim)
        i = 0
        if self.scale:
            self._weights[i].grad = np.sum(dy * xhat, axis=reduce)
            i += 1
        if self.center:
            self._weights[i].grad = np.sum(dy, axis=reduce)
        self._add_regularization_gradients()
        dxhat = dy * self.gamma.reshape(bshape) if self.scale else dy
        if not training:
            return dxhat * inv_std.reshape(bshape)
        mean_dxhat = dxhat.mean(axis=reduce, keepdims=True)
        mean_dxhat_xhat = (dxhat * xhat).mean(axis=reduce, keepdims=True)
        return (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * inv_std.reshape(bshape)

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, momentum=self.momentum, epsilon=self.epsilon, center=self.center,
                      scale=self.scale, beta_initializer=serialize_init(self.beta_initializer),
                      gamma_initializer=serialize_init(self.gamma_initializer),
                      moving_mean_initializer=serialize_init(self.moving_mean_initializer),
                      moving_variance_initializer=serialize_init(self.moving_variance_initializer),
                      beta_regularizer=serialize_reg(self.beta_regularizer),
                      gamma_regularizer=serialize_reg(self.gamma_regularizer))
        return config
