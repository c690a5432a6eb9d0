"""NumPy kernels for TF's remaining element-wise math and nn ops, with TF's CPU semantics.

Covers SquaredDifference, DivNoNan, Softplus, LeakyRelu, Selu, Reciprocal/Inv, Sign,
Round, Ceil, Sin, Cos, IsNan, IsFinite, ClipByValue, L2Loss, MatrixBandPart and InTopKV2.

TF facts these follow (tensorflow/core/kernels/cwise_ops.h, softplus_op.h, relu_op_functor.h,
clip_op.cc, matrix_band_part_op.cc, in_topk_op.h):
- ``Softplus`` is ``x`` above ``-log(eps) - 2``, ``exp(x)`` below ``log(eps) + 2`` and
  ``log(exp(x) + 1)`` between (eps of the dtype).
- ``Round`` rounds half to even; on integer tensors TF's kernel returns zeros (Eigen's
  rounding functor divides them away), and stowflow does the same.
- ``Sign`` of NaN is NaN, of -0.0 is +0.0; complex ``Sign`` is ``x / |x|`` (0 for 0).
- ``ClipByValue`` is ``max(min(t, hi), lo)`` with C++'s ``std::min``/``std::max``: a NaN
  ``t`` stays NaN, a NaN bound is ignored, and ``lo > hi`` gives ``lo``.
- ``InTopKV2`` is False for an out-of-range target or any non-finite prediction in the row.
- Dtypes the OpDef allows but TF's CPU kernels do not register (``Round`` on int8,
  ``Reciprocal`` on ints...) fail as TF fails: "No OpKernel was registered ...".

Example:
    >>> import numpy as np
    >>> from stowflow.graph.kernels.registry import KERNELS
    >>> KERNELS["Round"]([np.array([0.5, 1.5, 2.5], np.float32)], {})[0]
    array([0., 2., 2.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import ml_dtypes
import numpy as np

from stowflow import dtypes
from stowflow.graph import shape_fns
from stowflow.graph.kernels.math_kernels import broadcast_shape, invalid, shape_str
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.shape import TensorShape, unknown_shape

Array = np.ndarray
Attrs = dict[str, Any]
Kernel = Callable[[list[Any], Attrs], list[Any]]

# --------------------------------------------------------------------------- dtype tables

FLOAT_TYPES = frozenset(
    np.dtype(t) for t in (np.float16, ml_dtypes.bfloat16, np.float32, np.float64)
)
COMPLEX_TYPES = frozenset(np.dtype(t) for t in (np.complex64, np.complex128))
SIGNED_TYPES = frozenset(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
UNSIGNED_TYPES = frozenset(np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
REAL_TYPES = FLOAT_TYPES | SIGNED_TYPES | UNSIGNED_TYPES
NUMBER_TYPES = REAL_TYPES | COMPLEX_TYPES


def require_kernel_type(
    op_type: str, x: Array, allowed: Iterable[np.dtype], attr: str = "T"
) -> None:
    """Raises TF's "no kernel registered" error when ``x``'s dtype has no CPU kernel.

    Raises:
        InvalidArgumentError: "No OpKernel was registered to support Op 'Round' with these
        attrs: [T=DT_INT8]" (TF also names the node, which the Session adds).
    """
    if x.dtype in allowed:
        return
    raise invalid(
        f"No OpKernel was registered to support Op '{op_type}' with these attrs: "
        f"[{attr}={dt_name(x.dtype)}]"
    )


def dt_name(dtype: np.dtype) -> str:
    """TF's enum spelling of a dtype: ``DT_FLOAT``, ``DT_INT8``, ``DT_STRING``."""
    if dtype.kind == "O":
        return "DT_STRING"
    return "DT_" + dtypes.as_dtype(dtype).type_string.upper()


def _out(value: Any, dtype: Any) -> Array:
    return np.asarray(value, dtype=dtype)


# --------------------------------------------------------------------------- element-wise


def _squared_difference(x: Array, y: Array) -> Array:
    diff = x - y
    return diff * np.conj(diff) if diff.dtype.kind == "c" else diff * diff


def _div_no_nan(x: Array, y: Array) -> Array:
    zero = y == 0
    return np.where(zero, np.zeros((), x.dtype), x / np.where(zero, np.ones((), y.dtype), y))


_BINARY: dict[str, tuple[Callable[[Array, Array], Array], frozenset[np.dtype]]] = {
    "SquaredDifference": (
        _squared_difference,
        FLOAT_TYPES | COMPLEX_TYPES | {np.dtype(np.int32), np.dtype(np.int64)},
    ),
    "DivNoNan": (_div_no_nan, FLOAT_TYPES | COMPLEX_TYPES),
}


def _binary_kernel(op_type: str) -> Kernel:
    fn, allowed = _BINARY[op_type]

    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x, y = np.asarray(inputs[0]), np.asarray(inputs[1])
        require_kernel_type(op_type, x, allowed)
        broadcast_shape(x.shape, y.shape)
        with np.errstate(all="ignore"):
            return [_out(fn(x, y), x.dtype)]

    return kernel


