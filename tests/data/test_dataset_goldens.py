"""tf.data pipelines against TensorFlow: the same graph nodes (names, ops, inputs, attrs),
the same library functions (op types) and the same elements, element by element.

Goldens: tests/golden/data/make_data_goldens.py (needs TF) -> data_goldens.json.
"""

from __future__ import annotations

import base64
import json
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow
from stowflow import data, errors, tfrecord
from stowflow.data import structure
from stowflow.proto import attr_value_pb2

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "graph"))
sys.path.insert(0, str(HERE.parent / "golden" / "data"))

from pipelines import ERROR_CASES, PIPELINES, make_files  # noqa: E402
from test_kernels import decode_array  # noqa: E402

GOLDENS = json.loads((HERE.parent / "golden" / "data" / "data_goldens.json").read_text())


class _Namespace(types.SimpleNamespace):
    def __getattr__(self, name: str) -> Any:
        return getattr(stowflow, name)


def tf_namespace() -> Any:
    """stowflow's TF1 namespace plus ``data`` and the TFRecord names of ``io`` (until the
    lead wires them into stowflow._v1)."""
    io = _Namespace(**vars(stowflow.io))
    io.TFRecordWriter = tfrecord.TFRecordWriter
    io.TFRecordOptions = tfrecord.TFRecordOptions
    io.tf_record_iterator = tfrecord.tf_record_iterator
    return _Namespace(data=data, io=io)


def normalize_function_name(name: str) -> str:
    import re

    name = re.sub(r"^(__inference_.*)_\d+$", r"\1_N", name)
    return re.sub(r"^_make_dataset_[A-Za-z0-9_-]+$", "_make_dataset_H", name)


def encode_attr(value: Any) -> str:
    value = attr_value_pb2.AttrValue.FromString(value.SerializeToString())
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


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("files")
    make_files(tf_namespace(), directory)
    return directory


def run(name: str, files: Path) -> dict[str, Any]:
    build, kind, _ = PIPELINES[name]
    tf = tf_namespace()
    with stowflow.Graph().as_default() as graph:
        ds = build(tf, np, files)
        it = (
            data.make_one_shot_iterator(ds)
            if kind == "one_shot"
            else data.make_initializable_iterator(ds)
        )
        nxt = it.get_next()
        elements = []
        with stowflow.Session() as sess:
            if kind != "one_shot":
                sess.run(it.initializer)
            try:
                for _ in range(100):
                    values = structure.flatten(sess.run(nxt))
                    elements.append(
                        [
                            np.asarray(v, dtype=object if isinstance(v, bytes) else None)
                            for v in values
                        ]
                    )
                end = None
            except errors.OutOfRangeError as e:
                end = e.message.splitlines()[-2]
        return {"graph": dump_graph(graph.as_graph_def()), "elements": elements, "end": end}


def _describe(node: dict[str, Any]) -> dict[str, Any]:
    return {
        **node,
        "attrs": {
            k: attr_value_pb2.AttrValue.FromString(base64.b64decode(v))
            for k, v in node["attrs"].items()
        },
    }


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_graph_matches_tf(name: str, files: Path) -> None:
    ours, theirs = run(name, files)["graph"], GOLDENS[name]["graph"]
    assert [(n["name"], n["op"], n["inputs"]) for n in ours["nodes"]] == [
        (n["name"], n["op"], n["inputs"]) for n in theirs["nodes"]
    ]
    for mine, tf_node in zip(ours["nodes"], theirs["nodes"], strict=True):
        assert mine["attrs"] == tf_node["attrs"], (_describe(mine), _describe(tf_node))
    assert ours["functions"] == theirs["functions"]


def _same(ours: list[list[np.ndarray]], golden: list[list[Any]]) -> None:
    assert len(ours) == len(golden)
    for mine, tf_element in zip(ours, golden, strict=True):
        expected = [decode_array(spec) for spec in tf_element]
        assert len(mine) == len(expected)
        for a, b in zip(mine, expected, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape, (a, b)
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_elements_match_tf(name: str, files: Path) -> None:
    result, golden = run(name, files), GOLDENS[name]
    assert result["end"] == golden["end"]
    if PIPELINES[name][2]:
        _same(result["elements"], golden["elements"])
    else:  # shuffle: same multiset of values, same batch shapes
        ours = [c for e in result["elements"] for c in e]
        theirs = [decode_array(c) for e in golden["elements"] for c in e]
        assert [a.shape for a in ours] == [b.shape for b in theirs]
        assert sorted(np.concatenate([a.ravel() for a in ours]).tolist()) == sorted(
            np.concatenate([b.ravel() for b in theirs]).tolist()
        )


def _outcome(case: Any) -> dict[str, Any]:
    with stowflow.Graph().as_default():
        try:
            result = case(tf_namespace(), np)
        except (errors.OpError, ValueError) as e:
            message = e.message if isinstance(e, errors.OpError) else str(e)
            lines = [ln for ln in message.splitlines() if ln and not ln.startswith("\t")]
            return {"error": type(e).__name__, "message": lines[-1]}
    return {"result": [float(v) for v in result]} if isinstance(result, list) else {"result": None}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_errors_and_reinitialization_match_tf(name: str) -> None:
    ours, theirs = _outcome(ERROR_CASES[name]), GOLDENS["errors"][name]
    if name == "ragged_batch":
        # TF copies batch elements on several threads: which element's shape it reports as
        # "[tensor]" varies from run to run; the text up to the shapes is fixed.
        cut = "Shapes are:"
        assert ours["error"] == theirs["error"]
        assert ours["message"].split(cut)[0] == theirs["message"].split(cut)[0]
        return
    assert ours == theirs
