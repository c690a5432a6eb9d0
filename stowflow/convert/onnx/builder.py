"""The ONNX graph under construction: nodes, initializers, fresh names, constant lookup."""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.errors import InvalidArgumentError

NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)


class OnnxBuilder:
    """Collects ONNX nodes and initializers while the op converters run.

    Args:
        onnx: the imported ``onnx`` module (an optional dependency).
        opset: the target opset (some attrs exist only from a given opset on).
    """

    def __init__(self, onnx: Any, opset: int, library: Any = None) -> None:
        self.onnx = onnx
        self.opset = opset
        self.helper = onnx.helper
        self.nodes: list[Any] = []
        self.initializers: dict[str, Any] = {}
        #: the GraphDef's function library (FunctionDefs of While/If bodies)
        self.library = library
        #: value name -> ONNX element type, for TensorLists exported as ONNX sequences
        self.sequences: dict[str, int] = {}
        self._counter = [0]

    def fresh(self, hint: str) -> str:
        """A new unique value name (unique across this builder and its children)."""
        self._counter[0] += 1
        return f"{hint}__{self._counter[0]}"

    def child(self) -> OnnxBuilder:
        """A builder for a subgraph (Loop/If body): own nodes; names, initializers,
        library and sequence types shared with this one (subgraphs see outer values)."""
        sub = OnnxBuilder(self.onnx, self.opset, self.library)
        sub.initializers = self.initializers
        sub.sequences = self.sequences
        sub._counter = self._counter
        return sub

    def function(self, name: str) -> Any:
        """The FunctionDef ``name`` of the library, or a typed error."""
        for function in getattr(self.library, "function", ()):
            if function.signature.name == name:
                return function
        raise InvalidArgumentError(None, None, f"function {name!r} is not in the graph's library")

    def value_info(self, name: str, dtype: Any, shape: Any = None) -> Any:
        """A graph input/output description: a tensor, or a sequence if ``name`` is one."""
        if name in self.sequences:
            return self.helper.make_tensor_sequence_value_info(name, self.sequences[name], None)
        return self.helper.make_tensor_value_info(name, self.tensor_type(dtype), shape)

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
        """The ONNX ``TensorProto`` element type for a stowflow DType (a resource, the
        TF1 TensorArray handle, travels as a placeholder float scalar)."""
        if dtype.name == "resource":
            return int(self.onnx.TensorProto.FLOAT)
        try:
            return int(self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype.as_numpy_dtype)))
        except (KeyError, TypeError, ValueError):
            raise InvalidArgumentError(
                None, None, f"ONNX has no element type for {dtype.name}"
            ) from None


def const_value(tensor: Any) -> np.ndarray | None:
    """The value of ``tensor`` if it only depends on Consts and static shapes, else None.

    Constant subgraphs (``Shape`` of a fully known shape, ``Range`` of a known rank, the
    per-channel arithmetic of Keras 3's batch norm) are evaluated with stowflow's own
    kernels, once per op.
    """
    return _fold(tensor, 0)


_MAX_FOLD_DEPTH = 200
_NOT_FOLDED = {"Placeholder", "PlaceholderWithDefault", "VarHandleOp", "ReadVariableOp"}
_SHAPE_OPS = {"Shape", "Rank", "Size", "ShapeN"}


def _fold(tensor: Any, depth: int) -> np.ndarray | None:
    op = tensor.op
    cache: dict[int, Any] = op.__dict__.setdefault("_onnx_folded", {})
    if tensor.value_index not in cache:
        values = _fold_op(op, depth)
        for i in range(len(op.outputs)):
            cache[i] = None if values is None else values[i]
    value = cache[tensor.value_index]
    return None if value is None else np.asarray(value)


def _fold_op(op: Any, depth: int) -> list[Any] | None:
    from stowflow.graph.kernels import registry
    from stowflow.graph.kernels.random_kernels import RANDOM_OPS
    from stowflow.graph.kernels.state import STATEFUL_KERNELS
    from stowflow.graph.session import _decoded_attrs, _group_inputs

    if op.type == "Const":
        return [np.asarray(op.get_attr("value"))]
    if op.type in _NOT_FOLDED or depth > _MAX_FOLD_DEPTH:
        return None
    if any(t.dtype.name in ("variant", "resource") for t in op.outputs):
        return None
    if op.type in _SHAPE_OPS:
        return _static_shape(op)
    if (
        op.type not in registry.KERNELS
        or op.type in STATEFUL_KERNELS
        or op.type in RANDOM_OPS
        or op.control_inputs
    ):
        return None
    inputs = []
    for t in op.inputs:
        value = _fold(t, depth + 1)
        if value is None:
            return None
        inputs.append(value)
    try:
        out = registry.KERNELS[op.type](_group_inputs(op, inputs), _decoded_attrs(op))
    except Exception:  # noqa: BLE001 - a kernel error at runtime is the graph's, not ours
        return None
    return [np.asarray(v) for v in out]


def _static_shape(op: Any) -> list[Any] | None:
    """Shape/Rank/Size(N) of inputs whose static shapes are fully (or rank-) known."""
    out_type = op.outputs[0].dtype.as_numpy_dtype
    results = []
    for t in op.inputs:
        shape = t.shape
        if shape.ndims is None:
            return None
        if op.type == "Rank":
            results.append(np.array(shape.ndims, np.int32))
            continue
        dims = shape.as_list()
        if any(d is None for d in dims):
            return None
        value = np.array(dims, out_type) if op.type != "Size" else np.array(np.prod(dims), out_type)
        results.append(value)
    return results


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
