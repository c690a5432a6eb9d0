"""tf.io.parse_example and tf.estimator.export between stowflow and TensorFlow 2.21.

One TensorFlow subprocess:

1. TF builds the same parse_example specs (and the parsing serving receiver) that stowflow
   builds; the GraphDefs must be equal node for node (names, inputs, attrs, Const values);
2. TF imports stowflow's GraphDefs with ``tf.import_graph_def`` and runs them on the same
   serialized Examples; outputs must be identical (dtype, shape, bytes);
3. TF's ``export_output`` classes build SignatureDefs for the same tensors; the protos must
   be equal field by field.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest
from stowflow_testlib import assert_bitwise_equal

import stowflow as tf
from stowflow.graph.sparse import SparseTensor
from stowflow.proto import graph_pb2, meta_graph_pb2

pytestmark = pytest.mark.interop

# Shared verbatim by both sides: ``tf`` is stowflow or tf.compat.v1.
SPEC_SRC = """
def build(tf, which):
    s = tf.placeholder(tf.string, [None], name="s")
    if which == "mixed":
        return tf.parse_example(s, {
            "a": tf.FixedLenFeature([2], tf.float32, default_value=[1.0, 2.0]),
            "b": tf.VarLenFeature(tf.int64),
            "c": tf.FixedLenSequenceFeature([2], tf.int64, allow_missing=True, default_value=-1),
            "d": tf.FixedLenFeature([], tf.string, default_value="dflt"),
            "e x": tf.FixedLenFeature([], tf.int64, default_value=7),
            "f": tf.FixedLenSequenceFeature([], tf.float32, allow_missing=True),
            "g": tf.VarLenFeature(tf.string),
            "h": tf.FixedLenFeature([2, 2], tf.int64, default_value=[[1, 2], [3, 4]]),
        })
    if which == "named":
        names = tf.placeholder(tf.string, [None], name="names")
        return tf.parse_example(s, {
            "w": tf.VarLenFeature(tf.float32),
            "r": tf.FixedLenFeature([3], tf.float32, default_value=[0.5, 0.25, 0.0]),
        }, name="parse", example_names=names)
    if which == "single":
        one = tf.placeholder(tf.string, [], name="one")
        return tf.parse_single_example(one, {
            "v": tf.VarLenFeature(tf.int64),
            "a": tf.FixedLenFeature([2], tf.float32),
            "q": tf.FixedLenSequenceFeature([2], tf.string, allow_missing=True),
        })
    raise KeyError(which)


def build_receiver_tf(tf):
    # What tensorflow_estimator's build_parsing_serving_input_receiver_fn does.
    ex = tf.placeholder(dtype=tf.string, shape=[None], name="input_example_tensor")
    return tf.parse_example(ex, SERVING_SPEC(tf))


def SERVING_SPEC(tf):
    return {"x": tf.FixedLenFeature([3], tf.float32), "k": tf.VarLenFeature(tf.string)}


def build_sigs(tf, eo):
    ex = tf.placeholder(tf.string, [None], name="input_example_tensor")
    scores = tf.placeholder(tf.float32, [None, 3], name="scores")
    classes = tf.placeholder(tf.string, [None, 3], name="classes")
    value = tf.placeholder(tf.float32, None, name="value")
    x = tf.placeholder(tf.int64, [2, None], name="x")
    return {
        "classify": eo.ClassificationOutput(scores=scores, classes=classes).as_signature_def(
            {"examples": ex}),
        "classify_scores": eo.ClassificationOutput(scores=scores).as_signature_def({"e": ex}),
        "classify_classes": eo.ClassificationOutput(classes=classes).as_signature_def(
            {"e": ex}),
        "regress": eo.RegressionOutput(value).as_signature_def({"examples": ex}),
        "predict": eo.PredictOutput({"out": scores, "v": value}).as_signature_def(
            {"examples": ex, "x": x}),
        "predict_single": eo.PredictOutput(scores).as_signature_def({"x": x}),
    }
