"""Where model versions live: a small file-system interface, local disk by default.

The manager only asks three things of storage: does a base path exist, which children of it
are version directories, and has a version's content changed (to retry a failed load). Other
file systems plug in by registering a :class:`Storage` for their scheme with
:func:`register`; they hand back a local directory to load from. Every URL scheme without
its own registration (``s3://``, ``gs://``, ``memory://``, ...) is served by
:class:`FsspecStorage`: version polling is one prefix listing, and a version is downloaded
to a local directory to load it.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import zlib
from typing import Any, Protocol

from stowflow import _fs, errors, storage

log = logging.getLogger("stowflow.serving")


class Storage(Protocol):
    """The operations the model manager needs from a file system."""

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists and is a directory."""
        ...

    def children(self, path: str) -> list[str]:
        """Names of the entries directly under ``path``."""
        ...

    def fingerprint(self, path: str) -> tuple[tuple[str, int, int], ...]:
        """Something that changes whenever a file under ``path`` is added, removed or changed."""
        ...

    def local_dir(self, path: str) -> str:
        """A local directory holding ``path``'s files (a copy for remote file systems)."""
        ...


class LocalStorage:
    """Storage on the local file system (plain paths and ``file://`` URLs)."""

    @staticmethod
    def _strip(path: str) -> str:
        return path[len("file://") :] if path.startswith("file://") else path

    def exists(self, path: str) -> bool:
        """Whether ``path`` is a directory."""
        return os.path.isdir(self._strip(path))

    def children(self, path: str) -> list[str]:
        """Entry names under ``path`` (empty if it is unreadable)."""
        try:
            return os.listdir(self._strip(path))
        except OSError:
            return []

    def fingerprint(self, path: str) -> tuple[tuple[str, int, int], ...]:
        """(relative path, size, mtime in ns) of every file under ``path``, sorted."""
        root = self._strip(path)
        entries = []
        for folder, _dirs, files in os.walk(root):
            for name in files:
                full = os.path.join(folder, name)
                try:
                    st = os.stat(full)
                except OSError:
                    continue
                entries.append((os.path.relpath(full, root), st.st_size, st.st_mtime_ns))
        return tuple(sorted(entries))

    def local_dir(self, path: str) -> str:
        """``path`` itself."""
        return self._strip(path)


def _stamp(info: dict[str, Any]) -> int:
    """A number that changes when an object's content does (its ETag, hash or time)."""
    for key in ("ETag", "etag", "md5Hash", "crc32c", "mtime", "LastModified", "updated"):
        if info.get(key) is not None:
            return zlib.crc32(str(info[key]).encode())
    return zlib.crc32(str(info.get("created", "")).encode())


class FsspecStorage:
    """Storage on a remote file system through fsspec (``s3://``, ``gs://``, ``memory://``...).

    Listings are never cached (``stowflow.storage.options``), so each poll sees new versions.
    """

    def __init__(self) -> None:
        self._downloads: list[str] = []
        atexit.register(self._clean)

    def exists(self, path: str) -> bool:
        """Whether ``path`` is a directory (a prefix with objects under it)."""
        return _fs.isdir(path)

    def children(self, path: str) -> list[str]:
        """Entry names directly under ``path``: one prefix listing (empty if unreadable)."""
        try:
            return _fs.listdir(path)
        except (OSError, errors.OpError):
            return []

    def fingerprint(self, path: str) -> tuple[tuple[str, int, int], ...]:
        """(relative path, size, stamp of ETag/hash/time) of every object under ``path``."""
        remote = storage.resolve(path)
        base = remote.path.rstrip("/")
        try:
            found = remote.fs.find(base, detail=True)
        except OSError:
            return ()
        return tuple(
            sorted(
                (name[len(base) :].lstrip("/"), int(info.get("size") or 0), _stamp(info))
                for name, info in found.items()
            )
        )

    def local_dir(self, path: str) -> str:
        """A fresh local copy of ``path``'s objects (removed when the process exits)."""
        target = tempfile.mkdtemp(prefix="stowflow-model-")
        self._downloads.append(target)
        _fs.download_tree(path, target)
        return target

    def _clean(self) -> None:
        for folder in self._downloads:
            shutil.rmtree(folder, ignore_errors=True)


_BY_SCHEME: dict[str, Storage] = {"": LocalStorage(), "file": LocalStorage()}
_REMOTE: list[FsspecStorage] = []  # one shared instance, made on first use


def register(scheme: str, storage: Storage) -> None:
    """Makes base paths starting with ``scheme://`` use ``storage``."""
    _BY_SCHEME[scheme] = storage


def for_path(path: str) -> Storage:
    """The storage for ``path`` (by its URL scheme; plain paths are local).

    A scheme with no registration of its own goes to fsspec when a backend serves it.

    Raises:
        stowflow.errors.UnimplementedError: nothing serves the scheme; when an extra would
            (``stowflow[s3]``, ``stowflow[gcs]``) the message names it.
    """
    scheme = storage.scheme_of(path)
    found = _BY_SCHEME.get(scheme)
    if found is not None:
        return found
    try:
        storage.resolve(path)  # is there a backend for this scheme?
    except storage.MissingBackendError as e:
        raise errors.UnimplementedError(None, None, str(e)) from None
    if not _REMOTE:
        _REMOTE.append(FsspecStorage())
    return _REMOTE[0]


def join(base: str, child: str) -> str:
    """``base/child`` for any scheme."""
    return base.rstrip("/") + "/" + child
