"""Canned estimators (DNN, Linear, DNN+Linear; classifier and regressor) behave as TF 2.15's.

Goldens: ``tests/golden/estimator/make_canned_goldens.py`` ran every case of
``canned_cases.py`` under TF 2.15 + tensorflow-estimator 2.15 and kept the facts in
``canned_goldens.json`` plus TF's ``model.ckpt-0``/``model.ckpt-5`` of each case under
``tests/golden/estimator/canned/<case>/``. Here stowflow runs the same cases and must give:
TF's checkpoint variables, TF's seeded initial values, TF's loss at every step when starting
from TF's initial checkpoint, TF's predictions / evaluate() / export from TF's trained
checkpoint; TF 2.21 then reads our checkpoint and our export.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from stowflow_testlib import run_tf_report

import stowflow
from stowflow import checkpoint, feature_column, saved_model
from stowflow.estimator import canned
from stowflow.proto import example_pb2, saved_model_pb2
from stowflow.summary.writer import summary_iterator

HERE = Path(__file__).resolve().parent
sys.path[:0] = [p for p in (str(HERE), str(HERE.parent)) if p not in sys.path]
import canned_cases as cases  # noqa: E402 - beside this file
import estimator_harness  # noqa: E402 - tests/estimator

GOLDEN_DIR = HERE.parents[1] / "golden" / "estimator"
GOLDEN = json.loads((GOLDEN_DIR / "canned_goldens.json").read_text())
CASES = sorted(cases.CASES)


# The cases run against `import stowflow as tf` (TF1 names, canned estimators included).
TF = stowflow


def _model_dir_from_tf(tmp_path: Path, case: str, step: int) -> str:
    """A model directory holding TF's checkpoint ``model.ckpt-<step>`` of ``case``."""
    target = tmp_path / case
    target.mkdir()
    for path in (GOLDEN_DIR / "canned" / case).glob(f"model.ckpt-{step}.*"):
        shutil.copy(path, target / path.name)
    (target / "checkpoint").write_text(
        f'model_checkpoint_path: "model.ckpt-{step}"\n'
        f'all_model_checkpoint_paths: "model.ckpt-{step}"\n'
    )
    return str(target)


def _train(model_dir: str, case: str) -> tuple[Any, list[float]]:
    estimator = cases.build(TF, case, model_dir)
    hook = cases.loss_hook(TF, GOLDEN[case]["loss_name"])
    estimator.train(cases.input_fn(TF, case), steps=cases.STEPS, hooks=[hook])
    return estimator, hook.losses


def _summary_tags(model_dir: str) -> list[str]:
    tags = set()
    for path in Path(model_dir).glob("events.out.tfevents.*"):
        for event in summary_iterator(str(path)):
            tags.update(value.tag for value in event.summary.value)
    return sorted(tags)


def _values(prefix: str) -> dict[str, np.ndarray]:
    reader = checkpoint.CheckpointReader(prefix)
    return {name: reader.get_tensor(name) for name, _ in checkpoint.list_variables(prefix)}


@pytest.mark.parametrize("case", CASES)
def test_checkpoint_variables_match_tf(case, tmp_path) -> None:
    estimator, _ = _train(str(tmp_path / case), case)
    prefix = estimator.latest_checkpoint()
    dtypes = checkpoint.CheckpointReader(prefix).get_variable_to_dtype_map()
    got = [[n, dtypes[n].name, list(s)] for n, s in checkpoint.list_variables(prefix)]
    assert got == GOLDEN[case]["variables"]


@pytest.mark.parametrize("case", CASES)
def test_seeded_training_matches_tf(case, tmp_path) -> None:
    model_dir = str(tmp_path / case)
    _, losses = _train(model_dir, case)
    initial = _values(f"{model_dir}/model.ckpt-0")
    expected = GOLDEN[case]["init"]
    assert sorted(initial) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(initial[name], value, rtol=1e-6, atol=1e-7, err_msg=name)
    np.testing.assert_allclose(losses, GOLDEN[case]["losses"], rtol=0, atol=1e-4)


@pytest.mark.parametrize("case", CASES)
def test_training_from_tf_initial_checkpoint_matches_tf(case, tmp_path) -> None:
    estimator, losses = _train(_model_dir_from_tf(tmp_path, case, 0), case)
    np.testing.assert_allclose(losses, GOLDEN[case]["losses"], rtol=0, atol=1e-4)
    trained = _values(estimator.latest_checkpoint())
    for name, value in GOLDEN[case]["final"].items():
        np.testing.assert_allclose(trained[name], value, rtol=1e-4, atol=1e-5, err_msg=name)
    assert _summary_tags(estimator.model_dir) == GOLDEN[case]["summary_tags"]


@pytest.mark.parametrize("case", CASES)
def test_predictions_from_tf_checkpoint_match_tf(case, tmp_path) -> None:
    estimator = cases.build(TF, case, _model_dir_from_tf(tmp_path, case, cases.STEPS))
    got = cases.predictions(TF, estimator, case)
    expected = GOLDEN[case]["predictions"]
    assert [sorted(row) for row in got] == [sorted(row) for row in expected]
    for row, want in zip(got, expected, strict=True):
        for key, value in want.items():
            if isinstance(value[0], str):
                assert row[key] == value, key
            else:
                np.testing.assert_allclose(row[key], value, atol=1e-4, err_msg=key)


