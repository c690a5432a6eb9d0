"""tf.io.SparseFeature and RaggedFeature in parse_example / parse_single_example: TF's graph
(for SparseFeature the SparseMerge scope: ExpandDims, Cast, StridedSlice, ConcatV2,
SparseReorder; for RaggedFeature the ragged keys of ParseExampleV2) and TF's results.

Goldens: tests/golden/data/make_parsing_goldens.py (needs TF) -> parsing_goldens.json;
the cases are in tests/golden/data/parsing_cases.py.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow
from stowflow import errors
from stowflow.graph import parsing_ops
from stowflow.graph.sparse import SparseTensor

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "data"
sys.path.insert(0, str(GOLDEN_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from parsing_cases import CASES  # noqa: E402
from test_kernels import decode_array  # noqa: E402

GOLDENS = json.loads((GOLDEN_DIR / "parsing_goldens.json").read_text())


class _Namespace:
    """stowflow's TF1 namespace with ``tf.io.SparseFeature`` (until the lead wires it)."""

    def __init__(self) -> None:
        self.io = type(
            "io",
            (),
            {
                **vars(stowflow.io),
                "SparseFeature": parsing_ops.SparseFeature,
                "RaggedFeature": parsing_ops.RaggedFeature,
            },
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(stowflow, name)


def _run(name: str) -> dict[str, Any]:
    with stowflow.Graph().as_default() as graph:
        spec, examples, single = CASES[name](_Namespace())
        serialized = stowflow.placeholder(
            stowflow.string, [] if single else [None], name="serialized"
        )
        parse = parsing_ops.parse_single_example if single else parsing_ops.parse_example
        parsed = parse(serialized, spec)
        feed = {serialized: examples[0] if single else np.array(examples, dtype=object)}
        nodes = [
            {
                "name": n.name,
                "op": n.op,
                "inputs": list(n.input),
                "attrs": {
                    k: base64.b64encode(v.SerializeToString(deterministic=True)).decode()
                    for k, v in sorted(n.attr.items())
                    if k != "value"
                },
            }
            for n in graph.as_graph_def().node
        ]
        with stowflow.Session() as sess:
            try:
                values = sess.run(parsed, feed)
            except errors.OpError as e:
                lines = [ln for ln in e.message.splitlines() if ln and not ln.startswith("\t")]
                return {
                    "nodes": nodes,
                    "keys": list(parsed),
                    "result": {"error": type(e).__name__, "message": lines[-1]},
                }
        result = {}
        for key, value in values.items():
            if isinstance(parsed[key], parsing_ops.RaggedTensor):
                result[key] = [np.asarray(value.values), np.asarray(value.row_splits)]
            elif isinstance(parsed[key], SparseTensor):
                result[key] = [
                    np.asarray(value.indices),
                    np.asarray(value.values),
                    np.asarray(value.dense_shape),
                ]
            else:
                result[key] = [np.asarray(value)]
        return {"nodes": nodes, "keys": list(parsed), "result": result}


@pytest.mark.parametrize("name", sorted(CASES))
def test_graph_matches_tf(name: str) -> None:
    ours, theirs = _run(name), GOLDENS[name]
    assert [(n["name"], n["op"], n["inputs"]) for n in ours["nodes"]] == [
        (n["name"], n["op"], n["inputs"]) for n in theirs["nodes"]
    ]
    assert [n["attrs"] for n in ours["nodes"]] == [n["attrs"] for n in theirs["nodes"]]
    assert ours["keys"] == theirs["keys"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_results_match_tf(name: str) -> None:
    ours, theirs = _run(name)["result"], GOLDENS[name]["result"]
    if "error" in theirs:
        assert ours == theirs
        return
    assert sorted(ours) == sorted(theirs)
    for key, parts in theirs.items():
        for mine, spec in zip(ours[key], parts, strict=True):
            expected = decode_array(spec)
            mine = np.asarray(mine, dtype=object) if expected.dtype == object else mine
            assert mine.dtype == expected.dtype and mine.shape == expected.shape, (
                key,
                mine,
                expected,
            )
            np.testing.assert_array_equal(mine, expected)


def test_sparse_feature_validation_messages() -> None:
    with stowflow.Graph().as_default():
        s = stowflow.placeholder(stowflow.string, [None])
        with pytest.raises(ValueError, match="Missing index_key for SparseFeature"):
            parsing_ops.parse_example(
                s, {"a": parsing_ops.SparseFeature("", "v", stowflow.float32, 3)}
            )
        with pytest.raises(ValueError, match="Conflicting type"):
            parsing_ops.parse_example(
                s,
                {
                    "a": parsing_ops.SparseFeature("i", "v", stowflow.float32, 3),
                    "v": parsing_ops.VarLenFeature(stowflow.int64),
                },
            )


def test_fetched_ragged_tensor_gives_its_rows() -> None:
    with stowflow.Graph().as_default():
        s = stowflow.placeholder(stowflow.string, [None])
        parsed = parsing_ops.parse_example(s, {"r": parsing_ops.RaggedFeature(stowflow.int64)})
        with pytest.raises(ValueError, match="needs a fetched RaggedTensor"):
            parsed["r"].to_list()
        examples = [
            stowflow.train.Example(
                features=stowflow.train.Features(
                    feature={
                        "r": stowflow.train.Feature(int64_list=stowflow.train.Int64List(value=v))
                    }
                )
            ).SerializeToString()
            for v in ([1, 2], [], [3])
        ]
        with stowflow.Session() as sess:
            value = sess.run(parsed["r"], {s: np.array(examples, dtype=object)})
    assert isinstance(value, parsing_ops.RaggedTensor)
    assert value.to_list() == [[1, 2], [], [3]]


def test_partitioned_ragged_feature_is_refused_clearly() -> None:
    feature = parsing_ops.RaggedFeature(
        stowflow.int64, partitions=[parsing_ops.RaggedFeature.RowLengths("n")]
    )
    with stowflow.Graph().as_default():
        s = stowflow.placeholder(stowflow.string, [None])
        with pytest.raises(NotImplementedError, match="without partitions only"):
            parsing_ops.parse_example(s, {"r": feature})
