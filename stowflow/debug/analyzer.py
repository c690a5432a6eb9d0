"""The analyzer: tfdbg's read-only commands over one recorded run, as plain text.

Commands (long and short forms): ``list_tensors``/``lt``, ``print_tensor``/``pt``,
``node_info``/``ni``, ``list_inputs``/``li``, ``list_outputs``/``lo``, ``help``/``h``.
Every handler returns the text to print; bad arguments come back as an error text, never
an exception, so a typo does not end a session.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from stowflow.debug import parsing
from stowflow.debug.filters import FilterRegistry, passing
from stowflow.debug.records import TensorRecord

DEFAULT_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"
SORT_KEYS: dict[str, Callable[[TensorRecord], Any]] = {
    "timestamp": lambda r: (r.start, r.order),
    "dump_size": lambda r: (r.nbytes, r.order),
    "op_type": lambda r: (r.op_type, r.order),
    "tensor_name": lambda r: (r.node_name, r.output_slot),
}
_HEADS = ("t (ms)", "Size (B)", "Op type", "Tensor name")
_MAX_RECURSION_DEPTH = 20
_MAX_LISTED_INDICES = 100


class CommandError(Exception):
    """A user error in a command line (bad flag, unknown tensor...): shown, not raised."""


class CommandParser(argparse.ArgumentParser):
    """argparse that raises CommandError instead of exiting the process."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise CommandError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> Any:  # type: ignore[override]
        raise CommandError(message or "")


@dataclass(frozen=True)
class Command:
    """One analyzer command: its names, parser and handler."""

    name: str
    short: str
    summary: str
    parser: CommandParser
    handler: Callable[[argparse.Namespace], str]


def tokenize(line: str) -> list[str]:
    """Splits a command line like a shell, keeping ``x:0[1:3, 0]`` one token.

    Raises:
        CommandError: for unbalanced quotes.
    """
    try:
        raw = shlex.split(line)
    except ValueError as e:
        raise CommandError(f"Cannot parse command: {e}") from None
    tokens: list[str] = []
    depth = 0
    for token in raw:
        if depth > 0:
            tokens[-1] += " " + token
        else:
            tokens.append(token)
        depth += token.count("[") - token.count("]")
    return tokens


def readable_size(nbytes: int) -> str:
    """``1536`` -> ``1.5k`` (tfdbg's compact size column)."""
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("k", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f}{unit}"
    return str(nbytes)


