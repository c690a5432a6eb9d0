"""``inspect_checkpoint``: print the tensors of a checkpoint as TensorFlow's tool does.

:func:`print_tensors_in_checkpoint_file` matches
``tensorflow.python.tools.inspect_checkpoint`` output line for line (TF1 code calls it).
The ``stowflow inspect`` command takes the same flags; unlike TF's script it reports a
missing or corrupt checkpoint as one line on stderr with a non-zero exit code.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

import numpy as np

from stowflow.checkpoint import Reader
from stowflow.errors import OpError
from stowflow.proto import types_pb2

_V2_HINT = """
It's likely that this is a V2 checkpoint and you need to provide the filename
*prefix*.  Try removing the '.' and extension.  Try:
inspect checkpoint --file_name = {}"""


def _type_enum_name(enum: int) -> str:
    return str(types_pb2.DataType.Name(enum))


def debug_string(reader: Reader) -> str:
    """``CheckpointReader::DebugString`` as inspect_checkpoint prints it (bytes that are not
    valid UTF-8, in partitioned variables' slice keys, are dropped)."""
    return reader.debug_string().decode("utf-8", errors="ignore")


def _count_params(reader: Reader, exclude_pattern: str) -> int:
    shapes = reader.get_variable_to_shape_map()
    if exclude_pattern:
        regex = re.compile(exclude_pattern)
        excluded = {k: v for k, v in shapes.items() if regex.search(k)}
        params = sum(int(np.prod(v)) for v in excluded.values())
        print(
            f"# Excluding {len(excluded)} tensors ({params} params) that match "
            f"{exclude_pattern} when counting."
        )
        shapes = {k: v for k, v in shapes.items() if k not in excluded}
    return sum(int(np.prod(v)) for v in shapes.values())


def _print_tensors(
    reader: Reader, tensor_name: str, all_tensors: bool, all_tensor_names: bool, exclude: str
) -> None:
    if all_tensors or all_tensor_names:
        dtypes = reader.get_variable_to_dtype_map()
        for key, shape in sorted(reader.get_variable_to_shape_map().items()):
            print(f"tensor: {key} ({dtypes[key].name}) {shape}")
            if all_tensors:
                print(reader.get_tensor(key))
    elif not tensor_name:
        print(debug_string(reader))
    else:
        if not reader.has_tensor(tensor_name):
            print(f"Tensor {tensor_name} not found in checkpoint")
            return
        shape = reader.get_variable_to_shape_map()[tensor_name]
        dtype = reader.get_variable_to_dtype_map()[tensor_name]
        print(f"tensor: {tensor_name} ({dtype.name}) {shape}")
        print(reader.get_tensor(tensor_name))
    print(f"# Total number of params: {_count_params(reader, exclude)}")


def print_tensors_in_checkpoint_file(
    file_name: str,
    tensor_name: str,
    all_tensors: bool,
    all_tensor_names: bool = False,
    count_exclude_pattern: str = "",
) -> None:
    """Prints a checkpoint's tensor names, shapes and (optionally) values.

    Errors are printed, not raised, exactly as TensorFlow's function does.

    Args:
        file_name: checkpoint prefix.
        tensor_name: one tensor to print ("" for none).
        all_tensors: print every tensor with its value.
        all_tensor_names: print every tensor's name, dtype and shape.
        count_exclude_pattern: regex of names left out of the parameter count.
    """
    try:
        with Reader(file_name) as reader:
            _print_tensors(
                reader, tensor_name, all_tensors, all_tensor_names, count_exclude_pattern
            )
    except (OpError, ValueError) as e:
        print(str(e))
        if "Data loss" in str(e) and any(ext in file_name for ext in (".index", ".meta", ".data")):
            print(_V2_HINT.format(".".join(file_name.split(".")[:-1])))


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "t", "1", "yes"):
        return True
    if lowered in ("false", "f", "0", "no"):
        return False
    raise ValueError(f"Non-boolean argument to boolean flag: {text}")


def parse_numpy_printoption(kv_str: str) -> None:
    """Applies one ``k=v`` numpy print option, typed like the option's current value.

    Raises:
        argparse.ArgumentTypeError: for a malformed pair or an unknown option.
    """
    key, sep, value = kv_str.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"'{kv_str}' is not in the form k=v.")
    current = np.get_printoptions()
    if key not in current:
        raise argparse.ArgumentTypeError(f"'{key}' is not a valid printoption.")
    kind = type(current[key])
    if current[key] is None:
        raise argparse.ArgumentTypeError(f"Setting '{key}' from the command line is not supported.")
    try:
        typed = _parse_bool(value) if kind is bool else kind(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    np.set_printoptions(**{key: typed})


def build_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds TF's inspect_checkpoint flags to ``parser``."""
    parser.add_argument("--file_name", default="", help="checkpoint prefix (or directory)")
    parser.add_argument("--tensor_name", default="", help="name of one tensor to print")
    parser.add_argument(
        "--count_exclude_pattern", default="", help="regex of tensors left out of the param count"
    )
    parser.add_argument(
        "--all_tensors",
        nargs="?",
        const=True,
        default=False,
        type=_parse_bool,
        help="print every tensor's name, dtype, shape and value",
    )
    parser.add_argument(
        "--all_tensor_names",
        nargs="?",
        const=True,
        default=False,
        type=_parse_bool,
        help="print every tensor's name, dtype and shape",
    )
    parser.add_argument(
        "--printoptions",
        nargs="*",
        type=parse_numpy_printoption,
        help="numpy print options as k=v, e.g. threshold=100000",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Runs the inspect command; returns the exit code."""
    if not args.file_name:
        print(
            "Usage: inspect_checkpoint --file_name=checkpoint_file_name "
            "[--tensor_name=tensor_to_print] [--all_tensors] [--all_tensor_names] "
            "[--count_exclude_pattern] [--printoptions]",
            file=sys.stderr,
        )
        return 1
    try:
        reader = Reader(args.file_name)
    except OpError as e:
        print(f"stowflow inspect: {e}", file=sys.stderr)
        return 1
    try:
        with reader:
            _print_tensors(
                reader,
                args.tensor_name,
                args.all_tensors,
                args.all_tensor_names,
                args.count_exclude_pattern,
            )
    except OpError as e:
        sys.stdout.flush()
        print(f"stowflow inspect: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m stowflow.tools.inspect_checkpoint``."""
    parser = build_parser(argparse.ArgumentParser(prog="stowflow inspect"))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
