"""``stowflow.layers`` against TF 2.15's ``tf.compat.v1.layers``.

The programs in ``layers_programs.py`` (MLP, CNN with batch norm / pooling / dropout in
training and inference, 1-D convs and pools, transposed convs, class forms called twice,
reuse under variable scopes, regularizers, unfused batch norm, a ``training`` tensor,
dense on rank-3 inputs (Tensordot), separable convolutions) run
under stowflow; ``tests/golden/layers/layers_goldens.json`` holds TF 2.15's run of the same
programs (``tests/golden/layers/make_layers_goldens.py``). Compared: every op (name, type,
inputs), the variable / update-op / regularization-loss names, the initial values under
graph seed 1, the outputs, the moving statistics after one update and the total
regularization loss.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import layers_programs  # tests/layers, beside this file
import numpy as np
import pytest

import stowflow as tf
from stowflow import layers
from stowflow.layers import base, regularizers

GOLDEN = json.loads(
    (Path(__file__).resolve().parents[1] / "golden" / "layers" / "layers_goldens.json").read_text()
)
REGS = types.SimpleNamespace(
    keras=regularizers,
    l1_regularizer=regularizers.l1_regularizer,
    l2_regularizer=regularizers.l2_regularizer,
)
NAME_KEYS = ("global", "trainable", "update_ops", "reg_losses", "facts")


class _Runs(dict):
    """Each case's stowflow run, made on first use (one failing case fails only its tests)."""

    def __missing__(self, case: str) -> dict[str, Any]:
        self[case] = layers_programs.run_case(tf, layers, REGS, case)
        return self[case]


@pytest.fixture(scope="module")
def runs() -> _Runs:
    return _Runs()


def test_golden_covers_every_case() -> None:
    assert sorted(GOLDEN) == sorted(layers_programs.CASES)


@pytest.mark.parametrize("case", sorted(layers_programs.CASES))
def test_ops_match_tf(runs: _Runs, case: str) -> None:
    # Order-insensitive: the order of the graph's ops is not part of its meaning.
    assert sorted(map(str, runs[case]["ops"])) == sorted(map(str, GOLDEN[case]["ops"]))


@pytest.mark.parametrize("case", sorted(layers_programs.CASES))
def test_names_match_tf(runs: _Runs, case: str) -> None:
    got = {k: runs[case][k] for k in NAME_KEYS}
    assert got == {k: GOLDEN[case][k] for k in NAME_KEYS}


def _assert_close(got: dict[str, Any], want: dict[str, Any], what: str) -> None:
    assert sorted(got) == sorted(want), what
    for key, expected in want.items():
        assert got[key]["shape"] == expected["shape"], f"{what} {key}"
        np.testing.assert_allclose(
            got[key]["values"], expected["values"], rtol=2e-5, atol=2e-6, err_msg=f"{what} {key}"
        )


@pytest.mark.parametrize("case", sorted(layers_programs.CASES))
def test_values_match_tf(runs: _Runs, case: str) -> None:
    got, want = runs[case], GOLDEN[case]
    _assert_close(got["initial"], want["initial"], "initial")
    _assert_close(got["outputs"], want["outputs"], "outputs")
    _assert_close(got.get("after_update", {}), want.get("after_update", {}), "after_update")
    if "reg_total" in want:
        assert got["reg_total"] == pytest.approx(want["reg_total"], rel=1e-5)
    else:
        assert "reg_total" not in got


def test_regularized_case_has_every_loss(runs: _Runs) -> None:
    losses = runs["regularized"]["reg_losses"]
    assert "dense/kernel/Regularizer/mul:0" in losses
    assert "dense/ActivityRegularizer/truediv:0" in losses
    assert "dense_2/kernel/Regularizer/l2_regularizer:0" in losses
    assert "dense_3/kernel/Regularizer/l1_regularizer:0" in losses


# -- behaviour without a golden ---------------------------------------------------------------


@pytest.fixture
def graph() -> Any:
    g = tf.Graph()
    with g.as_default():
        yield g


def test_dense_needs_a_known_last_dimension(graph: Any) -> None:
    x = tf.placeholder(tf.float32, [None, None])
    with pytest.raises(ValueError, match="last dimension of the inputs to a Dense layer"):
        layers.dense(x, 2)


def test_scope_name_before_use_raises(graph: Any) -> None:
    with pytest.raises(ValueError, match="has not been used yet"):
        _ = layers.Dense(2).scope_name


