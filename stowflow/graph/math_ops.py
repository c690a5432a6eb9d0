"""Math op constructors (``tf.add``, ``tf.matmul``, reductions...) and Tensor operators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stowflow import dtypes
from stowflow.graph.builder import apply_op_outputs, convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph


def _op1(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any] | None, name: Any) -> Any:
    result = apply_op_outputs(op_type, inputs, attrs, name=name)
    return result[0]


def _binary(op_type: str, default_name: str) -> Callable[..., Tensor]:
    def op(x: Any, y: Any, name: str | None = None) -> Tensor:
        graph = get_default_graph()
        with graph.name_scope(name or default_name) as scope:
            x_t = convert_to_tensor(x, name="x")
            y_t = y if _is_tensor(y) else convert_to_tensor(y, dtype=x_t.dtype.base_dtype, name="y")
            return _op1(op_type, {"x": x_t, "y": y_t}, None, scope)

    op.__name__ = default_name
    op.__doc__ = f"Element-wise ``{op_type}`` with broadcasting (``tf.{default_name}``)."
    return op


def _unary(op_type: str, default_name: str) -> Callable[..., Tensor]:
    def op(x: Any, name: str | None = None) -> Tensor:
        return _op1(op_type, {"x": x}, None, name or op_type)

    op.__name__ = default_name
    op.__doc__ = f"Element-wise ``{op_type}`` (``tf.{default_name}``)."
    return op


add = _binary("AddV2", "Add")
subtract = _binary("Sub", "Sub")
multiply = _binary("Mul", "Mul")
realdiv = _binary("RealDiv", "RealDiv")
floordiv = _binary("FloorDiv", "floordiv")
floormod = _binary("FloorMod", "FloorMod")
pow = _binary("Pow", "Pow")  # noqa: A001 - TF's name
maximum = _binary("Maximum", "Maximum")
minimum = _binary("Minimum", "Minimum")
equal = _binary("Equal", "Equal")
not_equal = _binary("NotEqual", "NotEqual")
less = _binary("Less", "Less")
less_equal = _binary("LessEqual", "LessEqual")
greater = _binary("Greater", "Greater")
greater_equal = _binary("GreaterEqual", "GreaterEqual")
logical_and = _binary("LogicalAnd", "LogicalAnd")
logical_or = _binary("LogicalOr", "LogicalOr")

negative = _unary("Neg", "negative")
abs = _unary("Abs", "abs")  # noqa: A001 - TF's name
square = _unary("Square", "square")
sqrt = _unary("Sqrt", "sqrt")
rsqrt = _unary("Rsqrt", "rsqrt")
exp = _unary("Exp", "exp")
log = _unary("Log", "log")
floor = _unary("Floor", "floor")
ceil = _unary("Ceil", "ceil")
cos = _unary("Cos", "cos")
sigmoid = _unary("Sigmoid", "sigmoid")
tanh = _unary("Tanh", "tanh")
logical_not = _unary("LogicalNot", "logical_not")


def _features_op(op_type: str) -> Callable[..., Tensor]:
    def op(features: Any, name: str | None = None) -> Tensor:
        return _op1(op_type, {"features": features}, None, name or op_type)

    op.__doc__ = f"``{op_type}`` activation."
    return op


relu = _features_op("Relu")
relu6 = _features_op("Relu6")
elu = _features_op("Elu")


def softmax(logits: Any, axis: int = -1, name: str | None = None) -> Tensor:
    """Softmax over the last axis (``tf.nn.softmax``)."""
    return _op1("Softmax", {"logits": logits}, None, name or "Softmax")


def log_softmax(logits: Any, axis: int = -1, name: str | None = None) -> Tensor:
    """Log-softmax over the last axis (``tf.nn.log_softmax``)."""
    return _op1("LogSoftmax", {"logits": logits}, None, name or "LogSoftmax")


def divide(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x / y`` with Python 3 semantics: ints are cast to float first (``tf.divide``)."""
    return _truediv(x, y, name or "truediv")


