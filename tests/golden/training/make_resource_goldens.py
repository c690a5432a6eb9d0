"""Makes resource_goldens.json: the graph TF builds for resource variables in TF1 code.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/training/make_resource_goldens.py

Records, for ``resource_cases.variables_graph`` plus a ``tf.train.Saver``, every node
(name, op type, inputs, control inputs, attrs as text), the VariableDefs of the global and
trainable collections, and the fetched values after running the initializer and the
updates. Values are JSON float lists. No pickle.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_training_goldens as base  # noqa: E402 - needs HERE on sys.path
import resource_cases as cases  # noqa: E402

tf, tf1 = base.tf, base.tf1
OUT = os.path.join(HERE, "resource_goldens.json")


def variables_case() -> dict[str, Any]:
    from google.protobuf import text_format

    graph = tf1.Graph()
    with graph.as_default():
        made = cases.variables_graph(tf1)
        tf1.train.Saver()
        init = tf1.global_variables_initializer()
        defs = {
            key: [
                text_format.MessageToString(v.to_proto(), as_one_line=True)
                for v in graph.get_collection(key)
            ]
            for key in ("variables", "trainable_variables")
        }
        with tf1.Session() as sess:
            sess.run(init)
            sess.run(made["updates"])
            values = {k: base.value(sess.run(t)) for k, t in made["fetches"].items()}
        return {
            "nodes": base.nodes(graph.get_operations()),
            "variable_defs": defs,
            "values": values,
        }


def main() -> None:
    out = {"tensorflow": tf.__version__, "variables": variables_case()}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
