"""``tf.IndexedSlices``: a sparse gradient, rows ``indices`` of a dense tensor ``dense_shape``.

What gathers hand back as gradients (TF's ``indexed_slices.IndexedSlices``): ``values[i]``
is the slice at row ``indices[i]``; repeated indices add up. Converting one to a Tensor
(any op that takes it as an input) builds TF's ``UnsortedSegmentSum(values, indices,
dense_shape[0])``; ``aggregate`` sums several as TF's ``AggregateIndexedSlicesGradients``
does (concatenating values and indices, or ``AddN`` when a dense gradient is among them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph.core import Tensor, get_default_graph


class IndexedSlices:
    """A sparse representation of a set of tensor slices at given indices.

    Args:
        values: a Tensor ``[N, ...]``, the slices.
        indices: a 1-D integer Tensor ``[N]``, the row of each slice.
        dense_shape: optional 1-D integer Tensor, the shape of the dense tensor.
    """

    def __init__(self, values: Tensor, indices: Tensor, dense_shape: Tensor | None = None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    @property
    def values(self) -> Tensor:
        """The slices."""
        return self._values

    @property
    def indices(self) -> Tensor:
        """The row index of each slice."""
        return self._indices

    @property
    def dense_shape(self) -> Tensor | None:
        """The shape of the dense tensor, or None."""
        return self._dense_shape

    @property
    def dtype(self) -> Any:
        """The dtype of the values."""
        return self._values.dtype

    @property
    def name(self) -> str:
        """The name of the values tensor."""
        return self._values.name

    @property
    def op(self) -> Any:
        """The op that makes the values."""
        return self._values.op

    @property
    def graph(self) -> Any:
        return self._values.graph

    @property
    def device(self) -> str:
        return self._values.device

    @property
    def shape(self) -> Any:
        """The dense shape, as far as it is known statically (TF's ``IndexedSlices.shape``)."""
        from stowflow.graph.shape_fns import shape_from_tensor

        if self._dense_shape is None:
            from stowflow.graph.shape import TensorShape

            return TensorShape(None)
        return shape_from_tensor(self._dense_shape)

    def __repr__(self) -> str:
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape}"
        return f"IndexedSlices(indices={self._indices}, values={self._values}{shape})"

    def _as_tensor(self, as_ref: bool = False) -> Tensor:
        """Dense conversion (TF's ``_indexed_slices_to_tensor``)."""
        return to_tensor(self)


def to_tensor(value: IndexedSlices, name: str | None = None) -> Tensor:
    """``UnsortedSegmentSum(values, indices, dense_shape[0])``, as TF converts IndexedSlices.

    Raises:
        ValueError: TF's message when ``dense_shape`` is unknown.
    """
    if value.dense_shape is None:
        raise ValueError(
            "Tensor conversion requested for IndexedSlices for argument `value` "
            f"without dense_shape: {value!s}"
        )
    rows = value.dense_shape[0]  # type: ignore[index]
    return g.op(
        "UnsortedSegmentSum",
        {"data": value.values, "segment_ids": value.indices, "num_segments": rows},
        None,
        name or "UnsortedSegmentSum",
    )


def dense(value: Any) -> Any:
    """``value`` as a Tensor when it is IndexedSlices (``_IndexedSlicesToTensorNoWarning``)."""
    return to_tensor(value) if isinstance(value, IndexedSlices) else value


def _as_indexed_slices(value: Any) -> IndexedSlices:
    """A dense gradient as IndexedSlices covering every row (TF's ``_as_indexed_slices``)."""
    if isinstance(value, IndexedSlices):
        return value
    shape = g.op("Shape", {"input": value}, {"out_type": dtypes.int64})
    rows = g.op("Range", {"start": np.int64(0), "limit": shape[0], "delta": np.int64(1)})
    return IndexedSlices(value, rows, shape)


def _indices_int64(slices: list[IndexedSlices]) -> list[IndexedSlices]:
    """Mixed int32/int64 indices all become int64 (TF's ``_as_indexed_slices_list``)."""
    narrow = [s for s in slices if s.indices.dtype.base_dtype == dtypes.int32]
    if not narrow or len(narrow) == len(slices):
        return slices
    return [
        IndexedSlices(s.values, g.cast(s.indices, dtypes.int64), s.dense_shape)
        if s.indices.dtype.base_dtype == dtypes.int32
        else s
        for s in slices
    ]


def _concat0(tensors: list[Tensor]) -> Tensor:
    graph = get_default_graph()
    with graph.name_scope("concat") as scope:
        axis = g.const(np.array(0, np.int32), name="axis")
        return g.op("ConcatV2", {"values": tensors, "axis": axis}, None, scope)


def aggregate(grads: list[Any]) -> Any:
    """Sums gradients of which some are IndexedSlices (``AggregateIndexedSlicesGradients``)."""
    if not grads:
        return None
    if len(grads) == 1:
        return grads[0]
    present = [x for x in grads if x is not None]
    if any(isinstance(x, Tensor) for x in present):
        with get_default_graph().name_scope("AddN") as scope:  # conversions inside, as TF
            inputs = [
                to_tensor(x, f"inputs_{i}") if isinstance(x, IndexedSlices) else x
                for i, x in enumerate(present)
            ]
            return g.op("AddN", {"inputs": inputs}, None, scope)
    slices = _indices_int64([_as_indexed_slices(x) for x in present])
    values = _concat0([s.values for s in slices])
    indices = _concat0([s.indices for s in slices])
    return IndexedSlices(values, indices, slices[0].dense_shape)