def _truediv(x: Any, y: Any, name: str) -> Tensor:
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        x_t = convert_to_tensor(x, name="x")
        y_t = y if _is_tensor(y) else convert_to_tensor(y, dtype=x_t.dtype.base_dtype, name="y")
        base = x_t.dtype.base_dtype
        if base.is_integer:
            target = dtypes.float64 if base.size > 2 else dtypes.float32
            x_t = cast(x_t, target)
            y_t = cast(y_t, target)
        return _op1("RealDiv", {"x": x_t, "y": y_t}, None, scope)


def div(x: Any, y: Any, name: str | None = None) -> Tensor:
    """TF1 ``tf.div``: C-style for ints (``Div`` op)."""
    return _op1("Div", {"x": x, "y": convert_to_tensor(y, dtype=_base(x))}, None, name or "div")


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor) or hasattr(value, "_as_tensor")


def _base(x: Any) -> Any:
    return convert_to_tensor(x).dtype.base_dtype


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """Casts to ``dtype`` (a no-op returning ``x`` if it already has that type)."""
    tensor = convert_to_tensor(x)
    target = dtypes.as_dtype(dtype).base_dtype
    if tensor.dtype.base_dtype == target:
        return tensor
    with get_default_graph().name_scope(name or "Cast") as scope:
        return _op1("Cast", {"x": tensor}, {"DstT": target, "Truncate": False}, scope)


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    """``tf.to_float`` (deprecated TF1 alias of cast to float32)."""
    return cast(x, dtypes.float32, name=name)


def _to(dtype: Any, default_name: str) -> Callable[..., Tensor]:
    def op(x: Any, name: str = default_name) -> Tensor:
        return cast(x, dtype, name=name)

    op.__name__ = "to_" + dtype.name
    op.__doc__ = f"``tf.to_{dtype.name}`` (deprecated TF1 alias of cast to {dtype.name})."
    return op


to_double = _to(dtypes.float64, "ToDouble")
to_int32 = _to(dtypes.int32, "ToInt32")
to_int64 = _to(dtypes.int64, "ToInt64")
to_bfloat16 = _to(dtypes.bfloat16, "ToBFloat16")
to_complex64 = _to(dtypes.complex64, "ToComplex64")
to_complex128 = _to(dtypes.complex128, "ToComplex128")