def _softplus(x: Array, attrs: Attrs) -> Array:
    threshold = np.log(ml_dtypes.finfo(x.dtype).eps) + 2  # negative (ml_dtypes.finfo knows bfloat16)
    e = np.exp(x)
    mid = np.log(e + np.ones((), x.dtype))
    return np.where(x > -threshold, x, np.where(x < threshold, e, mid))


def _leaky_relu(x: Array, attrs: Attrs) -> Array:
    alpha = np.asarray(attrs.get("alpha", 0.2), x.dtype)
    return np.where(x > 0, x, x * alpha)


_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_SCALE_ALPHA = 1.7580993408473768599402175208123


def _selu(x: Array, attrs: Attrs) -> Array:
    scale = np.asarray(_SELU_SCALE, x.dtype)
    scale_alpha = np.asarray(_SELU_SCALE_ALPHA, x.dtype)
    return np.where(x < 0, scale_alpha * (np.exp(x) - np.ones((), x.dtype)), scale * x)


def _sign(x: Array, attrs: Attrs) -> Array:
    if x.dtype.kind != "c":
        # np.sign keeps -0.0; TF returns +0.0 for both zeros and NaN for NaN.
        one = np.ones((), x.dtype)
        return np.where(x > 0, one, np.where(x < 0, -one, np.where(x == 0, 0 * one, x)))
    re, im = np.abs(x.real), np.abs(x.imag)
    # Eigen's hypot: max * sqrt(1 + (min/max)^2), with max/min that skip a NaN operand.
    p, q = np.fmax(re, im), np.fmin(re, im)
    safe_p = np.where(p == 0, 1, p)
    modulus = p * np.sqrt(1 + (q / safe_p) ** 2)
    safe = np.where(modulus == 0, 1, modulus)
    # Each part is divided by the real modulus (C++ complex / real), not complex division.
    out = (x.real / safe) + 1j * (x.imag / safe)
    return np.where(x == 0, 0, out)


def _round(x: Array, attrs: Attrs) -> Array:
    if x.dtype.kind in "iu":
        return np.zeros_like(x)  # TF 2.21's CPU kernel on ints (see the module docstring)
    return np.round(x)


def _reciprocal(x: Array, attrs: Attrs) -> Array:
    if x.dtype.kind == "c":
        return _complex_reciprocal(x)
    return np.ones((), x.dtype) / x


def _complex_reciprocal(x: Array) -> Array:
    """``1 / x`` as C++ ``std::complex`` divides: ``1 / 0`` is ``inf + nan j`` as in TF."""
    with np.errstate(all="ignore"):
        out = np.ones((), x.dtype) / x
    zero = x == 0
    return np.where(zero, np.asarray(complex(np.inf, np.nan), x.dtype), out)


_UNARY: dict[str, tuple[Callable[[Array, Attrs], Array], frozenset[np.dtype]]] = {
    "Softplus": (_softplus, FLOAT_TYPES),
    "LeakyRelu": (_leaky_relu, FLOAT_TYPES),
    "Selu": (_selu, FLOAT_TYPES),
    "Reciprocal": (_reciprocal, FLOAT_TYPES | COMPLEX_TYPES),
    "Inv": (_reciprocal, FLOAT_TYPES | COMPLEX_TYPES),
    "Sign": (_sign, FLOAT_TYPES | COMPLEX_TYPES | SIGNED_TYPES),
    "Round": (_round, FLOAT_TYPES | {np.dtype(np.int32), np.dtype(np.int64)}),
    "Ceil": (lambda x, _: np.ceil(x), FLOAT_TYPES),
    "Sin": (lambda x, _: np.sin(x), FLOAT_TYPES | COMPLEX_TYPES),
    "Cos": (lambda x, _: np.cos(x), FLOAT_TYPES | COMPLEX_TYPES),
    "IsNan": (lambda x, _: np.isnan(x), FLOAT_TYPES),
    "IsFinite": (lambda x, _: np.isfinite(x), FLOAT_TYPES),
}
_BOOL_RESULT = {"IsNan", "IsFinite"}


def _unary_kernel(op_type: str) -> Kernel:
    fn, allowed = _UNARY[op_type]
    out_dtype = np.bool_ if op_type in _BOOL_RESULT else None

    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x = np.asarray(inputs[0])
        require_kernel_type(op_type, x, allowed)
        with np.errstate(all="ignore"):
            return [_out(fn(x, attrs), out_dtype or x.dtype)]

    return kernel


for _name in _BINARY:
    register_kernel(_name)(_binary_kernel(_name))
for _name in _UNARY:
    register_kernel(_name)(_unary_kernel(_name))


# --------------------------------------------------------------------------- ClipByValue

_CLIP_TYPES = FLOAT_TYPES | COMPLEX_TYPES | SIGNED_TYPES | {np.dtype(np.uint8), np.dtype(np.uint16)}


