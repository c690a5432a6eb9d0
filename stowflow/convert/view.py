"""``stowflow view``: open a model in netron (the optional ``[view]`` extra).

netron serves its viewer from a thread in this process on 127.0.0.1; the URL is printed
and, with ``--browse``, opened in a browser.
"""

from __future__ import annotations

import argparse
import os
import sys
from types import ModuleType

from stowflow._extras import MissingExtraError
from stowflow.bundle import index_filename
from stowflow.convert.checkpoint_format import resolve_source
from stowflow.errors import NotFoundError, OpError

_GRAPH_FILES = ("saved_model.pb", "saved_model.pbtxt")


def _netron() -> ModuleType:
    try:
        import netron
    except ModuleNotFoundError:
        raise MissingExtraError("netron", "view") from None
    return netron


def model_file(path: str) -> str:
    """The file netron should open for ``path``.

    A SavedModel directory opens its ``saved_model.pb``; a checkpoint (prefix, directory,
    data file) opens its ``.index``; any other existing file opens as itself.

    Raises:
        NotFoundError: if nothing viewable is there.
    """
    if os.path.isdir(path):
        for name in _GRAPH_FILES:
            if os.path.isfile(os.path.join(path, name)):
                return os.path.join(path, name)
    elif os.path.isfile(path):
        return path
    try:
        return index_filename(resolve_source(path))
    except NotFoundError:
        raise NotFoundError(
            None, None, f"Nothing to view at {path}: not a file, SavedModel or checkpoint"
        ) from None


def start(path: str, port: int = 0, browse: bool = False) -> tuple[str, tuple[str, int]]:
    """Starts netron on ``127.0.0.1`` (a free port when ``port`` is 0).

    Returns:
        (URL, address); pass the address to :func:`stop`.

    Raises:
        MissingExtraError: netron is not installed.
        NotFoundError: from :func:`model_file`.
    """
    netron = _netron()
    target = model_file(path)
    host, bound = netron.serve(target, None, address=("127.0.0.1", port or None), browse=browse)
    return f"http://{host}:{bound}", (host, bound)


def stop(address: tuple[str, int]) -> None:
    """Stops the server started by :func:`start`."""
    _netron().stop(address)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Flags of ``stowflow view``."""
    parser.add_argument("path", help="a SavedModel dir, .pb/.pbtxt/.meta, checkpoint or model file")
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument("--browse", action="store_true", help="open the URL in a web browser")
    return parser


def run(args: argparse.Namespace) -> int:
    """Serves until interrupted; returns the exit code."""
    try:
        url, address = start(args.path, args.port, args.browse)
    except OpError as e:
        print(f"stowflow view: {e}", file=sys.stderr)
        return 1
    print(url, flush=True)
    try:
        _netron().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(address)
    return 0
