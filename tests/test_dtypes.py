"""dtypes: TF names and enum numbers (types.proto), _ref variants, NumPy mapping."""

from __future__ import annotations

import pickle

import ml_dtypes
import numpy as np
import pytest

from stowflow import dtypes
from stowflow.proto import types_pb2

# FORMATS.md table 4.4: enum -> (TF name, numpy dtype, bytes per element in a bundle).
TABLE = {
    1: ("float32", np.float32, 4),
    2: ("float64", np.float64, 8),
    3: ("int32", np.int32, 4),
    4: ("uint8", np.uint8, 1),
    5: ("int16", np.int16, 2),
    6: ("int8", np.int8, 1),
    7: ("string", np.object_, 0),
    8: ("complex64", np.complex64, 8),
    9: ("int64", np.int64, 8),
    10: ("bool", np.bool_, 1),
    11: ("qint8", np.int8, 1),
    12: ("quint8", np.uint8, 1),
    13: ("qint32", np.int32, 4),
    14: ("bfloat16", ml_dtypes.bfloat16, 2),
    15: ("qint16", np.int16, 2),
    16: ("quint16", np.uint16, 2),
    17: ("uint16", np.uint16, 2),
    18: ("complex128", np.complex128, 16),
    19: ("float16", np.float16, 2),
    20: ("resource", np.object_, 0),
    21: ("variant", np.object_, 0),
    22: ("uint32", np.uint32, 4),
    23: ("uint64", np.uint64, 8),
    24: ("float8_e5m2", ml_dtypes.float8_e5m2, 1),
    25: ("float8_e4m3fn", ml_dtypes.float8_e4m3fn, 1),
    26: ("float8_e4m3fnuz", ml_dtypes.float8_e4m3fnuz, 1),
    27: ("float8_e4m3b11fnuz", ml_dtypes.float8_e4m3b11fnuz, 1),
    28: ("float8_e5m2fnuz", ml_dtypes.float8_e5m2fnuz, 1),
    29: ("int4", ml_dtypes.int4, 1),
    30: ("uint4", ml_dtypes.uint4, 1),
    31: ("int2", ml_dtypes.int2, 1),
    32: ("uint2", ml_dtypes.uint2, 1),
    33: ("float4_e2m1fn", ml_dtypes.float4_e2m1fn, 1),
}


@pytest.mark.parametrize("enum", sorted(TABLE))
def test_table(enum: int) -> None:
    name, np_type, size = TABLE[enum]
    d = dtypes.as_dtype(enum)
    assert (d.name, d.as_datatype_enum, d.size) == (name, enum, size)
    assert np.dtype(d.as_numpy_dtype) == np.dtype(np_type)
    assert dtypes.as_dtype(name) is d
    assert getattr(dtypes, name) is d
    assert not d.is_ref and d.base_dtype is d
    ref = dtypes.as_dtype(enum + 100)
    assert ref.name == name + "_ref" and ref.is_ref and ref.base_dtype is d
    assert dtypes.as_dtype(name + "_ref") is ref
    assert d._as_ref is ref and ref._as_ref is ref
    # our enum agrees with our types.proto, whose numbers match TF's
    assert types_pb2.DataType.Value("DT_" + _proto_name(name)) == enum
    assert types_pb2.DataType.Value("DT_" + _proto_name(name) + "_REF") == enum + 100


def _proto_name(name: str) -> str:
    return {"float32": "FLOAT", "float64": "DOUBLE", "float16": "HALF"}.get(name, name.upper())


def test_all_dtypes() -> None:
    assert [d.as_datatype_enum for d in dtypes.all_dtypes()] == sorted(TABLE)
    with_ref = dtypes.all_dtypes(include_ref=True)
    assert len(with_ref) == 2 * len(TABLE)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (np.float32, "float32"),
        (np.dtype("float64"), "float64"),
        (np.int64, "int64"),
        (np.uint32, "uint32"),
        (np.bool_, "bool"),
        (np.complex64, "complex64"),
        (ml_dtypes.bfloat16, "bfloat16"),
        (ml_dtypes.float8_e4m3fn, "float8_e4m3fn"),
        (ml_dtypes.int4, "int4"),
        (np.int8, "int8"),  # never qint8
        (np.uint16, "uint16"),  # never quint16
        (np.object_, "string"),
        (np.dtype("S3"), "string"),
        (np.dtype("U3"), "string"),
        (float, "float32"),
        (int, "int32"),
        (bool, "bool"),
        (complex, "complex128"),
        (bytes, "string"),
        (str, "string"),
        ("half", "float16"),
        ("float", "float32"),
        ("double", "float64"),
    ],
)
def test_as_dtype_conversions(value: object, name: str) -> None:
    assert dtypes.as_dtype(value).name == name


def test_from_numpy() -> None:
    assert dtypes.from_numpy(np.zeros(2, np.float16)) == dtypes.float16
    assert dtypes.from_numpy(np.array([b"a"], object)) == dtypes.string
    with pytest.raises(TypeError, match="datetime64"):
        dtypes.from_numpy(np.zeros(1, "datetime64[s]"))


@pytest.mark.parametrize("bad", [0, 34, 99, 200, "floaty", np.dtype("datetime64[s]"), object()])
def test_as_dtype_rejects(bad: object) -> None:
    with pytest.raises(TypeError, match="Cannot convert"):
        dtypes.as_dtype(bad)


def test_bool_is_not_an_enum_number() -> None:
    # as_dtype(True) must not mean enum 1 (float32)
    assert dtypes.as_dtype(np.bool_) == dtypes.bool


def test_properties() -> None:
    assert dtypes.float32.is_floating and dtypes.bfloat16.is_floating
    assert dtypes.float8_e5m2.is_floating and not dtypes.int32.is_floating
    assert dtypes.int4.is_integer and dtypes.uint64.is_integer
    assert not dtypes.bool.is_integer and not dtypes.qint8.is_integer
    assert dtypes.qint8.is_quantized and dtypes.quint16.is_quantized
    assert dtypes.complex64.is_complex and dtypes.complex64.real_dtype == dtypes.float32
    assert dtypes.complex128.real_dtype == dtypes.float64
    assert dtypes.float32.real_dtype == dtypes.float32
    assert dtypes.bool.is_bool
    assert not dtypes.resource.is_numpy_compatible and not dtypes.variant.is_numpy_compatible
    assert dtypes.as_dtype("float32_ref").is_floating


def test_equality_hash_repr_pickle() -> None:
    assert dtypes.float32 == "float32" == dtypes.as_dtype(1)
    assert dtypes.float32 == np.float32
    assert dtypes.float32 != dtypes.as_dtype("float32_ref")
    assert dtypes.float32 != "not a dtype"
    assert len({dtypes.float32, dtypes.as_dtype(1)}) == 1
    assert repr(dtypes.float32) == "tf.float32"
    assert str(dtypes.as_dtype(101)) == "<dtype: 'float32_ref'>"
    assert pickle.loads(pickle.dumps(dtypes.bfloat16)) is dtypes.bfloat16
