"""``tf.compat.v1.layers`` Dense, Dropout and Flatten (class and function forms).

Graphs as TF 2.15 builds them: ``dense/MatMul``, ``dense/BiasAdd``, ``dense/Relu``;
``dropout/dropout/...`` (training) or ``dropout/Identity``; ``flatten/Reshape``.

Example:
    >>> import stowflow as tf
    >>> from stowflow.layers import core
    >>> x = tf.placeholder(tf.float32, [None, 4])
    >>> core.dense(x, 3).name
    'dense/BiasAdd:0'
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
from stowflow.layers.base import Layer


class Dense(Layer):
    """Densely-connected layer: ``activation(inputs @ kernel + bias)``.

    Raises:
        ValueError: when the last input dimension is unknown (TF's message).
    """

    def __init__(
        self,
        units: int,
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
        self.units = int(units)
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

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` [last_dim, units] and ``bias`` [units]."""
        shape = as_shape(input_shape)
        last = shape.as_list()[-1] if shape.ndims else None
        if last is None:
            raise ValueError(
                "The last dimension of the inputs to a Dense layer should be defined. "
                f"Found None. Full input shape received: {shape}"
            )
        self.kernel = self.add_weight(
            "kernel",
            shape=[int(last), self.units],
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            dtype=self.dtype,
            trainable=True,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                shape=[self.units],
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                dtype=self.dtype,
                trainable=True,
            )
        self.built = True

    def call(self, inputs: Any) -> Tensor:
        """``MatMul`` (rank 2) + ``BiasAdd`` + activation.

        Raises:
            NotImplementedError: for inputs of rank > 2 (TF's ``Tensordot`` graph).
        """
        kernel_dtype = self.kernel.dtype.base_dtype
        if inputs.dtype.base_dtype != kernel_dtype:
            inputs = math_ops.cast(inputs, kernel_dtype)
        rank = inputs.shape.ndims
        if rank is None or rank == 2:
            outputs = math_ops.matmul(inputs, self.kernel)
        else:
            outputs = _tensordot_last(inputs, self.kernel, self.units)
        if self.use_bias:
            outputs = math_ops.bias_add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        """``input_shape`` with the last dimension replaced by ``units``."""
        return as_shape(input_shape)[:-1].concatenate([self.units])


def _tensordot_last(x: Tensor, kernel: Any, units: int) -> Tensor:
    """``tensordot(x, kernel, [[rank - 1], [0]])`` with TF's ``Tensordot`` graph: a static
    reshape to 2-D when x's shape is known, else Shape/GatherV2/Prod/transpose/Reshape."""
    dims = x.shape.as_list()
    rank = len(dims)
    graph = get_default_graph()

    def const(value: Any, name: str) -> Tensor:
        return convert_to_tensor(np.array(value, np.int32), name=name)

    with graph.name_scope("Tensordot") as scope:
        if all(d is not None for d in dims):
            flat = _op(
                "Reshape",
                {"tensor": x, "shape": const([int(np.prod(dims[:-1])), dims[-1]], "Reshape/shape")},
                "Reshape",
            )
            product = math_ops.matmul(flat, kernel)
            shape = const([*dims[:-1], units], "shape")
            out = _op("Reshape", {"tensor": product, "shape": shape}, scope)
        else:
            axes = const([rank - 1], "axes")
            free = const(list(range(rank - 1)), "free")
            shape_x = array_ops.shape(x)
            free_dims = _gather(shape_x, free, "GatherV2")
            axes_dims = _gather(shape_x, axes, "GatherV2_1")
            prod_free = _op(
                "Prod",
                {"input": free_dims, "reduction_indices": const([0], "Const")},
                "Prod",
                {"keep_dims": False},
            )
            prod_axes = _op(
                "Prod",
                {"input": axes_dims, "reduction_indices": const([0], "Const_1")},
                "Prod_1",
                {"keep_dims": False},
            )
            perm = _concat([free, axes], "concat")
            packed = _op("Pack", {"values": [prod_free, prod_axes]}, "stack", {"axis": 0})
            moved = _op("Transpose", {"x": x, "perm": perm}, "transpose")
            flat = _op("Reshape", {"tensor": moved, "shape": packed}, "Reshape")
            product = math_ops.matmul(flat, kernel)
            out_shape = _concat([free_dims, const([units], "Const_2")], "concat_1")
            out = _op("Reshape", {"tensor": product, "shape": out_shape}, scope)
    out.set_shape([*dims[:-1], units])
    return out


def _op(
    op_type: str, inputs: dict[str, Any], name: str, attrs: dict[str, Any] | None = None
) -> Tensor:
    return apply_op_outputs(op_type, inputs, attrs or {}, name=name)[0]


def _gather(params: Tensor, indices: Tensor, name: str) -> Tensor:
    with get_default_graph().name_scope(name) as scope:
        axis = convert_to_tensor(np.array(0, np.int32), name="axis")
        inputs = {"params": params, "indices": indices, "axis": axis}
        return _op("GatherV2", inputs, scope, {"batch_dims": 0})


def _concat(values: list[Tensor], name: str) -> Tensor:
    with get_default_graph().name_scope(name) as scope:
        axis = convert_to_tensor(np.array(0, np.int32), name="axis")
        return _op("ConcatV2", {"values": values, "axis": axis}, scope)


def dense(
    inputs: Any,
    units: int,
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
    """Functional :class:`Dense` (``tf.compat.v1.layers.dense``).

    Example:
        >>> # logits = dense(hidden, 10, name="logits")
    """
    layer = Dense(
        units,
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


class Dropout(Layer):
    """Dropout: in training, zeroes inputs with probability ``rate`` (scaling the rest)."""

    def __init__(
        self,
        rate: float = 0.5,
        noise_shape: Any = None,
        seed: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        if isinstance(rate, int | float) and not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid value {rate} received for `rate`, expected a value between 0 and 1."
            )
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed
        self._next_seed = seed

    def _legacy_seed(self) -> int | None:
        """The layer seed, then seed + 1... (Keras' ``make_legacy_seed``)."""
        seed = self._next_seed
        if seed is not None:
            self._next_seed = seed + 1
        return seed

    def call(self, inputs: Any, training: Any = False) -> Tensor:
        """``nn.dropout`` when ``training`` (a bool or a bool tensor), else ``Identity``."""

        def dropped() -> Tensor:
            return nn_ops.dropout(
                inputs, rate=self.rate, noise_shape=self.noise_shape, seed=self._legacy_seed()
            )

        return utils.smart_cond(training, dropped, lambda: array_ops.identity(inputs))

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Dropout keeps the shape."""
        return input_shape


def dropout(
    inputs: Any,
    rate: float = 0.5,
    noise_shape: Any = None,
    seed: int | None = None,
    training: Any = False,
    name: str | None = None,
) -> Tensor:
    """Functional :class:`Dropout` (``tf.compat.v1.layers.dropout``)."""
    layer = Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)
    return layer(inputs, training=training)


class Flatten(Layer):
    """Flattens all but the batch dimension (``flatten/Reshape``)."""

    def __init__(self, data_format: str = "channels_last", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = utils.normalize_data_format(data_format)

    def call(self, inputs: Any) -> Tensor:
        """Reshape to ``[-1, prod(non-batch dims)]`` (a transpose first for channels_first)."""
        if self.data_format == "channels_first" and (inputs.shape.ndims or 0) > 1:
            rank = inputs.shape.ndims
            perm = [0, *range(2, rank), 1]
            inputs = array_ops.transpose(inputs, perm=perm)
        shape = inputs.shape
        if shape.ndims == 1:
            return array_ops.expand_dims(inputs, 1)
        dims = shape.as_list() if shape.ndims is not None else None
        if dims is not None and all(d is not None for d in dims[1:]):
            target: Any = convert_to_tensor(
                np.array([-1, int(np.prod(dims[1:]))], np.int32), name="Const"
            )
        elif dims is not None and dims[0] is not None:
            target = convert_to_tensor(np.array([int(dims[0]), -1], np.int32), name="Const")
        else:
            target = [array_ops.shape(inputs)[0], -1]
        return array_ops.reshape(inputs, target)

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        """``[batch, prod(rest)]``."""
        dims = as_shape(input_shape).as_list()
        rest = dims[1:]
        flat = int(np.prod(rest)) if all(d is not None for d in rest) else None
        return TensorShape([dims[0], flat])


def flatten(inputs: Any, name: str | None = None, data_format: str = "channels_last") -> Tensor:
    """Functional :class:`Flatten` (``tf.compat.v1.layers.flatten``)."""
    return Flatten(name=name, data_format=data_format)(inputs)
