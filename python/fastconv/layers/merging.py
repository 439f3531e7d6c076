"""Merge layers (Keras's names and behaviour): Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, and their function forms ``add([...])``, ``concatenate([...])``, ...

Each takes a list of arrays of one shape (Concatenate: equal except along ``axis``) and gives one;
backward returns one gradient per input. Elementwise merges broadcast as Keras does not: the
shapes after the batch axis must be equal.
"""

import numpy as np

from fastconv.layers.base import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"]


class _Merge(Layer):
    """A layer of several inputs; subclasses implement _merge(xs) and _merge_backward(dy, xs, y)."""

    min_inputs, max_inputs = 2, None

    def _check_shapes(self, shapes):
        name = f"layer {self.name!r} ({type(self).__name__})"
        if not isinstance(shapes, (list, tuple)) or not shapes or not all(isinstance(s, tuple) for s in shapes):
            raise ValueError(f"{name} must be called on a list of inputs, got {shapes!r}")
        if len(shapes) < self.min_inputs or (self.max_inputs is not None and len(shapes) > self.max_inputs):
            exact = self.max_inputs == self.min_inputs
            raise ValueError(f"{name} takes {'exactly' if exact else 'at least'} {self.min_inputs} inputs, "
                             f"got {len(shapes)}")
        return name

    def compute_output_shape(self, input_shape):
        name = self._check_shapes(input_shape)
        tails = {tuple(s[1:]) for s in input_shape}
        if len(tails) != 1:
            raise ValueError(f"{name} needs inputs of one shape, got {list(input_shape)}")
        return tuple(input_shape[0])

    def build(self, input_shape):
        output_shape = self.compute_output_shape(list(input_shape) if isinstance(input_shape, list) else input_shape)
        self.input_shape = [tuple(s) for s in input_shape]
        self.output_shape = output_shape
        self.built = True

    def accepts_input_shape(self, shape):
        return (isinstance(shape, list) and len(shape) == len(self.input_shape)
                and all(Layer.accepts_input_shape(_Probe(e), s) for e, s in zip(self.input_shape, shape)))

    def _inputs(self, xs):
        if not isinstance(xs, (list, tuple)):
            raise TypeError(f"layer {self.name!r} ({type(self).__name__}) takes a list of arrays, got {type(xs).__name__}")
        arrays = [np.asarray(x) for x in xs]
        for x in arrays:
            if x.dtype.kind not in "fiub":
                raise TypeError(f"layer {self.name!r} ({type(self).__name__}): inputs must be numeric, got dtype {x.dtype}")
        if not self.built:
            self.build([x.shape for x in arrays])
        shapes = [x.shape for x in arrays]
        if not self.accepts_input_shape(shapes) or len({s[0] for s in shapes}) != 1:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) was built for inputs {self.input_shape}, "
                             f"got {shapes}")
        return [x if x.dtype == self.dtype else x.astype(self.dtype) for x in arrays]

    def forward(self, xs, training=False):
        xs = self._inputs(xs)
        y = self._merge(xs)
        self._cache = (xs, y)
        return y

    def backward(self, dy):
        xs, y = self._cached()
        return self._merge_backward(self._check_dy(dy, y.shape), xs, y)


class _Probe:
    """An object with input_shape, for Layer.accepts_input_shape on one input of a merge."""

    def __init__(self, input_shape):
        self.input_shape = input_shape


class Add(_Merge):
    """Elementwise sum of the inputs."""

    def _merge(self, xs):
        y = xs[0] + xs[1]
        for x in xs[2:]:
            y += x
        return y

    def _merge_backward(self, dy, xs, y):
        return [dy] * len(xs)       # the same array: the executor never writes into a gradient


class Subtract(_Merge):
    """inputs[0] - inputs[1] (exactly two inputs)."""

    min_inputs = max_inputs = 2

    def _merge(self, xs):
        return xs[0] - xs[1]

    def _merge_backward(self, dy, xs, y):
        return [dy, -dy]


