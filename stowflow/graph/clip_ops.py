"""``tf.clip_by_norm``, ``tf.global_norm`` and ``tf.clip_by_global_norm``, as TF builds them.

Node for node TF's ``clip_ops`` graphs (``clip_by_norm/Sum``, ``global_norm/L2Loss``,
``clip_by_global_norm/clip_by_global_norm/_0``); IndexedSlices gradients are clipped on
their values and keep their indices.

Example:
    >>> # clipped, norm = clip_by_global_norm([g1, g2], 5.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from stowflow.graph import grad_ops as g
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.graph.indexed_slices import IndexedSlices


def _values(t: Any, name: str) -> Tensor:
    return convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t, name=name)


def _all_axes(t: Tensor) -> Tensor:
    """``math_ops._ReductionDims(t, None)``: a Const of every axis, or Range(Rank)."""
    if t.shape.ndims:
        return g.const(np.arange(t.shape.ndims, dtype=np.int32))
    return g.range_(0, g.rank(t))


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: str | None = None) -> Any:
    """Scales ``t`` so that its L2 norm (over ``axes``) is at most ``clip_norm``.

    Raises:
        ValueError: when ``clip_norm`` would broadcast ``t`` to another shape.
    """
    graph = get_default_graph()
    with graph.name_scope(name or "clip_by_norm") as scope:
        values = _values(t, "t")
        if np.isscalar(clip_norm):
            norm_limit: Any = max(float(clip_norm), 0.0)
        else:
            limit_t = g.binary("Maximum", convert_to_tensor(clip_norm), 0, "Maximum")
            norm_limit = g.cast(limit_t, values.dtype)
        squares = g.mul(values, values, name="mul")
        reduce_axes = _all_axes(values) if axes is None else axes
        l2sum = g.reduce_sum(squares, reduce_axes, keepdims=True)
        pred = g.binary("Greater", l2sum, 0, "Greater")
        safe = g.op("Select", {"condition": pred, "t": l2sum, "e": g.ones_like(l2sum)})
        l2norm = g.op("Select", {"condition": pred, "t": g.unary("Sqrt", safe), "e": l2sum})
        intermediate = g.mul(values, norm_limit, name="mul_1")
        if not values.shape.is_compatible_with(intermediate.shape):
            raise ValueError(f"Shapes {values.shape} and {intermediate.shape} are incompatible")
        denominator = g.binary("Maximum", l2norm, norm_limit, "Maximum")
        ratio = g.binary("RealDiv", intermediate, denominator, "truediv")
        clipped = g.identity(ratio, scope)
    if isinstance(t, IndexedSlices):
        return IndexedSlices(clipped, t.indices, t.dense_shape)
    return clipped


def _check_list(t_list: Any) -> list[Any]:
    if not isinstance(t_list, Sequence) or isinstance(t_list, str):
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {type(t_list)}.")
    return list(t_list)


def global_norm(t_list: Any, name: str | None = None) -> Tensor:
    """``sqrt(sum(l2norm(t)**2 for t in t_list))`` (``tf.global_norm``).

    Raises:
        TypeError: TF's message when ``t_list`` is not a sequence.
    """
    items = _check_list(t_list)
    graph = get_default_graph()
    with graph.name_scope(name or "global_norm") as scope:
        values = [None if t is None else _values(t, f"t_{i}") for i, t in enumerate(items)]
        halves = []
        for v in values:
            if v is not None:
                with graph.colocate_with(v.op):
                    halves.append(g.op("L2Loss", {"t": v}))
        stacked = g.op("Pack", {"values": halves}, {"axis": 0}, "stack")
        half_norm = g.reduce_sum(stacked, _all_axes(stacked), keepdims=False)
        two = g.const(np.array(2.0, half_norm.dtype.base_dtype.as_numpy_dtype))
        del scope
        return g.unary("Sqrt", g.mul(half_norm, two, name="mul"), "global_norm")


def clip_by_global_norm(
    t_list: Any, clip_norm: Any, use_norm: Any = None, name: str | None = None
) -> tuple[list[Any], Tensor]:
    """Scales every tensor of ``t_list`` by ``clip_norm / max(global_norm, clip_norm)``.

    Returns:
        The clipped list (None entries stay None) and the global norm.

    Raises:
        TypeError: TF's message when ``t_list`` is not a sequence.
    """
    items = _check_list(t_list)
    norm = global_norm(items, name) if use_norm is None else convert_to_tensor(use_norm)
    graph = get_default_graph()
    with graph.name_scope(name or "clip_by_global_norm") as scope:
        inverse = g.binary("RealDiv", 1.0, norm, "truediv")
        one = g.const(np.array(1.0, norm.dtype.base_dtype.as_numpy_dtype))
        limit_ratio = g.binary("RealDiv", one, clip_norm, "truediv_1")
        smaller = g.binary("Minimum", inverse, limit_ratio, "Minimum")
        finite = g.binary("Mul", clip_norm, smaller, "mul")
        scale = g.binary("AddV2", finite, g.binary("Sub", norm, norm, "sub"), "add")
        values = [None if t is None else _values(t, f"t_{i}") for i, t in enumerate(items)]
        clipped: list[Any] = []
        for i, v in enumerate(values):
            if v is None:
                clipped.append(None)
                continue
            with graph.colocate_with(v.op):
                scaled = g.mul(v, g.cast(scale, v.dtype), name="mul")
                clipped.append(g.identity(scaled, f"{scope}_{i}"))
    out = [
        IndexedSlices(c, t.indices, t.dense_shape) if isinstance(t, IndexedSlices) else c
        for c, t in zip(clipped, items, strict=True)
    ]
    return out, norm
