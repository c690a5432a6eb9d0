"""MetaGraphDef export and import: graph, SaverDef and collections (``.meta`` files)."""

from __future__ import annotations

import logging
import os
from typing import Any

from google.protobuf import text_format

from stowflow import _fs
from stowflow.errors import DataLossError
from stowflow.graph import op_defs
from stowflow.graph.core import GraphKeys, Operation, Tensor, get_default_graph
from stowflow.graph.importer import import_graph_def
from stowflow.graph.variables import Variable
from stowflow.proto import meta_graph_pb2, parsing

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
    elif key == GraphKeys.SAVERS and all(hasattr(i, "to_proto") for i in items):
        meta.collection_def[key].bytes_list.value.extend(  # SaverDefs, as TF exports savers
            i.to_proto().SerializeToString() for i in items
        )
    elif all(isinstance(i, Tensor | Operation | Variable) for i in items):
        # TF lists an unregistered collection's variables by name (e.g. ``eval_step``).
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
        DataLossError: naming the file if it is neither format (or nests too deep).
    """
    data = _fs.read_limited(filename, what="MetaGraphDef")
    try:
        return parsing.parse_binary(meta_graph_pb2.MetaGraphDef(), data, filename)
    except DataLossError as binary_error:
        try:
            return parsing.parse_text(meta_graph_pb2.MetaGraphDef(), data, filename)
        except DataLossError as text_error:
            raise DataLossError(
                None,
                None,
                f"{filename} is not a MetaGraphDef: {binary_error.message}; {text_error.message}",
            ) from None


def import_scoped_meta_graph(
    meta: Any,
    clear_devices: bool = False,
    graph: Any = None,
    import_scope: str | None = None,
    input_map: dict[str, Any] | None = None,
    unbound_inputs_col_name: str | None = "unbound_inputs",
    restore_collections_predicate: Any = lambda key: True,
) -> dict[str, Variable]:
    """Imports the graph and collections of ``meta`` into ``graph`` (default: the default graph).

    Returns:
        Variables rebuilt from the variable collections, by name without the import scope.
    """
    variables, _ = import_scoped_meta_graph_with_return_elements(
        meta,
        clear_devices=clear_devices,
        graph=graph,
        import_scope=import_scope,
        input_map=input_map,
        unbound_inputs_col_name=unbound_inputs_col_name,
        restore_collections_predicate=restore_collections_predicate,
    )
    return variables


def import_scoped_meta_graph_with_return_elements(
    meta: Any,
    clear_devices: bool = False,
    graph: Any = None,
    import_scope: str | None = None,
    input_map: dict[str, Any] | None = None,
    unbound_inputs_col_name: str | None = "unbound_inputs",
    restore_collections_predicate: Any = lambda key: True,
    return_elements: list[str] | None = None,
) -> tuple[dict[str, Variable], list[Any] | None]:
    """TF's ``meta_graph.import_scoped_meta_graph_with_return_elements``.

    Imports ``meta.graph_def`` under ``import_scope`` with ``input_map`` applied, then the
    collections the predicate accepts (their names prefixed by the scope).

    Returns:
        (variables by unscoped name, the requested ``return_elements`` or None).

    Raises:
        ValueError: TF's messages for unbound inputs left unmapped and the importer's errors.
    """
    if isinstance(meta, str | os.PathLike):
        meta = read_meta_graph_file(os.fspath(meta))
    graph = graph or get_default_graph()
    input_map = dict(input_map or {})
    unbound = meta.collection_def.get(unbound_inputs_col_name) if unbound_inputs_col_name else None
    if unbound is not None:
        for name in unbound.node_list.value:
            if name not in input_map:
                raise ValueError(
                    "Graph contains unbound inputs: %s. Must provide these inputs through "
                    "input_map." % ",".join(unbound.node_list.value)
                )
    graph_def = meta.graph_def
    if clear_devices:
        graph_def = type(graph_def)()
        graph_def.CopyFrom(meta.graph_def)
        for node in graph_def.node:
            node.device = ""
    with graph.as_default():
        scope = graph.unique_name(import_scope or "", mark_as_used=False) if import_scope else ""
        returned = import_graph_def(
            graph_def,
            input_map=input_map,
            return_elements=return_elements,
            name=import_scope or scope,
        )
    prefix = f"{scope}/" if scope else ""
    variables: dict[str, Variable] = {}
    for key in sorted(meta.collection_def):
        if key == unbound_inputs_col_name or not restore_collections_predicate(key):
            continue
        _import_collection(graph, key, meta.collection_def[key], scope, prefix, variables)
    return variables, returned


def _import_collection(
    graph: Any, key: str, collection: Any, scope: str, prefix: str, variables: dict[str, Variable]
) -> None:
    kind = collection.WhichOneof("kind")
    if kind == "bytes_list" and key in _VARIABLE_COLLECTIONS:
        for raw in collection.bytes_list.value:
            var = _variable_from_bytes(raw, scope or None, variables, key)
            graph.add_to_collection(key, var)
    elif kind == "bytes_list" and key == GraphKeys.SAVERS:
        from stowflow.proto import saver_pb2
        from stowflow.training.saver import Saver  # saver.py imports this module

        for raw in collection.bytes_list.value:
            saver_def = saver_pb2.SaverDef.FromString(raw)
            if prefix:
                saver_def = scoped_saver_def(saver_def, prefix.rstrip("/"))
            graph.add_to_collection(key, Saver(saver_def=saver_def))
    elif kind == "node_list":
        for name in collection.node_list.value:
            graph.add_to_collection(key, _collection_element(graph, key, prefix + name))
    elif kind == "bytes_list":
        for raw in collection.bytes_list.value:
            graph.add_to_collection(key, raw)
    elif kind == "int64_list":
        for v in collection.int64_list.value:
            graph.add_to_collection(key, int(v))
    elif kind == "float_list":
        for v in collection.float_list.value:
            graph.add_to_collection(key, float(v))


def _collection_element(graph: Any, key: str, name: str) -> Any:
    """The op or tensor a collection names; a name the graph lacks is a ValueError.

    TF lets ``Graph.as_graph_element``'s ``KeyError`` escape here; a MetaGraphDef naming
    what its own graph lacks is bad input, so stowflow reports it as one (TF's text kept).
    """
    try:
        return graph.as_graph_element(name)
    except KeyError as e:
        raise ValueError(f"MetaGraphDef collection '{key}': {e.args[0] if e.args else e}") from None


def scoped_saver_def(saver_def: Any, scope: str | None) -> Any:
    """A copy of ``saver_def`` whose tensor and op names are under ``scope``."""
    scoped = type(saver_def)()
    scoped.CopyFrom(saver_def)
    if scope:
        for name in ("filename_tensor_name", "save_tensor_name", "restore_op_name"):
            value = getattr(saver_def, name)
            setattr(scoped, name, f"{scope.rstrip('/')}/{value}" if value else value)
    return scoped


def import_meta_graph_with_return_elements(
    meta_graph_or_file: Any,
    clear_devices: bool = False,
    import_scope: str | None = None,
    return_elements: list[str] | None = None,
    **kwargs: Any,
) -> tuple[Any, list[Any] | None]:
    """``import_meta_graph`` that also returns the requested elements (TF's private helper).

    ``kwargs`` are those of :func:`import_scoped_meta_graph_with_return_elements`
    (``input_map``, ``unbound_inputs_col_name``, ``restore_collections_predicate``).

    Raises:
        TypeError: for an unknown keyword, as Python does for TF's function.
    """
    from stowflow.graph.variables import global_variables
    from stowflow.training.saver import Saver

    meta = (
        meta_graph_or_file
        if not isinstance(meta_graph_or_file, str | os.PathLike)
        else read_meta_graph_file(os.fspath(meta_graph_or_file))
    )
    variables, returned = import_scoped_meta_graph_with_return_elements(
        meta,
        clear_devices=clear_devices,
        import_scope=import_scope,
        return_elements=return_elements,
        **kwargs,
    )
    if meta.HasField("saver_def"):
        scope = import_scope
        if variables:
            key, var = next(iter(variables.items()))
            scope = var.name[: -len(key)] if var.name.endswith(key) else import_scope
        return Saver(saver_def=scoped_saver_def(meta.saver_def, scope)), returned
    if global_variables():
        return Saver(), returned
    logger.info("Saver not created because there are no variables in the graph to restore")
    return None, returned


def import_meta_graph(
    meta_graph_or_file: Any,
    clear_devices: bool = False,
    import_scope: str | None = None,
    **kwargs: Any,
) -> Any:
    """``tf.train.import_meta_graph``: recreates a saved graph; returns its Saver (or None).

    Honours ``input_map``, ``return_elements`` (imported, not returned, as in TF),
    ``import_scope`` and ``clear_devices``.

    Raises:
        OSError: if the file cannot be read.
        ValueError / TypeError: the importer's errors, in TF's words.
    """
    return import_meta_graph_with_return_elements(
        meta_graph_or_file, clear_devices, import_scope, **kwargs
    )[0]


def _variable_from_bytes(
    raw: bytes, import_scope: str | None, cache: dict[str, Variable], key: str = ""
) -> Variable:
    from stowflow.proto import variable_pb2

    where = f"MetaGraphDef collection '{key}'"
    proto = parsing.parse_binary(variable_pb2.VariableDef(), raw, where)
    existing = cache.get(proto.variable_name)
    if existing is None:
        try:
            existing = Variable.from_proto(proto, import_scope=import_scope)
        except KeyError as e:
            message = e.args[0] if e.args else e
            raise ValueError(f"{where}: VariableDef {proto.variable_name!r}: {message}") from None
        cache[proto.variable_name] = existing
    return existing
