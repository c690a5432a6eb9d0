"""Adagrad, RMSProp, Adadelta, Ftrl, ProximalAdagrad (and Momentum in a name scope) against
TensorFlow: the training graph node for node, slot names, 20 steps of losses, final values,
and one ``Apply*``/``ResourceApply*`` step of every update kernel.

Goldens: ``tests/golden/training/make_optimizer_goldens.py`` (needs TensorFlow) runs the
cases of ``tests/golden/training/optimizer_cases.py`` under ``tf.compat.v1``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow.graph import nn_ops, op_defs
from stowflow.graph.builder import apply_op
from stowflow.training import adaptive_optimizers as adaptive
from stowflow.training import learning_rate_decay as lr_decay
from stowflow.training import optimizer as opt

from .nsutil import GOLDEN_DIR, _Namespace, load_cases, namespace
from .test_optimizers import node_list
from .test_training_kernels import _resource_variable, decode

GOLDEN = json.loads((GOLDEN_DIR / "optimizer_goldens.json").read_text(encoding="utf-8"))


def load_optimizer_cases() -> Any:
    """``optimizer_cases.py`` imports ``cases`` (the shared MLP) by its file name."""
    if "optimizer_cases" in sys.modules:
        return sys.modules["optimizer_cases"]
    spec = importlib.util.spec_from_file_location(
        "optimizer_cases", GOLDEN_DIR / "optimizer_cases.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # Only while it loads: other test directories have their own `cases` modules.
    saved = sys.modules.get("cases")
    sys.modules["cases"] = load_cases()
    try:
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["cases"]
        else:
            sys.modules["cases"] = saved
    sys.modules["optimizer_cases"] = module
    return module


CASES = load_optimizer_cases()
TRAIN_NAMES = {
    "AdagradOptimizer": adaptive.AdagradOptimizer,
    "RMSPropOptimizer": adaptive.RMSPropOptimizer,
    "AdadeltaOptimizer": adaptive.AdadeltaOptimizer,
    "FtrlOptimizer": adaptive.FtrlOptimizer,
    "ProximalAdagradOptimizer": adaptive.ProximalAdagradOptimizer,
    "MomentumOptimizer": opt.MomentumOptimizer,
    "get_or_create_global_step": opt.get_or_create_global_step,
    **{name: getattr(lr_decay, name) for name in lr_decay.__all__},
}


def ns() -> Any:
    """The tests' ``tf.compat.v1`` stand-in plus the optimizers and schedules under test."""
    base = namespace()
    nn = _Namespace(base.nn, embedding_lookup=nn_ops.embedding_lookup)
    return _Namespace(base, train=_Namespace(base.train, **TRAIN_NAMES), nn=nn)


def build(case: str) -> tuple[Any, dict[str, Any]]:
    name, storage = case.rsplit("_", 1)
    graph = tf.Graph()
    with graph.as_default():
        run = CASES.training_graph(ns(), name, storage == "resource")
    return graph, run


@pytest.mark.parametrize("case", sorted(GOLDEN["optimizers"]))
def test_training_graph_is_tensorflows(case: str) -> None:
    graph, run = build(case)
    want = GOLDEN["optimizers"][case]
    with graph.as_default():
        init = tf.global_variables_initializer()
        names = [v.op.name for v in tf.global_variables()]
    ops = [op for op in graph.get_operations() if op is not init]
    first = [op.name for op in ops].index("global_step/Initializer/zeros")
    assert node_list(ops[first:]) == want["nodes"]
    assert names == want["global_variables"]
    optimizer = run["optimizer"]
    slots = {
        slot: {v.op.name: optimizer.get_slot(v, slot).op.name for v in run["xs"]}
        for slot in optimizer.get_slot_names()
    }
    assert slots == want["slots"]


@pytest.mark.parametrize("case", sorted(GOLDEN["optimizers"]))
def test_twenty_steps_give_tensorflows_losses(case: str) -> None:
    graph, run = build(case)
    want = GOLDEN["optimizers"][case]
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
        np.testing.assert_allclose(
            final[var_name], decode(spec), rtol=1e-4, atol=1e-5, err_msg=var_name
        )


@pytest.mark.parametrize("storage", ["ref", "resource"])
def test_a_big_slot_is_filled_as_tensorflow_fills_it(storage: str) -> None:
    graph = tf.Graph()
    with graph.as_default():
        CASES.big_slot_graph(ns(), storage == "resource")
    ops = graph.get_operations()
    first = [op.name for op in ops].index(CASES.BIG_SLOT_FIRST)
    slot_ops = [op for op in ops[first:] if op.name.startswith("big/RMSProp")]
    assert node_list(slot_ops) == GOLDEN["big_slot"][storage]


