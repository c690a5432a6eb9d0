"""``tf.nn`` cross-entropies: softmax (v1 and v2), sparse softmax, sigmoid and weighted.

All build TF's nodes: the dense softmax form flattens logits and labels to 2-D
(``Rank``/``Shape``/``Slice``/``concat``/``Reshape``) around one
``SoftmaxCrossEntropyWithLogits`` op named after the scope, then reshapes the cost back;
the v1 form first stops gradients into the labels. The sparse form on rank-2 logits is one
``SparseSoftmaxCrossEntropyWithLogits`` op. The sigmoid and weighted forms are TF's
numerically stable compositions of element-wise ops (their gradients come from those ops).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import _deprecation, dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph.array_ops import strided_slice_from_key
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
    labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """Softmax cross-entropy per example against integer class labels.

    Logits of rank above 2 are flattened to ``[-1, num_classes]`` and the cost reshaped
    to the labels' shape, as TF does (TF also asserts at run time that dynamic label and
    logit shapes agree; stowflow checks them statically only).

    Raises:
        ValueError: TF's messages for missing inputs, scalar logits or mismatched
            ranks/shapes.
    """
    _ensure_xent_args("sparse_softmax_cross_entropy_with_logits", labels, logits)
    graph = get_default_graph()
    with graph.name_scope(name or "SparseSoftmaxCrossEntropyWithLogits"):
        labels_t = convert_to_tensor(labels)
        logits_t = convert_to_tensor(logits)
        labels_shape = g.shape(labels_t)
        _check_sparse_shapes(labels_t, logits_t)
        op_name = name or "SparseSoftmaxCrossEntropyWithLogits"  # TF names the op like its scope
        if logits_t.shape.ndims == 2:
            return _sparse_xent_op(logits_t, labels_t, op_name)
        if not _static_sparse_shapes(labels_t, logits_t):
            # TF asserts shape(labels) == shape(logits)[:-1] at run time; its operands:
            g.op("Shape", {"input": labels_t}, {"out_type": dtypes.int32})
            strided_slice_from_key(g.shape(logits_t), slice(None, -1))
        num_classes = _last_dim(logits_t)
        flat_logits = g.reshape(logits_t, g.pack([-1, num_classes], name="Reshape/shape"))
        flat_logits.set_shape(_flat_shape(logits_t))
        flat_labels = g.reshape(labels_t, [-1])
        cost = g.reshape(_sparse_xent_op(flat_logits, flat_labels, op_name), labels_shape)
        cost.set_shape(labels_t.shape)
        return cost


def _static_sparse_shapes(labels: Tensor, logits: Tensor) -> bool:
    """TF's ``static_shapes_fully_defined``: labels and logits' outer dims fully known."""
    outer = logits.shape.as_list()[:-1] if logits.shape.ndims is not None else [None]
    return labels.shape.is_fully_defined() and None not in outer


def _flat_shape(logits: Tensor) -> TensorShape:
    """The static shape of ``reshape(logits, [-1, num_classes])`` as TF infers it."""
    if logits.shape.ndims is None:
        return TensorShape([None, None])
    dims = logits.shape.as_list()
    outer = None if None in dims[:-1] else int(np.prod(dims[:-1], dtype=np.int64))
    return TensorShape([outer, dims[-1]])


def _sparse_xent_op(logits: Tensor, labels: Tensor, name: str) -> Tensor:
    return g.op(
        "SparseSoftmaxCrossEntropyWithLogits", {"features": logits, "labels": labels}, None, name
    )


def _last_dim(t: Tensor) -> Tensor:
    """``array_ops.shape(t)[array_ops.rank(t) - 1]`` (a tensor index: begin ``i``, end
    ``i + 1``, both packed)."""
    shape = g.shape(t)
    index = g.binary("Sub", g.rank(t), 1, "sub")
    end = g.binary("AddV2", index, 1, "add")
    graph = get_default_graph()
    with graph.name_scope("strided_slice") as scope:
        begin_t = g.op("Pack", {"values": [index]}, {"axis": 0}, "stack")
        end_t = g.op("Pack", {"values": [end]}, {"axis": 0}, "stack_1")
        strides = g.const(np.array([1], np.int32), name="stack_2")
        return g.op(
            "StridedSlice",
            {"input": shape, "begin": begin_t, "end": end_t, "strides": strides},
            {"shrink_axis_mask": 1, "begin_mask": 0, "end_mask": 0, "ellipsis_mask": 0,
             "new_axis_mask": 0},
            scope,
        )  # fmt: skip


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
    labels_dims = labels.shape.as_list() if labels.shape.ndims is not None else None
    outer = logits.shape.as_list()[:-1] if logits.shape.ndims is not None else None
    known = labels_dims is not None and outer is not None
    if known and None not in labels_dims + outer and labels_dims != outer:  # type: ignore[operator]
        raise ValueError(
            "`labels.shape` must equal `logits.shape` except for the last dimension. "
            f"Received: labels.shape={labels.shape} and logits.shape={logits.shape}"
        )


_XENT_DEPRECATION = """
Future major versions of TensorFlow will allow gradients to flow
into the labels input on backprop by default.

