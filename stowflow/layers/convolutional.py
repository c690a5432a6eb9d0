"""``tf.compat.v1.layers`` convolutions: Conv1D, Conv2D, Conv2DTranspose (+ functions).

Graphs as TF 2.15 builds them: ``conv2d/Conv2D`` (``conv1d/Conv1D/ExpandDims`` ...
``Squeeze`` for 1-D), ``conv2d/BiasAdd``, the activation; the transposed convolution
computes its output shape from ``Shape``/``strided_slice``/``stack`` and runs
``conv2d_transpose/conv2d_transpose`` (``Conv2DBackpropInput``).

Example:
    >>> # y = conv2d(images, 32, 3, padding="same", activation=tf.nn.relu)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.graph import array_ops, math_ops, nn_ops
from stowflow.graph import initializers as init_ops
from stowflow.graph.builder import apply_op_outputs, convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.graph.shape import TensorShape, as_shape
from stowflow.layers import utils
from stowflow.layers.base import Layer, as_pair


class _Conv(Layer):
    """N-D convolution base (``rank`` 1 or 2)."""

    rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str = "channels_last",
        dilation_rate: Any = 1,
        activation: Callable[..., Any] | None = None,
        use_bias: bool = True,
        kernel_initializer: Any = None,
        bias_initializer: Any = None,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        trainable: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs
        )
        self.filters = int(filters)
        self.kernel_size = as_pair(kernel_size, self.rank, "kernel_size")
        self.strides = as_pair(strides, self.rank, "strides")
        self.padding = utils.normalize_padding(padding)
        self.data_format = utils.normalize_data_format(data_format)
        self.dilation_rate = as_pair(dilation_rate, self.rank, "dilation_rate")
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = (
            bias_initializer if bias_initializer is not None else init_ops.zeros_initializer()
        )
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.kernel: Any = None
        self.bias: Any = None

    @property
    def _channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    @property
    def _tf_data_format(self) -> str:
        last = {1: "NWC", 2: "NHWC"}[self.rank]
        first = {1: "NCW", 2: "NCHW"}[self.rank]
        return first if self.data_format == "channels_first" else last

    def _input_channels(self, input_shape: Any) -> int:
        shape = as_shape(input_shape)
        if shape.ndims is None or shape.as_list()[self._channel_axis] is None:
            raise ValueError(
                "The channel dimension of the inputs should be defined. The input_shape "
                f"received is {shape}, where axis {self._channel_axis} (0-based) is the "
                "channel dimension, which found to be `None`."
            )
        return int(shape.as_list()[self._channel_axis])

    def _kernel_shape(self, channels: int) -> list[int]:
        return [*self.kernel_size, channels, self.filters]

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` and ``bias``."""
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            "kernel",
            shape=self._kernel_shape(channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            trainable=True,
            dtype=self.dtype,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                shape=[self.filters],
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                trainable=True,
                dtype=self.dtype,
            )
        self.built = True

    def _convolve(self, inputs: Tensor) -> Tensor:
        padding = self.padding.upper()
        if self.rank == 1:
            return nn_ops.conv1d(
                inputs,
                self.kernel,
                stride=list(self.strides),
                padding=padding,
                data_format=self._tf_data_format,
                dilations=list(self.dilation_rate),
                name="Conv1D",
            )
        return nn_ops.conv2d(
            inputs,
            self.kernel,
            strides=list(self.strides),
            padding=padding,
            data_format=self._tf_data_format,
            dilations=list(self.dilation_rate),
            name="Conv2D",
        )

    def _add_bias(self, outputs: Tensor) -> Tensor:
        fmt = "NCHW" if self.data_format == "channels_first" else "NHWC"
        return math_ops.bias_add(outputs, self.bias, data_format=fmt)

    def call(self, inputs: Any) -> Tensor:
        """Convolution, bias, activation."""
        outputs = self._convolve(inputs)
        if self.use_bias:
            outputs = self._add_bias(outputs)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        """The static output shape."""
        dims = as_shape(input_shape).as_list()
        first = self.data_format == "channels_first"
        space = dims[2:] if first else dims[1:-1]
        out = [
            utils.conv_output_length(d, k, self.padding, s, r)
            for d, k, s, r in zip(
                space, self.kernel_size, self.strides, self.dilation_rate, strict=True
            )
        ]
        return TensorShape(
            [dims[0], self.filters, *out] if first else [dims[0], *out, self.filters]
        )


