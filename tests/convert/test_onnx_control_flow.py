"""Functional control flow to ONNX on small hand-built graphs: Case -> chained If
(out-of-range index -> last branch, as TF does) and StatelessWhile -> Loop, each run by
onnxruntime and compared with stowflow's own run of the same GraphDef."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort  # test-only dependency ([test] extra): missing fails, not skips
import pytest

from stowflow import dtypes
from stowflow.convert.onnx import export_graph_def
from stowflow.errors import InvalidArgumentError
from stowflow.graph.core import Graph
from stowflow.graph.importer import import_graph_def
from stowflow.graph.session import Session
from stowflow.proto import graph_pb2
from stowflow.tensors import make_tensor_proto

FLOAT, INT32, BOOL = (d.as_datatype_enum for d in (dtypes.float32, dtypes.int32, dtypes.bool))


def _const(owner: Any, name: str, value: np.ndarray) -> None:
    node = owner.add(name=name, op="Const")
    node.attr["dtype"].type = dtypes.as_dtype(value.dtype).as_datatype_enum
    node.attr["value"].tensor.CopyFrom(make_tensor_proto(value))


def _binary_fn(graph_def: Any, name: str, op_type: str, value: float) -> None:
    """``name(x) = op_type(x, value)`` in the graph's library."""
    f = graph_def.library.function.add()
    f.signature.name = name
    f.signature.input_arg.add(name="x", type=FLOAT)
    f.signature.output_arg.add(name="y", type=FLOAT)
    _const(f.node_def, "c", np.array(value, np.float32))
    node = f.node_def.add(name="n", op=op_type, input=["x", "c:output:0"])
    node.attr["T"].type = FLOAT
    f.ret["y"] = "n:z:0"


def _placeholder(graph_def: Any, name: str, dtype: int, dims: list[int] | None) -> None:
    node = graph_def.node.add(name=name, op="Placeholder")
    node.attr["dtype"].type = dtype
    if dims is None:
        node.attr["shape"].shape.unknown_rank = True
    else:
        node.attr["shape"].shape.SetInParent()
        for d in dims:
            node.attr["shape"].shape.dim.add(size=d)


def _compare(graph_def: Any, feeds: dict[str, np.ndarray], output: str) -> Any:
    export = export_graph_def(graph_def, list(feeds), [output])
    session = ort.InferenceSession(
        export.model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    got = session.run(None, {f"{k}:0": v for k, v in feeds.items()})[0]
    graph = Graph()
    with graph.as_default():
        import_graph_def(graph_def, name="")
    with Session(graph=graph) as sess:
        want = sess.run(output, {f"{k}:0": v for k, v in feeds.items()})
    np.testing.assert_allclose(got, want, rtol=1e-6)
    return export


@pytest.mark.parametrize("index", [0, 1, 2, 7, -1])
def test_case_picks_the_branch_and_defaults_to_the_last(index: int) -> None:
    graph_def = graph_pb2.GraphDef()
    for name, op_type, value in (("b0", "Mul", 2.0), ("b1", "AddV2", 1.0), ("b2", "Sub", 3.0)):
        _binary_fn(graph_def, name, op_type, value)
    _placeholder(graph_def, "i", INT32, [])
    _placeholder(graph_def, "x", FLOAT, [-1, 3])
    case = graph_def.node.add(name="case", op="Case", input=["i", "x"])
    case.attr["Tin"].list.type.append(FLOAT)
    case.attr["Tout"].list.type.append(FLOAT)
    for name in ("b0", "b1", "b2"):
        case.attr["branches"].list.func.add(name=name)
    case.attr["output_shapes"].list.shape.add().unknown_rank = True
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    export = _compare(graph_def, {"i": np.array(index, np.int32), "x": x}, "case:0")
    assert [n.op_type for n in export.model.graph.node].count("If") == 1


def test_stateless_while_becomes_a_loop() -> None:
    graph_def = graph_pb2.GraphDef()
    cond = graph_def.library.function.add()
    cond.signature.name = "cond"
    cond.signature.input_arg.add(name="i", type=INT32)
    cond.signature.input_arg.add(name="x", type=FLOAT)
    cond.signature.input_arg.add(name="n", type=INT32)
    cond.signature.output_arg.add(name="ok", type=BOOL)
    less = cond.node_def.add(name="less", op="Less", input=["i", "n"])
    less.attr["T"].type = INT32
    cond.ret["ok"] = "less:z:0"
    body = graph_def.library.function.add()
    body.signature.name = "body"
    for name, dtype in (("i", INT32), ("x", FLOAT), ("n", INT32)):
        body.signature.input_arg.add(name=name, type=dtype)
        body.signature.output_arg.add(name=name + "_out", type=dtype)
    _const(body.node_def, "one", np.array(1, np.int32))
    _const(body.node_def, "half", np.array(0.5, np.float32))
    step = body.node_def.add(name="step", op="AddV2", input=["i", "one:output:0"])
    step.attr["T"].type = INT32
    grow = body.node_def.add(name="grow", op="Mul", input=["x", "half:output:0"])
    grow.attr["T"].type = FLOAT
    tanh = body.node_def.add(name="tanh", op="Tanh", input=["grow:z:0"])
    tanh.attr["T"].type = FLOAT
    body.ret.update({"i_out": "step:z:0", "x_out": "tanh:y:0", "n_out": "n"})
    _placeholder(graph_def, "x", FLOAT, [-1, 2])
    _placeholder(graph_def, "n", INT32, [])
    _const(graph_def.node, "zero", np.array(0, np.int32))
    loop = graph_def.node.add(name="loop", op="StatelessWhile", input=["zero", "x", "n"])
    loop.attr["T"].list.type.extend([INT32, FLOAT, INT32])
    loop.attr["cond"].func.name = "cond"
    loop.attr["body"].func.name = "body"
    loop.attr["parallel_iterations"].i = 10
    with pytest.raises(
        InvalidArgumentError,
        match=r"the rank of outputs \['loop:1'\] is unknown.*pass output_shapes",
    ):
        export_graph_def(graph_def, ["x", "n"], ["loop:1"])
    for dims in ([], [-1, 2], []):  # TF always records the loop variables' shapes
        shape = loop.attr["output_shapes"].list.shape.add()
        for d in dims:
            shape.dim.add(size=d)
    x = np.array([[4.0, -3.0], [0.5, 8.0]], np.float32)
    for n in (0, 1, 5):
        export = _compare(graph_def, {"x": x, "n": np.array(n, np.int32)}, "loop:1")
    assert "Loop" in [node.op_type for node in export.model.graph.node]
