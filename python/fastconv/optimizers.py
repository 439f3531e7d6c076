"""Optimizers with Keras 3's update formulas: SGD (momentum, Nesterov), Adam, RMSprop.

``apply(weights)`` updates each trainable Weight's array in place from its ``grad``: SGD and Adam
in one engine call for all the weights (``_core.sgd_update_many`` / ``adam_update_many``) when the
arrays are already what the engine takes, else weight by weight through ``functional``'s checked
versions; RMSprop in NumPy with one scratch buffer per weight instead of chains of temporaries.
State (slots and iteration count) round-trips through get_state/set_state for save/load. Not
learning-rate schedules.
"""

import math
import numbers

import numpy as np

from fastconv import _core, functional as F
from fastconv._args import FLOAT_DTYPES

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "get", "serialize"]


def _rate(value, name, low=0.0, high=None, low_open=False, high_open=False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low)
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        rng = f"{'>' if low_open else '>='} {low}" + ("" if high is None else f" and {'<' if high_open else '<='} {high}")
        raise ValueError(f"{name} must be a float {rng}, got {value!r}")
    return float(value)


def _engine_ready(w, g):
    """w and g can go to the engine as they are (functional's update checks would pass unchanged):
    float ndarrays of one dtype and shape, C-contiguous and writeable (as the binding requires).
    The slots are made like w."""
    return (type(g) is np.ndarray and type(w) is np.ndarray and g.dtype == w.dtype and w.dtype in FLOAT_DTYPES
            and g.shape == w.shape and g.flags.c_contiguous and w.flags.c_contiguous and w.flags.writeable
            and g.flags.writeable)


