"""The typical TF1 input-pipeline program prints under ``python -m stowflow.tf1`` what it
prints under TensorFlow 2.21 (tests/seeds/tf_runner.py). With shuffle_buffer 1 every line
must match (shuffle keeps the order); with a real buffer, the lines that depend on the
shuffled order (losses) are left out, because stowflow's shuffle order is not TF's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from stowflow_testlib import require_tf_python

HERE = Path(__file__).resolve().parent
PROGRAM = HERE / "tf1_input_pipeline.py"
TF_RUNNER = HERE.parent / "seeds" / "tf_runner.py"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0"}

# Until stowflow._v1 exports tf.data / tf.python_io (see the report of issue #8 item 4),
# the runner adds them; once they are wired, it changes nothing.
_STOWFLOW_RUNNER = """
import runpy, sys
import stowflow.tf1 as tf1
api = tf1.install()
if not hasattr(api, "data"):
    from stowflow import data, tfrecord
    import types
    api.data = data
    api.python_io = types.SimpleNamespace(
        TFRecordWriter=tfrecord.TFRecordWriter, tf_record_iterator=tfrecord.tf_record_iterator
    )
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _run(command: list[str], tmp: Path) -> str:
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, cwd=tmp)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _order_free(stdout: str) -> list[str]:
    return [re.sub(r" loss \S+", "", line) for line in stdout.splitlines()]


def _sections(stdout: str) -> tuple[str, list[str]]:
    """(the lines before the first section, then each ``== shuffle buffer`` section)."""
    head, *sections = stdout.split("== shuffle buffer")
    return head, sections


def test_tf1_input_pipeline_prints_what_tf_prints(tmp_path: Path) -> None:
    python = require_tf_python()
    (tmp_path / "tf").mkdir()
    (tmp_path / "ours").mkdir()
    theirs = _run(
        [str(python), str(TF_RUNNER), str(PROGRAM), str(tmp_path / "tf"), "1", "8"], tmp_path
    )
    ours = _run(
        [sys.executable, "-c", _STOWFLOW_RUNNER, str(PROGRAM), str(tmp_path / "ours"), "1", "8"],
        tmp_path,
    )
    (our_head, (our_kept, our_shuffled)), (tf_head, (tf_kept, tf_shuffled)) = (
        _sections(ours),
        _sections(theirs),
    )
    assert tf_kept.count("step ") == 8 and "steps: 8" in tf_shuffled
    assert our_head == tf_head
    assert our_kept == tf_kept  # shuffle buffer 1 keeps the order: every line matches
    assert _order_free(our_shuffled) == _order_free(tf_shuffled)
