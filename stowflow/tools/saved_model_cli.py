"""``stowflow show|run|scan``: TensorFlow's ``saved_model_cli``, without TensorFlow.

Output matches TF 2.21's ``saved_model_cli`` (``tensorflow/python/tools/saved_model_cli.py``)
character for character: the same headers, indentation, sort orders and Python reprs. Two
lines print a Python ``set`` (``--all``/``--list_ops`` ops, ``scan``); a set's order comes from
string hashes, which CPython randomizes per process. We build those sets with the same
sequence of insertions as TF, so the order is identical whenever both processes use the same
``PYTHONHASHSEED`` (the goldens use 0) and the same CPython hash function.

Where stowflow deliberately differs:

* errors are one line on stderr (``stowflow show: error: <TF's message>``) and exit 1, not a
  traceback; usage errors exit 2; key lists in messages (``Please choose from ...``) are
  sorted, where TF prints protobuf map order (which varies from run to run);
* ``--input_exprs`` accepts NumPy constructor calls under an allowlist instead of TF's
  ``literal_eval`` (see :mod:`stowflow.tools.input_parsing`); ``--inputs`` refuses pickled
  data unless ``--allow_pickle`` is given;
* ``show --all`` on TF2 SavedModels lists the concrete functions from the SavedObjectGraph
  proto instead of loading the model; TensorSpecs and Python values print as TF prints them,
  other TypeSpecs (ragged, sparse ...) only approximately;
* ``run`` confines the model's file-touching ops to ``--dir`` (plus ``--allow_path``):
  anything else is ``PermissionDeniedError``; ``scan`` adds a section listing string
  constants that look like paths outside the model (only when there are some).
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from stowflow import _fs, debug, dtypes, errors, tensors
from stowflow.graph import coverage, file_policy
from stowflow.graph import shape as shape_lib
from stowflow.graph.core import Graph
from stowflow.graph.session import Session
from stowflow.proto import types_pb2
from stowflow.saved_model import constants, loader, native
from stowflow.tools import freeze_graph, input_parsing

OP_DENYLIST = frozenset(["WriteFile", "ReadFile", "PrintV2"])
"""TF's ``_OP_DENYLIST`` (the set is rebuilt in TF's order for printing)."""

MAX_SAVED_MODEL_BYTES = 1 << 31
"""A ``saved_model.pb`` larger than protobuf's 2 GiB limit is refused before reading."""


class CliError(Exception):
    """A failure reported as one line on stderr with exit code 1."""


# ------------------------------------------------------------------------- reading the model
def read_saved_model(saved_model_dir: str) -> Any:
    """``saved_model_utils.read_saved_model``: ``saved_model.pb`` first, then ``.pbtxt``.

    Parsing is :func:`stowflow.saved_model.loader.parse_saved_model`'s; this adds TF's CLI
    message for a missing file and refuses files over protobuf's 2 GiB limit before reading.

    Raises:
        CliError: TF's messages for a missing file; an oversized, unreadable or unparsable one.
    """
    if not loader.maybe_saved_model_directory(saved_model_dir):
        raise CliError(f"SavedModel file does not exist at: {saved_model_dir}")
    path = os.path.join(saved_model_dir, constants.SAVED_MODEL_FILENAME_PB)
    if not _fs.isfile(path):
        path = os.path.join(saved_model_dir, constants.SAVED_MODEL_FILENAME_PBTXT)
    if _fs.getsize(path) > MAX_SAVED_MODEL_BYTES:
        raise CliError(f"{path} is larger than protobuf's 2 GiB limit")
    try:
        return loader.parse_saved_model(saved_model_dir)
    except errors.OpError as e:  # the loader's own size limit (ResourceExhaustedError)
        raise CliError(e.message) from None
    except (OSError, ValueError) as e:
        raise CliError(str(e)) from None


def sanitize_tags(tag_set: str) -> list[str]:
    """TF's ``_sanitize_nonempty_str_list``: strip items, drop empties, require one.

    Raises:
        CliError: if no tag is left.
    """
    tags = [t.strip() for t in tag_set.split(",") if t.strip()]
    if not tags:
        raise CliError("tag_set must contain at least one non-empty item.")
    return tags