_LIMITS = {
    "int8": (-(2**7), 2**7 - 1),
    "uint8": (0, 2**8 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
    "float16": (-65504.0, 65504.0),
    "bfloat16": (-3.3895313892515355e38, 3.3895313892515355e38),
    "float32": (-3.4028234663852886e38, 3.4028234663852886e38),
    "float64": (-1.7976931348623157e308, 1.7976931348623157e308),
}


def saturate_cast(value: Any, dtype: Any, name: str | None = None) -> Tensor:
    """``tf.saturate_cast``: clamps to ``dtype``'s range, then casts.

    Raises:
        TypeError: for a dtype without a numeric range.
    """
    target = dtypes.as_dtype(dtype).base_dtype
    with get_default_graph().name_scope(name or "saturate_cast") as scope:
        x = convert_to_tensor(value, name="value")
        source = x.dtype.base_dtype
        if source.name not in _LIMITS or target.name not in _LIMITS:
            raise TypeError(f"saturate_cast does not support {source.name} -> {target.name}")
        lo_in, hi_in = _LIMITS[source.name]
        lo_out, hi_out = _LIMITS[target.name]
        if lo_in < lo_out or hi_in > hi_out:
            low = convert_to_tensor(max(lo_in, lo_out), dtype=source, name="min")
            high = convert_to_tensor(_below(min(hi_in, hi_out), source), dtype=source, name="max")
            x = _op1(
                "ClipByValue", {"t": x, "clip_value_min": low, "clip_value_max": high}, None, None
            )
        return cast(x, target, name=scope)


def _below(limit: float, dtype: Any) -> Any:
    """The largest value of ``dtype`` not above ``limit`` (casting it must not overflow)."""
    import numpy as np

    if not dtype.is_floating:
        return limit
    value = np.array(limit, dtype=dtype.as_numpy_dtype)
    while float(value) > limit:
        value = np.nextafter(value, np.array(0, value.dtype))
    return value


truncatemod = _binary("TruncateMod", "TruncateMod")
truncatediv = _binary("TruncateDiv", "TruncateDiv")


def matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    name: str | None = None,
    **_: Any,
) -> Tensor:
    """Matrix product (``tf.matmul``); rank > 2 uses ``BatchMatMulV2``."""
    graph = get_default_graph()
    with graph.name_scope(name or "MatMul") as scope:
        a_t = convert_to_tensor(a, name="a")
        b_t = convert_to_tensor(b, dtype=a_t.dtype.base_dtype, name="b")
        ranks = (a_t.shape.ndims, b_t.shape.ndims)
        if ranks[0] == 2 and ranks[1] == 2 or None in ranks:
            return _op1(
                "MatMul",
                {"a": a_t, "b": b_t},
                {"transpose_a": transpose_a or adjoint_a, "transpose_b": transpose_b or adjoint_b},
                scope,
            )
        return _op1(
            "BatchMatMulV2",
            {"x": a_t, "y": b_t},
            {"adj_x": transpose_a or adjoint_a, "adj_y": transpose_b or adjoint_b},
            scope,
        )


def bias_add(
    value: Any, bias: Any, data_format: str | None = None, name: str | None = None
) -> Tensor:
    """Adds a 1-D bias to the last (or channel) dimension (``tf.nn.bias_add``)."""
    with get_default_graph().name_scope(name or "BiasAdd") as scope:
        value_t = convert_to_tensor(value, name="input")
        bias_t = convert_to_tensor(bias, dtype=value_t.dtype.base_dtype, name="bias")
        return _op1(
            "BiasAdd",
            {"value": value_t, "bias": bias_t},
            {"data_format": data_format or "NHWC"},
            scope,
        )


def add_n(inputs: list[Any], name: str | None = None) -> Tensor:
    """Sums a list of same-shaped tensors (``tf.add_n``)."""
    if len(inputs) == 1:
        return convert_to_tensor(inputs[0])
    return _op1("AddN", {"inputs": list(inputs)}, None, name or "AddN")


def _reduction_dims(x: Any) -> Any:
    """TF's ``_ReductionDims`` for ``axis=None``, made in the caller's name scope.

    A known non-zero rank gives a ``Const`` of ``0..rank-1``; otherwise (unknown rank, a
    scalar, a value without a static shape) ``range(0, rank(x))``.
    """
    shape = getattr(x, "shape", None)
    rank = getattr(shape, "ndims", None)
    if rank:
        return convert_to_tensor(list(range(rank)), dtype=dtypes.int32, name="Const")
    from stowflow.graph import array_ops

    return array_ops.range(0, array_ops.rank(x))


def _reduction(op_type: str, default_name: str) -> Callable[..., Tensor]:
    def op(
        input_tensor: Any,
        axis: Any = None,
        keepdims: bool | None = None,
        name: str | None = None,
        reduction_indices: Any = None,
        keep_dims: bool | None = None,
    ) -> Tensor:
        keep = bool(keepdims if keepdims is not None else keep_dims)
        axis = axis if axis is not None else reduction_indices
        axes = axis if axis is not None else _reduction_dims(input_tensor)
        return _op1(
            op_type,
            {"input": input_tensor, "reduction_indices": axes},
            {"keep_dims": keep},
            name or default_name,
        )

    op.__name__ = default_name
    op.__doc__ = f"``tf.{default_name}``: ``{op_type}`` over ``axis`` (all axes if None)."
    return op


