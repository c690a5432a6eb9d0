"""``tf.gfile``: file helpers with TensorFlow's names, on the local filesystem."""

from __future__ import annotations

import glob as _glob
import os
import shutil
from typing import Any

from stowflow import _deprecation
from stowflow.errors import NotFoundError


class GFile:
    """A file object (``tf.gfile.GFile``); binary unless the mode lacks ``b``."""

    def __init__(self, name: str, mode: str = "r") -> None:
        self.name = os.fspath(name)
        self.mode = mode
        try:
            self._f = open(self.name, mode)  # noqa: SIM115 - closed by close()/__exit__
        except FileNotFoundError:
            raise NotFoundError(None, None, f"{self.name}; No such file or directory") from None

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
        return os.path.getsize(self.name)

    def close(self) -> None:
        """Closes the file."""
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
    return os.path.exists(filename)


def IsDirectory(dirname: str) -> bool:  # noqa: N802
    """True if the path is a directory."""
    return os.path.isdir(dirname)


def MakeDirs(dirname: str) -> None:  # noqa: N802
    """Creates a directory and its parents (no error if it exists)."""
    os.makedirs(dirname, exist_ok=True)


def MkDir(dirname: str) -> None:  # noqa: N802
    """Creates one directory."""
    os.mkdir(dirname)


def ListDirectory(dirname: str) -> list[str]:  # noqa: N802
    """Entries of a directory.

    Raises:
        NotFoundError: if the directory does not exist.
    """
    if not os.path.isdir(dirname):
        raise NotFoundError(None, None, f"Could not find directory {dirname}")
    return os.listdir(dirname)


def Glob(filename: str) -> list[str]:  # noqa: N802
    """Paths matching a glob pattern."""
    return _glob.glob(filename)


def Remove(filename: str) -> None:  # noqa: N802
    """Deletes a file.

    Raises:
        NotFoundError: if it does not exist.
    """
    try:
        os.remove(filename)
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{filename}; No such file or directory") from None


def DeleteRecursively(dirname: str) -> None:  # noqa: N802
    """Deletes a directory tree."""
    shutil.rmtree(dirname)


def Rename(oldname: str, newname: str, overwrite: bool = False) -> None:  # noqa: N802
    """Renames a file (refuses to overwrite unless asked)."""
    if not overwrite and os.path.exists(newname):
        from stowflow.errors import AlreadyExistsError

        raise AlreadyExistsError(None, None, f"file already exists: {newname}")
    os.replace(oldname, newname)


def Copy(oldpath: str, newpath: str, overwrite: bool = False) -> None:  # noqa: N802
    """Copies a file (refuses to overwrite unless asked)."""
    if not overwrite and os.path.exists(newpath):
        from stowflow.errors import AlreadyExistsError

        raise AlreadyExistsError(None, None, f"file already exists: {newpath}")
    shutil.copyfile(oldpath, newpath)


def Walk(top: str, in_order: bool = True) -> Any:  # noqa: N802
    """``os.walk`` with TF's name (``in_order=False`` walks bottom-up, as TF does)."""
    return os.walk(top, topdown=in_order)
