"""In-process checks of the evaluate / input / warm-start / train_and_evaluate API edges.

TF's argument validation and messages (read from tensorflow-estimator 2.15's sources), the
batching of ``numpy_input_fn`` against numpy's own slicing, and warm-start renames and
selections against the values the checkpoint holds.
"""

from __future__ import annotations

import numpy as np
import pytest

import stowflow as tf
from stowflow import errors
from stowflow.estimator import (
    Estimator,
    EstimatorSpec,
    EvalSpec,
    FinalExporter,
    LatestExporter,
    ModeKeys,
    RunConfig,
    TrainSpec,
    WarmStartSettings,
    train_and_evaluate,
)
from stowflow.estimator.inputs import numpy_input_fn
from stowflow.graph.session import Session
from stowflow.metrics import mean as metric_mean
from stowflow.monitored import CheckpointSaverListener
from stowflow.summary.writer import summary_iterator

X = np.array([[1.0, 2.0], [3.0, -4.0], [5.0, 6.0], [-7.0, 8.0], [0.5, 0.5]], np.float32)
Y = np.array([[1.0], [0.0], [1.0], [0.0], [1.0]], np.float32)


def make_model_fn(weight_name: str = "w"):
    def model_fn(features, labels, mode):
        w = tf.get_variable(
            weight_name, [2, 1], initializer=tf.constant_initializer([[0.1], [-0.2]])
        )
        logits = tf.matmul(features["x"], w)
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(mode, predictions={"logits": logits, "double": logits * 2.0})
        loss = tf.reduce_mean(tf.square(logits - labels))
        if mode == ModeKeys.EVAL:
            return EstimatorSpec(
                mode, loss=loss, eval_metric_ops={"mean_logit": metric_mean(logits)}
            )
        train_op = tf.train.GradientDescentOptimizer(0.01).minimize(
            loss, global_step=tf.train.get_global_step()
        )
        return EstimatorSpec(mode, loss=loss, train_op=train_op)

    return model_fn


def dataset_input_fn(batch: int = 2, repeat: bool = False):
    def input_fn():
        ds = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
        return (ds.repeat() if repeat else ds).batch(batch)

    return input_fn


def config() -> RunConfig:
    return RunConfig(save_checkpoints_steps=100, log_step_count_steps=100)


# -- numpy_input_fn ----------------------------------------------------------------------------


def batches(input_fn, count: int | None = None):
    with tf.Graph().as_default():
        it = tf.data.make_one_shot_iterator(input_fn())
        nxt = it.get_next()
        out = []
        with Session() as sess:
            while count is None or len(out) < count:
                try:
                    out.append(sess.run(nxt))
                except errors.OutOfRangeError:
                    break
    return out


def test_numpy_input_fn_batches_span_epochs_and_end_partial() -> None:
    got = batches(numpy_input_fn({"x": X}, Y, batch_size=3, num_epochs=2, shuffle=False))
    rows = np.concatenate([X, X])
    starts = range(0, len(rows), 3)
    assert [len(f["x"]) for f, _ in got] == [len(rows[s : s + 3]) for s in starts]
    for (features, labels), s in zip(got, starts, strict=True):
        np.testing.assert_array_equal(features["x"], rows[s : s + 3])
        np.testing.assert_array_equal(labels, np.concatenate([Y, Y])[s : s + 3])


def test_numpy_input_fn_forever_yields_full_batches_and_array_features() -> None:
    got = batches(numpy_input_fn(X, batch_size=4, num_epochs=None, shuffle=False), count=4)
    rows = np.concatenate([X] * 4)
    for i, features in enumerate(got):
        np.testing.assert_array_equal(features, rows[4 * i : 4 * i + 4])


