"""Models: ``Model`` (the functional API: a graph of layer calls; or subclassed, traced from its
``call``), ``Sequential`` (a chain of the same), ``load_model``. One executor and one training
loop serve them all (fastconv.models.model)."""

from fastconv.models.loading import load_model
from fastconv.models.model import Model
from fastconv.models.sequential import Sequential

__all__ = ["Model", "Sequential", "load_model"]
