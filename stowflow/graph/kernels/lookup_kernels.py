"""Hash tables (``HashTableV2`` and friends): vocabulary lookups such as SavedModel assets.

A table lives in the Session (like a variable); its handle is a ResourceHandle keyed by
the op's ``shared_name`` (or node name). Text-file initialisation follows TF's rules:
``key_index``/``value_index`` -2 means the whole line, -1 the line number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from stowflow.graph.kernels.state import ResourceHandle, SessionState, stateful

_WHOLE_LINE = -2
_LINE_NUMBER = -1


def _tables(state: SessionState) -> dict[str, dict[Any, Any]]:
    return state.per_op.setdefault("__lookup_tables__", {})


def _table(state: SessionState, handle: ResourceHandle) -> dict[Any, Any]:
    table = _tables(state).get(handle.key)
    if table is None:
        raise FailedPreconditionError(None, None, "Table not initialized.")
    return table


def _scalar_key(value: Any) -> Any:
    return value if isinstance(value, bytes) else value.item() if hasattr(value, "item") else value


@stateful("HashTableV2")
def _hash_table(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    shared = op.get_attr("shared_name")
    key = shared.decode() if shared else op.name
    return [ResourceHandle(key, op.name)]


def _field(parts: list[bytes], index: int, line_number: int, kind: str, filename: str) -> Any:
    if index == _LINE_NUMBER:
        return line_number
    raw = b"\t".join(parts) if index == _WHOLE_LINE else None
    if raw is None:
        if index >= len(parts):
            raise InvalidArgumentError(
                None,
                None,
                f"Invalid number of columns in {filename} line {line_number} "
                f"(expected column {index})",
            )
        raw = parts[index]
    return int(raw) if kind == "int" else raw


def _kind(init_op: Any, attr: str) -> str:
    """ "int" or "str": how a text column converts for the table's key or value dtype."""
    table_op = init_op.inputs[0].op if hasattr(init_op.inputs[0], "op") else None
    if table_op is None or attr not in getattr(table_op, "_attrs", {}):
        return "str"
    return "str" if table_op.get_attr(attr).name == "string" else "int"


@stateful("InitializeTableFromTextFileV2")
def _init_from_text(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    handle, filename = inputs[0], np.asarray(inputs[1]).item()
    path = filename.decode() if isinstance(filename, bytes) else str(filename)
    delimiter = op.get_attr("delimiter") or b"\t"
    key_index, value_index = op.get_attr("key_index"), op.get_attr("value_index")
    vocab_size, offset = op.get_attr("vocab_size"), op.get_attr("offset")
    try:
        with open(path, "rb") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory") from None
    if vocab_size > 0:
        lines = lines[:vocab_size]
    table: dict[Any, Any] = {}
    key_kind, value_kind = (_kind(op, attr) for attr in ("key_dtype", "value_dtype"))
    for number, line in enumerate(lines):
        parts = line.split(delimiter) if delimiter != b" " else line.split()
        key = _field(parts, key_index, number + offset, key_kind, path)
        value = _field(parts, value_index, number + offset, value_kind, path)
        table.setdefault(key, value)
    _tables(state)[handle.key] = table
    return []


@stateful("LookupTableImportV2")
def _import(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    handle, keys, values = inputs
    table = _tables(state).setdefault(handle.key, {})
    for k, v in zip(np.asarray(keys).reshape(-1), np.asarray(values).reshape(-1), strict=True):
        table[_scalar_key(k)] = _scalar_key(v)
    return []


@stateful("LookupTableFindV2")
def _find(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    handle, keys, default = inputs[0], np.asarray(state.deref(inputs[1])), inputs[2]
    table = _table(state, handle)
    out_dtype = op.get_attr("Tout").as_numpy_dtype
    fallback = _scalar_key(np.asarray(default).reshape(-1)[0])
    flat = [table.get(_scalar_key(k), fallback) for k in keys.reshape(-1)]
    result = np.empty(len(flat), dtype=out_dtype)
    result[:] = flat
    return [result.reshape(keys.shape)]


@stateful("LookupTableSizeV2")
def _size(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    return [np.array(len(_table(state, inputs[0])), dtype=np.int64)]
