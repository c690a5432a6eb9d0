"""TensorInfo helpers (``tf.saved_model.utils``)."""

from __future__ import annotations

from typing import Any

from stowflow import _deprecation, tensors
from stowflow.graph.core import Graph, Tensor, get_default_graph
from stowflow.proto import meta_graph_pb2


def build_tensor_info(tensor: Any) -> Any:
    """A TensorInfo naming ``tensor`` with its dtype and static shape.

    Raises:
        ValueError: for something that is not a Tensor or SparseTensor.
    """
    _deprecation.warn(
        "build_tensor_info", "tensorflow.python.saved_model.utils_impl", _deprecation.V1_ONLY
    )
    info = meta_graph_pb2.TensorInfo()
    if hasattr(tensor, "indices") and hasattr(tensor, "dense_shape"):
        info.coo_sparse.indices_tensor_name = tensor.indices.name
        info.coo_sparse.values_tensor_name = tensor.values.name
        info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
        info.dtype = tensor.values.dtype.base_dtype.as_datatype_enum
        info.tensor_shape.CopyFrom(tensors.shape_to_proto(tensor.shape.dims))
        return info
    if hasattr(tensor, "_as_tensor"):
        tensor = tensor._as_tensor()
    if not isinstance(tensor, Tensor):
        raise ValueError(f"Cannot build TensorInfo for {tensor!r}: not a Tensor.")
    info.name = tensor.name
    info.dtype = tensor.dtype.base_dtype.as_datatype_enum  # type: ignore[assignment]
    info.tensor_shape.CopyFrom(tensors.shape_to_proto(tensor.shape.dims))
    return info


def get_tensor_from_tensor_info(
    tensor_info: Any, graph: Graph | None = None, import_scope: str | None = None
) -> Any:
    """The Tensor (or SparseTensor) a TensorInfo names in ``graph``.

    Raises:
        ValueError: for a TensorInfo naming no tensor.
    """
    graph = graph or get_default_graph()

    def lookup(name: str) -> Tensor:
        return graph.get_tensor_by_name(f"{import_scope}/{name}" if import_scope else name)

    kind = tensor_info.WhichOneof("encoding")
    if kind == "name":
        return lookup(tensor_info.name)
    if kind == "coo_sparse":
        from stowflow.graph.sparse import SparseTensor

        sparse = tensor_info.coo_sparse
        return SparseTensor(
            lookup(sparse.indices_tensor_name),
            lookup(sparse.values_tensor_name),
            lookup(sparse.dense_shape_tensor_name),
        )
    raise ValueError(f"Invalid TensorInfo.encoding: {kind}")
