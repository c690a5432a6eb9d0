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

from stowflow import _fs
from stowflow._extras import require
from stowflow.convert.errors import UnmappedOpsError
from stowflow.convert.onnx import graphs, lowering, tf2, v1_control_flow
from stowflow.convert.onnx.builder import OnnxBuilder
from stowflow.convert.onnx.optimize import cancel_transposes
from stowflow.errors import InvalidArgumentError

#: 13: Split/Squeeze/Unsqueeze/ReduceSum take axes as inputs and Loop/If carry sequences
#: (TensorLists). 17 is the newest opset whose ReduceMean/Max/Min/Prod still take axes as an
#: attribute, which the converters and the transpose pass use (18 made them inputs).
MIN_OPSET, MAX_OPSET = 13, 17
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


def _value_info(b: OnnxBuilder, name: str, tensor: Any, hint: Any = None) -> Any:
    """The graph input/output type: stowflow's static shape, or ``hint`` (dims) where
    stowflow's rank is unknown."""
    dims = tensor.shape.as_list() if tensor.shape.ndims is not None else None
    if dims is None and hint is not None:
        dims = list(hint)
    shape = None if dims is None else [d if d is not None else "N" for d in dims]
    return b.value_info(name, tensor.dtype, shape)


def export_graph_def(
    graph_def: Any,
    inputs: Sequence[str],
    outputs: Sequence[str],
    *,
    opset: int = DEFAULT_OPSET,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    output_shapes: Sequence[Any] | None = None,
) -> Export:
    """Converts the part of a frozen ``graph_def`` between ``inputs`` and ``outputs``.

    Args:
        graph_def: a GraphDef with variables frozen into constants.
        inputs / outputs: TF tensor names (``"x:0"``; ``"x"`` means ``"x:0"``).
        opset: the ONNX opset (13 to 17; default 17).
        input_names / output_names: ONNX names for them (default: the TF names).
        output_shapes: dims lists (None: unknown) for outputs whose rank stowflow cannot
            infer (a signature's TensorInfo shapes).

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

    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise InvalidArgumentError(
            None,
            None,
            f"opset {opset} is not supported; use {MIN_OPSET} to {MAX_OPSET} (default "
            f"{DEFAULT_OPSET})",
        )
    graph_def = graphs.prune(graph_def, [*inputs, *outputs])
    if v1_control_flow.has_v1_control_flow(graph_def):
        graph_def, v1_shapes = _functionalize(graph_def, outputs)
        graph_def = graphs.prune(graph_def, [*inputs, *outputs])
        output_shapes = output_shapes or v1_shapes
    graph = Graph()
    with graph.as_default():
        import_graph_def(graph_def, name="")
    in_tensors = [graph.get_tensor_by_name(_tensor_name(n)) for n in inputs]
    out_tensors = [graph.get_tensor_by_name(_tensor_name(n)) for n in outputs]
    in_set = {t.name for t in in_tensors}
    ops = lowering.needed_ops(out_tensors, in_set)
    live = [op for op in ops if lowering.folded(op) is None]  # constant parts need no mapping
    unmapped = lowering.unmapped_op_types(live, graph_def.library)
    if unmapped:
        raise UnmappedOpsError(None, None, f"No ONNX mapping for op types: {', '.join(unmapped)}")
    missing = sorted(
        op.name for op in ops if op.type == "Placeholder" and op.outputs[0].name not in in_set
    )
    if missing:
        raise InvalidArgumentError(None, None, f"outputs depend on unfed placeholders {missing}")
    b = OnnxBuilder(onnx, opset, graph_def.library)
    lowering.convert_ops(b, ops)
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
        [
            _value_info(b, n, t, h)
            for n, t, h in zip(
                onnx_out, out_tensors, output_shapes or [None] * len(onnx_out), strict=True
            )
        ],
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


def _functionalize(graph_def: Any, outputs: Sequence[str]) -> tuple[Any, list[Any]]:
    """TF1 loops and conds as While/StatelessIf (dtypes from stowflow's import of the
    TF1 graph, which also gives the outputs' static shapes: the loop's are lost)."""
    from stowflow.graph.core import Graph
    from stowflow.graph.importer import import_graph_def

    graph = Graph()
    with graph.as_default():
        import_graph_def(graph_def, name="")

    def dtype_of(ref: str) -> int:
        return int(graph.get_tensor_by_name(ref).dtype.as_datatype_enum)

    shapes = []
    for name in outputs:
        shape = graph.get_tensor_by_name(_tensor_name(name)).shape
        shapes.append(shape.as_list() if shape.ndims is not None else None)
    return v1_control_flow.functionalize(graph_def, dtype_of), shapes


def _fill_unknown_output_types(onnx: Any, model: Any) -> None:
    """Outputs whose rank stowflow could not infer take ONNX's inferred type.

    Raises:
        InvalidArgumentError: naming the outputs whose rank neither can tell (ONNX needs
            it on graph outputs).
    """
    unknown = [o for o in model.graph.output if not o.type.tensor_type.HasField("shape")]
    unknown = [o for o in unknown if o.type.WhichOneof("value") == "tensor_type"]
    if not unknown:
        return
    inferred = onnx.shape_inference.infer_shapes(model)
    found = {v.name: v.type for v in [*inferred.graph.value_info, *inferred.graph.output]}
    for output in unknown:
        if output.name in found and found[output.name].tensor_type.HasField("shape"):
            output.type.CopyFrom(found[output.name])
    still = [o.name for o in unknown if not o.type.tensor_type.HasField("shape")]
    if still:
        raise InvalidArgumentError(
            None,
            None,
            f"the rank of outputs {still} is unknown to stowflow's and ONNX's shape inference; "
            "pass output_shapes (a SavedModel signature's TensorInfo gives them)",
        )


def _rename(b: OnnxBuilder, old: str, new: str) -> None:
    """Renames value ``old`` wherever it is read, subgraphs included."""
    if old == new:
        return

    def walk(nodes: Any) -> None:
        for node in nodes:
            for i, name in enumerate(node.input):
                if name == old:
                    node.input[i] = new
            for attr in node.attribute:
                if attr.HasField("g"):
                    walk(attr.g.node)

    walk(b.nodes)


def export_saved_model(
    export_dir: str,
    signature_key: str = "serving_default",
    tags: Sequence[str] = ("serve",),
    *,
    opset: int = DEFAULT_OPSET,
    output_keys: Sequence[str] | None = None,
) -> Export:
    """Freezes a SavedModel signature (TF1, or TF2 with its function calls inlined) and
    exports it; the ONNX input and output names are the signature keys.

    Variables become initializers: resource variables the outputs need are read once and
    frozen (:func:`~stowflow.convert.onnx.graphs.freeze_resources`), TF1 ref variables go
    through ``graph_util.convert_variables_to_constants``.

    Args:
        output_keys: export only these signature outputs (default: all of them).

    Raises:
        InvalidArgumentError: for an unknown signature or output key (listing the known ones).
        UnmappedOpsError: as :func:`export_graph_def`.
    """
    from stowflow.saved_model import loader

    meta = loader.find_meta_graph(loader.parse_saved_model(export_dir), list(tags), export_dir)
    if signature_key not in meta.signature_def:
        known = ", ".join(sorted(meta.signature_def)) or "none"
        raise InvalidArgumentError(
            None,
            None,
            f"SavedModel {export_dir} has no signature {signature_key!r}; known: {known}",
        )
    sig = meta.signature_def[signature_key]
    out_keys = sorted(sig.outputs) if output_keys is None else list(output_keys)
    unknown = [k for k in out_keys if k not in sig.outputs]
    if unknown:
        raise InvalidArgumentError(
            None,
            None,
            f"signature {signature_key!r} has no outputs {unknown}; "
            f"known: {', '.join(sorted(sig.outputs))}",
        )
    in_keys = sorted(sig.inputs)
    in_tensors = [sig.inputs[k].name for k in in_keys]
    flat = tf2.inline_calls(meta.graph_def)
    out_tensors = [graphs.through_identity_n(flat, sig.outputs[k].name) for k in out_keys]
    roots = [*in_tensors, *out_tensors]
    frozen = _freeze_from_checkpoint(export_dir, flat, roots)
    if frozen is None:
        frozen = _freeze_in_session(export_dir, tags, flat, roots)
    return export_graph_def(
        frozen,
        in_tensors,
        out_tensors,
        opset=opset,
        input_names=in_keys,
        output_names=out_keys,
        output_shapes=[_dims(sig.outputs[k].tensor_shape) for k in out_keys],
    )


def export_meta_graph(
    meta_graph_path: str,
    checkpoint_prefix: str,
    inputs: Sequence[str],
    outputs: Sequence[str],
    *,
    opset: int = DEFAULT_OPSET,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    output_shapes: Sequence[Any] | None = None,
) -> Export:
    """Exports a TF1 Saver's ``.meta`` graph with the variables of ``checkpoint_prefix``.

    Args:
        meta_graph_path: the ``.meta`` file (a MetaGraphDef).
        checkpoint_prefix: the checkpoint the Saver wrote (``model.ckpt``).
        inputs / outputs / opset / input_names / output_names / output_shapes: as
            :func:`export_graph_def`.

    Raises:
        OSError: if the ``.meta`` file cannot be read.
        UnmappedOpsError: as :func:`export_graph_def`.
    """
    from stowflow import checkpoint
    from stowflow.proto import meta_graph_pb2

    meta = meta_graph_pb2.MetaGraphDef()
    with open(meta_graph_path, "rb") as f:
        meta.ParseFromString(f.read())
    roots = [*inputs, *outputs]
    pruned = graphs.prune(meta.graph_def, roots)
    handles = graphs.handle_names(pruned)
    keys = graphs.restore_keys(meta.graph_def)
    if any(n.op in ("VariableV2", "Variable") for n in pruned.node) or any(
        h not in keys for h in handles
    ):
        frozen = _freeze_meta_in_session(meta, checkpoint_prefix, roots)
    else:
        values = checkpoint.load(checkpoint_prefix, sorted({keys[h] for h in handles}))
        frozen = graphs.freeze_resources(pruned, {h: values[keys[h]] for h in handles})
    return export_graph_def(
        frozen,
        inputs,
        outputs,
        opset=opset,
        input_names=input_names,
        output_names=output_names,
        output_shapes=output_shapes,
    )


def _freeze_meta_in_session(meta: Any, prefix: str, roots: list[str]) -> Any:
    from stowflow.graph.core import Graph
    from stowflow.graph.session import Session
    from stowflow.training import meta_graph as meta_lib

    graph = Graph()
    with Session(graph=graph) as sess, graph.as_default():
        saver = meta_lib.import_meta_graph(meta)
        if saver is None:
            raise InvalidArgumentError(None, None, "the meta graph has no Saver to restore")
        saver.restore(sess, prefix)
        return _freeze(sess, graph, meta.graph_def, roots)


def _dims(proto: Any) -> list[int | None] | None:
    """A TensorShapeProto as dims (None: unknown)."""
    if proto.unknown_rank:
        return None
    return [d.size if d.size >= 0 else None for d in proto.dim]


def _freeze_from_checkpoint(export_dir: str, flat: Any, roots: list[str]) -> Any | None:
    """Resource variables read straight from the SavedModel's checkpoint (no Session),
    or None when the graph has ref variables or handles the restore ops do not name."""
    import os

    from stowflow import checkpoint

    pruned = graphs.prune(flat, roots)
    if any(n.op in ("VariableV2", "Variable") for n in pruned.node):
        return None
    handles = graphs.handle_names(pruned)
    if not handles:
        return pruned
    keys = graphs.restore_keys(flat)
    if any(h not in keys for h in handles):
        return None
    prefix = os.path.join(export_dir, "variables", "variables")
    values = checkpoint.load(prefix, sorted({keys[h] for h in handles}))
    return graphs.freeze_resources(pruned, {h: values[keys[h]] for h in handles})


def _freeze_in_session(export_dir: str, tags: Sequence[str], flat: Any, roots: list[str]) -> Any:
    """Loads the SavedModel into a Session and freezes what ``roots`` need."""
    from stowflow.graph.core import Graph
    from stowflow.graph.session import Session
    from stowflow.saved_model import loader

    graph = Graph()
    with Session(graph=graph) as sess:
        loader.load_internal(sess, list(tags), export_dir)
        return _freeze(sess, graph, flat, roots)


def _freeze(sess: Any, graph: Any, flat: Any, roots: list[str]) -> Any:
    """The part of the (inlined) graph ``roots`` need, variables as constants."""
    from stowflow.graph import graph_util

    flat = graphs.prune(flat, roots)
    in_session = {op.name for op in graph.get_operations()}
    handles = [h for h in graphs.handle_names(flat) if h in in_session]
    frozen = graphs.freeze_resources(flat, tf2.variable_values(sess, graph, handles))
    ref_variables = [n.name for n in frozen.node if n.op in ("VariableV2", "Variable")]
    if ref_variables:
        frozen = graph_util.convert_variables_to_constants(
            sess, frozen, sorted({graphs.node_name(r) for r in roots})
        )
    return frozen