@register_kernel("ClipByValue")
def _clip_by_value(inputs: list[Any], attrs: Attrs) -> list[Any]:
    t, lo, hi = (np.asarray(v) for v in inputs)
    require_kernel_type("ClipByValue", t, _CLIP_TYPES)
    for bound in (lo, hi):
        if bound.shape != t.shape and bound.ndim != 0:
            raise invalid(
                "clip_value_min and clip_value_max must be either of the same shape as input, "
                f"or a scalar. input shape: {shape_str(t.shape)}clip_value_min shape: "
                f"{shape_str(lo.shape)}clip_value_max shape: {shape_str(hi.shape)}"
            )
    if t.dtype.kind == "c":  # Eigen clips the real and imaginary parts separately
        re = _clip(t.real, lo.real, hi.real)
        return [_out(re + 1j * _clip(t.imag, lo.imag, hi.imag), t.dtype)]
    return [_out(_clip(t, lo, hi), t.dtype)]


def _clip(t: Array, lo: Array, hi: Array) -> Array:
    # std::min(t, hi) = hi < t ? hi : t; std::max(m, lo) = m < lo ? lo : m.
    with np.errstate(all="ignore"):
        upper = np.where(hi < t, hi, t)
        return np.where(upper < lo, lo, upper)


# --------------------------------------------------------------------------- L2Loss


@register_kernel("L2Loss")
def _l2_loss(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    require_kernel_type("L2Loss", x, FLOAT_TYPES)
    with np.errstate(all="ignore"):
        half = np.asarray(0.5, x.dtype)
        return [_out(np.sum(np.square(x) * half, dtype=x.dtype), x.dtype)]


# --------------------------------------------------------------------------- MatrixBandPart

_BAND_TYPES = NUMBER_TYPES | {np.dtype(np.bool_)}


def _band_limit(value: Any, what: str, dim_name: str, size: int) -> int:
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise invalid(f"{what} must be scalar, got shape {shape_str(arr.shape)}")
    limit = int(arr)
    if limit > size:
        raise invalid(
            f"{what} must be negative or less or equal to number of {dim_name} ({size}) "
            f"got: {limit}"
        )
    return limit


@register_kernel("MatrixBandPart")
def _matrix_band_part(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    require_kernel_type("MatrixBandPart", x, _BAND_TYPES)
    if x.ndim < 2:
        raise invalid(f"input must be at least 2-dim, received shape: {shape_str(x.shape)}")
    rows, cols = x.shape[-2:]
    lower = _band_limit(inputs[1], "num_lower", "rows", rows)
    upper = _band_limit(inputs[2], "num_upper", "columns", cols)
    i = np.arange(rows)[:, None]
    j = np.arange(cols)[None, :]
    keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
    return [np.where(keep, x, np.zeros((), x.dtype))]


# --------------------------------------------------------------------------- InTopKV2


@register_kernel("InTopKV2")
def _in_top_k(inputs: list[Any], attrs: Attrs) -> list[Any]:
    predictions, targets, k_in = (np.asarray(v) for v in inputs)
    if predictions.ndim != 2:
        raise invalid("predictions must be 2-dimensional")
    if targets.ndim != 1:
        raise invalid("targets must be 1-dimensional")
    if predictions.shape[0] != targets.shape[0]:
        raise invalid(
            f"First dimension of predictions {predictions.shape[0]} must match length of "
            f"targets {targets.shape[0]}"
        )
    if k_in.ndim != 0:
        raise invalid(f"k must be 0-D, got shape {shape_str(k_in.shape)}")
    k = int(k_in)
    batch, classes = predictions.shape
    valid = (targets >= 0) & (targets < classes)
    rows = np.arange(batch)
    target_pred = predictions[rows, np.where(valid, targets, 0)] if classes else np.zeros(batch)
    finite_rows = np.all(np.isfinite(predictions), axis=1)
    with np.errstate(invalid="ignore"):
        more = np.sum(predictions > target_pred[:, None], axis=1)
    ok = valid & np.isfinite(target_pred) & finite_rows & (more < k)
    return [ok.astype(np.bool_)]


# --------------------------------------------------------------------------- shape functions


def _same_as_input(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape]


def _binary_shape(op: Any) -> list[TensorShape]:
    return [shape_fns.broadcast(op.inputs[0].shape, op.inputs[1].shape)]


register_shape(*(set(_UNARY) | {"ClipByValue", "MatrixBandPart"}))(_same_as_input)
register_shape(*_BINARY)(_binary_shape)


@register_shape("L2Loss")
def _l2_loss_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([])]


@register_shape("InTopKV2")
def _in_top_k_shape(op: Any) -> list[TensorShape]:
    predictions, targets = op.inputs[0].shape, op.inputs[1].shape
    batch = predictions[0] if predictions.ndims else None
    if batch is None and targets.ndims:
        batch = targets[0]
    return [TensorShape([batch]) if batch is not None else unknown_shape(1)]