def test_numpy_input_fn_dict_labels_and_shuffle_keeps_rows() -> None:
    got = batches(numpy_input_fn({"x": X}, {"y": Y}, batch_size=5, shuffle=True))
    ((features, labels),) = got
    assert sorted(map(tuple, features["x"])) == sorted(map(tuple, X))
    assert set(labels) == {"y"}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"x": {"x": X}, "y": Y}, ValueError, "shuffle must be provided"),
        ({"x": {"x": X}, "y": Y[:3], "shuffle": False}, ValueError, "Length of tensors"),
        ({"x": {}, "shuffle": False}, ValueError, "x cannot be an empty dict"),
        ({"x": [1, 2], "shuffle": False}, TypeError, "x must be a dict or array; got list"),
        ({"x": {"x": X}, "y": {"x": Y}, "shuffle": False}, ValueError, "duplicate keys"),
    ],
)
def test_numpy_input_fn_refuses_bad_input(kwargs, error, message) -> None:
    with pytest.raises(error, match=message), tf.Graph().as_default():
        numpy_input_fn(**kwargs)()


# -- evaluate ----------------------------------------------------------------------------------


def test_evaluate_without_checkpoint_uses_initial_values(tmp_path) -> None:
    est = Estimator(make_model_fn(), model_dir=str(tmp_path), config=config())
    result = est.evaluate(dataset_input_fn(batch=5))
    logits = X @ np.array([[0.1], [-0.2]], np.float32)
    assert result["global_step"] == 0
    np.testing.assert_allclose(result["mean_logit"], logits.mean(), rtol=1e-6)
    np.testing.assert_allclose(result["loss"], np.mean((logits - Y) ** 2), rtol=1e-6)
    assert isinstance(result["loss"], np.float32)


def test_evaluate_steps_stop_early_and_refuse_bad_values(tmp_path) -> None:
    est = Estimator(make_model_fn(), model_dir=str(tmp_path), config=config())
    one_batch = est.evaluate(dataset_input_fn(batch=2), steps=1)
    logits = X[:2] @ np.array([[0.1], [-0.2]], np.float32)
    np.testing.assert_allclose(one_batch["mean_logit"], logits.mean(), rtol=1e-6)
    with pytest.raises(ValueError, match="Must specify steps > 0, given: 0"):
        est.evaluate(dataset_input_fn(), steps=0)


def test_evaluate_refuses_a_metric_named_loss(tmp_path) -> None:
    def model_fn(features, labels, mode):
        w = tf.get_variable("w", [2, 1])
        loss = tf.reduce_mean(tf.matmul(features["x"], w))
        return EstimatorSpec(mode, loss=loss, eval_metric_ops={"loss": metric_mean(loss)})

    est = Estimator(model_fn, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match='Metric with name "loss" is not allowed'):
        est.evaluate(dataset_input_fn())


def test_input_fn_of_three_values_is_refused(tmp_path) -> None:
    est = Estimator(make_model_fn(), model_dir=str(tmp_path))
    with pytest.raises(ValueError, match=r"\(features, labels\) as a len 2 tuple"):
        est.evaluate(lambda: ({"x": tf.constant(X)}, tf.constant(Y), tf.constant(Y)))


def test_train_ends_with_the_dataset_and_predict_keys(tmp_path) -> None:
    est = Estimator(make_model_fn(), model_dir=str(tmp_path), config=config())
    est.train(dataset_input_fn(batch=2))  # 5 rows in batches of 2: 3 steps
    assert est.get_variable_value("global_step") == 3
    est.train(dataset_input_fn(batch=2, repeat=True), steps=2)
    assert est.get_variable_value("global_step") == 5

    def features_only():
        return tf.data.Dataset.from_tensor_slices({"x": X}).batch(2)

    got = list(est.predict(features_only, predict_keys=["double"]))
    assert len(got) == len(X) and all(set(p) == {"double"} for p in got)
    with pytest.raises(ValueError, match="Expected to run at least one output"):
        list(est.predict(features_only, predict_keys=["nothing"]))


