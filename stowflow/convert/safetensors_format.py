"""The safetensors format, read and written without the ``safetensors`` package.

Layout (huggingface/safetensors, "Format"): an unsigned little-endian 64-bit header size
N, then N bytes of UTF-8 JSON ``{name: {"dtype", "shape", "data_offsets": [begin, end]},
"__metadata__": {str: str}}``, then the raw little-endian, C-order tensor bytes; offsets
are relative to the end of the header and the tensors tile the data area without gaps.
The writer pads the header with spaces to a multiple of 8 bytes, as the reference writer
does, so every tensor starts 8-byte aligned.
"""

from __future__ import annotations

import io
import json
import os
import struct
from typing import Any

import numpy as np

from stowflow import _fs, dtypes
from stowflow.convert.base import TensorInfo
from stowflow.convert.errors import UnsupportedTensorError
from stowflow.dtypes import DType
from stowflow.errors import DataLossError, InvalidArgumentError, NotFoundError

MAX_HEADER_BYTES = 100_000_000  # the reference reader's limit
_METADATA_KEY = "__metadata__"

# safetensors dtype code <-> TF dtype name (safetensors' Dtype enum; F8_E4M3 is e4m3fn).
_CODES = {
    "BOOL": "bool",
    "U8": "uint8",
    "I8": "int8",
    "I16": "int16",
    "U16": "uint16",
    "I32": "int32",
    "U32": "uint32",
    "I64": "int64",
    "U64": "uint64",
    "F16": "float16",
    "BF16": "bfloat16",
    "F32": "float32",
    "F64": "float64",
    "F8_E5M2": "float8_e5m2",
    "F8_E4M3": "float8_e4m3fn",
    "C64": "complex64",
}
_CODE_OF = {tf_name: code for code, tf_name in _CODES.items()}


def unsupported(dtype: DType) -> str | None:
    """Why safetensors cannot hold ``dtype`` (None if it can)."""
    if dtype.name in _CODE_OF:
        return None
    return f"safetensors has no dtype for TensorFlow {dtype.name}"


def _header_bytes(infos: list[TensorInfo], metadata: dict[str, str] | None) -> bytes:
    header: dict[str, Any] = {}
    if metadata:
        header[_METADATA_KEY] = dict(metadata)
    offset = 0
    for info in infos:
        code = _CODE_OF.get(info.dtype.name)
        if code is None:
            raise UnsupportedTensorError(info.name, str(unsupported(info.dtype)))
        if info.name == _METADATA_KEY or info.name in header:
            raise InvalidArgumentError(
                None, None, f"safetensors cannot hold two tensors named {info.name!r}"
            )
        end = offset + info.nbytes
        header[info.name] = {
            "dtype": code,
            "shape": list(info.shape),
            "data_offsets": [offset, end],
        }
        offset = end
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw


def _little_endian_bytes(array: np.ndarray) -> np.ndarray:
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8)


class SafetensorsSink:
    """Writes a ``.safetensors`` file tensor by tensor, in plan order.

    Args:
        path: the output file (written to a temp sibling, renamed on :meth:`finish`).
        plan: every tensor that will be written, in order.
        metadata: the ``__metadata__`` map; by default ``{"format": "pt"}`` like
            ``safetensors.torch.save_file``, which transformers' loader expects.

    Raises:
        UnsupportedTensorError: if a planned dtype has no safetensors code.
    """

    def __init__(
        self, path: str, plan: list[TensorInfo], metadata: dict[str, str] | None = None
    ) -> None:
        header = _header_bytes(plan, {"format": "pt"} if metadata is None else metadata)
        self._path = path
        self._plan = list(plan)
        self._next = 0
        self._tmp = _fs.temp_sibling(path)
        self._file: io.BufferedWriter = open(self._tmp, "wb")  # noqa: SIM115 - closed later
        self._file.write(header)

    def write(self, name: str, array: np.ndarray) -> None:
        """Appends the next planned tensor.

        Raises:
            InvalidArgumentError: if ``name``, shape or dtype differs from the plan.
        """
        _check_planned(self._plan, self._next, name, array)
        self._file.write(_little_endian_bytes(array).data)
        self._next += 1

    def finish(self) -> None:
        """Checks every planned tensor arrived, then renames the file into place."""
        if self._next != len(self._plan):
            missing = [i.name for i in self._plan[self._next :]]
            self.abort()
            raise InvalidArgumentError(None, None, f"safetensors output misses {missing}")
        self._file.close()
        os.replace(self._tmp, self._path)

    def abort(self) -> None:
        """Deletes the partial temp file."""
        self._file.close()
        if os.path.exists(self._tmp):
            os.remove(self._tmp)


def _check_planned(plan: list[TensorInfo], index: int, name: str, array: np.ndarray) -> None:
    if index >= len(plan) or plan[index].name != name:
        expected = plan[index].name if index < len(plan) else "nothing more"
        raise InvalidArgumentError(None, None, f"wrote tensor {name!r}, expected {expected!r}")
    info = plan[index]
    if tuple(array.shape) != info.shape or dtypes.as_dtype(array.dtype) != info.dtype:
        raise InvalidArgumentError(
            None,
            None,
            f"tensor {name!r} is {array.dtype}{list(array.shape)}, planned "
            f"{info.dtype.name}{list(info.shape)}",
        )


