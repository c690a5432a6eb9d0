"""``stowflow convert``: the command-line face of :func:`stowflow.convert.convert`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from stowflow.convert.formats import FORMATS
from stowflow.convert.names import PRESETS, NameOptions
from stowflow.convert.pipeline import convert
from stowflow.errors import InvalidArgumentError, OpError
from stowflow.proto import graph_pb2


def _pair(text: str, what: str) -> tuple[str, str]:
    pattern, sep, value = text.rpartition("=")
    if not sep or not pattern:
        raise InvalidArgumentError(None, None, f"{what} takes PATTERN=VALUE, got {text!r}")
    return pattern, value


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Flags of ``stowflow convert``."""
    formats = ", ".join(FORMATS)
    parser.add_argument(
        "src", help="checkpoint (prefix/dir/.index/SavedModel), .safetensors, .pt, .npz"
    )
    parser.add_argument("dst", help="output path; its suffix picks the format unless --to")
    parser.add_argument("--from", dest="src_format", help=f"source format ({formats})")
    parser.add_argument("--to", dest="dst_format", help=f"destination format ({formats}, onnx)")
    parser.add_argument(
        "--preset",
        default="auto",
        choices=["auto", *PRESETS],
        help="name map preset (auto: tf2-object-graph for TF2 checkpoints)",
    )
    parser.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="PATTERN=REPL",
        help="regex substitution on target names, applied in order",
    )
    parser.add_argument(
        "--transpose",
        action="append",
        default=[],
        metavar="REGEX=KIND",
        help="layout for source names matching REGEX: dense, conv, depthwise, none",
    )
    parser.add_argument("--keep-optimizer", action="store_true", help="keep optimizer slots/state")
    parser.add_argument("--keep-global-step", action="store_true", help="keep global_step")
    parser.add_argument(
        "--ema",
        action="store_true",
        help="use <name>/ExponentialMovingAverage values in place of <name>",
    )
    parser.add_argument(
        "--skip-unsupported",
        action="store_true",
        help="leave out tensors the destination cannot hold instead of failing",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the mapping; write nothing")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    onnx = parser.add_argument_group("--to onnx (SRC: frozen GraphDef .pb/.pbtxt or SavedModel)")
    onnx.add_argument("--inputs", default="", help="GraphDef input tensors, comma-separated")
    onnx.add_argument("--outputs", default="", help="GraphDef output tensors, comma-separated")
    onnx.add_argument("--signature", default="serving_default", help="SavedModel signature key")
    onnx.add_argument("--tag-set", default="serve", help="SavedModel tags, comma-separated")
    onnx.add_argument("--opset", type=int, default=17, help="ONNX opset (13 to 17)")
    onnx.add_argument(
        "--output-keys", default="", help="SavedModel: export only these signature outputs"
    )
    return parser  # fmt: skip


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _read_graph_def(path: str) -> Any:
    graph_def = graph_pb2.GraphDef()
    with open(path, "rb") as f:
        data = f.read()
    try:
        if path.endswith(".pbtxt"):
            text_format.Parse(data.decode("utf-8"), graph_def)
        else:
            graph_def.ParseFromString(data)
    except (DecodeError, text_format.ParseError, UnicodeDecodeError) as e:
        raise InvalidArgumentError(None, None, f"{path} is not a GraphDef: {e}") from None
    return graph_def


def _run_onnx(args: argparse.Namespace) -> str:
    from stowflow.convert.onnx import export_graph_def, export_saved_model

    if os.path.isdir(args.src):
        export = export_saved_model(
            args.src,
            args.signature,
            _split(args.tag_set),
            opset=args.opset,
            output_keys=_split(args.output_keys) or None,
        )
    else:
        inputs, outputs = _split(args.inputs), _split(args.outputs)
        if not inputs or not outputs:
            raise InvalidArgumentError(
                None, None, "a GraphDef needs --inputs and --outputs tensor names"
            )
        graph_def = _read_graph_def(args.src)
        export = export_graph_def(graph_def, inputs, outputs, opset=args.opset)
    export.save(args.dst)
    return (
        f"{len(export.model.graph.node)} ONNX nodes, {export.transposes_left} transposes "
        f"left after cancellation: {args.src} -> {args.dst}"
    )


def run(args: argparse.Namespace) -> int:
    """Runs one conversion; errors are one line on stderr and exit code 1."""
    if args.dst_format == "onnx" or (args.dst_format is None and args.dst.endswith(".onnx")):
        try:
            print(_run_onnx(args))
        except (OpError, OSError) as e:
            print(f"stowflow convert: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        return 0
    try:
        options = NameOptions(
            preset=args.preset,
            renames=tuple(_pair(r, "--rename") for r in args.rename),
            transposes=tuple(_pair(t, "--transpose") for t in args.transpose),
            keep_optimizer=args.keep_optimizer,
            keep_global_step=args.keep_global_step,
            ema=args.ema,
        )
        plan = convert(
            args.src,
            args.dst,
            src_format=args.src_format,
            dst_format=args.dst_format,
            options=options,
            skip_unsupported=args.skip_unsupported,
            dry_run=args.dry_run,
            progress=not args.no_progress,
        )
    except (OpError, OSError) as e:
        print(f"stowflow convert: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(plan.table() if args.dry_run else plan.table().splitlines()[-1])
    return 0
