"""The extra math/nn and array kernels against TensorFlow's outputs, plus their shape functions.

The goldens (tests/golden/kernels/math_array_goldens.json) come from
tests/golden/kernels/make_math_array_goldens.py, run with TensorFlow 2.21.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# The shared golden codec and shape-function fakes (tests/graph/test_kernels.py).
from test_kernels import (
    FakeTensor,
    assert_same,
    const,
    decode_array,
    decode_attrs,
    decode_input,
)
from test_kernels import infer as _infer

from stowflow import dtypes, errors
from stowflow.graph import array_ops
from stowflow.graph import attrs as attr_codec
from stowflow.graph import extra_ops as eo
from stowflow.graph.core import Graph
from stowflow.graph.kernels import array_extra_kernels, math_extra_kernels, segment_kernels
from stowflow.graph.kernels.registry import KERNELS, SHAPE_FNS
from stowflow.graph.session import Session
from stowflow.proto import attr_value_pb2

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "kernels" / "math_array_goldens.json"
CASES: list[dict[str, Any]] = json.loads(GOLDEN.read_text())["cases"]
MODULES = (array_extra_kernels, math_extra_kernels, segment_kernels)

# TF names the node or input tensor in these messages; a kernel cannot know those names
# (the Session adds the node name to every error), so they are compared without them.
_NAMES_IN_MESSAGE = [
    (re.compile(r", node name: \S+$"), ""),
    (re.compile(r"^Shape of tensor \S+ \["), "Shape of tensor ["),
    (re.compile(r" used by \{\{node \S+\}\}"), ""),
]


def _run(case: dict[str, Any]) -> list[Any]:
    inputs = [decode_input(s) for s in case["inputs"]]
    return KERNELS[case["op"]](inputs, decode_attrs(case["attrs"]))


def _unsorted_top_k(case: dict[str, Any]) -> bool:
    return case["op"] == "TopKV2" and not decode_attrs(case["attrs"]).get("sorted", True)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_kernel_matches_tensorflow(case: dict[str, Any]) -> None:
    if "error" in case:
        expected = getattr(errors, case["error"])
        with pytest.raises(expected) as info:
            _run(case)
        assert type(info.value) is expected
        assert info.value.message, "errors must say what is wrong"
        return
    got = _run(case)
    want = [decode_array(w) for w in case["outputs"][0]]
    assert len(got) == len(want), f"{case['id']}: {len(got)} outputs, TF has {len(want)}"
    if _unsorted_top_k(case):
        # TF's order for sorted=False is its heap's; the same top-k set must come out.
        got, want = _by_index(*got), _by_index(*want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        _assert_same(g, w, f"{case['id']} output {i}")


def _assert_same(actual: Any, expected: np.ndarray, where: str) -> None:
    """``assert_same``, with complex values compared part by part (NaN equals NaN)."""
    actual = np.asarray(actual)
    if expected.dtype.kind == "c" and actual.dtype == expected.dtype:
        part = np.float32 if expected.dtype == np.complex64 else np.float64
        for name in ("real", "imag"):
            got = np.ascontiguousarray(getattr(actual, name)).astype(part)
            want = np.ascontiguousarray(getattr(expected, name)).astype(part)
            assert_same(got, want, f"{where} ({name})")
        return
    assert_same(actual, expected, where)


def _by_index(values: np.ndarray, indices: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(indices, axis=-1, kind="stable")
    return [np.take_along_axis(values, order, -1), np.take_along_axis(indices, order, -1)]


def _core(message: str) -> str:
    for pattern, repl in _NAMES_IN_MESSAGE:
        message = pattern.sub(repl, message)
    return message


def test_error_messages_match_tensorflow() -> None:
    """Every error is worded as TF words it (node and tensor names aside)."""
    differing = []
    for case in CASES:
        if "error" not in case:
            continue
        try:
            _run(case)
        except errors.OpError as e:
            want = _core(case["message"])
            # TF's "no kernel" message spans lines; its first line is what we compare.
            if not want and not e.message.startswith("No OpKernel was registered"):
                differing.append((case["id"], e.message, "No OpKernel ..."))
            elif want and _core(e.message) != want:
                differing.append((case["id"], e.message, want))
    assert differing == []


def test_every_case_op_is_one_of_ours() -> None:
    ours = {name for name, fn in KERNELS.items() if fn.__module__ in {m.__name__ for m in MODULES}}
    assert {c["op"] for c in CASES} <= ours
    assert ours - {c["op"] for c in CASES} == set(), "every kernel needs golden cases"


def test_every_kernel_has_a_shape_function() -> None:
    ours = {name for name, fn in KERNELS.items() if fn.__module__ in {m.__name__ for m in MODULES}}
    assert sorted(ours - set(SHAPE_FNS)) == []


# --------------------------------------------------------------------------- shape functions


def infer(op_type: str, inputs: list[Any], **attrs: Any) -> list[Any]:
    return _infer(op_type, inputs, **attrs)


def test_shape_elementwise_and_reductions() -> None:
    x = FakeTensor([None, 3])
    assert infer("Softplus", [x]) == [[None, 3]]
    assert infer("ClipByValue", [x, const(0.0), const(1.0)]) == [[None, 3]]
    assert infer("SquaredDifference", [x, FakeTensor([2, 1])]) == [[2, 3]]
    assert infer("L2Loss", [x]) == [[]]
    assert infer("InTopKV2", [FakeTensor([None, 5]), FakeTensor([7]), const(1)]) == [[7]]
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        infer("DivNoNan", [FakeTensor([2]), FakeTensor([3])])


def test_shape_segments_scans_topk_onehot_bincount() -> None:
    data = FakeTensor([6, None, 4])
    assert infer("UnsortedSegmentSum", [data, FakeTensor([6]), const(3)]) == [[3, None, 4]]
    assert infer("UnsortedSegmentMax", [data, FakeTensor([6, None]), FakeTensor([])]) == [[None, 4]]
    assert infer("SegmentSum", [data, FakeTensor([6])]) == [[None, None, 4]]
    assert infer("Cumsum", [data, const(0)]) == [[6, None, 4]]
    assert infer("TopKV2", [FakeTensor([2, 9]), const(3)]) == [[2, 3], [2, 3]]
    assert infer("TopKV2", [FakeTensor([2, 9]), FakeTensor([])]) == [[2, None], [2, None]]
    with pytest.raises(ValueError, match="at least rank 1"):
        infer("TopKV2", [FakeTensor([]), const(1)])
    assert infer(
        "OneHot", [FakeTensor([2, 5]), const(4), FakeTensor([]), FakeTensor([])], axis=1
    ) == [[2, 4, 5]]
    assert infer(
        "OneHot", [FakeTensor([2]), FakeTensor([]), FakeTensor([]), FakeTensor([])], axis=-1
    ) == [[2, None]]
    with pytest.raises(ValueError, match="axis must be >= -1"):
        infer("OneHot", [FakeTensor([2]), const(3), FakeTensor([]), FakeTensor([])], axis=-2)
    assert infer("DenseBincount", [FakeTensor([None, 3]), const(7), FakeTensor([0])]) == [[None, 7]]
    assert infer("DenseBincount", [FakeTensor([5]), const(7), FakeTensor([0])]) == [[7]]


def test_shape_einsum() -> None:
    a, b = FakeTensor([2, None, 3]), FakeTensor([3, 5])
    assert infer("Einsum", [a, b], equation="bij,jk->bik") == [[2, None, 5]]
    assert infer(
        "Einsum", [FakeTensor([7, 1, 2, 3]), FakeTensor([4, 3, 5])], equation="...ij,...jk->...ik"
    ) == [[7, 4, 2, 5]]
    assert infer("Einsum", [FakeTensor([3, 3])], equation="ii->i") == [[3]]
    with pytest.raises(ValueError, match="not present in the input subscripts"):
        infer("Einsum", [FakeTensor([2, 3])], equation="ij->k")
    with pytest.raises(ValueError, match="exactly one '->'"):
        infer("Einsum", [FakeTensor([2, 3])], equation="ij")


def test_shape_array_ops() -> None:
    v = FakeTensor([2, 6, None])
    assert infer("Split", [const(1), v], num_split=3) == [[2, 2, None]] * 3
    assert infer("Split", [FakeTensor([]), v], num_split=2) == [[None, None, None]] * 2
    with pytest.raises(ValueError, match="evenly divisible"):
        infer("Split", [const(1), v], num_split=4)
    assert infer("SplitV", [v, const([1, -1, 2]), const(-2)], num_split=3) == [
        [2, 1, None],
        [2, 3, None],
        [2, 2, None],
    ]
    assert infer("GatherNd", [FakeTensor([5, 6, 7]), FakeTensor([None, 2])]) == [[None, 7]]
    assert infer("ScatterNd", [FakeTensor([3, 1]), FakeTensor([3]), const([8, 2])]) == [[8, 2]]
    assert infer("Unique", [FakeTensor([9])]) == [[None], [9]]
    assert infer("ShapeN", [FakeTensor([1, 2]), FakeTensor([])], N=2) == [[2], [0]]
    assert infer("BroadcastArgs", [FakeTensor([3]), FakeTensor([2])]) == [[3]]
    assert infer("Roll", [v, const(1), const(0)]) == [[2, 6, None]]
    assert infer("EnsureShape", [FakeTensor([None, 3])], shape=[4, None]) == [[4, 3]]


# --------------------------------------------------------------------------- targeted behaviour


def test_top_k_prefers_lower_index_on_ties_for_every_length() -> None:
    x = np.array([[1, 5, 5, 2, 5, 1]], np.uint8)
    values, indices = KERNELS["TopKV2"]([x, np.array(4, np.int32)], {})
    assert indices.tolist() == [[1, 2, 4, 3]]
    assert values.tolist() == [[5, 5, 5, 2]]


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.float32])
def test_top_k_selection_path_matches_a_full_sort(dtype: Any) -> None:
    """Small k takes a partition-based path; it must agree with lexsort on heavy ties."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 6, size=(3, 4, 50)).astype(dtype)
    for k in (1, 3, 12):
        values, indices = KERNELS["TopKV2"]([x, np.array(k, np.int32)], {})
        rows = x.reshape(-1, 50)
        ref = np.stack([np.lexsort((np.arange(50), -r.astype(np.float64)))[:k] for r in rows])
        np.testing.assert_array_equal(indices.reshape(-1, k), ref)
        np.testing.assert_array_equal(values.reshape(-1, k), np.take_along_axis(rows, ref, -1))


