"""stowflow.feature_column against TF 2.21's tf.compat.v1.feature_column.

The cases live in ``tests/golden/feature_column/feature_column_cases.py``; TF's results in
``feature_column_goldens.json`` (made by ``make_feature_column_goldens.py`` beside them).
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow import feature_column as fc

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "feature_column"
sys.path.insert(0, str(GOLDEN_DIR))

import feature_column_cases as cases  # noqa: E402

GOLDENS = json.loads((GOLDEN_DIR / "feature_column_goldens.json").read_text())
SERIALIZED = [base64.b64decode(s) for s in GOLDENS["serialized"]]
BY_NAME = {c["name"]: c for c in GOLDENS["cases"]}
# Cases with a randomly initialised (embedding) table; the others start from zeros.
SEEDED = [
    c
    for c in cases.CASES
    if any("embedding_weights" in v["name"] for v in BY_NAME[c[0]]["variables"])
]


def _assert_initial_state(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert len(got["initial"]) == len(want["initial"])
    for var, g, w in zip(want["variables"], got["initial"], want["initial"], strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7, err_msg=var["name"])
    np.testing.assert_allclose(got["output"], want["output"], rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    vocab = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    vocab.write_text("\n".join(cases.VOCAB_LINES) + "\n")
    return {"vocab_file": str(vocab), "serialized": SERIALIZED}


def _params(selected: list[tuple[Any, ...]]) -> list[Any]:
    return [pytest.param(c, id=c[0]) for c in selected]


@pytest.mark.parametrize("case", _params(cases.CASES))
def test_case_matches_tf(case: tuple[Any, ...], ctx: dict[str, Any]) -> None:
    got = cases.run_case(tf, fc, ctx, case)
    want = BY_NAME[case[0]]
    assert got["variables"] == want["variables"]
    assert got["cols_to_vars"] == want["cols_to_vars"]
    assert got["output_shape"] == want["output_shape"]
    assert got["output_name"] == want["output_name"]
    np.testing.assert_allclose(
        got["output_assigned"], want["output_assigned"], rtol=1e-5, atol=1e-6
    )
    assert len(got["gradients"]) == len(want["gradients"])
    for var, g, w in zip(want["variables"], got["gradients"], want["gradients"], strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=var["name"])
    if case not in SEEDED:
        _assert_initial_state(got, want)


@pytest.mark.parametrize("case", _params(SEEDED))
def test_seeded_initial_values_match_tf(case: tuple[Any, ...], ctx: dict[str, Any]) -> None:
    _assert_initial_state(cases.run_case(tf, fc, ctx, case), BY_NAME[case[0]])


def test_make_parse_example_spec_matches_tf(ctx: dict[str, Any]) -> None:
    columns = cases.spec_columns(fc, dict(ctx, tf=tf))
    assert repr(sorted(fc.make_parse_example_spec(columns).items())) == GOLDENS["spec_repr"]
    assert [c.name for c in columns] == GOLDENS["column_names"]
    assert [repr(c) for c in columns if "initializer" not in repr(c)] == GOLDENS["column_reprs"]


@pytest.mark.parametrize("name,fn", cases.ERRORS, ids=[e[0] for e in cases.ERRORS])
def test_errors_match_tf(name: str, fn: Any) -> None:
    want = GOLDENS["errors"][name]
    with tf.Graph().as_default():
        with pytest.raises(Exception) as info:  # noqa: PT011 - the golden names the class
            fn(fc, tf)
    assert [type(info.value).__name__, str(info.value)] == want


def test_vocabulary_table_needs_tables_initializer() -> None:
    with tf.Graph().as_default():
        column = fc.indicator_column(fc.categorical_column_with_vocabulary_list("a", ["x", "y"]))
        out = fc.input_layer({"a": tf.constant([["y"], ["x"]])}, [column])
        with tf.Session() as sess:
            with pytest.raises(tf.errors.FailedPreconditionError, match="Table not initialized"):
                sess.run(out)
            sess.run(tf.tables_initializer())
            np.testing.assert_array_equal(sess.run(out), [[0.0, 1.0], [1.0, 0.0]])


def test_linear_model_trains_categorical_and_embedding_weights() -> None:
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        columns = [
            fc.categorical_column_with_identity("ids", 4),
            fc.embedding_column(fc.categorical_column_with_identity("e", 3), 2),
        ]
        features = {
            "ids": tf.constant([[0], [3]], dtype=tf.int64),
            "e": tf.constant([[1], [2]], dtype=tf.int64),
        }
        logits = fc.linear_model(features, columns)
        loss = tf.reduce_sum(tf.square(logits - tf.constant([[1.0], [-1.0]])))
        step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(loss)
            for _ in range(20):
                sess.run(step)
            assert sess.run(loss) < first / 10
