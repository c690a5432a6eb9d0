"""Static shapes and build-time shape errors match TF's C++ shape functions.

Replays tests/golden/fidelity/shape_table.json (made by ``make_shape_table.py`` with
TensorFlow, TF1 shape printing): each op is built through stowflow's generic builder from
the same placeholders and constants, and must print the same output shapes or raise the
same error class with the same message.
"""

from __future__ import annotations

import json
import operator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow.graph import builder, op_defs
from stowflow.graph.shape import Dimension, TensorShape, V1TensorShape, dimension_value

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "fidelity" / "shape_table.json"
CASES: list[dict[str, Any]] = json.loads(GOLDEN.read_text())["cases"]
TYPE_ATTRS = ("DstT", "dtype", "out_type", "T", "Tidx")
# raw_ops keyword -> OpDef attr name, where TF's Python API renames an attr
ATTR_RENAMES = {("Squeeze", "axis"): "squeeze_dims"}


def _build(spec: Any, counters: dict[str, int]) -> Any:
    kind = spec[0]
    if kind == "list":
        return [_build(s, counters) for s in spec[1]]
    n = counters[kind]
    counters[kind] += 1
    if kind == "ph":
        return tf.placeholder(tf.as_dtype(spec[1]), spec[2], name=f"p{n}")
    np_dtype = object if spec[1] == "string" else np.dtype(spec[1])
    return tf.constant(np.array(spec[2], dtype=np_dtype), dtype=tf.as_dtype(spec[1]), name=f"c{n}")


def _run(case: dict[str, Any]) -> dict[str, Any]:
    graph = tf.Graph()
    with graph.as_default():
        counters = {"ph": 0, "c": 0}
        # raw_ops keyword names (``axis``) may differ from OpDef arg names
        # (``reduction_indices``); both list the inputs in OpDef order.
        names = [a.name for a in op_defs.get(case["op"]).input_arg]
        values = [_build(v, counters) for v in case["inputs"].values()]
        inputs = dict(zip(names, values, strict=True))
        attrs = {
            ATTR_RENAMES.get((case["op"], k), k): tf.as_dtype(v)
            if k in TYPE_ATTRS and isinstance(v, str)
            else v
            for k, v in case["attrs"].items()
        }
        try:
            out = builder.apply_op(case["op"], inputs, attrs)
        except (ValueError, TypeError) as e:
            return {"error": [type(e).__name__, str(e)]}
        outs = out if isinstance(out, list) else []
        return {"shapes": [str(t.shape) for t in outs]}


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['op']}-{json.dumps(case['inputs'])[:60]}-{json.dumps(case['attrs'])[:40]}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_shape_matches_tf(case: dict[str, Any]) -> None:
    want = {k: case[k] for k in ("shapes", "error") if k in case}
    assert _run(case) == want


def test_table_covers_every_shape_function_of_shape_fns() -> None:
    from stowflow.graph.kernels.registry import SHAPE_FNS

    ours = {k for k, f in SHAPE_FNS.items() if f.__module__ == "stowflow.graph.shape_fns"}
    stateful = {
        "Assign", "AssignAdd", "AssignSub", "Const", "Placeholder", "VariableV2", "VarHandleOp",
        "ReadVariableOp", "VarIsInitializedOp", "IsVariableInitialized",
    }  # fmt: skip
    covered = {c["op"] for c in CASES}
    assert sorted(ours - stateful - covered) == []


# --------------------------------------------------------------------------- TF1 TensorShape API

API_GOLDEN = GOLDEN.parent / "tf1_shape_api.json"
API_CASES: list[dict[str, Any]] = json.loads(API_GOLDEN.read_text())["cases"]
BINARY = {"eq", "ne", "lt", "le", "ge", "add", "mul", "floordiv", "mod", "sub"}


def _make(spec: Any) -> Any:
    if isinstance(spec, list) and spec and spec[0] == "S":
        return V1TensorShape(None if spec[1] is None else [_make(d) for d in spec[1]])
    if isinstance(spec, list) and spec and spec[0] == "D":
        return Dimension(spec[1])
    return spec


def _apply(receiver: Any, op: str, arg: Any) -> Any:
    if op in BINARY:
        return getattr(operator, op)(receiver, arg)
    simple = {
        "getitem": lambda: receiver[arg],
        "getitem_value": lambda: receiver[arg].value,
        "slice": lambda: receiver[arg[0] : arg[1]],
        "iter": lambda: list(receiver),
        "repr": lambda: repr(receiver),
        "str": lambda: str(receiver),
        "len": lambda: len(receiver),
        "radd": lambda: arg + receiver,
        "rsub": lambda: arg - receiver,
        "int": lambda: int(receiver),
        "bool": lambda: bool(receiver),
        "index": lambda: arg[receiver],
        "hash": lambda: hash(receiver),
        "dimension_value": lambda: dimension_value(receiver),
    }
    if op in simple:
        return simple[op]()
    attr = getattr(receiver, op)
    return attr(arg) if callable(attr) and arg is not None else (attr() if callable(attr) else attr)


def _api_run(receiver: Any, op: str, arg: Any) -> dict[str, Any]:
    try:
        value = _apply(_make(receiver), op, _make(arg))
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        return {"error": [type(e).__name__, str(e)]}
    name = "TensorShape" if isinstance(value, TensorShape) else type(value).__name__
    return {"type": name, "repr": repr(value), "str": str(value)}


@pytest.mark.parametrize("case", API_CASES, ids=[json.dumps(c["case"]) for c in API_CASES])
def test_tf1_shape_api_matches_tf(case: dict[str, Any]) -> None:
    want = {k: case[k] for k in ("type", "repr", "str", "error") if k in case}
    assert _api_run(*case["case"]) == want


def test_tf1_runner_gives_dimensions(tmp_path: Path) -> None:
    """Under ``python -m stowflow.tf1`` user code sees Dimensions; stowflow's own code ints."""
    import subprocess
    import sys

    from stowflow_testlib import DEV_PYTHON_ENV

    script = tmp_path / "dims.py"
    script.write_text(
        "import tensorflow as tf\n"
        "x = tf.placeholder(tf.float32, [None, 3], name='x')\n"
        "print(x.get_shape()[-1].value, x.shape[0], tf.Dimension(2) * 3)\n"
        "print(tf.zeros([x.shape[1], 4]).shape, tf.transpose(x).shape)\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "stowflow.tf1", str(script)],
        capture_output=True, text=True, env=DEV_PYTHON_ENV, check=True,
    ).stdout  # fmt: skip
    assert out.splitlines() == ["3 ? 6", "(3, 4) (3, ?)"]


def test_import_stowflow_keeps_int_dimensions() -> None:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3])
    assert x.shape[1] == 3 and isinstance(x.shape[1], int) and x.shape[0] is None