def test_top_k_of_empty_rows() -> None:
    values, indices = KERNELS["TopKV2"]([np.zeros((3, 0), np.float32), np.array(0, np.int32)], {})
    assert values.shape == indices.shape == (3, 0)


def test_unique_large_input_keeps_first_occurrence_order() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 50, 1000).astype(np.int64)
    y, idx = KERNELS["Unique"]([x], {})
    _, first = np.unique(x, return_index=True)
    assert y.tolist() == x[np.sort(first)].tolist()
    np.testing.assert_array_equal(y[idx], x)


@pytest.mark.parametrize(
    ("equation", "shapes"),
    [
        ("bij,bjk->bik", [(3, 2, 4), (3, 4, 5)]),
        ("bij,jk->kib", [(3, 2, 4), (4, 5)]),
        ("iij,jk->ik", [(3, 3, 4), (4, 2)]),
        ("ijk,kl->l", [(2, 3, 4), (4, 5)]),
        ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 6)]),
        ("ab...,b->a...", [(2, 3, 4, 5), (3,)]),
        ("i,i->", [(7,), (7,)]),
        ("ij,ij->ij", [(0, 3), (0, 3)]),
        ("bqhd,bkhd->bhqk", [(2, 3, 2, 4), (2, 5, 2, 4)]),
    ],
)
def test_einsum_matmul_path_agrees_with_numpy(equation: str, shapes: list[Any]) -> None:
    rng = np.random.default_rng(11)
    operands = [rng.standard_normal(shape) for shape in shapes]
    (got,) = KERNELS["Einsum"]([operands], {"equation": equation})
    np.testing.assert_allclose(got, np.einsum(equation, *operands), rtol=1e-12, atol=1e-12)