@pytest.mark.parametrize("case", CASES)
def test_evaluate_from_tf_checkpoint_matches_tf(case, tmp_path) -> None:
    estimator = cases.build(TF, case, _model_dir_from_tf(tmp_path, case, cases.STEPS))
    got = estimator.evaluate(cases.input_fn(TF, case), steps=1)
    expected = GOLDEN[case]["evaluate"]
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, atol=1e-4, err_msg=key)


def _serialized_examples() -> list[bytes]:
    return cases.serialized_examples(example_pb2.Example)


def _export(tmp_path: Path, case: str) -> str:
    estimator = cases.build(TF, case, _model_dir_from_tf(tmp_path, case, cases.STEPS))
    base = str(tmp_path / "export")
    return estimator.export_saved_model(base, cases.serving_input_receiver_fn(TF, case)).decode()


def _assert_outputs(got: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    assert sorted(got) == sorted(expected), where
    for name, value in expected.items():
        if value and isinstance(np.asarray(value).reshape(-1)[0].item(), str):
            assert cases._plain(np.asarray(got[name], dtype=object)) == value, (where, name)
        else:
            np.testing.assert_allclose(got[name], value, atol=1e-4, err_msg=f"{where} {name}")


@pytest.mark.parametrize("case", CASES)
def test_export_signatures_and_outputs_match_tf(case, tmp_path) -> None:
    export_dir = _export(tmp_path, case)
    data = (Path(export_dir) / "saved_model.pb").read_bytes()
    (meta,) = saved_model_pb2.SavedModel.FromString(data).meta_graphs
    assert json.loads(json.dumps(estimator_harness.signatures(meta))) == GOLDEN[case]["signatures"]
    model = saved_model.load(export_dir)
    serialized = np.array(_serialized_examples(), dtype=object)
    for key, expected in GOLDEN[case]["export_outputs"].items():
        signature = model.signatures[key]
        (input_key,) = signature.inputs
        got = signature(**{input_key: serialized})
        _assert_outputs({k: np.asarray(v) for k, v in got.items()}, expected, key)


def test_unknown_optimizer_name_is_rejected_with_tf_message(tmp_path) -> None:
    estimator = canned.DNNClassifier(
        hidden_units=[2],
        feature_columns=[feature_column.numeric_column("x", shape=(2,))],
        optimizer="Adadelta",
        model_dir=str(tmp_path),
    )
    with pytest.raises(ValueError, match=r"Unsupported optimizer name: Adadelta\. Supported"):
        estimator.train(cases.input_fn(TF, "dnn_binary"), steps=1)


def test_multi_class_head_needs_more_than_two_classes() -> None:
    with pytest.raises(ValueError, match=r"n_classes must be > 2: 1\."):
        canned.DNNClassifier(hidden_units=[2], feature_columns=[], n_classes=1)


_TF221_READS = r"""
import json, sys
import tensorflow as tf
report = {}
for case, job in json.loads(sys.stdin.read()).items():
    reader = tf.train.load_checkpoint(job["checkpoint"])
    names = [n for n, _ in tf.train.list_variables(job["checkpoint"])]
    values = {n: reader.get_tensor(n).tolist() for n in names}
    model = tf.saved_model.load(job["export_dir"])
    serialized = tf.constant([bytes.fromhex(h) for h in job["examples"]])
    outputs = {}
    for key, fn in model.signatures.items():
        (name,) = fn.structured_input_signature[1]
        got = fn(**{name: serialized})
        outputs[key] = {
            k: [x.decode() for x in v.numpy().reshape(-1).tolist()]
            if v.dtype == tf.string
            else v.numpy().tolist()
            for k, v in got.items()
        }
    report[case] = {"values": values, "outputs": outputs}
print("@@REPORT@@" + json.dumps(report))
"""
INTEROP_CASES = ["dnn_binary", "combined_regressor", "linear_categorical"]


@pytest.mark.interop
def test_tf_221_reads_our_checkpoints_and_exports(tmp_path) -> None:
    jobs, ours = {}, {}
    for case in INTEROP_CASES:
        estimator, _ = _train(_model_dir_from_tf(tmp_path, case, 0), case)
        prefix = estimator.latest_checkpoint()
        export_dir = estimator.export_saved_model(
            str(tmp_path / "export" / case), cases.serving_input_receiver_fn(TF, case)
        ).decode()
        jobs[case] = {
            "checkpoint": prefix,
            "export_dir": export_dir,
            "examples": [e.hex() for e in _serialized_examples()],
        }
        ours[case] = _values(prefix)
    report = run_tf_report(_TF221_READS, json.dumps(jobs))
    for case in INTEROP_CASES:
        got = report[case]
        assert sorted(got["values"]) == sorted(ours[case])
        for name, value in got["values"].items():
            mine = ours[case][name]
            np.testing.assert_array_equal(np.asarray(value, dtype=mine.dtype), mine)
        # Our export holds weights equal (1e-4) to TF's trained ones: TF 2.21 must compute
        # what TF 2.15 computed with its own export.
        expected_outputs = GOLDEN[case]["export_outputs"]
        assert sorted(got["outputs"]) == sorted(expected_outputs)
        for key, expected in expected_outputs.items():
            _assert_outputs(got["outputs"][key], expected, f"{case} {key}")
