"""Stateful kernels that read resource variables in other ways than ``ReadVariableOp``.

``ResourceGather`` is the embedding lookup of TF2 and feature-column models
(``tf.nn.embedding_lookup`` on a resource variable): a ``GatherV2`` of the variable's
current value along axis ``batch_dims``, with GatherV2's checks and messages.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph.kernels.registry import KERNELS, register_shape
from stowflow.graph.kernels.state import STATEFUL_KERNELS, SessionState, stateful
from stowflow.graph.shape import TensorShape


@stateful("ResourceGather")
def _resource_gather(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    params = STATEFUL_KERNELS["ReadVariableOp"](state, op, [inputs[0]])[0]
    batch_dims = int(op.get_attr("batch_dims"))
    gather = KERNELS["GatherV2"]
    return gather([params, inputs[1], np.int32(batch_dims)], {"batch_dims": batch_dims})


@register_shape("ResourceGather")
def _resource_gather_shape(op: Any) -> list[TensorShape]:
    return [TensorShape(None)]  # the variable's shape is not on its handle here
