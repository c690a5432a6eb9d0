"""Writes a tensor bundle: ``<prefix>.data-SSSSS-of-NNNNN`` shards and ``<prefix>.index``.

Payloads stream to temp siblings as they are added (for a URL prefix, to local temp files
that are uploaded whole); :meth:`BundleWriter.finish` moves the data files into place first
and writes the index last, so an interrupted save never leaves a half-written file under
its final name (nor, on an object store, an index before its data) and never touches a
checkpoint under another prefix (TF1 ``global_step`` saves, TF2 numbered saves).
Overwriting the *same* prefix has a short window between those renames in which the old
index meets new data; a reader then fails with a checksum ``DataLossError`` rather than
returning wrong values (TensorFlow's writer has the same window). Output is byte-identical
to TensorFlow's for the same tensors in the same order (FORMATS.md §1).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import compress
from typing import Any, BinaryIO

import numpy as np

from stowflow import _fs
from stowflow.bundle import codec, entries
from stowflow.bundle.crc import crc32c, crc32c_many, mask, mask_many
from stowflow.bundle.slices import encode_slice_key
from stowflow.bundle.table import TableBuilder
from stowflow.dtypes import DType, as_dtype, from_numpy
from stowflow.errors import InvalidArgumentError
from stowflow.proto import tensor_bundle_pb2

HEADER_KEY = b""
_ASYNC_CRC_BYTES = 1 << 20  # payloads this large are checksummed in a worker thread
_SMALL_BYTES = 1 << 16  # whole numeric tensors below this size are batched
_BATCH_BYTES = 1 << 22  # pending small payloads are written once they reach this size
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


_FAST_ENUMS: dict[np.dtype, int] = {}  # NumPy dtype -> DataType enum, 0: not batchable


def _fast_enum(np_dtype: np.dtype) -> int:
    """The DataType enum for arrays of ``np_dtype`` whose raw bytes are the payload as they
    are (numeric, not big-endian), else 0. Cached per NumPy dtype."""
    found = _FAST_ENUMS.get(np_dtype)
    if found is None:
        found = 0
        if np_dtype.kind not in "SUO" and np_dtype.byteorder != ">":
            try:
                tf_dtype = as_dtype(np_dtype)
            except TypeError:
                tf_dtype = None
            if (
                tf_dtype is not None
                and tf_dtype.is_numpy_compatible
                and tf_dtype.name != "string"
                and np.dtype(tf_dtype.as_numpy_dtype) == np_dtype
            ):
                found = tf_dtype.as_datatype_enum
        _FAST_ENUMS[np_dtype] = found
    return found


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
        _fs.check_backend(prefix)
        self._prefix = prefix
        self._num_shards = num_shards
        directory = os.path.dirname(prefix)
        if directory:
            _fs.makedirs(directory)
        # Each shard is staged (a temp sibling locally, a local temp file for a URL) and
        # moved or uploaded into place by finish(), before the index.
        self._staged: list[_fs.Staged] = []
        try:
            for i in range(num_shards):
                self._staged.append(_fs.stage(data_filename(prefix, i, num_shards)))
        except BaseException:
            for staged in self._staged:
                staged.discard()
            raise
        self._files: list[BinaryIO] = [s.file for s in self._staged]
        self._offsets = [0] * num_shards
        # key -> serialized entry (bytes; b"" while its payload is pending) or, for
        # partitioned tensors and large payloads, a BundleEntryProto.
        self._entries: dict[bytes, Any] = {}
        self._pending: list[tuple[bytes, bytes, bytes, int]] = []  # key, payload, head, shard
        self._pending_bytes = 0
        self._protos = False  # whether some entry is a BundleEntryProto
        self._heads: dict[tuple[int, tuple[int, ...]], bytes] = {}  # encode_head cache
        self._finished = False
        self._pool: ThreadPoolExecutor | None = None
        self._pending_crcs: list[tuple[Any, Future[int]]] = []

    def add(self, name: str, value: Any, *, dtype: Any = None, shard: int = 0) -> None:
        """Appends one whole tensor.

        Raises:
            InvalidArgumentError: for a duplicate name or a bad shard index.
        """
        key = name.encode("utf-8")
        if self._finished or not key or key in self._entries or not 0 <= shard < self._num_shards:
            self._check_new(key, shard)  # raises the matching error
        if dtype is None and type(value) is np.ndarray:
            enum = _FAST_ENUMS.get(value.dtype) or _fast_enum(value.dtype)
            if enum and value.nbytes < _SMALL_BYTES:
                # Queued: _flush_small writes many of these with one write() and encodes
                # their entries together. tobytes() snapshots the caller's array.
                head = self._heads.get((enum, value.shape)) or self._head(enum, value.shape)
                self._entries[key] = b""
                self._pending.append((key, value.tobytes(), head, shard))
                self._pending_bytes += value.nbytes
                if self._pending_bytes >= _BATCH_BYTES:
                    self._flush_small()
                return
        array, tf_dtype = _as_array(value, None if dtype is None else as_dtype(dtype))
        self._entries[key] = self._write_payload(array, tf_dtype, shard)

    def _head(self, enum: int, shape: tuple[int, ...]) -> bytes:
        head = self._heads[(enum, shape)] = entries.encode_head(enum, shape)
        return head

    def _flush_small(self) -> None:
        """Writes the queued small payloads (one ``write`` per shard) and their entries."""
        if not self._pending:
            return
        keys, payloads, heads, shard_list = zip(*self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        sizes = np.fromiter(map(len, payloads), dtype=np.int64, count=len(payloads))
        shards = np.array(shard_list, dtype=np.int64)
        offsets = np.empty_like(sizes)
        for shard, out in enumerate(self._files):
            mine = shards == shard if self._num_shards > 1 else slice(None)
            ends = self._offsets[shard] + np.cumsum(sizes[mine])
            if len(ends):
                offsets[mine] = ends - sizes[mine]
                self._offsets[shard] = int(ends[-1])
                out.write(b"".join(compress(payloads, mine) if self._num_shards > 1 else payloads))
        masked = mask_many(crc32c_many(payloads))
        tails = entries.encode_tails(shards, offsets, sizes, masked)
        self._entries.update(zip(keys, map(bytes.__add__, heads, tails)))

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
            self._protos = True
        elif isinstance(full, bytes) or full.dtype != tf_dtype.as_datatype_enum or not full.slices:
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
        self._flush_small()  # keep the data file in the order tensors were added
        self._protos = True
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
        self._flush_small()
        self._collect_crcs()
        header = tensor_bundle_pb2.BundleHeaderProto(num_shards=self._num_shards)
        header.version.producer = FORMAT_VERSION
        keys = sorted(self._entries)
        values = list(map(self._entries.__getitem__, keys))
        if self._protos:  # partitioned tensors and large payloads
            values = [v if type(v) is bytes else v.SerializeToString() for v in values]
        table = TableBuilder()
        table.add_all([HEADER_KEY, *keys], [header.SerializeToString(), *values])
        blob = table.finish()
        # Data first, the index last: the index is what makes a checkpoint visible, so a
        # reader never finds an index whose data is not there yet (no rename on object stores).
        for staged in self._staged:
            staged.commit()
        _fs.write_atomic(index_filename(self._prefix), blob)
        self._finished = True
        return self._prefix

    def abort(self) -> None:
        """Discards everything written so far; files under final names are untouched."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        self._pending.clear()
        for staged in self._staged:
            staged.discard()
        self._finished = True

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()
