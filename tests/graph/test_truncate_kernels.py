"""TruncateDiv and TruncateMod against TF 2.21's outputs and errors.

The goldens (tests/golden/fidelity/truncate_goldens.json) come from
tests/golden/fidelity/make_truncate_goldens.py, run with TensorFlow: every dtype TF's CPU
kernels register (and some they do not), negative operands, IEEE edge values, broadcasting,
and integer division by zero.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# The shared golden codec (tests/graph/test_kernels.py).
from test_kernels import assert_same, decode_array, decode_attrs, decode_input

import stowflow as tf
from stowflow import errors
from stowflow.graph.kernels.registry import KERNELS, SHAPE_FNS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "fidelity" / "truncate_goldens.json"
CASES: list[dict[str, Any]] = [
    c for c in json.loads(GOLDEN.read_text())["cases"] if "unsupported" not in c
]


def _run(case: dict[str, Any]) -> list[Any]:
    inputs = [decode_input(s) for s in case["inputs"]]
    return KERNELS[case["op"]](inputs, decode_attrs(case["attrs"]))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_kernel_matches_tensorflow(case: dict[str, Any]) -> None:
    if "error" in case:
        expected = getattr(errors, case["error"])
        with pytest.raises(expected) as info:
            _run(case)
        assert type(info.value) is expected
        want = case["message"]
        if want:
            assert info.value.message == want
        else:  # TF's multi-line "no kernel" message; its first line is what a kernel knows
            assert info.value.message.startswith("No OpKernel was registered")
        return
    got = _run(case)
    want = [decode_array(w) for w in case["outputs"][0]]
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_same(np.asarray(g), w, f"{case['id']} output {i}")


def test_goldens_cover_both_ops_and_their_errors() -> None:
    ops = {c["op"] for c in CASES}
    assert ops == {"TruncateDiv", "TruncateMod"}
    assert {c["error"] for c in CASES if "error" in c} == {"InternalError", "InvalidArgumentError"}
    assert {"TruncateDiv", "TruncateMod"} <= set(SHAPE_FNS)


def test_truncatemod_runs_in_a_session_with_tf_error_for_zero() -> None:
    with tf.Graph().as_default():
        x = tf.placeholder(tf.int32, [None])
        y = tf.placeholder(tf.int32, [None])
        z = tf.truncatemod(x, y)
        assert z.shape.as_list() == [None]
        with tf.Session() as sess:
            assert sess.run(z, {x: [-7, 7], y: [2, -2]}).tolist() == [-1, 1]
            with pytest.raises(errors.InternalError, match="only integer div and mod"):
                sess.run(z, {x: [1], y: [0]})
