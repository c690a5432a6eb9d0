"""Reads a tensor bundle, verifying every checksum before an array is built.

The ``.index`` table is parsed once; ``.data`` shards are memory-mapped on first use, so
reading one tensor of a huge checkpoint touches only that tensor's bytes. For a URL prefix
(``s3://``, ``gs://``, ...) each tensor is one ranged read of its bytes, never a download
of the whole shard. Partitioned tensors are reassembled from their slices. Any
inconsistency raises ``DataLossError`` naming the file and the tensor (FORMATS.md §1.13).
"""

from __future__ import annotations

import math
import mmap
import os
from operator import itemgetter
from typing import Any, Final, NoReturn

import numpy as np
from google.protobuf.message import DecodeError

from stowflow import _fs
from stowflow.bundle import codec, entries
from stowflow.bundle.crc import crc32c_many, unmask_many
from stowflow.bundle.slices import SliceSpec, encode_slice_key
from stowflow.bundle.table import TableReader
from stowflow.bundle.writer import FORMAT_VERSION, HEADER_KEY, data_filename, index_filename
from stowflow.dtypes import DType, as_dtype
from stowflow.errors import DataLossError, InvalidArgumentError, NotFoundError
from stowflow.proto import tensor_bundle_pb2
from stowflow.storage import RangeFile

_BIG_ENDIAN = 1  # BundleHeaderProto.Endianness.BIG
_INT64_MAX = (1 << 63) - 1


def _read_index(prefix: str) -> bytes:
    """The bytes of ``<prefix>.index`` (TF's NotFoundError wording when it is missing)."""
    try:
        return _fs.read_limited(index_filename(prefix), what="checkpoint index")
    except FileNotFoundError:
        raise NotFoundError(
            None,
            None,
            "Unsuccessful TensorSliceReader constructor: Failed to find any "
            f"matching files for {prefix}",
        ) from None


BATCH_BYTES = 256 << 20  # largest buffer read_many shares between tensors
_MAX_GAP = 1 << 16  # unrequested bytes read_many will read through rather than seek
_MAX_READ = 0x7FFFF000  # Linux caps one read() at this many bytes


class _Spec:
    """The dtype and shape of a whole numeric tensor, and its payload size."""

    __slots__ = ("dtype", "np_dtype", "shape", "nbytes")

    def __init__(self, dtype: DType, np_dtype: np.dtype, shape: tuple[int, ...]) -> None:
        self.dtype = dtype
        self.np_dtype = np_dtype
        self.shape = shape
        self.nbytes = math.prod(shape) * np_dtype.itemsize


# One whole numeric tensor to read: (offset, name, size, stored masked crc, spec). A plain
# tuple: building thousands of NamedTuples costs more than reading small tensors.
_Item = tuple[int, str, int, int, _Spec]
_OFFSET: Final = 0
_NAME: Final = 1
_SIZE: Final = 2
_CRC: Final = 3
_SPEC: Final = 4


def _contiguous_groups(items: list[_Item]) -> list[list[_Item]]:
    """Splits offset-sorted entries into runs with small gaps and bounded total size."""
    groups: list[list[_Item]] = []
    first_off = last_end = 0
    for item in items:
        off = item[_OFFSET]
        end = off + item[_SIZE]
        if groups and 0 <= off - last_end <= _MAX_GAP and end - first_off <= BATCH_BYTES:
            groups[-1].append(item)
        else:
            groups.append([item])
            first_off = off
        last_end = end
    return groups


def _same_type_runs(group: list[_Item]) -> list[list[_Item]]:
    """Splits a group into runs of back-to-back tensors of one dtype and shape."""
    runs: list[list[_Item]] = []
    spec = None
    last_end = -1
    for item in group:
        if item[_SPEC] is spec and item[_OFFSET] == last_end:
            runs[-1].append(item)
        else:
            runs.append([item])
            spec = item[_SPEC]
        last_end = item[_OFFSET] + item[_SIZE]
    return runs


def _split_rows(block: np.ndarray, spec: _Spec, count: int) -> list[np.ndarray]:
    """``count`` arrays of ``spec`` laid out back to back in ``block`` (views of it)."""
    stacked = block.view(spec.np_dtype).reshape((count, *spec.shape))
    if spec.shape:
        return list(stacked)
    return [stacked[i, ...] for i in range(count)]  # list() would give NumPy scalars


