"""Makes parsing_goldens.json: TF's graph and results for the Sparse/RaggedFeature cases of
parsing_cases.py.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/data/make_parsing_goldens.py

Per case, in a fresh TF1 graph with a string placeholder ``serialized`` (shape [None], or
[] for parse_single_example): every node (name, op, inputs, attrs as base64 AttrValue
bytes; Const values left out), then each feature's result (SparseTensor: indices, values,
dense_shape; RaggedTensor: values, row_splits; Tensor: its value), encoded as in the kernel goldens, or the error class and
the message's last line
(without the node's graph context).
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "kernels"))
sys.path.insert(0, str(HERE))

from make_kernel_goldens import encode_array  # noqa: E402
from parsing_cases import CASES  # noqa: E402

v1 = tf.compat.v1
v1.disable_eager_execution()
OUT = HERE / "parsing_goldens.json"


def dump_nodes(graph_def: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": n.name,
            "op": n.op,
            "inputs": list(n.input),
            "attrs": {
                k: base64.b64encode(v.SerializeToString(deterministic=True)).decode()
                for k, v in sorted(n.attr.items())
                if k != "value"
            },
        }
        for n in graph_def.node
    ]


def run(name: str) -> dict[str, Any]:
    with tf.Graph().as_default() as graph:
        spec, examples, single = CASES[name](v1)
        serialized = v1.placeholder(tf.string, [] if single else [None], name="serialized")
        parse = v1.io.parse_single_example if single else v1.io.parse_example
        parsed = parse(serialized, spec)
        feed = {serialized: examples[0] if single else np.array(examples, dtype=object)}
        with v1.Session() as sess:
            try:
                values = sess.run(parsed, feed)
            except tf.errors.OpError as e:
                lines = [ln for ln in e.message.splitlines() if ln and not ln.startswith("\t")]
                result: Any = {"error": type(e).__name__, "message": lines[-1]}
            else:
                result = {}
                for key, value in values.items():
                    if isinstance(value, v1.ragged.RaggedTensorValue):
                        result[key] = [encode_array(value.values), encode_array(value.row_splits)]
                    elif isinstance(value, v1.SparseTensorValue):
                        parts = [value.indices, value.values, value.dense_shape]
                        result[key] = [encode_array(p) for p in parts]
                    else:
                        result[key] = [encode_array(value)]
        return {"nodes": dump_nodes(graph.as_graph_def()), "keys": list(parsed), "result": result}


def main() -> None:
    goldens = {name: run(name) for name in CASES}
    OUT.write_text(json.dumps(goldens, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(goldens)} cases to {OUT.name}")


if __name__ == "__main__":
    main()
