"""TF1 training programs print under ``python -m stowflow.tf1`` what they print under TF 2.15.

The programs in ``programs/`` (MLPs with every optimizer, ref and resource variables; a CNN
with batch norm; MonitoredTrainingSession over tf.data; TFRecord files through parsing and
padded batches) start from explicit initial values, so their losses must match TF's to 4
decimals. Goldens: ``tests/golden/training_programs/training_goldens.json``, made by running
the same programs under TensorFlow 2.15 (``make_training_goldens.py`` beside it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import tp_harness  # tests/training_programs, beside this file

GOLDEN = json.loads(
    (
        Path(__file__).resolve().parents[1]
        / "golden"
        / "training_programs"
        / "training_goldens.json"
    ).read_text()
)
STOWFLOW = [sys.executable, "-m", "stowflow.tf1"]


def test_every_case_has_a_golden() -> None:
    assert sorted(GOLDEN["cases"]) == sorted(tp_harness.CASES)


@pytest.mark.parametrize("case", sorted(tp_harness.CASES))
def test_program_prints_what_tf_prints(case: str, tmp_path: Path) -> None:
    ours = tp_harness.run_case(STOWFLOW, case, str(tmp_path / "run"))
    assert ours == GOLDEN["cases"][case]
