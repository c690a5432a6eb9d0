"""Run unmodified TF1 code on stowflow: ``python -m stowflow.tf1 SCRIPT [ARGS...]``.

:func:`install` makes ``import tensorflow`` (and the ``tensorflow.python...`` submodules
the seeds import) resolve to stowflow's TF1 namespace; TensorFlow itself is never
imported. Logging goes to stderr as ``LEVEL:tensorflow:message``, like TF's logger.
"""

from __future__ import annotations

import logging
import os
import runpy
import sys
import types
from typing import Any

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def _module(name: str, **members: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(members)
    module.__path__ = []  # a package, so submodule imports work
    return module


def _submodules(api: Any) -> dict[str, types.ModuleType]:
    from stowflow import debug, gfile
    from stowflow.graph import graph_util
    from stowflow.serving import apis as serving_apis
    from stowflow.tools import inspect_checkpoint

    serving = {  # tensorflow_serving.apis (TF Serving's client package) -> stowflow's
        f"tensorflow_serving.apis.{name}": getattr(serving_apis, name)
        for name in serving_apis.__all__
        if name.endswith(("_pb2", "_pb2_grpc"))
    }

    return {
        "tensorflow.compat": _module("tensorflow.compat", v1=api),
        "tensorflow.compat.v1": api,
        "tensorflow.python": _module("tensorflow.python", debug=debug),
        "tensorflow.python.debug": debug,
        "tensorflow.python.framework": _module(
            "tensorflow.python.framework", graph_util=graph_util
        ),
        "tensorflow.python.framework.graph_util": graph_util,
        "tensorflow.python.tools": _module(
            "tensorflow.python.tools", inspect_checkpoint=inspect_checkpoint
        ),
        "tensorflow.python.tools.inspect_checkpoint": inspect_checkpoint,
        "tensorflow.python.platform": _module("tensorflow.python.platform", gfile=gfile),
        "tensorflow.python.platform.gfile": gfile,
        "tensorflow.python.training": _module("tensorflow.python.training", saver=api.train),
        "tensorflow.python.training.saver": api.train,
        "tensorflow.saved_model": api.saved_model,
        "tensorflow.python.saved_model": api.saved_model,
        "tensorflow.python.saved_model.builder": api.saved_model.builder,
        "tensorflow.python.saved_model.loader": api.saved_model.loader,
        "tensorflow.python.saved_model.tag_constants": api.saved_model.tag_constants,
        "tensorflow.python.saved_model.signature_constants": api.saved_model.signature_constants,
        "tensorflow.python.saved_model.signature_def_utils": api.saved_model.signature_def_utils,
        "tensorflow.python.saved_model.utils": api.saved_model.utils,
        "tensorflow_serving": _module("tensorflow_serving", apis=serving_apis),
        "tensorflow_serving.apis": serving_apis,
        **serving,
    }


def _configure_logging(verbosity: str) -> None:
    logger = logging.getLogger("tensorflow")
    if not any(getattr(h, "_stowflow", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
        handler._stowflow = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(_LEVELS.get(verbosity.lower(), logging.WARNING))


def install(verbosity: str | None = None) -> types.ModuleType:
    """Makes ``tensorflow`` resolve to stowflow in this process; returns the module.

    Args:
        verbosity: TF log level for the ``tensorflow`` logger (default: env
            ``STOWFLOW_VERBOSITY`` or ``warning``, TF 2.x's default).
    """
    from stowflow import _v1
    from stowflow.graph import shape as shape_lib

    shape_lib.use_v1_dimensions(True)  # TF1 behaviour: shapes hold Dimension objects

    api = _module("tensorflow", **{k: v for k, v in vars(_v1).items() if not k.startswith("__")})
    api.errors = _v1.errors  # type: ignore[attr-defined]
    api.graph_util = _v1.graph_util  # type: ignore[attr-defined]
    api.gfile = _v1.gfile  # type: ignore[attr-defined]
    api.compat = _module(  # type: ignore[attr-defined]
        "tensorflow.compat", v1=api, dimension_value=_v1.dimension_value
    )
    sys.modules["tensorflow"] = api
    sys.modules.update(_submodules(api))
    _configure_logging(verbosity or os.environ.get("STOWFLOW_VERBOSITY", "warning"))
    return api


def main(argv: list[str] | None = None) -> int:
    """Runs a script with ``tensorflow`` mapped to stowflow."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbosity = None
    if args and args[0].startswith("--verbosity="):
        verbosity = args.pop(0).split("=", 1)[1]
    if not args or args[0] in ("-h", "--help"):
        print(
            "usage: python -m stowflow.tf1 [--verbosity=info] SCRIPT [ARGS...]\n"
            "Runs a TF1 script with `import tensorflow` resolved to stowflow.",
            file=sys.stderr,
        )
        return 2 if not args else 0
    script = args[0]
    if not os.path.isfile(script):
        print(f"stowflow.tf1: no such script: {script}", file=sys.stderr)
        return 2
    install(verbosity)
    sys.argv = args
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(os.path.abspath(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