class Conv1D(_Conv):
    """1-D convolution layer (``conv1d/Conv1D`` as ExpandDims / Conv2D / Squeeze)."""

    rank = 1


class Conv2D(_Conv):
    """2-D convolution layer (``conv2d/Conv2D``)."""

    rank = 2


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution layer (``conv2d_transpose/conv2d_transpose``).

    Raises:
        NotImplementedError: for a dilation rate other than 1.
    """

    def _kernel_shape(self, channels: int) -> list[int]:
        return [*self.kernel_size, self.filters, channels]

    def call(self, inputs: Any) -> Tensor:
        """Output shape from the input's (static where known) size, then
        ``Conv2DBackpropInput``, bias, activation."""
        if self.dilation_rate != (1, 1):
            raise NotImplementedError("Conv2DTranspose with dilation is not built by stowflow")
        dynamic = array_ops.shape(inputs)
        batch = dynamic[0]
        first = self.data_format == "channels_first"
        h_axis, w_axis = (2, 3) if first else (1, 2)
        static = inputs.shape.as_list() if inputs.shape.ndims is not None else None
        height = static[h_axis] if static is not None else None
        width = static[w_axis] if static is not None else None
        height = height if height is not None else dynamic[h_axis]
        width = width if width is not None else dynamic[w_axis]
        out_h = utils.deconv_output_length(
            height, self.kernel_size[0], self.padding, self.strides[0]
        )
        out_w = utils.deconv_output_length(
            width, self.kernel_size[1], self.padding, self.strides[1]
        )
        dims = [batch, self.filters, out_h, out_w] if first else [batch, out_h, out_w, self.filters]
        output_shape = _autopack(dims)
        output_shape[0]  # noqa: B018 - TF's backend slices the batch size here (strided_slice_1)
        outputs = nn_ops.conv2d_transpose(
            inputs,
            self.kernel,
            output_shape,
            strides=[1, *self.strides, 1] if not first else [1, 1, *self.strides],
            padding=self.padding.upper(),
            data_format="NCHW" if first else "NHWC",
        )
        if static is not None:
            outputs.set_shape(self.compute_output_shape(inputs.shape))
        if self.use_bias:
            outputs = self._add_bias(outputs)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        """The static output shape."""
        dims = as_shape(input_shape).as_list()
        first = self.data_format == "channels_first"
        space = dims[2:] if first else dims[1:-1]
        out = [
            utils.deconv_output_length(d, k, self.padding, s)
            for d, k, s in zip(space, self.kernel_size, self.strides, strict=True)
        ]
        return TensorShape(
            [dims[0], self.filters, *out] if first else [dims[0], *out, self.filters]
        )


class SeparableConv2D(Conv2D):
    """Depthwise-separable 2-D convolution layer: variables ``depthwise_kernel``,
    ``pointwise_kernel``, ``bias``; op ``separable_conv2d/separable_conv2d``."""

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        data_format: str = "channels_last",
        dilation_rate: Any = (1, 1),
        depth_multiplier: int = 1,
        activation: Callable[..., Any] | None = None,
        use_bias: bool = True,
        depthwise_initializer: Any = None,
        pointwise_initializer: Any = None,
        bias_initializer: Any = None,
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        trainable: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint,
            trainable=trainable,
            name=name,
            **kwargs,
        )
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint
        self.depthwise_kernel: Any = None
        self.pointwise_kernel: Any = None

    def build(self, input_shape: Any) -> None:
        """Creates ``depthwise_kernel``, ``pointwise_kernel`` and ``bias``."""
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel",
            shape=[*self.kernel_size, channels, self.depth_multiplier],
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            trainable=True,
            dtype=self.dtype,
        )
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel",
            shape=[1, 1, channels * self.depth_multiplier, self.filters],
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            trainable=True,
            dtype=self.dtype,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                shape=[self.filters],
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                trainable=True,
                dtype=self.dtype,
            )
        self.built = True

    def _convolve(self, inputs: Tensor) -> Tensor:
        first = self.data_format == "channels_first"
        strides = [1, 1, *self.strides] if first else [1, *self.strides, 1]
        return nn_ops.separable_conv2d(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides=strides,
            padding=self.padding.upper(),
            rate=list(self.dilation_rate),
            data_format="NCHW" if first else "NHWC",
        )


def separable_conv2d(
    inputs: Any,
    filters: int,
    kernel_size: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str = "channels_last",
    dilation_rate: Any = (1, 1),
    depth_multiplier: int = 1,
    activation: Callable[..., Any] | None = None,
    use_bias: bool = True,
    depthwise_initializer: Any = None,
    pointwise_initializer: Any = None,
    bias_initializer: Any = None,
    depthwise_regularizer: Any = None,
    pointwise_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    depthwise_constraint: Any = None,
    pointwise_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """Functional :class:`SeparableConv2D` (``tf.compat.v1.layers.separable_conv2d``)."""
    layer = SeparableConv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        data_format=data_format,
        dilation_rate=dilation_rate,
        depth_multiplier=depth_multiplier,
        activation=activation,
        use_bias=use_bias,
        depthwise_initializer=depthwise_initializer,
        pointwise_initializer=pointwise_initializer,
        bias_initializer=bias_initializer,
        depthwise_regularizer=depthwise_regularizer,
        pointwise_regularizer=pointwise_regularizer,
        bias_regularizer=bias_regularizer,
        activity_regularizer=activity_regularizer,
        depthwise_constraint=depthwise_constraint,
        pointwise_constraint=pointwise_constraint,
        bias_constraint=bias_constraint,
        trainable=trainable,
        name=name,
        _scope=name,
        _reuse=reuse,
    )
    return layer(inputs)


def _autopack(values: list[Any]) -> Tensor:
    """``tf.stack`` of ints and scalar tensors as TF auto-packs it: ``stack/<i>`` constants
    and a ``stack`` Pack op."""
    graph = get_default_graph()
    with graph.name_scope("stack") as scope:
        items = [
            v if isinstance(v, Tensor) else convert_to_tensor(np.array(v, np.int32), name=str(i))
            for i, v in enumerate(values)
        ]
        return apply_op_outputs("Pack", {"values": items}, {"axis": 0}, name=scope)[0]


def _functional(cls: type[_Conv], doc: str) -> Callable[..., Tensor]:
    def conv(
        inputs: Any,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str = "channels_last",
        dilation_rate: Any = 1,
        activation: Callable[..., Any] | None = None,
        use_bias: bool = True,
        kernel_initializer: Any = None,
        bias_initializer: Any = None,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        trainable: bool = True,
        name: str | None = None,
        reuse: Any = None,
    ) -> Tensor:
        layer = cls(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            trainable=trainable,
            name=name,
            _scope=name,
            _reuse=reuse,
        )
        return layer(inputs)

    conv.__doc__ = doc
    return conv


conv1d = _functional(Conv1D, "Functional :class:`Conv1D` (``tf.compat.v1.layers.conv1d``).")
conv2d = _functional(Conv2D, "Functional :class:`Conv2D` (``tf.compat.v1.layers.conv2d``).")


def conv2d_transpose(
    inputs: Any,
    filters: int,
    kernel_size: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str = "channels_last",
    activation: Callable[..., Any] | None = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = None,
    kernel_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    kernel_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """Functional :class:`Conv2DTranspose` (``tf.compat.v1.layers.conv2d_transpose``)."""
    layer = Conv2DTranspose(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        data_format=data_format,
        activation=activation,
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer,
        bias_regularizer=bias_regularizer,
        activity_regularizer=activity_regularizer,
        kernel_constraint=kernel_constraint,
        bias_constraint=bias_constraint,
        trainable=trainable,
        name=name,
        _scope=name,
        _reuse=reuse,
    )
    return layer(inputs)
