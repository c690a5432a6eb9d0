"""MonitoredTrainingSession programs print, write and resume as under TF 2.21.

The programs in ``programs/`` run under ``python -m stowflow.tf1``; their normalised output
(log lines and prints, timings and paths masked), the checkpoint directory's files, its
``checkpoint`` state and the (kind, step, detail) of every event-file record are compared with
``tests/golden/monitored/monitored_goldens.json`` (made by running them under TensorFlow).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mts_harness  # tests/monitored, beside this file
import pytest

from stowflow.summary.writer import summary_iterator

GOLDEN = json.loads(
    (
        Path(__file__).resolve().parents[1] / "golden" / "monitored" / "monitored_goldens.json"
    ).read_text()
)


@pytest.fixture(scope="module", params=sorted(mts_harness.CASES))
def ran(request, tmp_path_factory):
    case = request.param
    directory = str(tmp_path_factory.mktemp(case) / "ckpt")
    return (
        case,
        directory,
        mts_harness.run_case(
            [sys.executable, "-m", "stowflow.tf1"], case, directory, summary_iterator
        ),
    )


def test_output_matches_tf(ran) -> None:
    case, _, ours = ran
    assert ours["output"] == GOLDEN[case]["output"]


def test_checkpoint_directory_matches_tf(ran) -> None:
    case, _, ours = ran
    assert ours["files"] == GOLDEN[case]["files"]
    assert ours["state"] == GOLDEN[case]["state"]


def _without_summaries(events: list) -> list:
    return [e for e in events if e[0] != "summary"]


def test_event_records_match_tf(ran) -> None:
    """Graph, meta graph, session-log and checkpoint records match TF's exactly.

    Summary records are compared by tag and count only: TF's SummarySaverHook reads the
    global step in the same run as its increment with no order between them, so which step a
    summary is filed under (and so how many land in a run) varies between TF runs.
    """
    case, _, ours = ran
    assert _without_summaries(ours["events"]) == _without_summaries(GOLDEN[case]["events"])
    ours_summaries = [e for e in ours["events"] if e[0] == "summary"]
    tf_summaries = [e for e in GOLDEN[case]["events"] if e[0] == "summary"]
    assert {str(e[2]) for e in ours_summaries} == {str(e[2]) for e in tf_summaries}
    assert abs(len(ours_summaries) - len(tf_summaries)) <= len(mts_harness.CASES[case])


TF_READS_OUR_DIRECTORY = r"""
import glob, sys
import tensorflow as tf
from google.protobuf import text_format
d = sys.argv[1]
kinds = []
for path in sorted(glob.glob(d + "/events.out.tfevents.*")):
    kinds += [e.WhichOneof("what") for e in tf.compat.v1.train.summary_iterator(path)]
graph_def = text_format.Parse(open(d + "/graph.pbtxt").read(), tf.compat.v1.GraphDef())
with tf.Graph().as_default():
    tf.import_graph_def(graph_def, name="")
reader = tf.train.load_checkpoint(d)
print(len(kinds), kinds.count("summary"), reader.get_tensor("global_step"),
      [round(float(v), 4) for v in reader.get_tensor("w").ravel()])
"""


@pytest.mark.interop
def test_tensorflow_reads_what_the_session_wrote(ran) -> None:
    """TF reads our event files, imports our graph.pbtxt and restores our checkpoints."""
    import subprocess

    from stowflow_testlib import require_tf_python

    case, directory, ours = ran
    proc = subprocess.run(
        [str(require_tf_python()), "-c", TF_READS_OUR_DIRECTORY, directory],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    count, summaries, step, w = proc.stdout.split(maxsplit=3)
    assert int(count) == len(ours["events"])
    assert int(summaries) == sum(1 for e in ours["events"] if e[0] == "summary")
    last = mts_harness.CASES[case][-1]
    assert int(step) == last
    final_w = next(line for line in ours["output"][-1] if line.startswith("final w"))
    assert [round(float(v), 4) for v in final_w[len("final w [") : -1].split(",")] == json.loads(w)
