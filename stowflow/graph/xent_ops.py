"""``tf.nn.softmax_cross_entropy_with_logits_v2`` and ``sparse_softmax_cross_entropy_with_logits``.

Both build TF's nodes: the dense form flattens logits and labels to 2-D
(``Rank``/``Shape``/``Slice``/``concat``/``Reshape``) around one
``SoftmaxCrossEntropyWithLogits`` op named after the scope, then reshapes the cost back;
the sparse form on rank-2 logits is one ``SparseSoftmaxCrossEntropyWithLogits`` op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph import grad_ops as g
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.graph.shape import TensorShape


def _rank(t: Tensor, name: str = "Rank") -> Tensor:
    if t.shape.ndims is not None:
        return g.const(np.array(t.shape.ndims, dtype=np.int32), name=name)
    return g.op("Rank", {"input": t}, None, name)


def _concat(values: list[Any], name: str = "concat") -> Tensor:
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        tensors = [
            v if isinstance(v, Tensor) else g.const(np.array(v, np.int32), name=f"values_{i}")
            for i, v in enumerate(values)
        ]
        axis = g.const(np.array(0, np.int32), name="axis")
        return g.op("ConcatV2", {"values": tensors, "axis": axis}, None, scope)


def _flatten_outer_dims(t: Tensor) -> Tensor:
    rank = _rank(t)
    last = g.op(
        "Slice", {"input": g.shape(t), "begin": [g.binary("Sub", rank, 1, "Sub")], "size": [1]}
    )
    out = g.reshape(t, _concat([[-1], last]))
    dims = t.shape.as_list() if t.shape.ndims is not None else None
    if dims is not None and None not in dims[:-1]:
        out.set_shape(TensorShape([int(np.prod(dims[:-1], dtype=np.int64)), dims[-1]]))
    return out


def softmax_cross_entropy_with_logits_v2(
    labels: Any, logits: Any, axis: int = -1, name: str | None = None, dim: Any = None
) -> Tensor:
    """Softmax cross-entropy per row, with gradients into both labels and logits.

    Raises:
        NotImplementedError: for an ``axis`` other than the last.
    """
    if dim is not None:
        axis = dim
    graph = get_default_graph()
    with graph.name_scope(name or "softmax_cross_entropy_with_logits") as scope:
        logits_t = convert_to_tensor(logits, name="logits")
        labels_t = g.cast(convert_to_tensor(labels, name="labels"), logits_t.dtype)
        if axis not in (-1, (logits_t.shape.ndims or 0) - 1):
            raise NotImplementedError("softmax_cross_entropy_with_logits: axis must be the last")
        input_rank = _rank(logits_t)
        input_shape = g.shape(logits_t)
        flat_logits = _flatten_outer_dims(logits_t)
        flat_labels = _flatten_outer_dims(labels_t)
        cost = g.op(
            "SoftmaxCrossEntropyWithLogits",
            {"features": flat_logits, "labels": flat_labels},
            None,
            scope,
        )
        size = [g.binary("Sub", input_rank, 1, "Sub")]
        output_shape = g.op("Slice", {"input": input_shape, "begin": [0], "size": size})
        cost = g.reshape(cost, output_shape)
        if logits_t.shape.ndims is not None:
            cost.set_shape(TensorShape(logits_t.shape.as_list()[:-1]))
        return cost


def sparse_softmax_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """Softmax cross-entropy per row against integer class labels.

    Raises:
        ValueError: TF's messages for scalar logits or mismatched ranks/shapes.
        NotImplementedError: for logits of rank other than 2.
    """
    if _sentinel is not None:
        raise ValueError(
            "Only call `sparse_softmax_cross_entropy_with_logits` with named arguments "
            "(labels=..., logits=..., ...)."
        )
    graph = get_default_graph()
    with graph.name_scope(name or "SparseSoftmaxCrossEntropyWithLogits"):
        labels_t = convert_to_tensor(labels)
        logits_t = convert_to_tensor(logits)
        _check_sparse_shapes(labels_t, logits_t)
        g.shape(labels_t)  # TF computes the labels' shape for ranks above 2
        if logits_t.shape.ndims != 2:
            raise NotImplementedError(
                "sparse_softmax_cross_entropy_with_logits: only rank-2 logits are supported"
            )
        return g.op(
            "SparseSoftmaxCrossEntropyWithLogits",
            {"features": logits_t, "labels": labels_t},
        )


def _check_sparse_shapes(labels: Tensor, logits: Tensor) -> None:
    if logits.shape.ndims == 0:
        raise ValueError(f"`logits` cannot be a scalar. Received logits={logits}`")
    if (
        logits.shape.ndims is not None
        and labels.shape.ndims is not None
        and labels.shape.ndims != logits.shape.ndims - 1
    ):
        raise ValueError(
            "`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
            f"labels.shape={labels.shape} of rank {labels.shape.ndims} and "
            f"logits.shape={logits.shape} of rank {logits.shape.ndims}"
        )
