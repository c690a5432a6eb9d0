"""Estimator.evaluate, Dataset input_fns, warm_start_from and train_and_evaluate, as in TF 2.15.

``programs/eval_estimator.py`` trains a custom ``model_fn`` (constant initial values) from
``tf.data`` input_fns (one that repeats, one that ends the training at ``OutOfRangeError``),
evaluates it with ``tf.metrics`` (whole input, ``steps=2`` under a name, a given
checkpoint), predicts, warm-starts two more Estimators (a model dir; one variable of a
checkpoint) and runs ``train_and_evaluate`` with a FinalExporter and a LatestExporter. The
golden (``tests/golden/estimator/make_estimator_eval_goldens.py``) is TF 2.15's run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import eval_harness  # tests/estimator, beside this file
import numpy as np
import pytest

from stowflow import saved_model
from stowflow.proto import example_pb2, saved_model_pb2
from stowflow.summary.writer import summary_iterator

HERE = Path(__file__).resolve().parent
GOLDEN = json.loads(
    (HERE.parent / "golden" / "estimator" / "estimator_eval_goldens.json").read_text()
)


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("estimator_eval"))
    result = eval_harness.run([sys.executable, "-m", "stowflow.tf1"], directory)
    result["directory"] = directory
    return result


def test_output_matches_tf(ran) -> None:
    assert ran["output"] == GOLDEN["output"]


def test_returned_metrics_match_tf(ran) -> None:
    def metric_lines(lines):
        return [line for line in lines if "[('accuracy', " in line]

    got = metric_lines(ran["output"])
    assert len(got) == 6
    assert got == metric_lines(GOLDEN["output"])


def test_model_dirs_match_tf(ran) -> None:
    assert ran["model_files"] == GOLDEN["model_files"]


def test_eval_event_files_match_tf(ran) -> None:
    events = eval_harness.eval_events(ran["directory"], summary_iterator)
    assert events == GOLDEN["eval_events"]


def test_exporters_match_tf(ran) -> None:
    assert ran["exports"] == GOLDEN["exports"] == {"final": 1, "latest": 2}
    data = (Path(ran["final_export"]) / "saved_model.pb").read_bytes()
    (meta,) = saved_model_pb2.SavedModel.FromString(data).meta_graphs
    assert eval_harness.signatures(meta) == GOLDEN["signatures"]


def test_final_export_computes_what_tf_computed(ran) -> None:
    model = saved_model.load(ran["final_export"])
    serialized = []
    for x in GOLDEN["examples"]:
        example = example_pb2.Example()
        example.features.feature["x"].float_list.value.extend(x)
        serialized.append(example.SerializeToString())
    got = model.signatures["serving_default"](examples=np.array(serialized, dtype=object))
    for name, value in GOLDEN["final_export_outputs"].items():
        np.testing.assert_allclose(got[name], value, rtol=1e-5, err_msg=name)


TF_RUNS_EXPORT = r"""
import json, sys
import tensorflow as tf
tf1 = tf.compat.v1
export_dir, rows = sys.argv[1], json.loads(sys.argv[2])
serialized = []
for x in rows:
    example = tf.train.Example()
    example.features.feature["x"].float_list.value.extend(x)
    serialized.append(example.SerializeToString())
with tf.Graph().as_default(), tf1.Session() as sess:
    meta = tf1.saved_model.loader.load(sess, ["serve"], export_dir)
    sig = meta.signature_def["serving_default"]
    (feed,) = sig.inputs.values()
    names = sorted(sig.outputs)
    values = sess.run([sig.outputs[n].name for n in names], {feed.name: serialized})
print(json.dumps({n: v.tolist() for n, v in zip(names, values)}))
"""


@pytest.mark.interop
def test_tensorflow_runs_the_final_export(ran) -> None:
    from stowflow_testlib import require_tf_python

    proc = subprocess.run(
        [
            str(require_tf_python()),
            "-c",
            TF_RUNS_EXPORT,
            ran["final_export"],
            json.dumps(GOLDEN["examples"]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, value in GOLDEN["final_export_outputs"].items():
        np.testing.assert_allclose(got[name], value, rtol=1e-5, err_msg=name)
