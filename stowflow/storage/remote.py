"""Finding the fsspec file system of a URL, and the errors for schemes nobody serves.

A URL's scheme picks the backend (``s3`` -> s3fs, ``gs`` -> gcsfs, ``memory`` -> fsspec's
own, and whatever else fsspec registers); the options come from TF's environment variables
(:mod:`stowflow.storage.options`). A scheme whose backend is not installed is an error that
names the extra to install, never a local directory called ``s3:``.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from typing import Any

from stowflow._extras import MissingExtraError
from stowflow.errors import UnimplementedError
from stowflow.storage.options import class_for, options_for

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+)://")

BACKENDS: dict[str, tuple[str, str]] = {
    "s3": ("s3fs", "s3"),
    "s3a": ("s3fs", "s3"),
    "gs": ("gcsfs", "gcs"),
    "gcs": ("gcsfs", "gcs"),
}
"""URL scheme -> (the module that serves it, the stowflow extra that installs it)."""


def scheme_of(path: str | os.PathLike[str]) -> str:
    """The URL scheme of ``path`` in lower case; ``""`` for a plain path."""
    found = _SCHEME.match(os.fspath(path))
    return found.group(1).lower() if found else ""


def is_url(path: str | os.PathLike[str]) -> bool:
    """True for a URL of a non-local file system (``file://`` and plain paths are local)."""
    return scheme_of(path) not in ("", "file")


def local_path(path: str | os.PathLike[str]) -> str:
    """``path`` as a local path: a ``file://`` URL loses its scheme, anything else is kept."""
    text = os.fspath(path)
    return text[len("file://") :] if scheme_of(text) == "file" else text


class MissingBackendError(MissingExtraError):
    """A URL's scheme needs a backend that is not installed; the message says which extra."""

    def __init__(self, url: str, scheme: str, module: str, extra: str | None, hint: str) -> None:
        install = f"pip install 'stowflow[{extra}]'" if extra else f"pip install {module}"
        ImportError.__init__(
            self,
            f"{url}: no file system for {scheme}:// URLs ({hint}): {install}",
            name=module,
        )
        self.module = module
        self.extra = extra or module
        self.scheme = scheme


def _filesystem_class(scheme: str, url: str) -> Any:
    module, extra = BACKENDS.get(scheme, ("fsspec", None))
    try:
        fsspec = importlib.import_module("fsspec")
    except ModuleNotFoundError:
        raise MissingBackendError(url, scheme, module, extra, "fsspec is not installed") from None
    from fsspec.registry import known_implementations, registry

    if scheme not in registry and scheme not in known_implementations:
        raise UnimplementedError(
            None, None, f"File system scheme '{scheme}' not implemented (file: '{url}')"
        )
    try:
        cls = fsspec.get_filesystem_class(scheme)
        override = class_for(scheme, os.environ)
        if override is not None:
            module_name, _, name = override.rpartition(".")
            cls = getattr(importlib.import_module(module_name), name)
        return cls
    except ImportError as e:
        raise MissingBackendError(url, scheme, module, extra, str(e).splitlines()[0]) from None


@dataclass(frozen=True)
class Remote:
    """A URL resolved to its file system: ``fs`` (an fsspec file system) and ``path`` in it."""

    fs: Any
    path: str
    scheme: str

    def url(self, fs_path: str) -> str:
        """The URL of a path this file system returned (listings give paths without scheme)."""
        if "://" in fs_path:
            return fs_path
        return f"{self.scheme}://{fs_path.lstrip('/')}"

    def child(self, fs_path: str) -> Remote:
        """Another path on the same file system."""
        return Remote(self.fs, fs_path, self.scheme)


def resolve(url: str | os.PathLike[str]) -> Remote:
    """The file system and in-file-system path of a remote URL.

    Raises:
        MissingBackendError: the scheme's backend (or fsspec) is not installed.
        UnimplementedError: no backend is known for the scheme (TF's message).
    """
    text = os.fspath(url)
    scheme = scheme_of(text)
    cls = _filesystem_class(scheme, text)
    fs = cls(**options_for(scheme, os.environ))  # fsspec caches instances per options
    return Remote(fs, cls._strip_protocol(text), scheme)


class RangeFile:
    """Random access to one remote object by ranged reads (no whole-file download).

    Raises:
        FileNotFoundError: if the object does not exist.
    """

    def __init__(self, url: str) -> None:
        self._remote = resolve(url)
        self.size = int(self._remote.fs.size(self._remote.path))

    def __len__(self) -> int:
        return self.size

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the object, fetched with one ranged request."""
        if end <= start:
            return b""
        data: bytes = self._remote.fs.cat_file(self._remote.path, start=start, end=end)
        return data
