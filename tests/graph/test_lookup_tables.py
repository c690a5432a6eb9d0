"""Lookup tables and resource-variable updates against TensorFlow, step by step.

Each scenario in tests/golden/kernels/string_sparse_goldens.json ("tables", made by
make_string_sparse_goldens.py with TensorFlow 2.21) is a TF1 GraphDef and a list of
session.run steps with TF's outputs or error. We import the same GraphDef, run the same
steps in one stowflow Session and compare every output and error.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_kernels import assert_same, decode_array

import stowflow as tf
from stowflow import errors
from stowflow.graph.importer import import_graph_def
from stowflow.proto import graph_pb2

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "kernels" / "string_sparse_goldens.json"
SCENARIOS: list[dict[str, Any]] = json.loads(GOLDEN.read_text())["tables"]


def _core_message(message: str) -> str:
    """The kernel's own words inside the Session's TF-style wrapping."""
    lines = message.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("\t [[") and i:
            return lines[i - 1]
    return lines[-1]


def _sorted_by_key(values: list[np.ndarray]) -> list[np.ndarray]:
    order = np.argsort(values[0], kind="stable")
    return [v[order] for v in values[:2]] + values[2:]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_table_scenario_matches_tensorflow(scenario: dict[str, Any]) -> None:
    graph_def = graph_pb2.GraphDef.FromString(base64.b64decode(scenario["graph_def"]))
    graph = tf.Graph()
    with graph.as_default():
        import_graph_def(graph_def, name="")
    with tf.Session(graph=graph) as sess:
        for n, step in enumerate(scenario["steps"]):
            where = f"{scenario['name']} step {n} ({step['target']})"
            fetches = step["fetches"] or step["target"]
            if "error" in step:
                with pytest.raises(getattr(errors, step["error"])) as info:
                    sess.run(fetches)
                assert _core_message(info.value.message) == step["message"], where
                continue
            got = sess.run(fetches)
            if not step["fetches"]:
                continue
            got = _sorted_by_key(list(got)) if step["sort"] else list(got)
            assert len(got) == len(step["outputs"]), where
            for g, w in zip(got, step["outputs"], strict=True):
                assert_same(np.asarray(g), decode_array(w), where)


def test_tables_are_per_session_and_shared_by_name() -> None:
    graph = tf.Graph()
    with graph.as_default():
        from stowflow.graph.builder import apply_op

        dtypes = {"key_dtype": tf.string, "value_dtype": tf.int64, "shared_name": "shared"}
        first = apply_op("MutableHashTableV2", {}, dtypes, name="first")[0]
        second = apply_op("MutableHashTableV2", {}, dtypes, name="second")[0]
        insert = apply_op(
            "LookupTableInsertV2",
            {
                "table_handle": first,
                "keys": tf.constant(["k"]),
                "values": tf.constant(np.array([7], np.int64)),
            },
            {},
        )
        size = apply_op("LookupTableSizeV2", {"table_handle": second}, {})[0]
    with tf.Session(graph=graph) as sess:
        sess.run(insert)
        assert sess.run(size) == 1  # same shared_name: one table
    with tf.Session(graph=graph) as sess:
        assert sess.run(size) == 0  # a new Session starts with fresh tables


# --------------------------------------------------------------------------- TextVectorization

TEXT_VECTORIZATION_SCRIPT = r"""
import json, os, sys
import numpy as np, tensorflow as tf, keras
payload = json.load(sys.stdin)
data = tf.constant(["The quick brown fox", "jumps over the lazy dog!", "héllo wörld", "the fox"])
report = {}
for tag, kw in payload["variants"].items():
    layer = keras.layers.TextVectorization(max_tokens=50, **kw)
    layer.adapt(data)
    inp = keras.Input(shape=(), dtype="string", name="text")
    model = keras.Model(inp, layer(inp))
    model.export(os.path.join(payload["dir"], tag), verbose=False)
    report[tag] = np.asarray(model(tf.constant(payload["probe"]))).tolist()
