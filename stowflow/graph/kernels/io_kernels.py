"""Checkpoint I/O kernels: SaveV2, RestoreV2, MergeV2Checkpoints (tensor bundle format)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from stowflow.bundle import BundleReader, BundleWriter, merge_bundles
from stowflow.bundle.slices import parse_shape_and_slice
from stowflow.errors import InvalidArgumentError, NotFoundError
from stowflow.graph.kernels.registry import register_kernel


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@register_kernel("SaveV2")
def _save_v2(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    prefix, names, specs, tensors = inputs
    prefix = _text(np.asarray(prefix).item())
    names = [_text(n) for n in np.asarray(names).reshape(-1)]
    specs = [_text(s) for s in np.asarray(specs).reshape(-1)]
    if not (len(names) == len(specs) == len(tensors)):
        raise InvalidArgumentError(
            None,
            None,
            f"SaveV2 got {len(names)} names, {len(specs)} slice specs and {len(tensors)} tensors",
        )
    dtypes_ = attrs.get("dtypes") or [None] * len(tensors)
    with BundleWriter(prefix) as writer:
        for name, spec_text, value, dtype in zip(names, specs, tensors, dtypes_, strict=True):
            spec = parse_shape_and_slice(spec_text)
            if spec is None:
                writer.add(name, value, dtype=dtype)
            else:
                writer.add_slice(name, spec.full_shape, spec.extents, value, dtype=dtype)
    return []


@register_kernel("RestoreV2")
def _restore_v2(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    prefix, names, specs = inputs
    prefix = _text(np.asarray(prefix).item())
    names = [_text(n) for n in np.asarray(names).reshape(-1)]
    specs = [_text(s) for s in np.asarray(specs).reshape(-1)]
    wanted = attrs["dtypes"]
    if not os.path.exists(prefix + ".index"):
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


@register_kernel("MergeV2Checkpoints")
def _merge_v2(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    prefixes = [_text(p) for p in np.asarray(inputs[0]).reshape(-1)]
    destination = _text(np.asarray(inputs[1]).item())
    merge_bundles(
        prefixes,
        destination,
        delete_old_dirs=attrs.get("delete_old_dirs", True),
        allow_missing_files=attrs.get("allow_missing_files", False),
    )
    return []
