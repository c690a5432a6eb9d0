"""Remote file systems for stowflow: URLs such as ``s3://``, ``gs://`` and ``memory://``.

This package is the remote half of the storage seam; ``stowflow._fs`` is the seam itself:
every path-taking API calls ``_fs``, which keeps local paths (and ``file://`` URLs) on the
plain ``os`` fast path (mmap, ``os.replace``) and hands any other URL to :func:`resolve`
here, which finds the fsspec file system for its scheme. fsspec and its backends are
optional (``stowflow[s3]``, ``stowflow[gcs]``) and imported only when a URL is used.

Example:
    >>> from stowflow import storage
    >>> storage.is_url("s3://bucket/ckpt/model"), storage.is_url("/tmp/ckpt")
    (True, False)
"""

from __future__ import annotations

from stowflow.storage.remote import (
    MissingBackendError,
    RangeFile,
    Remote,
    is_url,
    local_path,
    resolve,
    scheme_of,
)

__all__ = [
    "MissingBackendError",
    "RangeFile",
    "Remote",
    "is_url",
    "local_path",
    "resolve",
    "scheme_of",
]
