"""Prints, per real-model family, the op types stowflow has no kernel for, and where they are.

Usage (dev venv, from the repository root):

    .venv/bin/python tests/models/missing_ops.py              # cached families only
    .venv/bin/python tests/models/missing_ops.py --generate   # generate missing ones (TF oracle)
    .venv/bin/python tests/models/missing_ops.py --family resnet50 --json

An op type counts as runnable when ``stowflow.graph.coverage.runnable`` says so (a pure,
stateful or functional kernel, a function call, or v1 control flow run by the executor). Only ops the model actually runs are considered: the nodes
that signature outputs (and, for SavedModels, the restore and init ops) depend on, plus the
whole body of every function those nodes reference through a ``func`` attr, recursively.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures import FAMILIES, FixtureUnavailable, ModelFixture, get_fixture  # noqa: E402

from stowflow.graph import coverage, op_defs  # noqa: E402
from stowflow.proto import graph_pb2  # noqa: E402
from stowflow.saved_model import loader  # noqa: E402

#: op type -> sorted places it occurs ("signature serving_default", "function f", ...)
Usage = dict[str, list[str]]


def runnable_op_types() -> set[str]:
    """Every op type stowflow can execute today (``stowflow.graph.coverage.runnable``)."""
    return {t for t in op_defs.all_op_types() if coverage.runnable(t)}


def _node_name(ref: str) -> str:
    return ref.lstrip("^").split(":")[0]


def op_usage(graph_def: Any, roots: dict[str, list[str]]) -> dict[str, set[str]]:
    """op type -> labels, for the nodes each root group (label -> node names) needs, with
    the function bodies they call (``stowflow.graph.coverage.used_nodes``)."""
    usage: dict[str, set[str]] = defaultdict(set)
    for label, names in roots.items():
        for _, node in coverage.used_nodes(graph_def, names):
            usage[node.op].add(label)
    return usage


def saved_model_roots(meta_graph: Any) -> dict[str, list[str]]:
    """Root node names per label: each signature's outputs; ``load`` = restore + init ops."""
    roots = {
        f"signature {key}": [_node_name(t.name) for t in sig.outputs.values()]
        for key, sig in meta_graph.signature_def.items()
        if key != "__saved_model_init_op"
    }
    load = (
        [_node_name(meta_graph.saver_def.restore_op_name)]
        if meta_graph.HasField("saver_def")
        else []
    )
    init = meta_graph.signature_def.get("__saved_model_init_op")
    if init is not None:
        load += [_node_name(t.name) for t in init.outputs.values()]
    for key in ("saved_model_main_op", "legacy_init_op", "table_initializer"):
        if key in meta_graph.collection_def:
            load += [_node_name(n) for n in meta_graph.collection_def[key].node_list.value]
    roots["load"] = load
    return roots


def _missing(usage: dict[str, set[str]], runnable: set[str]) -> Usage:
    return {op: sorted(places) for op, places in sorted(usage.items()) if op not in runnable}


def _summarise(places: list[str], limit: int = 3) -> str:
    more = f", +{len(places) - limit} more" if len(places) > limit else ""
    return ", ".join(places[:limit]) + more


def missing_ops(fixture: ModelFixture) -> dict[str, Usage]:
    """Form ("saved_model" / "frozen") -> missing op type -> places, for one fixture."""
    runnable = runnable_op_types()
    saved = loader.parse_saved_model(str(fixture.saved_model))
    meta = saved.meta_graphs[0]
    result = {"saved_model": _missing(op_usage(meta.graph_def, saved_model_roots(meta)), runnable)}
    frozen = fixture.manifest.get("frozen")
    if frozen:
        graph_def = graph_pb2.GraphDef()
        graph_def.ParseFromString(fixture.frozen_graph.read_bytes())
        roots = {"frozen outputs": [_node_name(n) for n in frozen["outputs"].values()]}
        roots["frozen init"] = list(frozen.get("init_ops", []))
        result["frozen"] = _missing(op_usage(graph_def, roots), runnable)
    return result


def describe(missing: dict[str, Usage]) -> str:
    """One line per form: ``form: Op (where), ...`` or ``form: nothing missing``."""
    lines = []
    for form, usage in missing.items():
        if not usage:
            lines.append(f"  {form}: nothing missing")
            continue
        items = [f"{op} ({_summarise(places)})" for op, places in usage.items()]
        lines.append(f"  {form}: {len(usage)} op types without kernels: " + "; ".join(items))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", action="append", choices=sorted(FAMILIES))
    parser.add_argument("--generate", action="store_true", help="build missing fixtures (TF)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {}
    needed: dict[str, set[str]] = defaultdict(set)
    for family in args.family or list(FAMILIES):
        try:
            fixture = get_fixture(family, generate=args.generate)
        except FixtureUnavailable as e:
            report[family] = {"unavailable": str(e).splitlines()[0]}
            continue
        missing = missing_ops(fixture)
        report[family] = missing
        for usage in missing.values():
            for op in usage:
                needed[op].add(family)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    for family, missing in report.items():
        print(f"{family}:")
        if "unavailable" in missing:
            print(f"  unavailable: {missing['unavailable']}")
        else:
            print(describe(missing))
    print(f"\nall families: {len(needed)} op types without kernels")
    for op, families in sorted(needed.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"  {op}: {', '.join(sorted(families))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
