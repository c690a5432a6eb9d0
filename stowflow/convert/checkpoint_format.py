"""TensorFlow checkpoints as a conversion source and destination.

A source may be named every way users meet one: a prefix, a ``.index`` or ``.data-*``
file, a directory (its ``checkpoint`` state file picks the latest; an absolute path in it
from another machine falls back to the same file name in that directory), a directory
with a single ``.index``, or a SavedModel directory (its ``variables/variables``).
"""

from __future__ import annotations

import glob
import io
import os
import re

import numpy as np

from stowflow import checkpoint
from stowflow.bundle import BundleReader, BundleWriter, data_filename, index_filename
from stowflow.bundle.codec import PayloadError, decode_numeric
from stowflow.convert.base import TensorInfo
from stowflow.dtypes import DType
from stowflow.errors import DataLossError, NotFoundError

_DATA_SUFFIX = re.compile(r"\.data-\d{5}-of-\d{5}$")
_BIG_ENDIAN = 1  # BundleHeaderProto.Endianness.BIG
# tf.saved_model constants; spelled here so reading weights never imports the graph runtime.
_SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
_VARIABLES = os.path.join("variables", "variables")


def unsupported(dtype: DType) -> str | None:
    """Why a checkpoint cannot hold ``dtype`` (resources and variants have no payload)."""
    return None if dtype.is_numpy_compatible else f"a checkpoint cannot store {dtype.name}"


def _from_state_file(directory: str) -> str | None:
    try:
        state = checkpoint.get_checkpoint_state(directory)
    except ValueError:
        return None
    if state is None:
        return None
    recorded = str(state.model_checkpoint_path)
    if checkpoint.checkpoint_exists(recorded):
        return recorded
    # Written on another machine: keep the file name, look for it here.
    local = os.path.join(directory, re.split(r"[\\/]", recorded)[-1])
    if checkpoint.checkpoint_exists(local):
        return local
    raise NotFoundError(
        None,
        None,
        f"The 'checkpoint' file in {directory} names {recorded}, which does not exist, "
        f"and neither does {local}",
    )


def _from_directory(directory: str) -> str:
    if any(os.path.isfile(os.path.join(directory, f)) for f in _SAVED_MODEL_FILES):
        prefix = os.path.join(directory, _VARIABLES)
        if os.path.isfile(index_filename(prefix)):
            return prefix
        raise NotFoundError(None, None, f"SavedModel {directory} has no variables/ checkpoint")
    found = _from_state_file(directory)
    if found is not None:
        return found
    indexes = sorted(glob.glob(os.path.join(glob.escape(directory), "*.index")))
    if len(indexes) == 1:
        return indexes[0][: -len(".index")]
    listed = ", ".join(os.path.basename(p) for p in indexes) or "no .index files"
    raise NotFoundError(
        None,
        None,
        f"Cannot pick a checkpoint in {directory}: no usable 'checkpoint' state file and "
        f"{listed}; pass the prefix of the one you want",
    )


def resolve_source(path: str) -> str:
    """The checkpoint prefix behind any of the spellings in the module docstring.

    Raises:
        NotFoundError: naming what was looked for.
    """
    if os.path.isdir(path):
        return _from_directory(path)
    prefix = path
    if path.endswith(".index"):
        prefix = path[: -len(".index")]
    elif _DATA_SUFFIX.search(path):
        prefix = _DATA_SUFFIX.sub("", path)
    if os.path.isfile(index_filename(prefix)):
        return prefix
    raise NotFoundError(
        None,
        None,
        f"Unsuccessful TensorSliceReader constructor: Failed to find any matching files for {path}",
    )


