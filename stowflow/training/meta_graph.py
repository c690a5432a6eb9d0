"""MetaGraphDef export and import: graph, SaverDef and collections (``.meta`` files)."""

from __future__ import annotations

import logging
from typing import Any

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from stowflow import _fs
from stowflow.graph import op_defs
from stowflow.graph.core import GraphKeys, Operation, Tensor, get_default_graph
from stowflow.graph.importer import import_graph_def
from stowflow.graph.variables import Variable
from stowflow.proto import meta_graph_pb2

logger = logging.getLogger("tensorflow")

TF_VERSION = "2.21.0"
TF_GIT_VERSION = "v2.21.0-rc1-5-ga481b10260d"
_VARIABLE_COLLECTIONS = (
    GraphKeys.GLOBAL_VARIABLES,
    GraphKeys.TRAINABLE_VARIABLES,
    GraphKeys.LOCAL_VARIABLES,
    GraphKeys.MODEL_VARIABLES,
    GraphKeys.MOVING_AVERAGE_VARIABLES,
    GraphKeys.METRIC_VARIABLES,
    GraphKeys.GLOBAL_STEP,
)


def stripped_op_list(graph_def: Any) -> Any:
    """OpDefs of every op type used by ``graph_def`` (as MetaInfoDef.stripped_op_list)."""
    ops = meta_graph_pb2.MetaGraphDef().meta_info_def.stripped_op_list
    for op_type in sorted({n.op for n in graph_def.node}):
        if op_defs.known(op_type):
            ops.op.add().CopyFrom(op_defs.get(op_type))
    return ops


def _add_collection(meta: Any, key: str, items: list[Any]) -> None:
    if key in _VARIABLE_COLLECTIONS and all(isinstance(i, Variable) for i in items):
        meta.collection_def[key].bytes_list.value.extend(
            i.to_proto().SerializeToString() for i in items
        )
    elif all(isinstance(i, Tensor | Operation) for i in items):
        meta.collection_def[key].node_list.value.extend(i.name for i in items)
    elif all(isinstance(i, bytes | str) for i in items):
        meta.collection_def[key].bytes_list.value.extend(
            i.encode() if isinstance(i, str) else i for i in items
        )
    elif all(isinstance(i, bool | int) for i in items):
        meta.collection_def[key].int64_list.value.extend(int(i) for i in items)
    elif all(isinstance(i, float) for i in items):
        meta.collection_def[key].float_list.value.extend(items)
    else:
        logger.warning("Issue encountered when serializing: %s.", key)


def create_meta_graph_def(
    graph: Any = None,
    saver_def: Any = None,
    collection_list: list[str] | None = None,
    clear_devices: bool = False,
    strip_default_attrs: bool = False,
    tags: list[str] | None = None,
) -> Any:
    """A MetaGraphDef of ``graph`` with collections and an optional SaverDef."""
    graph = graph or get_default_graph()
    meta = meta_graph_pb2.MetaGraphDef()
    graph_def = graph.as_graph_def(add_shapes=True)
    if clear_devices:
        for node in graph_def.node:
            node.device = ""
    if strip_default_attrs:
        _strip_default_attrs(graph_def)
        meta.meta_info_def.stripped_default_attrs = True
    meta.meta_info_def.stripped_op_list.CopyFrom(stripped_op_list(graph_def))
    meta.meta_info_def.tensorflow_version = TF_VERSION
    meta.meta_info_def.tensorflow_git_version = TF_GIT_VERSION
    if tags:
        meta.meta_info_def.tags.extend(tags)
    meta.graph_def.CopyFrom(graph_def)
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    keys = collection_list if collection_list is not None else graph.get_all_collection_keys()
    for key in sorted(keys):
        items = graph.get_collection(key)
        if items:
            _add_collection(meta, key, items)
    return meta


def _strip_default_attrs(graph_def: Any) -> None:
    for node in graph_def.node:
        if not op_defs.known(node.op):
            continue
        for attr in op_defs.get(node.op).attr:
            if (
                attr.HasField("default_value")
                and attr.name in node.attr
                and (node.attr[attr.name] == attr.default_value)
            ):
                del node.attr[attr.name]


def write_meta_graph(meta: Any, filename: str, as_text: bool = False) -> None:
    """Writes a MetaGraphDef atomically (binary, or text format)."""
    data = text_format.MessageToString(meta).encode() if as_text else meta.SerializeToString()
    _fs.write_atomic(filename, data)


def read_meta_graph_file(filename: str) -> Any:
    """Parses a ``.meta`` file (binary, falling back to text format).

    Raises:
        OSError: if the file cannot be read.
        ValueError: if it is neither format.
    """
    data = _fs.read_limited(filename, what="MetaGraphDef")
    meta = meta_graph_pb2.MetaGraphDef()
    try:
        meta.ParseFromString(data)
        return meta
    except DecodeError:
        pass
    try:
        text_format.Parse(data.decode("utf-8"), meta)
    except (UnicodeDecodeError, text_format.ParseError) as e:
        raise ValueError(f"{filename} is not a MetaGraphDef (binary or text): {e}") from None
    return meta


def import_scoped_meta_graph(
    meta: Any, clear_devices: bool = False, import_scope: str | None = None
) -> dict[str, Variable]:
    """Imports the graph and collections of ``meta`` into the default graph.

    Returns:
        Variables rebuilt from the ``variables`` collection, by name.
    """
    graph_def = meta.graph_def
    if clear_devices:
        graph_def = type(graph_def)()
        graph_def.CopyFrom(meta.graph_def)
        for node in graph_def.node:
            node.device = ""
    graph = get_default_graph()
    import_graph_def(graph_def, name=import_scope or "")
    prefix = f"{import_scope}/" if import_scope else ""
    variables: dict[str, Variable] = {}
    for key in sorted(meta.collection_def):
        collection = meta.collection_def[key]
        kind = collection.WhichOneof("kind")
        if kind == "bytes_list" and key in _VARIABLE_COLLECTIONS:
            for raw in collection.bytes_list.value:
                var = _variable_from_bytes(raw, import_scope, variables)
                graph.add_to_collection(key, var)
        elif kind == "node_list":
            for name in collection.node_list.value:
                graph.add_to_collection(key, graph.as_graph_element(prefix + name))
        elif kind == "bytes_list":
            for raw in collection.bytes_list.value:
                graph.add_to_collection(key, raw)
        elif kind == "int64_list":
            for v in collection.int64_list.value:
                graph.add_to_collection(key, int(v))
        elif kind == "float_list":
            for v in collection.float_list.value:
                graph.add_to_collection(key, float(v))
    return variables


def _variable_from_bytes(
    raw: bytes, import_scope: str | None, cache: dict[str, Variable]
) -> Variable:
    from stowflow.proto import variable_pb2

    proto = variable_pb2.VariableDef()
    proto.ParseFromString(raw)
    existing = cache.get(proto.variable_name)
    if existing is None:
        existing = Variable.from_proto(proto, import_scope=import_scope)
        cache[proto.variable_name] = existing
    return existing
