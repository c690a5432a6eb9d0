"""Export a frozen GraphDef or a TF1 SavedModel signature to an ONNX model.

The graph is imported into stowflow (shapes and dtypes come from stowflow's inference),
the ops between the outputs and the inputs are converted through
:data:`~stowflow.convert.onnx.ops.CONVERTERS`, NHWC transposes are cancelled, and the
model is checked with ``onnx.checker``. An op type with no converter fails the export
listing every such type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from stowflow import _fs
from stowflow._extras import require
from stowflow.convert.errors import UnmappedOpsError
from stowflow.convert.onnx import tf2
from stowflow.convert.onnx.builder import OnnxBuilder
from stowflow.convert.onnx.ops import CONVERTERS
from stowflow.convert.onnx.optimize import cancel_transposes
from stowflow.errors import InvalidArgumentError

DEFAULT_OPSET = 17


@dataclass
class Export:
    """An exported model and what the exporter did."""

    model: Any
    transposes_left: int
    input_names: list[str]
    output_names: list[str]

    def save(self, path: str) -> None:
        """Writes the model file atomically."""
        _fs.write_atomic(path, self.model.SerializeToString())


def _tensor_name(name: str) -> str:
    return name if ":" in name else name + ":0"


def _needed_ops(graph: Any, outputs: list[Any], inputs: set[str]) -> list[Any]:
    """Ops between inputs and outputs, inputs first (a DFS post-order)."""
    order: list[Any] = []
    seen: set[str] = set()
    stack: list[tuple[Any, bool]] = [(t.op, False) for t in reversed(outputs)]
    while stack:
        op, expanded = stack.pop()
        if expanded:
            order.append(op)
            continue
        if op.name in seen:
            continue
        seen.add(op.name)
        stack.append((op, True))
        for t in op.inputs:
            if t.name not in inputs and t.op.name not in seen:
                stack.append((t.op, False))
    return order


def _value_info(b: OnnxBuilder, name: str, tensor: Any) -> Any:
    dims = tensor.shape.as_list() if tensor.shape.ndims is not None else None
    shape = None if dims is None else [d if d is not None else "N" for d in dims]
    return b.helper.make_tensor_value_info(name, b.tensor_type(tensor.dtype), shape)


def export_graph_def(
    graph_def: Any,
    inputs: Sequence[str],
    outputs: Sequence[str],
    *,
    opset: int = DEFAULT_OPSET,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
) -> Export:
    """Converts the part of a frozen ``graph_def`` between ``inputs`` and ``outputs``.

    Args:
        graph_def: a GraphDef with variables frozen into constants.
        inputs / outputs: TF tensor names (``"x:0"``; ``"x"`` means ``"x:0"``).
        opset: the ONNX opset (13 or newer; default 17).
        input_names / output_names: ONNX names for them (default: the TF names).

    Returns:
        An :class:`Export` (``.model`` is the checked ``onnx.ModelProto``).

    Raises:
        UnmappedOpsError: listing every op type without an ONNX mapping.
        InvalidArgumentError: for ops whose attrs the mapping cannot express.
        MissingExtraError: if ``onnx`` is not installed (``pip install 'stowflow[convert]'``).
    """
    onnx = require("onnx", "convert")
    from stowflow.graph.core import Graph
    from stowflow.graph.importer import import_graph_def

    if opset < 13:
        raise InvalidArgumentError(None, None, f"opset {opset} is too old; use 13 or newer")
    graph = Graph()
    with graph.as_default():
        import_graph_def(graph_def, name="")
    in_tensors = [graph.get_tensor_by_name(_tensor_name(n)) for n in inputs]
    out_tensors = [graph.get_tensor_by_name(_tensor_name(n)) for n in outputs]
    in_set = {t.name for t in in_tensors}
    ops = _needed_ops(graph, out_tensors, in_set)
    known = {*CONVERTERS, "Placeholder", "Const"}
    unmapped = sorted({op.type for op in ops if op.type not in known})
    if unmapped:
        raise UnmappedOpsError(None, None, f"No ONNX mapping for op types: {', '.join(unmapped)}")
    missing = sorted(
        op.name for op in ops if op.type == "Placeholder" and op.outputs[0].name not in in_set
    )
    if missing:
        raise InvalidArgumentError(None, None, f"outputs depend on unfed placeholders {missing}")
    b = OnnxBuilder(onnx, opset)
    for op in ops:
        if op.type not in ("Placeholder", "Const"):  # Consts become initializers below
            CONVERTERS[op.type](b, op)
    _add_consts(b, ops)
    onnx_in = list(input_names or [t.name for t in in_tensors])
    onnx_out = list(output_names or [t.name for t in out_tensors])
    for tf_name, new in zip([t.name for t in in_tensors], onnx_in, strict=True):
        _rename(b, tf_name, new)
    for t, new in zip(out_tensors, onnx_out, strict=True):
        if new != t.name:
            b.node("Identity", [t.name], [new])
    nodes, left = cancel_transposes(b.nodes, b.initializers, set(onnx_out))
    graph_proto = b.helper.make_graph(
        nodes,
        "stowflow_export",
        [_value_info(b, n, t) for n, t in zip(onnx_in, in_tensors, strict=True)],
        [_value_info(b, n, t) for n, t in zip(onnx_out, out_tensors, strict=True)],
        initializer=list(b.initializers.values()),
    )
    model = b.helper.make_model(
        graph_proto,
        producer_name="stowflow",
        opset_imports=[b.helper.make_opsetid("", opset)],
    )
    _fill_unknown_output_types(onnx, model)
    onnx.checker.check_model(model, full_check=True)
    return Export(model, left, onnx_in, onnx_out)


def _fill_unknown_output_types(onnx: Any, model: Any) -> None:
    """Outputs whose rank stowflow could not infer take ONNX's inferred type."""
    unknown = [o for o in model.graph.output if not o.type.tensor_type.HasField("shape")]
    if not unknown:
        return
    inferred = onnx.shape_inference.infer_shapes(model)
    found = {v.name: v.type for v in [*inferred.graph.value_info, *inferred.graph.output]}
    for output in unknown:
        if output.name in found and found[output.name].tensor_type.HasField("shape"):
            output.type.CopyFrom(found[output.name])


