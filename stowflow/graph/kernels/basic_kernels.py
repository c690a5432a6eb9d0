"""Kernels of structural ops: Const, NoOp, PlaceholderWithDefault."""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.errors import InvalidArgumentError
from stowflow.graph.kernels.registry import register_kernel


@register_kernel("Const")
def _const(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    return [np.asarray(attrs["value"])]


@register_kernel("NoOp")
def _no_op(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    return []


@register_kernel("PlaceholderWithDefault")
def _placeholder_with_default(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    return [inputs[0]]


@register_kernel("Where")
def _where(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    # Coordinates of true (non-zero) elements, int64 [num_true, rank], row-major order.
    return [np.argwhere(np.asarray(inputs[0])).astype(np.int64)]


@register_kernel("SparseToDense")
def _sparse_to_dense(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    indices, shape, values, default = (np.asarray(v) for v in inputs)
    shape = shape.reshape(-1)
    coords = indices.reshape(-1, 1) if indices.ndim <= 1 else indices
    if indices.ndim == 0:
        coords = indices.reshape(1, 1)
    count = coords.shape[0]
    if values.ndim == 0:
        values = np.full(count, values, dtype=values.dtype)
    if values.shape[0] != count:
        raise InvalidArgumentError(
            None,
            None,
            f"sparse_values has incorrect shape {list(values.shape)}, should be [] or [{count}]",
        )
    if count and ((coords < 0).any() or (coords >= shape[: coords.shape[1]]).any()):
        bad = int(np.argmax(((coords < 0) | (coords >= shape[: coords.shape[1]])).any(axis=1)))
        raise InvalidArgumentError(
            None,
            None,
            f"indices[{bad}] = [{', '.join(str(int(c)) for c in coords[bad])}] is "
            f"out of bounds: need 0 <= index < [{', '.join(str(int(s)) for s in shape)}]",
        )
    out = np.full(
        tuple(int(s) for s in shape),
        default.item() if default.dtype != object else default.reshape(-1)[0],
        dtype=values.dtype,
    )
    if count:
        out[tuple(coords.T)] = values
    return [out]
