"""``stowflow freeze`` (TF's freeze_graph) on models stowflow builds; TF interop is elsewhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from google.protobuf import text_format
from stowflow_testlib import DEV_PYTHON_ENV, ROOT

import stowflow as tf
from stowflow.proto import graph_pb2
from stowflow.tools import freeze_graph

X = np.array([[1.0, 2.0, 3.0], [-4.0, 0.0, 1.0]], np.float32)
W = np.arange(6, dtype=np.float32).reshape(3, 2) * 2.0
B = np.array([0.5, -1.0], np.float32)


def _expected(w: np.ndarray = W, b: np.ndarray = B) -> np.ndarray:
    return np.maximum(X @ w + b, 0)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A TF1 model built and trained by stowflow: graph (text, binary), meta, checkpoint."""
    out = tmp_path_factory.mktemp("freeze")
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="W")
        b = tf.Variable(B, name="b")
        tf.Variable(3.0, name="unused")
        tf.nn.relu(tf.matmul(x, w) + b, name="y")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(w.assign(w * 2.0))
            prefix = tf.train.Saver().save(sess, str(out / "model.ckpt"))
        graph_def = g.as_graph_def()
    (out / "graph.pbtxt").write_text(text_format.MessageToString(graph_def))
    (out / "graph.pb").write_bytes(graph_def.SerializeToString())
    return {"dir": str(out), "prefix": prefix, "meta": prefix + ".meta"}


def _run_frozen(graph_def: Any) -> np.ndarray:
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            return np.asarray(sess.run("y:0", {"x:0": X}))


def _load(path: Path) -> Any:
    graph_def = graph_pb2.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    return graph_def


def _cli(argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "stowflow", "freeze", *argv],
        capture_output=True,
        timeout=300,
        env=DEV_PYTHON_ENV,
        cwd=str(ROOT),
    )


@pytest.mark.parametrize(
    "source",
    [
        ["--input_graph", "{dir}/graph.pbtxt"],
        ["--input_graph", "{dir}/graph.pb", "--input_binary"],
        ["--input_graph", "{dir}/graph.pb", "--input_binary=true"],
        ["--input_meta_graph", "{meta}", "--input_binary"],
    ],
    ids=["text", "binary", "binary=true", "meta"],
)
def test_cli_freezes(model: dict[str, str], tmp_path: Path, source: list[str]) -> None:
    out = tmp_path / "frozen.pb"
    argv = [a.format(**model) for a in source]
    proc = _cli([*argv, "--input_checkpoint", model["prefix"], "--output_node_names", "y",
                 "--output_graph", str(out)])  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    frozen = _load(out)
    assert out.read_bytes() == frozen.SerializeToString(deterministic=True)
    assert [n.name for n in frozen.node if n.op == "Const"] == ["W", "b"]
    assert not {"VariableV2", "Assign", "SaveV2", "RestoreV2"} & {n.op for n in frozen.node}
    np.testing.assert_array_equal(_run_frozen(frozen), _expected())


def test_whitelist_and_denylist(model: dict[str, str]) -> None:
    graph_def = text_format.Parse(
        Path(model["dir"], "graph.pbtxt").read_text(), graph_pb2.GraphDef()
    )
    kept = freeze_graph.freeze_graph_with_def_protos(
        graph_def, None, model["prefix"], "y", "", variable_names_denylist="b"
    )
    assert {n.name: n.op for n in kept.node}["b"] == "VariableV2"
    only_b = freeze_graph.freeze_graph_with_def_protos(
        graph_def, None, model["prefix"], "y", "", variable_names_whitelist="b"
    )
    assert {n.name: n.op for n in only_b.node}["W"] == "VariableV2"
    assert {n.name: n.op for n in only_b.node}["b"] == "Const"


