"""``stowflow freeze`` against TF's own ``freeze_graph`` on the same TF-made checkpoint.

TensorFlow builds a small TF1 model (ref variables, and a resource-variable variant), saves
its checkpoint, GraphDef (text and binary) and MetaGraph, and freezes it with
``python -m tensorflow.python.tools.freeze_graph`` (from the MetaGraph for resource variables,
which TF's tool cannot restore from a bare GraphDef). stowflow freezes the same files with
``stowflow freeze``. TensorFlow then imports both frozen graphs and runs them on the same
input: the outputs must be identical, and neither graph may hold a variable.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from stowflow_testlib import DEV_PYTHON_ENV, ROOT

pytestmark = pytest.mark.interop

BUILD = r"""
import json, os, subprocess, sys
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()
v1 = tf.compat.v1
payload = json.load(sys.stdin)
report = {}
for kind in ("ref", "resource"):
    out = os.path.join(payload["root"], kind)
    os.makedirs(out, exist_ok=True)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        use_resource = kind == "resource"
        W = v1.get_variable("W", initializer=np.arange(6, dtype=np.float32).reshape(3, 2),
                            use_resource=use_resource)
        b = v1.get_variable("b", initializer=np.array([0.5, -1.0], np.float32),
                            use_resource=use_resource)
        unused = v1.get_variable("unused", initializer=np.float32(7.0), use_resource=use_resource)
        h = tf.nn.relu(tf.matmul(x, W) + b, name="h")
        y = tf.identity(tf.reduce_sum(h, axis=1) * 0.5, name="y")
        saver = v1.train.Saver()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            sess.run([v1.assign(W, W * 2.0), v1.assign(b, b + 1.0)])
            prefix = saver.save(sess, os.path.join(out, "model.ckpt"), global_step=3)
        v1.train.write_graph(g.as_graph_def(), out, "graph.pbtxt", as_text=True)
        v1.train.write_graph(g.as_graph_def(), out, "graph.pb", as_text=False)
    tf_frozen = os.path.join(out, "tf_frozen.pb")
    # TF's freeze_graph cannot restore resource variables from a bare GraphDef (IndexError in
    # saveable_object_util), so for those its reference freeze starts from the MetaGraph.
    source = (["--input_graph", os.path.join(out, "graph.pbtxt")] if kind == "ref" else
              ["--input_meta_graph", prefix + ".meta", "--input_binary"])
    subprocess.run([sys.executable, "-m", "tensorflow.python.tools.freeze_graph", *source,
                    "--input_checkpoint", prefix, "--output_node_names", "y",
                    "--output_graph", tf_frozen], check=True, capture_output=True)
    report[kind] = {"prefix": prefix, "dir": out}
print("@@STOWFLOW-REPORT@@" + json.dumps(report))
"""

RUN = r"""
import json, sys
import numpy as np
import tensorflow as tf
payload = json.load(sys.stdin)
x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0], [0.0, 0.0, 0.0]], np.float32)
report = {}
for path in payload["graphs"]:
    gd = tf.compat.v1.GraphDef()
    with open(path, "rb") as f:
        gd.ParseFromString(f.read())
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(gd, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            y = sess.run("y:0", {"x:0": x})
    report[path] = {"y": y.tolist(), "dtype": str(y.dtype),
                    "ops": sorted({n.op for n in gd.node}),
                    "nodes": sorted(n.name for n in gd.node)}
print("@@STOWFLOW-REPORT@@" + json.dumps(report))
"""

VARIABLE_OPS = {"VariableV2", "VarHandleOp", "Variable", "ReadVariableOp", "Assign"}


def _freeze(argv: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "stowflow", "freeze", *argv],
        capture_output=True,
        timeout=300,
        env=DEV_PYTHON_ENV,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory, tf_script_runner: Any) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("freeze_interop")
    built = tf_script_runner(BUILD, {"root": str(root)})
    graphs: dict[str, dict[str, str]] = {}
    for kind, info in built.items():
        out = Path(info["dir"])
        variants = {
            "tf": [],
            "text": ["--input_graph", str(out / "graph.pbtxt")],
            "binary": ["--input_graph", str(out / "graph.pb"), "--input_binary"],
            "meta": ["--input_meta_graph", info["prefix"] + ".meta", "--input_binary"],
        }
        graphs[kind] = {}
        for name, argv in variants.items():
            path = out / f"{name}_frozen.pb"
            if argv:
                _freeze([*argv, "--input_checkpoint", info["prefix"], "--output_node_names", "y",
                         "--output_graph", str(path)])  # fmt: skip
            graphs[kind][name] = str(path)
    every = [p for kinds in graphs.values() for p in kinds.values()]
    return {"graphs": graphs, "tf": tf_script_runner(RUN, {"graphs": every})}


@pytest.mark.parametrize("kind", ["ref", "resource"])
@pytest.mark.parametrize("variant", ["text", "binary", "meta"])
def test_tf_runs_stowflow_frozen_graph_like_its_own(
    frozen: dict[str, Any], kind: str, variant: str
) -> None:
    graphs, results = frozen["graphs"][kind], frozen["tf"]
    ours, theirs = results[graphs[variant]], results[graphs["tf"]]
    assert ours["y"] == theirs["y"] and ours["dtype"] == theirs["dtype"] == "float32"
    w = np.arange(6, dtype=np.float32).reshape(3, 2) * 2.0
    b = np.array([1.5, 0.0], np.float32)
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0], [0.0, 0.0, 0.0]], np.float32)
    assert theirs["y"] == (np.maximum(x @ w + b, 0).sum(axis=1) * 0.5).tolist()
    assert not VARIABLE_OPS & set(ours["ops"]), ours["ops"]
    assert "unused" not in ours["nodes"]
    assert set(ours["nodes"]) == set(theirs["nodes"])
