"""Variables as the canned estimators make them: single-partition, checkpointed by full name.

The canned model_fns open their ``dnn``/``linear`` scopes with
``min_max_variable_partitioner(max_partitions=num_ps_replicas)``; without parameter servers
that is one partition, so every model variable is ``<name>/part_0`` in the graph and
``<name>`` in the checkpoint (a slice covering the whole tensor).

TF's ``slot_creator`` then names the optimizer's slot of such a variable in the checkpoint
``<full_name>/<slot graph name minus len(primary op name + "/") characters>``, where the
slot's graph name is ``<variable scope>/<primary op name>/<optimizer name>``. Inside the
``dnn`` scope this cuts "dnn/dnn/hiddenlayer_0/kernel/part_0/Adagrad" to "t_0/Adagrad", hence
TF's ``dnn/hiddenlayer_0/kernel/t_0/Adagrad``; :func:`name_slots_as_tf` reproduces it.
"""

from __future__ import annotations

from typing import Any

from stowflow.graph import array_ops
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.graph.partitioned import PartitionedVariable
from stowflow.graph.variables import SaveSliceInfo, get_variable_scope
from stowflow.training.optimizer import Optimizer


def one_partition(shape: Any, dtype: Any = None) -> list[int]:
    """``min_max_variable_partitioner(max_partitions=0)``: one partition of every variable."""
    return [1] * max(len(list(shape)), 1)


def read(variable: Any) -> Tensor:
    """The value of a one-partition variable, an Identity named after the full variable."""
    if not isinstance(variable, PartitionedVariable):
        return variable.value()
    (part,) = list(variable)
    graph = get_default_graph()
    with graph.name_scope(None), graph.name_scope(variable.name + "/"):
        value = part.value()
    with graph.name_scope(None):
        return array_ops.identity(value, name=variable.name)


def name_slots_as_tf(optimizer: Optimizer, var_list: list[Any]) -> None:
    """Gives the slots of partitioned variables TF's checkpoint names (see module doc).

    Call right after ``optimizer.minimize``, in the variable scope it was called in.
    """
    scope = get_variable_scope().name
    prefix = scope + "/" if scope else ""
    for var in var_list:
        info = var._get_save_slice_info()
        if info is None:
            continue
        primary = var.op.name
        for slot_name in optimizer.get_slot_names():
            slot = optimizer.get_slot(var, slot_name)
            if slot is None:
                continue
            tf_graph_name = prefix + slot.op.name
            real_slot_name = tf_graph_name[len(primary) + 1 :]
            rank = len(slot.shape.as_list())
            slot._set_save_slice_info(
                SaveSliceInfo(
                    f"{info.full_name}/{real_slot_name}",
                    info.full_shape[:rank],
                    info.var_offset[:rank],
                    info.var_shape[:rank],
                )
            )
