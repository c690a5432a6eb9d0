"""String, hashing, sparse, ragged and feature-column kernels against TensorFlow's outputs.

The goldens (tests/golden/kernels/string_sparse_goldens.json) come from
tests/golden/kernels/make_string_sparse_goldens.py, run with TensorFlow 2.21; the
encoding and comparison helpers are test_kernels.py's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_kernels import (
    assert_same,
    decode_array,
    decode_attrs,
    decode_input,
)

import stowflow as tf
from stowflow import dtypes, errors
from stowflow.graph import string_ops
from stowflow.graph.kernels.registry import KERNELS, SHAPE_FNS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "kernels" / "string_sparse_goldens.json"
GOLDENS = json.loads(GOLDEN.read_text())
CASES: list[dict[str, Any]] = GOLDENS["cases"]
WRAPPERS: list[dict[str, Any]] = GOLDENS["wrappers"]
MODULES = ("string_kernels", "sparse_kernels")


def _run(case: dict[str, Any]) -> list[Any]:
    inputs = [decode_input(s) for s in case["inputs"]]
    return KERNELS[case["op"]](inputs, decode_attrs(case["attrs"]))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_kernel_matches_tensorflow(case: dict[str, Any]) -> None:
    if "error" in case:
        expected = getattr(errors, case["error"])
        with pytest.raises(expected) as info:
            _run(case)
        assert type(info.value) is expected
        assert info.value.message == case["message"]
        return
    got = _run(case)
    want = case["outputs"][0]
    assert len(got) == len(want), f"{case['id']}: {len(got)} outputs, TF has {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_same(g, decode_array(w), f"{case['id']} output {i}")


def test_every_new_kernel_has_a_shape_function() -> None:
    ours = {name for name, fn in KERNELS.items() if fn.__module__.rsplit(".", 1)[-1] in MODULES}
    assert ours, "the string and sparse kernels are registered"
    assert sorted(ours - set(SHAPE_FNS)) == []


def test_goldens_cover_every_new_kernel() -> None:
    ours = {name for name, fn in KERNELS.items() if fn.__module__.rsplit(".", 1)[-1] in MODULES}
    assert sorted(ours - {c["op"] for c in CASES}) == []


def _wrapper(api: str) -> Any:
    if api.startswith("strings."):
        return string_ops.STRINGS[api.split(".", 1)[1]]
    return string_ops.V1_TOPLEVEL[api]


@pytest.mark.parametrize("call", WRAPPERS, ids=[f"{i}-{w['api']}" for i, w in enumerate(WRAPPERS)])
def test_tf1_wrapper_builds_tf_nodes_and_values(call: dict[str, Any]) -> None:
    kwargs = dict(call["kwargs"])
    if "out_type" in kwargs:
        kwargs["out_type"] = dtypes.as_dtype(kwargs["out_type"])
    graph = tf.Graph()
    with graph.as_default():
        out = _wrapper(call["api"])(*call["args"], **kwargs)
    nodes = [[n.name, n.op, list(n.input)] for n in graph.as_graph_def().node]
    assert nodes == call["nodes"]
    fetch = [out.indices, out.values, out.dense_shape] if hasattr(out, "indices") else [out]
    with tf.Session(graph=graph) as sess:
        got = sess.run(fetch)
    for i, (g, w) in enumerate(zip(got, call["outputs"], strict=True)):
        got_i = np.array(g, dtype=object) if isinstance(g, bytes) else np.asarray(g)
        assert_same(got_i, decode_array(w), f"{call['api']} output {i}")
