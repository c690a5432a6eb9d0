"""Which tensors a debug run records: ``add_debug_tensor_watch``/``watch_graph`` on run
options, a wrapper's ``watch_fn``, and the ``run`` command's regex filters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from stowflow.debug.records import WatchPredicate


@dataclass
class DebugTensorWatch:
    """One watched tensor (TF's ``DebugTensorWatch`` message, as a Python object)."""

    node_name: str
    output_slot: int = 0
    debug_ops: list[str] = field(default_factory=lambda: ["DebugIdentity"])
    debug_urls: list[str] = field(default_factory=list)
    tolerate_debug_op_creation_failures: bool = False


@dataclass
class DebugOptions:
    """``RunOptions.debug_options``: the watches of one run."""

    debug_tensor_watch_opts: list[DebugTensorWatch] = field(default_factory=list)
    global_step: int = -1


@dataclass
class WatchOptions:
    """What a ``watch_fn`` returns (tfdbg's ``framework.WatchOptions``); None allows all."""

    debug_ops: Any = None
    node_name_regex_allowlist: str | None = None
    op_type_regex_allowlist: str | None = None
    tensor_dtype_regex_allowlist: str | None = None
    tolerate_debug_op_creation_failures: bool = False


def _debug_options(run_options: Any) -> DebugOptions:
    if run_options is None:
        raise ValueError("run_options must be a RunOptions object, got None")
    options = getattr(run_options, "debug_options", None)
    if not isinstance(options, DebugOptions):
        options = DebugOptions()
        run_options.debug_options = options
    return options


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def add_debug_tensor_watch(
    run_options: Any,
    node_name: str,
    output_slot: int = 0,
    debug_ops: Any = "DebugIdentity",
    debug_urls: Any = None,
    tolerate_debug_op_creation_failures: bool = False,
    global_step: int = -1,
) -> None:
    """Adds a watch on ``node_name:output_slot`` to ``run_options`` (tfdbg's signature).

    A debug wrapper session run with these options records only the watched tensors and
    also dumps them to each ``file://`` URL in ``debug_urls``.

    Raises:
        ValueError: if ``run_options`` is None or ``output_slot`` is negative.
    """
    if output_slot < 0:
        raise ValueError(f"output_slot must be >= 0, got {output_slot}")
    options = _debug_options(run_options)
    options.global_step = global_step
    options.debug_tensor_watch_opts.append(
        DebugTensorWatch(
            node_name,
            output_slot,
            _as_list(debug_ops),
            _as_list(debug_urls),
            tolerate_debug_op_creation_failures,
        )
    )


def watch_graph(
    run_options: Any,
    graph: Any,
    debug_ops: Any = "DebugIdentity",
    debug_urls: Any = None,
    node_name_regex_allowlist: str | None = None,
    op_type_regex_allowlist: str | None = None,
    tensor_dtype_regex_allowlist: str | None = None,
    tolerate_debug_op_creation_failures: bool = False,
    global_step: int = -1,
    reset_disk_byte_usage: bool = False,
) -> None:
    """Watches every output of every node of ``graph`` that the allowlists admit."""
    del reset_disk_byte_usage
    admit = predicate(
        WatchOptions(
            None, node_name_regex_allowlist, op_type_regex_allowlist, tensor_dtype_regex_allowlist
        )
    )
    for op in graph.get_operations():
        for slot in range(len(op.outputs)):
            if admit is None or admit(op, slot):
                add_debug_tensor_watch(
                    run_options, op.name, slot, debug_ops, debug_urls,
                    tolerate_debug_op_creation_failures, global_step,
                )  # fmt: skip


def predicate(options: WatchOptions | None) -> WatchPredicate | None:
    """A ``(op, slot) -> bool`` from regex allowlists (None: record everything).

    Raises:
        ValueError: for an invalid regular expression.
    """
    if options is None:
        return None
    node_re, op_re, dtype_re = (
        _compile(p)
        for p in (
            options.node_name_regex_allowlist,
            options.op_type_regex_allowlist,
            options.tensor_dtype_regex_allowlist,
        )
    )
    if node_re is None and op_re is None and dtype_re is None:
        return None

    def admit(op: Any, slot: int) -> bool:
        if node_re is not None and not node_re.match(op.name):
            return False
        if op_re is not None and not op_re.match(op.type):
            return False
        if dtype_re is not None:
            return bool(dtype_re.match(op.outputs[slot].dtype.base_dtype.name))
        return True

    return admit


def _compile(pattern: str | None) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ValueError(f"Invalid regular expression {pattern!r}: {e}") from None


def from_run_options(options: Any) -> tuple[WatchPredicate | None, list[str]]:
    """The watch predicate and ``file://`` dump directories set on ``options`` by
    :func:`add_debug_tensor_watch` (``(None, [])`` when there are none)."""
    debug = getattr(options, "debug_options", None)
    if not isinstance(debug, DebugOptions) or not debug.debug_tensor_watch_opts:
        return None, []
    watched = {(w.node_name, w.output_slot) for w in debug.debug_tensor_watch_opts}
    dirs: list[str] = []
    for w in debug.debug_tensor_watch_opts:
        for url in w.debug_urls:
            if url.startswith("file://") and url[len("file://") :] not in dirs:
                dirs.append(url[len("file://") :])
    return (lambda op, slot: (op.name, slot) in watched), dirs


def both(a: WatchPredicate | None, b: WatchPredicate | None) -> WatchPredicate | None:
    """The conjunction of two optional predicates."""
    if a is None or b is None:
        return a or b
    return lambda op, slot: a(op, slot) and b(op, slot)
