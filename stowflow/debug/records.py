"""Recording one run: every executed node's outputs, in execution order, memory-bounded.

A :class:`RunRecorder` is installed as the Session's op observer for one ``run()``. Each
output becomes a :class:`TensorRecord` (name, op type, slot, dtype, shape, size, timing and
value statistics). Values stay in memory up to ``max_bytes``; past that cap they are written
("spilled") as ``.npy`` files to a directory and read back (memory-mapped) on demand.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stowflow import errors

#: Default in-memory budget for recorded values (bytes); the rest spills to disk.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

#: Graph dtypes whose values are handles, not data: listed, never dumped.
_HANDLE_DTYPES = frozenset({"resource", "variant"})

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass
class TensorStats:
    """Summary of a tensor's values (None where it does not apply, e.g. strings)."""

    min: float | None = None
    max: float | None = None
    mean: float | None = None
    nan_count: int = 0
    inf_count: int = 0


@dataclass
class TensorRecord:
    """One output tensor of one executed node (tfdbg's ``DebugTensorDatum``)."""

    order: int
    node_name: str
    op_type: str
    output_slot: int
    dtype: str
    shape: tuple[int, ...] | None
    nbytes: int
    start: float
    """Seconds from the start of the run to the start of the node."""
    elapsed: float
    """Seconds the node's kernel took."""
    device: str = ""
    stats: TensorStats = field(default_factory=TensorStats)
    value: np.ndarray | None = None
    path: str | None = None
    """The ``.npy`` file holding the value once spilled or dumped."""
    note: str = ""
    """Why there is no value ("resource handle", "uninitialized"...), else empty."""

    @property
    def tensor_name(self) -> str:
        """``node:slot``."""
        return f"{self.node_name}:{self.output_slot}"

    @property
    def dump_size_bytes(self) -> int:
        """Size of the value in bytes (tfdbg's ``DebugTensorDatum`` name)."""
        return self.nbytes

    @property
    def timestamp(self) -> int:
        """Microseconds from the start of the run to the start of the node (tfdbg's unit)."""
        return int(self.start * 1e6)

    @property
    def debug_op(self) -> str:
        """Always ``DebugIdentity``: the full value is recorded."""
        return "DebugIdentity"

    @property
    def has_value(self) -> bool:
        """Whether the value can be read (in memory or on disk)."""
        return self.value is not None or self.path is not None

    def array(self) -> np.ndarray:
        """The recorded value (memory-mapped from disk when spilled).

        Raises:
            ValueError: if this tensor has no recorded value (see ``note``).
        """
        if self.value is not None:
            return self.value
        if self.path is None:
            raise ValueError(f'Tensor "{self.tensor_name}" has no recorded value ({self.note})')
        return np.load(self.path, mmap_mode="r", allow_pickle=False)


def file_name(record: TensorRecord) -> str:
    """The ``.npy`` file name of a record: order-prefixed, so names never collide."""
    return f"{record.order:06d}_{_UNSAFE_FILE_CHARS.sub('_', record.tensor_name)}.npy"


def storable(value: np.ndarray) -> np.ndarray:
    """``value`` in a dtype ``np.save`` writes without pickle (strings become bytes)."""
    if value.dtype == object:
        return value.astype(np.bytes_) if value.size else np.zeros(value.shape, np.bytes_)
    return value


def save_npy(path: str, value: np.ndarray) -> None:
    """Writes one ``.npy`` (no pickle)."""
    with open(path, "wb") as f:
        np.save(f, storable(value), allow_pickle=False)


def compute_stats(value: np.ndarray) -> TensorStats:
    """min/max/mean over the finite values, and the NaN/Inf counts (vectorised)."""
    kind = value.dtype.kind
    if kind not in "biufc" or value.size == 0:
        return TensorStats()
    data = np.asarray(value)
    if kind == "c":
        nan = int(np.count_nonzero(np.isnan(data)))
        inf = int(np.count_nonzero(np.isinf(data)))
        return TensorStats(nan_count=nan, inf_count=inf)
    if kind == "f":
        finite_mask = np.isfinite(data)
        nan = int(np.count_nonzero(np.isnan(data)))
        inf = int(data.size - nan - np.count_nonzero(finite_mask))
        finite = data[finite_mask] if nan or inf else data
    else:
        nan = inf = 0
        finite = data.astype(np.int64) if kind == "b" else data
    if finite.size == 0:
        return TensorStats(nan_count=nan, inf_count=inf)
    return TensorStats(
        min=_finite_or_none(finite.min()),
        max=_finite_or_none(finite.max()),
        mean=_finite_or_none(np.mean(finite, dtype=np.float64)),
        nan_count=nan,
        inf_count=inf,
    )


