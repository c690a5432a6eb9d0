"""stowflow vs TensorFlow, tensor by tensor: ``tf_dump_run.py`` (run with the TF oracle)
dumps the same SavedModel run in stowflow's format, and ``debug-diff`` compares them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from stowflow_testlib import require_tf_python
from tfdbg_models import NAN_INPUT, NAN_MODEL_TENSORS, build_nan_saved_model

import stowflow as tf
from stowflow.debug import cli_session, read_dump
from stowflow.debug.diff import diff_dumps
from stowflow.graph.kernels import registry
from stowflow.tools import saved_model_cli

SCRIPT = Path(__file__).with_name("tf_dump_run.py")


def _build_mlp(export: Path) -> None:
    rng = np.random.RandomState(0)
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w = tf.Variable(rng.randn(4, 3).astype(np.float32), name="w")
        b = tf.Variable(rng.randn(3).astype(np.float32), name="b")
        sess.run(tf.global_variables_initializer())
        hidden = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w), b), name="hidden")
        probs = tf.nn.softmax(hidden, name="probs")
        score = tf.reduce_mean(tf.tanh(probs * 3.0), axis=1, name="score")
        builder = tf.saved_model.Builder(str(export))
        sig = tf.saved_model.signature_def_utils.predict_signature_def(
            {"x": x}, {"probs": probs, "score": score}
        )
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"sig": sig})
        builder.save()


def _tf_dump(python: Path, model: Path, signature: str, inputs: Path, out: Path) -> None:
    done = subprocess.run(
        [str(python), str(SCRIPT), "--dir", str(model), "--tag_set", "serve",
         "--signature_def", signature, "--inputs", f"x={inputs}", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


def _stowflow_dump(model: Path, signature: str, inputs: Path, out: Path) -> None:
    saved_model_cli.run_saved_model(
        str(model), "serve", signature, {"x": np.load(inputs)}, None, False,
        emit=lambda text: None, wrap_session=lambda s: cli_session(s, False, str(out)),
    )  # fmt: skip


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    python = require_tf_python()
    root = tmp_path_factory.mktemp("tfdbg_interop")
    _build_mlp(root / "mlp")
    build_nan_saved_model(root / "nan")
    np.save(root / "mlp_x.npy", np.random.RandomState(1).randn(5, 4).astype(np.float32))
    np.save(root / "nan_x.npy", NAN_INPUT)
    _tf_dump(python, root / "mlp", "sig", root / "mlp_x.npy", root / "mlp_tf")
    _tf_dump(python, root / "nan", "serving_default", root / "nan_x.npy", root / "nan_tf")
    _stowflow_dump(root / "mlp", "sig", root / "mlp_x.npy", root / "mlp_sf")
    _stowflow_dump(root / "nan", "serving_default", root / "nan_x.npy", root / "nan_sf")
    return {p.name: p for p in root.iterdir()}


def test_stowflow_and_tensorflow_dumps_agree(dumps: dict[str, Path]) -> None:
    for model in ("mlp", "nan"):
        differences, missing, compared = diff_dumps(
            str(dumps[f"{model}_sf"]), str(dumps[f"{model}_tf"]), rtol=1e-5, atol=1e-6
        )
        ours = [r.tensor_name for r in read_dump(str(dumps[f"{model}_sf"]))]
        theirs = [r.tensor_name for r in read_dump(str(dumps[f"{model}_tf"]))]
        assert sorted(ours) == sorted(theirs)
        assert (differences, missing) == ([], [])
        assert compared == len(ours)
    nan_tf = {r.tensor_name: r for r in read_dump(str(dumps["nan_tf"]))}
    assert sorted(nan_tf) == sorted(NAN_MODEL_TENSORS)
    assert nan_tf["log:0"].stats.nan_count == 1  # NaNs in the same places compare equal


def test_a_kernel_diverging_from_tensorflow_is_pinpointed(
    dumps: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = registry.KERNELS["Relu"]
    monkeypatch.setitem(
        registry.KERNELS, "Relu", lambda inputs, attrs: [original(inputs, attrs)[0] * 1.01]
    )
    root = dumps["mlp"].parent
    _stowflow_dump(dumps["mlp"], "sig", root / "mlp_x.npy", tmp_path / "bad")
    differences, _, _ = diff_dumps(str(tmp_path / "bad"), str(dumps["mlp_tf"]))
    assert differences[0].tensor == "hidden:0" and differences[0].op == "Relu"
