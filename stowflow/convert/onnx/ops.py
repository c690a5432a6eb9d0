"""The table from TensorFlow op types to ONNX (opset 17): one converter per TF op.

A converter gets the builder and the stowflow ``Operation`` and emits nodes whose outputs
carry the TF tensor names (``conv/Conv2D:0``). NHWC ops are wrapped in transposes to
ONNX's NCHW; :mod:`stowflow.convert.onnx.optimize` removes the ones that cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.convert import layouts
from stowflow.convert.onnx.builder import (
    NCHW_TO_NHWC,
    NHWC_TO_NCHW,
    OnnxBuilder,
    const_value,
    require_const,
    text_attr,
)
from stowflow.errors import InvalidArgumentError

Converter = Callable[[OnnxBuilder, Any], None]
CONVERTERS: dict[str, Converter] = {}


def converts(*op_types: str) -> Callable[[Converter], Converter]:
    """Registers a converter for TF op types (twice raises)."""

    def register(fn: Converter) -> Converter:
        for op_type in op_types:
            if op_type in CONVERTERS:
                raise ValueError(f"ONNX converter for {op_type} registered twice")
            CONVERTERS[op_type] = fn
        return fn

    return register


def _in(op: Any, i: int = 0) -> str:
    return str(op.inputs[i].name)


def _out(op: Any, i: int = 0) -> list[str]:
    return [str(op.outputs[i].name)]


def _nhwc_only(op: Any) -> None:
    fmt = text_attr(op, "data_format")
    if fmt not in ("NHWC", "NDHWC"):
        raise InvalidArgumentError(
            None, None, f"ONNX export supports NHWC {op.type} only; '{op.name}' is {fmt}"
        )


_SIMPLE = {
    "Identity": "Identity", "StopGradient": "Identity", "PreventGradient": "Identity",
    "Snapshot": "Identity", "Relu": "Relu", "Sigmoid": "Sigmoid", "Tanh": "Tanh",
    "Erf": "Erf", "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt", "Neg": "Neg", "Abs": "Abs",
    "Add": "Add", "AddV2": "Add", "Sub": "Sub", "Mul": "Mul", "RealDiv": "Div",
    "Maximum": "Max", "Minimum": "Min", "Pow": "Pow",
}  # fmt: skip


def _simple(b: OnnxBuilder, op: Any) -> None:
    b.node(_SIMPLE[op.type], [str(t.name) for t in op.inputs], _out(op))


converts(*_SIMPLE)(_simple)


@converts("IdentityN")
def _identity_n(b: OnnxBuilder, op: Any) -> None:
    for i in range(len(op.outputs)):
        b.node("Identity", [_in(op, i)], _out(op, i))


@converts("Rsqrt")
def _rsqrt(b: OnnxBuilder, op: Any) -> None:
    b.node("Reciprocal", b.node("Sqrt", [_in(op)]), _out(op))


@converts("Square")
def _square(b: OnnxBuilder, op: Any) -> None:
    b.node("Mul", [_in(op), _in(op)], _out(op))


@converts("SquaredDifference")
def _squared_difference(b: OnnxBuilder, op: Any) -> None:
    diff = b.node("Sub", [_in(op, 0), _in(op, 1)])[0]
    b.node("Mul", [diff, diff], _out(op))


@converts("BiasAdd")
def _bias_add(b: OnnxBuilder, op: Any) -> None:
    _nhwc_only(op)
    b.node("Add", [_in(op, 0), _in(op, 1)], _out(op))


@converts("Relu6")
def _relu6(b: OnnxBuilder, op: Any) -> None:
    np_type = op.inputs[0].dtype.as_numpy_dtype
    low, high = b.const(np.array(0, np_type), "zero"), b.const(np.array(6, np_type), "six")
    b.node("Clip", [_in(op), low, high], _out(op))


@converts("Softmax", "LogSoftmax")
def _softmax(b: OnnxBuilder, op: Any) -> None:
    b.node(op.type, [_in(op)], _out(op), axis=-1)


@converts("Cast")
def _cast(b: OnnxBuilder, op: Any) -> None:
    b.node("Cast", [_in(op)], _out(op), to=b.tensor_type(op.outputs[0].dtype))


@converts("MatMul")
def _matmul(b: OnnxBuilder, op: Any) -> None:
    a, c = _in(op, 0), _in(op, 1)
    if op.get_attr("transpose_a"):
        a = b.node("Transpose", [a], perm=[1, 0])[0]
    if op.get_attr("transpose_b"):
        c = b.node("Transpose", [c], perm=[1, 0])[0]
    b.node("MatMul", [a, c], _out(op))


@converts("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
def _batch_matmul(b: OnnxBuilder, op: Any) -> None:
    names = [_in(op, 0), _in(op, 1)]
    for i, flag in enumerate(("adj_x", "adj_y")):
        if op.get_attr(flag):
            value = const_value(op.inputs[i])
            rank = value.ndim if value is not None else op.inputs[i].shape.ndims
            if rank is None:
                raise InvalidArgumentError(None, None, f"{op.name}: {flag} needs a known rank")
            perm = [*range(rank - 2), rank - 1, rank - 2]
            names[i] = b.node("Transpose", [names[i]], perm=perm)[0]
    b.node("MatMul", names, _out(op))


def _spatial(op: Any, name: str) -> list[int]:
    return [int(v) for v in op.get_attr(name)[1:-1]]


def _padding(op: Any) -> dict[str, Any]:
    padding = text_attr(op, "padding")
    if padding == "SAME":
        return {"auto_pad": "SAME_UPPER"}  # TF puts the odd padding at the end
    if padding == "VALID":
        return {"auto_pad": "VALID"}
    explicit = [int(v) for v in op.get_attr("explicit_paddings")]
    pairs = [explicit[i : i + 2] for i in range(2, len(explicit) - 2, 2)]
    return {"pads": [p[0] for p in pairs] + [p[1] for p in pairs]}


def _nchw(b: OnnxBuilder, op: Any, onnx_type: str, inputs: list[str], **attrs: Any) -> None:
    x = b.node("Transpose", [_in(op)], perm=list(NHWC_TO_NCHW))[0]
    y = b.node(onnx_type, [x, *inputs], **attrs)[0]
    b.node("Transpose", [y], _out(op), perm=list(NCHW_TO_NHWC))


@converts("Conv2D", "DepthwiseConv2dNative")
def _conv(b: OnnxBuilder, op: Any) -> None:
    _nhwc_only(op)
    depthwise = op.type == "DepthwiseConv2dNative"
    kernel = require_const(op.inputs[1], "filter", op)
    kind = "depthwise" if depthwise else "conv"
    weight = b.const(layouts.apply(kind, op.name, kernel), "weight")
    group = int(kernel.shape[2]) if depthwise else 1
    attrs = {
        "strides": _spatial(op, "strides"),
        "dilations": _spatial(op, "dilations"),
        "kernel_shape": [int(kernel.shape[0]), int(kernel.shape[1])],
        "group": group,
        **_padding(op),
    }
    _nchw(b, op, "Conv", [weight], **attrs)


@converts("MaxPool", "AvgPool")
def _pool(b: OnnxBuilder, op: Any) -> None:
    _nhwc_only(op)
    attrs = {"kernel_shape": _spatial(op, "ksize"), "strides": _spatial(op, "strides")}
    attrs.update(_padding(op))
    _nchw(b, op, "MaxPool" if op.type == "MaxPool" else "AveragePool", [], **attrs)


@converts("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
def _batch_norm(b: OnnxBuilder, op: Any) -> None:
    """Inference batch norm as per-channel ``x * k + c`` on the last axis (no transposes)."""
    _nhwc_only(op)
    if op.get_attr("is_training"):
        raise InvalidArgumentError(None, None, f"{op.name}: is_training=True cannot be exported")
    if any(t.consumers() for t in op.outputs[1:]):
        raise InvalidArgumentError(None, None, f"{op.name}: only the first output is exportable")
    eps = float(op.get_attr("epsilon"))
    scale, offset, mean, var = (const_value(t) for t in op.inputs[1:5])
    if scale is None or offset is None or mean is None or var is None:
        np_type = op.inputs[1].dtype.as_numpy_dtype
        denom = b.node("Sqrt", [b.node("Add", [_in(op, 4), b.const(np.array(eps, np_type))])[0]])
        k = b.node("Div", [_in(op, 1), denom[0]])[0]
        c = b.node("Sub", [_in(op, 2), b.node("Mul", [_in(op, 3), k])[0]])[0]
    else:
        k_value = scale / np.sqrt(var + np.float32(eps))
        k = b.const(k_value.astype(scale.dtype), "bn_scale")
        c = b.const((offset - mean * k_value).astype(scale.dtype), "bn_shift")
    b.node("Add", [b.node("Mul", [_in(op), k])[0], c], _out(op))


@converts("Pad", "PadV2")
def _pad(b: OnnxBuilder, op: Any) -> None:
    paddings = require_const(op.inputs[1], "paddings", op).astype(np.int64)
    pads = b.int64s(np.concatenate([paddings[:, 0], paddings[:, 1]]), "pads")
    inputs = [_in(op), pads] + ([_in(op, 2)] if op.type == "PadV2" else [])
    b.node("Pad", inputs, _out(op), mode="constant")


@converts("Reshape")
def _reshape(b: OnnxBuilder, op: Any) -> None:
    shape = const_value(op.inputs[1])
    static = op.outputs[0].shape
    if shape is None and static.ndims is not None:
        dims = static.as_list()
        # stowflow's static shape with at most one unknown dim is a constant target
        # (ONNX's allowzero forbids mixing 0 and -1)
        if sum(d is None for d in dims) <= 1 and not (None in dims and 0 in dims):
            shape = np.array([-1 if d is None else d for d in dims], np.int64)
    target = (
        b.int64s(shape, "shape")
        if shape is not None
        else b.node("Cast", [_in(op, 1)], to=b.onnx.TensorProto.INT64)[0]
    )
    # TF's 0 is a zero-size dim; ONNX before opset 14 (no allowzero) reads it as "copy".
    extra = {"allowzero": 1} if b.opset >= 14 else {}
    b.node("Reshape", [_in(op), target], _out(op), **extra)


@converts("Transpose")
def _transpose(b: OnnxBuilder, op: Any) -> None:
    perm = require_const(op.inputs[1], "perm", op)
    b.node("Transpose", [_in(op)], _out(op), perm=[int(p) for p in perm])


@converts("ConcatV2")
def _concat(b: OnnxBuilder, op: Any) -> None:
    axis = int(require_const(op.inputs[-1], "axis", op))
    b.node("Concat", [str(t.name) for t in op.inputs[:-1]], _out(op), axis=axis)


@converts("GatherV2")
def _gather(b: OnnxBuilder, op: Any) -> None:
    if op.get_attr("batch_dims"):
        raise InvalidArgumentError(None, None, f"{op.name}: batch_dims != 0 is not exportable")
    axis = int(require_const(op.inputs[2], "axis", op))
    b.node("Gather", [_in(op, 0), _in(op, 1)], _out(op), axis=axis)


_REDUCTIONS = {"Mean": "ReduceMean", "Sum": "ReduceSum", "Max": "ReduceMax", "Min": "ReduceMin",
               "Prod": "ReduceProd"}  # fmt: skip


@converts(*_REDUCTIONS)
def _reduce(b: OnnxBuilder, op: Any) -> None:
    axes = [int(a) for a in np.atleast_1d(require_const(op.inputs[1], "reduction axes", op))]
    keep = int(bool(op.get_attr("keep_dims")))
    if not axes:  # TF reduces nothing; ONNX would reduce everything
        b.node("Identity", [_in(op)], _out(op))
        return
    onnx_type = _REDUCTIONS[op.type]
    if onnx_type == "ReduceSum":  # axes became an input in opset 13; the others in 18
        b.node(onnx_type, [_in(op), b.int64s(axes, "axes")], _out(op), keepdims=keep)
    else:
        b.node(onnx_type, [_in(op)], _out(op), axes=axes, keepdims=keep)


@converts("Squeeze")
def _squeeze(b: OnnxBuilder, op: Any) -> None:
    dims = [int(d) for d in op.get_attr("squeeze_dims")]
    inputs = [_in(op)] + ([b.int64s(dims, "axes")] if dims else [])
    b.node("Squeeze", inputs, _out(op))


@converts("ExpandDims")
def _expand_dims(b: OnnxBuilder, op: Any) -> None:
    axis = np.atleast_1d(require_const(op.inputs[1], "axis", op))
    b.node("Unsqueeze", [_in(op), b.int64s(axis, "axes")], _out(op))


_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


@converts("StridedSlice")
def _strided_slice(b: OnnxBuilder, op: Any) -> None:
    if op.get_attr("ellipsis_mask") or op.get_attr("new_axis_mask"):
        raise InvalidArgumentError(
            None, None, f"{op.name}: StridedSlice with ellipsis/new_axis masks is not exportable"
        )
    begin, end, strides = (
        require_const(op.inputs[i], what, op).astype(np.int64).tolist()
        for i, what in ((1, "begin"), (2, "end"), (3, "strides"))
    )
    begin_mask, end_mask = op.get_attr("begin_mask"), op.get_attr("end_mask")
    shrink = op.get_attr("shrink_axis_mask")
    starts, ends, squeeze = [], [], []
    for i, (lo, hi, step) in enumerate(zip(begin, end, strides, strict=True)):
        if shrink >> i & 1:
            starts.append(lo)
            ends.append(_INT64_MAX if lo == -1 else lo + 1)
            squeeze.append(i)
            continue
        starts.append((_INT64_MAX if step < 0 else 0) if begin_mask >> i & 1 else lo)
        ends.append((_INT64_MIN if step < 0 else _INT64_MAX) if end_mask >> i & 1 else hi)
    axes = list(range(len(begin)))
    inputs = [_in(op), b.int64s(starts), b.int64s(ends), b.int64s(axes), b.int64s(strides)]
    if not squeeze:
        b.node("Slice", inputs, _out(op))
        return
    sliced = b.node("Slice", inputs)[0]
    b.node("Squeeze", [sliced, b.int64s(squeeze, "axes")], _out(op))
