# Needs TensorFlow 2.21: run with the TF venv python, e.g.
#   "$(scripts/tf_venv)" tests/golden/nn_extra/make_nn_extra_goldens.py
"""Runs tests/graph/nn_extra_programs.py under TF 2.21; writes ``nn_extra_goldens.json``."""

import json
import sys
from pathlib import Path

import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "graph"))
import nn_extra_programs  # noqa: E402

results = {name: nn_extra_programs.run_case(tf, tf.nn, name) for name in nn_extra_programs.CASES}
(HERE / "nn_extra_goldens.json").write_text(json.dumps(results, sort_keys=True) + "\n")
print(f"{len(results)} cases")
