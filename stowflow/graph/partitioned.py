"""Partitioned variables: ``get_variable(..., partitioner=...)`` and the partitioners.

A partitioned variable ``v`` of shape [7, 3] split in 3 is three variables
``v/part_0`` .. ``v/part_2`` whose SaveSliceInfo places them in the full tensor; the
Saver stores them as slices of one checkpoint entry ``v`` (FORMATS.md §1.10).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from stowflow.dtypes import DType
from stowflow.graph.core import get_default_graph
from stowflow.graph.variables import SaveSliceInfo, Variable


class PartitionInfo:
    """Where a partition sits, passed to initializers (``partition_info``)."""

    def __init__(self, full_shape: list[int], var_offset: list[int]) -> None:
        self.full_shape = full_shape
        self.var_offset = var_offset


class PartitionedVariable:
    """The list of partitions of one variable (``PartitionedVariable``)."""

    def __init__(self, name: str, shape: list[int], dtype: DType, parts: list[Variable]) -> None:
        self.name = name
        self._shape = shape
        self.dtype = dtype
        self._variable_list = parts

    def __iter__(self) -> Iterator[Variable]:
        return iter(self._variable_list)

    def __len__(self) -> int:
        return len(self._variable_list)

    def get_shape(self) -> list[int]:
        """The full shape."""
        return list(self._shape)

    @property
    def shape(self) -> list[int]:
        """The full shape."""
        return list(self._shape)

    def as_tensor(self) -> Any:
        """The parts concatenated along the partitioned axis."""
        from stowflow.graph import array_ops

        axis = next((i for i, n in enumerate(self._partitions()) if n > 1), 0)
        return array_ops.concat([v.value() for v in self._variable_list], axis, name="concat")

    def _partitions(self) -> list[int]:
        infos = [v._get_save_slice_info() for v in self._variable_list]
        return [len({i.var_offset[d] for i in infos if i}) for d in range(len(self._shape))]

    def _as_tensor(self, as_ref: bool = False) -> Any:
        return self.as_tensor()


def fixed_size_partitioner(num_shards: int, axis: int = 0) -> Callable[..., list[int]]:
    """Splits ``axis`` into ``num_shards`` parts (``tf.fixed_size_partitioner``)."""

    def partitioner(shape: Any, dtype: Any = None) -> list[int]:
        parts = [1] * len(list(shape))
        parts[axis] = min(num_shards, int(list(shape)[axis]))  # TF caps at the axis size
        return parts

    return partitioner


def create(
    full_name: str,
    shape: list[int],
    dtype: DType,
    init_fn: Any,
    partitioner: Any,
    trainable: bool,
    collections: list[str] | None,
) -> PartitionedVariable:
    """Creates the partitions of ``full_name`` (as ``get_variable`` does).

    Raises:
        ValueError: if the partitioner splits more than one axis or more than the axis size.
    """
    counts = list(partitioner(shape=shape, dtype=dtype))
    split_axes = [i for i, n in enumerate(counts) if n > 1]
    if len(split_axes) > 1:
        raise ValueError(f"Can only slice a variable along one dimension: {counts}")
    axis = split_axes[0] if split_axes else 0
    num = counts[axis] if split_axes else 1
    if num > shape[axis]:
        raise ValueError(f"Cannot split axis of size {shape[axis]} into {num} partitions")
    parts: list[Variable] = []
    offset = 0
    for i in range(num):
        size = shape[axis] // num + (1 if i < shape[axis] % num else 0)
        part_shape = list(shape)
        part_shape[axis] = size
        var_offset = [0] * len(shape)
        var_offset[axis] = offset
        info = PartitionInfo(list(shape), var_offset)
        with get_default_graph().name_scope(None):
            var = Variable(
                initial_value=lambda s=part_shape, p=info: _call_init(init_fn, s, dtype, p),
                name=f"{full_name}/part_{i}",
                trainable=trainable,
                collections=collections,
                dtype=dtype,
            )
        var._set_save_slice_info(SaveSliceInfo(full_name, list(shape), var_offset, part_shape))
        parts.append(var)
        offset += size
    return PartitionedVariable(full_name, list(shape), dtype, parts)


def _call_init(init_fn: Any, shape: list[int], dtype: DType, info: PartitionInfo) -> Any:
    try:
        return init_fn(shape, dtype, partition_info=info)
    except TypeError:
        return init_fn(shape, dtype)