reduce_sum = _reduction("Sum", "Sum")
reduce_mean = _reduction("Mean", "Mean")
reduce_max = _reduction("Max", "Max")
reduce_min = _reduction("Min", "Min")
reduce_prod = _reduction("Prod", "Prod")


def _arg_reduction(op_type: str, what: str) -> Callable[..., Tensor]:
    def op(
        input: Any,  # noqa: A002 - TF's argument name
        axis: Any = None,
        name: str | None = None,
        dimension: Any = None,
        output_type: Any = dtypes.int64,
    ) -> Tensor:
        chosen = axis if axis is not None else dimension
        return _op1(
            op_type,
            {
                "input": input,
                "dimension": 0 if chosen is None else chosen,
            },
            {"output_type": output_type},
            name or op_type,
        )

    op.__doc__ = f"Index of the {what} value along ``axis`` (default 0), ``tf.{op_type.lower()}``."
    return op


argmax = _arg_reduction("ArgMax", "largest")
argmin = _arg_reduction("ArgMin", "smallest")


def _reverse(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    return lambda self, other: fn(convert_to_tensor(other, dtype=self.dtype.base_dtype), self)


def _named(fn: Callable[..., Tensor], name: str) -> Callable[..., Tensor]:
    return lambda self, other: fn(self, other, name=name)


def _reflected(fn: Callable[..., Tensor], name: str) -> Callable[..., Tensor]:
    """``other <op> tensor``: TF converts ``other`` inside the op's scope as ``<op>/x``."""

    def op(self: Tensor, other: Any) -> Tensor:
        with self.graph.name_scope(name) as scope:
            x = convert_to_tensor(other, dtype=self.dtype.base_dtype, name="x")
            return fn(x, self, name=scope)

    return op


def _getitem(tensor: Tensor, key: Any) -> Tensor:
    from stowflow.graph import array_ops

    return array_ops.strided_slice_from_key(tensor, key)


OPERATORS: dict[str, Callable[..., Tensor]] = {
    "__add__": _named(add, "add"),
    "__radd__": _reflected(add, "add"),
    "__sub__": _named(subtract, "sub"),
    "__rsub__": _reflected(subtract, "sub"),
    "__mul__": _named(multiply, "mul"),
    "__rmul__": _reflected(multiply, "mul"),
    "__truediv__": lambda s, o: _truediv(s, o, "truediv"),
    "__rtruediv__": _reflected(lambda x, y, name: _truediv(x, y, name), "truediv"),
    "__floordiv__": _named(floordiv, "floordiv"),
    "__rfloordiv__": _reflected(floordiv, "floordiv"),
    "__mod__": _named(floormod, "mod"),
    "__rmod__": _reflected(floormod, "mod"),
    "__pow__": _named(pow, "pow"),
    "__rpow__": _reflected(pow, "pow"),
    "__matmul__": lambda s, o: matmul(s, o),
    "__rmatmul__": lambda s, o: matmul(o, s),
    "__neg__": lambda s: negative(s, name="Neg"),
    "__abs__": lambda s: abs(s, name="Abs"),
    "__lt__": _named(less, "Less"),
    "__le__": _named(less_equal, "LessEqual"),
    "__gt__": _named(greater, "Greater"),
    "__ge__": _named(greater_equal, "GreaterEqual"),
    "__and__": _named(logical_and, "LogicalAnd"),
    "__rand__": lambda s, o: logical_and(o, s, name="LogicalAnd"),
    "__or__": _named(logical_or, "LogicalOr"),
    "__ror__": lambda s, o: logical_or(o, s, name="LogicalOr"),
    "__xor__": lambda s, o: logical_and(logical_or(s, o), logical_not(logical_and(s, o))),
    "__invert__": lambda s: logical_not(s, name="LogicalNot"),
    "__getitem__": _getitem,
}
