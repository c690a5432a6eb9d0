"""The seeds' Estimator section runs under stowflow as under TF 2.15 (tf.estimator's last home).

``programs/seed_estimator.py`` trains a custom ``model_fn`` (resuming across ``train`` calls),
reads variables back and exports with the seed's parsing ``serving_input_receiver_fn``. The
golden (``tests/golden/estimator/make_estimator_goldens.py``) is TF 2.15's run: output, model
directory, the export's SignatureDefs and what each signature computes for fixed Examples.
Our export is then loaded by stowflow and by TF 2.21.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import estimator_harness  # tests/estimator, beside this file
import numpy as np
import pytest

from stowflow import saved_model
from stowflow.proto import example_pb2, saved_model_pb2

GOLDEN = json.loads(
    (
        Path(__file__).resolve().parents[1] / "golden" / "estimator" / "estimator_goldens.json"
    ).read_text()
)


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    return estimator_harness.run(
        [sys.executable, "-m", "stowflow.tf1"], str(tmp_path_factory.mktemp("estimator"))
    )


def test_output_matches_tf(ran) -> None:
    assert ran["output"] == GOLDEN["output"]


def test_model_dir_matches_tf(ran) -> None:
    assert ran["model_files"] == GOLDEN["model_files"]


def test_export_signatures_match_tf(ran) -> None:
    data = (Path(ran["export_dir"]) / "saved_model.pb").read_bytes()
    (meta,) = saved_model_pb2.SavedModel.FromString(data).meta_graphs
    assert list(meta.meta_info_def.tags) == ["serve"]
    assert estimator_harness.signatures(meta) == GOLDEN["signatures"]


def test_export_runs_in_stowflow_as_tf_computed(ran) -> None:
    model = saved_model.load(ran["export_dir"])
    serialized = estimator_harness.examples(example_pb2.Example)
    for key, expected in GOLDEN["outputs"].items():
        signature = model.signatures[key]
        (input_key,) = signature.inputs
        got = signature(**{input_key: np.array(serialized, dtype=object)})
        for name, value in expected.items():
            np.testing.assert_allclose(got[name], value, rtol=1e-6, err_msg=f"{key}/{name}")


TF_RUNS_EXPORT = r"""
import json, sys
import tensorflow as tf
tf1 = tf.compat.v1
export_dir, serialized = sys.argv[1], [bytes.fromhex(h) for h in json.loads(sys.argv[2])]
out = {}
with tf.Graph().as_default(), tf1.Session() as sess:
    meta = tf1.saved_model.loader.load(sess, ["serve"], export_dir)
    for key, sig in sorted(meta.signature_def.items()):
        (feed,) = sig.inputs.values()
        names = sorted(sig.outputs)
        values = sess.run([sig.outputs[n].name for n in names], {feed.name: serialized})
        out[key] = {n: v.tolist() for n, v in zip(names, values)}
print(json.dumps(out))
"""


@pytest.mark.interop
def test_tensorflow_runs_our_export(ran) -> None:
    from stowflow_testlib import require_tf_python

    serialized = [s.hex() for s in estimator_harness.examples(example_pb2.Example)]
    proc = subprocess.run(
        [str(require_tf_python()), "-c", TF_RUNS_EXPORT, ran["export_dir"], json.dumps(serialized)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    for key, expected in GOLDEN["outputs"].items():
        for name, value in expected.items():
            np.testing.assert_allclose(got[key][name], value, rtol=1e-6, err_msg=f"{key}/{name}")
