"""Gradients of the segment reductions embedding lookups build (TF's ``math_grad.py``).

``SparseSegmentSum``/``Mean``/``SqrtN`` (w.r.t. ``data``) and ``SegmentSum``; loaded with
``math_grad``.

The sparse-segment gradients are composed from ``UnsortedSegmentSum`` as TF's pre-2021 graph
did (same values as its ``SparseSegment*Grad`` kernels): each segment's gradient row,
scaled by ``1/n`` (mean) or ``1/sqrt(n)`` (sqrtn) for a segment of ``n`` rows, is summed
into the data rows it read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph.builder import apply_op_outputs
from stowflow.graph.core import Operation, Tensor
from stowflow.graph.gradients import register_gradient
from stowflow.graph.indexed_slices import IndexedSlices


def _dim0(t: Tensor) -> Tensor:
    return g.op(
        "StridedSlice",
        {
            "input": g.shape(t),
            "begin": g.const(np.array([0], np.int32)),
            "end": g.const(np.array([1], np.int32)),
            "strides": g.const(np.array([1], np.int32)),
        },
        {"shrink_axis_mask": 1},
        "strided_slice",
    )


def _sparse_segment_grad(op: Operation, grad: Tensor, scale: str | None) -> Any:
    data, indices, segment_ids = op.inputs[0], op.inputs[1], op.inputs[2]
    rows = g.op(
        "GatherV2",
        {"params": grad, "indices": segment_ids, "axis": g.const(np.array(0, np.int32))},
        None,
        "GatherV2",
    )
    if scale is not None:
        dtype = grad.dtype.base_dtype
        ones = g.cast(g.ones_like(segment_ids), dtype)
        counts = g.op(
            "UnsortedSegmentSum",
            {"data": ones, "segment_ids": segment_ids, "num_segments": _dim0(grad)},
            None,
        )
        counts = g.binary("Maximum", counts, np.array(1, dtype.as_numpy_dtype), "Maximum")
        if scale == "sqrtn":
            counts = g.unary("Sqrt", counts)
        per_row = g.op(
            "GatherV2",
            {"params": counts, "indices": segment_ids, "axis": g.const(np.array(0, np.int32))},
            None,
            "GatherV2",
        )
        rank = grad.shape.ndims or 1
        per_row = g.reshape(per_row, np.array([-1] + [1] * (rank - 1), np.int32))
        rows = g.binary("RealDiv", rows, per_row, "truediv")
    if op.get_attr("sparse_gradient"):
        # TF's _SparseSegmentReduceGradV2: one summed row per distinct index.
        unique_indices, position = _outputs("Unique", {"x": indices}, {"out_idx": dtypes.int32})
        values = g.op(
            "UnsortedSegmentSum",
            {"data": rows, "segment_ids": position, "num_segments": g.size(unique_indices)},
            None,
        )
        return IndexedSlices(values, unique_indices, g.shape(data)), None, None
    data_grad = g.op(
        "UnsortedSegmentSum",
        {"data": rows, "segment_ids": indices, "num_segments": _dim0(data)},
        None,
    )
    return data_grad, None, None


@register_gradient("SparseSegmentSum")
def _sparse_segment_sum_grad(op: Operation, grad: Tensor) -> Any:
    return _sparse_segment_grad(op, grad, None)


@register_gradient("SparseSegmentMean")
def _sparse_segment_mean_grad(op: Operation, grad: Tensor) -> Any:
    return _sparse_segment_grad(op, grad, "mean")


@register_gradient("SparseSegmentSqrtN")
def _sparse_segment_sqrtn_grad(op: Operation, grad: Tensor) -> Any:
    return _sparse_segment_grad(op, grad, "sqrtn")


@register_gradient("SegmentSum")
def _segment_sum_grad(op: Operation, grad: Tensor) -> Any:
    segment_ids = op.inputs[1]
    rows = g.op(
        "GatherV2",
        {"params": grad, "indices": segment_ids, "axis": g.const(np.array(0, np.int32))},
        None,
        "GatherV2",
    )
    return rows, None


def _outputs(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any] | None) -> list[Tensor]:
    return apply_op_outputs(op_type, inputs, attrs, name=op_type)
