"""The ONNX graph under construction: nodes, initializers, fresh names, constant lookup."""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.errors import InvalidArgumentError

NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)
_PASS_THROUGH = {"Identity", "StopGradient", "PreventGradient", "Snapshot"}


class OnnxBuilder:
    """Collects ONNX nodes and initializers while the op converters run.

    Args:
        onnx: the imported ``onnx`` module (an optional dependency).
        opset: the target opset (some attrs exist only from a given opset on).
    """

    def __init__(self, onnx: Any, opset: int) -> None:
        self.onnx = onnx
        self.opset = opset
        self.helper = onnx.helper
        self.nodes: list[Any] = []
        self.initializers: dict[str, Any] = {}
        self._counter = 0

    def fresh(self, hint: str) -> str:
        """A new unique value name."""
        self._counter += 1
        return f"{hint}__{self._counter}"

    def node(
        self, op_type: str, inputs: list[str], outputs: list[str] | None = None, **attrs: Any
    ) -> list[str]:
        """Adds one node; returns its output names (fresh ones unless given)."""
        outs = outputs or [self.fresh(op_type)]
        self.nodes.append(
            self.helper.make_node(op_type, inputs, outs, name=self.fresh(op_type), **attrs)
        )
        return outs

    def const(self, array: np.ndarray, hint: str = "const") -> str:
        """Adds an initializer; returns its name."""
        name = self.fresh(hint)
        self.initializers[name] = self.onnx.numpy_helper.from_array(np.asarray(array), name)
        return name

    def int64s(self, values: Any, hint: str = "ints") -> str:
        """An int64 initializer (shapes, axes, pads)."""
        return self.const(np.asarray(values, np.int64), hint)

    def tensor_type(self, dtype: Any) -> int:
        """The ONNX ``TensorProto`` element type for a stowflow DType."""
        try:
            return int(self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype.as_numpy_dtype)))
        except (KeyError, TypeError, ValueError):
            raise InvalidArgumentError(
                None, None, f"ONNX has no element type for {dtype.name}"
            ) from None


def const_value(tensor: Any) -> np.ndarray | None:
    """The value of ``tensor`` if it is a Const (through Identity chains), else None."""
    op = tensor.op
    while op.type in _PASS_THROUGH and op.inputs:
        op = op.inputs[0].op
    if op.type != "Const":
        return None
    return np.asarray(op.get_attr("value"))


def require_const(tensor: Any, what: str, op: Any) -> np.ndarray:
    """``const_value`` or a typed error naming the op and the input."""
    value = const_value(tensor)
    if value is None:
        raise InvalidArgumentError(
            None,
            None,
            f"ONNX export of {op.type} '{op.name}' needs a constant {what}, "
            f"but {tensor.name} is computed",
        )
    return value


def text_attr(op: Any, name: str) -> str:
    """A string attr as ``str``."""
    value = op.get_attr(name)
    return value.decode() if isinstance(value, bytes) else str(value)
