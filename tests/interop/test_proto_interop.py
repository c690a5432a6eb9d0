"""TensorFlow and stowflow.proto in one process: no symbol clash, and bytes round-trip both ways.

Runs ONE subprocess under the TensorFlow venv (STOWFLOW_TF_PYTHON, else
~/.cache/stowflow/tf-2.21.0/bin/python) with PYTHONPATH set to this repo. It builds messages
with TensorFlow's classes, parses the bytes with ours and re-serializes them deterministically
(must be byte-identical, with no unknown fields), and builds messages with ours for TF to read.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from stowflow_testlib import DEV_PYTHON_ENV

pytestmark = pytest.mark.interop

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import importlib
import json
import pkgutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf
from google.protobuf import text_format
from tensorflow.core.protobuf import fingerprint_pb2 as tf_fingerprint_pb2
from tensorflow.core.protobuf import saved_model_pb2 as tf_saved_model_pb2
from tensorflow.core.protobuf import trackable_object_graph_pb2 as tf_tog_pb2

import stowflow.proto
import stowflow.proto.serving

# Import every generated module next to TensorFlow: a package clash would raise here.
for pkg in (stowflow.proto, stowflow.proto.serving):
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.endswith("_pb2"):
            importlib.import_module(f"{pkg.__name__}.{info.name}")

from stowflow.proto import (  # noqa: E402
    checkpoint_state_pb2, example_pb2, fingerprint_pb2, graph_pb2, meta_graph_pb2,
    saved_model_pb2, tensor_pb2, trackable_object_graph_pb2,
)
from stowflow.proto.serving import predict_pb2  # noqa: E402

results = {}


def text(msg):
    # Unknown fields print as bare numbers, so a field we lack shows up as a text difference.
    return text_format.MessageToString(msg, print_unknown_fields=True)


def tf_to_ours(label, tf_msg, ours_cls):
    data = tf_msg.SerializeToString(deterministic=True)
    ours = ours_cls.FromString(data)
    again = ours.SerializeToString(deterministic=True)
    tf_text = text(tf_msg).replace("tensorflow.", "stowflow.")
    results[label] = {
        "bytes": len(data),
        "same_bytes": again == data,
        "same_text": text(ours) == tf_text or text(ours) == text(tf_msg),
    }


def ours_to_tf(label, ours_msg, tf_cls):
    data = ours_msg.SerializeToString(deterministic=True)
    theirs = tf_cls.FromString(data)
    results[label] = {
        "bytes": len(data),
        "same_bytes": theirs.SerializeToString(deterministic=True) == data,
        "same_text": True,
    }
    return theirs


tmp = Path(tempfile.mkdtemp())

# GraphDef / MetaGraphDef from a TF1 graph with variables, a saver and collections.
g = tf.Graph()
with g.as_default():
    x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
    w = tf.compat.v1.get_variable("w", [3, 2], initializer=tf.compat.v1.ones_initializer())
    b = tf.compat.v1.get_variable("b", [2], dtype=tf.float64)
    y = tf.matmul(x, w, name="y")
    tf.identity(tf.cast(y, tf.float64) + b, name="z")
    tf.constant(["a", "bc"], name="strings")
    tf.compat.v1.add_to_collection("my_floats", 1.5)
    tf.compat.v1.add_to_collection("my_ints", 7)
    tf.compat.v1.train.Saver()
    meta = tf.compat.v1.train.export_meta_graph(graph=g)
tf_to_ours("GraphDef", g.as_graph_def(), graph_pb2.GraphDef)
tf_to_ours("MetaGraphDef", meta, meta_graph_pb2.MetaGraphDef)

# TensorProtos of several dtypes.
for name, value in {
    "float32": np.arange(6, dtype=np.float32).reshape(2, 3),
    "string": np.array([b"hello", b"", b"x" * 200], dtype=object),
    "int64": np.array([1, -2, 3], dtype=np.int64),
    "half": np.array([1.5, -2.0], dtype=np.float16),
    "bool": np.array([True, False]),
    "complex64": np.array([1 + 2j], dtype=np.complex64),
}.items():
    tf_to_ours(f"TensorProto[{name}]", tf.make_tensor_proto(value), tensor_pb2.TensorProto)
tf_to_ours("TensorProto[typed]", tf.make_tensor_proto(3.0, shape=[2, 2]), tensor_pb2.TensorProto)

# Example.
ex = tf.train.Example(features=tf.train.Features(feature={
    "f": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0, 2.5])),
    "i": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, -5, 2**40])),
    "s": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"a", b"\xff"])),
}))
tf_to_ours("Example", ex, example_pb2.Example)

# A TF2 SavedModel (object graph, functions, structured signatures) and its fingerprint,
# plus a TF2 checkpoint's object graph and the checkpoint state file.
class Model(tf.Module):
    def __init__(self):
        super().__init__()
        self.v = tf.Variable([1.0, 2.0], name="v")
        self.table = tf.Variable(3, dtype=tf.int64)

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="inp")])
    def __call__(self, inp):
        return {"out": inp * self.v, "n": self.table}

model = Model()
sm_dir = tmp / "sm"
tf.saved_model.save(model, str(sm_dir), signatures=model.__call__)
tf_sm = tf_saved_model_pb2.SavedModel.FromString((sm_dir / "saved_model.pb").read_bytes())
tf_to_ours("SavedModel", tf_sm, saved_model_pb2.SavedModel)
if (sm_dir / "fingerprint.pb").exists():
    tf_fp = tf_fingerprint_pb2.FingerprintDef.FromString((sm_dir / "fingerprint.pb").read_bytes())
    tf_to_ours("FingerprintDef", tf_fp, fingerprint_pb2.FingerprintDef)

ckpt = tf.train.Checkpoint(model=model, step=tf.Variable(5))
manager = tf.train.CheckpointManager(ckpt, str(tmp / "ckpt"), max_to_keep=2)
manager.save()
path = manager.save()
raw = tf.train.load_checkpoint(path).get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH")
tf_to_ours("TrackableObjectGraph", tf_tog_pb2.TrackableObjectGraph.FromString(raw),
           trackable_object_graph_pb2.TrackableObjectGraph)
tf_to_ours("CheckpointState", tf.train.get_checkpoint_state(str(tmp / "ckpt")),
           checkpoint_state_pb2.CheckpointState)
state_text = (tmp / "ckpt" / "checkpoint").read_text()
ours_state = text_format.Parse(state_text, checkpoint_state_pb2.CheckpointState())
tf_state_cls = type(tf.train.get_checkpoint_state(str(tmp / "ckpt")))
tf_state = text_format.Parse(state_text, tf_state_cls())
results["CheckpointState[text]"] = {
    "bytes": len(state_text),
    "same_bytes": ours_state.SerializeToString() == tf_state.SerializeToString(),
    "same_text": len(ours_state.all_model_checkpoint_paths) == 2,
}

# The other direction: build with ours, let TensorFlow read and interpret.
ours_t = tensor_pb2.TensorProto(dtype=1, tensor_content=np.arange(4, dtype="<f4").tobytes())
ours_t.tensor_shape.dim.add(size=2)
ours_t.tensor_shape.dim.add(size=2)
tf_t = ours_to_tf("ours TensorProto", ours_t, tf.make_tensor_proto(0).__class__)
results["ours TensorProto"]["same_text"] = tf.make_ndarray(tf_t).tolist() == [[0, 1], [2, 3]]

ours_ex = example_pb2.Example()
ours_ex.features.feature["v"].float_list.value.extend([0.5, 1.5])
ours_ex.features.feature["k"].bytes_list.value.append(b"key")
ours_to_tf("ours Example", ours_ex, tf.train.Example)
parsed = tf.io.parse_single_example(ours_ex.SerializeToString(), {
    "v": tf.io.FixedLenFeature([2], tf.float32), "k": tf.io.FixedLenFeature([], tf.string)})
results["ours Example"]["same_text"] = (
    parsed["v"].numpy().tolist() == [0.5, 1.5] and parsed["k"].numpy() == b"key")

ours_graph = graph_pb2.GraphDef()
ours_graph.CopyFrom(graph_pb2.GraphDef.FromString(g.as_graph_def().SerializeToString()))
tf_graph = ours_to_tf("ours GraphDef", ours_graph, tf.compat.v1.GraphDef)
with tf.Graph().as_default() as g2:
    tf.graph_util.import_graph_def(tf_graph, name="")
results["ours GraphDef"]["same_text"] = g2.get_tensor_by_name("z:0").dtype == tf.float64

# A serving message carrying a TF core message (TensorProto inside a map) parses in TF's class.
req = predict_pb2.PredictRequest()
req.model_spec.name = "m"
req.model_spec.version.value = 3
req.inputs["x"].CopyFrom(ours_t)
results["PredictRequest.inputs"] = {
    "bytes": 0, "same_bytes": True,
    "same_text": tf.make_ndarray(tf_t.__class__.FromString(
        req.inputs["x"].SerializeToString())).shape == (2, 2),
}

json.dump(results, sys.stdout)
"""