UPDATE_CASES = {cid: (b, sl, rest, at) for cid, b, sl, rest, at in CASES.update_cases()}


@pytest.mark.parametrize("cid", sorted(GOLDEN["updates"]))
def test_update_kernel_matches_tensorflow(cid: str) -> None:
    case, storage = cid.rsplit("_", 1)
    base, slots, rest, attrs = UPDATE_CASES[case]
    resource = storage == "resource"
    op_type = ("ResourceApply" if resource else "Apply") + base
    graph = tf.Graph()
    with graph.as_default():
        if resource:
            made = [_resource_variable(x, f"v{i}") for i, x in enumerate(slots)]
            targets = [h for h, _ in made]
            inits, reads = [m[0] for _, m in made], [m[1] for _, m in made]
        else:
            variables = [tf.Variable(x, name=f"v{i}") for i, x in enumerate(slots)]
            targets = [v._as_tensor(as_ref=True) for v in variables]
            inits, reads = [v.initializer for v in variables], list(variables)
        names = [a.name for a in op_defs.get(op_type).input_arg]
        inputs = dict(zip(names, targets + [np.asarray(x) for x in rest], strict=True))
        update = apply_op(op_type, inputs, dict(attrs))
        with tf.Session() as sess:
            sess.run(inits)
            sess.run(update)
            got = sess.run(reads)
    for value, spec in zip(got, GOLDEN["updates"][cid]["values"], strict=True):
        np.testing.assert_allclose(value, decode(spec), rtol=2e-6, atol=1e-7)


def test_update_kernel_refuses_a_grad_of_another_shape() -> None:
    graph = tf.Graph()
    with graph.as_default():
        v = tf.Variable(np.ones([2, 2], np.float32), name="v")
        acc = tf.Variable(np.ones([2, 2], np.float32), name="acc")
        update = apply_op(
            "ApplyAdagrad",
            {
                "var": v._ref(),
                "accum": acc._ref(),
                "lr": np.float32(0.1),
                "grad": np.ones([2], np.float32),
            },
        )
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            with pytest.raises(tf.errors.InvalidArgumentError, match="var and grad do not have"):
                sess.run(update)


def test_bad_hyperparameters_raise_tfs_errors() -> None:
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive: 0.0"):
        adaptive.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    with pytest.raises(ValueError, match="learning_rate_power 0.5 must be a negative number"):
        adaptive.FtrlOptimizer(0.1, learning_rate_power=0.5)


# ----------------------------------------------------------------- learning-rate schedules

LR = GOLDEN["lr"]
# piecewise_constant selects with SelectV2 where TF builds tf.case (v1 cond): values only.
GRAPH_SCHEDULES = [n for n in sorted(LR["schedules"]) if n != "piecewise"]


def build_schedules() -> tuple[Any, Any, dict[str, Any], list[Any]]:
    graph = tf.Graph()
    with graph.as_default():
        step = tf.placeholder(tf.int64, [], name="step")
        first = len(graph.get_operations())
        tensors = CASES.lr_schedules(ns(), step)
    return graph, step, tensors, graph.get_operations()[first:]


def _outside_tf_case(node: list[Any]) -> bool:
    """TF's piecewise_constant selects inside ``PiecewiseConstant/case``, ours by SelectV2."""
    return not node[0].startswith(("PiecewiseConstant/case/", "PiecewiseConstant/SelectV2"))


def test_schedule_graphs_are_tensorflows() -> None:
    _, _, tensors, made = build_schedules()
    for name in GRAPH_SCHEDULES:
        assert tensors[name].name == LR["schedules"][name]["tensor"], name
    got = [n for n in node_list(made) if _outside_tf_case(n)]
    want = [n for n in LR["nodes"] if _outside_tf_case(n)]
    assert got == want


@pytest.mark.parametrize("name", sorted(LR["schedules"]))
def test_schedule_values_match_tensorflow(name: str) -> None:
    graph, step, tensors, _ = build_schedules()
    with graph.as_default(), tf.Session() as sess:
        got = [float(sess.run(tensors[name], {step: s})) for s in CASES.LR_STEPS]
    np.testing.assert_allclose(got, LR["schedules"][name]["values"], rtol=1e-6)


def test_schedules_need_a_global_step() -> None:
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="global_step is required for exponential decay."):
            lr_decay.exponential_decay(0.1, None, 10, 0.5)


def test_piecewise_constant_refuses_mismatched_lengths() -> None:
    with tf.Graph().as_default():
        step = tf.placeholder(tf.int64, [], name="step")
        with pytest.raises(ValueError, match="length of boundaries should be 1 less"):
            lr_decay.piecewise_constant(step, [10, 20], [1.0, 0.5])