class DebugAnalyzer:
    """tfdbg's analyzer commands over the records of one run of ``graph``.

    Args:
        graph: the graph that ran (for node info and input/output trees).
        records: the run's records in execution order.
        filters: registered tensor filters (for ``lt -f``).
    """

    def __init__(
        self, graph: Any, records: list[TensorRecord], filters: FilterRegistry | None = None
    ) -> None:
        self.graph = graph
        self.records = records
        self.filters = filters or FilterRegistry()
        self._by_tensor = {r.tensor_name: r for r in records}
        self._by_node: dict[str, list[TensorRecord]] = {}
        for r in records:
            self._by_node.setdefault(r.node_name, []).append(r)
        self._ops: dict[str, Any] | None = None
        self._control_recipients: dict[str, list[Any]] | None = None
        self.commands = self._build_commands()
        self._aliases = {c.short: c for c in self.commands.values()}
        self._aliases.update(self.commands)

    # -- dispatch --------------------------------------------------------------------------
    def command_names(self) -> list[str]:
        """Long and short command names."""
        return sorted(self._aliases)

    def completion_words(self) -> list[str]:
        """Tensor and node names of this run, for tab completion."""
        return [*self._by_tensor, *self._by_node]

    def handles(self, name: str) -> bool:
        """Whether ``name`` is an analyzer command (long or short)."""
        return name in self._aliases

    def run_command(self, line: str) -> str:
        """Runs one command line; returns its output (errors included, as text)."""
        try:
            tokens = tokenize(line)
            if not tokens:
                return ""
            command = self._aliases.get(tokens[0])
            if command is None:
                raise CommandError(f'ERROR: Invalid command prefix "{tokens[0]}"')
            return command.handler(command.parser.parse_args(tokens[1:]))
        except CommandError as e:
            return str(e).rstrip("\n")

    # -- lt ---------------------------------------------------------------------------------
    def list_tensors(self, args: argparse.Namespace) -> str:
        """``lt``: the recorded tensors, filtered and sorted."""
        node_re = _regex(args.node_name_filter)
        op_re = _regex(args.op_type_filter)
        data = self.records
        if args.tensor_filter:
            data = passing(data, self._filter(args.tensor_filter))
        shown = [
            r
            for r in data
            if (node_re is None or node_re.match(r.node_name))
            and (op_re is None or op_re.match(r.op_type))
        ]
        shown.sort(key=SORT_KEYS[args.sort_by], reverse=args.reverse)
        lines = []
        if args.op_type_filter:
            lines.append(f'Op type regex filter: "{args.op_type_filter}"')
        if args.node_name_filter:
            lines.append(f'Node name regex filter: "{args.node_name_filter}"')
        if args.tensor_filter:
            head = f'{len(shown)} dumped tensor(s) passing filter "{args.tensor_filter}":'
        else:
            head = f"{len(shown)} dumped tensor(s):"
        return "\n".join([head, *lines, "", *_tensor_table(shown)])

    def _filter(self, name: str) -> Any:
        try:
            return self.filters.get(name)
        except ValueError as e:
            raise CommandError(f"ERROR: {e}") from None

    # -- pt ---------------------------------------------------------------------------------
    def print_tensor(self, args: argparse.Namespace) -> str:
        """``pt``: a recorded tensor's value (optionally sliced), summary and highlights."""
        try:
            name, slicing = parsing.split_tensor_and_slice(args.tensor_name)
            index = parsing.parse_slice(slicing) if slicing else None
            ranges = parsing.parse_ranges(args.ranges) if args.ranges else None
        except ValueError as e:
            raise CommandError(f"ERROR: {e}") from None
        record = self._record(name)
        if not record.has_value:
            raise CommandError(f'Tensor "{record.tensor_name}" has no value: {record.note}')
        value = np.asarray(record.array())
        if index is not None:
            try:
                value = np.asarray(value[index])
            except (IndexError, TypeError) as e:
                raise CommandError(f"ERROR: Invalid slice {slicing}: {e}") from None
        lines = [
            f'Tensor "{record.tensor_name}{slicing}":',
            f"  dtype: {record.dtype}",
            f"  shape: {value.shape}",
            "",
        ]
        if args.numeric_summary:
            lines += [*_summary(value), ""]
        threshold = sys.maxsize if args.print_all else 1000
        with np.printoptions(threshold=threshold):
            lines.append(repr(value))
        if ranges is not None:
            lines += ["", *_highlights(value, ranges, args.ranges)]
        return "\n".join(lines)

    def _record(self, name: str) -> TensorRecord:
        node, slot = parsing.split_node_and_slot(name)
        record = self._by_tensor.get(f"{node}:{slot}")
        if record is None:
            if node not in self._nodes():
                raise CommandError(f'ERROR: There is no node named "{node}" in the graph')
            raise CommandError(f'Tensor "{node}:{slot}" did not generate any dumps.')
        return record

    # -- ni ---------------------------------------------------------------------------------
    def node_info(self, args: argparse.Namespace) -> str:
        """``ni``: op type, device, inputs, recipients, attributes and dumps of a node."""
        node, _ = parsing.split_node_and_slot(args.node_name)
        op = self._op(node)
        inputs = [(_input_name(t), t.op) for t in op.inputs]
        controls = [(c.name, c) for c in op.control_inputs]
        recipients = self._data_recipients(op)
        ctrl_recipients = [(c.name, c) for c in self._control_recipients_of(op)]
        lines = [f"Node {node}", "", f"  Op: {op.type}", f"  Device: {op.device or DEFAULT_DEVICE}"]
        lines += _neighbors("input", inputs, controls)
        lines += _neighbors("recipient", recipients, ctrl_recipients)
        lines += ["", "  Node attributes:"]
        attr_names = sorted(k for k in op.node_def.attr if not k.startswith("_"))
        lines += [f"    {k}: {_format_attr(op.get_attr(k))}" for k in attr_names] or ["    (none)"]
        dumps = self._by_node.get(node, [])
        lines += ["", f"  {len(dumps)} dumped tensor(s):"]
        lines += [
            f"    Slot {r.output_slot}: {r.dtype} {_shape(r)} {readable_size(r.nbytes)} B, "
            f"computed in {r.elapsed * 1e3:.3f} ms" + (f" ({r.note})" if r.note else "")
            for r in dumps
        ]
        return "\n".join(lines)

    # -- li / lo ----------------------------------------------------------------------------
    def list_inputs(self, args: argparse.Namespace) -> str:
        """``li``: the input tree of a node."""
        return self._tree(args, "Inputs to", self._inputs_of)

    def list_outputs(self, args: argparse.Namespace) -> str:
        """``lo``: the recipient tree of a node."""
        return self._tree(args, "Recipients of", self._outputs_of)

    def _tree(
        self,
        args: argparse.Namespace,
        title: str,
        neighbors: Callable[[Any, bool], list[tuple[str, Any, bool]]],
    ) -> str:
        node, _ = parsing.split_node_and_slot(args.node_name)
        op = self._op(node)
        if args.depth is not None and args.depth < 1:
            raise CommandError("ERROR: --depth must be >= 1")
        limit = (args.depth or _MAX_RECURSION_DEPTH) if args.recursive else 1
        lines = [f'{title} node "{node}" (Depth limit = {limit}{", control" * args.control}):']
        expanded: set[str] = {op.name}
        # Iterative depth-first walk (no recursion limit). A node already expanded is named
        # with a note instead of being expanded again, so diamond-shaped graphs stay linear.
        stack = self._children(op, 1, "", neighbors, args.control)
        while stack:
            name, child, depth, prefix, last, is_ctrl = stack.pop()
            line = f"{prefix}|- ({depth}) {'(Ctrl) ' if is_ctrl else ''}[{child.type}] {name}"
            if depth < limit and child.name in expanded:
                if neighbors(child, args.control):
                    line += " (expanded above)"
            elif depth < limit:
                expanded.add(child.name)
                stack += self._children(
                    child, depth + 1, prefix + ("   " if last else "|  "), neighbors, args.control
                )
            lines.append(line)
        if len(lines) == 1:
            lines.append("  (none)")
        return "\n".join(lines)

    @staticmethod
    def _children(
        op: Any,
        depth: int,
        prefix: str,
        neighbors: Callable[[Any, bool], list[tuple[str, Any, bool]]],
        control: bool,
    ) -> list[tuple[str, Any, int, str, bool, bool]]:
        """Stack entries for ``op``'s neighbours, reversed so the first pops first."""
        items = neighbors(op, control)
        entries = [
            (name, child, depth, prefix, i == len(items) - 1, is_ctrl)
            for i, (name, child, is_ctrl) in enumerate(items)
        ]
        return entries[::-1]

    def _inputs_of(self, op: Any, control: bool) -> list[tuple[str, Any, bool]]:
        items = [(_input_name(t), t.op, False) for t in op.inputs]
        if control:
            items += [(c.name, c, True) for c in op.control_inputs]
        return items

    def _outputs_of(self, op: Any, control: bool) -> list[tuple[str, Any, bool]]:
        items = [(name, o, False) for name, o in self._data_recipients(op)]
        if control:
            items += [(c.name, c, True) for c in self._control_recipients_of(op)]
        return items

    def _data_recipients(self, op: Any) -> list[tuple[str, Any]]:
        seen: dict[str, Any] = {}
        for tensor in op.outputs:
            for consumer in tensor.consumers():
                seen.setdefault(consumer.name, consumer)
        return list(seen.items())

    def _control_recipients_of(self, op: Any) -> list[Any]:
        if self._control_recipients is None:
            table: dict[str, list[Any]] = {}
            for candidate in self._nodes().values():
                for c in candidate.control_inputs:
                    table.setdefault(c.name, []).append(candidate)
            self._control_recipients = table
        return self._control_recipients.get(op.name, [])

    def _nodes(self) -> dict[str, Any]:
        if self._ops is None:
            self._ops = {op.name: op for op in self.graph.get_operations()}
        return self._ops

    def _op(self, node: str) -> Any:
        op = self._nodes().get(node)
        if op is None:
            raise CommandError(f'ERROR: There is no node named "{node}" in the graph')
        return op

    # -- help -------------------------------------------------------------------------------
    def help(self, args: argparse.Namespace) -> str:
        """``help [COMMAND]``."""
        if args.command:
            command = self._aliases.get(args.command)
            if command is None:
                raise CommandError(f'ERROR: There is no command named "{args.command}"')
            return command.parser.format_help().rstrip("\n")
        lines = [f"{c.name} ({c.short}): {c.summary}" for c in self.commands.values()]
        return "\n".join(lines)

    def _build_commands(self) -> dict[str, Command]:
        table: list[tuple[str, str, str, Callable[[argparse.Namespace], str]]] = [
            ("list_tensors", "lt", "List tensors recorded during the run.", self.list_tensors),
            ("print_tensor", "pt", "Print the value of a recorded tensor.", self.print_tensor),
            ("node_info", "ni", "Show information about a node.", self.node_info),
            ("list_inputs", "li", "Show the inputs to a node (as a tree).", self.list_inputs),
            ("list_outputs", "lo", "Show the recipients of a node (as a tree).", self.list_outputs),
            ("help", "h", "Print this help message, or help on one command.", self.help),
        ]
        commands = {}
        for name, short, summary, handler in table:
            parser = CommandParser(prog=name, description=summary, add_help=False)
            _ARGUMENTS[name](parser)
            commands[name] = Command(name, short, summary, parser, handler)
        return commands