class Optimizer:
    """Base class.

    Args:
        learning_rate (float): > 0. name (str or None). lr (float): legacy alias of learning_rate.

    Subclasses declare ``slot_names`` and implement ``_update(w, g, slots, scratch, hyper)``, where
    hyper is what ``_hyperparameters()`` returned for this step (checked once per step, not per
    weight), and may implement ``_update_all(values, grads, hyper)``: every weight in one go,
    returning False to have them updated one by one instead.
    """

    slot_names = ()
    needs_scratch = False

    def __init__(self, learning_rate=0.001, name=None, lr=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}")
        if lr is not None:       # Keras 2's keyword, used by the course: optimizers.SGD(lr=eta)
            learning_rate = lr
        self.learning_rate = _rate(learning_rate, "learning_rate", low_open=True)
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._slots = None       # slot name -> list of arrays, one per weight
        self._scratch = None
        self._shapes = None

    @property
    def lr(self):
        return self.learning_rate

    def build(self, weights):
        """Create zeroed slots for the weights' arrays (called by the first apply)."""
        self._shapes = [w.value.shape for w in weights]
        self._slots = {name: [np.zeros_like(w.value) for w in weights] for name in self._active_slots()}
        self._scratch = [np.empty_like(w.value) if self.needs_scratch else None for w in weights]

    def _active_slots(self):
        return self.slot_names

    def apply(self, weights):
        """One step: update every Weight's value in place from its grad; raises if shapes changed."""
        weights = list(weights)
        if self._slots is None or self._scratch is None:
            self.build(weights)
        elif [w.value.shape for w in weights] != self._shapes:
            raise ValueError(f"{type(self).__name__} was built for weights of shapes {self._shapes}, got "
                             f"{[w.value.shape for w in weights]}: after changing a layer's trainable flag, call "
                             "compile() again (as in Keras)")
        for w in weights:
            if w.grad is None:
                raise RuntimeError(f"no gradient for {w.name}: run backward before the optimizer step")
        self.iterations += 1
        hyper = self._hyperparameters()
        if self._update_all([w.value for w in weights], [w.grad for w in weights], hyper):
            return
        for i, w in enumerate(weights):
            slots = {name: values[i] for name, values in self._slots.items()}
            self._update(w.value, w.grad, slots, self._scratch[i], hyper)

    def _update_all(self, values, grads, hyper):
        return False

    def _hyperparameters(self):
        # Checked at each step: users (and schedules) may set them between steps.
        return F._finite(self.learning_rate, "learning_rate")

    def _update(self, w, g, slots, scratch, hyper):
        raise NotImplementedError

    # ----- state and config
    def get_state(self):
        """``{"iterations": int, "slots": {name: [arrays]}}`` (empty slots before the first step)."""
        return {"iterations": self.iterations,
                "slots": {} if self._slots is None else {k: [a.copy() for a in v] for k, v in self._slots.items()}}

    def set_state(self, state, weights):
        """Restore get_state()'s result for these weights (shapes checked)."""
        weights = list(weights)
        self.build(weights)
        self.iterations = int(state["iterations"])
        for name, arrays in state["slots"].items():
            if name not in self._slots or len(arrays) != len(weights):
                raise ValueError(f"optimizer state does not match {type(self).__name__} over {len(weights)} weights "
                                 f"(slot {name!r} with {len(arrays)} arrays)")
            for dst, src in zip(self._slots[name], arrays):
                if dst.shape != np.shape(src):
                    raise ValueError(f"optimizer slot {name!r}: expected shape {dst.shape}, got {np.shape(src)}")
                dst[...] = src

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SGD(Optimizer):
    """Gradient descent with optional momentum: ``v = momentum * v - lr * g``; ``w += v`` (or, with
    nesterov, ``w += momentum * v - lr * g``); without momentum ``w -= lr * g``.

    Args:
        learning_rate (float): default 0.01. momentum (float): in [0, 1], default 0.
        nesterov (bool): default False. lr: legacy alias of learning_rate.

    >>> SGD(lr=0.1).learning_rate
    0.1
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        self.momentum = _rate(momentum, "momentum", 0.0, 1.0)
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be a bool, got {nesterov!r}")
        self.nesterov = nesterov

    def _active_slots(self):
        return ("momentums",) if self.momentum else ()

    def _hyperparameters(self):
        return super()._hyperparameters(), F._finite(self.momentum, "momentum", 0.0, 1.0)

    def _update_all(self, values, grads, hyper):
        lr, momentum = hyper
        return _core.sgd_update_many(values, grads, self._slots.get("momentums"), lr, momentum, self.nesterov, 0.0)

    def _update(self, w, g, slots, scratch, hyper):
        lr, momentum = hyper
        velocity = slots.get("momentums")
        if _engine_ready(w, g) and (velocity is not None or not momentum):
            _core.sgd_update(w, g, velocity if momentum else None, lr, momentum, bool(self.nesterov), 0.0)
        else:
            F.sgd_update(w, g, velocity, lr, momentum, self.nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam as Keras 3 computes it: ``m += (g - m)(1 - beta_1)``, ``v += (g² - v)(1 - beta_2)``,
    ``w -= alpha * m / (sqrt(v) + epsilon)`` with ``alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)``.

    Args:
        learning_rate (float): default 0.001. beta_1 (float): default 0.9. beta_2 (float): default 0.999.
        epsilon (float): default 1e-7. lr: legacy alias.
    """

    slot_names = ("momentums", "velocities")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        self.beta_1 = _rate(beta_1, "beta_1", 0.0, 1.0, high_open=True)
        self.beta_2 = _rate(beta_2, "beta_2", 0.0, 1.0, high_open=True)
        self.epsilon = _rate(epsilon, "epsilon", 0.0, low_open=True)

    def _hyperparameters(self):
        lr = super()._hyperparameters()
        b1, b2 = F._finite(self.beta_1, "beta_1", 0.0, 1.0), F._finite(self.beta_2, "beta_2", 0.0, 1.0)
        eps = F._finite(self.epsilon, "epsilon", 0.0)
        if b1 >= 1.0 or b2 >= 1.0 or eps <= 0:
            return None         # functional.adam_update says what is wrong
        # functional.adam_update's step size, computed once for every weight.
        return lr * np.sqrt(1.0 - b2 ** self.iterations) / (1.0 - b1 ** self.iterations), b1, b2, eps

    def _update_all(self, values, grads, hyper):
        return hyper is not None and _core.adam_update_many(values, grads, self._slots["momentums"],
                                                            self._slots["velocities"], *hyper, 0.0)

    def _update(self, w, g, slots, scratch, hyper):
        m, v = slots["momentums"], slots["velocities"]
        if hyper is not None and _engine_ready(w, g):
            _core.adam_update(w, g, m, v, *hyper, 0.0)
        else:
            F.adam_update(w, g, m, v, self.iterations, self.learning_rate, self.beta_1, self.beta_2, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop as Keras 3 computes it: ``v = rho * v + (1 - rho) g²``, ``inc = lr * g / sqrt(v + epsilon)``;
    ``w -= inc``, or with momentum ``m = momentum * m + inc``, ``w -= m``.

    Args:
        learning_rate (float): default 0.001. rho (float): default 0.9. momentum (float): default 0.
        epsilon (float): default 1e-7. lr: legacy alias.
    """

    needs_scratch = True

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        self.rho = _rate(rho, "rho", 0.0, 1.0)
        self.momentum = _rate(momentum, "momentum", 0.0, 1.0)
        self.epsilon = _rate(epsilon, "epsilon", 0.0)

    def _active_slots(self):
        return ("velocities", "momentums") if self.momentum else ("velocities",)

    def _update(self, w, g, slots, scratch, hyper):
        v = slots["velocities"]
        v *= w.dtype.type(self.rho)
        np.multiply(g, g, out=scratch)
        scratch *= w.dtype.type(1 - self.rho)
        v += scratch
        np.add(v, w.dtype.type(self.epsilon), out=scratch)
        np.sqrt(scratch, out=scratch)
        np.divide(g, scratch, out=scratch)
        scratch *= w.dtype.type(self.learning_rate)      # scratch = increment
        if self.momentum:
            m = slots["momentums"]
            m *= w.dtype.type(self.momentum)
            m += scratch
            w -= m
        else:
            w -= scratch

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}


_CLASSES = {"SGD": SGD, "Adam": Adam, "RMSprop": RMSprop}


def get(identifier):
    """An Optimizer from a name ("sgd", "adam", "rmsprop"), a config dict or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        for name, cls in _CLASSES.items():
            if identifier.lower() == name.lower():
                return cls()
        raise ValueError(f"optimizer must be one of 'sgd', 'adam', 'rmsprop' or an Optimizer, got {identifier!r}")
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    raise TypeError(f"optimizer must be a name such as 'adam' or a fastconv.optimizers.Optimizer, got {identifier!r}")


def serialize(optimizer):
    if type(optimizer).__name__ not in _CLASSES:
        raise TypeError(f"cannot serialize optimizer {optimizer!r}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}
