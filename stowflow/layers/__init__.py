"""``tf.layers`` (TF1 ``tf.compat.v1.layers``): functional and class forms, and regularizers.

Each builds the graph TF 2.15's ``tf.compat.v1.layers`` builds in graph mode: the same
variable names (``dense/kernel``, ``conv2d/bias``, ``batch_normalization/moving_mean``),
scopes, op names and initial values under a graph seed.

Example:
    >>> import stowflow as tf
    >>> from stowflow import layers
    >>> x = tf.placeholder(tf.float32, [None, 4])
    >>> h = layers.dense(x, 8, activation=tf.nn.relu)
    >>> [v.name for v in tf.global_variables()]
    ['dense/kernel:0', 'dense/bias:0']
"""

from stowflow.layers.base import Layer
from stowflow.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    SeparableConv2D,
    conv1d,
    conv2d,
    conv2d_transpose,
    separable_conv2d,
)
from stowflow.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten
from stowflow.layers.normalization import BatchNormalization, batch_normalization
from stowflow.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    MaxPooling1D,
    MaxPooling2D,
    average_pooling1d,
    average_pooling2d,
    max_pooling1d,
    max_pooling2d,
)

Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Deconvolution2D = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D

__all__ = [
    "AvgPool1D",
    "AvgPool2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
    "Deconvolution2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "SeparableConv2D",
    "SeparableConvolution2D",
    "average_pooling1d",
    "average_pooling2d",
    "batch_normalization",
    "conv1d",
    "conv2d",
    "conv2d_transpose",
    "dense",
    "dropout",
    "flatten",
    "max_pooling1d",
    "max_pooling2d",
    "separable_conv2d",
]
