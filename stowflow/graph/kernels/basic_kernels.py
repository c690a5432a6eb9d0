"""Kernels of structural ops: Const, NoOp, PlaceholderWithDefault."""

from __future__ import annotations

from typing import Any

import numpy as np

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