def get_meta_graph_def(saved_model: Any, tag_set: str) -> Any:
    """The MetaGraphDef whose tags equal the comma-separated ``tag_set`` (empty tags ignored).

    Raises:
        CliError: TF's message listing the tag-sets (each joined in Python set order).
    """
    wanted = set([t for t in tag_set.split(",") if t])
    valid = []
    for meta in saved_model.meta_graphs:
        tags = set(meta.meta_info_def.tags)
        if tags == wanted:
            return meta
        valid.append(",".join(tags))
    raise CliError(
        f"MetaGraphDef associated with tag-set {tag_set} could not be found in the "
        f"SavedModel. Please use one of the following tag-sets: {valid}"
    )


def _meta_graph(saved_model_dir: str, tag_set: str) -> Any:
    tags = ",".join(sanitize_tags(tag_set))
    return get_meta_graph_def(read_saved_model(saved_model_dir), tags)


def ops_used_by_graph_def(graph_def: Any) -> list[str]:
    """TF's ``meta_graph.ops_used_by_graph_def``, with the same set insertions (see module doc).

    Functions called by ``PartitionedCall``/``StatefulPartitionedCall`` (or used as op types)
    are followed; function names are not ops.
    """
    functions = {f.signature.name: f for f in graph_def.library.function}
    used: set[str] = set()
    pending: list[Any] = []

    def mark(op: str) -> None:
        if op not in used and op in functions:
            pending.append(functions[op])
        used.add(op)

    def visit(node: Any) -> None:
        mark(node.op)
        if node.op in ("PartitionedCall", "StatefulPartitionedCall"):
            mark(node.attr["f"].func.name if "f" in node.attr else "")

    for node in graph_def.node:
        visit(node)
    while pending:
        for node in pending.pop().node_def:
            visit(node)
    return [op for op in used if op not in functions]


def _tags_repr(meta: Any) -> str:
    return str(list(meta.meta_info_def.tags))


# ------------------------------------------------------------------------------------- show
_DTYPE_NAMES = {value: name for name, value in types_pb2.DataType.items()}


def _tensor_info_lines(info: Any, indent: int) -> list[str]:
    pad = "  " * indent
    shape = info.tensor_shape
    dims = (
        "unknown_rank" if shape.unknown_rank else f"({', '.join(str(d.size) for d in shape.dim)})"
    )
    return [
        f"{pad}    dtype: {_DTYPE_NAMES[info.dtype]}",
        f"{pad}    shape: {dims}",
        f"{pad}    name: {info.name}",
    ]


def _signature(meta: Any, key: str) -> Any:
    if key not in meta.signature_def:
        raise CliError(
            f'Could not find signature "{key}". Please choose from: '
            f"{', '.join(sorted(meta.signature_def.keys()))}"
        )
    return meta.signature_def[key]


def signature_lines(meta: Any, key: str, indent: int = 0) -> list[str]:
    """``_show_inputs_outputs_mgd``: the inputs, outputs and method name of one SignatureDef."""
    signature = _signature(meta, key)
    pad = "  " * indent
    lines = [pad + "The given SavedModel SignatureDef contains the following input(s):"]
    for name, info in sorted(signature.inputs.items()):
        lines.append(f"{pad}  inputs['{name}'] tensor_info:")
        lines.extend(_tensor_info_lines(info, indent + 1))
    lines.append(pad + "The given SavedModel SignatureDef contains the following output(s):")
    for name, info in sorted(signature.outputs.items()):
        lines.append(f"{pad}  outputs['{name}'] tensor_info:")
        lines.extend(_tensor_info_lines(info, indent + 1))
    lines.append(f"{pad}Method name is: {signature.method_name}")
    return lines


def _ops_line(meta: Any) -> str:
    ops = set(ops_used_by_graph_def(meta.graph_def))
    return f"The MetaGraph with tag set {_tags_repr(meta)} contains the following ops: {ops}"


