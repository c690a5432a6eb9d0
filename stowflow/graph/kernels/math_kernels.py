"""NumPy kernels for TensorFlow's math ops, with TF's CPU semantics.

Covers element-wise arithmetic (Add ... Pow, Maximum/Minimum), comparisons and logic,
unary math and activations, AddN, MatMul/BatchMatMulV2, BiasAdd, Softmax/LogSoftmax,
reductions (Sum/Mean/Max/Min/Prod), ArgMax/ArgMin and Cast.

TF facts these follow (tensorflow/core/kernels/cwise_ops.h, cast_op_impl.h, reduction_ops):
- ``Div`` on integers truncates toward zero (C ``/``); ``FloorDiv``/``FloorMod`` floor;
  any integer division or modulo by zero is ``InvalidArgumentError``.
- ``FloorDiv`` on floats is ``floor(x / y)``; ``FloorMod`` on floats is ``fmod`` shifted
  into the sign of ``y``.
- ``Mean`` of integers is the integer sum divided (truncating) by the count.
- ``Cast`` float -> int truncates; NaN and out-of-range values become the most negative
  int32/int64 (x86 ``cvtt*``), narrower ints wrap from that int32 value.
- ``Maximum``/``Minimum`` propagate NaN from either side.
- Exp, Log, Tanh, Sigmoid, Expm1, Log1p, Erf, Erfc, Softmax and LogSoftmax on real floats
  are Eigen's approximations, reproduced bit for bit by ``eigen_math``.

Example:
    >>> import numpy as np
    >>> from stowflow.graph.kernels.registry import KERNELS
    >>> KERNELS["Div"]([np.array([-7], np.int32), np.array([2], np.int32)], {})[0]
    array([-3], dtype=int32)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ml_dtypes
import numpy as np

from stowflow import dtypes, errors
from stowflow.errors import InvalidArgumentError, UnimplementedError
from stowflow.graph.kernels import eigen_math
from stowflow.graph.kernels.registry import register_kernel, register_shape

Array = np.ndarray
Attrs = dict[str, Any]


# --------------------------------------------------------------------------- helpers


def invalid(message: str) -> errors.OpError:
    """An InvalidArgumentError carrying ``message`` (the Session adds the node name)."""
    return InvalidArgumentError(None, None, message)


def shape_str(shape: Any) -> str:
    """TF's spelling of a shape in messages: ``[2,3]``."""
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def is_int(x: Array) -> bool:
    """True for signed/unsigned integer arrays (not bool)."""
    return x.dtype.kind in "iu"


def is_float(x: Array) -> bool:
    """True for floating arrays, including bfloat16/float8 from ml_dtypes."""
    return x.dtype.kind == "f" or x.dtype in (ml_dtypes.bfloat16,)


def broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of ``shapes``.

    Raises:
        InvalidArgumentError: "Incompatible shapes: [2,3] vs. [4]" as TF says it.
    """
    if len(shapes) == 2 and shapes[0] == shapes[1]:
        return tuple(shapes[0])  # the common case, without NumPy's slower general check
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listed = " vs. ".join(shape_str(s) for s in shapes)
        raise invalid(f"Incompatible shapes: {listed}") from None


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    """``axis`` in ``[-rank, rank)`` mapped to ``[0, rank)``.

    Raises:
        InvalidArgumentError: naming the axis and the valid range.
    """
    if not -rank <= axis < rank:
        raise invalid(f"Expected {what} in the range [{-rank}, {rank}), but got {axis}")
    return axis + rank if axis < 0 else axis


def scalar_int(x: Any, what: str) -> int:
    """The integer in a scalar or one-element tensor ``x``."""
    arr = np.asarray(x)
    if arr.size != 1:
        raise invalid(f"{what} must be a scalar, got shape {shape_str(arr.shape)}")
    return int(arr.reshape(()))


def _out(value: Any, dtype: Any) -> Array:
    """``value`` as an ndarray of ``dtype`` (NumPy returns scalars for 0-d math)."""
    return np.asarray(value, dtype=dtype)


# --------------------------------------------------------------------------- binary ops


def _check_int_divisor(y: Array) -> None:
    if np.any(y == 0):
        raise invalid("Integer division by zero")


def _trunc_div(x: Array, y: Array) -> Array:
    if not is_int(x):
        return x / y
    _check_int_divisor(y)
    q = np.floor_divide(x, y)
    inexact = (np.remainder(x, y) != 0) & ((x < 0) != (y < 0))
    return q + inexact.astype(q.dtype)


def _floor_div(x: Array, y: Array) -> Array:
    if is_int(x):
        _check_int_divisor(y)
        return np.floor_divide(x, y)
    return np.floor(x / y)


def _floor_mod(x: Array, y: Array) -> Array:
    if is_int(x):
        _check_int_divisor(y)
        return np.remainder(x, y)
    trunc = np.fmod(x, y)
    shift = (trunc != 0) & ((y < 0) != (trunc < 0))
    return np.where(shift, trunc + y, trunc)


def _real_div(x: Array, y: Array) -> Array:
    if is_int(x):
        return _trunc_div(x, y)
    return x / y


def _pow(x: Array, y: Array) -> Array:
    if is_int(x) and np.any(y < 0):
        raise invalid("Integers to negative integer powers are not allowed")
    return np.power(x, y)


_BINARY: dict[str, Callable[[Array, Array], Array]] = {
    "Add": np.add,
    "AddV2": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "RealDiv": _real_div,
    "Div": _trunc_div,
    "FloorDiv": _floor_div,
    "FloorMod": _floor_mod,
    "Pow": _pow,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
}

_COMPARE: dict[str, Callable[[Array, Array], Array]] = {
    "Less": np.less,
    "LessEqual": np.less_equal,
    "Greater": np.greater,
    "GreaterEqual": np.greater_equal,
    "LogicalAnd": np.logical_and,
    "LogicalOr": np.logical_or,
}


def _binary_kernel(fn: Callable[[Array, Array], Array]) -> Callable[[list[Any], Attrs], list[Any]]:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x, y = np.asarray(inputs[0]), np.asarray(inputs[1])
        broadcast_shape(x.shape, y.shape)
        with np.errstate(all="ignore"):
            result = fn(x, y)
        return [_out(result, x.dtype)]

    return kernel


def _compare_kernel(
    fn: Callable[[Array, Array], Array],
) -> Callable[[list[Any], Attrs], list[Any]]:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x, y = np.asarray(inputs[0]), np.asarray(inputs[1])
        broadcast_shape(x.shape, y.shape)
        with np.errstate(all="ignore"):
            return [_out(fn(x, y), np.bool_)]

    return kernel


# --------------------------------------------------------------------------- TruncateDiv/Mod
# C's ``/`` and ``%`` (``trunc(x / y)`` and ``fmod`` on floats), on the dtypes TF 2.21's CPU
# kernels register; an integer zero divisor is TF's InternalError (recorded in
# tests/golden/fidelity/truncate_goldens.json), not Div's "Integer division by zero".


def _require_nonzero_int_divisor(x: Array, y: Array) -> None:
    if is_int(x) and np.any(y == 0):
        raise errors.InternalError(
            None,
            None,
            "Unexpected error in binary operator (only integer div and mod should have errors)",
        )


def _truncate_div(x: Array, y: Array) -> Array:
    _require_nonzero_int_divisor(x, y)
    if not is_int(x):
        return np.trunc(x / y)
    q = np.floor_divide(x, y)
    rounded_down = (np.remainder(x, y) != 0) & ((x < 0) != (y < 0))
    return q + rounded_down.astype(q.dtype)


def _truncate_mod(x: Array, y: Array) -> Array:
    _require_nonzero_int_divisor(x, y)
    return np.fmod(x, y)


_INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_TRUNCATE: dict[str, tuple[Callable[[Array, Array], Array], frozenset[str]]] = {
    "TruncateDiv": (
        _truncate_div,
        frozenset(_INTS + ("float16", "bfloat16", "float32", "float64")),
    ),
    "TruncateMod": (_truncate_mod, frozenset(("int32", "int64", "float32", "float64"))),
}


def _truncate_kernel(op_type: str) -> Callable[[list[Any], Attrs], list[Any]]:
    fn, registered = _TRUNCATE[op_type]
    binary = _binary_kernel(fn)

    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        dtype = np.asarray(inputs[0]).dtype
        if dtype.name not in registered:
            kind = "DT_" + dtypes.as_dtype(dtype).type_string.upper()
            raise invalid(
                f"No OpKernel was registered to support Op '{op_type}' with these attrs: [T={kind}]"
            )
        return binary(inputs, attrs)

    return kernel


for _name, _fn in _BINARY.items():
    register_kernel(_name)(_binary_kernel(_fn))
for _name in _TRUNCATE:
    register_kernel(_name)(_truncate_kernel(_name))
for _name, _fn in _COMPARE.items():
    register_kernel(_name)(_compare_kernel(_fn))


def _equality_kernel(negate: bool) -> Callable[[list[Any], Attrs], list[Any]]:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x, y = np.asarray(inputs[0]), np.asarray(inputs[1])
        try:
            shape = np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            if attrs.get("incompatible_shape_error", True):
                broadcast_shape(x.shape, y.shape)
            # incompatible_shape_error=False: shapes differ, so nothing is equal.
            return [np.array(negate)]
        equal = np.equal(np.broadcast_to(x, shape), np.broadcast_to(y, shape))
        return [_out(np.logical_not(equal) if negate else equal, np.bool_)]

    return kernel


register_kernel("Equal")(_equality_kernel(False))
register_kernel("NotEqual")(_equality_kernel(True))


@register_kernel("LogicalNot")
def _logical_not(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return [_out(np.logical_not(inputs[0]), np.bool_)]


@register_kernel("AddN")
def _add_n(inputs: list[Any], attrs: Attrs) -> list[Any]:
    values = [np.asarray(v) for v in inputs[0]]
    for i, v in enumerate(values[1:], start=1):
        if v.shape != values[0].shape:
            raise invalid(
                f"Inputs to operation AddN of type AddN must have the same size and shape.  Input 0: "
                f"{shape_str(values[0].shape)} != input {i}: {shape_str(v.shape)}"
            )
    total = values[0].copy()
    with np.errstate(all="ignore"):
        for v in values[1:]:
            total = total + v
    return [_out(total, values[0].dtype)]


# --------------------------------------------------------------------------- unary ops


def _rsqrt(x: Array) -> Array:
    return 1 / np.sqrt(x)


def _relu(x: Array) -> Array:
    return np.maximum(x, np.zeros((), x.dtype))


def _relu6(x: Array) -> Array:
    return np.minimum(np.maximum(x, np.zeros((), x.dtype)), np.asarray(6, x.dtype))


def _elu(x: Array) -> Array:
    return np.where(x < 0, np.exp(x) - 1, x)


def _sigmoid(x: Array) -> Array:
    return 1 / (1 + np.exp(-x))


def _real_only(name: str) -> Callable[[Array], Array]:
    def refuse(x: Array) -> Array:
        raise invalid(f"{name} is not defined for {x.dtype} tensors")

    return refuse


def _eigen(
    fn: Callable[[Array], Array], other: Callable[[Array], Array]
) -> Callable[[Array], Array]:
    """``fn`` (TF's Eigen numerics, bit for bit) on real floats, ``other`` on other dtypes."""

    def apply(x: Array) -> Array:
        return fn(x) if x.dtype in eigen_math.DTYPES else other(x)

    return apply


_UNARY: dict[str, Callable[[Array], Array]] = {
    "Neg": np.negative,
    "Abs": np.abs,
    "Square": np.square,
    "Sqrt": np.sqrt,
    "Rsqrt": _rsqrt,
    "Exp": _eigen(eigen_math.exp, np.exp),
    "Log": _eigen(eigen_math.log, np.log),
    "Floor": np.floor,
    "Relu": _relu,
    "Relu6": _relu6,
    "Elu": _elu,
    "Sigmoid": _eigen(eigen_math.sigmoid, _sigmoid),
    "Tanh": _eigen(eigen_math.tanh, np.tanh),
    "Expm1": _eigen(eigen_math.expm1, np.expm1),
    "Log1p": _eigen(eigen_math.log1p, np.log1p),
    "Erf": _eigen(eigen_math.erf, _real_only("Erf")),
    "Erfc": _eigen(eigen_math.erfc, _real_only("Erfc")),
}
register_shape("Expm1", "Log1p", "Erf", "Erfc")(lambda op: [op.inputs[0].shape])


def _unary_kernel(fn: Callable[[Array], Array]) -> Callable[[list[Any], Attrs], list[Any]]:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x = np.asarray(inputs[0])
        with np.errstate(all="ignore"):
            return [_out(fn(x), x.dtype)]

    return kernel


for _name, _ufn in _UNARY.items():
    register_kernel(_name)(_unary_kernel(_ufn))


def _check_logits(x: Array) -> None:
    if x.ndim < 1:
        raise invalid(f"logits must have >= 1 dimension, got {shape_str(x.shape)}")


@register_kernel("Softmax")
def _softmax(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    _check_logits(x)
    if x.dtype not in eigen_math.DTYPES:
        raise invalid(f"Softmax is not defined for {x.dtype} tensors")
    return [eigen_math.softmax(x)]


@register_kernel("LogSoftmax")
def _log_softmax(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    _check_logits(x)
    if x.dtype not in eigen_math.DTYPES:
        raise invalid(f"LogSoftmax is not defined for {x.dtype} tensors")
    return [eigen_math.log_softmax(x)]


# --------------------------------------------------------------------------- linear algebra


def _adjoint(x: Array) -> Array:
    return np.conj(np.swapaxes(x, -1, -2))


@register_kernel("MatMul")
def _mat_mul(inputs: list[Any], attrs: Attrs) -> list[Any]:
    a, b = np.asarray(inputs[0]), np.asarray(inputs[1])
    for i, m in enumerate((a, b)):
        if m.ndim < 2:
            raise invalid(f"In[{i}] ndims must be >= 2")
        if m.ndim > 2:
            raise invalid(f"In[{i}] is not a matrix. Instead it has shape {shape_str(m.shape)}")
    lhs = a.T if attrs.get("transpose_a") else a
    rhs = b.T if attrs.get("transpose_b") else b
    if lhs.shape[1] != rhs.shape[0]:
        raise invalid(
            f"Matrix size-incompatible: In[0]: {shape_str(a.shape)}, In[1]: {shape_str(b.shape)}"
        )
    with np.errstate(all="ignore"):
        return [_out(np.matmul(lhs, rhs), a.dtype)]


@register_kernel("BatchMatMulV2", "BatchMatMulV3")
def _batch_mat_mul(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x, y = np.asarray(inputs[0]), np.asarray(inputs[1])
    for i, m in enumerate((x, y)):
        if m.ndim < 2:
            raise invalid(f"In[{i}] ndims must be >= 2: {m.ndim}")
    shapes = f"{shape_str(x.shape)} vs. {shape_str(y.shape)}"
    try:
        np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        raise invalid(f"In[0] and In[1] must have compatible batch dimensions: {shapes}") from None
    adj_x, adj_y = bool(attrs.get("adj_x")), bool(attrs.get("adj_y"))
    if x.shape[-2 if adj_x else -1] != y.shape[-1 if adj_y else -2]:
        raise invalid(
            f"Matrix size-incompatible: In[0]: {shape_str(x.shape)}, In[1]: "
            f"{shape_str(y.shape)} {int(adj_x)} {int(adj_y)}"
        )
    x = _adjoint(x) if adj_x else x
    y = _adjoint(y) if adj_y else y
    out_type = attrs.get("Tout")
    dtype = out_type.as_numpy_dtype if out_type is not None else x.dtype
    with np.errstate(all="ignore"):
        return [_out(np.matmul(x, y), dtype)]


def _channel_axis(data_format: Any, rank: int) -> int:
    fmt = data_format.decode() if isinstance(data_format, bytes) else str(data_format or "NHWC")
    if fmt not in ("NHWC", "NCHW"):
        raise invalid(f"Invalid data format: {fmt}; expected NHWC or NCHW")
    return 1 if fmt == "NCHW" else rank - 1


@register_kernel("BiasAdd")
def _bias_add(inputs: list[Any], attrs: Attrs) -> list[Any]:
    value, bias = np.asarray(inputs[0]), np.asarray(inputs[1])
    if value.ndim < 2:
        raise invalid(f"Input tensor must be at least 2D: {shape_str(value.shape)}")
    if bias.ndim != 1:
        raise invalid(f"Biases must be 1D: {shape_str(bias.shape)}")
    axis = _channel_axis(attrs.get("data_format"), value.ndim)
    if value.shape[axis] != bias.shape[0]:
        raise invalid(
            "Must provide as many biases as the last dimension of the input tensor: "
            f"{shape_str(bias.shape)} vs. {shape_str(value.shape)}"
        )
    shape = [1] * value.ndim
    shape[axis] = bias.shape[0]
    with np.errstate(all="ignore"):
        return [_out(value + bias.reshape(shape), value.dtype)]


# --------------------------------------------------------------------------- reductions


def reduction_axes(axes: Any, rank: int) -> tuple[int, ...]:
    """Sorted, de-duplicated non-negative reduction axes (TF's ReductionHelper rules).

    Raises:
        InvalidArgumentError: for an axis outside ``[-rank, rank)``.
    """
    flat = np.asarray(axes).reshape(-1)
    out = set()
    for a in flat.tolist():
        if not -rank <= a < rank:
            raise invalid(f"Invalid reduction dimension ({a} for input with {rank} dimension(s)")
        out.add(a + rank if a < 0 else a)
    return tuple(sorted(out))


def _identity_element(op: str, dtype: np.dtype) -> Any:
    if dtype.kind == "f" or dtype == ml_dtypes.bfloat16:
        return -np.inf if op == "Max" else np.inf
    if dtype.kind == "b":
        return op == "Min"
    info = np.iinfo(dtype)
    return info.min if op == "Max" else info.max


def _extreme(op: str, x: Array, axes: tuple[int, ...]) -> Array:
    fn = np.max if op == "Max" else np.min
    initial = _identity_element(op, x.dtype)
    return fn(x, axis=axes, initial=initial) if x.size == 0 else fn(x, axis=axes)


def _mean(x: Array, axes: tuple[int, ...]) -> Array:
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if is_int(x):
        total = np.sum(x, axis=axes, dtype=x.dtype)
        if count == 0:
            return np.zeros_like(total)
        return _trunc_div(total, np.asarray(count, x.dtype))
    return np.sum(x, axis=axes, dtype=x.dtype) / np.asarray(count, x.dtype)


_REDUCERS: dict[str, Callable[[Array, tuple[int, ...]], Array]] = {
    "Sum": lambda x, axes: np.sum(x, axis=axes, dtype=x.dtype),
    "Prod": lambda x, axes: np.prod(x, axis=axes, dtype=x.dtype),
    "Mean": _mean,
    "Max": lambda x, axes: _extreme("Max", x, axes),
    "Min": lambda x, axes: _extreme("Min", x, axes),
    "All": lambda x, axes: np.all(x, axis=axes),
    "Any": lambda x, axes: np.any(x, axis=axes),
}


def _reduce_kernel(name: str) -> Callable[[list[Any], Attrs], list[Any]]:
    reducer = _REDUCERS[name]

    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x = np.asarray(inputs[0])
        axes = reduction_axes(inputs[1], x.ndim)
        with np.errstate(all="ignore"):
            result = _out(reducer(x, axes), x.dtype)
        if attrs.get("keep_dims"):
            result = result.reshape([1 if i in axes else d for i, d in enumerate(x.shape)])
        return [result]

    return kernel


for _name in _REDUCERS:
    register_kernel(_name)(_reduce_kernel(_name))


def _arg_kernel(fn: Callable[..., Array]) -> Callable[[list[Any], Attrs], list[Any]]:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x = np.asarray(inputs[0])
        axis = scalar_int(inputs[1], "dimension")
        axis = normalize_axis(axis, x.ndim, "dimension")
        if x.shape[axis] == 0:
            raise invalid(f"Reduction axis {axis} is empty in shape {shape_str(x.shape)}")
        out_type = attrs.get("output_type")
        dtype = out_type.as_numpy_dtype if out_type is not None else np.int64
        return [_out(fn(x, axis=axis), dtype)]

    return kernel


register_kernel("ArgMax")(_arg_kernel(np.argmax))
register_kernel("ArgMin")(_arg_kernel(np.argmin))


# --------------------------------------------------------------------------- Cast

_INT_BITS = {np.dtype(t): np.iinfo(t).bits for t in (np.int8, np.int16, np.uint8, np.uint16)}


def _float_to_int(x: Array, dst: np.dtype) -> Array:
    """C++ ``static_cast`` on x86-64: truncation; NaN/overflow give the "indefinite" value."""
    wide = np.dtype(np.int64) if dst.itemsize == 8 or dst == np.uint32 else np.dtype(np.int32)
    info = np.iinfo(wide)
    with np.errstate(all="ignore"):
        t = np.trunc(x.astype(np.float64))
        ok = (t >= info.min) & (t < float(info.max) + 1)
        if dst == np.uint64:
            big = (t >= 2.0**63) & (t < 2.0**64)
            out = np.where(ok, t, 0).astype(np.int64).astype(np.uint64)
            shifted = np.where(big, t - 2.0**63, 0).astype(np.int64).astype(np.uint64)
            out = np.where(big, shifted ^ np.uint64(1 << 63), out)
            return np.where(ok | big, out, np.uint64(1 << 63))
        out = np.where(ok, t, 0).astype(wide)
        out = np.where(ok, out, info.min).astype(wide)
    return out.astype(dst)


def _truncate_to_bfloat16(x: Array) -> Array:
    bits = x.astype(np.float32).view(np.uint32) & np.uint32(0xFFFF0000)
    return bits.view(np.float32).astype(ml_dtypes.bfloat16)


def cast(x: Array, dst_dtype: Any, truncate: bool = False) -> Array:
    """``x`` cast to NumPy ``dst_dtype`` as TF's Cast kernel does.

    Raises:
        UnimplementedError: for casts to or from strings, like TF.
    """
    dst = np.dtype(dst_dtype)
    src = x.dtype
    if (src.kind == "O") != (dst.kind == "O"):
        raise UnimplementedError(
            None, None, f"Cast {_tf_name(src)} to {_tf_name(dst)} is not supported"
        )
    if src == dst:
        return x.copy()
    if dst.kind == "b":
        return x != 0
    if dst.kind in "iu" and (src.kind == "f" or src == ml_dtypes.bfloat16):
        return _float_to_int(x, dst)
    if truncate and dst == ml_dtypes.bfloat16:
        return _truncate_to_bfloat16(x)
    if src.kind == "c" and dst.kind != "c":
        x = x.real
    with np.errstate(all="ignore"):
        return x.astype(dst)


def _tf_name(dtype: np.dtype) -> str:
    return "string" if dtype.kind == "O" else dtypes.as_dtype(dtype).type_string


@register_kernel("Cast")
def _cast(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    return [cast(x, attrs["DstT"].as_numpy_dtype, bool(attrs.get("Truncate", False)))]


__all__ = [
    "broadcast_shape",
    "cast",
    "invalid",
    "is_float",
    "is_int",
    "normalize_axis",
    "reduction_axes",
    "scalar_int",
    "shape_str",
]