def test_top_k_and_unique_return_named_results() -> None:
    with Graph().as_default():
        x = array_ops.placeholder(dtypes.float32, [2, 5])
        result = eo.top_k(x, 3)
        assert result.values is result[0] and result.indices.dtype == dtypes.int32
        assert result.indices.shape.as_list() == [2, 3]
        found = eo.unique(array_ops.placeholder(dtypes.int64, [7]), out_idx=dtypes.int64)
        assert found.y.shape.as_list() == [None] and found.idx.dtype == dtypes.int64


def test_einsum_repeated_output_label_is_unimplemented() -> None:
    with pytest.raises(errors.UnimplementedError, match="repeated output labels"):
        KERNELS["Einsum"]([[np.ones(3, np.float32)]], {"equation": "i->ii"})


def test_einsum_needs_one_or_two_operands() -> None:
    ops = [np.ones(2, np.float32)] * 3
    with pytest.raises(errors.InvalidArgumentError, match="Expecting 1 or 2 input subscripts"):
        KERNELS["Einsum"]([ops], {"equation": "i,i,i->i"})


# --------------------------------------------------------------------------- TF1 graphs

GRAPHS: dict[str, dict[str, Any]] = json.loads(GOLDEN.read_text())["graphs"]

# The same calls as make_math_array_goldens.GRAPHS, through stowflow's wrappers.
BUILDERS: dict[str, Any] = {
    "split": lambda x, i: eo.split(x, 3, axis=1),
    "split_sizes": lambda x, i: eo.split(x, [1, -1], 1),
    "reverse": lambda x, i: eo.reverse(x, [-1]),
    "gather_nd": lambda x, i: eo.gather_nd(x, [[0, 1]]),
    "scatter_nd": lambda x, i: eo.scatter_nd([[1]], [5.0], [4]),
    "tensor_scatter_update": lambda x, i: eo.tensor_scatter_update(x, [[1]], [[1.0, 2, 3]]),
    "tensor_scatter_add": lambda x, i: eo.tensor_scatter_add(x, [[1]], [[1.0, 2, 3]]),
    "unique": lambda x, i: eo.unique(i, out_idx=dtypes.int64),
    "roll": lambda x, i: eo.roll(x, [1, 2], [0, 1]),
    "one_hot": lambda x, i: eo.one_hot(i, 3),
    "one_hot_values": lambda x, i: eo.one_hot(i, 3, 2.0, -1.0, axis=0, dtype=dtypes.float64),
    "top_k": lambda x, i: eo.top_k(x, 2, sorted=False),
    "in_top_k": lambda x, i: eo.in_top_k(x, [0, 1], 1),
    "in_top_k_named": lambda x, i: eo.in_top_k(x, [0, 1], 1, name="hits"),
    "einsum": lambda x, i: eo.einsum("ij,kj->ik", x, x),
    "einsum_implicit": lambda x, i: eo.einsum("ij,kj", x, x),
    "cumsum": lambda x, i: eo.cumsum(x, axis=1, exclusive=True, reverse=True),
    "cumprod": lambda x, i: eo.cumprod(x, name="cp"),
    "clip_by_value": lambda x, i: eo.clip_by_value(x, 0.0, 1.0),
    "squared_difference": lambda x, i: eo.squared_difference(x, 2.0),
    "softplus": lambda x, i: eo.softplus(x),
    "leaky_relu": lambda x, i: eo.leaky_relu(x, alpha=0.1),
    "leaky_relu_int": lambda x, i: eo.leaky_relu(i),
    "selu": lambda x, i: eo.selu(x),
    "unary": lambda x, i: [
        eo.reciprocal(x),
        eo.sign(x),
        eo.round(x),
        eo.round(i),
        eo.ceil(x),
        eo.sin(x),
        eo.cos(x),
        eo.is_nan(x),
        eo.is_finite(x),
    ],
    "div_no_nan": lambda x, i: eo.div_no_nan(x, 2.0),
    "l2_loss": lambda x, i: eo.l2_loss(x),
    "reduce_all": lambda x, i: eo.reduce_all(eo.is_nan(x), axis=1, keepdims=True),
    "reduce_any": lambda x, i: eo.reduce_any(eo.is_nan(x)),
    "unsorted_segment_sum": lambda x, i: eo.unsorted_segment_sum(x, [0, 1], 3),
    "unsorted_segment_max": lambda x, i: eo.unsorted_segment_max(x, [0, 1], 3),
    "segment_sum": lambda x, i: eo.segment_sum(x, [0, 0]),
    "matrix_band_part": lambda x, i: eo.matrix_band_part(x, 0, -1),
    "shape_n": lambda x, i: eo.shape_n([x, x], out_type=dtypes.int64),
    "broadcast_dynamic_shape": lambda x, i: eo.broadcast_dynamic_shape([2, 1], [3]),
    "ensure_shape": lambda x, i: eo.ensure_shape(x, [None, 3]),
    "check_numerics": lambda x, i: eo.check_numerics(x, "bad x"),
}