def _tag_sets_lines(saved_model: Any) -> list[str]:
    sets = [list(m.meta_info_def.tags) for m in saved_model.meta_graphs]
    return ["The given SavedModel contains the following tag-sets:"] + [
        repr(", ".join(sorted(tags))) for tags in sorted(sets)
    ]


def _signature_keys_lines(meta: Any) -> list[str]:
    return ["The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:"] + [
        f'SignatureDef key: "{key}"' for key in sorted(meta.signature_def.keys())
    ]


def show_all(saved_model: Any) -> str:
    """``show --all``: every MetaGraphDef's signatures and ops, then the concrete functions."""
    parts: list[str] = []
    for meta in sorted(saved_model.meta_graphs, key=lambda m: list(m.meta_info_def.tags)):
        tags = ", ".join(meta.meta_info_def.tags)
        parts.append(
            f"\nMetaGraphDef with tag-set: '{tags}' contains the following SignatureDefs:\n"
        )
        for key in sorted(meta.signature_def.keys()):
            parts.append(f"\nsignature_def['{key}']:\n")
            parts.append("".join(line + "\n" for line in signature_lines(meta, key, indent=1)))
        parts.append(_ops_line(meta) + "\n")
    parts.append(concrete_functions_text(saved_model.meta_graphs))
    return "".join(parts)


