"""Writes a tensor bundle: ``<prefix>.data-SSSSS-of-NNNNN`` shards and ``<prefix>.index``.

Payloads stream to temp siblings as they are added; :meth:`BundleWriter.finish` writes
the index and renames data files first and the index last, so an interrupted save never
leaves a half-written file under its final name and never touches a checkpoint under
another prefix (TF1 ``global_step`` saves, TF2 numbered saves). Overwriting the *same*
prefix has a short window between those renames in which the old index meets new data;
a reader then fails with a checksum ``DataLossError`` rather than returning wrong values
(TensorFlow's writer has the same window). Output is byte-identical to TensorFlow's for
the same tensors in the same order (FORMATS.md §1).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO

import numpy as np

from stowflow import _fs
from stowflow.bundle import codec
from stowflow.bundle.crc import crc32c, mask
from stowflow.bundle.slices import encode_slice_key
from stowflow.bundle.table import TableBuilder
from stowflow.dtypes import DType, as_dtype, from_numpy
from stowflow.errors import InvalidArgumentError
from stowflow.proto import tensor_bundle_pb2

HEADER_KEY = b""
_ASYNC_CRC_BYTES = 1 << 20  # payloads this large are checksummed in a worker thread
FORMAT_VERSION = 1  # tensor_bundle.h kTensorBundleVersion


def index_filename(prefix: str) -> str:
    """``<prefix>.index``."""
    return f"{prefix}.index"


def data_filename(prefix: str, shard: int, num_shards: int) -> str:
    """``<prefix>.data-%05d-of-%05d`` (naming.cc)."""
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def _as_array(value: Any, dtype: DType | None) -> tuple[np.ndarray, DType]:
    """Normalizes a value to an array plus its TF dtype."""
    if dtype is not None and dtype.base_dtype.name == "string":
        array = np.asarray(value, dtype=object)
        return array, dtype.base_dtype
    array = np.asarray(value)
    if array.dtype.kind in "SUO":
        return array.astype(object), as_dtype("string")
    if dtype is None:
        return array, from_numpy(array)
    dtype = dtype.base_dtype
    target = np.dtype(dtype.as_numpy_dtype)
    return (array if array.dtype == target else array.astype(target)), dtype


def _fill_shape(shape_proto: Any, shape: Sequence[int]) -> None:
    shape_proto.SetInParent()  # TF always emits the shape, even for scalars
    for dim in shape:
        shape_proto.dim.add(size=dim) if dim else shape_proto.dim.add()


class BundleWriter:
    """Writes one bundle; add tensors, then :meth:`finish` (or use it as a context manager).

    Args:
        prefix: the checkpoint prefix, e.g. ``"/ckpt/model.ckpt-7"``.
        num_shards: number of ``.data`` files; pass ``shard=`` to :meth:`add`.

    Example:
        >>> with BundleWriter("/tmp/demo") as w:  # doctest: +SKIP
        ...     w.add("w", np.ones((2, 3), np.float32))
    """

    def __init__(self, prefix: str, num_shards: int = 1) -> None:
        if num_shards < 1:
            raise InvalidArgumentError(None, None, f"num_shards must be >= 1, got {num_shards}")
        self._prefix = prefix
        self._num_shards = num_shards
        directory = os.path.dirname(prefix)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self._final = [data_filename(prefix, i, num_shards) for i in range(num_shards)]
        self._temps = [_fs.temp_sibling(p) for p in self._final]
        self._files: list[BinaryIO] = [open(t, "wb") for t in self._temps]  # noqa: SIM115
        self._offsets = [0] * num_shards
        self._entries: dict[bytes, Any] = {}
        self._finished = False
        self._pool: ThreadPoolExecutor | None = None
        self._pending_crcs: list[tuple[Any, Future[int]]] = []

    def add(self, name: str, value: Any, *, dtype: Any = None, shard: int = 0) -> None:
        """Appends one whole tensor.

        Raises:
            InvalidArgumentError: for a duplicate name or a bad shard index.
        """
        key = self._check_new(name.encode("utf-8"), shard)
        array, tf_dtype = _as_array(value, None if dtype is None else as_dtype(dtype))
        self._entries[key] = self._write_payload(array, tf_dtype, shard)

    def add_slice(
        self,
        name: str,
        full_shape: Sequence[int],
        extents: Sequence[tuple[int, int]],
        value: Any,
        *,
        dtype: Any = None,
        shard: int = 0,
    ) -> None:
        """Appends one slice of a partitioned tensor ``name`` of shape ``full_shape``.

        ``extents`` gives (start, length) per dimension, length -1 for a whole dimension.

        Raises:
            InvalidArgumentError: on a shape or dtype that disagrees with earlier slices.
        """
        array, tf_dtype = _as_array(value, None if dtype is None else as_dtype(dtype))
        expect = tuple(f if n < 0 else n for f, (_, n) in zip(full_shape, extents, strict=True))
        if array.shape != expect:
            raise InvalidArgumentError(
                None, None, f"slice of {name!r} has shape {array.shape}, spec says {expect}"
            )
        slice_key = self._check_new(encode_slice_key(name, extents), shard)
        full = self._entries.get(name.encode("utf-8"))
        if full is None:
            full = tensor_bundle_pb2.BundleEntryProto(dtype=tf_dtype.as_datatype_enum)
            _fill_shape(full.shape, full_shape)
            self._entries[name.encode("utf-8")] = full
        elif full.dtype != tf_dtype.as_datatype_enum or not full.slices:
            raise InvalidArgumentError(None, None, f"{name!r} was already added differently")
        extent_list = full.slices.add().extent
        for start, length in extents:
            ext = extent_list.add()
            if length >= 0:
                ext.start = start
                ext.length = length
        self._entries[slice_key] = self._write_payload(array, tf_dtype, shard)

    def _check_new(self, key: bytes, shard: int) -> bytes:
        if self._finished:
            raise InvalidArgumentError(None, None, "BundleWriter is already finished")
        if key == HEADER_KEY:
            raise InvalidArgumentError(
                None, None, "tensor names must not be empty: the empty key holds the header"
            )
        if key in self._entries:
            raise InvalidArgumentError(None, None, f"duplicate tensor key {key!r}")
        if not 0 <= shard < self._num_shards:
            raise InvalidArgumentError(
                None, None, f"shard {shard} out of range for {self._num_shards} shards"
            )
        return key

    def _write_payload(self, array: np.ndarray, dtype: DType, shard: int) -> Any:
        entry = tensor_bundle_pb2.BundleEntryProto(dtype=dtype.as_datatype_enum)
        _fill_shape(entry.shape, array.shape)
        crc: int | None = None
        if dtype.name == "string":
            parts, size, crc = codec.encode_strings(codec.as_bytes_list(array))
        elif dtype.is_numpy_compatible:
            view = codec.numeric_payload(array)
            parts, size = [view], view.nbytes
            if size >= _ASYNC_CRC_BYTES:
                # CRC-32C releases the GIL: checksum in a worker while this thread writes.
                self._pending_crcs.append((entry, self._crc_pool().submit(crc32c, view)))
            else:
                crc = mask(crc32c(view))
        else:
            raise InvalidArgumentError(None, None, f"cannot save a tensor of type {dtype.name}")
        out = self._files[shard]
        for part in parts:
            out.write(part)
        entry.shard_id = shard
        entry.offset = self._offsets[shard]
        entry.size = size
        if crc is not None:
            entry.crc32c = crc
        self._offsets[shard] += size
        return entry

    def _crc_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stowflow-crc")
        return self._pool

    def _collect_crcs(self) -> None:
        for entry, future in self._pending_crcs:
            entry.crc32c = mask(future.result())
        self._pending_crcs.clear()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def finish(self) -> str:
        """Writes the index and moves every file into place; returns the prefix."""
        if self._finished:
            return self._prefix
        self._collect_crcs()
        header = tensor_bundle_pb2.BundleHeaderProto(num_shards=self._num_shards)
        header.version.producer = FORMAT_VERSION
        table = TableBuilder()
        table.add(HEADER_KEY, header.SerializeToString())
        for key in sorted(self._entries):
            table.add(key, self._entries[key].SerializeToString())
        blob = table.finish()
        for f in self._files:
            f.close()
        for tmp, final in zip(self._temps, self._final, strict=True):
            os.replace(tmp, final)
        _fs.write_atomic(index_filename(self._prefix), blob)
        self._finished = True
        return self._prefix

    def abort(self) -> None:
        """Discards everything written so far; files under final names are untouched."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        for f in self._files:
            f.close()
        for tmp in self._temps:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
        self._finished = True

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()