class CheckpointSource:
    """Reads a checkpoint one tensor at a time.

    Whole numeric tensors are read with one positioned read into a private buffer (CRC
    checked), so no file pages stay mapped: memory is bounded by the largest tensor.
    Strings and partitioned tensors go through the bundle reader, whose maps are
    released after each read.
    """

    def __init__(self, path: str) -> None:
        self.prefix = resolve_source(path)
        self._bundle = BundleReader(self.prefix)
        self._files: dict[int, io.BufferedReader] = {}

    def infos(self) -> list[TensorInfo]:
        """Every tensor in the checkpoint, sorted by name."""
        b = self._bundle
        return [TensorInfo(n, b.dtype(n), tuple(b.shape(n))) for n in b.keys()]

    def non_tensors(self) -> list[tuple[str, str]]:
        """Checkpoints hold only tensors."""
        return []

    def _file(self, shard: int) -> io.BufferedReader:
        f = self._files.get(shard)
        if f is None:
            path = data_filename(self.prefix, shard, self._bundle.header.num_shards)
            try:
                f = self._files[shard] = open(path, "rb")  # noqa: SIM115 - closed in close()
            except FileNotFoundError:
                raise DataLossError(
                    None, None, f"Data file {path} of checkpoint {self.prefix} is missing"
                ) from None
        return f

    def read(self, name: str) -> np.ndarray:
        """One tensor's value, in memory owned by the returned array.

        Raises:
            NotFoundError: for an unknown name.
            DataLossError: for a truncated file or a CRC mismatch.
        """
        entry = self._bundle.entry(name)
        dtype = self._bundle.dtype(name)
        if entry.slices or dtype.name == "string" or not dtype.is_numpy_compatible:
            value = self._bundle.read(name)
            self._bundle.close()  # drop the maps; the reader re-maps on the next read
            return value
        if not 0 <= entry.shard_id < self._bundle.header.num_shards:
            raise DataLossError(None, None, f"Tensor {name} names a shard that does not exist")
        f = self._file(entry.shard_id)
        buf = np.empty(entry.size, np.uint8)
        f.seek(entry.offset)
        if f.readinto(memoryview(buf)) != entry.size:
            raise DataLossError(
                None, None, f"Tensor {name} of {self.prefix}: data file is truncated"
            )
        try:
            return decode_numeric(
                buf,
                dtype,
                self._bundle.shape(name),
                entry.crc32c,
                big_endian=self._bundle.header.endianness == _BIG_ENDIAN,
            )
        except PayloadError as e:
            raise DataLossError(
                None, None, f"Checksum or size error reading tensor {name}: {e}"
            ) from None

    def close(self) -> None:
        """Closes the data files and the index."""
        for f in self._files.values():
            f.close()
        self._files.clear()
        self._bundle.close()


def sink_prefix(path: str) -> str:
    """The prefix to write for a destination path (a directory gets ``model.ckpt``)."""
    if os.path.isdir(path) or path.endswith(("/", os.sep)):
        return os.path.join(path, "model.ckpt")
    return path[: -len(".index")] if path.endswith(".index") else path


class CheckpointSink:
    """Writes a V2 checkpoint tensor by tensor and records it in the ``checkpoint`` file."""

    def __init__(self, path: str, plan: list[TensorInfo]) -> None:
        self.prefix = sink_prefix(path)
        self._dtypes = {i.name: i.dtype for i in plan}
        self._writer = BundleWriter(self.prefix)

    def write(self, name: str, array: np.ndarray) -> None:
        """Appends one tensor (its planned TF dtype is kept, e.g. ``qint8``)."""
        self._writer.add(name, array, dtype=self._dtypes.get(name))

    def finish(self) -> None:
        """Writes the index, then the ``checkpoint`` state file."""
        self._writer.finish()
        directory = os.path.dirname(self.prefix)
        try:
            state = checkpoint.get_checkpoint_state(directory)
        except ValueError:
            state = None
        mine = os.path.abspath(self.prefix)
        previous = [
            p
            for p in (state.all_model_checkpoint_paths if state else [])
            if os.path.abspath(p) != mine
        ]
        checkpoint.update_checkpoint_state(
            directory, self.prefix, [*previous, self.prefix], save_relative_paths=True
        )

    def abort(self) -> None:
        """Discards the partial bundle."""
        self._writer.abort()
