"""stowflow's NumPy kernels against TensorFlow's outputs, plus the static shape functions.

The goldens (tests/golden/kernels/kernel_goldens.json) come from
tests/golden/kernels/make_kernel_goldens.py, run with TensorFlow 2.21.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np
import pytest

from stowflow import dtypes, errors
from stowflow.graph import attrs as attr_codec
from stowflow.graph import shape_fns
from stowflow.graph.kernels import array_kernels, math_kernels, random_kernels  # noqa: F401
from stowflow.graph.kernels.registry import KERNELS, SHAPE_FNS
from stowflow.graph.shape import TensorShape
from stowflow.proto import attr_value_pb2

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "kernels" / "kernel_goldens.json"
CASES: list[dict[str, Any]] = json.loads(GOLDEN.read_text())["cases"]

# TF errors that come from a oneDNN fast path of the TF wheel, not from TF's own kernel;
# stowflow raises what TF's reference kernel raises.
# (op, TF message) -> stowflow's error class name
ONEDNN_ERRORS = {("Softmax", "Input dims must be <= 5 and >=1"): "InvalidArgumentError"}

_NP_TYPES = {"bfloat16": ml_dtypes.bfloat16}

# (rtol, atol) per float dtype: TF's Eigen transcendental functions and glibc's float32
# sincos/log differ from NumPy's by an ulp or two.
_TOLERANCE = {
    "float16": (1e-3, 1e-3),
    "bfloat16": (1e-2, 1e-2),
    "float32": (1e-5, 1e-6),
    "float64": (1e-12, 1e-12),
}


def decode_array(spec: dict[str, Any]) -> np.ndarray:
    """An array from the golden JSON encoding (base64 raw bytes, or base64 string items)."""
    shape = tuple(spec["shape"])
    if spec["dtype"] == "string":
        items = [base64.b64decode(v) for v in spec["data"]]
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(shape)
    dtype = np.dtype(_NP_TYPES.get(spec["dtype"], spec["dtype"])).newbyteorder("<")
    raw = base64.b64decode(spec["data"])
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def decode_input(spec: Any) -> Any:
    return [decode_array(s) for s in spec] if isinstance(spec, list) else decode_array(spec)


def decode_attrs(encoded: dict[str, str]) -> dict[str, Any]:
    out = {}
    for name, b64 in encoded.items():
        proto = attr_value_pb2.AttrValue.FromString(base64.b64decode(b64))
        out[name] = attr_codec.decode(proto)
    return out


def assert_same(actual: Any, expected: np.ndarray, where: str) -> None:
    actual = np.asarray(actual)
    assert actual.dtype == expected.dtype, f"{where}: dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{where}: shape {actual.shape} != {expected.shape}"
    name = expected.dtype.name
    if name in _TOLERANCE:
        rtol, atol = _TOLERANCE[name]
        np.testing.assert_allclose(
            actual.astype(np.float64),
            expected.astype(np.float64),
            rtol=rtol,
            atol=atol,
            equal_nan=True,
            err_msg=where,
        )
    else:
        assert actual.tolist() == expected.tolist(), f"{where}: {actual!r} != {expected!r}"


def _run(case: dict[str, Any]) -> list[list[Any]]:
    kernel = KERNELS[case["op"]]
    inputs = [decode_input(s) for s in case["inputs"]]
    attrs = decode_attrs(case["attrs"])
    attrs["_rng_state"] = random_kernels.RngState()
    runs = len(case.get("outputs", [[]]))
    return [kernel(inputs, attrs) for _ in range(runs)]


def _expected_error(case: dict[str, Any]) -> str:
    return ONEDNN_ERRORS.get((case["op"], case["message"]), case["error"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_kernel_matches_tensorflow(case: dict[str, Any]) -> None:
    if "error" in case:
        expected = getattr(errors, _expected_error(case))
        with pytest.raises(expected) as info:
            _run(case)
        assert type(info.value) is expected
        assert info.value.message, "errors must say what is wrong"
        return
    results = _run(case)
    for run, (got, want) in enumerate(zip(results, case["outputs"], strict=True)):
        assert len(got) == len(want), f"{case['id']}: {len(got)} outputs, TF has {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, decode_array(w), f"{case['id']} run {run} output {i}")


def test_error_messages_match_tensorflow() -> None:
    """Every error case is worded exactly as TF words it (oneDNN-only errors aside)."""
    differing = []
    for case in CASES:
        if "error" not in case or (case["op"], case["message"]) in ONEDNN_ERRORS:
            continue
        try:
            _run(case)
        except errors.OpError as e:
            if e.message != case["message"]:
                differing.append((case["id"], e.message, case["message"]))
    assert differing == []


def test_random_ops_advance_per_run_and_restart_per_state() -> None:
    attrs = {
        "seed": 1,
        "seed2": 2,
        "dtype": dtypes.float32,
        "_rng_state": random_kernels.RngState(),
    }
    shape = [np.array([4], np.int32)]
    first = KERNELS["RandomUniform"](shape, attrs)[0]
    second = KERNELS["RandomUniform"](shape, attrs)[0]
    assert not np.array_equal(first, second)
    fresh = KERNELS["RandomUniform"](shape, {**attrs, "_rng_state": random_kernels.RngState()})
    np.testing.assert_array_equal(fresh[0], first)


def test_unseeded_random_ops_differ_between_states() -> None:
    attrs = {"seed": 0, "seed2": 0, "dtype": dtypes.float64}
    shape = [np.array([8], np.int32)]
    a = KERNELS["RandomStandardNormal"](shape, {**attrs, "_rng_state": random_kernels.RngState()})
    b = KERNELS["RandomStandardNormal"](shape, {**attrs, "_rng_state": random_kernels.RngState()})
    assert not np.array_equal(a[0], b[0])


def test_random_half_precision_is_unimplemented() -> None:
    with pytest.raises(errors.UnimplementedError, match="float16"):
        KERNELS["RandomUniform"]([np.array([2])], {"dtype": dtypes.float16, "seed": 1, "seed2": 1})


# --------------------------------------------------------------------------- shape functions


class FakeOp:
    """The slice of ``Operation`` shape functions use: type, inputs, get_attr."""

    def __init__(self, op_type: str, inputs: list[Any], **attrs: Any) -> None:
        self.type = op_type
        self.inputs = inputs
        self._attrs = attrs

    def get_attr(self, name: str) -> Any:
        return self._attrs[name]


class FakeTensor:
    def __init__(self, shape: Any, op: FakeOp | None = None) -> None:
        self.shape = TensorShape(shape)
        self.op = op or FakeOp("Placeholder", [])


def const(value: Any) -> FakeTensor:
    arr = np.asarray(value)
    return FakeTensor(arr.shape, FakeOp("Const", [], value=arr))


def infer(op_type: str, inputs: list[Any], **attrs: Any) -> list[Any]:
    return [
        s.as_list() if s.ndims is not None else None
        for s in SHAPE_FNS[op_type](FakeOp(op_type, inputs, **attrs))
    ]


def test_shape_broadcast_keeps_unknown_dims() -> None:
    assert infer("Add", [FakeTensor([None, 3]), FakeTensor([3])]) == [[None, 3]]
    assert infer("Mul", [FakeTensor([None, 1]), FakeTensor([2, 1, 4])]) == [[2, None, 4]]
    assert infer("Sub", [FakeTensor(None), FakeTensor([3])]) == [None]
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        infer("Add", [FakeTensor([2]), FakeTensor([3])])


def test_shape_reshape_infers_minus_one_from_const() -> None:
    assert infer("Reshape", [FakeTensor([2, 6]), const([-1, 4])]) == [[3, 4]]
    assert infer("Reshape", [FakeTensor([None, 6]), const([-1, 4])]) == [[None, 4]]
    assert infer("Reshape", [FakeTensor([2, 6]), FakeTensor([3])]) == [[None, None, None]]


def test_shape_reductions_and_argmax() -> None:
    x = FakeTensor([2, None, 4])
    assert infer("Sum", [x, const([-1])], keep_dims=False) == [[2, None]]
    assert infer("Mean", [x, const(0)], keep_dims=True) == [[1, None, 4]]
    assert infer("Max", [x, FakeTensor([1])], keep_dims=True) == [[None, None, None]]
    assert infer("Max", [x, FakeTensor([1])], keep_dims=False) == [None]
    assert infer("ArgMax", [x, const(2)]) == [[2, None]]


def test_shape_matmul_concat_pack_tile() -> None:
    a, b = FakeTensor([None, 3]), FakeTensor([5, 3])
    assert infer("MatMul", [a, b], transpose_a=False, transpose_b=True) == [[None, 5]]
    assert infer(
        "BatchMatMulV2",
        [FakeTensor([7, 1, 2, 3]), FakeTensor([4, 3, 6])],
        adj_x=False,
        adj_y=False,
    ) == [[7, 4, 2, 6]]
    vals = [FakeTensor([2, 3]), FakeTensor([2, None])]
    assert infer("ConcatV2", vals + [const(-1)], N=2) == [[2, None]]
    assert infer("ConcatV2", vals + [const(0)], N=2) == [[4, 3]]
    assert infer("Pack", [FakeTensor([2]), FakeTensor([None])], axis=-1, N=2) == [[2, 2]]
    assert infer("Tile", [FakeTensor([2, None]), const([3, 2])]) == [[6, None]]


def test_shape_strided_slice_and_slice() -> None:
    x = FakeTensor([5, None, 4])
    masks = dict(begin_mask=0, end_mask=2, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=1)
    got = infer("StridedSlice", [x, const([1, 0]), const([2, 0]), const([1, 1])], **masks)
    assert got == [[None, 4]]
    masks.update(shrink_axis_mask=0, new_axis_mask=1, ellipsis_mask=2, end_mask=0)
    got = infer("StridedSlice", [x, const([0, 0]), const([0, 0]), const([1, 1])], **masks)
    assert got == [[1, 5, None, 4]]
    assert infer("Slice", [x, const([1, 0, 1]), const([-1, 2, -1])]) == [[4, 2, 3]]


def test_shape_squeeze_expand_gather_range() -> None:
    assert infer("Squeeze", [FakeTensor([1, 3, 1])], squeeze_dims=[]) == [[3]]
    assert infer("Squeeze", [FakeTensor([1, None])], squeeze_dims=[]) == [None]
    assert infer("ExpandDims", [FakeTensor([2, 3]), const(-1)]) == [[2, 3, 1]]
    assert infer(
        "GatherV2", [FakeTensor([5, 6, 7]), FakeTensor([None, 2]), const(1)], batch_dims=0
    ) == [[5, None, 2, 7]]
    assert infer("Range", [const(0), const(10), const(3)]) == [[4]]
    assert infer("Range", [const(0.0), FakeTensor([]), const(1.0)]) == [[None]]
    assert infer("Fill", [const([2, 3]), FakeTensor([])]) == [[2, 3]]


def test_every_kernel_has_a_shape_function() -> None:
    ours = {
        name
        for name, fn in KERNELS.items()
        if fn.__module__.startswith(
            (
                "stowflow.graph.kernels.math",
                "stowflow.graph.kernels.array",
                "stowflow.graph.kernels.random",
            )
        )
    }
    missing = sorted(ours - set(SHAPE_FNS) - {"BatchMatMulV3", "Snapshot", "PreventGradient"})
    assert missing == []
    assert shape_fns.broadcast(TensorShape([1]), TensorShape([4])).as_list() == [4]
