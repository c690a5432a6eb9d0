"""Makes tf1_api.json: TF1 API names (for docs/tf1_api.md) and results of missing-API calls.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/fidelity/make_tf1_api.py

Records the public names of ``tf.compat.v1`` and its ``train``, ``io``, ``nn``,
``saved_model`` and ``graph_util`` modules (scripts/tf1_api_coverage.py compares them with
stowflow), and what a few TF1 calls persistence code uses build and compute
(tests/graph/test_tf1_api.py replays them).
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()
tf1.disable_v2_tensorshape()

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tf1_api.json")
MODULES = ["", "train", "io", "nn", "saved_model", "graph_util"]


def names() -> dict[str, list[str]]:
    out = {}
    for module in MODULES:
        target = tf1
        for part in filter(None, module.split(".")):
            target = getattr(target, part)
        out[module or "tf"] = sorted(n for n in dir(target) if not n.startswith("_"))
    return out


# (id, function path, positional args as JSON values, kwargs); placeholders are not used:
# every input is a constant so results can be computed.
CALLS: list[tuple[str, str, list[Any], dict[str, Any]]] = [
    ("pad_last", "constant", [[1, 2]], {"shape": [2, 3]}),
    ("pad_scalar", "constant", [7.5], {"shape": [2]}),
    ("pad_too_many", "constant", [[1, 2, 3, 4, 5, 6, 7]], {"shape": [2, 3]}),
    ("pad_exact", "constant", [[[1, 2, 3], [4, 5, 6]]], {"shape": [3, 2]}),
    ("to_int32", "to_int32", [[1.7, -2.5]], {}),
    ("to_int64", "to_int64", [[1.7, -2.5]], {}),
    ("to_float", "to_float", [[1, 2]], {}),
    ("to_double", "to_double", [[1, 2]], {}),
    ("round", "round", [[0.5, 1.5, 2.5, -0.5]], {}),
    ("saturate_u8", "saturate_cast", [[300.0, -5.0, 7.9]], {"dtype": "uint8"}),
    ("saturate_i8", "saturate_cast", [[1000, -1000, 5]], {"dtype": "int8"}),
    ("softplus", "nn.softplus", [[0.0, 1.0]], {}),
    ("where1", "where", [[[True, False], [False, True]]], {}),
    ("where_xy_missing", "where", [[True, False]], {"x": [1, 2]}),
]
GRAPH_ONLY = {"truncatemod": ("truncatemod", [[7, -7], [3, 3]])}


def run_call(path: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    g = tf1.Graph()
    with g.as_default():
        fn: Any = tf1
        for part in path.split("."):
            fn = getattr(fn, part)
        if "dtype" in kwargs:
            kwargs = {**kwargs, "dtype": tf.as_dtype(kwargs["dtype"])}
        try:
            out = fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - recording TF's error is the point
            return {"error": [type(e).__name__, str(e)]}
        with tf1.Session(graph=g) as sess:
            value = np.asarray(sess.run(out))
        return {
            "name": out.name,
            "shape": str(out.shape),
            "dtype": out.dtype.name,
            "value": value.tolist(),
            "ops": sorted(op.type for op in g.get_operations()),
        }


def graph_only() -> dict[str, Any]:
    out = {}
    for key, (path, args) in GRAPH_ONLY.items():
        g = tf1.Graph()
        with g.as_default():
            t = getattr(tf1, path)(*args)
            out[key] = {"name": t.name, "type": t.op.type, "shape": str(t.shape)}
    return out


def write_graph() -> dict[str, Any]:
    g = tf1.Graph()
    with g.as_default():
        tf1.constant(1.0, name="c")
    with tempfile.TemporaryDirectory() as tmp:
        logdir = os.path.join(tmp, "new", "dir")
        text = tf1.io.write_graph(g, logdir, "g.pbtxt")
        binary = tf1.train.write_graph(g.as_graph_def(), logdir, "g.pb", as_text=False)
        parsed = tf1.GraphDef()
        with open(binary, "rb") as f:
            parsed.ParseFromString(f.read())
        with open(text, encoding="utf-8") as f:
            head = f.read().splitlines()[:3]
        return {
            "paths": [os.path.relpath(text, tmp), os.path.relpath(binary, tmp)],
            "text_head": head,
            "nodes": [n.name for n in parsed.node],
        }


def main() -> None:
    payload = {
        "names": names(),
        "calls": [
            {"id": key, "fn": path, "args": args, "kwargs": kwargs, **run_call(path, args, kwargs)}
            for key, path, args, kwargs in CALLS
        ],
        "graph_only": graph_only(),
        "write_graph": write_graph(),
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=0)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
