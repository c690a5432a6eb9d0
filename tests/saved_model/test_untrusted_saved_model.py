"""A SavedModel is untrusted input: asset names cannot escape assets/, recursion is bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stowflow as tf
from stowflow import saved_model as sm
from stowflow import tensors
from stowflow.errors import InvalidArgumentError
from stowflow.proto import function_pb2, graph_pb2


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..", "a/b.txt", ""])
def test_asset_names_cannot_leave_the_assets_directory(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidArgumentError, match="outside its assets/ directory"):
        sm.loader.asset_path(str(tmp_path), name)
    assert sm.loader.asset_path(str(tmp_path), "vocab.txt") == str(
        tmp_path / "assets" / "vocab.txt"
    )


def test_recursive_function_is_refused_not_a_recursion_error() -> None:
    library = function_pb2.FunctionDefLibrary()
    fn = library.function.add()
    fn.signature.name = "loop"
    fn.signature.input_arg.add(name="x", type=1)
    fn.signature.output_arg.add(name="y", type=1)
    call = fn.node_def.add(name="again", op="PartitionedCall", input=["x"])
    call.attr["f"].func.name = "loop"
    call.attr["Tin"].list.type.append(1)
    call.attr["Tout"].list.type.append(1)
    fn.ret["y"] = "again:output:0"
    graph_def = graph_pb2.GraphDef()
    graph_def.library.CopyFrom(library)
    x = graph_def.node.add(name="x", op="Const")
    x.attr["dtype"].type = 1
    x.attr["value"].tensor.CopyFrom(tensors.make_tensor_proto(np.float32(1.0)))
    entry = graph_def.node.add(name="call", op="PartitionedCall", input=["x"])
    entry.attr["f"].func.name = "loop"
    entry.attr["Tin"].list.type.append(1)
    entry.attr["Tout"].list.type.append(1)
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session(graph=graph) as sess:
            with pytest.raises(InvalidArgumentError, match="nested more than"):
                sess.run("call:0")


def test_builder_context_manager_discards_a_failed_build(tmp_path: Path) -> None:
    export_dir = tmp_path / "model"
    with pytest.raises(ZeroDivisionError):
        with sm.builder.SavedModelBuilder(str(export_dir)) as builder:
            graph = tf.Graph()
            with graph.as_default(), tf.Session(graph=graph) as sess:
                tf.Variable(1.0, name="v")
                sess.run(tf.global_variables_initializer())
                builder.add_meta_graph_and_variables(sess, ["serve"])
            1 / 0  # noqa: B018 - the failure the builder must clean up after
    assert list(tmp_path.iterdir()) == []