def save_file(
    tensors: dict[str, np.ndarray], path: str, metadata: dict[str, str] | None = None
) -> None:
    """Writes ``tensors`` (name -> array) to a ``.safetensors`` file.

    Example:
        >>> save_file({"w": np.ones((2, 2), np.float32)}, "/tmp/w.safetensors")  # doctest: +SKIP
    """
    plan = [TensorInfo(n, dtypes.as_dtype(a.dtype), tuple(a.shape)) for n, a in tensors.items()]
    sink = SafetensorsSink(path, plan, metadata)
    try:
        for info in plan:
            sink.write(info.name, tensors[info.name])
    except BaseException:
        sink.abort()
        raise
    sink.finish()


class SafetensorsSource:
    """Reads a ``.safetensors`` file one tensor at a time, checking the header first.

    Each tensor is read into its own buffer (no memory map), so converting a large file
    keeps memory bounded by the largest tensor.

    Raises:
        NotFoundError / DataLossError: for a missing file or a malformed header (overlapping
            or gapped offsets, sizes that disagree with shape and dtype, bad JSON).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._file: io.BufferedReader = open(path, "rb")  # noqa: SIM115 - closed in close()
        size = os.fstat(self._file.fileno()).st_size
        try:
            self._entries, self.metadata, self._base = self._parse(size)
        except BaseException:
            self._file.close()
            raise

    def _corrupt(self, what: str) -> DataLossError:
        return DataLossError(None, None, f"Corrupt safetensors file {self.path}: {what}")

    def _parse(self, size: int) -> tuple[dict[str, tuple[TensorInfo, int]], dict[str, str], int]:
        if size < 8:
            raise self._corrupt(f"{size} bytes is too short for the header size")
        (n,) = struct.unpack("<Q", self._file.read(8))
        if n > MAX_HEADER_BYTES or 8 + n > size:
            raise self._corrupt(f"header size {n} exceeds the limit or the {size}-byte file")
        try:
            header = json.loads(self._file.read(n).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise self._corrupt(f"header is not UTF-8 JSON ({e})") from None
        if not isinstance(header, dict):
            raise self._corrupt("header is not a JSON object")
        metadata = header.pop(_METADATA_KEY, None) or {}
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise self._corrupt("__metadata__ must map strings to strings")
        entries = {name: self._entry(name, spec) for name, spec in header.items()}
        self._check_tiling(entries, size - 8 - n)
        return entries, metadata, 8 + n

    def _entry(self, name: str, spec: Any) -> tuple[TensorInfo, int]:
        try:
            code, shape, (begin, end) = spec["dtype"], spec["shape"], spec["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise self._corrupt(f"entry {name!r} lacks dtype/shape/data_offsets") from None
        if code not in _CODES:
            raise UnsupportedTensorError(name, f"safetensors dtype {code!r} has no TF type")
        ints = [*shape, begin, end] if isinstance(shape, list) else None
        if ints is None or not all(type(v) is int and v >= 0 for v in ints):
            raise self._corrupt(f"entry {name!r} has a bad shape or offsets")
        info = TensorInfo(name, dtypes.as_dtype(_CODES[code]), tuple(shape))
        if end - begin != info.nbytes:
            raise self._corrupt(
                f"tensor {name!r}: {end - begin} bytes for {code}{shape} (needs {info.nbytes})"
            )
        return info, begin

    def _check_tiling(self, entries: dict[str, tuple[TensorInfo, int]], data_size: int) -> None:
        position = 0
        for info, begin in sorted(entries.values(), key=lambda e: (e[1], e[0].nbytes)):
            if begin != position:
                raise self._corrupt(f"tensor {info.name!r} starts at {begin}, expected {position}")
            position = begin + info.nbytes
        if position != data_size:
            raise self._corrupt(f"tensors cover {position} bytes of a {data_size}-byte data area")

    def infos(self) -> list[TensorInfo]:
        """Every tensor, in file order."""
        return [info for info, _ in sorted(self._entries.values(), key=lambda e: e[1])]

    def non_tensors(self) -> list[tuple[str, str]]:
        """safetensors files hold only tensors."""
        return []

    def read(self, name: str) -> np.ndarray:
        """A read-only view of one tensor.

        Raises:
            NotFoundError: for an unknown name.
        """
        found = self._entries.get(name)
        if found is None:
            raise NotFoundError(None, None, f"Key {name} not found in {self.path}")
        info, begin = found
        buf = np.empty(info.nbytes, np.uint8)
        self._file.seek(self._base + begin)
        if self._file.readinto(memoryview(buf)) != info.nbytes:
            raise self._corrupt(f"tensor {name!r} is truncated")
        np_dtype = np.dtype(info.dtype.as_numpy_dtype).newbyteorder("<")
        return buf.view(np_dtype).reshape(info.shape)

    def close(self) -> None:
        """Closes the file."""
        self._file.close()


def load_file(path: str) -> dict[str, np.ndarray]:
    """Reads every tensor of a ``.safetensors`` file into memory (copies)."""
    source = SafetensorsSource(path)
    try:
        return {i.name: np.array(source.read(i.name)) for i in source.infos()}
    finally:
        source.close()