def _attr_value(encoded: str | Any) -> Any:
    proto = (
        attr_value_pb2.AttrValue.FromString(base64.b64decode(encoded))
        if isinstance(encoded, str)
        else encoded
    )
    value = attr_codec.decode(proto)
    if isinstance(value, np.ndarray):  # Const values: compare dtype and elements, not encoding
        return (value.dtype.str, value.shape, value.tolist())
    return proto.SerializeToString()


def test_graph_cases_cover_the_same_calls() -> None:
    assert sorted(BUILDERS) == sorted(GRAPHS)


def _build(name: str) -> tuple[Graph, list[Any], dict[Any, Any]]:
    graph = Graph()
    with graph.as_default():
        x = array_ops.placeholder(dtypes.float32, [2, 3], name="x")
        i = array_ops.placeholder(dtypes.int32, [4], name="i")
        fetches = _flat(BUILDERS[name](x, i))
    feeds = GRAPHS[name]["feeds"]
    return graph, fetches, {x: decode_array(feeds["x"]), i: decode_array(feeds["i"])}


def _flat(result: Any) -> list[Any]:
    if isinstance(result, list | tuple):
        return [t for item in result for t in _flat(item)]
    return [result]


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_tf1_wrappers_build_the_nodes_tensorflow_builds(name: str) -> None:
    graph, _, _ = _build(name)
    ours = [
        {
            "name": n.name,
            "op": n.op,
            "input": list(n.input),
            "attr": {k: _attr_value(v) for k, v in sorted(n.attr.items())},
        }
        for n in graph.as_graph_def().node
    ]
    want = [
        {**n, "attr": {k: _attr_value(v) for k, v in sorted(n["attr"].items())}}
        for n in GRAPHS[name]["nodes"]
    ]
    assert ours == want


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_tf1_wrapper_graphs_run_like_tensorflow(name: str) -> None:
    graph, fetches, feed = _build(name)
    with Session(graph=graph) as sess:
        got = sess.run(fetches, feed)
    want = [decode_array(v) for v in GRAPHS[name]["outputs"]]
    if name == "top_k":  # sorted=False: TF's order is its heap's; compare the top-k sets
        got, want = _by_index(*got), _by_index(*want)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        _assert_same(g, w, f"{name} output {k}")
