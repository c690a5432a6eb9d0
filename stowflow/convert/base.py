"""The shapes every converter shares: tensor descriptions, sources, sinks and formats.

A :class:`Source` lists its tensors up front and reads one at a time; a :class:`Sink` is
opened with the full plan (safetensors needs every shape before the first byte) and
receives the tensors one by one, so memory stays bounded by the largest tensor.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from stowflow.dtypes import DType


@dataclass(frozen=True)
class TensorInfo:
    """One tensor's name, dtype and shape, as a source lists it or a sink expects it."""

    name: str
    dtype: DType
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        """Payload bytes for fixed-size types, 0 for strings and other variable-size ones."""
        return math.prod(self.shape) * self.dtype.size


class Source(Protocol):
    """Tensors to convert, read lazily one at a time."""

    def infos(self) -> list[TensorInfo]:
        """Every tensor's description, in the source's order."""

    def non_tensors(self) -> list[tuple[str, str]]:
        """(name, reason) for stored values that are not tensors (e.g. ints in a .pt)."""

    def read(self, name: str) -> np.ndarray:
        """The value of one tensor (may be a read-only view into a mapped file)."""

    def close(self) -> None:
        """Releases files and maps."""


class Sink(Protocol):
    """A destination file being written; :meth:`finish` commits it atomically."""

    def write(self, name: str, array: np.ndarray) -> None:
        """Writes the next tensor (in the order of the plan the sink was opened with)."""

    def finish(self) -> None:
        """Completes and moves the output into place."""

    def abort(self) -> None:
        """Removes partial output; a previous file at the destination is left untouched."""


@dataclass(frozen=True)
class Format:
    """A file format the converter reads and writes.

    ``unsupported(dtype)`` returns why the format cannot hold ``dtype``, or None if it can.
    """

    name: str
    open_source: Callable[[str], Source]
    open_sink: Callable[[str, list[TensorInfo]], Sink]
    unsupported: Callable[[DType], str | None]
