"""Models: ``Model`` (the functional API: a graph of layer calls), ``Sequential`` (a chain of the
same), ``load_model``. One executor and one training loop serve both (fastconv.models.model)."""

from fastconv.models.model import Model
from fastconv.models.sequential import Sequential, load_model

__all__ = ["Model", "Sequential", "load_model"]
