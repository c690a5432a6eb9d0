"""tf.metrics build TF's graphs and stream TF's values (goldens from TF 2.21, compat.v1).

Every case of ``tests/golden/metrics_losses/ml_harness.py`` whose name does not start with
``loss``/``xent`` is built with stowflow and compared with ``metrics_losses_goldens.json``:
the node list (name, op, inputs), the collections, and the values of each run (value before
updates, each update op's result, value after).
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "metrics_losses"
sys.path.insert(0, str(GOLDEN_DIR))
import ml_harness  # noqa: E402

GOLDEN = json.loads((GOLDEN_DIR / "metrics_losses_goldens.json").read_text())
CASES = sorted(c for c in GOLDEN if not c.startswith(("loss", "xent", "errors")))


def assert_values_close(actual, expected, where="value"):
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_values_close(a, e, f"{where}[{i}]")
        return
    if expected is None or actual is None:  # a gradient TF reports as None
        assert actual is expected, where
        return
    assert actual["dtype"] == expected["dtype"], where
    np.testing.assert_allclose(
        np.asarray(actual["value"]),
        np.asarray(expected["value"]),
        rtol=2e-5,
        atol=1e-6,
        err_msg=where,
    )


_ASSERT_SCOPES = ("assert_greater_equal", "assert_less_equal", "assert_equal", "AssertGuard")
_KEPT_BROADCAST_CHECKS = (
    "weights",
    "values",
    "weights/shape",
    "weights/rank",
    "values/shape",
    "values/rank",
)


def _is_runtime_assert(name):
    """TF's run-time assertion nodes, which stowflow does not build (no v1 cond + Assert):
    the [0, 1] range asserts of the threshold metrics and the dynamic-shape part of
    ``assert_broadcastable`` (its static shape/rank nodes are built and still compared)."""
    parts = name.split("/")
    if any(p.startswith(_ASSERT_SCOPES) for p in parts):
        return True
    if "assert_broadcastable" in parts:
        rest = "/".join(parts[parts.index("assert_broadcastable") + 1 :])
        return rest not in _KEPT_BROADCAST_CHECKS and not rest.startswith("static_")
    return False


def without_runtime_asserts(nodes):
    dropped = {n[0] for n in nodes if _is_runtime_assert(n[0])}
    assert dropped, "the case has no run-time assert to drop; take it out of the set"
    return [
        [name, op, [i for i in inputs if i.lstrip("^").split(":")[0] not in dropped]]
        for name, op, inputs in nodes
        if name not in dropped
    ]


def sorted_control_inputs(nodes):
    """TF's GraphDef lists an op's control inputs sorted by name (Graph::ToGraphDef);
    stowflow's keeps creation order, so ours are sorted before comparing."""
    out = []
    for name, op, inputs in nodes:
        data = [i for i in inputs if not i.startswith("^")]
        out.append([name, op, data + sorted(i for i in inputs if i.startswith("^"))])
    return out


def check_case(case):
    ours = ml_harness.run_case(ml_harness.stowflow_namespace(), case)
    ours["nodes"] = sorted_control_inputs(ours["nodes"])
    want = dict(GOLDEN[case])
    want["nodes"] = ml_harness.unpack_nodes(want["nodes"])
    if case in ml_harness.RUNTIME_ASSERT_CASES:
        want["nodes"] = without_runtime_asserts(want["nodes"])
    if ours["nodes"] != want["nodes"]:
        diff = difflib.unified_diff(
            [str(n) for n in want["nodes"]], [str(n) for n in ours["nodes"]], "tf", "ours", n=1
        )
        pytest.fail("graph differs from TF's:\n" + "\n".join(list(diff)[:60]))
    assert ours["collections"] == want["collections"]
    assert_values_close(ours["values"], want["values"])


@pytest.mark.parametrize("case", CASES)
def test_metric_case_matches_tf(case):
    check_case(case)


def test_golden_cases_cover_the_harness():
    assert set(GOLDEN) == {*ml_harness.CASES, "errors"}
    assert set(GOLDEN["errors"]) == set(ml_harness.ERROR_CASES)


@pytest.mark.parametrize("case", sorted(GOLDEN["errors"]))
def test_bad_calls_raise_tfs_error(case):
    """Class and message of what a bad metric/loss/xent call raises, as TF raises it."""
    got = ml_harness.run_error_case(ml_harness.stowflow_namespace(), case)
    assert got == GOLDEN["errors"][case]
