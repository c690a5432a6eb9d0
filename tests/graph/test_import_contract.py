"""Graph import keeps TF's contract: replays tests/golden/fidelity/import_contract.json.

The golden file (made by ``make_import_contract.py`` with TensorFlow) records, for each case,
what TF's ``import_graph_def`` / ``import_meta_graph`` / ``saved_model.loader.load`` returned
or raised (class and message), the resulting ops with names, inputs, devices and static
shapes, and values computed from the imported graph. Every case is replayed here.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow.graph import importer
from stowflow.proto import graph_pb2, meta_graph_pb2

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = json.loads((ROOT / "tests/golden/fidelity/import_contract.json").read_text())
CASES = {c["id"]: c for c in GOLDEN["cases"]}


def _graphs() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in GOLDEN["graphs"].items():
        out[key] = graph_pb2.GraphDef.FromString(base64.b64decode(raw))
    return out


GRAPHS = _graphs()


@pytest.fixture(scope="module")
def checkpoint_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ckpt")
    for name, raw in GOLDEN["checkpoint"].items():
        (path / name).write_bytes(base64.b64decode(raw))
    return str(path)


def _value(graph: tf.Graph, spec: Any) -> Any:
    if isinstance(spec, str):
        return graph.get_tensor_by_name(spec)
    if "python" in spec:
        return spec["python"]
    return tf.constant(np.array(spec["const"], dtype=spec["dtype"]), name=spec.get("name", "Const"))


def _describe(graph: tf.Graph) -> list[list[Any]]:
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


def _step(graph: tf.Graph, step: dict[str, Any], ckpt: str) -> Any:
    kind = step["kind"]
    if kind == "const":
        _value(graph, step["value"])
        return None
    input_map = {k: _value(graph, v) for k, v in step.get("input_map", {}).items()}
    try:
        if kind == "import":
            out = tf.import_graph_def(
                GRAPHS[step["graph"]],
                input_map=input_map or None,
                return_elements=step.get("return_elements"),
                **({"name": step["name"]} if "name" in step else {}),
            )
            return {"returned": None if out is None else [e.name for e in out]}
        if kind == "meta":
            meta = meta_graph_pb2.MetaGraphDef.FromString(base64.b64decode(GOLDEN["meta"]))
            saver = tf.train.import_meta_graph(
                meta,
                **step.get("kwargs", {}),
                **({"input_map": input_map} if input_map else {}),
            )
            result: dict[str, Any] = {
                "saver": None if saver is None else saver.saver_def.restore_op_name
            }
            if step.get("restore"):
                with tf.Session(graph=graph) as sess:
                    saver.restore(sess, os.path.join(ckpt, "model"))
                    feeds = {
                        graph.get_tensor_by_name(k): np.array(v, np.float32)
                        for k, v in step["restore"].get("feed", {}).items()
                    }
                    fetch = graph.get_tensor_by_name(step["restore"]["fetch"])
                    result["value"] = sess.run(fetch, feeds).tolist()
            return result
        if kind == "savedmodel":
            with tf.Session(graph=graph) as sess:
                meta = tf.saved_model.loader.load(
                    sess,
                    ["serve"],
                    str(ROOT / GOLDEN["savedmodel"]),
                    import_scope=step["import_scope"],
                )
                sig = meta.signature_def["serving_default"]
                scope = step["import_scope"] + "/"
                x = graph.get_tensor_by_name(scope + sig.inputs["x"].name)
                y = graph.get_tensor_by_name(scope + sig.outputs["y"].name)
                return {"value": sess.run(y, {x: np.array(step["feed"], np.float32)}).tolist()}
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        return {"error": [type(e).__name__, str(e)]}
    raise AssertionError(f"unknown step kind {kind}")


def _close(got: Any, want: Any) -> bool:
    return bool(np.allclose(np.array(got, np.float64), np.array(want, np.float64), rtol=1e-6))


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_import_matches_tf(case_id: str, checkpoint_dir: str) -> None:
    case = CASES[case_id]
    graph = tf.Graph()
    with graph.as_default():
        results = [_step(graph, step, checkpoint_dir) for step in case["steps"]]
        values = {}
        if case.get("run"):
            with tf.Session(graph=graph) as sess:
                for fetch, feed in case["run"]:
                    feeds = {
                        graph.get_tensor_by_name(k): np.array(v, np.float32)
                        for k, v in feed.items()
                    }
                    values[fetch] = sess.run(graph.get_tensor_by_name(fetch), feeds).tolist()
    for got, want in zip(results, case["results"], strict=True):
        if want is not None and "value" in want:
            assert got is not None and "value" in got, got
            assert _close(got.pop("value"), want["value"])
            want = {k: v for k, v in want.items() if k != "value"}
        assert got == want
    if case_id != "saved_model_import_scope":
        got_ops, want_ops = _describe(graph), case["ops"]
        if case_id == "while_loop_back_edge":  # shapes: see test_loop_import_shapes
            got_ops, want_ops = [o[:4] for o in got_ops], [o[:4] for o in want_ops]
        assert got_ops == want_ops
    assert set(values) == set(case["values"])
    for key, value in values.items():
        assert _close(value, case["values"][key])


def test_back_edge_merge_is_not_a_cycle() -> None:
    """The loop's Merge <- NextIteration edge is closed after import (control-flow graphs)."""
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(GRAPHS["loop"], name="")
    merges = [op for op in graph.get_operations() if op.type == "Merge"]
    assert merges and all(op.inputs[1].op.type == "NextIteration" for op in merges)


def test_loop_import_shapes() -> None:
    case = CASES["while_loop_back_edge"]
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(GRAPHS["loop"])
    assert _describe(graph) == case["ops"]


def test_failed_import_adds_nothing() -> None:
    graph = tf.Graph()
    with graph.as_default():
        with pytest.raises(ValueError, match="cycle"):
            tf.import_graph_def(GRAPHS["cycle"], name="")
        assert graph.get_operations() == []
        tf.import_graph_def(GRAPHS["small"], name="")
        assert [op.name for op in graph.get_operations()][:2] == ["x", "w"]


def test_summaries_match_tf_spelling() -> None:
    node = GRAPHS["small"].node[2]
    assert importer.builder.summarize_node_def(node).startswith("{{node y}} = MatMul[T=DT_FLOAT")
