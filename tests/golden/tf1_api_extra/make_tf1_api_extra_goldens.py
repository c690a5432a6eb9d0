# Needs TensorFlow 2.21: run with the TF venv python, e.g.
#   "$(scripts/tf_venv)" tests/golden/tf1_api_extra/make_tf1_api_extra_goldens.py
"""Runs tests/graph/tf1_api_extra_programs.py under TF 2.21 (TF1 mode); writes
``tf1_api_extra_goldens.json`` (ops, names, values and gradients of every case)."""

import json
import sys
from pathlib import Path

import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "graph"))
import tf1_api_extra_programs as programs  # noqa: E402

results = {name: programs.run_case(tf, name) for name in programs.CASES}
(HERE / "tf1_api_extra_goldens.json").write_text(json.dumps(results, sort_keys=True) + "\n")
print(f"{len(results)} cases")
