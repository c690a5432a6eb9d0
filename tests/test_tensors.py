"""make_tensor_proto / make_ndarray: TF's encoding choices and the decoding rules of §4.5."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stowflow_testlib import assert_bitwise_equal

from stowflow import dtypes
from stowflow.errors import InvalidArgumentError
from stowflow.proto import tensor_pb2
from stowflow.tensors import make_ndarray, make_tensor_proto, shape_from_proto, shape_to_proto


def _proto(dtype: int, shape: list[int], **fields: object) -> tensor_pb2.TensorProto:
    p = tensor_pb2.TensorProto(dtype=dtype, **fields)
    for d in shape:
        p.tensor_shape.dim.add(size=d)
    return p


# -- decoding rules (FORMATS.md §4.5) ----------------------------------------------------------


def test_fill_with_last_value() -> None:
    out = make_ndarray(_proto(1, [2, 3], float_val=[1.0, 2.0]))
    assert out.dtype == np.float32
    assert out.tolist() == [[1.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    assert make_ndarray(_proto(3, [4], int_val=[7])).tolist() == [7, 7, 7, 7]
    assert make_ndarray(_proto(7, [3], string_val=[b"a", b"b"])).tolist() == [b"a", b"b", b"b"]
    assert make_ndarray(_proto(8, [2], scomplex_val=[1.0, 2.0])).tolist() == [1 + 2j, 1 + 2j]


def test_empty_typed_field_is_zeros() -> None:
    assert make_ndarray(_proto(1, [1000])).tolist() == [0.0] * 1000
    assert make_ndarray(_proto(10, [2])).tolist() == [False, False]
    assert make_ndarray(_proto(7, [2])).tolist() == [b"", b""]
    assert make_ndarray(_proto(9, [])).shape == ()
    assert make_ndarray(_proto(19, [2])).view(np.uint16).tolist() == [0, 0]


def test_extra_values_are_ignored() -> None:
    assert make_ndarray(_proto(1, [2], float_val=[1.0, 2.0, 3.0])).tolist() == [1.0, 2.0]


def test_half_val_bit_patterns() -> None:
    half = make_ndarray(_proto(19, [2], half_val=[15872, 0x7E01]))
    assert half.dtype == np.float16
    assert half[0] == 1.5
    assert half.view(np.uint16)[1] == 0x7E01  # NaN payload kept
    bf = make_ndarray(_proto(14, [1], half_val=[16320]))
    assert bf.dtype == ml_dtypes.bfloat16 and float(bf[0]) == 1.5
    assert list(make_tensor_proto(np.float16(1.5)).half_val) == [15872]
    assert list(make_tensor_proto(np.array(1.5, ml_dtypes.bfloat16)).half_val) == [16320]


def test_float8_val_bytes() -> None:
    p = make_tensor_proto(np.array(1.0, ml_dtypes.float8_e4m3fn))
    assert p.float8_val == np.array(1.0, ml_dtypes.float8_e4m3fn).tobytes()
    out = make_ndarray(_proto(24, [2], float8_val=bytes([0x3C, 0xBC])))
    assert out.dtype == ml_dtypes.float8_e5m2 and out.astype(np.float32).tolist() == [1.0, -1.0]


def test_tensor_content_little_endian_and_size_check() -> None:
    content = np.array([1, -2], "<i4").tobytes()
    assert make_ndarray(_proto(3, [2], tensor_content=content)).tolist() == [1, -2]
    with pytest.raises(InvalidArgumentError, match="tensor_content has 8 bytes"):
        make_ndarray(_proto(3, [3], tensor_content=content))


def test_string_tensor_content() -> None:
    content = bytes([5, 0, 2]) + b"hello" + b"ab"
    assert make_ndarray(_proto(7, [3], tensor_content=content)).tolist() == [b"hello", b"", b"ab"]


def test_negative_dim_rejected() -> None:
    with pytest.raises(InvalidArgumentError, match="unknown dimension"):
        make_ndarray(_proto(1, [-1]))


# -- encoding choices of tf.make_tensor_proto ----------------------------------------------


@pytest.mark.parametrize(
    "dtype",
    [
        "float16",
        "float32",
        "float64",
        "bfloat16",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint32",
        "uint64",
        "qint8",
        "quint8",
        "qint16",
        "quint16",
        "qint32",
        "float8_e5m2",
        "float8_e4m3fn",
    ],
)
def test_multi_element_numeric_uses_tensor_content(dtype: str) -> None:
    d = dtypes.as_dtype(dtype)
    values = np.array([1, 2, 3], dtype=d.as_numpy_dtype)
    p = make_tensor_proto(values, dtype=d)
    assert p.dtype == d.as_datatype_enum
    assert p.tensor_content == values.astype(values.dtype.newbyteorder("<")).tobytes()
    assert not p.ListFields()[-1][0].name.endswith("_val")
    one = make_tensor_proto(values[:1], dtype=d)
    assert one.tensor_content == b""


@pytest.mark.parametrize(
    ("values", "dtype", "field"),
    [
        ([True, False], "bool", "bool_val"),
        ([1 + 2j, 3j], "complex64", "scomplex_val"),
        ([1 + 2j, 3j], "complex128", "dcomplex_val"),
        ([b"a", b"b"], "string", "string_val"),
        ([1, 2], "uint16", "int_val"),
        ([1, -2], "int4", "int_val"),
        ([1, 2], "uint4", "int_val"),
        (1.5, "float32", "float_val"),
        (1.0, "float64", "double_val"),
        (7, "int64", "int64_val"),
        (7, "uint32", "uint32_val"),
        (7, "uint64", "uint64_val"),
    ],
)
def test_typed_fields(values: object, dtype: str, field: str) -> None:
    p = make_tensor_proto(values, dtype=dtype)
    assert p.tensor_content == b""
    assert [f.name for f, _ in p.ListFields() if f.name.endswith("_val")] == [field]
    out = make_ndarray(p)
    expected = np.asarray(values, dtype=dtypes.as_dtype(dtype).as_numpy_dtype)
    if dtype == "string":
        assert out.tolist() == list(values)  # type: ignore[arg-type]
    else:
        assert_bitwise_equal(out, expected)


def test_complex_typed_values_keep_signed_zero_and_inf() -> None:
    p = _proto(18, [2], dcomplex_val=[-0.0, np.inf, 1.0, -0.0])
    out = make_ndarray(p)
    assert out.dtype == np.complex128
    assert out.view(np.float64).tolist() == [-0.0, np.inf, 1.0, -0.0]
    assert np.signbit(out.view(np.float64)).tolist() == [True, False, False, True]
    p64 = make_tensor_proto(np.array([complex(-0.0, np.inf)], np.complex64))
    assert np.signbit(make_ndarray(p64).view(np.float32)).tolist() == [True, False]
    assert not np.isnan(make_ndarray(p64).view(np.float32)).any()


def test_uint64_val_above_int64_max() -> None:
    out = make_ndarray(_proto(23, [3], uint64_val=[2**64 - 1, 2**63, 5]))
    assert out.dtype == np.uint64 and out.tolist() == [2**64 - 1, 2**63, 5]
    p = make_tensor_proto(np.uint64(2**64 - 1))
    assert list(p.uint64_val) == [2**64 - 1]
    assert make_ndarray(p) == np.uint64(2**64 - 1)


def test_complex_pairs_interleaved() -> None:
    p = make_tensor_proto(np.array([1 + 2j, 3 - 4j], np.complex64))
    assert list(p.scomplex_val) == [1.0, 2.0, 3.0, -4.0]


def test_python_value_defaults() -> None:
    assert make_tensor_proto(1.5).dtype == 1  # float32
    assert make_tensor_proto([1, 2]).dtype == 3  # int32
    assert make_tensor_proto([1, 2**40]).dtype == 9  # int64
    assert make_tensor_proto("hi").string_val == [b"hi"]
    assert make_tensor_proto(["a", "\u00fc"]).string_val == [b"a", "\u00fc".encode()]
    assert make_tensor_proto(np.float64(1.0)).dtype == 2


def test_fill_shape() -> None:
    p = make_tensor_proto(0.0, shape=[1000])
    assert list(p.float_val) == [0.0]
    assert [d.size for d in p.tensor_shape.dim] == [1000]
    assert make_ndarray(p).shape == (1000,)
    with pytest.raises(ValueError, match="Too many elements"):
        make_tensor_proto([1.0, 2.0, 3.0], shape=[2])


def test_float_into_int_rejected() -> None:
    with pytest.raises(TypeError, match="Expected int32"):
        make_tensor_proto([1.5], dtype="int32")


def test_shapes() -> None:
    assert shape_from_proto(shape_to_proto([2, None, 3])) == [2, None, 3]
    assert shape_from_proto(shape_to_proto(None)) is None
    assert shape_to_proto(None).unknown_rank
    assert shape_from_proto(shape_to_proto([])) == []


STORABLE = [d for d in dtypes.all_dtypes() if d.is_numpy_compatible and d != dtypes.string]
_SUB_BYTE = {"int4", "uint4", "int2", "uint2", "float4_e2m1fn"}


@st.composite
def protos_inputs(draw: st.DrawFn) -> tuple[dtypes.DType, np.ndarray]:
    dtype = draw(st.sampled_from(STORABLE + [dtypes.string]))
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
    count = int(np.prod(shape, dtype=np.int64))
    if dtype == dtypes.string:
        flat = np.empty(count, object)
        flat[:] = draw(st.lists(st.binary(max_size=20), min_size=count, max_size=count))
        return dtype, flat.reshape(shape)
    np_dtype = np.dtype(dtype.as_numpy_dtype)
    if dtype == dtypes.bool or dtype.name in _SUB_BYTE:
        codes = draw(st.lists(st.integers(0, 1), min_size=count, max_size=count))
        return dtype, np.array(codes, np.uint8).astype(np_dtype).reshape(shape)
    raw = draw(st.binary(min_size=count * np_dtype.itemsize, max_size=count * np_dtype.itemsize))
    return dtype, np.frombuffer(raw, np_dtype).reshape(shape).copy()


@settings(max_examples=150, deadline=None)
@given(protos_inputs())
def test_round_trip(case: tuple[dtypes.DType, np.ndarray]) -> None:
    dtype, array = case
    proto = make_tensor_proto(array, dtype=dtype)
    again = tensor_pb2.TensorProto.FromString(proto.SerializeToString())
    out = make_ndarray(again)
    assert out.dtype == array.dtype and out.shape == array.shape
    if dtype == dtypes.string:
        assert out.tolist() == array.tolist()
        return
    if dtype.is_complex:  # typed complex fields are float/double pairs
        out, array = out.reshape(-1).view(out.real.dtype), array.reshape(-1).view(array.real.dtype)
    if dtype.is_floating or dtype.is_complex:
        # Typed fields go through Python floats (as in TF), which may quiet a signalling NaN:
        # NaN must stay NaN; every other value, -0.0 included, keeps its exact bits.
        nan = np.isnan(array.astype(np.float64))
        assert (np.isnan(out.astype(np.float64)) == nan).all()
        bits = f"u{array.dtype.itemsize}"
        assert (out.view(bits)[~nan] == array.view(bits)[~nan]).all()
        if proto.tensor_content:
            assert_bitwise_equal(out, array)  # raw bytes: NaN payloads too
    else:
        assert_bitwise_equal(out, array)
