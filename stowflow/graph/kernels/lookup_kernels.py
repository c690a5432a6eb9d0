"""Lookup tables: ``HashTableV2``, ``MutableHashTableV2``, ``MutableHashTableOfTensorsV2``,
``MutableDenseHashTableV2`` and the ops on them (find, insert, remove, import, export,
size, initialisation from tensors or a text file).

A table lives in the Session (like a variable); its handle is a ResourceHandle keyed by
the op's ``shared_name`` (or node name). ``HashTableV2`` must be initialised before use
(``InitializeTableV2``, ``InitializeTableFromTextFileV2`` or ``LookupTableImportV2``);
the mutable tables start empty. Text-file initialisation follows TF's rules:
``key_index``/``value_index`` -2 means the whole line, -1 the line number; the file is
opened only if the Session's file policy allows it (``stowflow.graph.file_policy``).

Exported keys come out in insertion order (TF's come in hash-map order: callers must not
rely on either). A dense table exports only its live entries, where TF exports its raw
bucket arrays (empty buckets included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stowflow import _fs
from stowflow.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from stowflow.graph.kernels.math_kernels import shape_str
from stowflow.graph.kernels.registry import register_shape
from stowflow.graph.kernels.state import ResourceHandle, SessionState, stateful
from stowflow.graph.shape import TensorShape

_WHOLE_LINE = -2
_LINE_NUMBER = -1
_TABLES = "__lookup_tables__"


@dataclass
class Table:
    """One table's contents and what TF's table object knows about it."""

    key_dtype: Any
    value_dtype: Any
    value_shape: tuple[int, ...] = ()
    mutable: bool = False
    initialized: bool = False
    data: dict[Any, Any] = field(default_factory=dict)
    empty_key: Any = None
    deleted_key: Any = None


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _tables(state: SessionState) -> dict[str, Table]:
    return state.per_op.setdefault(_TABLES, {})


def _table(state: SessionState, handle: ResourceHandle) -> Table:
    table = _tables(state).get(handle.key)
    if table is None or not (table.mutable or table.initialized):
        raise FailedPreconditionError(None, None, "Table not initialized.")
    return table


def _key(value: Any) -> Any:
    """A hashable Python scalar for one key or scalar value."""
    if isinstance(value, bytes):
        return value
    return value.item() if hasattr(value, "item") else value


def _handle_key(op: Any) -> str:
    shared = op.get_attr("shared_name")
    return shared.decode() if shared else op.name


def _dtype(op: Any, name: str) -> Any:
    return op.get_attr(name).as_numpy_dtype


def _create(mutable: bool, with_shape: bool = False) -> Any:
    def kernel(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
        key = _handle_key(op)
        tables = _tables(state)
        if key not in tables:
            shape = op.get_attr("value_shape") if with_shape else None
            dims = tuple(int(d) for d in shape.as_list()) if shape is not None else ()
            tables[key] = Table(
                _dtype(op, "key_dtype"), _dtype(op, "value_dtype"), dims, mutable=mutable
            )
            if op.type == "MutableDenseHashTableV2":
                tables[key].empty_key = _key(np.asarray(inputs[0]).reshape(-1)[0])
                tables[key].deleted_key = _key(np.asarray(inputs[1]).reshape(-1)[0])
        return [ResourceHandle(key, op.name)]

    return kernel


stateful("HashTableV2")(_create(mutable=False))
stateful("MutableHashTableV2")(_create(mutable=True))
stateful("MutableHashTableOfTensorsV2", "MutableDenseHashTableV2")(
    _create(mutable=True, with_shape=True)
)


# --------------------------------------------------------------------------- writing


def _check_dtypes(table: Table, keys: np.ndarray, values: np.ndarray | None) -> None:
    for what, arr, want in (("key", keys, table.key_dtype), ("value", values, table.value_dtype)):
        if arr is None:
            continue
        got = np.dtype(object) if arr.dtype.kind in "OSU" else arr.dtype
        expected = np.dtype(object) if np.dtype(want).kind in "OSU" else np.dtype(want)
        if got != expected:
            raise _invalid(f"Expected {what} dtype {expected}, got {got}")


def _rows(table: Table, keys: np.ndarray, values: np.ndarray) -> list[Any]:
    """The per-key values, checking ``values.shape == keys.shape + value_shape``."""
    expected = keys.shape + table.value_shape
    if values.shape != expected:
        raise _invalid(
            f"Expected shape {shape_str(expected)} for value, got {shape_str(values.shape)}"
        )
    if not table.value_shape:
        return [_key(v) for v in values.reshape(-1)]
    return list(values.reshape((-1, *table.value_shape)).copy())


def _check_reserved(table: Table, keys: list[Any]) -> None:
    for k in keys:
        if table.empty_key is not None and k == table.empty_key:
            raise _invalid("Using the empty_key as a table key is not allowed")
        if table.deleted_key is not None and k == table.deleted_key:
            raise _invalid("Using the deleted_key as a table key is not allowed")


def _insert(table: Table, keys: np.ndarray, values: np.ndarray, strict: bool) -> None:
    rows = _rows(table, keys, values)
    flat = [_key(k) for k in keys.reshape(-1)]
    _check_reserved(table, flat)
    for k, v in zip(flat, rows, strict=True):
        if strict and k in table.data and not _same(table.data[k], v):
            raise FailedPreconditionError(
                None,
                None,
                f"HashTable has different value for same key. Key {_show(k)} has "
                f"{_show(table.data[k])} and trying to add value {_show(v)}",
            )
        table.data[k] = v


def _same(a: Any, b: Any) -> bool:
    return bool(np.array_equal(a, b)) if isinstance(a, np.ndarray) else a == b


def _show(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@stateful("LookupTableInsertV2")
def _insert_op(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    table = _table(state, inputs[0])
    if not table.mutable:
        raise _invalid("Insert is not supported by this table: it is initialized once")
    keys, values = np.asarray(inputs[1]), np.asarray(inputs[2])
    _check_dtypes(table, keys, values)
    _insert(table, keys, values, strict=False)
    return []


@stateful("LookupTableRemoveV2")
def _remove_op(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    table = _table(state, inputs[0])
    keys = np.asarray(inputs[1])
    _check_dtypes(table, keys, None)
    flat = [_key(k) for k in keys.reshape(-1)]
    _check_reserved(table, flat)
    for k in flat:
        table.data.pop(k, None)
    return []


def _initialize(state: SessionState, handle: ResourceHandle, data: dict[Any, Any]) -> None:
    table = _tables(state).get(handle.key)
    if table is None:
        raise NotFoundError(None, None, f"Table {handle.key} does not exist")
    if table.initialized and not table.mutable:
        return  # TF ignores a second initialisation, whatever its data
    table.data = data
    table.initialized = True


@stateful("InitializeTableV2")
def _initialize_op(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    handle, keys, values = inputs[0], np.asarray(inputs[1]), np.asarray(inputs[2])
    table = _tables(state)[handle.key]
    if keys.ndim != 1:
        raise _invalid(f"Keys must be a vector, but received shape{shape_str(keys.shape)}")
    if keys.shape != values.shape:
        raise _invalid(f"Keys and values must have the same size {keys.size} vs {values.size}")
    _check_dtypes(table, keys, values)
    fresh = Table(table.key_dtype, table.value_dtype, table.value_shape)
    _insert(fresh, keys, values, strict=True)
    _initialize(state, handle, fresh.data)
    return []


@stateful("LookupTableImportV2")
def _import(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    handle, keys, values = inputs[0], np.asarray(inputs[1]), np.asarray(inputs[2])
    table = _tables(state)[handle.key]
    _check_dtypes(table, keys, values)
    fresh = Table(table.key_dtype, table.value_dtype, table.value_shape)
    _insert(fresh, keys.reshape(-1), values.reshape((-1, *table.value_shape)), strict=False)
    if table.mutable:  # TF's mutable tables replace their contents on import
        table.data = fresh.data
        return []
    _initialize(state, handle, fresh.data)
    return []


def _field(parts: list[bytes], index: int, line_number: int, kind: str, filename: str) -> Any:
    if index == _LINE_NUMBER:
        return line_number
    raw = b"\t".join(parts) if index == _WHOLE_LINE else None
    if raw is None:
        if index >= len(parts):
            raise _invalid(
                f"Invalid number of columns in {filename} line {line_number} "
                f"(expected column {index})"
            )
        raw = parts[index]
    return int(raw) if kind == "int" else raw


def _kind(dtype: Any) -> str:
    """ "int" or "str": how a text column converts for the table's key or value dtype."""
    return "str" if np.dtype(dtype).kind in "OSU" else "int"


