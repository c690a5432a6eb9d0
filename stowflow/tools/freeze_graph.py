"""``stowflow freeze``: TensorFlow's ``freeze_graph`` tool, without TensorFlow.

Takes TF's flags (``tensorflow/python/tools/freeze_graph.py``) and does what it does: load a
GraphDef (``--input_graph``, text unless ``--input_binary``), a MetaGraphDef
(``--input_meta_graph``) or a SavedModel (``--input_saved_model_dir``); restore the variables
from ``--input_checkpoint``; replace the variables the ``--output_node_names`` need by
constants; write the pruned GraphDef to ``--output_graph`` -- always binary, serialized
deterministically, as TF writes it.

Example:
    stowflow freeze --input_graph graph.pbtxt --input_checkpoint model.ckpt-100 \\
        --output_node_names softmax --output_graph frozen.pb
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from stowflow import _fs, errors
from stowflow import checkpoint as ckpt_lib
from stowflow.errors import DataLossError
from stowflow.graph import graph_util
from stowflow.graph.builder import apply_op, apply_op_outputs, constant
from stowflow.graph.core import Graph, Tensor
from stowflow.graph.importer import import_graph_def
from stowflow.graph.session import Session
from stowflow.proto import graph_pb2, meta_graph_pb2, parsing, saver_pb2
from stowflow.saved_model import loader
from stowflow.training.saver import Saver, import_meta_graph

logger = logging.getLogger("tensorflow")

MAX_PROTO_BYTES = 1 << 31
"""Protobuf cannot parse more than 2 GiB; larger input files are refused before reading."""


class FreezeError(ValueError):
    """A bad freeze request (TF's messages where TF has one)."""


def _read_proto(path: str, message: Any, binary: bool, what: str) -> Any:
    if not _fs.isfile(path):
        raise FreezeError(f"Input {what} file '{path}' does not exist!")
    if _fs.getsize(path) > MAX_PROTO_BYTES:
        raise FreezeError(f"Input {what} file '{path}' is larger than protobuf's 2 GiB limit")
    data = _fs.read_limited(path, MAX_PROTO_BYTES, what)
    try:
        if binary:
            parsing.parse_binary(message, data, path)
        else:
            parsing.parse_text(message, data, path, merge=True)
    except DataLossError as e:
        form = "binary" if binary else "text (pass --input_binary for a .pb)"
        raise FreezeError(
            f"Input {what} file '{path}' is not a {form} protobuf: {e.message}"
        ) from None
    return message


def read_graph_def(path: str) -> Any:
    """A GraphDef file: text for ``.pbtxt``/``.pbtext``, binary otherwise.

    Raises:
        FreezeError: for a missing, oversized or unparsable file.
    """
    binary = not path.endswith((".pbtxt", ".pbtext"))
    return _read_proto(path, graph_pb2.GraphDef(), binary, "graph")


def _names(csv: str) -> list[str] | None:
    return csv.replace(" ", "").split(",") if csv else None


def _restore_by_name(sess: Session, graph: Graph, checkpoint: str) -> None:
    """TF's fallback: restore every checkpoint key that names a ``<key>:0`` tensor of the graph.

    Raises:
        FreezeError: if no graph tensor matches (TF: ``No variables to save``).
    """
    with ckpt_lib.Reader(checkpoint) as reader:
        stored_dtypes = reader.get_variable_to_dtype_map()
        stored_keys = sorted(reader.get_variable_to_shape_map())
    targets: list[tuple[str, Tensor]] = []
    for key in stored_keys:
        try:
            targets.append((key, graph.get_tensor_by_name(key + ":0")))
        except (KeyError, ValueError):
            continue
    not_variables = [key for key, t in targets if not _is_variable(t.op.type)]
    if not_variables or not targets:
        # TF's Saver raises TypeError (or "No variables to save"); freeze_graph explains why.
        if not any(_is_variable(op.type) for op in graph.get_operations()):
            raise FreezeError(
                "No variables were found in this model. It is likely the model was frozen "
                "previously. You cannot freeze a graph twice."
            )
        if not_variables:
            raise FreezeError(
                f"checkpoint keys {not_variables} name graph tensors that are not variables"
            )
        raise FreezeError("No variables to save")
    with graph.as_default(), graph.name_scope("stowflow_freeze_restore"):
        restored = apply_op_outputs(
            "RestoreV2",
            {
                "prefix": constant(checkpoint),
                "tensor_names": constant([k for k, _ in targets]),
                "shape_and_slices": constant([""] * len(targets)),
            },
            {"dtypes": [stored_dtypes[k] for k, _ in targets]},
        )
        assigns = [
            _assign(tensor, value, stored_dtypes[key])
            for (key, tensor), value in zip(targets, restored, strict=True)
        ]
    sess.run(assigns)


def _is_variable(op_type: str) -> bool:
    # TF's _has_no_variables test, plus VarHandleOp (resource variables), which it misses.
    return (
        op_type.startswith("Variable") or op_type.endswith("VariableOp") or op_type == "VarHandleOp"
    )


def _assign(variable: Tensor, value: Tensor, dtype: Any) -> Any:
    if variable.op.type == "VarHandleOp":
        return apply_op(
            "AssignVariableOp", {"resource": variable, "value": value}, {"dtype": dtype}
        )
    out = apply_op("Assign", {"ref": variable, "value": value}, {"validate_shape": True})
    return out[0].op if isinstance(out, list) else out


def freeze_graph_with_def_protos(
    input_graph_def: Any,
    input_saver_def: Any,
    input_checkpoint: str,
    output_node_names: str,
    output_graph: str,
    clear_devices: bool = True,
    initializer_nodes: str = "",
    variable_names_whitelist: str = "",
    variable_names_denylist: str = "",
    input_meta_graph_def: Any = None,
    input_saved_model_dir: str | None = None,
    saved_model_tags: list[str] | None = None,
) -> Any:
    """Freezes already-parsed protos; writes ``output_graph`` if given; returns the GraphDef.

    Raises:
        FreezeError: missing checkpoint or output names, no variables to restore.
        errors.OpError: restoring or running the initializers failed.
    """
    if not input_saved_model_dir and not ckpt_lib.checkpoint_exists(input_checkpoint):
        raise FreezeError(f"Input checkpoint '{input_checkpoint}' doesn't exist!")
    if not output_node_names:
        raise FreezeError("You need to supply the name of a node to --output_node_names.")
    if clear_devices:
        source = input_meta_graph_def.graph_def if input_meta_graph_def else input_graph_def
        for node in source.node if source is not None else []:
            node.device = ""
    graph = Graph()
    sess = Session(graph=graph)
    with graph.as_default():
        if input_graph_def is not None:
            import_graph_def(input_graph_def, name="")
        if input_saver_def is not None:
            Saver(saver_def=input_saver_def).restore(sess, input_checkpoint)
        elif input_meta_graph_def is not None:
            restorer = import_meta_graph(input_meta_graph_def, clear_devices=True)
            if restorer is not None:
                restorer.restore(sess, input_checkpoint)
        elif input_saved_model_dir:
            loader.load(sess, saved_model_tags or [], input_saved_model_dir)
        else:
            _restore_by_name(sess, graph, input_checkpoint)
        if initializer_nodes and not input_saved_model_dir and input_saver_def is None:
            sess.run(initializer_nodes.replace(" ", "").split(","))
        graph_def = input_meta_graph_def.graph_def if input_meta_graph_def else input_graph_def
        frozen = graph_util.convert_variables_to_constants(
            sess,
            graph_def,
            output_node_names.replace(" ", "").split(","),
            variable_names_whitelist=_names(variable_names_whitelist),
            variable_names_blacklist=_names(variable_names_denylist),
        )
    sess.close()
    if output_graph:
        _fs.write_atomic(output_graph, frozen.SerializeToString(deterministic=True))
    return frozen


def freeze_graph(
    input_graph: str | None,
    input_saver: str,
    input_binary: bool,
    input_checkpoint: str,
    output_node_names: str,
    restore_op_name: str | None,
    filename_tensor_name: str | None,
    output_graph: str,
    clear_devices: bool,
    initializer_nodes: str,
    variable_names_whitelist: str = "",
    variable_names_denylist: str = "",
    input_meta_graph: str | None = None,
    input_saved_model_dir: str | None = None,
    saved_model_tags: str = "serve",
    checkpoint_version: int = saver_pb2.SaverDef.V2,
) -> Any:
    """TF's ``freeze_graph.freeze_graph``: reads the files, then freezes.

    ``restore_op_name``, ``filename_tensor_name`` and ``checkpoint_version`` are accepted and
    unused, as in TF (stowflow reads V2 checkpoints whatever the flag says).

    Raises:
        FreezeError: for missing or unparsable input files, and as
            :func:`freeze_graph_with_def_protos`.
    """
    del restore_op_name, filename_tensor_name, checkpoint_version
    input_graph_def = None
    if input_saved_model_dir:
        saved_model = loader.parse_saved_model(input_saved_model_dir)
        input_graph_def = loader.find_meta_graph(
            saved_model, [t for t in saved_model_tags.split(",") if t]
        ).graph_def
    elif input_graph:
        input_graph_def = _read_proto(input_graph, graph_pb2.GraphDef(), input_binary, "graph")
    input_meta_graph_def = None
    if input_meta_graph:
        input_meta_graph_def = _read_proto(
            input_meta_graph, meta_graph_pb2.MetaGraphDef(), input_binary, "meta graph"
        )
        print(f"Loaded meta graph file '{input_meta_graph}")
    input_saver_def = None
    if input_saver:
        input_saver_def = _read_proto(input_saver, saver_pb2.SaverDef(), input_binary, "saver")
    return freeze_graph_with_def_protos(
        input_graph_def,
        input_saver_def,
        input_checkpoint,
        output_node_names,
        output_graph,
        clear_devices,
        initializer_nodes,
        variable_names_whitelist,
        variable_names_denylist,
        input_meta_graph_def,
        input_saved_model_dir,
        [t for t in saved_model_tags.replace(" ", "").split(",") if t],
    )


def _bool(text: str) -> bool:
    return text.lower() == "true"  # TF registers exactly this "bool" type


_STRING_FLAGS: dict[str, tuple[str, str]] = {
    "input_graph": ("", "GraphDef file to load (text unless --input_binary)"),
    "input_saver": ("", "SaverDef file to load"),
    "input_checkpoint": ("", "checkpoint prefix holding the variable values"),
    "output_graph": ("", "where to write the frozen GraphDef (binary)"),
    "output_node_names": ("", "comma-separated names of the output nodes"),
    "restore_op_name": ("save/restore_all", "deprecated and unused (as in TF)"),
    "filename_tensor_name": ("save/Const:0", "deprecated and unused (as in TF)"),
    "initializer_nodes": ("", "comma-separated nodes to run after restoring"),
    "variable_names_whitelist": ("", "comma-separated variables to freeze (default: all)"),
    "variable_names_denylist": ("", "comma-separated variables not to freeze"),
    "input_meta_graph": ("", "MetaGraphDef file to load (text unless --input_binary)"),
    "input_saved_model_dir": ("", "SavedModel directory to load instead of graph+checkpoint"),
    "saved_model_tags": ("serve", "comma-separated tags of the SavedModel's MetaGraphDef"),
}


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """TF's freeze_graph flags (``--variable_names_blacklist`` is an alias of the denylist)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "example:\n  stowflow freeze --input_graph graph.pbtxt --input_checkpoint model.ckpt "
        "\\\n      --output_node_names softmax --output_graph frozen.pb"
    )
    for name, (default, help_text) in _STRING_FLAGS.items():
        parser.add_argument(f"--{name}", default=default, help=help_text)
    parser.add_argument(
        "--variable_names_blacklist", dest="variable_names_denylist", help=argparse.SUPPRESS
    )
    parser.add_argument("--checkpoint_version", type=int, default=2, help="1 or 2 (unused)")
    for flag, on, text in (
        ("input_binary", False, "the input files are binary protobufs"),
        ("clear_devices", True, "remove device placements (default true)"),
    ):
        parser.add_argument(f"--{flag}", nargs="?", const=True, type=_bool, default=on, help=text)
    return parser


def run(args: argparse.Namespace) -> int:
    """``stowflow freeze``; returns the exit code (errors: one line on stderr, exit 1)."""
    try:
        if args.checkpoint_version not in (1, 2):
            raise FreezeError(
                f"Invalid checkpoint version (must be '1' or '2'): {args.checkpoint_version}"
            )
        freeze_graph(
            args.input_graph,
            args.input_saver,
            args.input_binary,
            args.input_checkpoint,
            args.output_node_names,
            args.restore_op_name,
            args.filename_tensor_name,
            args.output_graph,
            args.clear_devices,
            args.initializer_nodes,
            args.variable_names_whitelist,
            args.variable_names_denylist,
            args.input_meta_graph,
            args.input_saved_model_dir,
            args.saved_model_tags,
        )
    except (errors.OpError, ValueError, TypeError, OSError, RuntimeError, AssertionError) as e:
        message = e.message if isinstance(e, errors.OpError) else str(e)
        print(f"stowflow freeze: error: {' '.join(message.splitlines())}", file=sys.stderr)
        return 1
    return 0
