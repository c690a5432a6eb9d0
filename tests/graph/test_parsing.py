"""ParseExampleV2 kernel and tf.io.parse_example: FORMATS.md §6.2 edge cases.

Expected values and error messages were recorded from TensorFlow 2.21
(tests/interop/test_parsing_interop.py checks the graph and outputs against TF live).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow import errors
from stowflow.graph.kernels.parsing_kernels import parse_entries

F32, I64, STR = tf.float32, tf.int64, tf.string


def feat(values: Any = None, kind: str | None = None) -> Any:
    """A Feature; ``kind`` in {"f", "i", "b"} or inferred; values None -> no kind set."""
    f = tf.train.Feature()
    if values is None:
        return f
    kind = kind or (
        "b"
        if values and isinstance(values[0], bytes)
        else "i"
        if values and isinstance(values[0], int)
        else "f"
    )
    target = {"f": f.float_list, "i": f.int64_list, "b": f.bytes_list}[kind]
    target.SetInParent()
    target.value.extend(values)
    return f


def ex(**features: Any) -> bytes:
    e = tf.train.Example()
    for key, value in features.items():
        e.features.feature[key].CopyFrom(value)
    return e.SerializeToString()


def parse(spec: dict[str, Any], batch: Any, names: Any = None, single: bool = False) -> Any:
    graph = tf.Graph()
    with graph.as_default():
        s = tf.placeholder(tf.string, [] if single else [None])
        fn = tf.io.parse_single_example if single else tf.io.parse_example
        out = fn(s, spec, example_names=names)
        with tf.Session() as sess:
            return sess.run(out, {s: batch})


def parse_error(spec: dict[str, Any], batch: Any, single: bool = False, names: Any = None) -> str:
    with pytest.raises(errors.InvalidArgumentError) as info:
        parse(spec, batch, names=names, single=single)
    return info.value.message.splitlines()[-2]


# --------------------------------------------------------------------------- dense


def test_fixed_len_values_and_defaults() -> None:
    spec = {
        "a": tf.FixedLenFeature([2], F32),
        "d": tf.FixedLenFeature([], STR, default_value="zz"),
        "h": tf.FixedLenFeature([2, 3], I64, default_value=[[1, 2, 3], [4, 5, 6]]),
    }
    out = parse(
        spec,
        [ex(a=feat([1.0, 2.0])), ex(a=feat([3.0, 4.0]), d=feat([b"q"]), h=feat(list(range(6))))],
    )
    np.testing.assert_array_equal(out["a"], np.array([[1, 2], [3, 4]], np.float32))
    assert out["a"].dtype == np.float32
    assert out["d"].tolist() == [b"zz", b"q"]
    assert out["h"].tolist() == [[[1, 2, 3], [4, 5, 6]], [[0, 1, 2], [3, 4, 5]]]


@pytest.mark.parametrize(
    ("spec", "batch", "message"),
    [
        (
            {"a": tf.FixedLenFeature([2], F32)},
            [ex(a=feat([1.0, 2.0])), ex(a=feat([3.0, 4.0, 5.0]))],
            "Name: <unknown>, Key: a, Index: 1.  Number of float values != expected.  "
            "Values size: 3 but output shape: [2]",
        ),
        (
            {"a": tf.FixedLenFeature([2, 2], I64)},
            [ex(a=feat([1, 2]))],
            "Name: <unknown>, Key: a, Index: 0.  Number of int64 values != expected.  "
            "Values size: 2 but output shape: [2,2]",
        ),
        (
            {"a": tf.FixedLenFeature([2], STR)},
            [ex(a=feat([b"x"]))],
            "Name: <unknown>, Key: a, Index: 0.  Number of bytes values != expected.  "
            "Values size: 1 but output shape: [2]",
        ),
        (  # too many strings overflow TF's fixed slice: a parse error, not a count error
            {"a": tf.FixedLenFeature([], STR)},
            [ex(a=feat([b"x", b"y"]))],
            "Name: <unknown>, Key: a, Index: 0.  Can't parse serialized Example.",
        ),
        (
            {"a": tf.FixedLenFeature([2], F32)},
            [ex(a=feat([1.0, 2.0])), ex()],
            "Name: <unknown>, Feature: a (data type: float) is required but could not be found.",
        ),
        (  # a Feature with no kind is missing
            {"a": tf.FixedLenFeature([2], STR)},
            [ex(a=feat())],
            "Name: <unknown>, Feature: a (data type: string) is required but could not be found.",
        ),
        (
            {"a": tf.FixedLenFeature([2], F32)},
            [ex(a=feat([1, 2]))],
            "Name: <unknown>, Key: a, Index: 0.  Data types don't match. Data type: int64 but "
            "expected type: float",
        ),
        (  # an empty list of the right kind is present, not missing: the default is not used
            {"a": tf.FixedLenFeature([], I64, default_value=-1)},
            [ex(a=feat([], "i"))],
            "Name: <unknown>, Key: a, Index: 0.  Number of int64 values != expected.  "
            "Values size: 0 but output shape: []",
        ),
        (
            {"c": tf.FixedLenSequenceFeature([2], I64, allow_missing=True)},
            [ex(c=feat([1, 2, 3]))],
            "Name: <unknown>, Key: c, Index: 0.  Number of int64 values is not a multiple of "
            "stride length. Saw 3 values but output shape is: [?,2]",
        ),
        (
            {"v": tf.VarLenFeature(I64)},
            [ex(v=feat([1])), ex(v=feat([1.0]))],
            "Name: <unknown>, Key: v, Index: 1.  Data types don't match. Expected type: int64, "
            "Actual type: float",
        ),
        (
            {"a": tf.FixedLenFeature([1], I64)},
            [b"\x0a\x05abc"],
            "Could not parse example input, value: '\n\x05abc'",
        ),
    ],
)
def test_batch_errors(spec: dict[str, Any], batch: list[bytes], message: str) -> None:
    with pytest.raises(errors.InvalidArgumentError) as info:
        parse(spec, batch)
    assert message in info.value.message


def test_example_names_in_errors() -> None:
    spec = {"a": tf.FixedLenFeature([2], F32)}
    message = parse_error(spec, [ex(a=feat([1.0, 2.0])), ex()], names=[b"n0", b"n1"])
    assert message == (
        "Name: n1, Feature: a (data type: float) is required but could not be found."
    )


def test_default_for_missing_and_kindless_feature() -> None:
    spec = {"a": tf.FixedLenFeature([2], F32, default_value=[7.0, 8.0])}
    out = parse(spec, [ex(a=feat()), ex(a=feat([1.0, 2.0])), ex()])
    assert out["a"].tolist() == [[7, 8], [1, 2], [7, 8]]


def test_scalar_default_for_vector_shape_fails_at_graph_build() -> None:
    with pytest.raises(ValueError, match="Cannot reshape a tensor with 1 elements"):
        parse({"a": tf.FixedLenFeature([3], F32, default_value=0.0)}, [])


# --------------------------------------------------------------------------- sparse / sequence


def test_varlen_to_sparse() -> None:
    out = parse(
        {"v": tf.VarLenFeature(I64)},
        [ex(v=feat([1, 2, 3])), ex(), ex(v=feat()), ex(v=feat([], "i")), ex(v=feat([9]))],
    )["v"]
    assert out.indices.tolist() == [[0, 0], [0, 1], [0, 2], [4, 0]]
    assert out.values.tolist() == [1, 2, 3, 9]
    assert out.dense_shape.tolist() == [5, 3]
    assert out.indices.dtype == np.int64 and out.dense_shape.dtype == np.int64


def test_varlen_empty_batch_and_all_missing() -> None:
    empty = parse({"v": tf.VarLenFeature(F32)}, [])["v"]
    assert empty.indices.shape == (0, 2) and empty.values.dtype == np.float32
    assert empty.dense_shape.tolist() == [0, 0]
    missing = parse({"v": tf.VarLenFeature(STR)}, [ex(), ex()])["v"]
    assert missing.dense_shape.tolist() == [2, 0] and missing.values.shape == (0,)


def test_fixed_len_sequence_padding() -> None:
    spec = {"c": tf.FixedLenSequenceFeature([2], I64, allow_missing=True, default_value=-1)}
    out = parse(spec, [ex(c=feat([1, 2, 3, 4])), ex(c=feat([5, 6])), ex()])["c"]
    assert out.tolist() == [[[1, 2], [3, 4]], [[5, 6], [-1, -1]], [[-1, -1], [-1, -1]]]
    strings = parse(
        {"s": tf.FixedLenSequenceFeature([], STR, allow_missing=True)}, [ex(s=feat([b"x"])), ex()]
    )["s"]
    assert strings.tolist() == [[b"x"], [b""]]
    assert parse(spec, [])["c"].shape == (0, 0, 2)


def test_fixed_len_sequence_requires_allow_missing() -> None:
    with pytest.raises(ValueError, match="requires allow_missing to be True"):
        parse({"c": tf.FixedLenSequenceFeature([2], I64)}, [])


@pytest.mark.parametrize("dtype", [tf.float64, tf.int32])
def test_unsupported_dtypes(dtype: Any) -> None:
    with pytest.raises(TypeError, match="not in list of allowed values: float32, int64, string"):
        parse({"a": tf.FixedLenFeature([2], dtype)}, [])
    with pytest.raises(TypeError, match="parameter 'sparse_types'"):
        parse({"a": tf.VarLenFeature(dtype)}, [])


# --------------------------------------------------------------------------- wire quirks


def test_duplicate_keys_last_wins() -> None:
    spec = {"a": tf.FixedLenFeature([1], I64), "v": tf.VarLenFeature(I64)}
    out = parse(spec, [ex(a=feat([1]), v=feat([1])) + ex(a=feat([7]), v=feat([7, 8]))])
    assert out["a"].tolist() == [[7]]
    assert out["v"].values.tolist() == [7, 8]
    # For dense features a later kind-less duplicate is skipped; for VarLen it wins.
    out = parse(spec, [ex(a=feat([3]), v=feat([3])) + ex(a=feat(), v=feat())])
    assert out["a"].tolist() == [[3]]
    assert out["v"].values.tolist() == []


def test_unpacked_encodings() -> None:
    floats = b"\x0a\x13\x0a\x11\x0a\x01a\x12\x0c\x12\x0a\x0d\x00\x00\x80\x3f\x0d\x00\x00\x00\x40"
    ints = b"\x0a\x11\x0a\x0f\x0a\x01h\x12\x0a\x1a\x08\x08\x05\x08\x06\x08\x07\x08\x08"
    out = parse({"a": tf.FixedLenFeature([2], F32)}, [floats])
    assert out["a"].tolist() == [[1.0, 2.0]]
    assert parse({"h": tf.VarLenFeature(I64)}, [ints])["h"].values.tolist() == [5, 6, 7, 8]


def test_negative_int64_round_trip() -> None:
    out = parse({"i": tf.FixedLenFeature([2], I64)}, [ex(i=feat([-1, -(2**63)]))])
    assert out["i"].tolist() == [[-1, -(2**63)]]


def test_truncated_unknown_field_is_skipped_as_tf_does() -> None:
    assert parse_entries(b"zzz") == []  # field 15, claimed length 122: TF ignores the short skip
    assert parse_entries(b"\x0a\x05abc") is None
    assert parse_entries(b"") == []


def test_unsupported_feature_kind() -> None:
    bad = b"\x0a\x08\x0a\x06\x0a\x01a\x12\x01\x22"
    assert "Unsupported datatype." == parse_error({"a": tf.FixedLenFeature([1], I64)}, [bad])


# --------------------------------------------------------------------------- single example


def test_parse_single_example() -> None:
    spec = {
        "v": tf.VarLenFeature(I64),
        "a": tf.FixedLenFeature([2], F32),
        "c": tf.FixedLenSequenceFeature([2], I64, allow_missing=True),
    }
    out = parse(spec, ex(v=feat([4, 5]), a=feat([1.0, 2.0]), c=feat([4, 5, 6, 7])), single=True)
    assert out["v"].indices.tolist() == [[0], [1]] and out["v"].dense_shape.tolist() == [2]
    assert out["a"].tolist() == [1.0, 2.0]
    assert out["c"].tolist() == [[4, 5], [6, 7]]
    missing = parse(spec, ex(a=feat([1.0, 2.0])), single=True)
    assert missing["c"].shape == (0, 2) and missing["v"].dense_shape.tolist() == [0]


@pytest.mark.parametrize(
    ("spec", "example", "message"),
    [
        (
            {"a": tf.FixedLenFeature([2], F32)},
            ex(),
            "Feature: a (data type: float) is required but could not be found.",
        ),
        (
            {"a": tf.FixedLenFeature([1], I64)},
            ex(a=feat([1.0])),
            "Key: a.  Data types don't match. Data type: float but expected type: int64",
        ),
        (
            {"a": tf.FixedLenFeature([1], I64)},
            ex(a=feat([1, 2])),
            "Key: a.  Can't parse serialized Example: Some int64_list slice was not parsed.",
        ),
        (
            {"a": tf.FixedLenFeature([1], STR)},
            ex(a=feat([b"x", b"y"])),
            "Key: a.  Can't parse serialized Example: Parsing bytes_list failed.",
        ),
        (
            {"c": tf.FixedLenSequenceFeature([2], I64, allow_missing=True)},
            ex(c=feat([1])),
            "Error while parsing feature with key c: number of elements should be divisible by "
            "2, found 1 instead",
        ),
        (
            {"v": tf.VarLenFeature(I64)},
            ex(v=feat([1.0])),
            "Key: v.  Data types don't match. Expected type: int64, Actual type: float",
        ),
    ],
)
def test_single_errors(spec: dict[str, Any], example: bytes, message: str) -> None:
    assert parse_error(spec, example, single=True) == message


def test_input_shape_checks() -> None:
    graph = tf.Graph()
    with graph.as_default():
        s = tf.placeholder(tf.string)
        names = tf.placeholder(tf.string)
        out = tf.parse_example(s, {"v": tf.VarLenFeature(I64)}, example_names=names)
        with tf.Session() as sess:
            with pytest.raises(errors.InvalidArgumentError, match=r"got shape: \[1,1\]"):
                sess.run(out, {s: [[ex()]], names: []})
            with pytest.raises(
                errors.InvalidArgumentError,
                match=r"name.shape=\[1,1\], serialized.shape=\[1\]",
            ):
                sess.run(out, {s: [ex()], names: [[b"x"]]})


def test_rank_two_serialized_fails_at_graph_build() -> None:
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [None, None])
        with pytest.raises(ValueError, match="Shape must be at most rank 1 but is rank 2"):
            tf.parse_example(s, {"v": tf.VarLenFeature(I64)})


# --------------------------------------------------------------------------- graph & API


def test_static_shapes_and_names() -> None:
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [None], name="s")
        out = tf.parse_example(
            s,
            {
                "b": tf.VarLenFeature(I64),
                "a": tf.FixedLenFeature([2], F32),
                "c": tf.io.FixedLenSequenceFeature([2], I64, allow_missing=True),
            },
        )
    assert list(out) == ["b", "a", "c"]  # sparse keys first, then dense, each sorted
    assert out["b"].indices.name == "ParseExample/ParseExampleV2:0"
    assert out["b"].indices.shape.as_list() == [None, 2]
    assert out["b"].dense_shape.shape.as_list() == [2]
    assert out["a"].name == "ParseExample/ParseExampleV2:3"
    assert out["a"].shape.as_list() == [None, 2]
    assert out["c"].shape.as_list() == [None, None, 2]


def test_feature_validation() -> None:
    with pytest.raises(ValueError, match="cannot be None or falsy"):
        tf.parse_example([], {})
    with pytest.raises(ValueError, match="First dimension of shape for feature a unknown"):
        tf.parse_example([], {"a": tf.FixedLenFeature([None, 2], F32)})
    with pytest.raises(ValueError, match="features cannot be empty"):
        tf.parse_single_example(b"", {})


def test_sparse_tensor_feed_and_fetch() -> None:
    with tf.Graph().as_default():
        st = tf.SparseTensor(indices=[[0, 1]], values=[5.0], dense_shape=[2, 3])
        assert st.shape.as_list() == [2, 3]
        with tf.Session() as sess:
            value = sess.run(st)
            assert isinstance(value, tf.SparseTensorValue)
            assert value.indices.tolist() == [[0, 1]] and value.dense_shape.tolist() == [2, 3]
            fed = sess.run(st.values, {st: tf.SparseTensorValue([[1, 1]], [7.0], [2, 2])})
            assert fed.tolist() == [7.0]


def test_train_namespace_protos() -> None:
    e = tf.train.Example(
        features=tf.train.Features(
            feature={"x": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0]))}
        )
    )
    # FORMATS.md §6.1: the smallest golden bytes.
    assert (
        e.SerializeToString()
        == b"\x0a\x0f\x0a\x0d\x0a\x01x\x12\x08\x12\x06\x0a\x04\x00\x00\x80\x3f"
    )
    assert tf.train.BytesList and tf.train.Int64List and tf.train.SequenceExample