def test_saving_listeners_need_a_checkpoint_saver(tmp_path) -> None:
    est = Estimator(
        make_model_fn(),
        model_dir=str(tmp_path),
        config=RunConfig(save_checkpoints_secs=None, save_checkpoints_steps=None),
    )
    with pytest.raises(ValueError, match="There should be a CheckpointSaverHook"):
        est.train(dataset_input_fn(), saving_listeners=[CheckpointSaverListener()])


# -- warm starting -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Estimator:
    est = Estimator(
        make_model_fn(), model_dir=str(tmp_path_factory.mktemp("trained")), config=config()
    )
    est.train(dataset_input_fn(batch=5, repeat=True), steps=3)
    return est


def test_warm_start_renamed_variable(trained, tmp_path) -> None:
    settings = WarmStartSettings(
        trained.latest_checkpoint(),
        vars_to_warm_start=".*",
        var_name_to_prev_var_name={"renamed": "w"},
    )
    warm = Estimator(
        make_model_fn("renamed"),
        model_dir=str(tmp_path),
        config=config(),
        warm_start_from=settings,
    )
    warm.evaluate(dataset_input_fn(), steps=1)  # warm-starts, writes no checkpoint
    assert warm.latest_checkpoint() is None
    warm.train(dataset_input_fn(batch=5, repeat=True), steps=1)
    before = trained.get_variable_value("w")
    logits = X @ before
    grad = 2.0 * X.T @ (logits - Y) / len(X)
    np.testing.assert_allclose(warm.get_variable_value("renamed"), before - 0.01 * grad, rtol=1e-5)
    assert warm.get_variable_value("global_step") == 1


def test_warm_start_from_a_saved_model(trained, tmp_path) -> None:
    def receiver():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        return tf.estimator.export.ServingInputReceiver({"x": x}, {"x": x})

    export_dir = trained.export_saved_model(str(tmp_path / "export"), receiver).decode()
    warm = Estimator(make_model_fn(), model_dir=str(tmp_path / "warm"), warm_start_from=export_dir)
    result = warm.evaluate(dataset_input_fn(batch=5), steps=1)
    expected = (X @ trained.get_variable_value("w")).mean()
    np.testing.assert_allclose(result["mean_logit"], expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"var_name_to_prev_var_name": {"nope": "w"}}, ValueError, "were not used"),
        ({"vars_to_warm_start": [1]}, ValueError, "must be all `Variable` or all `str`"),
        ({"vars_to_warm_start": 3}, ValueError, "must be a `list` or `str`"),
    ],
)
def test_warm_start_refuses_bad_settings(trained, tmp_path, settings, error, message) -> None:
    ws = WarmStartSettings(trained.latest_checkpoint(), **settings)
    est = Estimator(make_model_fn(), model_dir=str(tmp_path), warm_start_from=ws)
    with pytest.raises(error, match=message):
        est.evaluate(dataset_input_fn())


def test_warm_start_shape_mismatch_is_refused(trained, tmp_path) -> None:
    def model_fn(features, labels, mode):
        w = tf.get_variable("w", [3, 1])
        loss = tf.reduce_mean(w)
        return EstimatorSpec(mode, loss=loss)

    est = Estimator(model_fn, model_dir=str(tmp_path), warm_start_from=trained.model_dir)
    with pytest.raises(ValueError, match="Shape of variable w:0"):
        est.evaluate(dataset_input_fn())


def test_warm_start_settings_validation() -> None:
    with pytest.raises(ValueError, match="`ckpt_to_initialize_from` MUST be set"):
        WarmStartSettings("")
    with pytest.raises(NotImplementedError, match="var_name_to_vocab_info"):
        WarmStartSettings("/some/ckpt", var_name_to_vocab_info={"w": object()})
    with pytest.raises(ValueError, match="warm_start_from must be a string or a"):
        Estimator(make_model_fn(), warm_start_from=3)


