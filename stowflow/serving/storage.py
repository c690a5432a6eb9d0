"""Where model versions live: a small file-system interface, local disk by default.

The manager only asks three things of storage: does a base path exist, which children of it
are version directories, and has a version's content changed (to retry a failed load). Other
file systems (``gs://``, ``s3://``) plug in by registering a :class:`Storage` for their
scheme with :func:`register`; they hand back a local directory to load from.
"""

from __future__ import annotations

import logging
import os
from typing import Protocol

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


_BY_SCHEME: dict[str, Storage] = {"": LocalStorage(), "file": LocalStorage()}


def register(scheme: str, storage: Storage) -> None:
    """Makes base paths starting with ``scheme://`` use ``storage``."""
    _BY_SCHEME[scheme] = storage


def for_path(path: str) -> Storage:
    """The storage for ``path`` (by its URL scheme; plain paths are local).

    Raises:
        stowflow.errors.UnimplementedError: no storage is registered for the scheme.
    """
    from stowflow import errors

    scheme = path.split("://", 1)[0] if "://" in path else ""
    storage = _BY_SCHEME.get(scheme)
    if storage is None:
        raise errors.UnimplementedError(
            None, None, f"File system scheme '{scheme}://' not implemented (file: '{path}')"
        )
    return storage


def join(base: str, child: str) -> str:
    """``base/child`` for any scheme."""
    return base.rstrip("/") + "/" + child