def _regex(pattern: str | None) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as e:
        raise CommandError(f"ERROR: Invalid regular expression {pattern!r}: {e}") from None


def _tensor_table(shown: list[TensorRecord]) -> list[str]:
    rows = [
        (f"[{r.start * 1e3:.3f}]", readable_size(r.nbytes), r.op_type, r.tensor_name) for r in shown
    ]
    widths = [len(h) + 1 for h in _HEADS[:3]]
    for row in rows:
        for i in range(3):
            widths[i] = max(widths[i], len(row[i]) + 1)
    template = "".join(f"{{:<{w}}}" for w in widths) + "{}"
    return [template.format(*_HEADS), *(template.format(*row) for row in rows)]


def _shape(record: TensorRecord) -> str:
    return str(record.shape) if record.shape is not None else "(unknown shape)"


def _input_name(tensor: Any) -> str:
    return tensor.op.name if tensor.value_index == 0 else tensor.name


def _neighbors(
    kind: str, data: list[tuple[str, Any]], controls: list[tuple[str, Any]]
) -> list[str]:
    lines = ["", f"  {len(data)} {kind}(s) + {len(controls)} control {kind}(s):"]
    for label, items in ((f"{kind}(s)", data), (f"control {kind}(s)", controls)):
        if items:
            lines.append(f"    {len(items)} {label}:")
            lines += [f"      [{op.type}] {name}" for name, op in items]
    return lines