def _finite_or_none(x: Any) -> float | None:
    value = float(x)
    return value if np.isfinite(value) else None


WatchPredicate = Callable[[Any, int], bool]
"""``(op, output_slot) -> bool``: whether to record that output."""


class RunRecorder:
    """The op observer that records one run.

    Args:
        session: the Session being observed (its state dereferences variable handles).
        max_bytes: in-memory budget for values; later values spill to ``spill_dir``.
        spill_dir: where spilled ``.npy`` files go (default: a private temporary
            directory, removed by :meth:`cleanup`).
        watch: optional predicate choosing which outputs to record.
    """

    def __init__(
        self,
        session: Any,
        max_bytes: int = DEFAULT_MAX_BYTES,
        spill_dir: str | None = None,
        watch: WatchPredicate | None = None,
    ) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.records: list[TensorRecord] = []
        self.memory_bytes = 0
        self.max_bytes = max_bytes
        self._session = session
        self._spill_dir = spill_dir
        self._own_spill_dir: str | None = None
        self._watch = watch
        self._t0 = time.perf_counter()

    def __call__(self, op: Any, inputs: list[Any], outputs: list[Any], seconds: float) -> None:
        """Records ``op``'s outputs (the Session calls this after each op)."""
        start = time.perf_counter() - self._t0 - seconds
        for slot, (tensor, value) in enumerate(zip(op.outputs, outputs, strict=False)):
            if self._watch is not None and not self._watch(op, slot):
                continue
            self.records.append(self._record(op, slot, tensor, value, start, seconds))

    def _record(
        self, op: Any, slot: int, tensor: Any, value: Any, start: float, seconds: float
    ) -> TensorRecord:
        dtype = tensor.dtype.base_dtype.name
        record = TensorRecord(
            order=len(self.records),
            node_name=op.name,
            op_type=op.type,
            output_slot=slot,
            dtype=dtype,
            shape=None,
            nbytes=0,
            start=start,
            elapsed=seconds,
            device=op.device,
        )
        if dtype in _HANDLE_DTYPES:
            record.note = f"{dtype} handle"
            return record
        try:
            array = self._session._state.deref(value)
        except errors.OpError as e:
            record.note = e.message
            return record
        if not isinstance(array, np.ndarray):
            try:
                array = np.asarray(array)
            except (TypeError, ValueError):
                record.note = f"not an array ({type(value).__name__})"
                return record
        # A copy: a later op of the same run (Assign) may update a variable in place.
        array = np.array(array, copy=True)
        record.shape = tuple(array.shape)
        record.nbytes = int(array.nbytes)
        record.stats = compute_stats(array)
        if self.memory_bytes + record.nbytes <= self.max_bytes:
            record.value = array
            self.memory_bytes += record.nbytes
        else:
            record.path = os.path.join(self.spill_dir(), file_name(record))
            save_npy(record.path, array)
        return record

    def spill_dir(self) -> str:
        """The directory spilled values go to (created on first use)."""
        if self._spill_dir is not None:
            os.makedirs(self._spill_dir, exist_ok=True)
            return self._spill_dir
        if self._own_spill_dir is None:
            self._own_spill_dir = tempfile.mkdtemp(prefix="stowflow_tfdbg_")
            # Removed with the recorder at the latest, so no spill directory outlives the process.
            weakref.finalize(self, shutil.rmtree, self._own_spill_dir, True)
        return self._own_spill_dir

    @property
    def spilled(self) -> int:
        """How many values live on disk rather than in memory."""
        return sum(1 for r in self.records if r.value is None and r.path is not None)

    def cleanup(self) -> None:
        """Removes the private spill directory, if one was made."""
        if self._own_spill_dir is not None:
            shutil.rmtree(self._own_spill_dir, ignore_errors=True)
            self._own_spill_dir = None
            for record in self.records:
                if record.value is None:
                    record.path = None
                    record.note = record.note or "spilled value discarded"