def _bytes_of(data: Any, start: int, end: int) -> Any:
    """Bytes [start, end) of a shard: a view of a memory map, a ranged read of a remote one."""
    if isinstance(data, RangeFile):
        return data.read(start, end)
    return memoryview(data)[start:end]


def _pread_into(fd: int, buf: np.ndarray, offset: int) -> None:
    """Fills ``buf`` from ``fd`` at ``offset`` (several reads past the kernel's cap)."""
    view = memoryview(buf)
    done = 0
    while done < len(view):
        n = os.preadv(fd, [view[done : done + _MAX_READ]], offset + done)
        if n <= 0:
            raise DataLossError(None, None, f"unexpected end of file at byte {offset + done}")
        done += n


class BundleReader:
    """Random access to the tensors of one bundle.

    Args:
        prefix: the checkpoint prefix (``<prefix>.index`` must exist).

    Raises:
        NotFoundError: if the index file is missing.
        DataLossError: if the index is corrupt, truncated or of an unknown version.

    Example:
        >>> with BundleReader("/ckpt/model.ckpt-7") as r:  # doctest: +SKIP
        ...     w = r.read("w")
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._index_path = index_filename(prefix)
        raw = _read_index(prefix)
        table = TableReader(raw, self._index_path)
        items = table.items()
        first = next(items, None)
        if first is None or first[0] != HEADER_KEY:
            self._index_error("the first entry is not the bundle header")
        self.header = self._parse(tensor_bundle_pb2.BundleHeaderProto, first[1], "header")
        self._check_version()
        self._entries: dict[bytes, bytes] = dict(items)
        self._names = sorted(
            k.decode("utf-8", "surrogateescape") for k in self._entries if not k.startswith(b"\0")
        )
        self._parsed: dict[bytes, Any] = {}
        self._maps: dict[int, Any] = {}
        self._remote = _fs.is_url(prefix)

    # -- index ------------------------------------------------------------------------------

    def _index_error(self, what: str) -> NoReturn:
        raise DataLossError(None, None, f"Corrupted checkpoint index {self._index_path}: {what}")

    def _parse(self, cls: Any, data: bytes, what: str) -> Any:
        msg = cls()
        try:
            msg.ParseFromString(data)
        except DecodeError:
            self._index_error(f"cannot parse the entry for {what}")
        return msg

    def _check_version(self) -> None:
        version = self.header.version
        if (
            version.producer < 0
            or version.min_consumer > FORMAT_VERSION
            or (FORMAT_VERSION in version.bad_consumers)
        ):
            self._index_error(
                f"bundle version producer={version.producer} min_consumer="
                f"{version.min_consumer} is not readable by version {FORMAT_VERSION}"
            )
        if self.header.num_shards < 1:
            self._index_error(f"header has num_shards={self.header.num_shards}")

    def entry(self, name: str | bytes) -> Any:
        """The ``BundleEntryProto`` of a key.

        Raises:
            NotFoundError: if the checkpoint has no such key.
        """
        key = name if isinstance(name, bytes) else name.encode("utf-8")
        found = self._parsed.get(key)
        if found is None:
            raw = self._entries.get(key)
            if raw is None:
                shown = name if isinstance(name, str) else repr(name)
                raise NotFoundError(None, None, f"Key {shown} not found in checkpoint")
            found = self._parse(tensor_bundle_pb2.BundleEntryProto, raw, repr(key))
            self._parsed[key] = found
        return found

    def keys(self) -> list[str]:
        """Every tensor name (not slice keys), sorted."""
        return list(self._names)

    def raw_keys(self) -> list[bytes]:
        """Every index key except the header, in key order (slice keys included)."""
        return sorted(self._entries)

    def has(self, name: str) -> bool:
        """True if the checkpoint holds ``name``."""
        return name.encode("utf-8") in self._entries

    def dtype(self, name: str) -> DType:
        """The stored dtype of ``name``."""
        return as_dtype(self.entry(name).dtype)

    def shape(self, name: str) -> list[int]:
        """The full shape of ``name``."""
        return [d.size for d in self.entry(name).shape.dim]

    # -- data -------------------------------------------------------------------------------

    def _data(self, shard: int, name: str) -> Any:
        mapped = self._maps.get(shard)
        if mapped is None:
            if not 0 <= shard < self.header.num_shards:
                self._index_error(f"tensor {name} names shard {shard} of {self.header.num_shards}")
            path = data_filename(self.prefix, shard, self.header.num_shards)
            try:
                if self._remote:
                    mapped = _fs.open_ranges(path)
                else:
                    with open(_fs.local_path(path), "rb") as f:
                        size = os.fstat(f.fileno()).st_size
                        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            except FileNotFoundError:
                raise DataLossError(
                    None,
                    None,
                    f"Data file {path} of checkpoint {self.prefix} is missing "
                    f"(needed for tensor {name})",
                ) from None
            self._maps[shard] = mapped
        return mapped

    def _shape_of(self, entry: Any, name: str) -> list[int]:
        shape = [d.size for d in entry.shape.dim]
        if any(d < 0 for d in shape):
            self._index_error(f"tensor {name} has a negative dimension in shape {shape}")
        return shape

    def _read_entry(self, key: bytes, entry: Any, name: str) -> np.ndarray:
        dtype = as_dtype(entry.dtype)
        shape = self._shape_of(entry, name)
        data = self._data(entry.shard_id, name)
        path = data_filename(self.prefix, entry.shard_id, self.header.num_shards)
        if entry.offset < 0 or entry.size < 0 or entry.offset + entry.size > len(data):
            raise DataLossError(
                None,
                None,
                f"Tensor {name} in {path}: entry [{entry.offset}, "
                f"{entry.offset + entry.size}) lies outside the {len(data)}-byte file "
                "(truncated or corrupt checkpoint)",
            )
        buf = _bytes_of(data, entry.offset, entry.offset + entry.size)
        try:
            if dtype.name == "string":
                return codec.decode_strings(buf, shape, entry.crc32c)
            if not dtype.is_numpy_compatible:
                raise InvalidArgumentError(None, None, f"cannot read {dtype.name} tensor {name}")
            return codec.decode_numeric(
                buf,
                dtype,
                shape,
                entry.crc32c,
                big_endian=self.header.endianness == _BIG_ENDIAN,
            )
        except codec.PayloadError as e:
            raise DataLossError(
                None, None, f"Checksum or size error reading tensor {name} from {path}: {e}"
            ) from None

    def read(self, name: str, *, copy: bool = True) -> np.ndarray:
        """The full value of ``name`` (partitioned tensors reassembled).

        Args:
            name: the tensor key.
            copy: False returns a read-only view into the memory-mapped file.

        Raises:
            NotFoundError: for an unknown key.
            DataLossError: for corrupt or truncated data.
        """
        entry = self.entry(name)
        if entry.slices:
            return self._assemble(name, entry)
        array = self._read_entry(name.encode("utf-8"), entry, name)
        return array.copy() if copy and array.dtype != object else array

    def read_many(self, names: list[str]) -> dict[str, np.ndarray]:
        """Reads several tensors, batching each shard's numeric tensors into large reads.

        Whole numeric tensors that lie next to each other in a data file are read with one
        ``preadv`` into one buffer of at most ``BATCH_BYTES`` and returned as views of it
        (so a kept tensor keeps its batch's buffer alive). Every CRC is still checked.
        Their index entries are decoded together (``entries.decode_many``); an entry in
        any other form, strings and partitioned tensors go through :meth:`read`.

        Raises:
            NotFoundError / DataLossError: as :meth:`read`.
        """
        keys = [name.encode("utf-8") for name in names]
        raws = [self._entries.get(key, b"") for key in keys]
        decoded = entries.decode_many(raws)
        specs = [None if h is None else self._spec(*h) for h in decoded.heads]
        # Entries whose shard or size is off take the slow path, which names the problem.
        nbytes = np.array([-1 if s is None or s.nbytes > _INT64_MAX else s.nbytes for s in specs])
        fast = decoded.ok & (self.header.endianness != _BIG_ENDIAN)
        if specs:
            fast &= (decoded.size == nbytes[decoded.head]) & (
                decoded.shard < self.header.num_shards
            )
        out: dict[str, np.ndarray] = {}
        batchable: dict[int, list[_Item]] = {}
        picked = np.flatnonzero(fast)
        columns = zip(
            picked.tolist(),
            decoded.head[picked].tolist(),
            decoded.shard[picked].tolist(),
            decoded.offset[picked].tolist(),
            decoded.size[picked].tolist(),
            decoded.crc[picked].tolist(),
            strict=True,
        )
        for i, head, shard, offset, size, crc in columns:
            batchable.setdefault(shard, []).append((offset, names[i], size, crc, specs[head]))
        for i in np.flatnonzero(~fast).tolist():
            name = names[i]
            entry = self.entry(name)
            dtype = as_dtype(entry.dtype)
            if entry.slices or dtype.name == "string" or not dtype.is_numpy_compatible:
                out[name] = self.read(name)
            else:
                shape = tuple(self._shape_of(entry, name))
                spec = _Spec(dtype, np.dtype(dtype.as_numpy_dtype), shape)
                item = (entry.offset, name, entry.size, entry.crc32c, spec)
                self._check_numeric_entry(entry.shard_id, item)
                batchable.setdefault(entry.shard_id, []).append(item)
        big_endian = self.header.endianness == _BIG_ENDIAN
        for shard, items in batchable.items():
            items.sort(key=itemgetter(_OFFSET))
            for group in _contiguous_groups(items):
                out.update(self._read_group(shard, group, big_endian))
        return {name: out[name] for name in names}

    def _spec(self, dtype_enum: int, shape: tuple[int, ...]) -> _Spec | None:
        """The numeric type of a decoded entry head, or None (string, resource, unknown)."""
        try:
            dtype = as_dtype(dtype_enum)
        except TypeError:
            return None
        if dtype.name == "string" or not dtype.is_numpy_compatible:
            return None
        return _Spec(dtype, np.dtype(dtype.as_numpy_dtype), shape)

    def _check_numeric_entry(self, shard: int, item: _Item) -> None:
        """Bounds a whole numeric entry before any buffer is sized from it."""
        name = item[_NAME]
        expected = item[_SPEC].nbytes
        if not 0 <= shard < self.header.num_shards:
            self._index_error(f"tensor {name} names shard {shard} of {self.header.num_shards}")
        if item[_OFFSET] < 0 or item[_SIZE] != expected:
            self._index_error(
                f"tensor {name} has offset {item[_OFFSET]} and size {item[_SIZE]}; its dtype "
                f"and shape need {expected} bytes"
            )

    def _read_group(self, shard: int, group: list[_Item], big_endian: bool) -> dict[str, Any]:
        path = data_filename(self.prefix, shard, self.header.num_shards)
        start = group[0][_OFFSET]
        end = max(item[_OFFSET] + item[_SIZE] for item in group)
        if self._remote:
            buf = self._read_remote(shard, group[-1][_NAME], path, start, end)
        else:
            buf = self._read_local(path, group[-1][_NAME], start, end)
        if big_endian:
            return self._decode_one_by_one(path, buf, start, group, big_endian)
        return self._decode_runs(path, buf, start, group)

    def _read_remote(self, shard: int, name: str, path: str, start: int, end: int) -> np.ndarray:
        """Bytes [start, end) of a remote shard: one ranged read."""
        blob = self._data(shard, name)
        if end > len(blob):
            raise DataLossError(
                None,
                None,
                f"Tensor {name} in {path}: entry ends at byte {end} "
                f"but the file has {len(blob)} bytes (truncated or corrupt checkpoint)",
            )
        return np.frombuffer(bytearray(blob.read(start, end)), dtype=np.uint8)

    def _read_local(self, path: str, name: str, start: int, end: int) -> np.ndarray:
        try:
            with open(_fs.local_path(path), "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if end > size:  # checked before sizing a buffer from untrusted offsets
                    raise DataLossError(
                        None,
                        None,
                        f"Tensor {name} in {path}: entry ends at byte {end} "
                        f"but the file has {size} bytes (truncated or corrupt checkpoint)",
                    )
                buf = np.empty(end - start, dtype=np.uint8)
                _pread_into(f.fileno(), buf, start)
        except FileNotFoundError:
            raise DataLossError(
                None, None, f"Data file {path} of checkpoint {self.prefix} is missing"
            ) from None
        return buf

    def _decode_runs(
        self, path: str, buf: np.ndarray, start: int, group: list[_Item]
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for run in _same_type_runs(group):
            first = run[0]
            begin = first[_OFFSET] - start
            spec = first[_SPEC]
            block = buf[begin : begin + first[_SIZE] * len(run)]
            arrays = _split_rows(block, spec, len(run))
            actual = crc32c_many(block.reshape(len(run), first[_SIZE]))
            stored = unmask_many([item[_CRC] for item in run])
            if actual != stored:
                bad = run[next(i for i, (a, b) in enumerate(zip(actual, stored)) if a != b)]
                raise DataLossError(
                    None,
                    None,
                    f"Checksum or size error reading tensor {bad[_NAME]} from {path}: "
                    "checksum mismatch",
                )
            result.update(zip([item[_NAME] for item in run], arrays))
        return result

    def _decode_one_by_one(
        self, path: str, buf: np.ndarray, start: int, group: list[_Item], big_endian: bool
    ) -> dict[str, Any]:
        result = {}
        for item in group:
            view = buf[item[_OFFSET] - start : item[_OFFSET] - start + item[_SIZE]]
            try:
                result[item[_NAME]] = codec.decode_numeric(
                    view, item[_SPEC].dtype, item[_SPEC].shape, item[_CRC], big_endian=big_endian
                )
            except codec.PayloadError as e:
                raise DataLossError(
                    None,
                    None,
                    f"Checksum or size error reading tensor {item[_NAME]} from {path}: {e}",
                ) from None
        return result

    def _assemble(self, name: str, entry: Any) -> np.ndarray:
        dtype = as_dtype(entry.dtype)
        full_shape = tuple(self._shape_of(entry, name))
        self._check_slices_can_cover(name, entry, full_shape)
        out = np.empty(full_shape, dtype=dtype.as_numpy_dtype)
        covered = np.zeros(full_shape, dtype=bool)
        for slice_proto in entry.slices:
            extents = [
                (e.start, e.length if e.HasField("length") else -1) for e in slice_proto.extent
            ]
            if len(extents) != len(full_shape):
                self._index_error(f"slice of {name} has rank {len(extents)}, tensor {full_shape}")
            spec = SliceSpec(full_shape, tuple(extents))
            key = encode_slice_key(name, extents)
            part = self._read_entry(key, self.entry(key), f"{name} slice {spec.to_string()}")
            if part.shape != spec.slice_shape():
                self._index_error(f"slice {spec.to_string()} of {name} has shape {part.shape}")
            out[spec.index()] = part
            covered[spec.index()] = True
        if not covered.all():
            self._index_error(f"the slices of {name} do not cover its shape {list(full_shape)}")
        return out

    def _check_slices_can_cover(self, name: str, entry: Any, full_shape: tuple[int, ...]) -> None:
        """The slices' stored elements must reach the full shape before we allocate it."""
        stored = 0
        for slice_proto in entry.slices:
            extents = [
                (e.start, e.length if e.HasField("length") else -1) for e in slice_proto.extent
            ]
            if len(extents) != len(full_shape):
                self._index_error(f"slice of {name} has rank {len(extents)}, tensor {full_shape}")
            try:
                slice_entry = self.entry(encode_slice_key(name, extents))
            except NotFoundError:
                self._index_error(f"a slice of partitioned tensor {name} has no entry")
            stored += math.prod(self._shape_of(slice_entry, name))
        if stored < math.prod(full_shape):
            self._index_error(
                f"the slices of {name} hold {stored} elements, fewer than its "
                f"shape {list(full_shape)} needs"
            )

    def read_slice(self, name: str, spec: SliceSpec) -> np.ndarray:
        """The sub-block ``spec`` of ``name`` (works for whole and partitioned tensors).

        Raises:
            InvalidArgumentError: if the spec's full shape differs from the stored shape.
        """
        stored = tuple(self.shape(name))
        if stored != spec.full_shape:
            raise InvalidArgumentError(
                None,
                None,
                f"tensor {name} has shape {list(stored)} but the slice spec "
                f"{spec.to_string()!r} is for shape {list(spec.full_shape)}",
            )
        return np.array(self.read(name, copy=False)[spec.index()])

    def close(self) -> None:
        """Unmaps the data files."""
        for mapped in self._maps.values():
            if isinstance(mapped, mmap.mmap):
                try:
                    mapped.close()
                except BufferError:
                    pass  # an array still views it; it unmaps when that array dies
        self._maps.clear()

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
