"""``tf.compat.v1.layers.BatchNormalization`` / ``batch_normalization`` as TF 2.15 builds them.

Variables ``gamma``, ``beta`` (trainable), ``moving_mean``, ``moving_variance``. With
``fused=None`` a 4-D input normalised over its last (or first) axis uses the fused kernel
(``batch_normalization/FusedBatchNormV3``), anything else ``moments`` + ``batchnorm/...``.
In training the moving statistics are updated by ``AssignMovingAvg`` / ``AssignMovingAvg_1``
(``AssignSub`` of ``(moving - batch) * (1 - momentum)``), which go to
``tf.GraphKeys.UPDATE_OPS``; run them with the train op. ``training`` is a bool or a bool
tensor (then TF's ``cond`` graphs).

Example:
    >>> # h = batch_normalization(conv, training=is_training)
    >>> # with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)): ...
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph import initializers as init_ops
from stowflow.graph import nn_ops
from stowflow.graph import variables as vs
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Tensor
from stowflow.graph.shape import as_shape
from stowflow.layers import utils
from stowflow.layers.base import Layer

_FUSED_FORMATS = {(1, 4): "NCHW", (3, 4): "NHWC", (1, 5): "NCDHW", (4, 5): "NDHWC"}


class BatchNormalization(Layer):
    """Batch normalisation layer (TF1 ``tf.layers.BatchNormalization``).

    Raises:
        NotImplementedError: for ``renorm``, ``virtual_batch_size`` or ``adjustment``.
        ValueError: for ``fused=True`` where the fused kernel cannot be used, or an
            undefined normalised dimension (TF's messages).
    """

    def __init__(
        self,
        axis: Any = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = None,
        gamma_initializer: Any = None,
        moving_mean_initializer: Any = None,
        moving_variance_initializer: Any = None,
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: Any = None,
        renorm_momentum: float = 0.99,
        fused: bool | None = None,
        trainable: bool = True,
        virtual_batch_size: int | None = None,
        adjustment: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        if renorm or virtual_batch_size is not None or adjustment is not None:
            raise NotImplementedError(
                "BatchNormalization with renorm, virtual_batch_size or adjustment is not "
                "built by stowflow"
            )
        del renorm_clipping, renorm_momentum
        self.axis = list(axis) if isinstance(axis, list | tuple) else axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = beta_initializer or init_ops.zeros_initializer()
        self.gamma_initializer = gamma_initializer or init_ops.ones_initializer()
        self.moving_mean_initializer = moving_mean_initializer or init_ops.zeros_initializer()
        self.moving_variance_initializer = (
            moving_variance_initializer or init_ops.ones_initializer()
        )
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.fused = True if fused is None else fused  # the V1 layer: decided in build
        self._data_format = "NHWC"
        self.gamma: Any = None
        self.beta: Any = None
        self.moving_mean: Any = None
        self.moving_variance: Any = None

    def _axes(self, rank: int) -> list[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        resolved = [a + rank if a < 0 else a for a in axes]
        for a in resolved:
            if not 0 <= a < rank:
                raise ValueError(
                    f"Invalid value for `axis` argument. Expected 0 <= axis < inputs.rank "
                    f"(with inputs.rank={rank}). Received: axis={self.axis}"
                )
        return resolved

    def build(self, input_shape: Any) -> None:
        """Decides fused or not and creates the four variables."""
        shape = as_shape(input_shape)
        if shape.ndims is None:
            raise ValueError(f"Input has undefined rank. Received: input_shape={shape}")
        rank = shape.ndims
        self.axis = self._axes(rank)
        if self.fused:
            key = (self.axis[0], rank) if len(self.axis) == 1 else (-1, rank)
            fmt = _FUSED_FORMATS.get(key)
            if rank not in (4, 5) or fmt is None:
                self.fused = False
            else:
                self._data_format = fmt
        sizes = {a: shape.as_list()[a] for a in self.axis}
        if any(v is None for v in sizes.values()):
            raise ValueError(
                f"Input has undefined `axis` dimension. Received input with shape {shape} "
                f"and axis={tuple(self.axis)}"
            )
        if len(sizes) == 1:
            param_shape = [int(next(iter(sizes.values())))]
        else:
            param_shape = [int(sizes[i]) if i in sizes else 1 for i in range(rank)]
        self._param_shape = param_shape
        if self.scale:
            self.gamma = self.add_weight(
                "gamma",
                shape=param_shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                trainable=True,
            )
        if self.center:
            self.beta = self.add_weight(
                "beta",
                shape=param_shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                trainable=True,
            )
        self.moving_mean = self.add_weight(
            "moving_mean",
            shape=param_shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            "moving_variance",
            shape=param_shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
        )
        self.built = True

    def _assign_moving_average(self, variable: Any, value: Any, momentum: Any) -> Any:
        """``AssignMovingAvg``: ``variable -= (variable - value) * (1 - momentum)``."""
        from stowflow.graph.core import get_default_graph

        graph = get_default_graph()
        with graph.name_scope("AssignMovingAvg") as scope:
            decay = 1.0 - momentum
            if not isinstance(decay, Tensor):
                decay = convert_to_tensor(
                    np.array(decay, variable.dtype.base_dtype.as_numpy_dtype), name="decay"
                )
            delta = (variable - value) * decay
            with graph.colocate_with(variable.op):
                return vs.assign_sub(variable, delta, name=scope)

    def call(self, inputs: Any, training: Any = False) -> Tensor:
        """Normalises ``inputs`` with batch statistics (training) or the moving ones."""
        if self.fused:
            return self._fused(inputs, training)
        return self._unfused(inputs, training)

    def _fused(self, inputs: Tensor, training: Any) -> Tensor:
        dtype = self.moving_mean.dtype.base_dtype.as_numpy_dtype
        beta = (
            self.beta
            if self.center
            else convert_to_tensor(np.zeros(self._param_shape, dtype), name="Const")
        )
        gamma = (
            self.gamma
            if self.scale
            else convert_to_tensor(np.ones(self._param_shape, dtype), name="Const")
        )

        def batch_norm(is_training: bool) -> Any:
            def run() -> Any:
                return nn_ops.fused_batch_norm(
                    inputs,
                    gamma,
                    beta,
                    mean=self.moving_mean,
                    variance=self.moving_variance,
                    epsilon=self.epsilon,
                    is_training=is_training,
                    data_format=self._data_format,
                )

            return run

        output, mean, variance = utils.smart_cond(training, batch_norm(True), batch_norm(False))
        static = utils.constant_value(training)
        if static is False:
            return output
        if static is None:
            momentum = utils.smart_cond(
                training,
                lambda: convert_to_tensor(np.array(self.momentum, np.float32)),
                lambda: convert_to_tensor(np.array(1.0, np.float32)),
            )
        else:
            momentum = convert_to_tensor(np.array(self.momentum, np.float32))
        self.add_update(lambda: self._assign_moving_average(self.moving_mean, mean, momentum))
        self.add_update(
            lambda: self._assign_moving_average(self.moving_variance, variance, momentum)
        )
        return output

    def _unfused(self, inputs: Tensor, training: Any) -> Tensor:
        from stowflow.graph import array_ops

        rank = inputs.shape.ndims or 0
        reduction = [i for i in range(rank) if i not in self.axis]
        broadcast_shape = [1] * rank
        broadcast_shape[self.axis[0]] = inputs.shape.as_list()[self.axis[0]]

        def broadcast(v: Any) -> Any:
            if v is not None and len(v.shape) != rank and reduction != list(range(rank - 1)):
                return array_ops.reshape(v, broadcast_shape)
            return v

        scale, offset = broadcast(self.gamma), broadcast(self.beta)
        static = utils.constant_value(training)
        if static is False:
            mean: Any = self.moving_mean
            variance: Any = self.moving_variance
        else:
            keep = len(self.axis) > 1
            batch_mean, batch_var = nn_ops.moments(inputs, reduction, keep_dims=keep)
            moving_mean, moving_var = self.moving_mean, self.moving_variance
            mean = utils.smart_cond(
                training, lambda: batch_mean, lambda: convert_to_tensor(moving_mean)
            )
            variance = utils.smart_cond(
                training, lambda: batch_var, lambda: convert_to_tensor(moving_var)
            )
            new_mean, new_var = mean, variance

            def mean_update() -> Any:
                return utils.smart_cond(
                    training,
                    lambda: self._assign_moving_average(moving_mean, new_mean, self.momentum),
                    lambda: moving_mean,
                )

            def variance_update() -> Any:
                return utils.smart_cond(
                    training,
                    lambda: self._assign_moving_average(moving_var, new_var, self.momentum),
                    lambda: moving_var,
                )

            self.add_update(mean_update)
            self.add_update(variance_update)
        outputs = nn_ops.batch_normalization(
            inputs,
            broadcast(convert_to_tensor(mean)),
            broadcast(convert_to_tensor(variance)),
            offset,
            scale,
            self.epsilon,
        )
        outputs.set_shape(inputs.shape)
        return outputs


def batch_normalization(
    inputs: Any,
    axis: Any = -1,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
    center: bool = True,
    scale: bool = True,
    beta_initializer: Any = None,
    gamma_initializer: Any = None,
    moving_mean_initializer: Any = None,
    moving_variance_initializer: Any = None,
    beta_regularizer: Any = None,
    gamma_regularizer: Any = None,
    beta_constraint: Any = None,
    gamma_constraint: Any = None,
    training: Any = False,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
    renorm: bool = False,
    renorm_clipping: Any = None,
    renorm_momentum: float = 0.99,
    fused: bool | None = None,
    virtual_batch_size: int | None = None,
    adjustment: Any = None,
) -> Tensor:
    """Functional :class:`BatchNormalization` (``tf.compat.v1.layers.batch_normalization``)."""
    layer = BatchNormalization(
        axis=axis,
        momentum=momentum,
        epsilon=epsilon,
        center=center,
        scale=scale,
        beta_initializer=beta_initializer,
        gamma_initializer=gamma_initializer,
        moving_mean_initializer=moving_mean_initializer,
        moving_variance_initializer=moving_variance_initializer,
        beta_regularizer=beta_regularizer,
        gamma_regularizer=gamma_regularizer,
        beta_constraint=beta_constraint,
        gamma_constraint=gamma_constraint,
        renorm=renorm,
        renorm_clipping=renorm_clipping,
        renorm_momentum=renorm_momentum,
        fused=fused,
        trainable=trainable,
        virtual_batch_size=virtual_batch_size,
        adjustment=adjustment,
        name=name,
        _scope=name,
        _reuse=reuse,
    )
    return layer(inputs, training=training)
