"""Helpers shared by the layers: static-or-graph conditionals, data formats, conv arithmetic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.graph.core import Tensor

_DATA_FORMATS = {"channels_last": "channels_last", "channels_first": "channels_first"}


def constant_value(pred: Any) -> bool | None:
    """A predicate's static value: Python bools/ints, a ``Const`` tensor; else None."""
    if isinstance(pred, bool | int):
        return bool(pred)
    if isinstance(pred, Tensor) and pred.op.type == "Const":
        value = pred.op.get_attr("value")  # attrs arrive decoded: an ndarray
        return bool(np.asarray(value))
    if hasattr(pred, "dtype") and not isinstance(pred, Tensor):
        return bool(pred)
    return None


def smart_cond(
    pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any], name: str | None = None
) -> Any:
    """``true_fn()`` or ``false_fn()`` when ``pred`` is static, else a TF1 ``cond`` graph
    (TF's ``smart_cond``).

    Raises:
        TypeError: for a predicate that is neither a bool nor a bool tensor.
    """
    value = constant_value(pred)
    if value is not None:
        return true_fn() if value else false_fn()
    if not isinstance(pred, Tensor):
        raise TypeError(f"`pred` must be a Tensor, or a Python bool, or 1 or 0. Found: {pred!r}")
    from stowflow.graph import control_flow_ops

    return control_flow_ops.cond(pred, true_fn, false_fn, name=name)


def normalize_data_format(value: str | None) -> str:
    """``channels_last`` / ``channels_first`` (default last).

    Raises:
        ValueError: for another value (TF's message).
    """
    data_format = (value or "channels_last").lower()
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            'The `data_format` argument must be one of "channels_first", "channels_last". '
            f"Received: {value}"
        )
    return data_format


def normalize_padding(value: str) -> str:
    """``valid`` / ``same`` (``causal`` is not built).

    Raises:
        ValueError: for another value (TF's message).
    """
    padding = value.lower()
    if padding not in ("valid", "same"):
        raise ValueError(
            'The `padding` argument must be a list/tuple or one of "valid", "same" (or '
            f'"causal", only for `Conv1D). Received: {value}'
        )
    return padding


def conv_output_length(
    length: int | None, filter_size: int, padding: str, stride: int, dilation: int = 1
) -> int | None:
    """Output length of a convolution/pool along one axis (Keras' ``conv_output_length``)."""
    if length is None:
        return None
    dilated = filter_size + (filter_size - 1) * (dilation - 1)
    out = length - dilated + 1 if padding == "valid" else length
    return (out + stride - 1) // stride


def deconv_output_length(
    length: Any, filter_size: int, padding: str, stride: int, dilation: int = 1
) -> Any:
    """Output length of a transposed convolution (Keras' ``deconv_output_length``, no
    output padding); ``length`` may be an int or a scalar tensor."""
    if length is None:
        return None
    dilated = filter_size + (filter_size - 1) * (dilation - 1)
    if padding == "valid":
        return length * stride + max(dilated - stride, 0)
    return length * stride
