"""``SparseTensor`` (three graph tensors) and ``SparseTensorValue`` (their fetched values).

A SparseTensor is COO: ``indices`` int64 ``[nnz, rank]``, ``values`` ``[nnz]`` and
``dense_shape`` int64 ``[rank]`` (TF's sparse_tensor.py). ``Session.run`` fetches one as a
``SparseTensorValue`` and accepts one (or a 3-tuple) as a feed.

Example:
    >>> # st = SparseTensor([[0, 1]], [5.0], [2, 3]); sess.run(st).values -> array([5.], ...)
"""

from __future__ import annotations

import collections
from typing import Any

from stowflow import dtypes
from stowflow.dtypes import DType
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Graph, Operation, Tensor, get_default_graph
from stowflow.graph.shape import TensorShape, unknown_shape
from stowflow.graph.shape_fns import constant_value

SparseTensorValue = collections.namedtuple(
    "SparseTensorValue", ["indices", "values", "dense_shape"]
)
SparseTensorValue.__doc__ = "The fetched value of a SparseTensor (``tf.SparseTensorValue``)."


def _graph_of(*values: Any) -> Graph:
    for v in values:
        if isinstance(v, Tensor):
            return v.graph
    return get_default_graph()


class SparseTensor:
    """A sparse tensor in a graph (``tf.SparseTensor``).

    Args:
        indices: int64 ``[nnz, rank]`` tensor-like.
        values: ``[nnz]`` tensor-like.
        dense_shape: int64 ``[rank]`` tensor-like.

    Raises:
        ValueError: if the static shapes of the three parts disagree.
    """

    def __init__(self, indices: Any, values: Any, dense_shape: Any) -> None:
        graph = _graph_of(indices, values, dense_shape)
        # TF opens name_scope(None, "SparseTensor") even when nothing is converted.
        with graph.as_default(), graph.name_scope("SparseTensor"):
            self._indices = convert_to_tensor(indices, dtype=dtypes.int64, name="indices")
            self._values = convert_to_tensor(values, name="values")
            self._dense_shape = convert_to_tensor(
                dense_shape, dtype=dtypes.int64, name="dense_shape"
            )
        self._static_shape: TensorShape | None = None
        self._check_shapes()

    def _check_shapes(self) -> None:
        indices, values, shape = (t.shape for t in self.parts)
        indices.merge_with(unknown_shape(2))
        values.merge_with(unknown_shape(1))
        shape.merge_with(unknown_shape(1))
        nnz = indices.dims[0] if indices.dims else None
        rank = indices.dims[1] if indices.dims else None
        values.merge_with(TensorShape([nnz]))
        shape.merge_with(TensorShape([rank]))

    @classmethod
    def from_value(cls, value: Any) -> SparseTensor:
        """A SparseTensor of constants from a ``SparseTensorValue`` (or a SparseTensor)."""
        if isinstance(value, SparseTensor):
            return value
        return cls(value.indices, value.values, value.dense_shape)

    @property
    def parts(self) -> tuple[Tensor, Tensor, Tensor]:
        """(indices, values, dense_shape)."""
        return self._indices, self._values, self._dense_shape

    @property
    def indices(self) -> Tensor:
        """int64 ``[nnz, rank]`` positions of the non-default values."""
        return self._indices

    @property
    def values(self) -> Tensor:
        """``[nnz]`` values."""
        return self._values

    @property
    def dense_shape(self) -> Tensor:
        """int64 ``[rank]`` shape of the dense equivalent."""
        return self._dense_shape

    @property
    def dtype(self) -> DType:
        """The dtype of ``values``."""
        return self._values.dtype

    @property
    def op(self) -> Operation:
        """The op producing ``values``."""
        return self._values.op

    @property
    def graph(self) -> Graph:
        """The graph of the three tensors."""
        return self._values.graph

    def set_shape(self, shape: Any) -> None:
        """Refines the static dense shape (``SparseTensor.set_shape``).

        Raises:
            ValueError: if ``shape`` is incompatible with the current static shape.
        """
        self._static_shape = self.shape.merge_with(TensorShape(shape))

    @property
    def shape(self) -> TensorShape:
        """The static dense shape: from a constant ``dense_shape``, else its length."""
        if self._static_shape is not None:
            return self._static_shape
        value = constant_value(self._dense_shape)
        if value is not None:
            return TensorShape([int(d) if d >= 0 else None for d in value.reshape(-1)])
        length = self._dense_shape.shape
        return unknown_shape(length[0] if length.ndims == 1 else None)

    def get_shape(self) -> TensorShape:
        """Same as :attr:`shape`."""
        return self.shape

    def eval(self, feed_dict: Any = None, session: Any = None) -> SparseTensorValue:
        """Evaluates the three parts in ``session`` or the default session."""
        from stowflow.graph import session as session_lib

        return session_lib.run_with_default(self, feed_dict, session, "tensor", "eval")

    def _as_graph_element(self) -> Tensor:
        return self._values

    def __repr__(self) -> str:
        return (
            f"SparseTensor(indices={self._indices}, values={self._values}, "
            f"dense_shape={self._dense_shape})"
        )
