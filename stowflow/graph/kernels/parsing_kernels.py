"""``ParseExampleV2``: tf.train.Example parsing with TensorFlow's fast-parser semantics.

The wire reader mirrors TF's ``example_proto_fast_parsing.cc`` rather than a protobuf
library, because TF's observable behaviour depends on it: unknown top-level fields are
skipped even when truncated (``b"zzz"`` parses as an empty Example), map entries are read
last-to-first (the last duplicate key wins; for dense features an *empty* ``Feature`` is
skipped so an earlier duplicate can win), a ``Feature`` with no kind is "missing", and a
string list longer than a fixed dense shape is a parse error rather than a count error.
A scalar ``serialized`` takes TF's single-example path, whose messages differ
(FORMATS.md §6.2; messages checked against TF 2.21).

Batches take a template fast path ("batch fast path" below): rows whose bytes match an
exactly parsed template outside its value regions are decoded in bulk; every other row goes
through the exact parser, which stays the arbiter of every quirk and error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.dtypes import DType
from stowflow.errors import InvalidArgumentError
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.shape import TensorShape, unknown_shape

# Oneof tags of tensorflow.Feature (feature.proto): 1 bytes_list, 2 float_list, 3 int64_list.
_KIND_BY_TAG = {0x0A: dtypes.string, 0x12: dtypes.float32, 0x1A: dtypes.int64}
_LIST_NAME = {dtypes.string: "bytes", dtypes.float32: "float", dtypes.int64: "int64"}
_TF_TYPE_NAME = {dtypes.string: "string", dtypes.float32: "float", dtypes.int64: "int64"}
_UNKNOWN_NAME = "<unknown>"


class _Fail(Exception):
    """A wire-level parse failure (TF's parser functions returning false)."""


# --------------------------------------------------------------------------- wire reader


class _Stream:
    """The slice of protobuf's CodedInputStream TF's fast parser relies on (limits, at-end)."""

    __slots__ = ("buf", "pos", "limit")

    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf = buf
        self.pos = pos
        self.limit = len(buf)

    def readable_end(self) -> int:
        return min(self.limit, len(self.buf))

    def at_end(self) -> bool:
        # CodedInputStream::ExpectAtEnd: a limit beyond the buffer is never reached.
        return self.pos == self.limit

    def push_limit(self, length: int) -> int:
        old = self.limit
        self.limit = min(old, self.pos + length)
        return old

    def varint(self) -> int:
        end = self.readable_end()
        result = shift = 0
        for _ in range(10):
            if self.pos >= end:
                raise _Fail
            byte = self.buf[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result
        raise _Fail

    def expect_byte(self, tag: int) -> bool:
        if self.pos < self.readable_end() and self.buf[self.pos] == tag:
            self.pos += 1
            return True
        return False

    def peek(self) -> int:
        return self.buf[self.pos] if self.pos < self.readable_end() else 0

    def raw(self, count: int) -> bytes:
        if self.pos + count > self.readable_end():
            raise _Fail
        out = self.buf[self.pos : self.pos + count]
        self.pos += count
        return out

    def skip(self, count: int) -> None:
        self.pos = min(self.pos + count, self.readable_end())


def _skip_extraneous(stream: _Stream) -> None:
    wire_type = stream.varint() & 7
    if wire_type == 0:
        stream.varint()
    elif wire_type == 1:
        stream.raw(8)
    elif wire_type == 2:
        stream.skip(stream.varint())  # TF ignores a short skip here
    elif wire_type == 5:
        stream.raw(4)
    else:  # groups and invalid wire types
        raise _Fail


def _map_entry(stream: _Stream, offsets: list[int] | None) -> tuple[bytes, bytes]:
    if not stream.expect_byte(0x0A):  # Features.feature (field 1); nothing else is allowed
        raise _Fail
    old = stream.push_limit(stream.varint())
    key, value, value_start = b"", b"", stream.pos
    for _ in range(2):  # exactly one key and one value, in either order
        tag = 0 if stream.at_end() else stream.varint()
        if tag not in (0x0A, 0x12):
            raise _Fail
        length = stream.varint()
        start = stream.pos
        data = stream.raw(length) if length else b""
        key, value = (data, value) if tag == 0x0A else (key, data)
        if tag == 0x12:
            value_start = start
    if not stream.at_end():
        raise _Fail
    stream.limit = old
    if offsets is not None:
        offsets.append(value_start)
    return key, value


def parse_entries(
    serialized: bytes, offsets: list[int] | None = None
) -> list[tuple[bytes, bytes]] | None:
    """The (key, Feature bytes) map entries of an Example in wire order, or None if malformed.

    When ``offsets`` is given, the position of each entry's Feature bytes in ``serialized`` is
    appended to it (the fast path's template records where values sit).
    """
    stream = _Stream(serialized)
    entries: list[tuple[bytes, bytes]] = []
    try:
        while not stream.at_end():
            if not stream.expect_byte(0x0A):
                _skip_extraneous(stream)
                continue
            old = stream.push_limit(stream.varint())
            while not stream.at_end():
                entries.append(_map_entry(stream, offsets))
            stream.limit = old
    except _Fail:
        return None
    return entries


def feature_kind(feature: bytes) -> DType | None:
    """The dtype of a Feature's list (None for a Feature with no kind).

    Raises:
        InvalidArgumentError: "Unsupported datatype." for any other first tag (as TF).
    """
    if not feature:
        return None
    kind = _KIND_BY_TAG.get(feature[0])
    if kind is None:
        raise InvalidArgumentError(None, None, "Unsupported datatype.")
    return kind


def _open_list(feature: bytes) -> tuple[_Stream, int]:
    stream = _Stream(feature, 1)
    return stream, stream.push_limit(stream.varint())


def _int64_list(feature: bytes, cap: int | None) -> tuple[list[int], int]:
    stream, _ = _open_list(feature)
    values: list[int] = []
    if stream.at_end():
        return values, 0
    if stream.peek() == 0x0A:  # packed
        stream.pos += 1
        old = stream.push_limit(stream.varint())
        while not stream.at_end():
            values.append(stream.varint())
        stream.limit = old
    elif stream.peek() == 0x08:
        while not stream.at_end():
            if not stream.expect_byte(0x08):
                raise _Fail
            values.append(stream.varint())
    else:
        raise _Fail
    signed = [v - (1 << 64) if v >= 1 << 63 else v for v in values]
    return signed, len(signed)


def _float_list(feature: bytes, cap: int | None) -> tuple[list[float], int]:
    stream, _ = _open_list(feature)
    if stream.at_end():
        return [], 0
    if stream.peek() == 0x0A:  # packed: TF reads one packed run and ignores what follows
        stream.pos += 1
        length = stream.varint()
        stream.push_limit(length)
        count = length // 4
        take = count if cap is None else min(count, cap)
        return np.frombuffer(stream.raw(4 * take), "<f4").tolist(), count
    if stream.peek() != 0x0D:
        raise _Fail
    values: list[float] = []
    while not stream.at_end():
        if not stream.expect_byte(0x0D):
            raise _Fail
        values.append(float(np.frombuffer(stream.raw(4), "<f4")[0]))
    return values, len(values)


def _bytes_list(feature: bytes, cap: int | None) -> tuple[list[bytes], int]:
    stream, _ = _open_list(feature)
    values: list[bytes] = []
    while not stream.at_end():
        if not stream.expect_byte(0x0A):
            raise _Fail
        length = stream.varint()
        if cap is not None and len(values) == cap:  # LimitedArraySlice is full
            raise _Fail
        values.append(stream.raw(length))
    return values, len(values)


_LIST_PARSERS: dict[DType, Callable[[bytes, int | None], tuple[list[Any], int]]] = {
    dtypes.int64: _int64_list,
    dtypes.float32: _float_list,
    dtypes.string: _bytes_list,
}


# --------------------------------------------------------------------------- configuration


@dataclass
class _Dense:
    key: str
    dtype: DType
    shape: TensorShape
    default: np.ndarray

    @property
    def variable(self) -> bool:
        return bool(self.shape.dims) and self.shape.dims[0] is None  # type: ignore[index]

    @property
    def stride(self) -> int:
        dims = self.shape.as_list()[1:] if self.variable else self.shape.as_list()
        return int(np.prod(dims, dtype=np.int64))

    def shape_text(self) -> str:  # PartialTensorShape::DebugString
        return "[" + ",".join("?" if d is None else str(d) for d in self.shape.as_list()) + "]"


@dataclass
class _Config:
    sparse: list[tuple[str, DType]]
    dense: list[_Dense]
    ragged: list[tuple[str, DType, DType]]
    index: dict[str, tuple[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, (key, *_) in enumerate(self.sparse):
            self.index[key] = ("sparse", i)
        for i, d in enumerate(self.dense):
            self.index[d.key] = ("dense", i)
        for i, (key, *_) in enumerate(self.ragged):
            self.index[key] = ("ragged", i)


@dataclass
class _Parsed:
    """One example's values: dense rows (or None if missing), sparse/ragged lists."""

    dense: list[Any]
    sparse: list[list[Any]]
    ragged: list[list[Any]]


def _text(value: Any) -> str:
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else str(value)


def _strings(array: Any) -> list[str]:
    return [_text(v) for v in np.asarray(array, dtype=object).reshape(-1)]


# --------------------------------------------------------------------------- per-example parsing


class _ExampleParser:
    """Parses one serialized Example against the config; ``single`` picks TF's scalar path."""

    def __init__(self, config: _Config, single: bool, name: str, index: int) -> None:
        self.config = config
        self.single = single
        self.name = name
        self.index = index
        # Tracing for the fast path's template: entry offsets and the entry each slot used.
        self.offsets: list[int] | None = None
        self.used: dict[tuple[str, int], int] | None = None
        self._entry = -1

    def error(self, key: str, suffix: str) -> InvalidArgumentError:
        if self.single:
            return InvalidArgumentError(None, None, f"Key: {key}.  {suffix}")
        return InvalidArgumentError(
            None, None, f"Name: {self.name}, Key: {key}, Index: {self.index}.  {suffix}"
        )

    def parse_error(self, key: str, kind: DType) -> InvalidArgumentError:
        if self.single:
            return self.error(
                key, f"Can't parse serialized Example: Parsing {_LIST_NAME[kind]}_list failed."
            )
        return self.error(key, "Can't parse serialized Example.")

    def parse(self, serialized: bytes) -> _Parsed:
        entries = parse_entries(serialized, self.offsets)
        if entries is None:
            raise InvalidArgumentError(
                None, None, f"Could not parse example input, value: '{_text(serialized)}'"
            )
        cfg = self.config
        out = _Parsed([None] * len(cfg.dense), [None] * len(cfg.sparse), [None] * len(cfg.ragged))
        for self._entry in range(len(entries) - 1, -1, -1):  # the last duplicate wins
            raw_key, feature = entries[self._entry]
            where = cfg.index.get(_text(raw_key))
            if where is None:
                continue
            kind = feature_kind(feature)
            if where[0] == "dense":
                self._dense(out, where[1], feature, kind)
            else:
                self._listed(out, where, feature, kind)
        self._fill_missing(out)
        return out

    def _dense(self, out: _Parsed, d: int, feature: bytes, kind: DType | None) -> None:
        spec = self.config.dense[d]
        if kind is None or out.dense[d] is not None:
            return
        if kind != spec.dtype:
            raise self.error(
                spec.key,
                f"Data types don't match. Data type: {_TF_TYPE_NAME[kind]} but expected type: "
                f"{_TF_TYPE_NAME[spec.dtype]}",
            )
        cap = None if spec.variable else spec.stride
        try:
            values, count = _LIST_PARSERS[kind](feature, cap)
        except _Fail:
            raise self.parse_error(spec.key, kind) from None
        self._check_count(spec, count)
        out.dense[d] = values
        self._trace(("dense", d))

    def _trace(self, slot: tuple[str, int]) -> None:
        if self.used is not None:
            self.used[slot] = self._entry

    def _check_count(self, spec: _Dense, count: int) -> None:
        type_name = _LIST_NAME[spec.dtype]
        if spec.variable:
            if count % max(spec.stride, 1) == 0 or spec.stride == 0:
                return
            if self.single:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Error while parsing feature with key {spec.key}: number of elements should "
                    f"be divisible by {spec.stride}, found {count} instead",
                )
            raise self.error(
                spec.key,
                f"Number of {type_name} values is not a multiple of stride length. Saw {count} "
                f"values but output shape is: {spec.shape_text()}",
            )
        if count == spec.stride:
            return
        if self.single:
            raise self.error(
                spec.key,
                f"Can't parse serialized Example: Some {type_name}_list slice was not parsed.",
            )
        raise self.error(
            spec.key,
            f"Number of {type_name} values != expected.  Values size: {count} but output shape: "
            f"{spec.shape_text()}",
        )

    def _listed(self, out: _Parsed, where: tuple[str, int], feature: bytes, kind: Any) -> None:
        table = out.sparse if where[0] == "sparse" else out.ragged
        spec = (self.config.sparse if where[0] == "sparse" else self.config.ragged)[where[1]]
        key, want = spec[0], spec[1]
        # The batch path takes the last entry even when it has no kind; the scalar path skips it.
        if table[where[1]] is not None or (kind is None and self.single):
            return
        if kind is not None and kind != want:
            raise self.error(
                key,
                f"Data types don't match. Expected type: {_TF_TYPE_NAME[want]}, "
                f"Actual type: {_TF_TYPE_NAME[kind]}",
            )
        values: list[Any] = []
        if kind is not None:
            try:
                values, _ = _LIST_PARSERS[want](feature, None)
            except _Fail:
                if self.single and want == dtypes.string:
                    raise self.error(
                        key,
                        "Can't parse serialized Example: Could not get num elements in bytes_list.",
                    ) from None
                raise self.parse_error(key, want) from None
        table[where[1]] = values
        self._trace(where)

    def _fill_missing(self, out: _Parsed) -> None:
        for d, spec in enumerate(self.config.dense):
            if out.dense[d] is not None:
                continue
            if spec.variable:
                out.dense[d] = []
            elif spec.default.size == 0:
                prefix = "" if self.single else f"Name: {self.name}, "
                raise InvalidArgumentError(
                    None,
                    None,
                    f"{prefix}Feature: {spec.key} (data type: {_TF_TYPE_NAME[spec.dtype]}) is "
                    "required but could not be found.",
                )
            else:
                out.dense[d] = spec.default
        out.sparse = [v if v is not None else [] for v in out.sparse]
        out.ragged = [v if v is not None else [] for v in out.ragged]


# --------------------------------------------------------------------------- assembling outputs


def _array(values: list[Any], dtype: DType) -> np.ndarray:
    if dtype == dtypes.string:
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr
    return np.asarray(values, dtype=dtype.as_numpy_dtype).reshape(-1)


def _sparse_outputs(rows: list[list[Any]], dtype: DType, single: bool) -> list[np.ndarray]:
    counts = [len(r) for r in rows]
    values = _array([v for r in rows for v in r], dtype)
    positions = np.concatenate([np.arange(c, dtype=np.int64) for c in counts] or [[]])
    positions = positions.astype(np.int64)
    longest = max(counts, default=0)
    if single:
        return [positions.reshape(-1, 1), values, np.array([longest], np.int64)]
    batch = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    indices = np.stack([batch, positions], axis=1) if len(batch) else np.zeros((0, 2), np.int64)
    return [indices, values, np.array([len(rows), longest], np.int64)]


def _dense_output(spec: _Dense, rows: list[Any], single: bool) -> np.ndarray:
    inner = spec.shape.as_list()[1:] if spec.variable else spec.shape.as_list()
    np_dtype = object if spec.dtype == dtypes.string else spec.dtype.as_numpy_dtype
    if not spec.variable:
        out = np.empty([len(rows)] + inner, dtype=np_dtype)
        for i, row in enumerate(rows):
            out[i, ...] = np.asarray(row, dtype=np_dtype).reshape(inner)
        return out[0] if single else out
    stride = max(spec.stride, 1)
    longest = max((len(r) // stride for r in rows), default=0)
    out = np.empty([len(rows), longest] + inner, dtype=np_dtype)
    out[...] = np.asarray(spec.default, dtype=np_dtype).reshape(())
    for i, row in enumerate(rows):
        n = len(row) // stride
        if n:
            out[i, :n, ...] = np.asarray(row, dtype=np_dtype).reshape([n] + inner)
    return out[0] if single else out


def _ragged_outputs(
    rows: list[list[Any]], dtype: DType, split_dtype: DType
) -> tuple[np.ndarray, np.ndarray]:
    values = _array([v for r in rows for v in r], dtype)
    splits = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    return values, splits.astype(split_dtype.as_numpy_dtype)


# --------------------------------------------------------------------------- input checks


def _check_inputs(serialized: np.ndarray, names: np.ndarray, cfg: _Config) -> None:
    if serialized.ndim > 1:
        raise InvalidArgumentError(
            None,
            None,
            "Expected serialized to be a scalar or vector, got shape: "
            f"{_shape_text(serialized.shape)}",
        )
    if names.size > 0 and names.shape != serialized.shape:
        raise InvalidArgumentError(
            None,
            None,
            "Expected names have the same shape as serialized: "
            f"name.shape={_shape_text(names.shape)}, "
            f"serialized.shape={_shape_text(serialized.shape)}",
        )
    for d, spec in enumerate(cfg.dense):
        default = spec.default
        if spec.variable and default.size != 1:
            raise InvalidArgumentError(
                None,
                None,
                f"dense_shape[{d}] is a variable length shape and therefore the def_value "
                f"tensor must have exactly one element, but has {default.size} elements",
            )
        if not spec.variable and default.size and not spec.shape.is_compatible_with(default.shape):
            raise InvalidArgumentError(
                None,
                None,
                f"def_value[{d}].shape() == {_shape_text(default.shape)} is not compatible with "
                f"dense_shapes_[{d}] == {spec.shape_text()}",
            )


def _shape_text(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _config(inputs: list[Any], attrs: dict[str, Any]) -> _Config:
    _, _, sparse_keys, dense_keys, ragged_keys, defaults = inputs
    dense = [
        _Dense(key, dtypes.as_dtype(t), TensorShape(s.dims), np.asarray(default))
        for key, t, s, default in zip(
            _strings(dense_keys), attrs["Tdense"], attrs["dense_shapes"], defaults, strict=True
        )
    ]
    sparse = list(zip(_strings(sparse_keys), attrs["sparse_types"], strict=True))
    ragged = list(
        zip(
            _strings(ragged_keys),
            attrs["ragged_value_types"],
            attrs["ragged_split_types"],
            strict=True,
        )
    )
    return _Config(sparse, dense, ragged)


# --------------------------------------------------------------------------- batch fast path
#
# Serving batches are mostly Examples built the same way: same keys, same list lengths, only
# the values differ. The fast path parses one "template" example with the exact parser while
# recording where each selected feature's values sit; every other example of the same length
# whose bytes equal the template outside those value regions has the very same wire structure,
# so the exact parser would take the same branches and only read different values. Those are
# decoded in bulk from a 2-D uint8 array of the rows. Anything else (other structures,
# non-canonical encodings, int64 varints whose count or width differs, rows of a length seen
# once) goes through the exact parser, one example at a time, in index order, so errors are
# the exact path's.

FAST_PATH = True
"""Use the template fast path for batches (False forces the exact parser; tests and bench)."""

_MIN_GROUP = 2  # same-length rows needed before a template is tried
# A template costs about one exact parse of its row, which that row needs anyway unless the
# template is unusable (then it is parsed twice); give up on a length group after this many
# unusable templates in a row.
_MAX_UNUSABLE = 3
_FAST_DTYPES = (dtypes.float32, dtypes.int64, dtypes.string)


@dataclass
class _Layout:
    """Where one output slot's values sit in a template example.

    ``form`` is "default" (dense default), "empty" (no values), "float" / "int64" (one packed
    region) or "bytes" (one region per string); ``count`` is the number of values.
    """

    form: str
    regions: list[tuple[int, int]]
    count: int = 0


def _varint_at(buf: bytes, pos: int) -> tuple[int, int]:
    """A canonical-length varint at ``pos`` (IndexError/ValueError if absent or over-long)."""
    result = 0
    for shift in range(0, 70, 7):
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
    raise ValueError("varint too long")


def _feature_layout(feature: bytes, base: int) -> _Layout | None:
    """The value regions of a well-formed packed Feature at offset ``base``; None otherwise."""
    if not feature:
        return _Layout("empty", [])
    try:
        length, pos = _varint_at(feature, 1)
        if pos + length != len(feature):
            return None
        if length == 0:
            return _Layout("empty", [])
        if feature[0] == 0x0A:  # bytes_list: repeated (0x0A, length, payload)
            regions = []
            while pos < len(feature):
                if feature[pos] != 0x0A:
                    return None
                size, pos = _varint_at(feature, pos + 1)
                if pos + size > len(feature):
                    return None
                regions.append((base + pos, base + pos + size))
                pos += size
            return _Layout("bytes", regions, len(regions))
        if feature[pos] != 0x0A:  # only the packed encoding of float/int64 lists
            return None
        size, pos = _varint_at(feature, pos + 1)
        if size == 0 or pos + size != len(feature):
            return None
        if feature[0] == 0x12:
            return None if size % 4 else _Layout("float", [(base + pos, base + pos + size)])
        return _Layout("int64", [(base + pos, base + pos + size)])
    except (IndexError, ValueError):
        return None


@dataclass
class _Slot:
    """One output's per-row value counts and value blocks ``(rows, values[n, count])``."""

    dtype: DType
    counts: np.ndarray
    pieces: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def np_dtype(self) -> Any:
        return _np_dtype(self.dtype)

    def add(self, rows: np.ndarray, values: np.ndarray) -> None:
        self.counts[rows] = values.shape[1]
        self.pieces.append((rows, values))


def _slot_keys(cfg: _Config) -> list[tuple[str, int]]:
    return (
        [("dense", i) for i in range(len(cfg.dense))]
        + [("sparse", i) for i in range(len(cfg.sparse))]
        + [("ragged", i) for i in range(len(cfg.ragged))]
    )


def _slot_dtype(cfg: _Config, slot: tuple[str, int]) -> DType:
    kind, i = slot
    if kind == "dense":
        return cfg.dense[i].dtype
    return (cfg.sparse if kind == "sparse" else cfg.ragged)[i][1]


def _parsed_values(parsed: _Parsed, slot: tuple[str, int]) -> Any:
    return getattr(parsed, slot[0])[slot[1]]


def _fast_path_applies(cfg: _Config, count: int) -> bool:
    if not FAST_PATH or count < _MIN_GROUP:
        return False
    slots = _slot_keys(cfg)
    if any(_slot_dtype(cfg, s) not in _FAST_DTYPES for s in slots):
        return False
    for spec in cfg.dense:
        dims = spec.shape.as_list()[1:] if spec.variable else spec.shape.as_list()
        if any(d is None for d in dims) or spec.stride < 1:
            return False
    return True


def _template_layouts(
    cfg: _Config, row: bytes, name: str, index: int
) -> tuple[_Parsed, list[_Layout]] | None:
    """Parse ``row`` exactly, recording each slot's value layout; None if unusable."""
    parser = _ExampleParser(cfg, False, name, index)
    parser.offsets, parser.used = [], {}
    try:
        parsed = parser.parse(row)
    except Exception:  # the exact pass re-raises it in index order
        return None
    entries = parse_entries(row)
    if entries is None:
        return None
    layouts: list[_Layout] = []
    for slot in _slot_keys(cfg):
        entry = parser.used.get(slot)
        if entry is not None:
            layout = _feature_layout(entries[entry][1], parser.offsets[entry])
        elif slot[0] == "dense" and not cfg.dense[slot[1]].variable:
            spec = cfg.dense[slot[1]]
            layout = (
                _Layout("default", [], spec.stride) if spec.default.size == spec.stride else None
            )
        else:
            layout = _Layout("empty", [])
        if layout is None:
            return None
        if layout.form == "int64":
            layout.count = len(_parsed_values(parsed, slot))
        layouts.append(layout)
    return parsed, layouts


def _varint_places(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per byte of ``block`` (rows of packed varints): is it a varint's last byte, its place."""
    stop = block < 0x80
    ends = stop.reshape(-1).copy()
    ends[block.shape[1] - 1 :: max(block.shape[1], 1)] = True  # no row runs into the next
    first = np.concatenate(([True], ends[:-1]))
    starts = np.flatnonzero(first)
    place = np.arange(ends.size) - starts[np.cumsum(first) - 1]
    return stop, place.reshape(block.shape)


def _varints_usable(block: np.ndarray, count: int) -> np.ndarray:
    """Rows from which the exact parser reads exactly ``count`` 64-bit varints, no failure.

    Every varint must be terminated (the region's last byte too), at most 10 bytes long, with
    a 10th byte of 0 or 1 (larger values do not fit 64 bits).
    """
    stop, place = _varint_places(block)
    bad = (place >= 10) | ((place == 9) & (block > 1))
    return stop[:, -1] & (stop.sum(axis=1) == count) & ~bad.any(axis=1)


def _varints_decode(block: np.ndarray, count: int) -> np.ndarray:
    """int64 values[rows, count] of rows that passed :func:`_varints_usable`."""
    stop, place = _varint_places(block)
    parts = (block & 0x7F).astype(np.uint64) << (7 * place).astype(np.uint64)
    starts = np.flatnonzero(np.concatenate(([True], stop.reshape(-1)[:-1])))
    values = np.bitwise_or.reduceat(parts.reshape(-1), starts)
    return values.view(np.int64).reshape(block.shape[0], count)


def _decode_slot(
    layout: _Layout, spec_default: Any, dtype: DType, rows: list[bytes], block: np.ndarray
) -> np.ndarray:
    """values[len(rows), count] of one slot for rows that share the template's structure."""
    n = len(rows)
    np_dtype = _np_dtype(dtype)
    if layout.form == "default":
        default = np.asarray(spec_default, dtype=np_dtype).reshape(1, -1)
        return np.repeat(default, n, axis=0)
    if layout.form == "empty":
        return np.empty((n, 0), dtype=np_dtype)
    if layout.form == "bytes":
        values = np.empty((n, len(layout.regions)), dtype=object)
        for j, (start, end) in enumerate(layout.regions):
            values[:, j] = [row[start:end] for row in rows]
        return values
    start, end = layout.regions[0]
    region = np.ascontiguousarray(block[:, start:end])
    if layout.form == "int64":
        return _varints_decode(region, layout.count)
    # The exact parser passes floats through Python floats: round-trip alike (NaN payloads).
    with np.errstate(invalid="ignore"):
        return region.view("<f4").astype(np.float64).astype(np.float32)


def _np_dtype(dtype: DType) -> Any:
    return object if dtype == dtypes.string else dtype.as_numpy_dtype


def _same_values(decoded: np.ndarray, exact: Any, np_dtype: Any) -> bool:
    want = np.asarray(exact, dtype=np_dtype).reshape(-1)
    if np_dtype is object:
        return list(decoded) == list(want)
    return bool(decoded.tobytes() == want.tobytes())


def _match_template(
    cfg: _Config,
    rows: list[bytes],
    block: np.ndarray,
    parsed: _Parsed,
    layouts: list[_Layout],
) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """Rows (of ``block``; row 0 is the template) decodable in bulk, and their slot values.

    None when the template itself is not reproduced by the bulk decoder.
    """
    fixed = np.ones(block.shape[1], dtype=bool)
    for layout in layouts:
        for start, end in layout.regions:
            fixed[start:end] = False
    columns = np.flatnonzero(fixed)
    ok = (block[:, columns] == block[0, columns]).all(axis=1)
    for layout in layouts:
        if layout.form == "int64":
            start, end = layout.regions[0]
            where = np.flatnonzero(ok)
            region = np.ascontiguousarray(block[where, start:end])
            ok[where[~_varints_usable(region, layout.count)]] = False
    if not ok[0]:
        return None
    where = np.flatnonzero(ok)
    good_rows = [rows[i] for i in where]
    good_block = block[where]
    slots = _slot_keys(cfg)
    values = []
    for slot, layout in zip(slots, layouts, strict=True):
        dtype = _slot_dtype(cfg, slot)
        default = cfg.dense[slot[1]].default if slot[0] == "dense" else None
        decoded = _decode_slot(layout, default, dtype, good_rows, good_block)
        if not _same_values(decoded[0], _parsed_values(parsed, slot), _np_dtype(dtype)):
            return None
        values.append(decoded)
    return ok, values


def _fast_slots(cfg: _Config, rows: list[bytes], names: list[str]) -> tuple[list[_Slot], list[int]]:
    """Slots filled for the rows decoded in bulk, and the (sorted) rows left to the exact parser."""
    count = len(rows)
    slots = [_Slot(_slot_dtype(cfg, s), np.zeros(count, np.int64)) for s in _slot_keys(cfg)]
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=count)
    order = np.argsort(lengths, kind="stable")
    cuts = np.flatnonzero(np.diff(lengths[order])) + 1
    exact: list[int] = []
    for group in np.split(order, cuts):
        if len(group) < _MIN_GROUP:
            exact.extend(group.tolist())
            continue
        width = int(lengths[group[0]])
        joined = b"".join([rows[i] for i in group])
        block = np.frombuffer(joined, dtype=np.uint8).reshape(len(group), width)
        remaining = np.arange(len(group))
        unusable = 0
        while len(remaining) >= _MIN_GROUP and unusable < _MAX_UNUSABLE:
            lead = int(group[remaining[0]])
            name = names[lead] if names else _UNKNOWN_NAME
            template = _template_layouts(cfg, rows[lead], name, lead)
            match = None
            if template is not None:
                candidates = [rows[i] for i in group[remaining]]
                match = _match_template(cfg, candidates, block[remaining], *template)
            if match is None:
                exact.append(lead)
                remaining = remaining[1:]
                unusable += 1
                continue
            unusable = 0
            ok, values = match
            taken = group[remaining[ok]]
            for slot, decoded in zip(slots, values, strict=True):
                slot.add(taken, decoded)
            remaining = remaining[~ok]
        exact.extend(group[remaining].tolist())
    return slots, sorted(exact)


def _add_exact(slots: list[_Slot], cfg: _Config, row: int, parsed: _Parsed) -> None:
    """Add one exactly parsed row, converting values as the exact assembly does."""
    for slot, key in zip(slots, _slot_keys(cfg), strict=True):
        values = _parsed_values(parsed, key)
        if key[0] == "dense":
            spec = cfg.dense[key[1]]
            inner = spec.shape.as_list()[1:] if spec.variable else spec.shape.as_list()
            array = np.asarray(values, dtype=slot.np_dtype)
            if not spec.variable:
                array = array.reshape(inner)
        else:
            array = _array(values, slot.dtype)
        slot.add(np.array([row]), array.reshape(1, -1))


def _flat_values(slot: _Slot) -> tuple[np.ndarray, np.ndarray]:
    """(all values in row order, each row's first position) of a slot."""
    starts = np.zeros(len(slot.counts), dtype=np.int64)
    np.cumsum(slot.counts[:-1], out=starts[1:])
    out = np.empty(int(slot.counts.sum()), dtype=slot.np_dtype)
    for rows, values in slot.pieces:
        if values.shape[1]:
            out[(starts[rows][:, None] + np.arange(values.shape[1])).reshape(-1)] = values.reshape(
                -1
            )
    return out, starts


def _fast_sparse(slot: _Slot) -> list[np.ndarray]:
    values, starts = _flat_values(slot)
    count = len(slot.counts)
    positions = np.arange(values.size, dtype=np.int64) - np.repeat(starts, slot.counts)
    batch = np.repeat(np.arange(count, dtype=np.int64), slot.counts)
    indices = np.stack([batch, positions], axis=1) if values.size else np.zeros((0, 2), np.int64)
    longest = int(slot.counts.max(initial=0))
    return [indices, values, np.array([count, longest], np.int64)]


def _fast_dense(spec: _Dense, slot: _Slot) -> np.ndarray:
    inner = spec.shape.as_list()[1:] if spec.variable else spec.shape.as_list()
    count = len(slot.counts)
    if spec.variable:
        longest = int((slot.counts // spec.stride).max(initial=0))
        out = np.empty([count, longest] + inner, dtype=slot.np_dtype)
        out[...] = np.asarray(spec.default, dtype=slot.np_dtype).reshape(())
        flat = out.reshape(count, longest * spec.stride)
    else:
        out = np.empty([count] + inner, dtype=slot.np_dtype)
        flat = out.reshape(count, spec.stride)
    for rows, values in slot.pieces:
        flat[rows, : values.shape[1]] = values
    return out


def _fast_ragged(slot: _Slot, split_dtype: DType) -> tuple[np.ndarray, np.ndarray]:
    values, _ = _flat_values(slot)
    splits = np.concatenate([[0], np.cumsum(slot.counts)])
    return values, splits.astype(split_dtype.as_numpy_dtype)


def _parse_batch_fast(cfg: _Config, rows: list[bytes], names: list[str]) -> list[Any] | None:
    """ParseExampleV2 outputs for a vector batch via the fast path; None if no row qualified."""
    slots, exact = _fast_slots(cfg, rows, names)
    if len(exact) == len(rows):
        return None
    parsed = [
        (i, _ExampleParser(cfg, False, names[i] if names else _UNKNOWN_NAME, i).parse(rows[i]))
        for i in exact
    ]
    dense_slots = slots[: len(cfg.dense)]
    sparse_slots = slots[len(cfg.dense) : len(cfg.dense) + len(cfg.sparse)]
    ragged_slots = slots[len(cfg.dense) + len(cfg.sparse) :]
    for i, p in parsed:
        _add_exact(slots, cfg, i, p)
    sparse = [_fast_sparse(slot) for slot in sparse_slots]
    ragged = [
        _fast_ragged(slot, split)
        for slot, (_, _, split) in zip(ragged_slots, cfg.ragged, strict=True)
    ]
    return [
        *(s[0] for s in sparse),
        *(s[1] for s in sparse),
        *(s[2] for s in sparse),
        *(_fast_dense(spec, slot) for spec, slot in zip(cfg.dense, dense_slots, strict=True)),
        *(r[0] for r in ragged),
        *(r[1] for r in ragged),
    ]


@register_kernel("ParseExampleV2")
def _parse_example_v2(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    serialized = np.asarray(inputs[0], dtype=object)
    names = np.asarray(inputs[1], dtype=object)
    cfg = _config(inputs, attrs)
    _check_inputs(serialized, names, cfg)
    single = serialized.ndim == 0
    flat_names = _strings(names) if names.size else []
    if not single and _fast_path_applies(cfg, serialized.size):
        fast = _parse_batch_fast(cfg, [bytes(s) for s in serialized], flat_names)
        if fast is not None:
            return fast
    parsed = [
        _ExampleParser(cfg, single, flat_names[i] if flat_names else _UNKNOWN_NAME, i).parse(
            bytes(s)
        )
        for i, s in enumerate(serialized.reshape(-1))
    ]
    sparse = [
        _sparse_outputs([p.sparse[i] for p in parsed], t, single)
        for i, (_, t) in enumerate(cfg.sparse)
    ]
    ragged = [
        _ragged_outputs([p.ragged[i] for p in parsed], t, split)
        for i, (_, t, split) in enumerate(cfg.ragged)
    ]
    return [
        *(s[0] for s in sparse),
        *(s[1] for s in sparse),
        *(s[2] for s in sparse),
        *(
            _dense_output(spec, [p.dense[d] for p in parsed], single)
            for d, spec in enumerate(cfg.dense)
        ),
        *(r[0] for r in ragged),
        *(r[1] for r in ragged),
    ]


# --------------------------------------------------------------------------- static shapes


@register_shape("ParseExampleV2")
def _parse_example_v2_shape(op: Any) -> list[TensorShape]:
    """TF's ParseExampleV2 shape function (core/ops/parsing_ops.cc)."""
    prefix = op.inputs[0].shape
    if prefix.ndims is not None and prefix.ndims > 1:
        raise ValueError(f"Shape must be at most rank 1 but is rank {prefix.ndims}")
    rank = None if prefix.ndims is None else prefix.ndims + 1
    num_sparse = int(op.get_attr("num_sparse"))
    out: list[TensorShape] = []
    out += [TensorShape([None, rank]) for _ in range(num_sparse)]
    out += [TensorShape([None]) for _ in range(num_sparse)]
    out += [TensorShape([rank]) for _ in range(num_sparse)]
    for shape in op.get_attr("dense_shapes"):
        dims = TensorShape(shape).dims
        out.append(unknown_shape() if prefix.ndims is None else TensorShape(prefix.dims + dims))
    ragged = len(op.get_attr("ragged_value_types"))
    out += [TensorShape([None]) for _ in range(ragged)]
    out += [TensorShape([None]) for _ in range(ragged)]
    return out


@register_kernel("SparseReorder")
def _sparse_reorder(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    """Entries of a SparseTensor in row-major (canonical) order; a stable sort, as TF's."""
    indices = np.asarray(inputs[0], np.int64)
    values = np.asarray(inputs[1])
    shape = np.asarray(inputs[2], np.int64)
    for what, array, rank, kind in (
        ("indices", indices, 2, "matrix"),
        ("values", values, 1, "vector"),
        ("shape", shape, 1, "vector"),
    ):
        if array.ndim != rank:
            raise InvalidArgumentError(
                None,
                None,
                f"Input {what} should be a {kind} but received shape {_shape_text(array.shape)}",
            )
    if indices.shape[0] != values.shape[0]:
        raise InvalidArgumentError(
            None,
            None,
            f"Number of elements in indices ({indices.shape[0]}) and values "
            f"({values.shape[0]}) do not match",
        )
    if indices.shape[1] != shape.shape[0]:
        raise InvalidArgumentError(
            None,
            None,
            f"Index rank ({indices.shape[1]}) and shape rank ({shape.shape[0]}) do not match",
        )
    order = np.lexsort(indices.T[::-1]) if indices.shape[0] else np.zeros(0, np.int64)
    return [indices[order], values[order]]


@register_shape("SparseReorder")
def _sparse_reorder_shape(op: Any) -> list[TensorShape]:
    indices = op.inputs[0].shape.as_list() if op.inputs[0].shape.ndims == 2 else [None, None]
    values = op.inputs[1].shape.as_list() if op.inputs[1].shape.ndims == 1 else [None]
    rows = indices[0] if indices[0] is not None else values[0]
    return [TensorShape([rows, indices[1]]), TensorShape([rows])]