"""

WHICH = ("mixed", "named", "single")

TF_SCRIPT = r"""
import base64, json, sys
import numpy as np
import tensorflow as tf
from tensorflow.python.saved_model.model_utils import export_output as eo
tf1 = tf.compat.v1
tf1.disable_eager_execution()
payload = json.load(sys.stdin)
exec(payload["src"])

def b64(raw):
    return base64.b64encode(raw).decode("ascii")

def enc(v):
    a = np.asarray(v)
    if a.dtype == object:
        return {"strings": [b64(bytes(x)) for x in a.reshape(-1)], "shape": list(a.shape)}
    return {"dtype": str(a.dtype), "shape": list(a.shape), "b64": b64(a.tobytes())}

report = {"graphs": {}, "runs": {}, "sigs": {}}
for which in payload["which"]:
    g = tf.Graph()
    with g.as_default():
        build(tf1, which)
    report["graphs"][which] = b64(g.as_graph_def().SerializeToString())
g = tf.Graph()
with g.as_default():
    build_receiver_tf(tf1)
report["graphs"]["receiver"] = b64(g.as_graph_def().SerializeToString())

for which, run in payload["runs"].items():
    g = tf.Graph()
    with g.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(base64.b64decode(run["graph"])), name="")
        feeds = {k: [base64.b64decode(x) for x in v] if isinstance(v, list)
                 else base64.b64decode(v) for k, v in run["feeds"].items()}
        with tf1.Session(graph=g) as sess:
            values = sess.run(run["fetches"], feeds)
    report["runs"][which] = [enc(v) for v in values]

g = tf.Graph()
with g.as_default():
    for key, sig in build_sigs(tf1, eo).items():
        report["sigs"][key] = b64(sig.SerializeToString())
