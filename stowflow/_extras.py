"""Optional dependencies: import one, or say which ``pip install`` brings it.

The core install is numpy, protobuf, ml_dtypes and crc32c. Everything else comes with an extra
(``pyproject.toml``, ``[project.optional-dependencies]``); code that needs an optional module
imports it through :func:`require`, so a missing one is a one-line message, and the CLI prints
that line instead of a traceback.

Example:
    >>> from stowflow._extras import require
    >>> grpc = require("grpc", "serve")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS: dict[str, str] = {
    "serve": "the model server",
    "convert": "model conversion",
    "view": "the netron model viewer (stowflow view)",
    "s3": "s3:// URLs (Amazon S3 and compatible stores)",
    "gcs": "gs:// URLs (Google Cloud Storage)",
    "ray": "scale-out on Ray (stowflow serve --ray, stowflow.ray)",
    "bench": "the benchmarks",
    "test": "the test suite",
}
"""The extras pyproject.toml declares -> what they are for."""


class MissingExtraError(ImportError):
    """An optional module is not installed; the message names the extra that installs it."""

    def __init__(self, module: str, extra: str) -> None:
        purpose = EXTRAS.get(extra, extra)
        super().__init__(
            f"{module} is needed for {purpose} but is not installed: "
            f"pip install 'stowflow[{extra}]'",
            name=module,
        )
        self.module = module
        self.extra = extra


def require(module: str, extra: str) -> ModuleType:
    """Imports ``module``, which the extra ``extra`` installs.

    Args:
        module: the importable name (``"grpc"``, ``"safetensors.numpy"``).
        extra: the stowflow extra that provides it (a key of :data:`EXTRAS`).

    Returns:
        The imported module.

    Raises:
        ValueError: ``extra`` is not one of stowflow's extras (a bug in the caller).
        MissingExtraError: the module (or its top-level package) is not installed.
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown stowflow extra {extra!r}; known: {', '.join(sorted(EXTRAS))}")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        missing = e.name or module
        # Only the module asked for (or a parent package of it) counts as the extra missing;
        # any other missing module is a real bug inside that package, reported as it is.
        if module != missing and not module.startswith(missing + "."):
            raise
        raise MissingExtraError(module, extra) from e