See `tf.nn.softmax_cross_entropy_with_logits_v2`.
"""


def _ensure_xent_args(func: str, labels: Any, logits: Any) -> None:
    """TF's ``_ensure_xent_args``.

    Raises:
        ValueError: TF's message, for a missing ``labels`` or ``logits``.
    """
    if labels is None or logits is None:
        raise ValueError(
            f"Both `labels` and `logits` must be provided for {func}"
            f"Received: labels={labels} and logits={logits}"
        )


def softmax_cross_entropy_with_logits(
    labels: Any = None,
    logits: Any = None,
    dim: int = -1,
    name: str | None = None,
    axis: int | None = None,
) -> Tensor:
    """TF1 ``tf.nn.softmax_cross_entropy_with_logits``: no gradient flows into ``labels``.

    The labels pass through ``<scope>/labels_stop_gradient`` (scope
    ``softmax_cross_entropy_with_logits_sg``), then the v2 op is built in the same scope.

    Raises:
        ValueError: for a missing ``labels``/``logits``.
        NotImplementedError: for an ``axis`` other than the last.
    """
    _deprecation.warn(
        "softmax_cross_entropy_with_logits", "tensorflow.python.ops.nn_ops", _XENT_DEPRECATION
    )
    _ensure_xent_args("softmax_cross_entropy_with_logits", labels, logits)
    axis = dim if axis is None else axis
    graph = get_default_graph()
    with graph.name_scope(name or "softmax_cross_entropy_with_logits_sg") as scope:
        labels_t = g.op("StopGradient", {"input": labels}, None, "labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(
        labels=labels_t, logits=logits, axis=axis, name=scope
    )


def _same_shape(labels: Tensor, logits: Tensor) -> None:
    if not labels.shape.is_compatible_with(logits.shape):
        raise ValueError(
            "`logits` and `labels` must have the same shape, received "
            f"({logits.shape} vs {labels.shape})."
        )


def sigmoid_cross_entropy_with_logits(
    labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """``tf.nn.sigmoid_cross_entropy_with_logits``: per-element logistic loss.

    Computed as ``max(x, 0) - x * z + log1p(exp(-|x|))`` (TF's stable form), in scope
    ``logistic_loss``.

    Raises:
        ValueError: for missing or differently shaped inputs.

    Example:
        >>> # sigmoid_cross_entropy_with_logits(labels=[1.0], logits=[0.0]) -> [log(2)]
    """
    _ensure_xent_args("sigmoid_cross_entropy_with_logits", labels, logits)
    graph = get_default_graph()
    with graph.name_scope(name or "logistic_loss") as scope:
        logits_t = convert_to_tensor(logits, name="logits")
        labels_t = convert_to_tensor(labels, name="labels")
        _same_shape(labels_t, logits_t)
        zeros = g.zeros_like_opt(logits_t)
        cond = g.op("GreaterEqual", {"x": logits_t, "y": zeros})
        relu_logits = g.op("Select", {"condition": cond, "t": logits_t, "e": zeros})
        neg_abs = g.op("Select", {"condition": cond, "t": g.neg(logits_t), "e": logits_t})
        linear = g.binary("Sub", relu_logits, g.binary("Mul", logits_t, labels_t, "mul"), "sub")
        softplus = g.unary("Log1p", g.unary("Exp", neg_abs))
        return g.op("AddV2", {"x": linear, "y": softplus}, None, scope)


def weighted_cross_entropy_with_logits(
    labels: Any = None,
    logits: Any = None,
    pos_weight: Any = None,
    name: str | None = None,
    targets: Any = None,
) -> Tensor:
    """``tf.nn.weighted_cross_entropy_with_logits``: logistic loss with positives weighted.

    ``(1 - z) * x + (1 + (q - 1) * z) * (log1p(exp(-|x|)) + relu(-x))`` in scope
    ``logistic_loss`` (``targets`` is TF1's deprecated name for ``labels``).

    Raises:
        ValueError: for differently shaped labels and logits.
    """
    labels = targets if labels is None else labels
    graph = get_default_graph()
    with graph.name_scope(name or "logistic_loss") as scope:
        logits_t = convert_to_tensor(logits, name="logits")
        labels_t = convert_to_tensor(labels, name="labels")
        _same_shape(labels_t, logits_t)
        if isinstance(pos_weight, Tensor):
            scale: Any = g.binary("Sub", pos_weight, 1, "sub")
        else:
            scale = pos_weight - 1
        log_weight = g.binary("AddV2", 1, g.binary("Mul", scale, labels_t, "mul"), "add")
        linear = g.binary("Mul", g.binary("Sub", 1, labels_t, "sub"), logits_t, "mul")
        softplus = g.unary("Log1p", g.unary("Exp", g.neg(g.unary("Abs", logits_t))))
        relu_neg = g.op("Relu", {"features": g.neg(logits_t)})
        tail = g.binary("Mul", log_weight, g.binary("AddV2", softplus, relu_neg, "add"), "mul")
        return g.op("AddV2", {"x": linear, "y": tail}, None, scope)
