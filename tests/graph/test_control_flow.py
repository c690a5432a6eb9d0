"""TF1 graphs with v1 and v2 control flow, run by stowflow, against TensorFlow's outputs.

The goldens (tests/golden/control_flow/control_flow_goldens.json) come from
tests/golden/control_flow/make_control_flow.py, run with TensorFlow 2.21.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow import errors
from stowflow.graph import executor
from stowflow.proto import graph_pb2

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "control_flow" / "control_flow_goldens.json"
CASES = json.loads(GOLDEN.read_text())


def decode(spec: dict[str, Any]) -> np.ndarray:
    if spec["dtype"] == "string":
        flat = np.empty(len(spec["strings"]), dtype=object)
        flat[:] = [base64.b64decode(s) for s in spec["strings"]]
        return flat.reshape(spec["shape"])
    dtype = np.dtype(spec["dtype"]).newbyteorder("<")
    return np.frombuffer(base64.b64decode(spec["data"]), dtype).reshape(spec["shape"])


def run_case(case: dict[str, Any]) -> list[Any]:
    graph_def = graph_pb2.GraphDef()
    graph_def.ParseFromString(base64.b64decode(case["graph_def"]))
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session(graph=graph) as sess:
            sess.run(case["init"])
            feeds = {k: decode(v) for k, v in case["feed"].items()}
            return sess.run(case["fetches"], feeds)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_control_flow_matches_tensorflow(case: dict[str, Any]) -> None:
    values = run_case(case)
    for name, value, expected in zip(case["fetches"], values, case["outputs"], strict=True):
        if expected is None:
            assert value is None, name
            continue
        want = decode(expected)
        got = np.asarray(value)
        assert got.dtype == want.dtype, name
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=name)


def test_v1_cases_use_v1_ops_and_v2_cases_use_functional_ops() -> None:
    functional = {"While", "StatelessWhile", "If", "StatelessIf", "Case", "StatelessCase"}
    for case in CASES:
        ops = set(case["op_types"])
        if case["v2"]:
            assert not ops & executor.CONTROL_FLOW_V1, case["name"]
        else:
            assert not ops & functional, case["name"]
    covered = set().union(*(c["op_types"] for c in CASES))
    assert functional <= covered
    assert executor.CONTROL_FLOW_V1 - {"ControlTrigger", "RefEnter", "RefExit", "RefMerge",
                                       "RefNextIteration"} <= covered


def test_fetching_a_dead_tensor_is_an_error() -> None:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [2])
        pred = tf.placeholder(tf.bool, [])
        false_out, true_out = graph.create_op(
            "Switch", [x, pred], [tf.float32, tf.float32], {}, "switch"
        ).outputs
        with tf.Session() as sess:
            got = sess.run(true_out, {x: [1.0, 2.0], pred: True})
            np.testing.assert_array_equal(got, [1.0, 2.0])
            with pytest.raises(errors.InvalidArgumentError, match="does not have value"):
                sess.run(false_out, {x: [1.0, 2.0], pred: True})


@pytest.mark.parametrize(
    ("value", "truth"),
    [(np.float32(0.0), False), (np.int32(3), True), (np.array(b""), False), (np.array(b"a"), True),
     (np.zeros([0]), False), (np.zeros([2]), True)],
)
def test_predicate_truth_follows_tensorflow(value: Any, truth: bool) -> None:
    assert executor.to_bool(value) is truth
