"""get_variable sharing, variable-scope reuse flags, Saver names and checkpoint-reader values
behave as TensorFlow's (tests/golden/variables: cases.py, outcomes recorded from TF 2.21)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import stowflow as tf

HERE = Path(__file__).resolve().parents[1] / "golden" / "variables"
sys.path.insert(0, str(HERE))
from cases import CASES, outcome  # noqa: E402

FACTS = json.loads((HERE / "variable_facts.json").read_text())


def test_every_case_has_a_recorded_tensorflow_outcome() -> None:
    assert sorted(FACTS) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_outcome_matches_tensorflow(name: str, tmp_path: Path) -> None:
    assert outcome(tf, tf.Graph(), CASES[name], str(tmp_path)) == FACTS[name]
