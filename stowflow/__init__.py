"""stowflow: TensorFlow's model persistence stack in pure Python on NumPy.

Reads and writes TensorFlow checkpoints (and, as the project grows, MetaGraphs, frozen
graphs and SavedModels) without importing TensorFlow. Submodules load lazily so that
``import stowflow`` stays fast.

Example:
    >>> import numpy as np, stowflow
    >>> stowflow.checkpoint.save("/tmp/m/ckpt", {"w": np.zeros(3)})  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from typing import Any

# The one source of the version: pyproject.toml reads it ([tool.setuptools.dynamic]) and
# `stowflow --version` prints it. Record each release in CHANGELOG.md.
__version__ = "0.1.0"

# TF-style log lines ("INFO:tensorflow:...") go to the "tensorflow" logger; as a library we
# stay silent unless the application (or ``python -m stowflow.tf1``) installs a handler.
logging.getLogger("tensorflow").addHandler(logging.NullHandler())

_LAZY_SUBMODULES = ("checkpoint", "dtypes", "errors", "bundle", "tools")


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES or importlib.util.find_spec(f"stowflow.{name}") is not None:
        module = importlib.import_module(f"stowflow.{name}")
        globals()[name] = module
        return module
    if not name.startswith("__"):
        # The TF1 namespace: ``import stowflow as tf; tf.placeholder(...)``.
        api = importlib.import_module("stowflow._v1")
        if hasattr(api, name):
            return getattr(api, name)
    raise AttributeError(f"module 'stowflow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY_SUBMODULES])