def _format_attr(value: Any) -> str:
    if isinstance(value, np.ndarray):
        with np.printoptions(threshold=20, edgeitems=3):
            body = np.array2string(value, separator=", ")
        return f"tensor {value.dtype} {tuple(value.shape)} {' '.join(body.split())}"
    if isinstance(value, bytes):
        return repr(value.decode("utf-8", "replace"))
    if hasattr(value, "name") and type(value).__name__ == "DType":
        return str(value.name)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_format_attr(v) for v in value) + "]"
    text = str(value)
    return " ".join(text.split())[:200]


def _summary(value: np.ndarray) -> list[str]:
    if value.dtype.kind not in "biuf" or value.size == 0:
        return [f"  Numeric summary: not available for {value.dtype} of size {value.size}"]
    data = value.astype(np.float64)
    finite = data[np.isfinite(data)]
    counts = {
        "size": value.size,
        "NaN": int(np.count_nonzero(np.isnan(data))),
        "-inf": int(np.count_nonzero(data == -np.inf)),
        "+inf": int(np.count_nonzero(data == np.inf)),
    }
    lines = ["  Numeric summary:", "    " + "  ".join(f"{k}: {v}" for k, v in counts.items())]
    if finite.size:
        lines.append(
            f"    min: {finite.min():.6g}  max: {finite.max():.6g}  "
            f"mean: {finite.mean():.6g}  std: {finite.std():.6g}"
        )
    return lines


