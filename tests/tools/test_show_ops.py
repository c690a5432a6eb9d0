"""``stowflow show --ops``: op types, node counts and whether stowflow runs each."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import stowflow as tf
from stowflow.graph.kernels import KERNELS
from stowflow.tools import saved_model_cli

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "savedmodels"


def _args(directory: str, tag_set: str | None = None) -> argparse.Namespace:
    parser = saved_model_cli.add_show_arguments(argparse.ArgumentParser())
    argv = ["--dir", directory, "--ops"] + (["--tag_set", tag_set] if tag_set else [])
    return parser.parse_args(argv)


def test_ops_table_counts_nodes_and_marks_missing_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(KERNELS, "MatMul")
    text = saved_model_cli.show(_args(str(GOLDEN / "tf2_module")))
    first = text.splitlines()[0]
    assert first.startswith("MetaGraphDef with tag-set 'serve': ")
    assert "(missing: MatMul)" in first
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()[2:]}
    assert rows["MatMul"] == ["1", "NO"]
    assert rows["StatefulPartitionedCall"][1] == "yes"
    assert int(rows["ReadVariableOp"][0]) >= 1


def test_ops_of_a_graph_def_file(tmp_path: Path) -> None:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        tf.nn.relu(tf.add(x, x), name="y")
    path = tmp_path / "graph.pb"
    path.write_bytes(graph.as_graph_def().SerializeToString())
    text = saved_model_cli.show(_args(str(path)))
    assert text.splitlines()[0] == f"{path}: 3 op types in 3 nodes; stowflow runs 3 of them"
    assert [line.split()[0] for line in text.splitlines()[2:]] == sorted(
        {n.op for n in graph.as_graph_def().node}
    )
