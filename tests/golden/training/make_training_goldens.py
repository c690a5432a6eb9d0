"""Makes training_goldens.json: TF's gradient graphs, gradient values and training runs.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/training/make_training_goldens.py

For every case of ``cases.py`` it builds the graph with ``tf.compat.v1`` (TF1 behaviour:
ref variables unless ``use_resource``), records the nodes ``tf.compat.v1.gradients`` adds
(name, op type, inputs, control inputs) and the gradient values; for every optimizer case
it records the whole graph's nodes, the global variables, and the loss before each of 20
``minimize`` steps plus the final variable values. Values are JSON float lists. No pickle.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import numpy as np
import tensorflow as tf
from google.protobuf import text_format

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cases  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_v2_behavior()
OUT = os.path.join(HERE, "training_goldens.json")


def nodes(ops: list[Any]) -> list[list[Any]]:
    """[name, op type, inputs, control inputs, {attr: AttrValue in text format}] per op."""
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


def value(x: Any) -> dict[str, Any]:
    x = np.asarray(x)
    return {"dtype": str(x.dtype), "shape": list(x.shape), "data": x.reshape(-1).tolist()}


def gradient_case(build: Any) -> dict[str, Any]:
    graph = tf1.Graph()
    with graph.as_default():
        case = build(tf1)
        first = len(graph.get_operations())
        grads = tf1.gradients(
            case["ys"],
            case["xs"],
            grad_ys=case.get("grad_ys"),
            stop_gradients=case.get("stop_gradients"),
        )
        added = graph.get_operations()[first:]
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            feeds = dict(case["feeds"])
            got = sess.run([g for g in grads if g is not None], feeds)
        it = iter(got)
        return {
            "nodes": nodes(added),
            "grads": [None if g is None else g.name for g in grads],
            "values": [None if g is None else value(next(it)) for g in grads],
        }


def optimizer_case(kind: str, use_resource: bool) -> dict[str, Any]:
    graph = tf1.Graph()
    with graph.as_default():
        run = cases.training_graph(tf1, kind, use_resource)
        loss = run["ys"][0]
        feeds = dict(run["feeds"])
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            losses = [
                float(sess.run([loss, run["train_op"]], feeds)[0]) for _ in range(cases.STEPS)
            ]
            final = {v.op.name: value(sess.run(v)) for v in tf1.global_variables()}
        ops = graph.get_operations()
        # From the global step on: what get_or_create_global_step and minimize add (the
        # initializer op comes later and is left out).
        first = [op.name for op in ops].index("global_step/Initializer/zeros")
        return {
            "nodes": nodes([op for op in ops[first:] if op.name != "init"]),
            "global_variables": [v.op.name for v in tf1.global_variables()],
            "losses": losses,
            "final": final,
        }


def kernel_case(op_type: str, inputs: list[np.ndarray], attrs: dict[str, Any]) -> dict[str, Any]:
    """Runs one raw op on placeholders of unknown shape (the kernel alone judges them)."""
    graph = tf1.Graph()
    with graph.as_default():
        phs = [tf1.placeholder(tf.as_dtype(x.dtype)) for x in inputs]
        names = [a.name for a in _op_def(op_type).input_arg]
        outs = getattr(tf.raw_ops, op_type)(**dict(zip(names, phs)), **attrs)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        with tf1.Session() as sess:
            try:
                got = sess.run(outs, dict(zip(phs, inputs)))
            except tf.errors.OpError as e:
                return {"error": type(e).__name__, "message": _kernel_message(e.message)}
    return {"outputs": [value(x) for x in got]}


def _kernel_message(message: str) -> str:
    """The kernel's own words: TF's session wraps them in a traceback and the node name."""
    core = message.split("\n\t [[")[0]
    return core.split("\nNode: ", 1)[-1].split("\n", 1)[-1]


def _op_def(op_type: str) -> Any:
    from tensorflow.python.framework import op_def_registry

    return op_def_registry.get(op_type)


def update_case(
    base: str, slots: list[np.ndarray], rest: list[Any], attrs: dict[str, Any], resource: bool
) -> dict[str, Any]:
    """Runs Apply<base> / ResourceApply<base> once; returns the variable and slot values."""
    graph = tf1.Graph()
    with graph.as_default():
        variables = [
            tf1.Variable(x, name=f"v{i}", use_resource=resource) for i, x in enumerate(slots)
        ]
        op_type = ("ResourceApply" if resource else "Apply") + base
        names = [a.name for a in _op_def(op_type).input_arg]
        targets = [v.handle if resource else v._ref() for v in variables]
        args = dict(zip(names, targets + [tf.constant(x) for x in rest]))
        update = getattr(tf.raw_ops, op_type)(**args, **attrs)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            sess.run(update)
            return {"values": [value(sess.run(v)) for v in variables]}


def main() -> None:
    out = {
        "tensorflow": tf.__version__,
        "gradients": {name: gradient_case(b) for name, b in cases.GRADIENT_CASES.items()},
        "optimizers": {
            f"{kind}_{'resource' if res else 'ref'}": optimizer_case(kind, res)
            for kind, res in cases.OPTIMIZER_CASES
        },
        "kernels": {cid: kernel_case(op, ins, at) for cid, op, ins, at in cases.kernel_cases()},
        "updates": {
            f"{cid}_{'resource' if res else 'ref'}": update_case(base, sl, rest, at, res)
            for cid, base, sl, rest, at in cases.update_cases()
            for res in (False, True)
        },
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
