"""Makes data_goldens.json: TF's graph and elements for each pipeline of tests/data/pipelines.py.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/data/make_data_goldens.py

For each pipeline, in a fresh TF1 graph: the dataset, its iterator (one-shot or
initializable) and ``get_next``; records every node (name, op, inputs, attrs as base64
``AttrValue`` bytes with function names normalised, Const values left out), the op types of
each library function, and the elements until ``OutOfRangeError`` (flattened in tf.nest order,
arrays encoded as in the kernel goldens) plus the error message's text.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "kernels"))
sys.path.insert(0, str(HERE.parents[1] / "data"))

from make_kernel_goldens import encode_array  # noqa: E402
from pipelines import ERROR_CASES, PIPELINES, make_files  # noqa: E402

v1 = tf.compat.v1
v1.disable_eager_execution()
OUT = HERE / "data_goldens.json"
MAX_ELEMENTS = 100


def normalize_function_name(name: str) -> str:
    """Drops the parts of a function name that are process counters or hashes."""
    name = re.sub(r"^(__inference_.*)_\d+$", r"\1_N", name)
    return re.sub(r"^_make_dataset_[A-Za-z0-9_-]+$", "_make_dataset_H", name)


def encode_attr(value: Any) -> str:
    value = type(value).FromString(value.SerializeToString())
    if value.HasField("func"):
        value.func.name = normalize_function_name(value.func.name)
    return base64.b64encode(value.SerializeToString(deterministic=True)).decode()


def dump_graph(graph_def: Any) -> dict[str, Any]:
    nodes = []
    for node in graph_def.node:
        attrs = {k: encode_attr(v) for k, v in sorted(node.attr.items()) if k != "value"}
        nodes.append({"name": node.name, "op": node.op, "inputs": list(node.input), "attrs": attrs})
    functions = {
        normalize_function_name(f.signature.name): sorted(
            [n.name, n.op, [normalize_function_name(i) for i in n.input]] for n in f.node_def
        )
        for f in graph_def.library.function
    }
    return {"nodes": nodes, "functions": functions}


def run(name: str, files: Path) -> dict[str, Any]:
    build, kind, _ordered = PIPELINES[name]
    with tf.Graph().as_default() as graph:
        ds = build(v1, np, files)
        it = (
            v1.data.make_one_shot_iterator(ds)
            if kind == "one_shot"
            else v1.data.make_initializable_iterator(ds)
        )
        nxt = it.get_next()
        elements = []
        with v1.Session() as sess:
            if kind != "one_shot":
                sess.run(it.initializer)
            try:
                for _ in range(MAX_ELEMENTS):
                    value = sess.run(nxt)
                    elements.append([encode_array(v) for v in tf.nest.flatten(value)])
                end = None
            except tf.errors.OutOfRangeError as e:
                end = e.message.splitlines()[-2]
        return {"graph": dump_graph(graph.as_graph_def()), "elements": elements, "end": end}


def outcome(case: Any) -> dict[str, Any]:
    """The result (floats) or the error class and the message's last meaningful line."""
    with tf.Graph().as_default():
        try:
            result = case(v1, np)
        except (tf.errors.OpError, ValueError) as e:
            message = e.message if isinstance(e, tf.errors.OpError) else str(e)
            lines = [ln for ln in message.splitlines() if ln and not ln.startswith("\t")]
            return {"error": type(e).__name__, "message": lines[-1]}
    return {"result": [float(v) for v in result]} if isinstance(result, list) else {"result": None}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp)
        make_files(v1, files)
        goldens = {name: run(name, files) for name in PIPELINES}
    goldens["errors"] = {name: outcome(case) for name, case in ERROR_CASES.items()}
    OUT.write_text(json.dumps(goldens, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(goldens)} pipelines to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
