"""NumPy ``.npz`` archives: one ``<name>.npy`` record per tensor, written as a stream.

Only dtypes NumPy's ``.npy`` header can name round-trip: bfloat16, float8 and int4 from
ml_dtypes would come back as anonymous void bytes and strings would need pickle, so
those are refused rather than silently changed.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from stowflow import _fs, dtypes
from stowflow.convert.base import TensorInfo
from stowflow.convert.errors import UnsupportedTensorError
from stowflow.convert.safetensors_format import _check_planned
from stowflow.dtypes import DType
from stowflow.errors import DataLossError, InvalidArgumentError, NotFoundError

_NATIVE = {
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
}  # fmt: skip


_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def unsupported(dtype: DType) -> str | None:
    """Why ``.npz`` cannot hold ``dtype`` (None if it can)."""
    if dtype.name in _NATIVE:
        return None
    if dtype.name == "string":
        return "a .npz string tensor needs pickle (object arrays), which stowflow never writes"
    return f".npy headers cannot name TensorFlow {dtype.name} without losing the type"


class NpzSink:
    """Writes a ``.npz`` (uncompressed, like ``np.savez``), one tensor at a time."""

    def __init__(self, path: str, plan: list[TensorInfo]) -> None:
        for info in plan:
            if unsupported(info.dtype):
                raise UnsupportedTensorError(info.name, str(unsupported(info.dtype)))
        self._path = path
        self._plan = list(plan)
        self._next = 0
        self._tmp = _fs.temp_sibling(path)
        self._zip = zipfile.ZipFile(self._tmp, "w", zipfile.ZIP_STORED, allowZip64=True)

    def write(self, name: str, array: np.ndarray) -> None:
        """Writes the next planned tensor as ``<name>.npy``."""
        _check_planned(self._plan, self._next, name, array)
        with self._zip.open(name + ".npy", "w", force_zip64=True) as f:
            np.lib.format.write_array(f, np.asarray(array), allow_pickle=False)
        self._next += 1

    def finish(self) -> None:
        """Closes and renames the archive into place."""
        if self._next != len(self._plan):
            self.abort()
            raise InvalidArgumentError(None, None, ".npz output is missing tensors")
        self._zip.close()
        os.replace(self._tmp, self._path)

    def abort(self) -> None:
        """Deletes the partial archive."""
        self._zip.close()
        if os.path.exists(self._tmp):
            os.remove(self._tmp)


class NpzSource:
    """Reads a ``.npz`` lazily (``allow_pickle=False``: object arrays are refused)."""

    def __init__(self, path: str) -> None:
        if not os.path.isfile(path):
            raise NotFoundError(None, None, f"No such file: {path}")
        self.path = path
        self._zip = zipfile.ZipFile(path)
        self._infos: dict[str, TensorInfo] = {}
        self._others: list[tuple[str, str]] = []
        for member in self._zip.namelist():
            if not member.endswith(".npy"):
                continue
            with self._zip.open(member) as f:
                try:
                    version = np.lib.format.read_magic(f)
                    header = _HEADER_READERS.get(version)
                    if header is None:
                        raise ValueError(f".npy format version {version} is not supported")
                    shape, _, dtype = header(f)
                except ValueError as e:
                    raise DataLossError(None, None, f"{path}:{member}: {e}") from None
            name = member[: -len(".npy")]
            if dtype.hasobject:
                self._others.append((name, "object arrays need pickle, which is never used"))
                continue
            try:
                tf_dtype = dtypes.as_dtype(dtype)
            except TypeError:
                raise UnsupportedTensorError(name, f"NumPy dtype {dtype} has no TF type") from None
            self._infos[name] = TensorInfo(name, tf_dtype, tuple(shape))

    def infos(self) -> list[TensorInfo]:
        """Every array, in archive order."""
        return list(self._infos.values())

    def non_tensors(self) -> list[tuple[str, str]]:
        """(name, reason) for arrays that cannot be read without pickle."""
        return list(self._others)

    def read(self, name: str) -> np.ndarray:
        """One array (never unpickles)."""
        if name not in self._infos:
            raise NotFoundError(None, None, f"Key {name} not found in {self.path}")
        with self._zip.open(name + ".npy") as f:
            try:
                array = np.lib.format.read_array(f, allow_pickle=False)
            except ValueError as e:
                raise DataLossError(None, None, f"{self.path}:{name}.npy: {e}") from None
        return array.astype(array.dtype.newbyteorder("="), copy=False)

    def close(self) -> None:
        """Closes the archive."""
        self._zip.close()