class Multiply(_Merge):
    """Elementwise product of the inputs."""

    def _merge(self, xs):
        y = xs[0] * xs[1]
        for x in xs[2:]:
            y *= x
        return y

    def _merge_backward(self, dy, xs, y):
        # the product of all inputs but the i-th, without dividing (inputs may be zero)
        grads = []
        for i in range(len(xs)):
            others = dy.copy()
            for j, x in enumerate(xs):
                if j != i:
                    others *= x
            grads.append(others)
        return grads


class Average(_Merge):
    """Elementwise mean of the inputs."""

    def _merge(self, xs):
        y = xs[0] + xs[1]
        for x in xs[2:]:
            y += x
        y *= self.dtype.type(1.0 / len(xs))
        return y

    def _merge_backward(self, dy, xs, y):
        share = dy * self.dtype.type(1.0 / len(xs))
        return [share] * len(xs)


class _Extremum(_Merge):
    """Maximum / Minimum: the gradient goes to the first input holding the extreme value, as in
    max pooling (a tie sends it once, not to every tied input); NaN propagates."""

    def forward(self, xs, training=False):
        stacked = np.stack(self._inputs(xs))
        which = self._pick(stacked, axis=0)
        y = np.take_along_axis(stacked, which[None], axis=0)[0]
        self._cache = (len(stacked), y, which)
        return y

    def backward(self, dy):
        count, y, which = self._cached()
        dy = self._check_dy(dy, y.shape)
        zero = np.zeros((), self.dtype)
        return [np.where(which == i, dy, zero) for i in range(count)]


class Maximum(_Extremum):
    """Elementwise maximum of the inputs."""

    _pick = staticmethod(np.argmax)


class Minimum(_Extremum):
    """Elementwise minimum of the inputs."""

    _pick = staticmethod(np.argmin)


class Concatenate(_Merge):
    """Joins the inputs along ``axis`` (default -1, the channels of NHWC data).

    Args:
        axis (int): an axis after the batch axis (negative counts from the end).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"axis must be an int, got {axis!r}")
        self.axis = int(axis)

    def _axis(self, ndim):
        axis = self.axis + ndim if self.axis < 0 else self.axis
        if not 1 <= axis < ndim:
            raise ValueError(f"layer {self.name!r} (Concatenate): axis {self.axis} is not an axis after the batch "
                             f"axis of {ndim}-D inputs")
        return axis

    def compute_output_shape(self, input_shape):
        name = self._check_shapes(input_shape)
        ranks = {len(s) for s in input_shape}
        if len(ranks) != 1:
            raise ValueError(f"{name} needs inputs of one rank, got {list(input_shape)}")
        axis = self._axis(ranks.pop())
        rest = {tuple(d for i, d in enumerate(s[1:], 1) if i != axis) for s in input_shape}
        if len(rest) != 1:
            raise ValueError(f"{name} needs inputs whose shapes match except along axis {self.axis}, "
                             f"got {list(input_shape)}")
        sizes = [s[axis] for s in input_shape]
        out = list(input_shape[0])
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def _merge(self, xs):
        return np.concatenate(xs, axis=self._axis(xs[0].ndim))

    def _merge_backward(self, dy, xs, y):
        axis = self._axis(dy.ndim)
        cuts = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return [np.ascontiguousarray(part) for part in np.split(dy, cuts, axis=axis)]

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _function(cls):
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    merge.__name__ = cls.__name__.lower()
    merge.__doc__ = f"``{cls.__name__}(**kwargs)(inputs)``: the functional form of the {cls.__name__} layer."
    return merge


add, subtract, multiply = _function(Add), _function(Subtract), _function(Multiply)
average, maximum, minimum = _function(Average), _function(Maximum), _function(Minimum)
concatenate = _function(Concatenate)
