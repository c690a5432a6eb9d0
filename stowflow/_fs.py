"""Filesystem helpers: atomic writes through a sibling temp file and ``os.replace``.

A crash at any point leaves either the old file or the complete new one, never a mix.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import BinaryIO

from stowflow.errors import ResourceExhaustedError


def temp_sibling(path: str) -> str:
    """A unique temp path next to ``path`` (same directory, so rename is atomic)."""
    return f"{path}.tempstate{int.from_bytes(os.urandom(8), 'little') >> 1}"


@contextlib.contextmanager
def atomic_writer(path: str, *, fsync: bool = False) -> Iterator[BinaryIO]:
    """Opens a temp sibling for binary writing; on success renames it over ``path``.

    On an exception the temp file is removed and ``path`` is untouched.

    Example:
        >>> with atomic_writer("/tmp/x.bin") as f:  # doctest: +SKIP
        ...     f.write(b"data")
    """
    tmp = temp_sibling(path)
    f = open(tmp, "wb")  # noqa: SIM115 - closed below on every path
    try:
        yield f
        if fsync:
            f.flush()
            os.fsync(f.fileno())
        f.close()
        os.replace(tmp, path)
    except BaseException:
        f.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def write_atomic(path: str, data: bytes, *, fsync: bool = False) -> None:
    """Writes ``data`` to ``path`` atomically."""
    with atomic_writer(path, fsync=fsync) as f:
        f.write(data)


def fsync_dir(directory: str) -> None:
    """Flushes a directory entry table so renames inside it survive a power loss."""
    with contextlib.suppress(OSError):
        fd = os.open(directory or ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: Largest protobuf file stowflow parses (protobuf's own hard limit is 2 GiB).
MAX_PROTO_BYTES = 2**31 - 1


def read_limited(path: str, limit: int = MAX_PROTO_BYTES, what: str = "file") -> bytes:
    """Reads a whole file after checking its size against ``limit``.

    Raises:
        FileNotFoundError: if it does not exist.
        ResourceExhaustedError: if it is larger than ``limit``.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise ResourceExhaustedError(
                None, None, f"{what} {path} has {size} bytes, more than the {limit}-byte limit"
            )
        return f.read()
