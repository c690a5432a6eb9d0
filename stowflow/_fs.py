"""The storage seam: every file stowflow reads or writes goes through these functions.

Local paths (and ``file://`` URLs) take the plain ``os`` fast path: atomic writes through a
sibling temp file and ``os.replace``, so a crash leaves either the old file or the complete
new one. Any other URL (``s3://``, ``gs://``, ``memory://``, whatever fsspec knows) goes to
its fsspec file system (``stowflow.storage``). Object stores have no rename: there a write
is staged in a local temp file and uploaded whole when it commits, which is just as atomic
(an object appears complete or not at all); callers that write several files commit them
in an order that keeps readers safe (data shards, then ``.index``, then ``checkpoint``).
"""

from __future__ import annotations

import contextlib
import datetime
import glob as _glob
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator
from typing import IO, Any, BinaryIO

from stowflow import storage
from stowflow.errors import ResourceExhaustedError

is_url = storage.is_url
local_path = storage.local_path


def check_backend(path: str) -> None:
    """Fails early, naming ``path``, if it is a URL whose file system is not installed.

    Raises:
        stowflow.storage.MissingBackendError: names the extra to install.
        UnimplementedError: no backend is known for the scheme.
    """
    if is_url(path):
        storage.resolve(path)


def temp_sibling(path: str) -> str:
    """A unique temp path next to ``path`` (same directory, so rename is atomic)."""
    return f"{path}.tempstate{int.from_bytes(os.urandom(8), 'little') >> 1}"


# -- staged writes --------------------------------------------------------------------------