def test_reuse_of_missing_layer_raises_tf_error(graph: Any) -> None:
    x = tf.placeholder(tf.float32, [None, 3])
    with pytest.raises(ValueError, match="net/dense/kernel does not exist"):
        with tf.variable_scope("net", reuse=True):
            layers.dense(x, 2, name="dense")


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="bogus"):
        layers.Dense(2, bogus=1)


def test_renorm_is_not_built(graph: Any) -> None:
    with pytest.raises(NotImplementedError, match="renorm"):
        layers.BatchNormalization(renorm=True)


def test_dropout_rejects_rate_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="Invalid value 1.5 received for `rate`"):
        layers.Dropout(1.5)


def test_layer_names_count_from_one(graph: Any) -> None:
    assert [layers.Dense(1).name, layers.Dense(1).name, layers.Conv2D(1, 1).name] == [
        "dense_1",
        "dense_2",
        "conv2d_1",
    ]
    assert base.to_snake_case("Conv2DTranspose") == "conv2d_transpose"


def test_constant_training_tensor_is_static(graph: Any) -> None:
    x = tf.placeholder(tf.float32, [None, 3])
    assert layers.dropout(x, 0.5, training=tf.constant(False)).op.type == "Identity"
    assert layers.dropout(x, 0.5, training=tf.constant(True)).op.type == "SelectV2"


def test_update_ops_run_with_a_train_op(graph: Any) -> None:
    x = tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2))
    y = layers.batch_normalization(x, training=True, momentum=0.5)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    moving_mean = [v for v in tf.global_variables() if "moving_mean" in v.name][0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run([y, updates])
        np.testing.assert_allclose(sess.run(moving_mean), [1.5, 2.0])


# -- regularizers ---------------------------------------------------------------------------------


def _value(t: Any) -> float:
    with tf.Session() as sess:
        return float(sess.run(t))


@pytest.mark.parametrize(
    ("factory", "expected", "op_name"),
    [
        (lambda: regularizers.l2_regularizer(0.5), 0.5 * 15.0 / 2, "l2_regularizer"),
        (lambda: regularizers.l1_regularizer(0.25), 0.25 * 7.0, "l1_regularizer"),
        (
            lambda: regularizers.l1_l2_regularizer(0.25, 0.5),
            0.25 * 7.0 + 0.5 * 15.0 / 2,
            "l1_l2_regularizer",
        ),
        (lambda: regularizers.l2(0.1), 0.1 * 15.0, "mul"),
        (lambda: regularizers.l1(0.1), 0.1 * 7.0, "mul"),
    ],
)
def test_regularizer_values(graph: Any, factory: Any, expected: float, op_name: str) -> None:
    w = tf.constant(
        np.array([[1.0, -2.0], [3.0, -1.0]], np.float32)
    )  # sum|w| 7, sum w^2 15 (l2_loss 7.5)
    loss = factory()(w)
    assert loss.op.name == op_name
    assert _value(loss) == pytest.approx(expected, rel=1e-6)


def test_zero_scale_disables_the_regularizer(graph: Any) -> None:
    assert regularizers.l2_regularizer(0.0)(tf.constant([1.0])) is None
    x = tf.placeholder(tf.float32, [None, 2])
    layers.dense(x, 1, kernel_regularizer=regularizers.l2_regularizer(0.0))
    assert tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: regularizers.l2_regularizer(1), "scale cannot be an integer: 1"),
        (lambda: regularizers.l1_regularizer(-0.5), "scale less than 0 on a regularizer: -0.5"),
        (lambda: regularizers.l1_l2_regularizer(1, 0.5), "scale_l1 cannot be an integer"),
        (lambda: regularizers.l2(float("nan")), "an infinite number or NaN"),
        (lambda: regularizers.l1("x"), "expected an int or float value"),
    ],
)
def test_regularizer_argument_errors(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_apply_regularization_adds_one_loss(graph: Any) -> None:
    weights = [tf.constant([1.0, 2.0]), tf.constant([3.0])]
    total = regularizers.apply_regularization(regularizers.l2_regularizer(1.0), weights)
    assert tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == [total]
    assert _value(total) == pytest.approx(7.0)
    with pytest.raises(ValueError, match="No weights to regularize"):
        regularizers.apply_regularization(regularizers.l2_regularizer(1.0), [])
