"""Merges part bundles into one, as TensorFlow's ``MergeV2Checkpoints`` op does.

Used by sharded saves: each device writes ``<prefix>_temp/part-%05d-of-%05d``; the merge
renames their data files to ``<prefix>.data-*`` (renumbering shard ids in first-seen
order), writes one ``<prefix>.index`` and removes the parts (FORMATS.md §1.11).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

from stowflow import _fs
from stowflow.bundle.reader import BundleReader
from stowflow.bundle.table import TableBuilder
from stowflow.bundle.writer import HEADER_KEY, data_filename, index_filename
from stowflow.errors import InvalidArgumentError, NotFoundError
from stowflow.proto import tensor_bundle_pb2


def _merge_entry(merged: dict[bytes, Any], key: bytes, entry: Any, prefix: str) -> None:
    previous = merged.get(key)
    if previous is None:
        merged[key] = entry
        return
    if not (previous.slices and entry.slices):
        raise InvalidArgumentError(
            None, None, f"Duplicate tensor key {key.decode(errors='replace')!r} found in {prefix}"
        )
    if previous.dtype != entry.dtype or previous.shape != entry.shape:
        raise InvalidArgumentError(
            None,
            None,
            f"Partitioned tensor {key.decode(errors='replace')!r} has conflicting "
            f"dtype or shape in {prefix}",
        )
    previous.slices.extend(entry.slices)


def merge_bundles(
    part_prefixes: Sequence[str],
    destination: str,
    *,
    delete_old_dirs: bool = True,
    allow_missing_files: bool = False,
) -> str:
    """Merges ``part_prefixes`` into the bundle ``destination``; returns ``destination``.

    Raises:
        NotFoundError: if a part is missing (all parts, with ``allow_missing_files``).
        InvalidArgumentError: on duplicate keys or parts with different headers.
    """
    readers: list[BundleReader] = []
    for prefix in part_prefixes:
        if not _fs.exists(index_filename(prefix)):
            if allow_missing_files:
                continue
            raise NotFoundError(None, None, f"Checkpoint part {prefix} is missing")
        readers.append(BundleReader(prefix))
    if not readers:
        raise NotFoundError(None, None, f"None of the checkpoint parts {list(part_prefixes)} exist")
    version = readers[0].header.version.SerializeToString()
    merged: dict[bytes, Any] = {}
    renames: list[str] = []
    new_ids: dict[tuple[int, int], int] = {}
    for part, reader in enumerate(readers):
        header = reader.header
        if header.version.SerializeToString() != version or (
            header.endianness != readers[0].header.endianness
        ):
            raise InvalidArgumentError(
                None, None, f"Checkpoint part {reader.prefix} has a different version or endianness"
            )
        for key in sorted(reader._entries):
            entry = reader.entry(key)
            if not entry.slices:
                source = (part, entry.shard_id)
                if source not in new_ids:
                    new_ids[source] = len(new_ids)
                    renames.append(data_filename(reader.prefix, entry.shard_id, header.num_shards))
                entry.shard_id = new_ids[source]
            _merge_entry(merged, key, entry, reader.prefix)
    # One data file per distinct (part, shard) that holds data, renumbered in first-seen
    # order; the header counts exactly those files (= TF's sum of the parts' shards
    # whenever every part holds data, as sharded saves always do).
    total = len(new_ids)
    merged_header = tensor_bundle_pb2.BundleHeaderProto(
        num_shards=total, endianness=readers[0].header.endianness
    )
    merged_header.version.ParseFromString(version)
    for r in readers:
        r.close()
    _fs.makedirs(os.path.dirname(destination) or ".")
    # Data files first, the index after them (on object stores a rename is copy + delete).
    for new_id, data_file in enumerate(renames):
        _fs.rename(data_file, data_filename(destination, new_id, total))
    table = TableBuilder()
    table.add(HEADER_KEY, merged_header.SerializeToString())
    for key in sorted(merged):
        table.add(key, merged[key].SerializeToString())
    _fs.write_atomic(index_filename(destination), table.finish())
    for r in readers:
        with contextlib.suppress(FileNotFoundError):
            _fs.remove(index_filename(r.prefix))
        part_dir = os.path.dirname(r.prefix)
        if delete_old_dirs and not _fs.same_path(part_dir, os.path.dirname(destination) or "."):
            # Like TF's Env::DeleteDir: only an empty directory goes; anything else stays.
            _fs.rmdir_if_empty(part_dir)
    return destination
