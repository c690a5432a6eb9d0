"""Functional control flow and TensorLists to ONNX: While -> Loop, If/Case -> If,
TensorList ops -> ONNX sequence ops.

A TF2 ``While`` carries its loop variables through a ``cond`` and a ``body`` function; the
ONNX ``Loop`` gets the initial condition (``cond`` converted inline on the inputs) and a
body graph that runs ``body`` and then ``cond`` on its results. ``If`` branches read the
outer values through Identity nodes (ONNX subgraphs see outer-scope names); ``Case``
becomes a chain of Ifs (an out-of-range index takes the last branch, as in TF).
A TensorList is an ONNX ``seq(tensor)``, empty when reserved: ``TensorListSetItem``
replaces element i if it exists (erase + insert) and appends otherwise, so the loops
``while_loop`` and Keras RNNs write (index i on iteration i, or always index 0) come out
as in TF; stacking a list with elements never written fails in onnxruntime (TF: zeros).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.convert.onnx.builder import OnnxBuilder, const_value
from stowflow.convert.onnx.ops import converts
from stowflow.errors import InvalidArgumentError


def _func(op: Any, attr: str) -> str:
    return str(op.node_def.attr[attr].func.name)


def _shape(tensor: Any) -> list[int | None] | None:
    return tensor.shape.as_list() if tensor.shape.ndims is not None else None


def _body(
    b: OnnxBuilder, name: str, sources: Sequence[str], types: Sequence[Any], shapes: Sequence[Any]
) -> tuple[OnnxBuilder, list[Any], list[Any]]:
    """Converts function ``name`` whose arguments will carry ``sources`` (value names)."""
    from stowflow.convert.onnx.lowering import function_body

    sequences = [b.sequences.get(s) for s in sources]
    child, args, rets = function_body(b, name, types, shapes, sequences)
    return child, args, rets


def _inline(
    b: OnnxBuilder, name: str, sources: Sequence[str], types: Any, shapes: Any
) -> list[str]:
    """Converts function ``name`` into ``b`` itself, its arguments bound to ``sources``."""
    child, args, rets = _body(b, name, sources, types, shapes)
    for arg, source in zip(args, sources, strict=True):
        b.node("Identity", [source], [arg.name])
    b.nodes.extend(child.nodes)
    return [r.name for r in rets]


def _as_bool(b: OnnxBuilder, name: str, tensor: Any) -> str:
    if tensor.dtype.name == "bool":
        return name
    if tensor.shape.ndims not in (0, None):
        raise InvalidArgumentError(
            None, None, f"ONNX export needs a scalar condition; {tensor.name} is {tensor.shape}"
        )
    return b.node("Cast", [name], to=b.onnx.TensorProto.BOOL)[0]


@converts("While", "StatelessWhile")
def _while(b: OnnxBuilder, op: Any) -> None:
    sources = [str(t.name) for t in op.inputs]
    types = [t.dtype for t in op.inputs]
    declared = op.get_attr("output_shapes") if "output_shapes" in op.node_def.attr else []
    shapes = (
        [s.as_list() if s.ndims is not None else None for s in declared]
        if len(declared) == len(sources)
        else [_shape(t) for t in op.inputs]
    )
    cond_fn, body_fn = _func(op, "cond"), _func(op, "body")
    # A frozen resource argument is its variable: take the value's shape, not the handle's.
    signature = b.function(body_fn).signature.input_arg
    shapes = [
        _shape(t) if arg.type == dtypes.resource.as_datatype_enum else shape
        for t, arg, shape in zip(op.inputs, signature, shapes, strict=True)
    ]
    (first,) = _inline(b, cond_fn, sources, types, shapes)
    first = b.node("Cast", [first], to=b.onnx.TensorProto.BOOL)[0]

    body, args, rets = _body(b, body_fn, sources, types, shapes)
    results = [r.name for r in rets]
    for ret, arg in zip(rets, args, strict=True):
        if arg.name in b.sequences:
            b.sequences[ret.name] = b.sequences[arg.name]
    (again,) = _inline(body, cond_fn, results, types, shapes)
    again = body.node("Cast", [again], to=b.onnx.TensorProto.BOOL)[0]
    outs = [body.node("Identity", [r])[0] for r in results]
    for out, arg in zip(outs, args, strict=True):
        if arg.name in b.sequences:
            b.sequences[out] = b.sequences[arg.name]
    iteration, cond_in = b.fresh("iteration"), b.fresh("cond_in")
    h = b.helper
    graph = h.make_graph(
        body.nodes,
        b.fresh(body_fn),
        [
            h.make_tensor_value_info(iteration, b.onnx.TensorProto.INT64, []),
            h.make_tensor_value_info(cond_in, b.onnx.TensorProto.BOOL, []),
            *[b.value_info(a.name, t) for a, t in zip(args, types, strict=True)],
        ],
        [
            h.make_tensor_value_info(again, b.onnx.TensorProto.BOOL, []),
            *[b.value_info(o, t) for o, t in zip(outs, types, strict=True)],
        ],
    )
    names = [str(t.name) for t in op.outputs]
    for name, source in zip(names, sources, strict=True):
        if source in b.sequences:
            b.sequences[name] = b.sequences[source]
    b.node("Loop", ["", first, *sources], names, body=graph)


def _branch(
    b: OnnxBuilder, name: str, sources: Sequence[str], inputs: Sequence[Any], outputs: Sequence[Any]
) -> Any:
    """An If branch graph: no inputs, ``sources`` read from the outer scope."""
    child, args, rets = _body(
        b, name, sources, [t.dtype for t in inputs], [_shape(t) for t in inputs]
    )
    nodes = [
        b.helper.make_node("Identity", [s], [a.name]) for s, a in zip(sources, args, strict=True)
    ]
    outs = [child.node("Identity", [r.name])[0] for r in rets]
    for out, ret in zip(outs, rets, strict=True):
        if ret.name in b.sequences:
            b.sequences[out] = b.sequences[ret.name]
    return b.helper.make_graph(
        nodes + child.nodes,
        b.fresh(name),
        [],
        [b.value_info(o, t.dtype) for o, t in zip(outs, outputs, strict=True)],
    )


def _if_node(
    b: OnnxBuilder, cond: str, then_fn: str, else_fn: str | Any, op: Any, outputs: list[str]
) -> None:
    inputs = list(op.inputs[1:])
    sources = [str(t.name) for t in inputs]
    then_graph = _branch(b, then_fn, sources, inputs, op.outputs)
    else_graph = (
        _branch(b, else_fn, sources, inputs, op.outputs) if isinstance(else_fn, str) else else_fn
    )
    b.node("If", [cond], outputs, then_branch=then_graph, else_branch=else_graph)


@converts("If", "StatelessIf")
def _if(b: OnnxBuilder, op: Any) -> None:
    cond = _as_bool(b, str(op.inputs[0].name), op.inputs[0])
    names = [str(t.name) for t in op.outputs]
    _if_node(b, cond, _func(op, "then_branch"), _func(op, "else_branch"), op, names)


@converts("Case", "StatelessCase")
def _case(b: OnnxBuilder, op: Any) -> None:
    """``index == 0 ? b0 : index == 1 ? b1 : ... : last`` (TF runs the last branch for an
    out-of-range index)."""
    branches = [f.name for f in op.node_def.attr["branches"].list.func]
    index = str(op.inputs[0].name)
    names = [str(t.name) for t in op.outputs]
    inputs = list(op.inputs[1:])
    sources = [str(t.name) for t in inputs]
    types = [t.dtype for t in inputs]
    if len(branches) == 1:
        rets = _inline(b, branches[0], sources, types, [_shape(t) for t in inputs])
        for ret, name in zip(rets, names, strict=True):
            b.node("Identity", [ret], [name])
        return
    # Built from the last branch backwards: the else of "index == k" is the rest.
    rest = _branch(b, branches[-1], sources, inputs, op.outputs)
    for k in range(len(branches) - 2, 0, -1):
        sub = b.child()
        is_k = sub.node("Equal", [index, b.const(np.array(k, np.int32), "branch")])[0]
        outs = [b.fresh("case_out") for _ in names]
        then_graph = _branch(b, branches[k], sources, inputs, op.outputs)
        sub.node("If", [is_k], outs, then_branch=then_graph, else_branch=rest)
        rest = b.helper.make_graph(
            sub.nodes,
            b.fresh("case"),
            [],
            [b.value_info(o, t.dtype) for o, t in zip(outs, op.outputs, strict=True)],
        )
    is_0 = b.node("Equal", [index, b.const(np.array(0, np.int32), "branch")])[0]
    first = _branch(b, branches[0], sources, inputs, op.outputs)
    b.node("If", [is_0], names, then_branch=first, else_branch=rest)


# ----------------------------------------------------------------------- TensorLists


def _element_type(b: OnnxBuilder, op: Any) -> int:
    return b.tensor_type(op.get_attr("element_dtype"))


@converts("TensorListReserve", "EmptyTensorList")
def _reserve(b: OnnxBuilder, op: Any) -> None:
    out = str(op.outputs[0].name)
    b.sequences[out] = _element_type(b, op)
    b.node("SequenceEmpty", [], [out], dtype=b.sequences[out])


@converts("TensorListFromTensor")
def _from_tensor(b: OnnxBuilder, op: Any) -> None:
    out = str(op.outputs[0].name)
    b.sequences[out] = _element_type(b, op)
    b.node("SplitToSequence", [str(op.inputs[0].name)], [out], axis=0, keepdims=0)


@converts("TensorListGetItem")
def _get_item(b: OnnxBuilder, op: Any) -> None:
    b.node(
        "SequenceAt", [str(op.inputs[0].name), str(op.inputs[1].name)], [str(op.outputs[0].name)]
    )


def _set(b: OnnxBuilder, handle: str, index: str, item: str, out: str, elem: int) -> None:
    """``out = handle`` with element ``index`` replaced (or appended at the end)."""
    b.sequences[out] = elem
    h = b.helper
    replace, append = b.child(), b.child()
    erased = replace.node("SequenceErase", [handle, index])[0]
    replaced = replace.node("SequenceInsert", [erased, item, index])[0]
    appended = append.node("SequenceInsert", [handle, item, index])[0]
    branches = [
        h.make_graph(sub.nodes, b.fresh("set_item"), [],
                     [h.make_tensor_sequence_value_info(name, elem, None)])
        for sub, name in ((replace, replaced), (append, appended))
    ]  # fmt: skip
    length = b.node("SequenceLength", [handle])[0]
    position = b.node("Cast", [index], to=b.onnx.TensorProto.INT64)[0]
    inside = b.node("Less", [position, length])[0]
    b.node("If", [inside], [out], then_branch=branches[0], else_branch=branches[1])


@converts("TensorListSetItem")
def _set_item(b: OnnxBuilder, op: Any) -> None:
    handle, index, item = (str(t.name) for t in op.inputs[:3])
    _set(b, handle, index, item, str(op.outputs[0].name), _element_type(b, op))


@converts("TensorListPushBack")
def _push_back(b: OnnxBuilder, op: Any) -> None:
    out = str(op.outputs[0].name)
    b.sequences[out] = _element_type(b, op)
    b.node("SequenceInsert", [str(op.inputs[0].name), str(op.inputs[1].name)], [out])


@converts("TensorListStack")
def _stack(b: OnnxBuilder, op: Any) -> None:
    b.node("ConcatFromSequence", [str(op.inputs[0].name)], [str(op.outputs[0].name)],
           axis=0, new_axis=1)  # fmt: skip


@converts("TensorListLength")
def _length(b: OnnxBuilder, op: Any) -> None:
    n = b.node("SequenceLength", [str(op.inputs[0].name)])[0]
    b.node("Cast", [n], [str(op.outputs[0].name)], to=b.onnx.TensorProto.INT32)


# ------------------------------------------------ TF1 TensorArrays (v3): flow = sequence


@converts("TensorArrayV3")
def _tensor_array(b: OnnxBuilder, op: Any) -> None:
    """The handle is a placeholder scalar; the flow value carries the elements."""
    b.node("Identity", [b.const(np.array(0.0, np.float32), "handle")], [str(op.outputs[0].name)])
    flow = str(op.outputs[1].name)
    b.sequences[flow] = b.tensor_type(op.get_attr("dtype"))
    b.node("SequenceEmpty", [], [flow], dtype=b.sequences[flow])


@converts("TensorArrayWriteV3")
def _ta_write(b: OnnxBuilder, op: Any) -> None:
    _, index, value, flow = (str(t.name) for t in op.inputs)
    elem = b.tensor_type(op.inputs[2].dtype)
    _set(b, flow, index, value, str(op.outputs[0].name), elem)


@converts("TensorArrayReadV3")
def _ta_read(b: OnnxBuilder, op: Any) -> None:
    b.node(
        "SequenceAt", [str(op.inputs[2].name), str(op.inputs[1].name)], [str(op.outputs[0].name)]
    )


@converts("TensorArrayGatherV3")
def _ta_gather(b: OnnxBuilder, op: Any) -> None:
    stacked = b.node("ConcatFromSequence", [str(op.inputs[2].name)], axis=0, new_axis=1)[0]
    b.node("Gather", [stacked, str(op.inputs[1].name)], [str(op.outputs[0].name)], axis=0)


@converts("TensorArraySizeV3")
def _ta_size(b: OnnxBuilder, op: Any) -> None:
    n = b.node("SequenceLength", [str(op.inputs[1].name)])[0]
    b.node("Cast", [n], [str(op.outputs[0].name)], to=b.onnx.TensorProto.INT32)


@converts("TensorArrayScatterV3")
def _ta_scatter(b: OnnxBuilder, op: Any) -> None:
    """``TensorArray.unstack``: scatter at ``range(0, n)`` only."""
    indices = op.inputs[1].op
    start = const_value(indices.inputs[0]) if indices.type == "Range" else None
    delta = const_value(indices.inputs[2]) if indices.type == "Range" else None
    if start is None or delta is None or int(start) != 0 or int(delta) != 1:
        raise InvalidArgumentError(
            None, None, f"{op.name}: only TensorArray.unstack (scatter at range(0, n)) exports"
        )
    out = str(op.outputs[0].name)
    b.sequences[out] = b.tensor_type(op.inputs[2].dtype)
    b.node("SplitToSequence", [str(op.inputs[2].name)], [out], axis=0, keepdims=0)
