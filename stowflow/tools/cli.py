"""The ``stowflow`` command: one subcommand per tool, registered in a table."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stowflow import __version__
from stowflow._extras import MissingExtraError
from stowflow.convert import cli as convert_cli
from stowflow.convert import view as convert_view
from stowflow.debug import diff as debug_diff
from stowflow.tools import freeze_graph, inspect_checkpoint, saved_model_cli


@dataclass(frozen=True)
class Subcommand:
    """A CLI verb: how to add its flags and how to run it."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
    run: Callable[[argparse.Namespace], int]
    passthrough: Callable[[list[str]], int] | None = None
    """If set, receives the raw arguments after the verb (argparse would eat its flags)."""


def _tf1_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("script", help="the TF1 script; `import tensorflow` becomes stowflow")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")
    return parser


def _run_serve(argv: list[str]) -> int:
    # Imported on use: `stowflow --help` must not import grpc (stowflow.serving is its own layer).
    server = importlib.import_module("stowflow.serving.server")
    return int(server.main(argv))


def _serve_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("flags", nargs=argparse.REMAINDER, help="tensorflow_model_server flags")
    return parser


def _run_tf1(argv: list[str]) -> int:
    # stowflow.tf1 sits above stowflow.tools in the layer contract (it imports this
    # package), so it is looked up at call time instead of imported here.
    tf1 = importlib.import_module("stowflow.tf1")
    return int(tf1.main(argv))


SUBCOMMANDS: dict[str, Subcommand] = {
    "inspect": Subcommand(
        "print the tensors of a checkpoint (TF's inspect_checkpoint)",
        inspect_checkpoint.build_parser,
        inspect_checkpoint.run,
    ),
    "show": Subcommand(
        "show a SavedModel's tag-sets, signatures and ops (TF's saved_model_cli show)",
        saved_model_cli.add_show_arguments,
        saved_model_cli.run_show,
    ),
    "run": Subcommand(
        "run a SavedModel signature on given inputs (TF's saved_model_cli run)",
        saved_model_cli.add_run_arguments,
        saved_model_cli.run_run,
    ),
    "scan": Subcommand(
        "report denylisted ops in a SavedModel (TF's saved_model_cli scan)",
        saved_model_cli.add_scan_arguments,
        saved_model_cli.run_scan,
    ),
    "freeze": Subcommand(
        "freeze a graph and its checkpoint into one GraphDef (TF's freeze_graph)",
        freeze_graph.add_arguments,
        freeze_graph.run,
    ),
    "debug-diff": Subcommand(
        "list the first tensors that differ between two debug dumps (tfdbg dumps)",
        debug_diff.add_arguments,
        debug_diff.run,
    ),
    "convert": Subcommand(
        "convert checkpoints <-> safetensors / PyTorch .pt / NumPy .npz",
        convert_cli.add_arguments,
        convert_cli.run,
    ),
    "view": Subcommand(
        "open a SavedModel, GraphDef or checkpoint in netron (needs stowflow[view])",
        convert_view.add_arguments,
        convert_view.run,
    ),
    "tf1": Subcommand(
        "run a TF1 script with `import tensorflow` resolved to stowflow",
        _tf1_arguments,
        lambda args: _run_tf1([args.script, *args.args]),
        passthrough=_run_tf1,
    ),
    "serve": Subcommand(
        "serve SavedModels over gRPC and REST (TF Serving's tensorflow_model_server)",
        _serve_arguments,
        lambda args: _run_serve(list(args.flags)),
        passthrough=_run_serve,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="stowflow", description="TensorFlow's model files, without TensorFlow."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in SUBCOMMANDS.items():
        command.add_arguments(sub.add_parser(name, help=command.help, description=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parses ``argv`` and runs the chosen subcommand; returns its exit code.

    A subcommand that needs an optional dependency which is not installed prints one line
    naming the ``pip install`` to run (no traceback) and returns 1. Bad input files are
    reported by each subcommand in one line; anything else that escapes is a stowflow bug,
    printed as one ``internal error`` line (exit 2; ``STOWFLOW_TRACEBACK=1`` shows the
    traceback) instead of a traceback a file's author could provoke.
    """
    raw = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(raw)
    except MissingExtraError as e:
        print(f"stowflow: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - the last line of defence of a command line tool
        if os.environ.get("STOWFLOW_TRACEBACK") == "1":
            raise
        text = " ".join(str(e).splitlines())[:500]
        print(
            f"stowflow: internal error: {type(e).__name__}: {text} (a stowflow bug: please "
            "report it; STOWFLOW_TRACEBACK=1 shows where)",
            file=sys.stderr,
        )
        return 2


def _dispatch(raw: list[str]) -> int:
    command = SUBCOMMANDS.get(raw[0]) if raw else None
    if command is not None and command.passthrough is not None:
        return command.passthrough(raw[1:])
    args = build_parser().parse_args(raw)
    return SUBCOMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
