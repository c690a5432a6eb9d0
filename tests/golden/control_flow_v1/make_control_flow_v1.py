"""Makes control_flow_v1_goldens.json: TF1 ``tf.cond`` / ``tf.while_loop`` / ``tf.case``
graphs (v1 control flow: Switch/Merge/Enter/Exit/NextIteration), their gradients and TF's
results.

NEEDS TENSORFLOW 2.21. Run from the repository root with the oracle venv:

    ~/.cache/stowflow/tf-2.21.0/bin/python tests/golden/control_flow_v1/make_control_flow_v1.py

The cases live in ``cases.py`` (shared with tests/training/test_control_flow_v1.py). Each
case is built twice, without and with gradients, in its own graph; the JSON keeps the
sorted (node name, op type) pairs of each graph, each node's inputs ("^name" for control
inputs), the attrs of the control flow and stack nodes, and the fetched values per feed dict
(nested lists; floats as Python floats, which hold float32 values exactly).
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

import numpy as np
import tensorflow as tf
from google.protobuf import text_format

tf1 = tf.compat.v1
tf1.disable_v2_behavior()
tf1.disable_control_flow_v2()

HERE = os.path.dirname(os.path.abspath(__file__))
_SPEC = importlib.util.spec_from_file_location("cf_v1_cases", os.path.join(HERE, "cases.py"))
cases = importlib.util.module_from_spec(_SPEC)  # type: ignore[arg-type]
_SPEC.loader.exec_module(cases)  # type: ignore[union-attr]


#: Op types whose attrs the golden keeps (frame names, colocation, stack element types).
CONTROL_FLOW_OPS = {
    "Switch",
    "RefSwitch",
    "Merge",
    "RefMerge",
    "Enter",
    "RefEnter",
    "Exit",
    "RefExit",
    "NextIteration",
    "LoopCond",
    "ControlTrigger",
    "StackV2",
    "StackPushV2",
    "StackPopV2",
}


def attr_text(node: Any) -> dict[str, str]:
    """A NodeDef's attrs as one-line text protos."""
    return {k: text_format.MessageToString(v, as_one_line=True) for k, v in node.attr.items()}


def jsonable(value: Any) -> Any:
    """A fetched value as JSON: {"dtype", "value"} with nested lists."""
    array = np.asarray(value)
    return {"dtype": array.dtype.name, "value": array.tolist()}


def run(fn: Any, grads: bool) -> dict[str, Any]:
    graph = tf1.Graph()
    with graph.as_default():
        fetches, feeds = fn(tf1, grads)
        graph_def = graph.as_graph_def()
        nodes = sorted([n.name, n.op] for n in graph_def.node)
        inputs = {n.name: list(n.input) for n in graph_def.node}
        attrs = {n.name: attr_text(n) for n in graph_def.node if n.op in CONTROL_FLOW_OPS}
        init = fetches.pop("__init__", None)
        names = sorted(fetches)
        runs = []
        for feed in feeds:
            with tf1.Session(graph=graph) as sess:
                if init is not None:
                    sess.run(init)
                feed_dict = {graph.get_tensor_by_name(k): v for k, v in feed.items()}
                values = sess.run([fetches[k] for k in names], feed_dict)
            runs.append({k: jsonable(v) for k, v in zip(names, values, strict=True)})
    return {"nodes": nodes, "inputs": inputs, "attrs": attrs, "runs": runs}


def main() -> None:
    out = {
        name: {"forward": run(fn, False), "full": run(fn, True)} for name, fn in cases.CASES.items()
    }
    path = os.path.join(HERE, "control_flow_v1_goldens.json")
    with open(path, "w") as f:
        json.dump({"tf_version": tf.__version__, "cases": out}, f, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
