# Needs TensorFlow 2.15.1 with tensorflow-estimator 2.15.0 (tf.estimator is gone from 2.21):
#   "$(scripts/tf215_venv)" tests/golden/estimator/make_canned_goldens.py
"""Runs every case of tests/estimator/canned/canned_cases.py under TF 2.15; records the facts.

Writes ``canned_goldens.json`` (per case: checkpoint variable names/dtypes/shapes, the seeded
initial values (``model.ckpt-0``), the loss at every training step, the trained values,
the training summaries' tags,
predictions, ``evaluate()``, the export's SignatureDefs and their outputs for serialized
Examples) and copies TF's ``model.ckpt-0`` and ``model.ckpt-5`` of every case to
``canned/<case>/`` (a few KB: TF-written checkpoints the tests start from and read).
"""

import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).resolve().parent
sys.path[:0] = [
    str(HERE.parents[1]),
    str(HERE.parents[1] / "estimator"),
    str(HERE.parents[1] / "estimator" / "canned"),
]
import canned_cases as cases  # noqa: E402
import estimator_harness  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_v2_behavior()


def values(prefix):
    reader = tf.train.load_checkpoint(prefix)
    return {n: reader.get_tensor(n).tolist() for n, _ in tf.train.list_variables(prefix)}


def export_facts(export_dir):
    with tf.Graph().as_default(), tf1.Session() as sess:
        meta = tf1.saved_model.loader.load(sess, ["serve"], export_dir)
        serialized = cases.serialized_examples(tf.train.Example)
        outputs = {}
        for key, sig in sorted(meta.signature_def.items()):
            (feed,) = sig.inputs.values()
            names = sorted(sig.outputs)
            got = sess.run([sig.outputs[n].name for n in names], {feed.name: serialized})
            outputs[key] = {
                n: cases._plain(v) if v.dtype.kind in "OS" else v.tolist()
                for n, v in zip(names, got)
            }
        return estimator_harness.signatures(meta), outputs


def summary_tags(model_dir):
    """The tags of every summary value in the training event files."""
    tags = set()
    for path in Path(model_dir).glob("events.out.tfevents.*"):
        for event in tf1.train.summary_iterator(str(path)):
            tags.update(value.tag for value in event.summary.value)
    return sorted(tags)


def run_case(case, directory):
    model_dir = str(Path(directory) / case)
    est = cases.build(tf1, case, model_dir)
    hook = cases.loss_hook(tf1, None)
    est.train(cases.input_fn(tf1, case), steps=cases.STEPS, hooks=[hook])
    init = f"{model_dir}/model.ckpt-0"
    final = f"{model_dir}/model.ckpt-{cases.STEPS}"
    result = {
        "variables": [
            [n, tf.train.load_checkpoint(final).get_variable_to_dtype_map()[n].name, s]
            for n, s in tf.train.list_variables(final)
        ],
        "init": values(init),
        "loss_name": hook.name,
        "losses": hook.losses,
        "final": values(final),
        "summary_tags": summary_tags(model_dir),
        "predictions": cases.predictions(tf1, est, case),
        "evaluate": {
            k: np.asarray(v).tolist()
            for k, v in est.evaluate(cases.input_fn(tf1, case), steps=1).items()
        },
    }
    export_dir = est.export_saved_model(
        str(Path(directory) / "export" / case), cases.serving_input_receiver_fn(tf1, case)
    )
    result["signatures"], result["export_outputs"] = export_facts(export_dir.decode())
    target = HERE / "canned" / case
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in Path(model_dir).glob("model.ckpt-*"):
        if not path.name.endswith(".meta"):
            shutil.copy(path, target / path.name)
    return result


with tempfile.TemporaryDirectory() as d:
    # With case names as arguments, only those are re-run (the others are kept).
    only = sys.argv[1:] or list(cases.CASES)
    golden_path = HERE / "canned_goldens.json"
    goldens = json.loads(golden_path.read_text()) if sys.argv[1:] else {}
    if not sys.argv[1:]:
        shutil.rmtree(HERE / "canned", ignore_errors=True)
    for name in only:
        goldens[name] = run_case(name, d)
golden_path.write_text(json.dumps(goldens, indent=1, sort_keys=True) + "\n")
print("ok")
