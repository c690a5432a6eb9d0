"""``tf.compat.v1.layers`` pooling: MaxPooling1D/2D, AveragePooling1D/2D (+ functions).

Graphs as TF 2.15 builds them: ``max_pooling2d/MaxPool``; the 1-D forms wrap the 2-D op in
``ExpandDims`` / ``Squeeze`` (``max_pooling1d/ExpandDims``, ``max_pooling1d/MaxPool``...).

Example:
    >>> # y = max_pooling2d(x, pool_size=2, strides=2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stowflow.graph import array_ops, nn_ops
from stowflow.graph.core import Tensor
from stowflow.graph.shape import TensorShape, as_shape
from stowflow.layers import utils
from stowflow.layers.base import Layer, as_pair


class _Pooling(Layer):
    """Pooling base: ``rank`` spatial dims, ``op`` the 2-D pool constructor."""

    rank = 2
    pool_op: Callable[..., Tensor] = staticmethod(nn_ops.max_pool)

    def __init__(
        self,
        pool_size: Any,
        strides: Any,
        padding: str = "valid",
        data_format: str = "channels_last",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.pool_size = as_pair(pool_size, self.rank, "pool_size")
        self.strides = as_pair(strides if strides is not None else pool_size, self.rank, "strides")
        self.padding = utils.normalize_padding(padding)
        self.data_format = utils.normalize_data_format(data_format)

    def call(self, inputs: Any) -> Tensor:
        """The pool op (between ExpandDims and Squeeze for 1-D)."""
        first = self.data_format == "channels_first"
        fmt = "NCHW" if first else "NHWC"
        if self.rank == 1:
            axis = 2 if first else 1
            expanded = array_ops.expand_dims(inputs, axis)
            window = [1, *self.pool_size]
            step = [1, *self.strides]
            pooled = self._pool(expanded, window, step, fmt)
            return array_ops.squeeze(pooled, [axis])
        return self._pool(inputs, list(self.pool_size), list(self.strides), fmt)

    def _pool(self, x: Tensor, window: list[int], step: list[int], fmt: str) -> Tensor:
        first = fmt == "NCHW"
        ksize = [1, 1, *window] if first else [1, *window, 1]
        strides = [1, 1, *step] if first else [1, *step, 1]
        return type(self).pool_op(
            x, ksize=ksize, strides=strides, padding=self.padding.upper(), data_format=fmt
        )

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        """The static output shape."""
        dims = as_shape(input_shape).as_list()
        first = self.data_format == "channels_first"
        space = dims[2:] if first else dims[1:-1]
        out = [
            utils.conv_output_length(d, k, self.padding, s)
            for d, k, s in zip(space, self.pool_size, self.strides, strict=True)
        ]
        return TensorShape([*dims[:2], *out] if first else [dims[0], *out, dims[-1]])


class MaxPooling1D(_Pooling):
    """1-D max pooling."""

    rank = 1
    pool_op = staticmethod(nn_ops.max_pool)


class MaxPooling2D(_Pooling):
    """2-D max pooling (``max_pooling2d/MaxPool``)."""

    rank = 2
    pool_op = staticmethod(nn_ops.max_pool)


class AveragePooling1D(_Pooling):
    """1-D average pooling."""

    rank = 1
    pool_op = staticmethod(nn_ops.avg_pool)


class AveragePooling2D(_Pooling):
    """2-D average pooling (``average_pooling2d/AvgPool``)."""

    rank = 2
    pool_op = staticmethod(nn_ops.avg_pool)


def _functional(cls: type[_Pooling]) -> Callable[..., Tensor]:
    def pool(
        inputs: Any,
        pool_size: Any,
        strides: Any,
        padding: str = "valid",
        data_format: str = "channels_last",
        name: str | None = None,
    ) -> Tensor:
        layer = cls(pool_size, strides, padding=padding, data_format=data_format, name=name)
        return layer(inputs)

    pool.__doc__ = f"Functional :class:`{cls.__name__}` (``tf.compat.v1.layers``)."
    return pool


max_pooling1d = _functional(MaxPooling1D)
max_pooling2d = _functional(MaxPooling2D)
average_pooling1d = _functional(AveragePooling1D)
average_pooling2d = _functional(AveragePooling2D)