def op_coverage_text(graph_defs: list[tuple[str, Any]]) -> str:
    """``show --ops``: per graph, each op type with its node count and whether stowflow
    runs it (graph nodes plus the library functions they call)."""
    lines: list[str] = []
    for title, graph_def in graph_defs:
        counts = coverage.op_type_counts(graph_def)
        missing = sorted(t for t in counts if not coverage.runnable(t))
        lines.append(
            f"{title}: {len(counts)} op types in {sum(counts.values())} nodes; stowflow runs "
            f"{len(counts) - len(missing)} of them"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
        width = max((len(t) for t in counts), default=7)
        lines.append(f"  {'op type':<{width}}  {'nodes':>6}  runs")
        for op_type, count in sorted(counts.items()):
            status = "yes" if coverage.runnable(op_type) else "NO"
            lines.append(f"  {op_type:<{width}}  {count:>6}  {status}")
    return "".join(line + "\n" for line in lines)


def _graphs_for_ops(args: argparse.Namespace) -> list[tuple[str, Any]]:
    """The GraphDefs ``show --ops`` describes: a GraphDef file, or a SavedModel's
    MetaGraphDefs (all of them, or the one of --tag_set)."""
    if _fs.isfile(args.dir):
        return [(args.dir, freeze_graph.read_graph_def(args.dir))]
    if args.tag_set is not None:
        meta = _meta_graph(args.dir, args.tag_set)
        return [(f"MetaGraphDef with tag-set '{args.tag_set}'", meta.graph_def)]
    return [
        (f"MetaGraphDef with tag-set '{', '.join(m.meta_info_def.tags)}'", m.graph_def)
        for m in read_saved_model(args.dir).meta_graphs
    ]


def show(args: argparse.Namespace) -> str:
    """The text ``saved_model_cli show`` prints for these flags."""
    if getattr(args, "ops", False):
        return op_coverage_text(_graphs_for_ops(args))
    if args.all:
        return show_all(read_saved_model(args.dir))
    lines: list[str] = []
    if args.tag_set is None:
        if args.list_ops:
            lines.append("--list_ops must be paired with a tag-set or with --all.")
        lines.extend(_tag_sets_lines(read_saved_model(args.dir)))
        return "".join(line + "\n" for line in lines)
    meta = _meta_graph(args.dir, args.tag_set)
    if args.list_ops:
        lines.append(_ops_line(meta))
    if args.signature_def is None:
        lines.extend(_signature_keys_lines(meta))
    else:
        lines.extend(signature_lines(meta, args.signature_def))
    return "".join(line + "\n" for line in lines)


# ----------------------------------------------------------- TF2 functions (show --all)
class TensorShape:
    """Prints as TF's ``TensorShape``: ``(None, 3)``, ``(2,)``, ``<unknown>``."""

    def __init__(self, proto: Any) -> None:
        self.dims: list[int | None] | None = tensors.shape_from_proto(proto)

    def __iter__(self) -> Iterator[int | None]:
        return iter(self.dims or [])

    def __str__(self) -> str:
        if self.dims is None:
            return "<unknown>"
        return repr(tuple(self.dims))

    __repr__ = __str__


class DType:
    """Prints as TF's ``DType``: ``tf.float32`` (repr), ``<dtype: 'float32'>`` (str)."""

    def __init__(self, enum: int) -> None:
        self.name = dtypes.as_dtype(enum).name

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: {self.name!r}>"


class TensorSpec:
    """Prints as TF's ``TensorSpec`` (``BoundedTensorSpec`` adds minimum/maximum)."""

    def __init__(self, proto: Any, bounds: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.name: str | None = proto.name or None
        self.shape = TensorShape(proto.shape)
        self.dtype = DType(proto.dtype)
        self.bounds = bounds

    def __repr__(self) -> str:
        head = f"shape={self.shape}, dtype={self.dtype!r}, name={self.name!r}"
        if self.bounds is None:
            return f"TensorSpec({head})"
        low, high = self.bounds
        return f"BoundedTensorSpec({head}, minimum={low!r}, maximum={high!r})"


class OpaqueTypeSpec:
    """A TypeSpec stowflow does not model (ragged, sparse ...): printed approximately."""

    def __init__(self, proto: Any) -> None:
        self.class_name = proto.type_spec_class_name or _TYPE_SPEC_NAMES.get(
            proto.type_spec_class, "TypeSpec"
        )
        self.state = decode_structure(proto.type_state)

    def __repr__(self) -> str:
        state = self.state if isinstance(self.state, tuple) else (self.state,)
        return f"{self.class_name}({', '.join(repr(s) for s in state)})"


_TYPE_SPEC_NAMES = {
    1: "SparseTensorSpec",
    2: "IndexedSlicesSpec",
    3: "RaggedTensorSpec",
    4: "TensorArraySpec",
    5: "DatasetSpec",
    7: "OptionalSpec",
    9: "VariableSpec",
    10: "RowPartitionSpec",
}


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "none_value": lambda v: None,
    "float64_value": float,
    "int64_value": int,
    "string_value": str,
    "bool_value": bool,
    "tensor_shape_value": TensorShape,
    "tensor_dtype_value": DType,
    "tensor_spec_value": TensorSpec,
    "bounded_tensor_spec_value": lambda v: TensorSpec(
        v, (tensors.make_ndarray(v.minimum), tensors.make_ndarray(v.maximum))
    ),
    "type_spec_value": OpaqueTypeSpec,
    "list_value": lambda v: [decode_structure(x) for x in v.values],
    "tuple_value": lambda v: tuple(decode_structure(x) for x in v.values),
    "dict_value": lambda v: {k: decode_structure(x) for k, x in sorted(v.fields.items())},
    "named_tuple_value": lambda v: tuple(decode_structure(p.value) for p in v.values),
    "tensor_value": tensors.make_ndarray,
    "numpy_value": tensors.make_ndarray,
}


def decode_structure(value: Any) -> Any:
    """A ``StructuredValue`` (struct.proto) as the Python value TF's nested_structure_coder gives."""
    kind = value.WhichOneof("kind")
    if kind is None:
        return None
    return _DECODERS[kind](getattr(value, kind))


def _quoted(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _argument_lines(arguments: Iterable[Any], label: str = "Argument") -> str:
    """TF's ``_print_args`` at indent 4, including its literal backspaces after lists."""
    pad = "        "
    out = []
    for index, element in enumerate(arguments, 1):
        out.append(f"{pad}{label} #{index}\n")
        if isinstance(element, str):
            out.append(f"{pad}  {element}\n")
        elif isinstance(element, TensorSpec):
            out.append(f"{pad}  {element.name}: {element!r}\n")
        elif isinstance(element, dict):
            items = "".join(f"'{k}': {_quoted(v)}, " for k, v in element.items())
            out.append(f"{pad}  DType: dict\n{pad}  Value: {{{items}\b\b}}\n")
        elif isinstance(element, list | tuple | TensorShape):
            items = "".join(f"{_quoted(v)}, " for v in element)
            out.append(f"{pad}  DType: {type(element).__name__}\n{pad}  Value: [{items}\b\b]\n")
        else:
            out.append(f"{pad}  DType: {type(element).__name__}\n{pad}  Value: {element}\n")
    return "".join(out)


def _function_signature(graph: Any, name: str) -> tuple[Any, Any]:
    function = graph.concrete_functions.get(name)
    if function is None or not function.HasField("canonicalized_input_signature"):
        return None, None
    signature = decode_structure(function.canonicalized_input_signature)
    if isinstance(signature, tuple) and len(signature) == 2:
        return signature[0], signature[1]
    return None, None


def _concrete_names(graph: Any, node: Any) -> list[tuple[str, list[str]]] | None:
    """(concrete function name, fallback argument keywords) for a function-like object."""
    kind = node.WhichOneof("kind")
    if kind == "function":
        return [(name, []) for name in node.function.concrete_functions]
    if kind == "bare_concrete_function":
        bare = node.bare_concrete_function
        return [(bare.concrete_function_name, list(bare.argument_keywords))]
    return None


def concrete_functions_text(meta_graphs: Iterable[Any]) -> str:
    """``_show_defined_functions``, read from the SavedObjectGraph instead of loading the model.

    The root object's function children are listed by name; each one's concrete functions
    (sorted by name) print their ``canonicalized_input_signature``.
    """
    graphs = [m.object_graph_def for m in meta_graphs if m.HasField("object_graph_def")]
    if not graphs:
        return ""
    graph = graphs[0]
    out = ["\nConcrete Functions:"]
    children = sorted(graph.nodes[0].children, key=lambda c: c.local_name) if graph.nodes else []
    for child in children:
        concrete = _concrete_names(graph, graph.nodes[child.node_id])
        if concrete is None:
            continue
        out.append(f"\n  Function Name: '{child.local_name}'\n")
        for index, (name, keywords) in enumerate(sorted(concrete), 1):
            args, kwargs = _function_signature(graph, name)
            if args is None and keywords:
                args = keywords
            if args:
                out.append(f"    Option #{index}\n      Callable with:\n")
                out.append(_argument_lines(args))
            if kwargs:
                out.append(_argument_lines(kwargs, "Named Argument"))
    return "".join(out)


# -------------------------------------------------------------------------------------- run
def run_saved_model(
    saved_model_dir: str,
    tag_set: str,
    signature_def_key: str,
    feeds_by_key: dict[str, Any],
    outdir: str | None,
    overwrite: bool,
    emit: Callable[[str], None] = print,
    wrap_session: Callable[[Session], Any] | None = None,
    allowed_paths: Iterable[str] = (),
) -> None:
    """``run_saved_model_with_feed_dict``: loads the MetaGraph into a Session, runs, saves.

    The model runs confined to its directory plus ``allowed_paths``
    (``native.sandbox_policy``): an op touching any other file raises PermissionDeniedError.

    ``wrap_session`` (``--tf_debug``) wraps the loaded Session for the signature's run only
    (restoring the variables is not debugged), as TF wraps it in tfdbg's CLI session.

    Results are emitted as they are computed, so a later failure (an existing output
    file) leaves the earlier results printed, as in TF.

    Raises:
        CliError: bad tag-set, signature or input key; an output key that is not a plain
            file name (a path separator, ``..``, an absolute path); an output file exists
            without ``overwrite``; an output directory that is a file.
        errors.OpError: from the graph (a missing feed, a bad value).
    """
    tags = sanitize_tags(tag_set)
    meta = get_meta_graph_def(read_saved_model(saved_model_dir), ",".join(tags))
    inputs = _signature(meta, signature_def_key).inputs
    for key in feeds_by_key:
        if key not in inputs:
            choices = '"' + '", "'.join(sorted(inputs.keys())) + '"'
            raise CliError(
                f'"{key}" is not a valid input key. Please choose from {choices}, or use '
                "--show option."
            )
    feed_dict = {inputs[key].name: value for key, value in feeds_by_key.items()}
    outputs = meta.signature_def[signature_def_key].outputs
    keys = sorted(outputs.keys())
    if outdir:
        for key in keys:  # before running: a bad key must not leave half the files written
            _check_output_key(key)
    session = Session(graph=Graph())
    file_policy.confine(session, native.sandbox_policy(saved_model_dir, allowed_paths))
    try:
        loader.load(session, tags, saved_model_dir)
        runner = wrap_session(session) if wrap_session is not None else session
        results = runner.run([outputs[k].name for k in keys], feed_dict=feed_dict)
    finally:
        session.close()
    for key, result in zip(keys, results, strict=True):
        emit(f"Result for output key {key}:\n{result}")
        if outdir:
            path = _output_path(outdir, key, overwrite)
            with _fs.atomic_writer(path) as f:
                np.save(f, result)
            emit(f"Output {key} is saved to {path}")


def _check_output_key(key: str) -> None:
    """Refuses a SignatureDef output key that would not name a plain file inside ``--outdir``.

    Raises:
        CliError: for an empty key, a path separator, ``..``/``.``, a NUL or a drive/root.
    """
    separators = [s for s in (os.sep, os.altsep, "/", "\\") if s]
    if (
        key in ("", ".", "..")
        or any(s in key for s in separators)
        or "\0" in key
        or os.path.isabs(key)
        or os.path.splitdrive(key)[0]
    ):
        raise CliError(f"Output key {key!r} cannot be used as a file name in --outdir")


def _output_path(outdir: str, key: str, overwrite: bool) -> str:
    _check_output_key(key)
    if not os.path.isdir(outdir):
        try:
            os.makedirs(outdir)
        except OSError as e:
            raise CliError(str(e)) from None
    path = os.path.join(outdir, key + ".npy")
    if not overwrite and os.path.exists(path):
        raise CliError(
            f'Output file {path} already exists. Add "--overwrite" to overwrite the existing '
            "output files."
        )
    return path


# ------------------------------------------------------------------------------------- scan
def _denylist_set(op_denylist: str) -> set[str]:
    return {op.strip() for op in op_denylist.split(",") if op and op.strip()}


def scan_meta_graph_def(meta: Any, denylist: set[str]) -> str:
    """``scan_meta_graph_def``: the denylisted ops the MetaGraph uses, or that it uses none."""
    used = set(ops_used_by_graph_def(meta.graph_def))
    found = denylist & used
    if found:
        return (
            f"MetaGraph with tag set {_tags_repr(meta)} contains the following denylisted ops: "
            f"{found}\n"
        )
    return (
        f"MetaGraph with tag set {_tags_repr(meta)} does not contain the default denylisted "
        f"ops: {denylist}\n"
    )


def _string_constants(graph_def: Any) -> Iterator[tuple[str, str]]:
    """(node label, text) of every string Const in the graph and its function library."""
    nodes = [(n.name, n) for n in graph_def.node]
    nodes += [
        (f"{n.name}' of function '{f.signature.name}", n)
        for f in graph_def.library.function
        for n in f.node_def
    ]
    for label, node in nodes:
        if node.op != "Const" or "value" not in node.attr:
            continue
        tensor = node.attr["value"].tensor
        if tensor.dtype == types_pb2.DT_STRING:
            for raw in tensor.string_val:
                yield label, raw.decode("utf-8", "replace")


def scan_outside_paths(meta: Any, saved_model_dir: str) -> str:
    """stowflow's extra ``scan`` section: string constants naming files outside the model.

    Empty when there are none, so clean models print exactly TF's output. The asset
    tensors are left out: the loader feeds them (TF writes the export-time path there),
    and ``stowflow run`` refuses any other use of a path outside the model.
    """
    assets = {a.tensor_info.name.split(":")[0] for a in loader.asset_file_defs(meta)}
    found = sorted(
        {
            (text, label)
            for label, text in _string_constants(meta.graph_def)
            if label not in assets and file_policy.looks_outside(text, [saved_model_dir])
        }
    )
    if not found:
        return ""
    lines = [f"  {text!r} in node '{label}'\n" for text, label in found]
    return (
        f"MetaGraph with tag set {_tags_repr(meta)} contains string constants that look like "
        "paths outside the SavedModel (stowflow run refuses to touch them):\n" + "".join(lines)
    )


def scan(args: argparse.Namespace) -> str:
    """The text ``saved_model_cli scan`` prints for these flags, plus stowflow's section on
    constants naming files outside the model (:func:`scan_outside_paths`)."""
    # TF's literal set, rebuilt in the same order so it prints the same under a fixed seed.
    denylist = (
        _denylist_set(args.op_denylist)
        if args.op_denylist
        else set(["WriteFile", "ReadFile", "PrintV2"])
    )
    if args.tag_set:
        metas = [_meta_graph(args.dir, args.tag_set)]
    else:
        metas = list(read_saved_model(args.dir).meta_graphs)
    return "".join(
        scan_meta_graph_def(m, denylist) + scan_outside_paths(m, args.dir) for m in metas
    )


# ------------------------------------------------------------------------------ the commands
def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "t", "1", "yes"):
        return True
    if lowered in ("false", "f", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _flag(parser: argparse.ArgumentParser, name: str, help: str) -> None:
    """A boolean flag as absl spells it: ``--name`` or ``--name=true|false``."""
    parser.add_argument(
        f"--{name}", nargs="?", const=True, default=False, type=_bool, metavar="BOOL", help=help
    )


def _dir_flags(parser: argparse.ArgumentParser, tag_help: str, required_tags: bool) -> None:
    parser.add_argument("--dir", required=True, help="directory containing the SavedModel")
    parser.add_argument("--tag_set", required=required_tags, default=None, help=tag_help)


_TAG_HELP = "comma-separated tags that identify one MetaGraphDef (all of its tags)"

_SHOW_EPILOG = """examples:
  stowflow show --dir /tmp/saved_model                         # the tag-sets
  stowflow show --dir /tmp/saved_model --tag_set serve         # its SignatureDef keys
  stowflow show --dir /tmp/saved_model --tag_set serve --signature_def serving_default
  stowflow show --dir /tmp/saved_model --tag_set serve --list_ops
  stowflow show --dir /tmp/saved_model --all"""

_RUN_EPILOG = """examples:
  stowflow run --dir /tmp/saved_model --tag_set serve --signature_def serving_default \\
      --inputs 'x=/tmp/x.npy;y=/tmp/in.npz[y]' --outdir /tmp/out
  stowflow run ... --input_exprs 'x=np.ones((2,3), dtype=np.float32);n=[1,2]'
  stowflow run ... --input_exprs 'x=np.random.RandomState(0).rand(2,3)'
  stowflow run ... --input_examples 'inputs=[{"age":[22],"w":[0.5,0.5],"tag":["a"]}]'

--input_exprs never evaluates code: it accepts literals and these NumPy calls only:
  """

_SCAN_EPILOG = """examples:
  stowflow scan --dir /tmp/saved_model                         # ReadFile, WriteFile, PrintV2
  stowflow scan --dir /tmp/saved_model --op_denylist OpA,OpB --tag_set serve"""


def add_show_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of ``stowflow show`` (TF's spelling)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _SHOW_EPILOG
    _dir_flags(parser, _TAG_HELP, required_tags=False)
    parser.add_argument("--signature_def", default=None, help="a SignatureDef key to describe")
    _flag(parser, "all", "print everything: all tag-sets, signatures, ops and functions")
    _flag(parser, "list_ops", "print the ops used by the MetaGraphDef of --tag_set")
    _flag(
        parser,
        "ops",
        "print each op type with its node count and whether stowflow runs it "
        "(--dir may also be a GraphDef .pb/.pbtxt file)",
    )
    return parser


def add_run_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of ``stowflow run`` (TF's spelling, plus ``--allow_pickle``)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    allowed = (
        f"{input_parsing._ALLOWED_CALLS}; on their results: "
        f"{', '.join(sorted(input_parsing._METHOD_NAMES))}. dtype= takes np.float32, 'float32' ..."
    )
    parser.epilog = _RUN_EPILOG + textwrap.fill(allowed, 88, subsequent_indent="  ")
    _dir_flags(parser, _TAG_HELP, required_tags=True)
    parser.add_argument("--signature_def", required=True, help="the SignatureDef key to run")
    parser.add_argument(
        "--inputs",
        default="",
        help="'<key>=<file>' or '<key>=<file>[<name>]' separated by ';' (.npy or .npz)",
    )
    parser.add_argument(
        "--input_exprs",
        default="",
        help="'<key>=<expression>' separated by ';': literals and allowlisted NumPy calls",
    )
    parser.add_argument(
        "--input_examples",
        default="",
        help="'<key>=[{\"feature\": [values]}]' separated by ';': serialized tf.train.Examples",
    )
    parser.add_argument("--outdir", default=None, help="also write each output to OUTDIR/<key>.npy")
    _flag(parser, "overwrite", "overwrite existing output files in --outdir")
    _flag(parser, "allow_pickle", "allow --inputs files holding pickled data (runs their code!)")
    _flag(parser, "tf_debug", "open the debugger (tfdbg) on the run: lt, pt, ni, li, run -f ...")
    parser.add_argument(
        "--tf_debug_dump_dir",
        default=None,
        metavar="DIR",
        help="write every intermediate tensor of the run to DIR (.npy + index.json)",
    )
    parser.add_argument(
        "--allow_path",
        action="append",
        default=[],
        metavar="PATH",
        help="also let the model's ops read and write PATH (a file or directory; repeatable); "
        "by default they may only touch files inside --dir",
    )
    for name in ("init_tpu", "use_tfrt"):
        _flag(parser, name, "accepted for compatibility with TF; ignored")
    parser.add_argument("--worker", default=None, help="accepted for compatibility; ignored")
    return parser


def add_scan_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of ``stowflow scan``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _SCAN_EPILOG
    _dir_flags(parser, _TAG_HELP + " (default: every MetaGraphDef)", required_tags=False)
    parser.add_argument(
        "--op_denylist",
        default=None,
        help="comma-separated ops to report (default: WriteFile,ReadFile,PrintV2)",
    )
    return parser


_REPORTED = (CliError, input_parsing.InputError, errors.OpError, OSError, ValueError, TypeError)


def _guarded(command: str, body: Callable[[], None]) -> int:
    try:
        body()
    except _REPORTED as e:
        sys.stdout.flush()
        message = e.message if isinstance(e, errors.OpError) else str(e)
        print(f"stowflow {command}: error: {' '.join(message.splitlines())}", file=sys.stderr)
        return 1
    return 0


def run_show(args: argparse.Namespace) -> int:
    """``stowflow show``; returns the exit code."""
    return _guarded("show", lambda: sys.stdout.write(show(args)))


def run_scan(args: argparse.Namespace) -> int:
    """``stowflow scan``; returns the exit code."""
    return _guarded("scan", lambda: sys.stdout.write(scan(args)))


def _debug_wrapper(args: argparse.Namespace) -> Callable[[Session], Any] | None:
    """``--tf_debug`` / ``--tf_debug_dump_dir``: how to wrap the Session, or None."""
    if not (args.tf_debug or args.tf_debug_dump_dir):
        return None
    return lambda session: debug.cli_session(session, args.tf_debug, args.tf_debug_dump_dir)


def run_run(args: argparse.Namespace) -> int:
    """``stowflow run``; returns the exit code."""

    def body() -> None:
        if not (args.inputs or args.input_exprs or args.input_examples):
            raise CliError(
                "At least one of --inputs, --input_exprs or --input_examples must be required"
            )
        feeds = input_parsing.load_inputs(
            args.inputs, args.input_exprs, args.input_examples, allow_pickle=args.allow_pickle
        )
        run_saved_model(
            args.dir,
            args.tag_set,
            args.signature_def,
            feeds,
            args.outdir,
            args.overwrite,
            emit=lambda text: print(text, flush=True),
            wrap_session=_debug_wrapper(args),
            allowed_paths=args.allow_path,
        )

    previous = shape_lib._v2_strings[0]
    shape_lib.use_v2_shape_strings(True)  # saved_model_cli runs under TF 2.x behaviour
    try:
        return _guarded("run", body)
    finally:
        shape_lib.use_v2_shape_strings(previous)
