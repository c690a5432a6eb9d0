"""PyTorch ``.pt`` state dicts (the zip format of ``torch.save``), without torch.

The archive, as torch 2.x writes it (torch/serialization.py, caffe2 PyTorchStreamWriter):
one top-level folder (torch names it after the file's stem) holding ``data.pkl`` (see
:mod:`stowflow.convert.torch_pickle`), ``.format_version`` (``1``),
``.storage_alignment`` (``64``), ``byteorder`` (``little``), one record ``data/<key>``
per storage, ``version`` (``3``) and ``.data/serialization_id``. Records are stored
uncompressed and every record's bytes start on a 64-byte boundary, padded with an ``FB``
extra field in the local header. Files load with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import math
import os
import struct
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from stowflow import _fs, dtypes
from stowflow.convert.base import TensorInfo
from stowflow.convert.errors import UnsafePickleError, UnsupportedTensorError
from stowflow.convert.safetensors_format import _check_planned, _little_endian_bytes
from stowflow.convert.torch_pickle import (
    TORCH_DTYPES,
    LazyTensor,
    StorageSpec,
    contiguous_strides,
    load_pickle,
    state_dict_pickle,
)
from stowflow.dtypes import DType
from stowflow.errors import DataLossError, InvalidArgumentError, NotFoundError, UnimplementedError

ALIGNMENT = 64
_LOCAL_HEADER = 30  # fixed part of a zip local file header
_ZIP64_EXTRA = 20  # what zipfile appends to the local header for a zip64 record
_CHUNK = 16 << 20


def unsupported(dtype: DType) -> str | None:
    """Why a ``.pt`` state dict cannot hold ``dtype`` (None if it can)."""
    if dtype.name in TORCH_DTYPES:
        return None
    return f"PyTorch has no dtype for TensorFlow {dtype.name}"


class TorchSink:
    """Writes a ``.pt`` state dict tensor by tensor, in plan order.

    Args:
        path: the output file (a temp sibling is renamed into place by :meth:`finish`).
        plan: every tensor, in order; each gets its own storage ``data/<index>``.

    Raises:
        UnsupportedTensorError: for a planned dtype torch has no type for.
    """

    def __init__(self, path: str, plan: list[TensorInfo]) -> None:
        for info in plan:
            if unsupported(info.dtype):
                raise UnsupportedTensorError(info.name, str(unsupported(info.dtype)))
        self._path = path
        self._plan = list(plan)
        self._next = 0
        stem = os.path.splitext(os.path.basename(path))[0] or "archive"
        self._prefix = stem + "/"
        self._tmp = _fs.temp_sibling(path)
        self._zip = zipfile.ZipFile(self._tmp, "w", zipfile.ZIP_STORED, allowZip64=True)
        specs = [StorageSpec(i.name, str(n), i.dtype.name, i.shape) for n, i in enumerate(plan)]
        self._record("data.pkl", state_dict_pickle(specs))
        self._record(".format_version", b"1")
        self._record(".storage_alignment", str(ALIGNMENT).encode())
        self._record("byteorder", b"little")

    def _open_record(self, name: str, size: int) -> Any:
        info = zipfile.ZipInfo(self._prefix + name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        info.file_size = size
        zip64 = size * 1.05 > zipfile.ZIP64_LIMIT  # zipfile's own rule for open(..., "w")
        start = self._zip.fp.tell() if self._zip.fp else 0  # type: ignore[union-attr]
        fixed = start + _LOCAL_HEADER + len(info.filename.encode()) + 4
        pad = -(fixed + (_ZIP64_EXTRA if zip64 else 0)) % ALIGNMENT
        info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        return self._zip.open(info, "w", force_zip64=zip64)

    def _record(self, name: str, data: bytes) -> None:
        with self._open_record(name, len(data)) as f:
            f.write(data)

    def write(self, name: str, array: np.ndarray) -> None:
        """Writes the next planned tensor as storage ``data/<index>``.

        Raises:
            InvalidArgumentError: if ``name``, shape or dtype differs from the plan.
        """
        _check_planned(self._plan, self._next, name, array)
        payload = _little_endian_bytes(array)
        with self._open_record(f"data/{self._next}", payload.nbytes) as f:
            f.write(payload.data)
        self._next += 1

    def finish(self) -> None:
        """Writes ``version`` and ``serialization_id``, closes and renames the archive."""
        if self._next != len(self._plan):
            missing = [i.name for i in self._plan[self._next :]]
            self.abort()
            raise InvalidArgumentError(None, None, f".pt output misses {missing}")
        self._record("version", b"3\n")
        serial = str(int.from_bytes(os.urandom(16), "little")).zfill(40)[:40]
        self._record(".data/serialization_id", serial.encode())
        self._zip.close()
        os.replace(self._tmp, self._path)

    def abort(self) -> None:
        """Deletes the partial archive."""
        self._zip.close()
        if os.path.exists(self._tmp):
            os.remove(self._tmp)


def _flatten(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _flatten(value, f"{prefix}{key}.")
    elif isinstance(obj, (list, tuple)) and not isinstance(obj, LazyTensor):
        for i, value in enumerate(obj):
            yield from _flatten(value, f"{prefix}{i}.")
    else:
        yield prefix[:-1], obj


class TorchSource:
    """Reads a ``.pt`` file written by ``torch.save`` (zip format) without torch.

    Nested dicts (``{"model": state_dict, "epoch": 3}``) are flattened with ``.``-joined
    names; values that are not tensors are listed by :meth:`non_tensors`.

    Raises:
        UnsafePickleError: if the pickle names any global besides the tensor rebuilders.
        UnimplementedError: for the legacy (pre-1.6, non-zip) format.
        DataLossError: for a record that is missing or shorter than its tensor needs.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        if not os.path.isfile(path):
            raise NotFoundError(None, None, f"No such file: {path}")
        if not zipfile.is_zipfile(path):
            raise UnimplementedError(
                None,
                None,
                f"{path} is not a zip archive: the legacy (torch < 1.6) .pt format is not "
                "supported; re-save it with a current torch",
            )
        self._zip = zipfile.ZipFile(path)
        self._prefix = self._find_prefix()
        big = self._optional("byteorder", b"little").strip() == b"big"
        self._byteorder = ">" if big else "<"
        data = self._read_record("data.pkl")
        obj = load_pickle(data, f"{path}:{self._prefix}data.pkl")
        if not isinstance(obj, dict):
            raise UnsafePickleError(
                None, None, f"{path} holds a {type(obj).__name__}, not a state dict"
            )
        self._tensors: dict[str, LazyTensor] = {}
        self._others: list[tuple[str, str]] = []
        for name, value in _flatten(obj, ""):
            if isinstance(value, LazyTensor):
                self._tensors[name] = value
            else:
                self._others.append((name, f"it is a {type(value).__name__}, not a tensor"))

    def _find_prefix(self) -> str:
        for name in self._zip.namelist():
            if name.endswith("data.pkl") and name.count("/") == 1:
                return name[: -len("data.pkl")]
        raise DataLossError(None, None, f"{self.path} has no <archive>/data.pkl record")

    def _read_record(self, name: str) -> bytes:
        try:
            return self._zip.read(self._prefix + name)
        except KeyError:
            raise DataLossError(
                None, None, f"{self.path} lacks the record {self._prefix}{name}"
            ) from None

    def _optional(self, name: str, default: bytes) -> bytes:
        try:
            return self._zip.read(self._prefix + name)
        except KeyError:
            return default

    def infos(self) -> list[TensorInfo]:
        """Every tensor, in the state dict's order."""
        return [
            TensorInfo(n, dtypes.as_dtype(t.tf_dtype), t.shape) for n, t in self._tensors.items()
        ]

    def non_tensors(self) -> list[tuple[str, str]]:
        """(name, reason) for every value in the file that is not a tensor."""
        return list(self._others)

    def _storage(self, tensor: LazyTensor) -> np.ndarray:
        ref = tensor.storage
        np_dtype = np.dtype(dtypes.as_dtype(tensor.tf_dtype).as_numpy_dtype)
        if ref.tf_dtype is not None and ref.tf_dtype != tensor.tf_dtype:
            raise DataLossError(None, None, f"{self.path}: storage {ref.key} dtype mismatch")
        nbytes = ref.numel * (np_dtype.itemsize if ref.tf_dtype else 1)
        record = f"{self._prefix}data/{ref.key}"
        try:
            info = self._zip.getinfo(record)
        except KeyError:
            raise DataLossError(None, None, f"{self.path} lacks the record {record}") from None
        if info.file_size != nbytes or nbytes % np_dtype.itemsize:
            raise DataLossError(
                None,
                None,
                f"{self.path}: storage data/{ref.key} has {info.file_size} bytes, "
                f"expected {nbytes}",
            )
        buf = np.empty(nbytes, np.uint8)
        got = 0
        with self._zip.open(info) as f:  # in chunks: a whole read() would double the peak
            while got < nbytes:
                chunk = f.read(min(_CHUNK, nbytes - got))
                if not chunk:
                    break
                buf[got : got + len(chunk)] = np.frombuffer(chunk, np.uint8)
                got += len(chunk)
        if got != nbytes:
            raise DataLossError(None, None, f"{self.path}: storage data/{ref.key} is truncated")
        return buf.view(np_dtype.newbyteorder(self._byteorder))

    def read(self, name: str) -> np.ndarray:
        """One tensor's value (a copy, native byte order).

        Raises:
            NotFoundError: for an unknown name.
            DataLossError: if the tensor reaches past its storage.
        """
        tensor = self._tensors.get(name)
        if tensor is None:
            raise NotFoundError(None, None, f"Key {name} not found in {self.path}")
        flat = self._storage(tensor)
        count = math.prod(tensor.shape)
        if count == 0:
            return np.zeros(tensor.shape, flat.dtype.newbyteorder("="))
        last = tensor.offset + sum((d - 1) * s for d, s in zip(tensor.shape, tensor.strides))
        if last >= flat.size:
            raise DataLossError(
                None, None, f"{self.path}: tensor {name} reaches past its storage {flat.size}"
            )
        native = flat.dtype.newbyteorder("=")
        if tensor.strides == contiguous_strides(tensor.shape):
            window = flat[tensor.offset : tensor.offset + count].reshape(tensor.shape)
            return window.astype(native, copy=False)
        # as_strided goes through __array_interface__, which cannot spell ml_dtypes types:
        # stride over opaque fixed-size items, then reinterpret the copy.
        opaque = flat.view(np.dtype(f"V{flat.itemsize}"))
        view = np.lib.stride_tricks.as_strided(
            opaque[tensor.offset :],
            tensor.shape,
            [s * flat.itemsize for s in tensor.strides],
            writeable=False,
        )
        return np.ascontiguousarray(view).view(flat.dtype).astype(native, copy=False)

    def close(self) -> None:
        """Closes the archive."""
        self._zip.close()
