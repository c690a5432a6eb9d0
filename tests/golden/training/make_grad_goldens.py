"""Makes grad_goldens.json: TF's gradient graphs and values for the nn/array ops, and
TF's outputs of their backprop kernels (the cases of ``grad_cases.py``).

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/training/make_grad_goldens.py

It reuses ``make_training_goldens.py``'s recorders (graph nodes, values, raw kernel runs)
and adds clip_by_global_norm / clip_by_norm graphs. Values are JSON float lists; no pickle.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import grad_cases  # noqa: E402
import make_training_goldens as base  # noqa: E402

tf1 = base.tf1
OUT = os.path.join(HERE, "grad_goldens.json")


def _record(x: Any) -> Any:
    """A value; an IndexedSlices value as its values, indices and dense shape."""
    if hasattr(x, "indices") and hasattr(x, "dense_shape"):
        return {
            "indexed_slices": [
                base.value(x.values),
                base.value(x.indices),
                base.value(x.dense_shape),
            ]
        }
    return base.value(x)


def kernel_case(op_type: str, inputs: list[Any], attrs: dict[str, Any]) -> dict[str, Any]:
    """``base.kernel_case`` where an input may be a list (a list-typed OpDef argument)."""
    graph = tf1.Graph()
    with graph.as_default():
        feeds = {}

        def ph(x: Any) -> Any:
            p = tf1.placeholder(base.tf.as_dtype(x.dtype))
            feeds[p] = x
            return p

        args = [[ph(v) for v in x] if isinstance(x, list) else ph(x) for x in inputs]
        names = [a.name for a in base._op_def(op_type).input_arg]
        outs = getattr(base.tf.raw_ops, op_type)(**dict(zip(names, args)), **attrs)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        with tf1.Session() as sess:
            try:
                got = sess.run(outs, feeds)
            except base.tf.errors.OpError as e:
                return {"error": type(e).__name__, "message": base._kernel_message(e.message)}
    return {"outputs": [base.value(x) for x in got]}


def forward_case(build: Any) -> dict[str, Any]:
    """Every node of a forward graph and the values of its outputs."""
    graph = tf1.Graph()
    with graph.as_default():
        case = build(tf1)
        with tf1.Session() as sess:
            got = sess.run(case["outputs"], dict(case["feeds"]))
        return {"nodes": base.nodes(graph.get_operations()), "values": [_record(x) for x in got]}


def gradient_case(build: Any) -> dict[str, Any]:
    """``base.gradient_case`` that also records IndexedSlices gradients and passes options."""
    graph = tf1.Graph()
    with graph.as_default():
        case = build(tf1)
        first = len(graph.get_operations())
        grads = tf1.gradients(case["ys"], case["xs"], **case.get("kwargs", {}))
        added = graph.get_operations()[first:]
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            got = sess.run([g for g in grads if g is not None], dict(case["feeds"]))
        it = iter(got)
        return {
            "nodes": base.nodes(added),
            "grads": [None if g is None else g.name for g in grads],
            "values": [None if g is None else _record(next(it)) for g in grads],
        }


def main() -> None:
    out = {
        "tensorflow": base.tf.__version__,
        "gradients": {n: gradient_case(b) for n, b in grad_cases.GRADIENT_CASES.items()},
        "options": {n: gradient_case(b) for n, b in grad_cases.OPTION_CASES.items()},
        "forward": {"clipping": forward_case(grad_cases.clipping)},
        "kernels": {
            cid: kernel_case(op, ins, at) for cid, op, ins, at in grad_cases.kernel_cases()
        },
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
