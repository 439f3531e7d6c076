"""Keras-style layers over fastconv.functional: each a forward/backward pair with its weights and gradients.

>>> from fastconv import layers
>>> layers.Conv2D(10, (3, 3), activation="relu", input_shape=(8, 8, 1)).filters
10
"""

from fastconv.layers.base import Layer, Weight
from fastconv.layers.convolutional import Conv2D
from fastconv.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer, ReLU, Softmax
from fastconv.layers.merging import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add, average,
                                     concatenate, maximum, minimum, multiply, subtract)
from fastconv.layers.normalization import BatchNormalization
from fastconv.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D

# Keras's aliases
Convolution2D = Conv2D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D

__all__ = ["Layer", "Weight", "Input", "InputLayer", "Conv2D", "Convolution2D", "MaxPooling2D", "MaxPool2D",
           "AveragePooling2D", "AvgPool2D", "GlobalAveragePooling2D", "GlobalAvgPool2D", "Flatten", "Dense",
           "Dropout", "Activation", "ReLU", "Softmax", "BatchNormalization", "Add", "Subtract", "Multiply", "Average",
           "Maximum", "Minimum", "Concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "get", "serialize"]

_CLASSES = {cls.__name__: cls for cls in (InputLayer, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
                                          Flatten, Dense, Dropout, Activation, ReLU, Softmax, BatchNormalization,
                                          Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate)}


def serialize(layer):
    """``{"class_name": ..., "config": layer.get_config()}``."""
    name = type(layer).__name__
    if name not in _CLASSES:
        raise TypeError(f"cannot serialize layer {layer!r}: only fastconv.layers classes can be saved")
    return {"class_name": name, "config": layer.get_config()}


def get(config):
    """A layer from serialize()'s dict; ValueError for an unknown class."""
    if not isinstance(config, dict) or config.get("class_name") not in _CLASSES:
        raise ValueError(f"unknown layer config {config!r}; known classes: {sorted(_CLASSES)}")
    return _CLASSES[config["class_name"]].from_config(dict(config.get("config", {})))
