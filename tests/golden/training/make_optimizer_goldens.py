"""Makes optimizer_goldens.json: TF's optimizer graphs, training runs, update kernels and
learning-rate schedules for ``optimizer_cases.py``.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/training/make_optimizer_goldens.py

For every optimizer case (reference and resource variables) it records the nodes from the
global step on (after the initializer op exists, which it leaves out), the global variables,
the slot names, the loss before each of 20 ``minimize`` steps and the final values; for
every update case the values after one ``Apply*``/``ResourceApply*``; for every schedule the
graph it builds and its values at ``LR_STEPS``. Values are JSON float lists. No pickle.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_training_goldens as base  # noqa: E402 - needs HERE on sys.path
import optimizer_cases as cases  # noqa: E402

tf, tf1 = base.tf, base.tf1
OUT = os.path.join(HERE, "optimizer_goldens.json")


def optimizer_case(name: str, use_resource: bool) -> dict[str, Any]:
    graph = tf1.Graph()
    with graph.as_default():
        run = cases.training_graph(tf1, name, use_resource)
        loss, feeds = run["ys"][0], dict(run["feeds"])
        init = tf1.global_variables_initializer()
        ops = [op for op in graph.get_operations() if op is not init]
        first = [op.name for op in ops].index("global_step/Initializer/zeros")
        names = [v.op.name for v in tf1.global_variables()]
        opt = run["optimizer"]
        slots = {
            slot: {v.op.name: opt.get_slot(v, slot).op.name for v in run["xs"]}
            for slot in opt.get_slot_names()
        }
        with tf1.Session() as sess:
            sess.run(init)
            losses = [
                float(sess.run([loss, run["train_op"]], feeds)[0]) for _ in range(cases.STEPS)
            ]
            final = {v.op.name: base.value(sess.run(v)) for v in tf1.global_variables()}
    return {
        "nodes": base.nodes(ops[first:]),
        "global_variables": names,
        "slots": slots,
        "losses": losses,
        "final": final,
    }


def big_slot_case(use_resource: bool) -> list[Any]:
    graph = tf1.Graph()
    with graph.as_default():
        cases.big_slot_graph(tf1, use_resource)
        ops = graph.get_operations()
        first = [op.name for op in ops].index(cases.BIG_SLOT_FIRST)
        return base.nodes([op for op in ops[first:] if op.name.startswith("big/RMSProp")])


def lr_case() -> dict[str, Any]:
    graph = tf1.Graph()
    with graph.as_default():
        step = tf1.placeholder(tf.int64, [], name="step")
        first = len(graph.get_operations())
        tensors = cases.lr_schedules(tf1, step)
        made = graph.get_operations()[first:]
        with tf1.Session() as sess:
            schedules = {
                name: {
                    "tensor": t.name,
                    "values": [float(sess.run(t, {step: s})) for s in cases.LR_STEPS],
                }
                for name, t in tensors.items()
            }
    return {"nodes": base.nodes(made), "schedules": schedules}


def sparse_case(name: str, use_resource: bool) -> dict[str, Any]:
    """Optimizer-scope nodes and slots (ref: the whole update graph), losses, final values."""
    graph = tf1.Graph()
    with graph.as_default():
        run = cases.sparse_graph(tf1, name, use_resource)
        scope = run["optimizer"].get_name()
        ops = [
            op
            for op in graph.get_operations()
            if op.name == scope or op.name.startswith((scope + "/", "emb/"))
        ]
        feeds = dict(run["feeds"])
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            losses = [
                float(sess.run([run["loss"], run["train_op"]], feeds)[0])
                for _ in range(cases.STEPS)
            ]
            final = {v.op.name: base.value(sess.run(v)) for v in tf1.global_variables()}
    return {"nodes": base.nodes(ops), "losses": losses, "final": final}


def sparse_update_case(
    op_base: str, slots: list[Any], rest: list[Any], attrs: dict[str, Any], resource: bool
) -> dict[str, Any]:
    """Runs SparseApply<op_base> / ResourceSparseApply<op_base> once."""
    graph = tf1.Graph()
    with graph.as_default():
        variables = [
            tf1.Variable(x, name=f"v{i}", use_resource=resource) for i, x in enumerate(slots)
        ]
        op_type = ("ResourceSparseApply" if resource else "SparseApply") + op_base
        names = [a.name for a in base._op_def(op_type).input_arg]
        targets = [v.handle if resource else v._ref() for v in variables]
        args = dict(zip(names, targets + [tf.constant(x) for x in rest]))
        update = getattr(tf.raw_ops, op_type)(**args, **attrs)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            sess.run(update)
            return {"values": [base.value(sess.run(v)) for v in variables]}


def main() -> None:
    out = {
        "tensorflow": tf.__version__,
        "optimizers": {
            f"{name}_{'resource' if res else 'ref'}": optimizer_case(name, res)
            for name, res in cases.CASES
        },
        "big_slot": {"resource" if res else "ref": big_slot_case(res) for res in (False, True)},
        "updates": {
            f"{cid}_{'resource' if res else 'ref'}": base.update_case(b, sl, rest, at, res)
            for cid, b, sl, rest, at in cases.update_cases()
            for res in (False, True)
        },
        "lr": lr_case(),
        "sparse": {
            f"{name}_{'resource' if res else 'ref'}": sparse_case(name, res)
            for name in cases.SPARSE_OPTIMIZERS
            for res in (False, True)
        },
        "sparse_updates": {
            f"{cid}_{'resource' if res else 'ref'}": sparse_update_case(b, sl, rest, at, res)
            for cid, b, sl, rest, at in cases.sparse_update_cases()
            for res in (False, True)
        },
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