def test_blacklist_alias(model: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "f.pb"
    proc = _cli(["--input_graph", model["dir"] + "/graph.pbtxt", "--input_checkpoint",
                 model["prefix"], "--output_node_names", "y", "--output_graph", str(out),
                 "--variable_names_blacklist", "W"])  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    assert {n.name: n.op for n in _load(out).node}["W"] == "VariableV2"


def test_saved_model_dir(tmp_path: Path) -> None:
    export = tmp_path / "sm"
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(W, name="W")
        tf.nn.relu(tf.matmul(x, w) + B, name="y")
        sess.run(tf.global_variables_initializer())
        builder = tf.saved_model.Builder(str(export))
        builder.add_meta_graph_and_variables(sess, ["serve"])
        builder.save()
    out = tmp_path / "f.pb"
    proc = _cli(["--input_saved_model_dir", str(export), "--output_node_names", "y",
                 "--output_graph", str(out)])  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    np.testing.assert_array_equal(_run_frozen(_load(out)), _expected())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--input_graph", "{dir}/graph.pbtxt", "--input_checkpoint", "{dir}/nope",
          "--output_node_names", "y"], "Input checkpoint '{dir}/nope' doesn't exist!"),
        (["--input_graph", "{dir}/graph.pbtxt", "--input_checkpoint", "{prefix}"],
         "You need to supply the name of a node to --output_node_names."),
        (["--input_graph", "{dir}/missing.pb", "--input_checkpoint", "{prefix}",
          "--output_node_names", "y"], "Input graph file '{dir}/missing.pb' does not exist!"),
        (["--input_graph", "{dir}/graph.pb", "--input_checkpoint", "{prefix}",
          "--output_node_names", "y"], "is not a text (pass --input_binary for a .pb) protobuf"),
        (["--input_graph", "{dir}/graph.pbtxt", "--input_checkpoint", "{prefix}",
          "--output_node_names", "nope"], "nope is not in graph"),
        (["--input_graph", "{dir}/graph.pbtxt", "--input_checkpoint", "{prefix}",
          "--output_node_names", "y", "--checkpoint_version", "3"],
         "Invalid checkpoint version (must be '1' or '2'): 3"),
    ],
    ids=["no-checkpoint", "no-outputs", "no-graph", "binary-as-text", "bad-output", "version"],
)  # fmt: skip
def test_errors_are_one_line(model: dict[str, str], argv: list[str], message: str) -> None:
    proc = _cli([a.format(**model) for a in argv])
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.decode().splitlines() if ln.startswith("stowflow freeze:")]
    assert len(errors) == 1 and message.format(**model) in errors[0], proc.stderr.decode()


def test_frozen_graph_cannot_be_frozen_twice(model: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "f.pb"
    first = _cli(["--input_graph", model["dir"] + "/graph.pbtxt", "--input_checkpoint",
                  model["prefix"], "--output_node_names", "y", "--output_graph", str(out)])  # fmt: skip
    assert first.returncode == 0
    again = _cli(["--input_graph", str(out), "--input_binary", "--input_checkpoint",
                  model["prefix"], "--output_node_names", "y"])  # fmt: skip
    assert again.returncode == 1
    assert b"You cannot freeze a graph twice." in again.stderr


def test_restore_by_name_closes_the_checkpoint_reader(
    model: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Any] = []

    class Recording(freeze_graph.ckpt_lib.Reader):
        def __init__(self, path: str) -> None:
            super().__init__(path)
            self.closed = False
            opened.append(self)

        def close(self) -> None:
            self.closed = True
            super().close()

    monkeypatch.setattr(freeze_graph.ckpt_lib, "Reader", Recording)
    graph_def = text_format.Parse(
        Path(model["dir"], "graph.pbtxt").read_text(), graph_pb2.GraphDef()
    )
    frozen = freeze_graph.freeze_graph_with_def_protos(graph_def, None, model["prefix"], "y", "")
    np.testing.assert_array_equal(_run_frozen(frozen), _expected())
    assert opened and all(reader.closed for reader in opened)