def _tf_python() -> Path:
    env = os.environ.get("STOWFLOW_TF_PYTHON")
    return Path(env) if env else Path.home() / ".cache/stowflow/tf-2.21.0/bin/python"


@pytest.fixture(scope="module")
def interop_results() -> dict:
    python = _tf_python()
    if not python.exists():
        pytest.skip(f"TensorFlow venv not found at {python} (set STOWFLOW_TF_PYTHON)")
    env = {**DEV_PYTHON_ENV, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [str(python), "-c", SCRIPT], capture_output=True, text=True, timeout=600, env=env
    )
    if proc.returncode != 0:
        missing = re.search(r"No module named '(tensorflow|numpy|google)[.']", proc.stderr)
        if missing:
            pytest.skip(f"{python} cannot import tensorflow ({missing.group(0)})")
        pytest.fail(f"interop subprocess failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


EXPECTED = [
    "GraphDef",
    "MetaGraphDef",
    "TensorProto[float32]",
    "TensorProto[string]",
    "TensorProto[int64]",
    "TensorProto[half]",
    "TensorProto[bool]",
    "TensorProto[complex64]",
    "TensorProto[typed]",
    "Example",
    "SavedModel",
    "FingerprintDef",
    "TrackableObjectGraph",
    "CheckpointState",
    "CheckpointState[text]",
    "ours TensorProto",
    "ours Example",
    "ours GraphDef",
    "PredictRequest.inputs",
]


@pytest.mark.parametrize("label", EXPECTED)
def test_round_trip(label: str, interop_results: dict) -> None:
    result = interop_results.get(label)
    assert result is not None, f"case {label} did not run; got {sorted(interop_results)}"
    assert result["same_bytes"], f"{label}: bytes differ after re-serialization"
    assert result["same_text"], f"{label}: contents differ (or unknown fields present)"


def test_non_trivial(interop_results: dict) -> None:
    assert interop_results["SavedModel"]["bytes"] > 1000
    assert interop_results["MetaGraphDef"]["bytes"] > 1000
