"""Dump directories: one ``.npy`` per recorded tensor plus one JSON index.

Layout of a dump directory (one run)::

    index.json                  {"format": "stowflow-debug-dump", "version": 1,
                                 "run": {...}, "tensors": [entry, ...]}
    000000_x_0.npy              one file per tensor that has a value

Each index entry: ``order, tensor, node, op, output_slot, dtype, shape, file, nbytes,
min, max, mean, nan_count, inf_count, start_ms, elapsed_ms, device, note`` (``file`` is
null for handles and uninitialized values). min/max/mean are over the finite values.
The TensorFlow-side recipe (``tests/debug/tf_dump_run.py``) writes the same format, so a
stowflow run and a TensorFlow run can be compared with ``stowflow debug-diff``.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from typing import Any

from stowflow import _fs, errors
from stowflow.debug.records import TensorRecord, TensorStats, file_name, save_npy

INDEX_FILE = "index.json"
FORMAT = "stowflow-debug-dump"
VERSION = 1
#: Refuse index files larger than this (a dump index is metadata only).
MAX_INDEX_BYTES = 512 * 1024 * 1024


def entry(record: TensorRecord, file: str | None) -> dict[str, Any]:
    """The JSON index entry of one record."""
    return {
        "order": record.order,
        "tensor": record.tensor_name,
        "node": record.node_name,
        "op": record.op_type,
        "output_slot": record.output_slot,
        "dtype": record.dtype,
        "shape": list(record.shape) if record.shape is not None else None,
        "file": file,
        "nbytes": record.nbytes,
        **asdict(record.stats),
        "start_ms": record.start * 1e3,
        "elapsed_ms": record.elapsed * 1e3,
        "device": record.device,
        "note": record.note,
    }


def write_dump(directory: str, records: list[TensorRecord], run: dict[str, Any]) -> str:
    """Writes every record with a value as ``.npy`` plus ``index.json``; returns the index path.

    Values already spilled into ``directory`` are not rewritten; the index is written last
    and atomically, so a directory with an index is complete.
    """
    os.makedirs(directory, exist_ok=True)
    entries = []
    for record in records:
        name: str | None = None
        if record.has_value:
            name = file_name(record)
            target = os.path.join(directory, name)
            if record.path is None:
                save_npy(target, record.array())
            elif os.path.abspath(record.path) != os.path.abspath(target):
                shutil.copyfile(record.path, target)
        entries.append(entry(record, name))
    document = {"format": FORMAT, "version": VERSION, "run": run, "tensors": entries}
    path = os.path.join(directory, INDEX_FILE)
    with _fs.atomic_writer(path) as f:
        f.write(json.dumps(document, indent=1).encode())
    return path


def read_dump(directory: str) -> list[TensorRecord]:
    """The records of a dump directory (values are read from their files on demand).

    Raises:
        errors.NotFoundError: if ``directory`` has no ``index.json``.
        errors.DataLossError: if the index is not a stowflow debug dump or is malformed.
    """
    path = os.path.join(directory, INDEX_FILE)
    if not os.path.isfile(path):
        hint = ""
        if os.path.isdir(directory):
            runs = sorted(d for d in os.listdir(directory) if d.startswith("run_"))
            if runs:
                hint = f" (it holds per-run dumps: use {os.path.join(directory, runs[0])})"
        raise errors.NotFoundError(
            None, None, f"No debug dump index {path}: not a debug dump directory{hint}"
        )
    if os.path.getsize(path) > MAX_INDEX_BYTES:
        raise errors.DataLossError(None, None, f"Debug dump index {path} is too large")
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        if document.get("format") != FORMAT:
            raise ValueError(f"format is {document.get('format')!r}, expected {FORMAT!r}")
        return [_record(directory, e) for e in document["tensors"]]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise errors.DataLossError(None, None, f"Malformed debug dump index {path}: {e}") from None


def _record(directory: str, e: dict[str, Any]) -> TensorRecord:
    file = e["file"]
    if file is not None and (os.path.basename(file) != file or file in ("", ".", "..")):
        raise ValueError(f"tensor file {file!r} is not a plain file name")
    return TensorRecord(
        order=int(e["order"]),
        node_name=str(e["node"]),
        op_type=str(e["op"]),
        output_slot=int(e["output_slot"]),
        dtype=str(e["dtype"]),
        shape=tuple(int(d) for d in e["shape"]) if e["shape"] is not None else None,
        nbytes=int(e["nbytes"]),
        start=float(e.get("start_ms", 0.0)) / 1e3,
        elapsed=float(e.get("elapsed_ms", 0.0)) / 1e3,
        device=str(e.get("device", "")),
        stats=TensorStats(
            min=e.get("min"),
            max=e.get("max"),
            mean=e.get("mean"),
            nan_count=int(e.get("nan_count", 0)),
            inf_count=int(e.get("inf_count", 0)),
        ),
        path=os.path.join(directory, file) if file is not None else None,
        note=str(e.get("note", "")),
    )