def _highlights(value: np.ndarray, ranges: list[tuple[float, float]], text: str) -> list[str]:
    if value.dtype.kind not in "biuf":
        return [f"Highlighted({text}): not applicable to {value.dtype}"]
    data = value.astype(np.float64)
    mask = np.zeros(data.shape, dtype=bool)
    for low, high in ranges:
        mask |= (data >= low) & (data <= high)
    count = int(np.count_nonzero(mask))
    share = 100.0 * count / data.size if data.size else 0.0
    lines = [f"Highlighted({text}): {count} of {data.size} element(s) ({share:.2f}%)"]
    indices = np.argwhere(mask)[:_MAX_LISTED_INDICES]
    lines += [f"  {tuple(int(i) for i in idx)}: {value[tuple(idx)].item()!r}" for idx in indices]
    if count > _MAX_LISTED_INDICES:
        lines.append(f"  ... ({count - _MAX_LISTED_INDICES} more)")
    return lines


def _lt_args(p: CommandParser) -> None:
    p.add_argument("-n", "--node_name_filter", default="", help="regex matched to node names")
    p.add_argument("-t", "--op_type_filter", default="", help="regex matched to op types")
    p.add_argument("-f", "--tensor_filter", default="", help="name of a registered filter")
    p.add_argument("-s", "--sort_by", default="timestamp", choices=sorted(SORT_KEYS))
    p.add_argument("-r", "--reverse", action="store_true", help="sort in descending order")


def _pt_args(p: CommandParser) -> None:
    p.add_argument("tensor_name", help="tensor (node:slot, or node) with optional [slice]")
    p.add_argument("-a", "--all", dest="print_all", action="store_true", help="no elision")
    p.add_argument("-r", "--ranges", default="", help="highlight ranges: [lo, hi] or [[..],..]")
    p.add_argument("-s", "--numeric_summary", action="store_true", help="NaN/Inf counts, stats")


def _ni_args(p: CommandParser) -> None:
    p.add_argument("node_name", help="node (or tensor) name")
    p.add_argument("-a", "--attributes", action="store_true", help="(attributes always shown)")
    p.add_argument("-d", "--dumps", action="store_true", help="(dumps always shown)")


def _tree_args(p: CommandParser) -> None:
    p.add_argument("node_name", help="node (or tensor) name")
    p.add_argument("-r", "--recursive", action="store_true", help="walk the tree recursively")
    p.add_argument("-d", "--depth", type=int, default=None, help="depth limit with -r (20)")
    p.add_argument("-c", "--control", action="store_true", help="include control edges")


def _help_args(p: CommandParser) -> None:
    p.add_argument("command", nargs="?", default=None)


_ARGUMENTS: dict[str, Callable[[CommandParser], None]] = {
    "list_tensors": _lt_args,
    "print_tensor": _pt_args,
    "node_info": _ni_args,
    "list_inputs": _tree_args,
    "list_outputs": _tree_args,
    "help": _help_args,
}
