"""``tf.gfile``: file helpers with TensorFlow's names, on local paths and URLs alike.

Local paths use the ``os`` functions directly; ``s3://``, ``gs://``, ``memory://`` and other
URLs go through their fsspec file system (``stowflow._fs``, the storage seam), as TF's
GFile serves its registered file systems.
"""

from __future__ import annotations

import os
from typing import Any

from stowflow import _deprecation, _fs
from stowflow.errors import AlreadyExistsError, NotFoundError


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(None, None, f"{name}; No such file or directory")


class GFile:
    """A file object (``tf.gfile.GFile``); binary unless the mode lacks ``b``."""

    def __init__(self, name: str, mode: str = "r") -> None:
        self.name = os.fspath(name)
        self.mode = mode
        try:
            self._f = _fs.open_file(self.name, mode)
        except FileNotFoundError:
            raise _not_found(self.name) from None

    def read(self, n: int = -1) -> Any:
        """Reads ``n`` bytes/chars (all if -1)."""
        return self._f.read(n)

    def readline(self) -> Any:
        """Reads one line."""
        return self._f.readline()

    def readlines(self) -> list[Any]:
        """Reads all lines."""
        return self._f.readlines()

    def write(self, data: Any) -> None:
        """Writes ``data``."""
        self._f.write(data)

    def flush(self) -> None:
        """Flushes buffered writes."""
        self._f.flush()

    def seek(self, offset: int, whence: int = 0) -> None:
        """Moves the file position."""
        self._f.seek(offset, whence)

    def tell(self) -> int:
        """The file position."""
        return self._f.tell()

    def size(self) -> int:
        """The file's size in bytes."""
        return _fs.getsize(self.name)

    def close(self) -> None:
        """Closes the file (a remote file being written is uploaded now)."""
        self._f.close()

    def __iter__(self) -> Any:
        return iter(self._f)

    def __enter__(self) -> GFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class FastGFile(GFile):
    """Deprecated alias of :class:`GFile` (logs TF's warning)."""

    def __init__(self, name: str, mode: str = "r") -> None:
        _deprecation.warn(
            "FastGFile.__init__", "tensorflow.python.platform.gfile", "Use tf.gfile.GFile."
        )
        super().__init__(name, mode)


Open = GFile


def Exists(filename: str) -> bool:  # noqa: N802 - TF's name
    """True if the path exists."""
    return _fs.exists(os.fspath(filename))


def IsDirectory(dirname: str) -> bool:  # noqa: N802
    """True if the path is a directory."""
    return _fs.isdir(os.fspath(dirname))


def MakeDirs(dirname: str) -> None:  # noqa: N802
    """Creates a directory and its parents (no error if it exists)."""
    _fs.makedirs(os.fspath(dirname))


def MkDir(dirname: str) -> None:  # noqa: N802
    """Creates one directory."""
    _fs.mkdir(os.fspath(dirname))


def ListDirectory(dirname: str) -> list[str]:  # noqa: N802
    """Entries of a directory.

    Raises:
        NotFoundError: if the directory does not exist.
    """
    dirname = os.fspath(dirname)
    if not _fs.isdir(dirname):
        raise NotFoundError(None, None, f"Could not find directory {dirname}")
    return _fs.listdir(dirname)


def Glob(filename: str) -> list[str]:  # noqa: N802
    """Paths matching a glob pattern."""
    return _fs.glob(os.fspath(filename))


def Remove(filename: str) -> None:  # noqa: N802
    """Deletes a file.

    Raises:
        NotFoundError: if it does not exist.
    """
    try:
        _fs.remove(os.fspath(filename))
    except FileNotFoundError:
        raise _not_found(filename) from None


def DeleteRecursively(dirname: str) -> None:  # noqa: N802
    """Deletes a directory tree."""
    _fs.rmtree(os.fspath(dirname))


def _refuse_overwrite(path: str, overwrite: bool) -> None:
    if not overwrite and _fs.exists(path):
        raise AlreadyExistsError(None, None, f"file already exists: {path}")


def Rename(oldname: str, newname: str, overwrite: bool = False) -> None:  # noqa: N802
    """Renames a file (refuses to overwrite unless asked).

    Raises:
        AlreadyExistsError: ``newname`` exists and ``overwrite`` is False.
        NotFoundError: ``oldname`` does not exist.
    """
    _refuse_overwrite(os.fspath(newname), overwrite)
    try:
        _fs.rename(os.fspath(oldname), os.fspath(newname))
    except FileNotFoundError:
        raise _not_found(oldname) from None


def Copy(oldpath: str, newpath: str, overwrite: bool = False) -> None:  # noqa: N802
    """Copies a file, across file systems too (refuses to overwrite unless asked).

    Raises:
        AlreadyExistsError: ``newpath`` exists and ``overwrite`` is False.
        NotFoundError: ``oldpath`` does not exist.
    """
    _refuse_overwrite(os.fspath(newpath), overwrite)
    try:
        _fs.copy(os.fspath(oldpath), os.fspath(newpath))
    except FileNotFoundError:
        raise _not_found(oldpath) from None


def Walk(top: str, in_order: bool = True) -> Any:  # noqa: N802
    """``os.walk`` with TF's name (``in_order=False`` walks bottom-up, as TF does)."""
    return _fs.walk(os.fspath(top), topdown=in_order)
