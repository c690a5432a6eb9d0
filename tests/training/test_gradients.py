"""tf.gradients against TensorFlow: the gradient graph node for node, and the values.

Goldens: ``tests/golden/training/make_training_goldens.py`` (needs TensorFlow) runs the
cases of ``tests/golden/training/cases.py`` through ``tf.compat.v1.gradients``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from google.protobuf import text_format

import stowflow as tf
from stowflow.graph import gradients as gradients_lib
from stowflow.graph.gradients import gradients, register_gradient

from .nsutil import GOLDEN_DIR, load_cases, namespace

GOLDEN = json.loads((GOLDEN_DIR / "training_goldens.json").read_text(encoding="utf-8"))
CASES = load_cases()


def node_list(ops: list[Any]) -> list[list[Any]]:
    """What the golden records per op: name, type, inputs, control inputs, attrs as text."""
    return [
        [
            op.name,
            op.type,
            [t.name for t in op.inputs],
            [c.name for c in op.control_inputs],
            {
                k: text_format.MessageToString(v, as_one_line=True)
                for k, v in op.node_def.attr.items()
            },
        ]
        for op in ops
    ]


def build(name: str) -> tuple[Any, dict[str, Any], list[Any], list[Any]]:
    graph = tf.Graph()
    with graph.as_default():
        case = CASES.GRADIENT_CASES[name](namespace())
        first = len(graph.get_operations())
        grads = gradients(
            case["ys"],
            case["xs"],
            grad_ys=case.get("grad_ys"),
            stop_gradients=case.get("stop_gradients"),
        )
        return graph, case, grads, graph.get_operations()[first:]


@pytest.mark.parametrize("name", sorted(GOLDEN["gradients"]))
def test_gradient_graph_is_tensorflows(name: str) -> None:
    _, _, grads, added = build(name)
    want = GOLDEN["gradients"][name]
    assert node_list(added) == want["nodes"]
    assert [None if g is None else g.name for g in grads] == want["grads"]


@pytest.mark.parametrize("name", sorted(GOLDEN["gradients"]))
def test_gradient_values_match_tensorflow(name: str) -> None:
    graph, case, grads, _ = build(name)
    with graph.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([g for g in grads if g is not None], dict(case["feeds"]))
    expected = [v for v in GOLDEN["gradients"][name]["values"] if v is not None]
    assert len(got) == len(expected)
    for value, spec in zip(got, expected, strict=True):
        want = np.array(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])
        assert value.dtype == want.dtype and value.shape == want.shape
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=1e-6)


def test_registering_a_gradient_twice_raises() -> None:
    gradients_lib._load_gradient_modules()
    with pytest.raises(KeyError, match="Registering two gradient with name 'MatMul'"):
        register_gradient("MatMul")(lambda op, grad: None)


def test_an_op_without_gradient_raises_tfs_lookup_error() -> None:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        y = tf.cumsum(x)
        with pytest.raises(
            LookupError, match=r"No gradient defined for operation'Cumsum' \(op type: Cumsum\)"
        ):
            gradients(y, [x])


def test_unconnected_x_gets_none_or_zeros() -> None:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        z = tf.placeholder(tf.float32, [2], name="z")
        y = tf.square(x)
        assert gradients(y, [x, z])[1] is None
        zero = gradients(y, [z], unconnected_gradients="zero")[0]
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(zero, {z: [1.0, 2.0]}), [0.0, 0.0])


def test_grad_ys_length_mismatch_is_tfs_value_error() -> None:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        with pytest.raises(ValueError, match="Length mismatch. Passed 2 grad_ys for 1 ys"):
            gradients([tf.square(x)], [x], grad_ys=[x, x])