print("@@STOWFLOW-REPORT@@" + json.dumps(report))
"""

ns: dict[str, Any] = {}
exec(SPEC_SRC, ns)  # noqa: S102 - our own test source, shared with the TF side


def _example(**features: Any) -> bytes:
    ex = tf.train.Example()
    for key, values in features.items():
        feature = ex.features.feature[key]
        if values is None:
            feature.SetInParent()  # a Feature with no kind: "missing"
        elif not values:
            feature.int64_list.SetInParent()
        elif all(isinstance(v, bytes) for v in values):
            feature.bytes_list.value.extend(values)
        elif all(isinstance(v, int) for v in values):
            feature.int64_list.value.extend(values)
        else:
            feature.float_list.value.extend(values)
    return ex.SerializeToString()


UNPACKED_INTS = (  # Example{h: int64_list unpacked [5, 6, 7, 8]} - TF accepts it [FORMATS §6.2]
    b"\x0a\x11\x0a\x0f\x0a\x01h\x12\x0a\x1a\x08\x08\x05\x08\x06\x08\x07\x08\x08"
)

BATCHES = {
    "mixed": {
        "s": [
            _example(a=[0.5, -1.5], b=[1, 2, 3], c=[1, 2, 3, 4], d=[b"x"], f=[1.0, 2.0, 3.0]),
            _example(b=[], g=[b"", b"zz"], h=[9, 8, 7, 6], c=None),
            _example(a=None, f=[4.0]) + _example(b=[10]),  # concatenation merges
            UNPACKED_INTS,
            b"",
        ]
    },
    "named": {
        "s": [_example(w=[1.5]), _example(r=[1.0, 2.0, 3.0]), _example(w=None)],
        "names": [b"first", b"second", b"third"],
    },
    "single": {"one": _example(v=[4, 5, -6], a=[1.0, 2.0], q=[b"p", b"q", b"r", b"s"])},
}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _flat(outputs: dict[str, Any]) -> list[Any]:
    flat: list[Any] = []
    for value in outputs.values():
        flat.extend(value.parts if isinstance(value, SparseTensor) else [value])
    return flat


def _build_ours(which: str) -> tuple[Any, list[Any], list[np.ndarray]]:
    graph = tf.Graph()
    with graph.as_default():
        fetches = _flat(ns["build"](tf, which))
        feeds = {f"{k}:0": v for k, v in BATCHES[which].items()}
        with tf.Session(graph=graph) as sess:
            values = sess.run(fetches, feeds)
    return graph, fetches, [np.asarray(v) for v in values]


def _dec(spec: dict[str, Any]) -> np.ndarray:
    if "strings" in spec:
        flat = np.empty(len(spec["strings"]), dtype=object)
        flat[:] = [base64.b64decode(s) for s in spec["strings"]]
        return flat.reshape(spec["shape"])
    raw = base64.b64decode(spec["b64"])
    return np.frombuffer(raw, dtype=np.dtype(spec["dtype"])).reshape(spec["shape"]).copy()


@pytest.fixture(scope="module")
def session_report(tf_script_runner: Any) -> dict[str, Any]:
    ours: dict[str, Any] = {}
    runs = {}
    for which in WHICH:
        graph, fetches, values = _build_ours(which)
        ours[which] = (graph, values)
        feeds = {
            f"{k}:0": [_b64(x) for x in v] if isinstance(v, list) else _b64(v)
            for k, v in BATCHES[which].items()
        }
        runs[which] = {
            "graph": _b64(graph.as_graph_def().SerializeToString()),
            "fetches": [t.name for t in fetches],
            "feeds": feeds,
        }
    report = tf_script_runner(TF_SCRIPT, {"src": SPEC_SRC, "which": list(WHICH), "runs": runs})
    return {"ours": ours, "tf": report}


def _assert_same_graph(ours: Any, theirs_b64: str) -> None:
    theirs = graph_pb2.GraphDef.FromString(base64.b64decode(theirs_b64))
    mine = graph_pb2.GraphDef.FromString(ours.as_graph_def().SerializeToString())
    assert [n.name for n in mine.node] == [n.name for n in theirs.node]
    for a, b in zip(mine.node, theirs.node, strict=True):
        assert a == b, f"NodeDef differs:\nstowflow:\n{a}\nTensorFlow:\n{b}"


@pytest.mark.parametrize("which", WHICH)
def test_graph_matches_tf(session_report: dict[str, Any], which: str) -> None:
    graph, _ = session_report["ours"][which]
    _assert_same_graph(graph, session_report["tf"]["graphs"][which])


def test_parsing_serving_receiver_graph_matches_tf(session_report: dict[str, Any]) -> None:
    graph = tf.Graph()
    with graph.as_default():
        fn = tf.estimator.export.build_parsing_serving_input_receiver_fn(ns["SERVING_SPEC"](tf))
        receiver = fn()
    assert list(receiver.receiver_tensors) == ["examples"]
    assert receiver.receiver_tensors["examples"].name == "input_example_tensor:0"
    _assert_same_graph(graph, session_report["tf"]["graphs"]["receiver"])


@pytest.mark.parametrize("which", WHICH)
def test_tf_runs_our_graph_identically(session_report: dict[str, Any], which: str) -> None:
    _, values = session_report["ours"][which]
    theirs = [_dec(s) for s in session_report["tf"]["runs"][which]]
    assert len(values) == len(theirs)
    for i, (mine, tf_value) in enumerate(zip(values, theirs, strict=True)):
        assert_bitwise_equal(mine, tf_value, f"{which} output {i}")


def test_signature_defs_match_tf(session_report: dict[str, Any]) -> None:
    graph = tf.Graph()
    with graph.as_default():
        ours = ns["build_sigs"](tf, tf.estimator.export)
    theirs = session_report["tf"]["sigs"]
    assert sorted(ours) == sorted(theirs)
    for key, sig in ours.items():
        expected = meta_graph_pb2.SignatureDef.FromString(base64.b64decode(theirs[key]))
        assert sig == expected, f"{key}:\nstowflow:\n{sig}\nTensorFlow:\n{expected}"