class Staged:
    """A file being written under a temporary name; :meth:`commit` puts it at ``path``.

    Local: a temp sibling renamed over ``path`` with ``os.replace``. Remote: a local temp
    file uploaded to ``path`` in one piece. :meth:`discard` leaves ``path`` untouched.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._remote = storage.resolve(path) if is_url(path) else None
        if self._remote is None:
            self._tmp = temp_sibling(local_path(path))
            self.file: BinaryIO = open(self._tmp, "wb")  # noqa: SIM115 - closed in commit/discard
        else:
            fd, self._tmp = tempfile.mkstemp(prefix="stowflow-upload-")
            self.file = os.fdopen(fd, "wb")

    def commit(self, *, fsync: bool = False) -> None:
        """Closes the file and moves (or uploads) it to its final path."""
        try:
            if fsync and self._remote is None:
                self.file.flush()
                os.fsync(self.file.fileno())
            self.file.close()
            if self._remote is None:
                os.replace(self._tmp, local_path(self.path))
            else:
                self._remote.fs.put_file(self._tmp, self._remote.path)
        except BaseException:
            self.discard()
            raise
        if self._remote is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._tmp)

    def discard(self) -> None:
        """Closes and deletes the temp file; the final path is untouched."""
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._tmp)


def stage(path: str) -> Staged:
    """A :class:`Staged` file for ``path`` (local or URL)."""
    return Staged(os.fspath(path))


@contextlib.contextmanager
def atomic_writer(path: str, *, fsync: bool = False) -> Iterator[BinaryIO]:
    """Opens a temp file for binary writing; on success it replaces (or uploads to) ``path``.

    On an exception the temp file is removed and ``path`` is untouched.

    Example:
        >>> with atomic_writer("/tmp/x.bin") as f:  # doctest: +SKIP
        ...     f.write(b"data")
    """
    staged = stage(path)
    try:
        yield staged.file
    except BaseException:
        staged.discard()
        raise
    staged.commit(fsync=fsync)


def write_atomic(path: str, data: bytes, *, fsync: bool = False) -> None:
    """Writes ``data`` to ``path`` atomically (one PUT for a URL)."""
    if is_url(path):
        remote = storage.resolve(path)
        remote.fs.pipe_file(remote.path, bytes(data))
        return
    with atomic_writer(path, fsync=fsync) as f:
        f.write(data)


def fsync_dir(directory: str) -> None:
    """Flushes a directory entry table so renames inside it survive a power loss."""
    if is_url(directory):
        return  # object stores have no directory entries
    with contextlib.suppress(OSError):
        fd = os.open(local_path(directory) or ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- reads ----------------------------------------------------------------------------------

#: Largest protobuf file stowflow parses (protobuf's own hard limit is 2 GiB).
MAX_PROTO_BYTES = 2**31 - 1


def _too_big(path: str, size: int, limit: int, what: str) -> ResourceExhaustedError:
    return ResourceExhaustedError(
        None, None, f"{what} {path} has {size} bytes, more than the {limit}-byte limit"
    )


def read_limited(path: str, limit: int = MAX_PROTO_BYTES, what: str = "file") -> bytes:
    """Reads a whole file after checking its size against ``limit``.

    Raises:
        FileNotFoundError: if it does not exist.
        ResourceExhaustedError: if it is larger than ``limit``.
    """
    if is_url(path):
        remote = storage.resolve(path)
        size = int(remote.fs.size(remote.path))
        if size > limit:
            raise _too_big(path, size, limit, what)
        data: bytes = remote.fs.cat_file(remote.path)
        return data
    with open(local_path(path), "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise _too_big(path, size, limit, what)
        return f.read()


def open_ranges(path: str) -> storage.RangeFile:
    """Ranged-read access to a remote object (local files are memory-mapped instead).

    Raises:
        FileNotFoundError: if it does not exist.
    """
    return storage.RangeFile(path)


def open_file(path: str, mode: str = "rb") -> IO[Any]:
    """``open`` for local paths and URLs alike (text or binary, by ``mode``)."""
    if is_url(path):
        remote = storage.resolve(path)
        return remote.fs.open(remote.path, mode)  # type: ignore[no-any-return]
    return open(local_path(path), mode)  # noqa: SIM115 - the caller closes it


# -- queries --------------------------------------------------------------------------------


def exists(path: str) -> bool:
    """True if ``path`` names a file or directory."""
    if is_url(path):
        remote = storage.resolve(path)
        return bool(remote.fs.exists(remote.path))
    return os.path.exists(local_path(path))


def isdir(path: str) -> bool:
    """True if ``path`` is a directory (on object stores: a prefix with objects under it)."""
    if is_url(path):
        remote = storage.resolve(path)
        return bool(remote.fs.isdir(remote.path))
    return os.path.isdir(local_path(path))


def isfile(path: str) -> bool:
    """True if ``path`` is a file (an object)."""
    if is_url(path):
        remote = storage.resolve(path)
        return bool(remote.fs.isfile(remote.path))
    return os.path.isfile(local_path(path))


def getsize(path: str) -> int:
    """The size of a file in bytes.

    Raises:
        FileNotFoundError: if it does not exist.
    """
    if is_url(path):
        remote = storage.resolve(path)
        return int(remote.fs.size(remote.path))
    return os.path.getsize(local_path(path))


def getmtime(path: str) -> float:
    """The modification time of a file, in seconds since the epoch.

    Raises:
        FileNotFoundError: if it does not exist.
    """
    if not is_url(path):
        return os.path.getmtime(local_path(path))
    remote = storage.resolve(path)
    try:
        stamp = remote.fs.modified(remote.path)
    except NotImplementedError:
        info = remote.fs.info(remote.path)
        stamp = info.get("LastModified") or info.get("updated") or info.get("created")
    if isinstance(stamp, str):
        stamp = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if isinstance(stamp, datetime.datetime):
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=datetime.timezone.utc)
        return stamp.timestamp()
    return float(stamp or 0.0)


def listdir(path: str) -> list[str]:
    """Names of the entries directly under a directory.

    Raises:
        FileNotFoundError: if it does not exist.
    """
    if not is_url(path):
        return os.listdir(local_path(path))
    remote = storage.resolve(path)
    if not remote.fs.isdir(remote.path):
        raise FileNotFoundError(path)
    base = remote.path.rstrip("/")
    entries = (p.rstrip("/") for p in remote.fs.ls(base, detail=False))
    return sorted({p.rsplit("/", 1)[-1] for p in entries if p and p != base})


def glob(pattern: str) -> list[str]:
    """Paths matching a glob pattern (URLs come back as URLs)."""
    if not is_url(pattern):
        return _glob.glob(local_path(pattern))
    remote = storage.resolve(pattern)
    return sorted(remote.url(p) for p in remote.fs.glob(remote.path))


def walk(top: str, topdown: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk`` for local paths and URLs (directories yielded as URLs)."""
    if not is_url(top):
        yield from os.walk(local_path(top), topdown=topdown)
        return
    remote = storage.resolve(top)
    for root, dirs, files in remote.fs.walk(remote.path, topdown=topdown):
        yield remote.url(root), list(dirs), list(files)


# -- changes --------------------------------------------------------------------------------


def makedirs(path: str, exist_ok: bool = True) -> None:
    """Creates a directory and its parents (object stores need none: a no-op there)."""
    if is_url(path):
        return
    os.makedirs(local_path(path) or ".", exist_ok=exist_ok)


