# Needs TensorFlow 2.15.1 with tensorflow-estimator 2.15.0 (tf.estimator is gone from 2.21):
#   "$(scripts/tf215_venv)" tests/golden/estimator/make_estimator_eval_goldens.py
"""Runs tests/estimator/programs/eval_estimator.py under TF 2.15; records what it did.

Writes ``estimator_eval_goldens.json``: the normalised output, every model directory's
files, the records of the eval event files, the train_and_evaluate exports per exporter,
and the final export's SignatureDefs with their outputs for fixed serialized Examples.
"""

import json
import sys
import tempfile
from pathlib import Path

import tensorflow as tf

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parents[1] / "estimator")]
import eval_harness  # noqa: E402

EXAMPLES = [[1.0, 2.0], [0.5, -3.0], [4.0, 4.0]]

tf1 = tf.compat.v1
with tempfile.TemporaryDirectory() as d:
    result = eval_harness.run([sys.executable], d)
    result["eval_events"] = eval_harness.eval_events(d, tf1.train.summary_iterator)
    export_dir = result.pop("final_export")
    with tf.Graph().as_default(), tf1.Session() as sess:
        meta = tf1.saved_model.loader.load(sess, ["serve"], export_dir)
        result["signatures"] = eval_harness.signatures(meta)
        serialized = []
        for x in EXAMPLES:
            example = tf.train.Example()
            example.features.feature["x"].float_list.value.extend(x)
            serialized.append(example.SerializeToString())
        sig = meta.signature_def["serving_default"]
        (feed,) = sig.inputs.values()
        names = sorted(sig.outputs)
        values = sess.run([sig.outputs[n].name for n in names], {feed.name: serialized})
        result["examples"] = EXAMPLES
        result["final_export_outputs"] = {n: v.tolist() for n, v in zip(names, values)}
(HERE / "estimator_eval_goldens.json").write_text(json.dumps(result, indent=1) + "\n")
print("ok")
