"""Makes import_contract.json: what TF's graph import does, for stowflow to replay.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/fidelity/make_import_contract.py

Each case is a list of steps run in one fresh TF1 graph; a step imports a TF-made (or
TF-made then deliberately broken) GraphDef or MetaGraphDef with some arguments, and records
the returned element names or the error class and message; at the end of a case the graph's
ops (name, type, inputs, device, output shapes as TF1 prints them) and, where a case asks,
values computed in a Session are recorded. Graphs travel as base64 serialized protos.
tests/graph/test_import_contract.py replays the steps through stowflow.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from typing import Any

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
OUT = os.path.join(HERE, "import_contract.json")
SAVEDMODEL = "tests/golden/savedmodels/tf1_predict"


def b64(proto: Any) -> str:
    return base64.b64encode(proto.SerializeToString()).decode()


def small_graph() -> Any:
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [None, 1], name="x")
        w = tf1.constant([[2.0]], name="w")
        y = tf1.matmul(x, w, name="y")
        tf1.identity(y, name="z")
        with tf1.device("/device:CPU:0"):
            tf1.add(y, 1.0, name="dev")
    return g.as_graph_def()


def shapes_graph() -> Any:
    g = tf1.Graph()
    with g.as_default():
        p = tf1.placeholder(tf.float32, [None, 3], name="p")
        t = tf1.transpose(p, name="t")
        r = tf1.reshape(t, [-1], name="r")
        s = tf1.reduce_sum(p, axis=1, keepdims=True, name="s")
        c = tf1.concat([p, p], 1, name="c")
        tf1.nn.softmax(tf1.matmul(c, tf1.ones([6, 2]), name="m"), name="sm")
        tf1.stack([s, s], name="st")
        tf1.shape(r, name="shape_of_r")
    return g.as_graph_def(add_shapes=True)


def mutated(base: Any, edit: Any) -> Any:
    out = tf1.GraphDef()
    out.CopyFrom(base)
    edit(out)
    return out


def node(gd: Any, name: str) -> Any:
    return next(n for n in gd.node if n.name == name)


def variables_meta(tmp: str) -> tuple[Any, dict[str, str]]:
    """A MetaGraphDef with two variables and its checkpoint files (base64)."""
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, [None, 2], name="x")
        w = tf1.Variable([[1.0], [2.0]], name="w")
        b = tf1.Variable([0.5], name="b")
        with tf1.device("/device:CPU:0"):
            tf1.add(tf1.matmul(x, w), b, name="y")
        saver = tf1.train.Saver()
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(tmp, "model"), write_meta_graph=False)
        meta = saver.export_meta_graph()
    files = {}
    for name in os.listdir(tmp):
        if name.startswith("model."):
            with open(os.path.join(tmp, name), "rb") as f:
                files[name] = base64.b64encode(f.read()).decode()
    assert prefix.endswith("model")
    return meta, files


def describe(graph: Any) -> list[list[Any]]:
    return [
        [
            op.name,
            op.type,
            [t.name for t in op.inputs],
            op.device,
            [str(t.shape) for t in op.outputs],
        ]
        for op in graph.get_operations()
    ]


def error(e: BaseException) -> list[str]:
    return [type(e).__name__, str(e)]


def build_value(graph: Any, spec: Any) -> Any:
    """input_map values: a tensor name of the target graph, or {"const": ..., "dtype": ...}."""
    if isinstance(spec, str):
        return graph.get_tensor_by_name(spec)
    if "python" in spec:
        return spec["python"]
    return tf1.constant(
        np.array(spec["const"], dtype=spec["dtype"]), name=spec.get("name", "Const")
    )


def run_case(case: dict[str, Any], graphs: dict[str, Any], tmp: str) -> dict[str, Any]:
    g = tf1.Graph()
    results = []
    with g.as_default():
        for step in case["steps"]:
            kind = step["kind"]
            if kind == "const":
                build_value(g, step["value"])
                results.append(None)
                continue
            input_map = {k: build_value(g, v) for k, v in step.get("input_map", {}).items()}
            try:
                if kind == "import":
                    out = tf1.import_graph_def(
                        graphs[step["graph"]],
                        input_map=input_map or None,
                        return_elements=step.get("return_elements"),
                        **({"name": step["name"]} if "name" in step else {}),
                    )
                    results.append({"returned": None if out is None else [e.name for e in out]})
                elif kind == "meta":
                    fresh = tf1.MetaGraphDef.FromString(graphs[step["graph"]].SerializeToString())
                    saver = tf1.train.import_meta_graph(
                        fresh,
                        **{k: v for k, v in step.get("kwargs", {}).items()},
                        **({"input_map": input_map} if input_map else {}),
                    )
                    results.append(
                        {"saver": None if saver is None else saver.saver_def.restore_op_name}
                    )
                    if step.get("restore"):
                        with tf1.Session(graph=g) as sess:
                            saver.restore(sess, os.path.join(tmp, "model"))
                            fetch = g.get_tensor_by_name(step["restore"]["fetch"])
                            feeds = {
                                g.get_tensor_by_name(k): np.array(v, np.float32)
                                for k, v in step["restore"].get("feed", {}).items()
                            }
                            results[-1]["value"] = sess.run(fetch, feeds).tolist()
                elif kind == "savedmodel":
                    with tf1.Session(graph=g) as sess:
                        meta = tf1.saved_model.loader.load(
                            sess,
                            ["serve"],
                            os.path.join(ROOT, SAVEDMODEL),
                            import_scope=step["import_scope"],
                        )
                        sig = meta.signature_def["serving_default"]
                        scope = step["import_scope"] + "/"
                        x = g.get_tensor_by_name(scope + sig.inputs["x"].name)
                        y = g.get_tensor_by_name(scope + sig.outputs["y"].name)
                        value = sess.run(y, {x: np.array(step["feed"], np.float32)})
                        results.append({"value": value.tolist()})
            except Exception as e:  # noqa: BLE001 - recording TF's error is the point
                results.append({"error": error(e)})
        values = {}
        if case.get("run"):
            with tf1.Session(graph=g) as sess:
                for fetch, feed in case["run"]:
                    feeds = {
                        g.get_tensor_by_name(k): np.array(v, np.float32) for k, v in feed.items()
                    }
                    values[fetch] = sess.run(g.get_tensor_by_name(fetch), feeds).tolist()
    return {"results": results, "ops": describe(g), "values": values}


def main() -> None:
    tmp = tempfile.mkdtemp()
    try:
        small = small_graph()
        shapes = shapes_graph()
        meta, ckpt = variables_meta(tmp)
        loop_g = tf1.Graph()
        with loop_g.as_default():
            i = tf1.constant(0, name="i0")
            tf1.while_loop(lambda i: i < 5, lambda i: i + 1, [i], name="loop")
        graphs = {
            "small": small,
            "shapes": shapes,
            "loop": loop_g.as_graph_def(),
            "dup": mutated(small, lambda d: d.node.add().CopyFrom(node(d, "x"))),
            "unknown_input": mutated(small, lambda d: node(d, "y").input.__setitem__(0, "q")),
            "unknown_control": mutated(small, lambda d: node(d, "z").input.append("^q")),
            "bad_output": mutated(small, lambda d: node(d, "y").input.__setitem__(0, "x:4")),
            "missing_attr": mutated(small, lambda d: node(d, "y").attr.pop("T")),
            "attr_kind": mutated(small, lambda d: setattr(node(d, "y").attr["T"], "i", 3)),
            "not_allowed": mutated(small, lambda d: setattr(node(d, "y").attr["T"], "type", 7)),
            "wrong_dtype": mutated(small, lambda d: setattr(node(d, "y").attr["T"], "type", 3)),
            "extra_input": mutated(small, lambda d: node(d, "y").input.append("w")),
            "cycle": mutated(small, lambda d: node(d, "w").input.append("z")),
            "bad_name": mutated(small, lambda d: setattr(node(d, "w"), "name", "bad name!")),
            "bad_shape": mutated(
                small,
                lambda d: setattr(node(d, "w").attr["value"].tensor.tensor_shape.dim[0], "size", 4),
            ),
            "control_first": mutated(small, lambda d: node(d, "y").input.insert(0, "^w")),
        }
        meta_b64 = b64(meta)
        cases: list[dict[str, Any]] = [
            {
                "id": "uniquify_empty_name",
                "steps": [
                    {"kind": "import", "graph": "small", "name": ""},
                    {"kind": "import", "graph": "small", "name": ""},
                    {"kind": "import", "graph": "small", "name": ""},
                ],
            },
            {
                "id": "uniquify_default_prefix",
                "steps": [
                    {"kind": "import", "graph": "small"},
                    {"kind": "import", "graph": "small"},
                    {"kind": "import", "graph": "small", "name": "import"},
                    {"kind": "import", "graph": "small", "name": "import/"},
                ],
            },
            {
                "id": "uniquify_against_existing",
                "steps": [
                    {"kind": "const", "value": {"const": 1.0, "dtype": "float32", "name": "x_1"}},
                    {
                        "kind": "const",
                        "value": {"const": 1.0, "dtype": "float32", "name": "z/inner"},
                    },
                    {
                        "kind": "import",
                        "graph": "small",
                        "name": "",
                        "return_elements": ["z:0", "x"],
                    },
                    {
                        "kind": "import",
                        "graph": "small",
                        "name": "",
                        "return_elements": ["z:0", "x"],
                    },
                ],
            },
            {
                "id": "input_map_used",
                "steps": [
                    {
                        "kind": "const",
                        "value": {"const": [[3.0], [4.0]], "dtype": "float32", "name": "c"},
                    },
                    {
                        "kind": "import",
                        "graph": "small",
                        "input_map": {"x:0": "c:0"},
                        "return_elements": ["z:0"],
                    },
                    {"kind": "import", "graph": "small", "input_map": {"x": "c:0"}, "name": "b"},
                ],
                "run": [["import/z:0", {}], ["b/z:0", {}]],
            },
            {
                "id": "input_map_python_value",
                "steps": [
                    {"kind": "import", "graph": "small", "input_map": {"x:0": {"python": [[5.0]]}}},
                ],
                "run": [["import/z:0", {}]],
            },
            {
                "id": "input_map_python_value_empty_name",
                "steps": [
                    {
                        "kind": "import",
                        "graph": "small",
                        "name": "",
                        "input_map": {"x:0": {"python": [[5.0]]}},
                    },
                ],
            },
            {
                "id": "input_map_missing",
                "steps": [
                    {"kind": "const", "value": {"const": [[3.0]], "dtype": "float32", "name": "c"}},
                    {"kind": "import", "graph": "small", "input_map": {"nope:0": "c:0"}},
                    {"kind": "import", "graph": "small", "input_map": {"x:3": "c:0"}},
                    {"kind": "import", "graph": "small", "input_map": {"z:0": "c:0"}},
                ],
            },
            {
                "id": "input_map_dtype",
                "steps": [
                    {"kind": "const", "value": {"const": [[3]], "dtype": "int32", "name": "ci"}},
                    {"kind": "import", "graph": "small", "input_map": {"x:0": "ci:0"}},
                ],
            },
            {
                "id": "input_map_shape",
                "steps": [
                    {
                        "kind": "const",
                        "value": {"const": [[3.0, 4.0]], "dtype": "float32", "name": "c3"},
                    },
                    {"kind": "import", "graph": "small", "input_map": {"x:0": "c3:0"}},
                ],
            },
            {
                "id": "return_elements_errors",
                "steps": [
                    {"kind": "import", "graph": "small", "return_elements": ["z:0", "y", "nope:0"]},
                    {"kind": "import", "graph": "small", "return_elements": ["z:5"]},
                    {"kind": "import", "graph": "small", "return_elements": ["nope"]},
                    {"kind": "import", "graph": "small", "return_elements": ["y", "w:0", "dev"]},
                ],
            },
            {
                "id": "static_shapes",
                "steps": [
                    {"kind": "import", "graph": "shapes", "name": ""},
                ],
            },
            {
                "id": "while_loop_back_edge",
                "steps": [
                    {"kind": "import", "graph": "loop"},
                ],
                "run": [["import/loop/Exit:0", {}]],
            },
            *[
                {
                    "id": f"invalid_{key}",
                    "steps": [
                        {"kind": "import", "graph": key},
                        {"kind": "import", "graph": "small", "name": "after"},
                    ],
                }
                for key in (
                    "dup",
                    "unknown_input",
                    "unknown_control",
                    "bad_output",
                    "missing_attr",
                    "attr_kind",
                    "not_allowed",
                    "wrong_dtype",
                    "extra_input",
                    "cycle",
                    "bad_name",
                    "bad_shape",
                    "control_first",
                )
            ],
            {
                "id": "meta_input_map_scope",
                "steps": [
                    {
                        "kind": "const",
                        "value": {
                            "const": [[1.0, 1.0], [2.0, 0.0]],
                            "dtype": "float32",
                            "name": "c",
                        },
                    },
                    {
                        "kind": "meta",
                        "graph": "meta",
                        "kwargs": {"import_scope": "imp", "clear_devices": True},
                        "input_map": {"x:0": "c:0"},
                        "restore": {"fetch": "imp/y:0"},
                    },
                ],
            },
            {
                "id": "meta_plain_devices",
                "steps": [
                    {
                        "kind": "meta",
                        "graph": "meta",
                        "restore": {"fetch": "y:0", "feed": {"x:0": [[1.0, 2.0]]}},
                    },
                ],
            },
            {
                "id": "meta_return_elements",
                "steps": [
                    {"kind": "meta", "graph": "meta", "kwargs": {"return_elements": ["y:0"]}},
                    {"kind": "meta", "graph": "meta", "kwargs": {"return_elements": ["nope:0"]}},
                ],
            },
            {
                "id": "meta_bad_kwarg",
                "steps": [
                    {"kind": "meta", "graph": "meta", "kwargs": {"bogus": 1}},
                ],
            },
            {
                "id": "saved_model_import_scope",
                "steps": [
                    {"kind": "savedmodel", "import_scope": "sm", "feed": [[1.0, 2.0, 3.0]]},
                ],
            },
        ]
        protos = {**graphs, "meta": meta}
        report = [{**case, **run_case(case, protos, tmp)} for case in cases]
        payload = {
            "graphs": {k: b64(v) for k, v in graphs.items()},
            "meta": meta_b64,
            "checkpoint": ckpt,
            "savedmodel": SAVEDMODEL,
            "cases": report,
        }
        with open(OUT, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"wrote {OUT}: {len(report)} cases")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