def mkdir(path: str) -> None:
    """Creates one directory (a no-op on object stores).

    Raises:
        FileExistsError / FileNotFoundError: as ``os.mkdir``.
    """
    if is_url(path):
        return
    os.mkdir(local_path(path))


def remove(path: str) -> None:
    """Deletes a file.

    Raises:
        FileNotFoundError: if it does not exist.
    """
    if not is_url(path):
        os.remove(local_path(path))
        return
    remote = storage.resolve(path)
    if not remote.fs.isfile(remote.path):
        raise FileNotFoundError(path)
    remote.fs.rm_file(remote.path)


def rmtree(path: str) -> None:
    """Deletes a directory tree."""
    if not is_url(path):
        shutil.rmtree(local_path(path))
        return
    remote = storage.resolve(path)
    remote.fs.rm(remote.path, recursive=True)


def rmdir_if_empty(path: str) -> None:
    """Deletes an empty directory; anything else (or a URL: no real directories) stays."""
    if is_url(path):
        return
    with contextlib.suppress(OSError):
        os.rmdir(local_path(path))


def rename(src: str, dst: str) -> None:
    """Moves ``src`` over ``dst`` (``os.replace``; on object stores a copy and a delete).

    Raises:
        FileNotFoundError: if ``src`` does not exist.
    """
    if not (is_url(src) or is_url(dst)):
        os.replace(local_path(src), local_path(dst))
        return
    copy(src, dst)
    remove(src)


def copy(src: str, dst: str) -> None:
    """Copies one file, across file systems if need be.

    Raises:
        FileNotFoundError: if ``src`` does not exist.
    """
    if not (is_url(src) or is_url(dst)):
        shutil.copyfile(local_path(src), local_path(dst))
        return
    if is_url(src) and is_url(dst) and storage.scheme_of(src) == storage.scheme_of(dst):
        a, b = storage.resolve(src), storage.resolve(dst)
        if not a.fs.isfile(a.path):
            raise FileNotFoundError(src)
        a.fs.cp_file(a.path, b.path)  # not copy(): that one expands glob characters
        return
    with open_file(src, "rb") as fin, atomic_writer(dst) as fout:
        shutil.copyfileobj(fin, fout, 1 << 22)


def upload_tree(local_dir: str, url: str, last: tuple[str, ...] = ()) -> None:
    """Uploads every file under ``local_dir`` to ``url``; the names in ``last`` go last.

    A reader that waits for a ``last`` file (``saved_model.pb``) never sees a partial tree.
    """
    files = []
    for folder, _dirs, names in os.walk(local_dir):
        for name in names:
            rel = os.path.relpath(os.path.join(folder, name), local_dir)
            files.append(rel.replace(os.sep, "/"))
    files.sort(key=lambda rel: (rel in last, last.index(rel) if rel in last else 0, rel))
    remote = storage.resolve(url)
    base = remote.path.rstrip("/")
    for rel in files:
        remote.fs.put_file(os.path.join(local_dir, rel), f"{base}/{rel}")


def download_tree(url: str, local_dir: str) -> None:
    """Copies every object under ``url`` into ``local_dir`` (created if missing)."""
    remote = storage.resolve(url)
    base = remote.path.rstrip("/")
    for path in remote.fs.find(base):
        rel = path[len(base) :].lstrip("/")
        target = os.path.join(local_dir, *rel.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        remote.fs.get_file(path, target)


# -- path arithmetic ------------------------------------------------------------------------


def isabs(path: str) -> bool:
    """True for an absolute local path and for every URL."""
    return is_url(path) or os.path.isabs(local_path(path))


def relpath(path: str, start: str) -> str:
    """``os.path.relpath``; for URLs, ``path`` relative to ``start`` when below it."""
    if not (is_url(path) or is_url(start)):
        return os.path.relpath(path, start)
    if storage.scheme_of(path) == storage.scheme_of(start):
        head, tail = start.split("://", 1)[1], path.split("://", 1)[1]
        return posixpath.relpath(tail, head) if tail.startswith(head.rstrip("/") + "/") else path
    return path


def same_path(a: str, b: str) -> bool:
    """Whether two paths name the same file (``abspath``-equal; URLs compare as text)."""
    if is_url(a) or is_url(b):
        return a.rstrip("/") == b.rstrip("/")
    return os.path.abspath(local_path(a)) == os.path.abspath(local_path(b))