def _add_consts(b: OnnxBuilder, ops: list[Any]) -> None:
    """Consts read by an emitted node become initializers under their TF tensor name."""
    read = {i for n in b.nodes for i in n.input}
    for op in ops:
        if op.type == "Const" and op.outputs[0].name in read:
            value = np.asarray(op.get_attr("value"))
            b.initializers[op.outputs[0].name] = b.onnx.numpy_helper.from_array(
                value, op.outputs[0].name
            )


def _rename(b: OnnxBuilder, old: str, new: str) -> None:
    if old == new:
        return
    for node in b.nodes:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new


def export_saved_model(
    export_dir: str,
    signature_key: str = "serving_default",
    tags: Sequence[str] = ("serve",),
    *,
    opset: int = DEFAULT_OPSET,
) -> Export:
    """Freezes a SavedModel signature (TF1, or TF2 with its function calls inlined) and
    exports it; the ONNX input and output names are the signature keys.

    Raises:
        InvalidArgumentError: for an unknown signature key (listing the known ones).
        UnmappedOpsError: as :func:`export_graph_def`.
    """
    from stowflow.graph import graph_util
    from stowflow.graph.core import Graph
    from stowflow.graph.session import Session
    from stowflow.saved_model import loader

    graph = Graph()
    with Session(graph=graph) as sess:
        meta = loader.load(sess, list(tags), export_dir)
        if signature_key not in meta.signature_def:
            known = ", ".join(sorted(meta.signature_def)) or "none"
            raise InvalidArgumentError(
                None,
                None,
                f"SavedModel {export_dir} has no signature {signature_key!r}; known: {known}",
            )
        sig = meta.signature_def[signature_key]
        in_keys, out_keys = sorted(sig.inputs), sorted(sig.outputs)
        out_tensors = [sig.outputs[k].name for k in out_keys]
        if tf2.is_tf2(meta):
            values = tf2.variable_values(sess, graph)
            frozen = tf2.freeze_reads(tf2.inline_calls(meta.graph_def), values)
        else:
            frozen = graph_util.convert_variables_to_constants(
                sess, graph.as_graph_def(), sorted({n.split(":")[0] for n in out_tensors})
            )
    return export_graph_def(
        frozen,
        [sig.inputs[k].name for k in in_keys],
        out_tensors,
        opset=opset,
        input_names=in_keys,
        output_names=out_keys,
    )
