"""The ``stowflow`` command: one subcommand per tool, registered in a table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stowflow.tools import inspect_checkpoint


@dataclass(frozen=True)
class Subcommand:
    """A CLI verb: how to add its flags and how to run it."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
    run: Callable[[argparse.Namespace], int]


SUBCOMMANDS: dict[str, Subcommand] = {
    "inspect": Subcommand(
        "print the tensors of a checkpoint (TF's inspect_checkpoint)",
        inspect_checkpoint.build_parser,
        inspect_checkpoint.run,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="stowflow", description="TensorFlow's model files, without TensorFlow."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in SUBCOMMANDS.items():
        command.add_arguments(sub.add_parser(name, help=command.help, description=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parses ``argv`` and runs the chosen subcommand; returns its exit code."""
    args = build_parser().parse_args(argv)
    return SUBCOMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
