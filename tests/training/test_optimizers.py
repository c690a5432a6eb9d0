"""Optimizers against TensorFlow: the training graph node for node and 20 steps of losses.

Goldens: ``tests/golden/training/make_training_goldens.py`` (needs TensorFlow) trains the
MLP of ``tests/golden/training/cases.py`` with ``minimize(loss, global_step)``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from google.protobuf import text_format

import stowflow as tf
from stowflow.training import optimizer as opt

from .nsutil import GOLDEN_DIR, load_cases, namespace

GOLDEN = json.loads((GOLDEN_DIR / "training_goldens.json").read_text(encoding="utf-8"))
CASES = load_cases()
NAMES = [f"{kind}_{'resource' if res else 'ref'}" for kind, res in CASES.OPTIMIZER_CASES]


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


def build(name: str) -> tuple[Any, dict[str, Any]]:
    kind, storage = name.rsplit("_", 1)
    graph = tf.Graph()
    with graph.as_default():
        run = CASES.training_graph(namespace(), kind, storage == "resource")
    return graph, run


@pytest.mark.parametrize("name", NAMES)
def test_training_graph_is_tensorflows(name: str) -> None:
    graph, _ = build(name)
    with graph.as_default():
        # The golden was recorded after the initializer op existed: its control inputs are
        # marked `_has_manual_control_dependencies`, as TF marks them.
        tf.global_variables_initializer()
    ops = [op for op in graph.get_operations() if op.name != "init"]
    first = [op.name for op in ops].index("global_step/Initializer/zeros")
    assert node_list(ops[first:]) == GOLDEN["optimizers"][name]["nodes"]
    with graph.as_default():
        names = [v.op.name for v in tf.global_variables()]
    assert names == GOLDEN["optimizers"][name]["global_variables"]


@pytest.mark.parametrize("name", NAMES)
def test_twenty_steps_give_tensorflows_losses(name: str) -> None:
    graph, run = build(name)
    want = GOLDEN["optimizers"][name]
    with graph.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        feeds = dict(run["feeds"])
        losses = [
            float(sess.run([run["ys"][0], run["train_op"]], feeds)[0]) for _ in range(CASES.STEPS)
        ]
        final = {v.op.name: sess.run(v) for v in tf.global_variables()}
    np.testing.assert_allclose(losses, want["losses"], atol=5e-5)
    assert final["global_step"] == CASES.STEPS
    for var_name, spec in want["final"].items():
        expected = np.array(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])
        np.testing.assert_allclose(
            final[var_name], expected, rtol=1e-4, atol=1e-5, err_msg=var_name
        )


def test_slots_and_hyperparameters_are_tfs() -> None:
    graph = tf.Graph()
    with graph.as_default():
        w = tf.Variable(np.ones([2, 2], np.float32), name="w")
        adam = opt.AdamOptimizer(0.1)
        adam.minimize(tf.reduce_sum(tf.square(w)))
        assert adam.get_slot_names() == ["m", "v"]
        assert adam.get_slot(w, "m").op.name == "w/Adam"
        assert adam.get_slot(w, "v").op.name == "w/Adam_1"
        assert sorted(v.op.name for v in adam.variables()) == [
            "beta1_power",
            "beta2_power",
            "w/Adam",
            "w/Adam_1",
        ]
        assert graph.get_collection(tf.GraphKeys.TRAIN_OP)[0].name == "Adam"


def test_minimize_without_any_gradient_raises_tfs_error() -> None:
    graph = tf.Graph()
    with graph.as_default():
        w = tf.Variable(1.0, name="w")
        loss = tf.stop_gradient(w * 2.0)
        with pytest.raises(ValueError, match="No gradients provided for any variable"):
            opt.GradientDescentOptimizer(0.1).minimize(loss)


def test_get_or_create_global_step_returns_the_same_variable() -> None:
    graph = tf.Graph()
    with graph.as_default():
        step = opt.get_or_create_global_step()
        assert step.op.name == "global_step" and step.dtype.base_dtype == tf.int64
        assert opt.get_or_create_global_step() is step
        assert opt.get_global_step() is step


def test_create_global_step_refuses_a_second_one() -> None:
    with tf.Graph().as_default():
        step = opt.create_global_step()
        assert step.op.type == "VariableV2" and not step.trainable
        with pytest.raises(ValueError, match='"global_step" already exists.'):
            opt.create_global_step()


def test_get_global_step_falls_back_to_the_tensor_name() -> None:
    with tf.Graph().as_default() as graph:
        step = tf.Variable(np.int64(3), name="global_step", trainable=False)
        assert graph.get_collection(tf.GraphKeys.GLOBAL_STEP) == []
        assert opt.get_global_step().name == step.name
        assert opt.get_or_create_global_step().name == "global_step:0"


def test_get_global_step_is_none_for_several_and_refuses_floats() -> None:
    with tf.Graph().as_default() as graph:
        for name in ("a", "b"):
            graph.add_to_collection(tf.GraphKeys.GLOBAL_STEP, tf.Variable(np.int64(0), name=name))
        assert opt.get_global_step() is None
    with tf.Graph().as_default() as graph:
        graph.add_to_collection(tf.GraphKeys.GLOBAL_STEP, tf.Variable(0.5, name="f"))
        with pytest.raises(TypeError, match='Existing "global_step" does not have integer type'):
            opt.get_global_step()


def test_global_step_reads_the_value() -> None:
    with tf.Graph().as_default():
        step = opt.get_or_create_global_step()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert opt.global_step(sess, step) == 0