@stateful("InitializeTableFromTextFileV2")
def _init_from_text(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    handle, filename = inputs[0], np.asarray(inputs[1]).item()
    table = _tables(state)[handle.key]
    path = filename.decode() if isinstance(filename, bytes) else str(filename)
    delimiter = op.get_attr("delimiter") or b"\t"
    key_index, value_index = op.get_attr("key_index"), op.get_attr("value_index")
    vocab_size, offset = op.get_attr("vocab_size"), op.get_attr("offset")
    state.file_policy.check(op, path)
    try:
        lines = _fs.read_limited(path, what="vocabulary file").splitlines()
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory") from None
    if vocab_size > 0:
        lines = lines[:vocab_size]
    data: dict[Any, Any] = {}
    key_kind, value_kind = _kind(table.key_dtype), _kind(table.value_dtype)
    for number, line in enumerate(lines):
        parts = line.split(delimiter) if delimiter != b" " else line.split()
        key = _field(parts, key_index, number + offset, key_kind, path)
        value = _field(parts, value_index, number + offset, value_kind, path)
        data.setdefault(key, value)
    _initialize(state, handle, data)
    return []


# --------------------------------------------------------------------------- reading


@stateful("LookupTableFindV2")
def _find(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    table = _table(state, inputs[0])
    keys, default = np.asarray(state.deref(inputs[1])), np.asarray(inputs[2])
    _check_dtypes(table, keys, None)
    out_dtype = op.get_attr("Tout").as_numpy_dtype
    shape = table.value_shape
    if not table.mutable:
        fallback = _key(default.reshape(-1)[0]) if default.size == 1 else None
        if fallback is None:
            raise _invalid(f"Expected shape [] for default value, got {shape_str(default.shape)}")
        flat = [table.data.get(_key(k), fallback) for k in keys.reshape(-1)]
        result = np.empty(len(flat), dtype=out_dtype)
        result[:] = flat
        return [result.reshape(keys.shape)]
    if default.shape not in (shape, (1, *shape)):
        raise _invalid(
            f"Expected shape {shape_str(shape)} or {shape_str((1, *shape))} for default value, "
            f"got {shape_str(default.shape)}"
        )
    default = default.reshape(shape)
    flat_keys = [_key(k) for k in keys.reshape(-1)]
    _check_reserved(table, flat_keys)
    if not shape:
        fallback = _key(default.reshape(-1)[0])
        result = np.empty(len(flat_keys), dtype=out_dtype)
        result[:] = [table.data.get(k, fallback) for k in flat_keys]
        return [result.reshape(keys.shape)]
    result = np.empty((len(flat_keys), *shape), dtype=out_dtype)
    for i, k in enumerate(flat_keys):
        result[i] = table.data.get(k, default)
    return [result.reshape(keys.shape + shape)]


@stateful("LookupTableSizeV2")
def _size(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    return [np.array(len(_table(state, inputs[0]).data), dtype=np.int64)]


@stateful("LookupTableExportV2")
def _export(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    table = _table(state, inputs[0])
    keys = np.empty(len(table.data), dtype=op.get_attr("Tkeys").as_numpy_dtype)
    keys[:] = list(table.data)
    values = np.empty((len(table.data), *table.value_shape), op.get_attr("Tvalues").as_numpy_dtype)
    for i, v in enumerate(table.data.values()):
        values[i] = v
    return [keys, values]


# --------------------------------------------------------------------------- shapes


def _handle_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([])]


def _no_outputs(op: Any) -> list[TensorShape]:
    return []


register_shape(
    "HashTableV2", "MutableHashTableV2", "MutableHashTableOfTensorsV2", "MutableDenseHashTableV2"
)(_handle_shape)
register_shape(
    "LookupTableInsertV2",
    "LookupTableRemoveV2",
    "LookupTableImportV2",
    "InitializeTableV2",
    "InitializeTableFromTextFileV2",
)(_no_outputs)
register_shape("LookupTableSizeV2")(_handle_shape)


@register_shape("LookupTableFindV2")
def _find_shape(op: Any) -> list[TensorShape]:
    keys, default = op.inputs[1].shape, op.inputs[2].shape
    if keys.ndims is None or default.ndims is None:
        return [TensorShape(None)]
    return [TensorShape(keys.as_list() + default.as_list())]


@register_shape("LookupTableExportV2")
def _export_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([None]), TensorShape(None)]
