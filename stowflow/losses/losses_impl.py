"""TF1 loss functions (``tf.losses.*``): per-element losses, then ``compute_weighted_loss``.

Each opens TF's name scope, casts its inputs as TF does, builds TF's element-wise loss and
hands it to :func:`compute_weighted_loss` in the same scope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph import xent_ops
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.graph.weights_broadcast_ops import assert_broadcastable
from stowflow.losses.reduction import (
    Reduction,
    cast_float,
    compute_weighted_loss,
    num_present,
    sum_all,
    sum_per_example,
)
from stowflow.losses.util import add_loss

_DEFAULT = Reduction.SUM_BY_NONZERO_WEIGHTS


def _require(**args: Any) -> None:
    for name, value in args.items():
        if value is None:
            raise ValueError(f"Argument `{name}` must not be None.")


def _compatible(a: Tensor, b: Tensor) -> None:
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"Shapes {a.shape} and {b.shape} are incompatible")


def _float_pair(first: Any, second: Any) -> tuple[Tensor, Tensor]:
    """``cast(first, float32), cast(second, float32)`` with a static shape check."""
    a = g.cast(convert_to_tensor(first), dtypes.float32)
    b = g.cast(convert_to_tensor(second), dtypes.float32)
    _compatible(a, b)
    return a, b


def _pairwise_loss(
    default_name: str,
    elementwise: Callable[[Tensor, Tensor], Tensor],
    labels: Any,
    predictions: Any,
    weights: Any,
    scope: str | None,
    loss_collection: str | None,
    reduction: str,
) -> Tensor:
    """The common shape of the regression losses (TF casts predictions first)."""
    _require(labels=labels, predictions=predictions)
    with get_default_graph().name_scope(scope or default_name) as name:
        predictions_t, labels_t = _float_pair(predictions, labels)
        losses = elementwise(predictions_t, labels_t)
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def absolute_difference(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = _DEFAULT,
) -> Tensor:
    """``tf.losses.absolute_difference``: weighted ``|predictions - labels|``.

    Raises:
        ValueError: for None inputs, incompatible shapes or weights.
    """
    return _pairwise_loss(
        "absolute_difference",
        lambda p, lab: g.unary("Abs", g.binary("Sub", p, lab, "Sub")),
        labels, predictions, weights, scope, loss_collection, reduction,
    )  # fmt: skip


def mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = _DEFAULT,
) -> Tensor:
    """``tf.losses.mean_squared_error``: weighted ``(predictions - labels)**2``.

    Raises:
        ValueError: for None inputs, incompatible shapes or weights.
    """
    return _pairwise_loss(
        "mean_squared_error",
        lambda p, lab: g.op("SquaredDifference", {"x": p, "y": lab}),
        labels, predictions, weights, scope, loss_collection, reduction,
    )  # fmt: skip


def huber_loss(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    delta: float = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = _DEFAULT,
) -> Tensor:
    """``tf.losses.huber_loss``: quadratic within ``delta`` of the label, linear beyond.

    Raises:
        ValueError: for None inputs, incompatible shapes or weights.
    """

    def huber(p: Tensor, lab: Tensor) -> Tensor:
        abs_error = g.unary("Abs", g.binary("Sub", p, lab, "Sub"))
        quadratic = g.binary("Minimum", abs_error, delta, "Minimum")
        linear = g.binary("Sub", abs_error, quadratic, "Sub")
        half = g.const(0.5, dtype=quadratic.dtype.base_dtype)
        squared = g.mul(half, g.mul(quadratic, quadratic))
        return g.op("AddV2", {"x": squared, "y": g.mul(delta, linear)}, None, "Add")

    return _pairwise_loss(
        "huber_loss", huber, labels, predictions, weights, scope, loss_collection, reduction
    )


def log_loss(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    epsilon: float = 1e-7,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = _DEFAULT,
) -> Tensor:
    """``tf.losses.log_loss``: ``-z log(p + eps) - (1 - z) log(1 - p + eps)``.

    Raises:
        ValueError: for None inputs, incompatible shapes or weights.
    """

    def logistic(p: Tensor, lab: Tensor) -> Tensor:
        log_p = g.unary("Log", g.binary("AddV2", p, epsilon, "add"))
        positive = g.neg(g.mul(lab, log_p))
        one_minus_z = g.binary("Sub", 1.0, lab, "sub")
        log_q = g.unary("Log", g.binary("AddV2", g.binary("Sub", 1.0, p, "sub"), epsilon, "add"))
        return g.binary("Sub", positive, g.mul(one_minus_z, log_q), "sub")

    return _pairwise_loss(
        "log_loss", logistic, labels, predictions, weights, scope, loss_collection, reduction
    )


def hinge_loss(
    labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = _DEFAULT,
) -> Tensor:
    """``tf.losses.hinge_loss``: ``relu(1 - (2z - 1) * logits)`` for 0/1 labels ``z``.

    Raises:
        ValueError: for None inputs, incompatible shapes or weights.
    """
    _require(labels=labels, logits=logits)
    with get_default_graph().name_scope(scope or "hinge_loss") as name:
        logits_t, labels_t = _float_pair(logits, labels)
        all_ones = g.ones_like(labels_t)
        signs = g.binary("Sub", g.binary("Mul", 2.0, labels_t, "mul"), all_ones, "Sub")
        margin = g.binary("Sub", all_ones, g.mul(signs, logits_t), "Sub")
        losses = g.op("Relu", {"features": margin})
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def cosine_distance(
    labels: Any,
    predictions: Any,
    axis: int | None = None,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = _DEFAULT,
    dim: int | None = None,
) -> Tensor:
    """``tf.losses.cosine_distance``: ``1 - sum(labels * predictions, axis)`` (unit vectors).

    Raises:
        ValueError: without ``axis``, for None inputs, incompatible shapes or weights.
    """
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("You must specify argument `axis`.")
    _require(labels=labels, predictions=predictions)
    with get_default_graph().name_scope(scope or "cosine_distance_loss") as name:
        predictions_t, labels_t = _float_pair(predictions, labels)
        radial = g.mul(predictions_t, labels_t)
        summed = g.reduce_sum(radial, [axis], keepdims=True)
        losses = g.binary("Sub", 1.0, summed, "sub")
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def sigmoid_cross_entropy(
    multi_class_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = _DEFAULT,
) -> Tensor:
    """``tf.losses.sigmoid_cross_entropy``: weighted logistic loss; labels smoothed
    towards 1/2 by ``label_smoothing``.

    Raises:
        ValueError: for None inputs, incompatible shapes or weights.
    """
    _require(multi_class_labels=multi_class_labels, logits=logits)
    with get_default_graph().name_scope(scope or "sigmoid_cross_entropy_loss") as name:
        logits_t = convert_to_tensor(logits)
        labels_t = g.cast(convert_to_tensor(multi_class_labels), logits_t.dtype.base_dtype)
        _compatible(logits_t, labels_t)
        if label_smoothing > 0:
            scaled = g.binary("Mul", labels_t, 1 - label_smoothing, "mul")
            labels_t = g.binary("AddV2", scaled, 0.5 * label_smoothing, "add")
        losses = xent_ops.sigmoid_cross_entropy_with_logits(
            labels=labels_t, logits=logits_t, name="xentropy"
        )
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def softmax_cross_entropy(
    onehot_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = _DEFAULT,
) -> Tensor:
    """``tf.losses.softmax_cross_entropy``: weighted softmax cross-entropy per example;
    labels smoothed towards uniform by ``label_smoothing``; no gradient into labels.

    Raises:
        ValueError: for None inputs, incompatible shapes or weights.
    """
    _require(onehot_labels=onehot_labels, logits=logits)
    with get_default_graph().name_scope(scope or "softmax_cross_entropy_loss") as name:
        logits_t = convert_to_tensor(logits)
        labels_t = g.cast(convert_to_tensor(onehot_labels), logits_t.dtype.base_dtype)
        _compatible(logits_t, labels_t)
        if label_smoothing > 0:
            labels_t = _smooth_onehot(labels_t, label_smoothing)
        labels_t = g.op("StopGradient", {"input": labels_t}, None, "labels_stop_gradient")
        losses = xent_ops.softmax_cross_entropy_with_logits_v2(
            labels=labels_t, logits=logits_t, name="xentropy"
        )
        return compute_weighted_loss(losses, weights, name, loss_collection, reduction)


def _smooth_onehot(labels: Tensor, smoothing: float) -> Tensor:
    """``labels * (1 - s) + s / num_classes`` with ``num_classes = shape(labels)[-1]``."""
    from stowflow.graph.array_ops import strided_slice_from_key

    num_classes = g.cast(strided_slice_from_key(g.shape(labels), -1), labels.dtype.base_dtype)
    negatives = g.binary("RealDiv", smoothing, num_classes, "truediv")
    scaled = g.binary("Mul", labels, 1.0 - smoothing, "mul")
    return g.binary("AddV2", scaled, negatives, "add")


def sparse_softmax_cross_entropy(
    labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = _DEFAULT,
) -> Tensor:
    """``tf.losses.sparse_softmax_cross_entropy``: weighted softmax cross-entropy against
    integer class ids (a trailing size-1 label dimension is squeezed).

    Raises:
        ValueError: for None inputs, incompatible shapes or weights.
    """
    _require(labels=labels, logits=logits)
    with get_default_graph().name_scope(scope or "sparse_softmax_cross_entropy_loss") as name:
        labels_t, logits_t, weights_t = _squeeze_sparse(
            convert_to_tensor(labels), convert_to_tensor(logits), weights
        )
        losses = xent_ops.sparse_softmax_cross_entropy_with_logits(
            labels=labels_t, logits=logits_t, name="xentropy"
        )
        return compute_weighted_loss(losses, weights_t, name, loss_collection, reduction)


def _squeeze_sparse(labels: Tensor, logits: Tensor, weights: Any) -> tuple[Tensor, Tensor, Any]:
    """TF's ``losses_impl._remove_squeezable_dimensions(..., expected_rank_diff=1)`` for
    static ranks (unknown ranks are left as they are)."""
    with get_default_graph().name_scope("remove_squeezable_dimensions"):
        l_rank, p_rank = labels.shape.ndims, logits.shape.ndims
        if l_rank is not None and p_rank is not None:
            if p_rank - l_rank == 2 and _last_may_be_one(logits):
                logits = _squeeze_last(logits)
            elif p_rank - l_rank == 0 and _last_may_be_one(labels):
                labels = _squeeze_last(labels)
    if weights is None:
        return labels, logits, None
    weights_t = convert_to_tensor(weights)
    w_rank, l_rank = weights_t.shape.ndims, labels.shape.ndims
    if w_rank is not None and l_rank is not None and w_rank - l_rank == 1:
        weights_t = _squeeze_last(weights_t)
    return labels, logits, weights_t


def _last_may_be_one(t: Tensor) -> bool:
    last = t.shape.as_list()[-1]
    return last is None or last == 1


def _squeeze_last(t: Tensor) -> Tensor:
    return g.op("Squeeze", {"input": t}, {"squeeze_dims": [-1]})


def mean_pairwise_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
) -> Tensor:
    """``tf.losses.mean_pairwise_squared_error``: the weighted mean, per example, of the
    squared differences between every pair of (prediction - label) entries.

    Raises:
        ValueError: for None inputs, incompatible shapes or weights.
    """
    _require(labels=labels, predictions=predictions)
    with get_default_graph().name_scope(scope or "mean_pairwise_squared_error"):
        weights_f = cast_float(weights)
        labels_f = g.cast(convert_to_tensor(labels), dtypes.float32)
        check = assert_broadcastable(weights_f, labels_f)
        with g.control_dependencies([check] if check is not None else []):
            predictions_f = g.cast(convert_to_tensor(predictions), dtypes.float32)
            _compatible(predictions_f, labels_f)
            diffs = g.binary("Sub", predictions_f, labels_f, "Sub")
            axis = g.range_(1, g.rank(diffs))
            sum_squares = sum_per_example(g.unary("Square", diffs), axis)
            present = num_present(diffs, weights_f, per_batch=True)
            pairs = g.binary("Maximum", g.binary("Sub", present, 1.0, "sub"), 0.0, "Maximum")
            term1 = g.binary(
                "Mul", 2.0, g.op("DivNoNan", {"x": sum_squares, "y": pairs}, None, "value"), "mul"
            )
            sum_diff = sum_per_example(diffs, axis)
            squared_sum = g.unary("Square", sum_diff)
            ordered = g.mul(present, g.binary("Sub", present, 1.0, "sub"))
            ordered = g.binary("Maximum", ordered, 0.0, "Maximum")
            term2 = g.binary(
                "Mul", 2.0, g.op("DivNoNan", {"x": squared_sum, "y": ordered}, None, "value"), "mul"
            )
            weighted = g.mul(g.binary("Sub", term1, term2, "sub"), weights_f)
            loss = sum_all(weighted)
            any_present = g.binary("Greater", sum_all(present), 0.0, "Greater")
            zeros = g.zeros_like_opt(loss)
            mean_loss = g.op(
                "Select", {"condition": any_present, "t": loss, "e": zeros}, None, "value"
            )
            add_loss(mean_loss, loss_collection)
            return mean_loss
