"""``stowflow.graph.nn_ops`` moments / normalisation / dropout / 1-D conv and pool /
separable conv against TF 2.21's ``tf.compat.v1.nn``.

The programs in ``nn_extra_programs.py`` run under stowflow and are compared with TF 2.21's
run of the same programs (``tests/golden/nn_extra/make_nn_extra_goldens.py``): every op
(name, type, inputs), the output tensor names and values (seeded dropout masks included).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nn_extra_programs  # tests/graph, beside this file
import numpy as np
import pytest

import stowflow as tf
from stowflow.graph import nn_ops

GOLDEN = json.loads(
    (
        Path(__file__).resolve().parents[1] / "golden" / "nn_extra" / "nn_extra_goldens.json"
    ).read_text()
)


class _Runs(dict):
    """Each case's stowflow run, made on first use."""

    def __missing__(self, case: str) -> dict[str, Any]:
        self[case] = nn_extra_programs.run_case(tf, nn_ops, case)
        return self[case]


@pytest.fixture(scope="module")
def runs() -> _Runs:
    return _Runs()


def test_golden_covers_every_case() -> None:
    assert sorted(GOLDEN) == sorted(nn_extra_programs.CASES)


@pytest.mark.parametrize("case", sorted(nn_extra_programs.CASES))
def test_ops_match_tf(runs: _Runs, case: str) -> None:
    assert sorted(map(str, runs[case]["ops"])) == sorted(map(str, GOLDEN[case]["ops"]))
    assert runs[case]["names"] == GOLDEN[case]["names"]


@pytest.mark.parametrize("case", sorted(nn_extra_programs.CASES))
def test_values_match_tf(runs: _Runs, case: str) -> None:
    got, want = runs[case]["outputs"], GOLDEN[case]["outputs"]
    assert sorted(got) == sorted(want)
    for key, expected in want.items():
        assert got[key]["shape"] == expected["shape"], key
        np.testing.assert_allclose(
            got[key]["values"], expected["values"], rtol=2e-5, atol=2e-6, err_msg=key
        )


@pytest.fixture
def graph() -> Any:
    g = tf.Graph()
    with g.as_default():
        yield g


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "`rate` must be provided. Received: rate=None"),
        ({"rate": 1.0}, r"in the range \[0, 1\). Received: rate=1.0"),
        ({"keep_prob": 1.5}, r"in the range \[0, 1\). Received: rate=-0.5"),
    ],
)
def test_dropout_rate_errors(graph: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nn_ops.dropout(tf.constant([1.0]), **kwargs)


def test_dropout_needs_float_input_and_matching_rate(graph: Any) -> None:
    with pytest.raises(ValueError, match="must be a floating point tensor"):
        nn_ops.dropout(tf.constant([1, 2]), rate=0.5)
    rate = tf.constant(0.5, tf.float64)
    with pytest.raises(ValueError, match="x.dtype=<dtype: 'float32'> and rate.dtype=<dtype"):
        nn_ops.dropout(tf.constant([1.0]), rate=rate)


def test_conv1d_rejects_unknown_data_format(graph: Any) -> None:
    with pytest.raises(ValueError, match="`data_format` must be 'NWC' or 'NCW'"):
        nn_ops.conv1d(tf.ones([1, 3, 1]), tf.ones([1, 1, 1]), 1, "SAME", data_format="NHWCX")


def test_separable_conv2d_with_rate_is_not_built(graph: Any) -> None:
    with pytest.raises(NotImplementedError, match="rate > 1"):
        nn_ops.separable_conv2d(
            tf.ones([1, 5, 5, 1]),
            tf.ones([3, 3, 1, 1]),
            tf.ones([1, 1, 1, 1]),
            [1, 1, 1, 1],
            "VALID",
            rate=2,
        )