print("@@REPORT@@" + json.dumps(report))
"""

# Between them these use every op a TextVectorization export needs: HashTableV2,
# LookupTableImportV2/FindV2/ExportV2, MutableHashTableV2, StringLower, StaticRegexReplace,
# StringSplitV2, RaggedTensorToTensor, StringNGrams, UnicodeDecode/Encode, RaggedBincount.
TEXT_VARIANTS = {
    "int_seq": {"output_mode": "int", "output_sequence_length": 6},
    "tf_idf": {"output_mode": "tf_idf"},
    "multi_hot": {"output_mode": "multi_hot"},
    "ngrams": {"output_mode": "int", "ngrams": 2, "output_sequence_length": 8},
    "chars": {"output_mode": "int", "split": "character", "output_sequence_length": 10},
}


def _run_tf(script: str, payload: dict[str, Any]) -> Any:
    """Runs ``script`` under the TF oracle (payload on stdin); returns its @@REPORT@@ JSON."""
    import os
    import subprocess

    from stowflow_testlib import require_tf_python

    python = require_tf_python()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [str(python), "-c", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith("@@REPORT@@"))
    return json.loads(line[len("@@REPORT@@") :])


@pytest.mark.interop
@pytest.mark.slow
def test_keras_text_vectorization_exports_run_as_in_tensorflow(tmp_path: Path) -> None:
    from stowflow import saved_model

    probe = ["the fox", "unknown WORDS here!", "", "QUICK brown fox fox"]
    payload = {"dir": str(tmp_path), "variants": TEXT_VARIANTS, "probe": probe}
    expected = _run_tf(TEXT_VECTORIZATION_SCRIPT, payload)
    assert sorted(expected) == sorted(TEXT_VARIANTS)
    for tag, want in expected.items():
        model = saved_model.load(str(tmp_path / tag))
        got = list(model.signatures["serving_default"](text=probe).values())[0]
        np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want), err_msg=tag)


# --------------------------------------------------------------------------- feature columns

FEATURE_COLUMN_SCRIPT = r"""
import json, os, sys
import numpy as np, tensorflow as tf
v1 = tf.compat.v1
v1.disable_eager_execution()
fc = v1.feature_column
payload = json.load(sys.stdin)
graph = tf.Graph()
with graph.as_default():
    v1.set_random_seed(1)
    feats = {
        "city": v1.placeholder(tf.string, [None, 2], name="city"),
        "word": v1.placeholder(tf.string, [None, 3], name="word"),
        "age": v1.placeholder(tf.float32, [None, 1], name="age"),
        "uid": v1.placeholder(tf.int64, [None, 1], name="uid"),
    }
    city = fc.categorical_column_with_vocabulary_list("city", ["sf", "nyc", "la"], num_oov_buckets=2)
    word = fc.categorical_column_with_hash_bucket("word", 50)
    uid = fc.categorical_column_with_hash_bucket("uid", 30, dtype=tf.int64)
    age = fc.bucketized_column(fc.numeric_column("age"), [18.0, 30.0, 50.0])
    cross = fc.crossed_column([city, "word"], 40)
    cross2 = fc.crossed_column([age, "uid"], 20)
    columns = [
        fc.embedding_column(word, 4, combiner="mean"),
        fc.embedding_column(city, 3, combiner="sqrtn"),
        fc.indicator_column(cross),
        fc.embedding_column(cross2, 2, combiner="sum"),
        age,
        fc.numeric_column("age"),
    ]
    net = fc.input_layer(feats, columns)
    linear = fc.linear_model(feats, [word, city, uid, cross, cross2, age])
    out = tf.identity(tf.concat([net, linear], 1), name="out")
    with v1.Session() as sess:
        sess.run([v1.global_variables_initializer(), v1.tables_initializer()])
        feed = {graph.get_tensor_by_name(k + ":0"): v for k, v in payload["feed"].items()}
        result = sess.run(out, feed)
        frozen = v1.graph_util.convert_variables_to_constants(
            sess, graph.as_graph_def(), ["out", "init_all_tables"]
        )
with open(payload["path"], "wb") as f:
    f.write(frozen.SerializeToString())
ops = sorted({n.op for n in frozen.node})
print("@@REPORT@@" + json.dumps({"out": result.tolist(), "ops": ops}))
"""

FEATURES = {
    "city": [["sf", ""], ["boston", "la"], ["", ""]],
    "word": [["a", "b", ""], ["", "", ""], ["x", "yy", "zzz"]],
    "age": [[10.0], [35.0], [70.0]],
    "uid": [[5], [-1], [123456]],
}


@pytest.mark.interop
def test_tf1_feature_column_graph_runs_as_in_tensorflow(tmp_path: Path) -> None:
    """Hash buckets, a vocabulary table, crosses, buckets and embeddings, frozen by TF."""
    path = tmp_path / "feature_columns.pb"
    expected = _run_tf(FEATURE_COLUMN_SCRIPT, {"path": str(path), "feed": FEATURES})
    for op in ("SparseCross", "StringToHashBucketFast", "Bucketize", "SparseSegmentSqrtN"):
        assert op in expected["ops"]
    graph = tf.Graph()
    with graph.as_default():
        import_graph_def(graph_pb2.GraphDef.FromString(path.read_bytes()), name="")
    feed = {
        "city:0": np.array(FEATURES["city"], dtype=object),
        "word:0": np.array(FEATURES["word"], dtype=object),
        "age:0": np.array(FEATURES["age"], dtype=np.float32),
        "uid:0": np.array(FEATURES["uid"], dtype=np.int64),
    }
    with tf.Session(graph=graph) as sess:
        sess.run("init_all_tables")
        got = sess.run("out:0", feed)
    np.testing.assert_allclose(got, np.array(expected["out"]), rtol=1e-5, atol=1e-6)
