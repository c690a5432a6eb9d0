"""A checkpoint stowflow writes after training restores in TensorFlow, slots included."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from stowflow_testlib import run_tf_report

import stowflow as tf

from .nsutil import load_cases, namespace

CASES = load_cases()

TF_RESTORE = r"""
import json, sys
import numpy as np
import tensorflow as tf
sys.path.insert(0, "tests/golden/training")
import cases
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
args = json.loads(sys.stdin.read())
with tf1.Graph().as_default():
    run = cases.training_graph(tf1, args["kind"], False)
    with tf1.Session() as sess:
        tf1.train.Saver().restore(sess, args["prefix"])
        values = {v.op.name: sess.run(v).tolist() for v in tf1.global_variables()}
        loss = float(sess.run(run["ys"][0], dict(run["feeds"])))
keys = sorted(name for name, _ in tf1.train.list_variables(args["prefix"]))
print("@@REPORT@@" + json.dumps({"values": values, "loss": loss, "keys": keys}))
"""


def run_tf(payload: dict[str, str]) -> dict:
    return run_tf_report(TF_RESTORE, json.dumps(payload))  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", ["momentum", "adam"])
def test_trained_checkpoint_restores_in_tensorflow(kind: str, tmp_path: Path) -> None:
    graph = tf.Graph()
    with graph.as_default():
        run = CASES.training_graph(namespace(), kind, False)
        feeds = dict(run["feeds"])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(5):
                sess.run(run["train_op"], feeds)
            ours = {v.op.name: sess.run(v) for v in tf.global_variables()}
            loss = float(sess.run(run["ys"][0], feeds))
            prefix = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
    report = run_tf({"kind": kind, "prefix": prefix})
    slots = {"momentum": ["w1/Momentum"], "adam": ["w1/Adam", "w1/Adam_1", "beta1_power"]}[kind]
    assert set(slots) <= set(report["keys"])
    assert sorted(report["keys"]) == sorted(ours)
    for name, value in ours.items():
        np.testing.assert_allclose(
            np.asarray(report["values"][name]), value, rtol=1e-6, err_msg=name
        )
    assert report["loss"] == pytest.approx(loss, rel=1e-5)