# -- train_and_evaluate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: TrainSpec(3), TypeError, "`input_fn` must be callable"),
        (lambda: TrainSpec(dataset_input_fn(), max_steps=0), ValueError, "max_steps > 0"),
        (lambda: TrainSpec(dataset_input_fn(), hooks=[1]), TypeError, "SessionRunHook"),
        (lambda: EvalSpec(dataset_input_fn(), steps=0), ValueError, "steps > 0"),
        (lambda: EvalSpec(dataset_input_fn(), name=3), TypeError, "`name` must be string"),
        (lambda: EvalSpec(dataset_input_fn(), throttle_secs=-1), ValueError, "throttle_secs"),
        (lambda: EvalSpec(dataset_input_fn(), exporters=[1]), TypeError, "an iterable of"),
        (
            lambda: EvalSpec(
                dataset_input_fn(),
                exporters=[FinalExporter("a", None), LatestExporter("a", None)],
            ),
            ValueError,
            "must have unique names",
        ),
        (lambda: LatestExporter("a", None, exports_to_keep=0), ValueError, "positive number"),
    ],
)
def test_specs_refuse_bad_arguments(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_train_and_evaluate_refuses_wrong_types(tmp_path) -> None:
    est = Estimator(make_model_fn(), model_dir=str(tmp_path))
    spec = TrainSpec(dataset_input_fn())
    with pytest.raises(TypeError, match="`eval_spec` must have type"):
        train_and_evaluate(est, spec, spec)
    with pytest.raises(TypeError, match="`estimator` must have type"):
        train_and_evaluate(object(), spec, EvalSpec(dataset_input_fn()))


def test_train_and_evaluate_evaluates_the_last_checkpoint(tmp_path) -> None:
    est = Estimator(make_model_fn(), model_dir=str(tmp_path), config=config())
    metrics, exports = train_and_evaluate(
        est,
        TrainSpec(dataset_input_fn(repeat=True), max_steps=4),
        EvalSpec(dataset_input_fn(batch=5), steps=None, throttle_secs=0),
    )
    assert metrics is not None and metrics["global_step"] == 4
    assert exports == []
    again = est.evaluate(dataset_input_fn(batch=5))
    assert again["loss"] == metrics["loss"]


def test_train_and_evaluate_throttles_and_evaluates_at_the_end(tmp_path) -> None:
    est = Estimator(
        make_model_fn(),
        model_dir=str(tmp_path),
        config=RunConfig(save_checkpoints_steps=2, log_step_count_steps=100),
    )
    metrics, _ = train_and_evaluate(
        est,
        TrainSpec(dataset_input_fn(repeat=True), max_steps=6),
        EvalSpec(dataset_input_fn(batch=5), steps=1, throttle_secs=600),
    )
    assert metrics is not None and metrics["global_step"] == 6
    (event_file,) = (tmp_path / "eval").iterdir()
    steps = [
        event.step
        for event in summary_iterator(str(event_file))
        if event.HasField("summary") and event.summary.value[0].tag != "checkpoint_path"
    ]
    assert steps == [2, 6]  # step 4's checkpoint falls inside the throttle window


def test_predict_without_checkpoint_initializes_or_warm_starts(trained, tmp_path) -> None:
    def features_only():
        return tf.data.Dataset.from_tensor_slices({"x": X}).batch(5)

    fresh = Estimator(make_model_fn(), model_dir=str(tmp_path / "fresh"))
    got = np.array([p["logits"] for p in fresh.predict(features_only)])
    np.testing.assert_allclose(got, X @ np.array([[0.1], [-0.2]], np.float32), rtol=1e-6)
    warm = Estimator(
        make_model_fn(), model_dir=str(tmp_path / "warm"), warm_start_from=trained.model_dir
    )
    got = np.array([p["logits"] for p in warm.predict(features_only)])
    np.testing.assert_allclose(got, X @ trained.get_variable_value("w"), rtol=1e-6)
