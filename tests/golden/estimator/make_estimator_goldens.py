# Needs TensorFlow 2.15.1 with tensorflow-estimator 2.15.0 (tf.estimator is gone from 2.21):
#   "$(scripts/tf215_venv)" tests/golden/estimator/make_estimator_goldens.py
"""Runs tests/estimator/programs/seed_estimator.py under TF 2.15; records what it did.

Writes ``estimator_goldens.json``: the normalised output, the model directory's files, the
export's SignatureDefs (method, input/output dtypes and shapes) and every signature's
outputs for ``estimator_harness.INPUTS`` as serialized Examples.
"""

import json
import sys
import tempfile
from pathlib import Path

import tensorflow as tf

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parents[1] / "estimator")]
import estimator_harness  # noqa: E402

tf1 = tf.compat.v1
with tempfile.TemporaryDirectory() as d:
    result = estimator_harness.run([sys.executable], d)
    export_dir = result.pop("export_dir")
    with tf.Graph().as_default(), tf1.Session() as sess:
        meta = tf1.saved_model.loader.load(sess, ["serve"], export_dir)
        result["signatures"] = estimator_harness.signatures(meta)
        serialized = estimator_harness.examples(tf.train.Example)
        outputs = {}
        for key, sig in sorted(meta.signature_def.items()):
            (feed,) = sig.inputs.values()
            names = sorted(sig.outputs)
            values = sess.run([sig.outputs[n].name for n in names], {feed.name: serialized})
            outputs[key] = {n: v.tolist() for n, v in zip(names, values)}
        result["outputs"] = outputs
(HERE / "estimator_goldens.json").write_text(json.dumps(result, indent=1) + "\n")
print("ok")
