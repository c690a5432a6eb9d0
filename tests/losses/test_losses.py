"""tf.losses and the v1 tf.nn cross-entropies build TF's graphs and compute TF's values.

Cases ``loss_*`` and ``xent_*`` of ``tests/golden/metrics_losses/ml_harness.py``: every
loss by default and under each Reduction with weights (one zero), its gradient with
respect to the predictions/logits through ``tf.gradients``, the LOSSES / regularization
collections and total losses; compared node for node and value for value with
``metrics_losses_goldens.json`` (made by TF 2.21 in compat.v1 graph mode).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "metrics"))
from test_metrics import GOLDEN, check_case  # noqa: E402  (tests/metrics, shared checker)

CASES = sorted(c for c in GOLDEN if c.startswith(("loss", "xent")))


@pytest.mark.parametrize("case", CASES)
def test_loss_case_matches_tf(case):
    check_case(case)
