"""Checkpoint I/O kernels: SaveV2, RestoreV2, MergeV2Checkpoints (tensor bundle format).

They touch the file system, so they are stateful kernels: each asks its Session's file
policy (``stowflow.graph.file_policy``) before opening, writing or deleting anything.
Prefixes may be URLs (``s3://``, ``gs://``, ...): the bundle reader, writer and merge go
through the storage seam (``stowflow._fs``), so a Saver works on object stores too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import _fs
from stowflow.bundle import BundleReader, BundleWriter, merge_bundles
from stowflow.bundle.slices import parse_shape_and_slice
from stowflow.errors import InvalidArgumentError, NotFoundError
from stowflow.graph.kernels.state import SessionState, stateful


def _attr(op: Any, name: str, default: Any) -> Any:
    try:
        return op.get_attr(name)
    except (KeyError, ValueError):
        return default


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@stateful("SaveV2")
def _save_v2(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    prefix, names, specs = (state.deref(v) for v in inputs[:3])
    tensors = [state.deref(v) for v in inputs[3:]]
    prefix = _text(np.asarray(prefix).item())
    state.file_policy.check_bundle(op, prefix)
    names = [_text(n) for n in np.asarray(names).reshape(-1)]
    specs = [_text(s) for s in np.asarray(specs).reshape(-1)]
    if not (len(names) == len(specs) == len(tensors)):
        raise InvalidArgumentError(
            None,
            None,
            f"SaveV2 got {len(names)} names, {len(specs)} slice specs and {len(tensors)} tensors",
        )
    dtypes_ = op.get_attr("dtypes") or [None] * len(tensors)
    with BundleWriter(prefix) as writer:
        for name, spec_text, value, dtype in zip(names, specs, tensors, dtypes_, strict=True):
            spec = parse_shape_and_slice(spec_text)
            if spec is None:
                writer.add(name, value, dtype=dtype)
            else:
                writer.add_slice(name, spec.full_shape, spec.extents, value, dtype=dtype)
    return []


@stateful("RestoreV2")
def _restore_v2(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    prefix, names, specs = (state.deref(v) for v in inputs)
    prefix = _text(np.asarray(prefix).item())
    state.file_policy.check_bundle(op, prefix)
    names = [_text(n) for n in np.asarray(names).reshape(-1)]
    specs = [_text(s) for s in np.asarray(specs).reshape(-1)]
    wanted = op.get_attr("dtypes")
    if not _fs.exists(prefix + ".index"):
        raise NotFoundError(
            None,
            None,
            "Unsuccessful TensorSliceReader constructor: Failed to find any "
            f"matching files for {prefix}",
        )
    out = []
    with BundleReader(prefix) as reader:
        for name, spec_text, dtype in zip(names, specs, wanted, strict=True):
            stored = reader.dtype(name)
            if stored != dtype:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"tensor_name = {name}; expected dtype {dtype.name} does not "
                    f"equal original dtype {stored.name}",
                )
            spec = parse_shape_and_slice(spec_text)
            out.append(reader.read(name) if spec is None else reader.read_slice(name, spec))
    return out


@stateful("MergeV2Checkpoints")
def _merge_v2(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    prefixes = [_text(p) for p in np.asarray(state.deref(inputs[0])).reshape(-1)]
    destination = _text(np.asarray(state.deref(inputs[1])).item())
    for prefix in [*prefixes, destination]:  # reads, renames and deletes all of these
        state.file_policy.check_bundle(op, prefix)
    merge_bundles(
        prefixes,
        destination,
        delete_old_dirs=_attr(op, "delete_old_dirs", True),
        allow_missing_files=_attr(op, "allow_missing_files", False),
    )
    return []
