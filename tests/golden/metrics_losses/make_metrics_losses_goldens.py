# Needs TensorFlow 2.21: run with the TF venv python from the repository root, e.g.
#   "$(scripts/tf_venv)" tests/golden/metrics_losses/make_metrics_losses_goldens.py
"""Runs every case of ``ml_harness`` under TensorFlow (compat.v1, TF1 graph mode).

Writes ``metrics_losses_goldens.json``: case -> nodes (name, op, inputs; packed by
``ml_harness.pack_nodes``), collection item
names and the values of every run (see ``ml_harness.run_case``); ``errors`` -> error case ->
[exception class name, message].
"""

import json
import sys
from pathlib import Path

import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import ml_harness  # noqa: E402

results = {name: ml_harness.run_case(tf, name) for name in ml_harness.CASES}
for result in results.values():
    result["nodes"] = ml_harness.pack_nodes(result["nodes"])
results["errors"] = {name: ml_harness.run_error_case(tf, name) for name in ml_harness.ERROR_CASES}
(HERE / "metrics_losses_goldens.json").write_text(json.dumps(results, indent=0) + "\n")
print(f"{len(results)} cases")
