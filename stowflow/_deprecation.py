"""TensorFlow-style deprecation warnings, logged on the ``tensorflow`` logger.

TF prints ``WARNING:tensorflow:From <file>:<line>: <func> (from <module>) is deprecated
and will be removed ...`` naming the caller; TF1 code run under stowflow sees the same.
"""

from __future__ import annotations

import logging
import sys

logger = logging.getLogger("tensorflow")

V1_ONLY = (
    "This API was designed for TensorFlow v1. See https://www.tensorflow.org/guide/migrate "
    "for instructions on how to migrate your code to TensorFlow v2."
)


_already_warned: set[str] = set()


def warn(
    func: str, module: str, instructions: str, *, date: str | None = None, caller_depth: int = 2
) -> None:
    """Logs the deprecation warning for ``func``.

    Args:
        func: the deprecated name, e.g. ``"initialize_all_variables"``.
        module: the TF module TF names, e.g. ``"tensorflow.python.ops.variables"``.
        instructions: the "Instructions for updating" text.
        date: removal date, or None for "in a future version".
        caller_depth: stack frames above ``warn``'s caller to name as the location
            (2 = the caller of the deprecated function).
    """
    if func in _already_warned:
        return  # TF warns once per deprecated function per process
    _already_warned.add(func)
    frame = sys._getframe(caller_depth)
    when = f"after {date}" if date else "in a future version"
    logger.warning(
        "From %s:%d: %s (from %s) is deprecated and will be removed %s.\n"
        "Instructions for updating:\n%s",
        frame.f_code.co_filename,
        frame.f_lineno,
        func,
        module,
        when,
        instructions,
    )
