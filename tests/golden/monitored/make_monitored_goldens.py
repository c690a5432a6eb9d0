# Needs TensorFlow 2.21: run with the TF venv python, e.g.
#   "$(scripts/tf_venv)" tests/golden/monitored/make_monitored_goldens.py
"""Runs tests/monitored/programs under TensorFlow; records output, files and event records.

Writes ``monitored_goldens.json``: case -> what ``tests/monitored/mts_harness.run_case``
returns (normalised log/stdout per run, the directory listing, the ``checkpoint`` state file
and (kind, step, detail) of every event-file record).
"""

import json
import sys
import tempfile
from pathlib import Path

import tensorflow as tf

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parents[1] / "monitored")]
import mts_harness  # noqa: E402

results = {}
for case in mts_harness.CASES:
    with tempfile.TemporaryDirectory() as d:
        results[case] = mts_harness.run_case(
            [sys.executable], case, d + "/ckpt", tf.compat.v1.train.summary_iterator
        )
(HERE / "monitored_goldens.json").write_text(json.dumps(results, indent=1) + "\n")
print(f"{len(results)} cases")
