"""The native checkpoint API: save, load, list and inspect TensorFlow checkpoints.

Every function here reads and writes the files TensorFlow does: ``<prefix>.index`` plus
``<prefix>.data-*`` bundles and the text-format ``checkpoint`` state file.

Example:
    >>> import numpy as np
    >>> from stowflow import checkpoint
    >>> checkpoint.save("/tmp/ckpt/model", {"w": np.ones((2, 3), np.float32)})  # doctest: +SKIP
    '/tmp/ckpt/model'
    >>> checkpoint.load("/tmp/ckpt")["w"].shape  # doctest: +SKIP
    (2, 3)
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from google.protobuf import text_format

from stowflow import _fs
from stowflow.bundle import BundleReader, BundleWriter, index_filename
from stowflow.dtypes import DType
from stowflow.errors import DataLossError, InvalidArgumentError, NotFoundError
from stowflow.proto import checkpoint_state_pb2, trackable_object_graph_pb2, types_pb2

logger = logging.getLogger("stowflow")

STATE_FILENAME = "checkpoint"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


# -- the state file ---------------------------------------------------------------------------


def _state_path(save_dir: str, latest_filename: str | None) -> str:
    return os.path.join(save_dir, latest_filename or STATE_FILENAME)


def get_checkpoint_state(checkpoint_dir: str, latest_filename: str | None = None) -> Any:
    """Parses ``<dir>/checkpoint``; relative paths in it are resolved against ``dir``.

    Returns:
        A ``CheckpointState`` message, or None if the file is missing or unparsable.

    Raises:
        ValueError: if the file names no ``model_checkpoint_path``.
    """
    checkpoint_dir = _fs.local_path(os.fspath(checkpoint_dir))
    path = _state_path(checkpoint_dir, latest_filename)
    try:
        text = _fs.read_limited(path, what="checkpoint state file").decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    state = checkpoint_state_pb2.CheckpointState()
    try:
        text_format.Parse(text, state)
    except text_format.ParseError as e:
        logger.warning("%s: %s: Checkpoint ignored", path, e)
        return None
    if not state.model_checkpoint_path:
        raise ValueError(f"Invalid checkpoint state loaded from {checkpoint_dir}")

    def absolute(p: str) -> str:
        return p if _fs.isabs(p) else os.path.join(checkpoint_dir, p)

    state.model_checkpoint_path = absolute(state.model_checkpoint_path)
    paths = [absolute(p) for p in state.all_model_checkpoint_paths]
    del state.all_model_checkpoint_paths[:]
    state.all_model_checkpoint_paths.extend(paths)
    return state


def update_checkpoint_state(
    save_dir: str,
    model_checkpoint_path: str,
    all_model_checkpoint_paths: Iterable[str] | None = None,
    latest_filename: str | None = None,
    all_model_checkpoint_timestamps: Iterable[float] | None = None,
    last_preserved_timestamp: float | None = None,
    save_relative_paths: bool = False,
) -> None:
    """Writes the ``checkpoint`` state file atomically, with TF's path rules.

    The newest path is appended to ``all_model_checkpoint_paths`` if it is not last.
    Paths are written relative to ``save_dir`` when ``save_relative_paths`` is set or when
    ``save_dir`` itself is relative (as TF1's Saver does).

    Raises:
        InvalidArgumentError: if the checkpoint path is the state file itself.
    """
    save_dir = _fs.local_path(save_dir)
    model_checkpoint_path = _fs.local_path(model_checkpoint_path)
    state_file = _state_path(save_dir, latest_filename)
    if _fs.same_path(model_checkpoint_path, state_file):
        raise InvalidArgumentError(
            None,
            None,
            f"Save path '{model_checkpoint_path}' conflicts with path used for "
            "checkpoint state.  Please use a different save path.",
        )
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)

    def rewrite(p: str) -> str:
        p = _fs.local_path(p)
        if save_relative_paths and _fs.isabs(p):
            return _fs.relpath(p, save_dir)
        if not _fs.isabs(save_dir) and not _fs.isabs(p):
            return os.path.relpath(p, save_dir)
        return p

    state = checkpoint_state_pb2.CheckpointState(
        model_checkpoint_path=rewrite(model_checkpoint_path),
        all_model_checkpoint_paths=[rewrite(p) for p in paths],
        all_model_checkpoint_timestamps=list(all_model_checkpoint_timestamps or []),
    )
    if last_preserved_timestamp is not None:
        state.last_preserved_timestamp = last_preserved_timestamp
    _fs.makedirs(save_dir or ".")
    # Written after the checkpoint's data and index: on an object store, where nothing is
    # renamed, this order is what keeps a reader from finding a partial checkpoint.
    _fs.write_atomic(state_file, text_format.MessageToString(state).encode("utf-8"))


def checkpoint_exists(prefix: str) -> bool:
    """True if a V2 bundle (``<prefix>.index``) or a V1 file exists at ``prefix``."""
    prefix = _fs.local_path(os.fspath(prefix))
    if _fs.is_url(prefix):
        return _fs.isfile(index_filename(prefix)) or _fs.isfile(prefix)
    return bool(glob.glob(glob.escape(index_filename(prefix)))) or os.path.isfile(prefix)


def latest_checkpoint(checkpoint_dir: str, latest_filename: str | None = None) -> str | None:
    """The prefix of the newest checkpoint recorded in ``checkpoint_dir``, or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not state.model_checkpoint_path:
        return None
    prefix = str(state.model_checkpoint_path)
    if checkpoint_exists(prefix):
        return prefix
    logger.error("Couldn't match files for checkpoint %s", prefix)
    return None


# -- reading ----------------------------------------------------------------------------------


def resolve_prefix(path: str) -> str:
    """Maps a directory to its latest checkpoint; returns a prefix that has an index.

    Raises:
        NotFoundError: if nothing readable is there, with TF's wording.
    """
    path = _fs.local_path(os.fspath(path))
    if _fs.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise NotFoundError(
                None,
                None,
                f"Unsuccessful TensorSliceReader constructor: Failed to find any "
                f"matching files for {path} (a directory with no valid 'checkpoint' state file)",
            )
        return latest
    if _fs.isfile(index_filename(path)):
        return path
    if path.endswith(".index") and _fs.isfile(path):
        return path[: -len(".index")]
    raise NotFoundError(
        None,
        None,
        f"Unsuccessful TensorSliceReader constructor: Failed to find any matching files for {path}",
    )


class Reader:
    """Reads one checkpoint, like ``tf.train.load_checkpoint`` / ``NewCheckpointReader``.

    Args:
        path: a checkpoint prefix, or a directory (its latest checkpoint is used).

    Example:
        >>> with Reader("/ckpt") as r:  # doctest: +SKIP
        ...     r.get_variable_to_shape_map()
        {'w': [2, 3]}
    """

    def __init__(self, path: str) -> None:
        self.prefix = resolve_prefix(path)
        self._bundle = BundleReader(self.prefix)

    @property
    def bundle(self) -> BundleReader:
        """The underlying bundle reader (raw index entries, zero-copy reads)."""
        return self._bundle


    def debug_string(self) -> bytes:
        """TF's ``DebugString``: ``key (DT_TYPE) [d0,d1]\n`` per stored entry, index order.

        Partitioned variables appear as their raw slice keys (not UTF-8), so this is bytes.
        """
        lines = []
        for key in self.bundle.raw_keys():
            entry = self.bundle.entry(key)
            if entry.slices:
                continue
            dims = ",".join(str(d.size) for d in entry.shape.dim)
            lines.append(key + f" ({types_pb2.DataType.Name(entry.dtype)}) [{dims}]\n".encode())
        return b"".join(lines)
    def get_tensor(self, tensor_str: str) -> np.ndarray:
        """The value of one tensor (strings as object arrays of bytes).

        Raises:
            NotFoundError: ``Key <name> not found in checkpoint``.
            DataLossError: if the stored bytes are corrupt.
        """
        return self._bundle.read(tensor_str)

    def has_tensor(self, tensor_str: str) -> bool:
        """True if the checkpoint holds ``tensor_str``."""
        return self._bundle.has(tensor_str)

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        """Name to full shape for every tensor."""
        return {name: self._bundle.shape(name) for name in self._bundle.keys()}

    def get_variable_to_dtype_map(self) -> dict[str, DType]:
        """Name to DType for every tensor."""
        return {name: self._bundle.dtype(name) for name in self._bundle.keys()}

    def keys(self) -> list[str]:
        """Every tensor name, sorted."""
        return self._bundle.keys()

    def close(self) -> None:
        """Releases the memory maps."""
        self._bundle.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def load(path: str, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Loads tensors from a checkpoint prefix or directory.

    Args:
        path: a prefix or a directory (its latest checkpoint).
        names: the keys to load; None loads all.

    Returns:
        name -> array; partitioned variables reassembled under their full name, TF2
        object-based keys as stored. Tensors stored next to each other are read in one
        go and share a buffer of up to 256 MiB (``bundle.reader.BATCH_BYTES``): keeping
        one of them alive keeps its batch's memory; copy it if that matters.

    Raises:
        NotFoundError: for a missing checkpoint or key.
        DataLossError: for corrupt data.
    """
    with Reader(path) as reader:
        wanted = reader.keys() if names is None else list(names)
        return reader.bundle.read_many(wanted)


def list_variables(path: str) -> list[tuple[str, list[int]]]:
    """(name, shape) of every tensor, sorted by name, like ``tf.train.list_variables``."""
    with Reader(path) as reader:
        shapes = reader.get_variable_to_shape_map()
    return sorted(shapes.items())


def object_graph(path: str) -> Any:
    """The ``TrackableObjectGraph`` of a TF2 object-based checkpoint.

    Raises:
        NotFoundError: if the checkpoint has no object graph (a TF1 name-based one).
    """
    with Reader(path) as reader:
        if not reader.has_tensor(OBJECT_GRAPH_KEY):
            raise NotFoundError(
                None,
                None,
                f"Checkpoint {reader.prefix} has no {OBJECT_GRAPH_KEY} (it is a "
                "name-based TF1 checkpoint, not an object-based one)",
            )
        blob = reader.get_tensor(OBJECT_GRAPH_KEY).item()
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(blob)
    return graph


# -- writing ----------------------------------------------------------------------------------


def _assign_shards(sizes: list[int], shards: int) -> list[int]:
    """Greedy balance by bytes: each tensor, in order, to the lightest shard so far."""
    if shards == 1:
        return [0] * len(sizes)
    load_ = [0] * shards
    out = []
    for i, size in enumerate(sizes):
        shard = i if i < shards else min(range(shards), key=load_.__getitem__)
        load_[shard] += size
        out.append(shard)
    return out


def save(
    prefix: str,
    tensors: Mapping[str, Any],
    *,
    shards: int = 1,
    partitions: Mapping[str, int] | None = None,
    update_state: bool = True,
) -> str:
    """Writes ``tensors`` as a TensorFlow V2 checkpoint at ``prefix``.

    Args:
        prefix: e.g. ``"/ckpt/model.ckpt-100"``; parent directories are created.
        tensors: name -> array-like (str/bytes arrays become string tensors).
        shards: number of ``.data`` files to spread the tensors over.
        partitions: name -> number of slices along axis 0, stored as a partitioned variable
            (like ``fixed_size_partitioner``).
        update_state: also record ``prefix`` in the directory's ``checkpoint`` file.

    Returns:
        The prefix.

    Raises:
        InvalidArgumentError: for no tensors, a bad shard count or partition count.
    """
    prefix = _fs.local_path(os.fspath(prefix))
    _fs.check_backend(prefix)
    if not tensors:
        raise InvalidArgumentError(None, None, "save needs at least one tensor")
    if shards < 1:
        raise InvalidArgumentError(None, None, f"num_shards must be >= 1, got {shards}")
    parts = dict(partitions or {})
    unknown = set(parts) - set(tensors)
    if unknown:
        raise InvalidArgumentError(
            None, None, f"partitions names unknown tensors {sorted(unknown)}"
        )
    names = sorted(tensors)
    arrays = {
        n: tensors[n] if isinstance(tensors[n], np.ndarray) else np.asarray(tensors[n])
        for n in names
    }
    shard_of = _assign_shards([int(arrays[n].nbytes) for n in names], shards)
    with BundleWriter(prefix, num_shards=shards) as writer:
        for name, shard in zip(names, shard_of, strict=True):
            if name in parts:
                _add_partitioned(writer, name, arrays[name], parts[name], shard)
            else:
                writer.add(name, arrays[name], shard=shard)
    if update_state:
        directory = os.path.dirname(prefix)
        state = get_checkpoint_state(directory) if _fs.isdir(directory or ".") else None
        previous = [p for p in (state.all_model_checkpoint_paths if state else []) if p != prefix]
        update_checkpoint_state(directory, prefix, previous + [prefix], save_relative_paths=True)
    return prefix


def _add_partitioned(
    writer: BundleWriter, name: str, array: np.ndarray, n: int, shard: int
) -> None:
    if array.ndim == 0 or not 1 <= n <= array.shape[0]:
        raise InvalidArgumentError(
            None, None, f"cannot split {name!r} of shape {list(array.shape)} into {n} partitions"
        )
    rows = array.shape[0]
    start = 0
    for i in range(n):
        length = rows // n + (1 if i < rows % n else 0)
        extents = [(start, length)] + [(0, d) for d in array.shape[1:]]
        writer.add_slice(name, array.shape, extents, array[start : start + length], shard=shard)
        start += length


class CheckpointReader(Reader):
    """TF1's ``CheckpointReader`` (``tf.train.NewCheckpointReader``/``load_checkpoint``):
    :class:`Reader` whose ``get_tensor`` returns what TF's does - a NumPy scalar for a 0-d
    tensor, ``bytes`` for a scalar string, else an array."""

    def get_tensor(self, tensor_str: str) -> Any:
        """The value of one tensor, typed as TF's reader returns it."""
        value = super().get_tensor(tensor_str)
        return value[()] if value.ndim == 0 else value


def new_checkpoint_reader(filepattern: str) -> CheckpointReader:
    """``tf.train.NewCheckpointReader``: a reader of one checkpoint *prefix* (a directory is
    refused as TF refuses it; ``tf.train.load_checkpoint`` resolves directories).

    Raises:
        DataLossError: for a directory, with TF's message.
        NotFoundError: when no checkpoint has that prefix.
    """
    if _fs.isdir(filepattern):
        raise DataLossError(
            None,
            None,
            f"Unable to open table file {filepattern}: FAILED_PRECONDITION: {filepattern}; Is a "
            "directory: perhaps your file is in a different file format and you need to use a "
            "different restore operator?",
        )
    return CheckpointReader(filepattern)
