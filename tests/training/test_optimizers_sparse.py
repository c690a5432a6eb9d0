"""Sparse (IndexedSlices) optimizer updates against TensorFlow: an embedding table trained
through ``embedding_lookup`` (TF's ``Unique``/``UnsortedSegmentSum`` deduplication,
``ScatterSub``/``ResourceScatterAdd``, ``SparseApply*``/``ResourceSparseApply*``), and one
step of every sparse update kernel with repeated indices.

Goldens: the ``sparse`` and ``sparse_updates`` sections of
``tests/golden/training/optimizer_goldens.json`` (``make_optimizer_goldens.py``, needs TF).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow import errors
from stowflow.graph import nn_ops, op_defs
from stowflow.graph.builder import apply_op
from stowflow.training import optimizer as opt

from .test_optimizers import node_list
from .test_optimizers_adaptive import CASES, GOLDEN, ns
from .test_training_kernels import _resource_variable, decode

SPARSE = GOLDEN["sparse"]


def build(case: str) -> tuple[Any, dict[str, Any]]:
    name, storage = case.rsplit("_", 1)
    graph = tf.Graph()
    with graph.as_default():
        run = CASES.sparse_graph(ns(), name, storage == "resource")
    return graph, run


# The resource case's forward graph differs (stowflow's embedding_lookup reads the table with
# ReadVariableOp + GatherV2 where TF uses ResourceGather), so only its values are compared.
@pytest.mark.parametrize("case", sorted(c for c in SPARSE if c.endswith("_ref")))
def test_sparse_update_graph_is_tensorflows(case: str) -> None:
    graph, run = build(case)
    with graph.as_default():
        tf.global_variables_initializer()  # TF's golden was read after it existed
    scope = run["optimizer"].get_name()
    ops = [
        op
        for op in graph.get_operations()
        if op.name == scope or op.name.startswith((scope + "/", "emb/"))
    ]
    assert node_list(ops) == SPARSE[case]["nodes"]


@pytest.mark.parametrize("case", sorted(SPARSE))
def test_twenty_sparse_steps_give_tensorflows_losses(case: str) -> None:
    graph, run = build(case)
    want = SPARSE[case]
    with graph.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        feeds = dict(run["feeds"])
        losses = [float(sess.run([run["loss"], run["train_op"]], feeds)[0]) for _ in range(20)]
        final = {v.op.name: sess.run(v) for v in tf.global_variables()}
    np.testing.assert_allclose(losses, want["losses"], rtol=1e-5, atol=5e-5)
    assert sorted(final) == sorted(want["final"])
    for var_name, spec in want["final"].items():
        np.testing.assert_allclose(
            final[var_name], decode(spec), rtol=1e-4, atol=1e-5, err_msg=var_name
        )


SPARSE_UPDATES = {cid: (b, sl, rest, at) for cid, b, sl, rest, at in CASES.sparse_update_cases()}


def _run_update(op_type: str, slots: list[np.ndarray], rest: list[Any], attrs: dict) -> list[Any]:
    resource = op_type.startswith("Resource")
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
            return sess.run(reads)


@pytest.mark.parametrize("cid", sorted(GOLDEN["sparse_updates"]))
def test_sparse_update_kernel_matches_tensorflow(cid: str) -> None:
    case, storage = cid.rsplit("_", 1)
    base, slots, rest, attrs = SPARSE_UPDATES[case]
    op_type = ("ResourceSparseApply" if storage == "resource" else "SparseApply") + base
    got = _run_update(op_type, slots, rest, attrs)
    for value, spec in zip(got, GOLDEN["sparse_updates"][cid]["values"], strict=True):
        np.testing.assert_allclose(value, decode(spec), rtol=2e-6, atol=1e-7)


def test_sparse_update_refuses_an_index_out_of_range() -> None:
    base, slots, rest, attrs = SPARSE_UPDATES["adagrad"]
    bad = [rest[0], rest[1], np.array([3, 0, 9, 1, 3], dtype=np.int32)]
    with pytest.raises(
        errors.InvalidArgumentError, match="Index 9 at offset 2 in indices is out of range"
    ):
        _run_update("SparseApplyAdagrad", slots, bad, attrs)


def test_adam_sparse_updates_are_reported_missing() -> None:
    with tf.Graph().as_default():
        emb = tf.Variable(np.ones([4, 2], np.float32), name="emb")
        ids = tf.constant(np.array([1, 1], np.int32))
        loss = tf.reduce_sum(nn_ops.embedding_lookup(emb, ids))
        with pytest.raises(NotImplementedError, match=r"sparse \(IndexedSlices\) updates of emb"):
            opt.AdamOptimizer(0.1).minimize(loss)
