"""TensorFlow's data types: the ``DataType`` enum, names, and NumPy equivalents.

Each :class:`DType` mirrors ``tf.DType``: ``name`` (``"float32"``, ``"float32_ref"``),
``as_datatype_enum`` (the ``DataType`` number from types.proto), ``as_numpy_dtype`` and
``base_dtype``/``is_ref``. Strings are NumPy object arrays of ``bytes``; bfloat16, float8,
int4 and friends come from ``ml_dtypes``, imported only when one of them is first needed
(the import costs more than the rest of ``import stowflow``).

Example:
    >>> from stowflow import dtypes
    >>> dtypes.as_dtype("float32").as_datatype_enum
    1
    >>> dtypes.as_dtype(101).name
    'float32_ref'
"""

from __future__ import annotations

import builtins
import importlib
import sys
from typing import Any

import numpy as np

_REF_OFFSET = 100  # types.proto: every DT_X_REF = DT_X + 100.

# (enum, TF name, numpy type (a "ml_dtypes.X" string: resolved on first use), element size in
# a bundle or 0 for variable-size)
# Numbers and names: tensorflow/core/framework/types.proto and tf.dtypes (FORMATS.md 4.4).
_TABLE: list[tuple[int, str, Any, int]] = [
    (1, "float32", np.float32, 4),
    (2, "float64", np.float64, 8),
    (3, "int32", np.int32, 4),
    (4, "uint8", np.uint8, 1),
    (5, "int16", np.int16, 2),
    (6, "int8", np.int8, 1),
    (7, "string", np.object_, 0),
    (8, "complex64", np.complex64, 8),
    (9, "int64", np.int64, 8),
    (10, "bool", np.bool_, 1),
    (11, "qint8", np.int8, 1),
    (12, "quint8", np.uint8, 1),
    (13, "qint32", np.int32, 4),
    (14, "bfloat16", "ml_dtypes.bfloat16", 2),
    (15, "qint16", np.int16, 2),
    (16, "quint16", np.uint16, 2),
    (17, "uint16", np.uint16, 2),
    (18, "complex128", np.complex128, 16),
    (19, "float16", np.float16, 2),
    (20, "resource", np.object_, 0),
    (21, "variant", np.object_, 0),
    (22, "uint32", np.uint32, 4),
    (23, "uint64", np.uint64, 8),
    (24, "float8_e5m2", "ml_dtypes.float8_e5m2", 1),
    (25, "float8_e4m3fn", "ml_dtypes.float8_e4m3fn", 1),
    (26, "float8_e4m3fnuz", "ml_dtypes.float8_e4m3fnuz", 1),
    (27, "float8_e4m3b11fnuz", "ml_dtypes.float8_e4m3b11fnuz", 1),
    (28, "float8_e5m2fnuz", "ml_dtypes.float8_e5m2fnuz", 1),
    (29, "int4", "ml_dtypes.int4", 1),
    (30, "uint4", "ml_dtypes.uint4", 1),
    (31, "int2", "ml_dtypes.int2", 1),
    (32, "uint2", "ml_dtypes.uint2", 1),
    (33, "float4_e2m1fn", "ml_dtypes.float4_e2m1fn", 1),
]

# Extra spellings TF accepts in tf.as_dtype / tf.DType names.
_ALIASES = {"half": "float16", "float": "float32", "double": "float64"}


class DType:
    """A TensorFlow data type (``tf.DType``)."""

    __slots__ = ("_enum", "_name", "_numpy", "_size")

    def __init__(self, enum: int, name: str, numpy_dtype: Any, size: int) -> None:
        self._enum = enum
        self._name = name
        self._numpy = numpy_dtype
        self._size = size

    @property
    def name(self) -> str:
        """TF's name, e.g. ``"float32"`` or ``"float32_ref"``."""
        return self._name

    @property
    def as_datatype_enum(self) -> int:
        """The ``DataType`` enum number."""
        return self._enum

    @property
    def as_numpy_dtype(self) -> Any:
        """The NumPy scalar type (``np.object_`` for strings, resources, variants)."""
        if type(self._numpy) is str:
            self._numpy = _ml_type(self._numpy)
        return self._numpy

    @property
    def is_ref(self) -> bool:
        """True for the ``*_ref`` types of TF1 reference variables."""
        return self._enum > _REF_OFFSET

    @property
    def base_dtype(self) -> DType:
        """The non-reference type."""
        return _BY_ENUM[self._enum - _REF_OFFSET] if self.is_ref else self

    @property
    def _as_ref(self) -> DType:
        return self if self.is_ref else _BY_ENUM[self._enum + _REF_OFFSET]

    @property
    def real_dtype(self) -> DType:
        """float32 for complex64, float64 for complex128, else itself."""
        return {8: float32, 18: float64}.get(self.base_dtype._enum, self)

    @property
    def type_string(self) -> str:
        """TF's C++ ``DataTypeString`` spelling used in error messages (``float``, ``half``)."""
        base = _C_TYPE_NAMES.get(self.base_dtype._name, self.base_dtype._name)
        return base + "_ref" if self.is_ref else base

    @property
    def size(self) -> int:
        """Bytes per element in a checkpoint, 0 for variable-size types."""
        return self._size

    @property
    def is_floating(self) -> bool:
        """True for float16/32/64, bfloat16 and float8 types."""
        base = self.base_dtype
        return base._name in _ML_FLOATS or np.dtype(base.as_numpy_dtype).kind == "f"

    @property
    def is_integer(self) -> bool:
        """True for signed and unsigned integers (not bool, not quantized)."""
        return self.base_dtype._name.startswith(("int", "uint"))

    @property
    def is_complex(self) -> bool:
        """True for complex64 and complex128."""
        return self.base_dtype._enum in (8, 18)

    @property
    def is_bool(self) -> bool:
        """True for bool."""
        return self.base_dtype._enum == 10

    @property
    def is_quantized(self) -> bool:
        """True for the qint/quint types."""
        return self.base_dtype._name.startswith(("qint", "quint"))

    @property
    def is_numpy_compatible(self) -> bool:
        """False for resource and variant."""
        return self.base_dtype._enum not in (20, 21)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self._enum == other._enum
        try:
            return self._enum == as_dtype(other)._enum  # type: ignore[arg-type]
        except TypeError:
            return False

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return self._enum

    def __repr__(self) -> str:
        return f"tf.{self._name}"

    def __str__(self) -> str:
        return f"<dtype: '{self._name}'>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (as_dtype, (self._enum,))


# types.cc DataTypeString, where it differs from the Python name.
_C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}

_ML_FLOATS = {n for _, n, _, _ in _TABLE if n.startswith(("float8", "float4", "bfloat16"))}


def _ml_type(spec: str) -> Any:
    """The ml_dtypes scalar type named by ``"ml_dtypes.NAME"`` (imports ml_dtypes once)."""
    module = importlib.import_module("ml_dtypes")
    _register_ml_numpy_types(module)
    return getattr(module, spec.partition(".")[2])


def _register_ml_numpy_types(module: Any) -> None:
    if _ML_REGISTERED:
        return
    _ML_REGISTERED.append(True)
    for enum, _name, np_type, _size in _TABLE:
        if type(np_type) is str:
            _BY_NUMPY.setdefault(np.dtype(getattr(module, np_type.partition(".")[2])), _BY_ENUM[enum])


_ML_REGISTERED: list[bool] = []

_BY_ENUM: dict[int, DType] = {}
_BY_NAME: dict[str, DType] = {}
for _enum, _name, _np, _size in _TABLE:
    for _e, _n in ((_enum, _name), (_enum + _REF_OFFSET, _name + "_ref")):
        _BY_ENUM[_e] = _BY_NAME[_n] = DType(_e, _n, _np, _size)

# numpy dtype -> DType; quantized types are never inferred from plain ints.
_BY_NUMPY: dict[np.dtype, DType] = {}
for _enum, _name, _np, _size in _TABLE:
    if _name.startswith(("qint", "quint")) or _enum in (20, 21) or type(_np) is str:
        continue
    _BY_NUMPY.setdefault(np.dtype(_np), _BY_ENUM[_enum])

float16 = half = _BY_NAME["float16"]
float32 = _BY_NAME["float32"]
float64 = double = _BY_NAME["float64"]
bfloat16 = _BY_NAME["bfloat16"]
int8 = _BY_NAME["int8"]
int16 = _BY_NAME["int16"]
int32 = _BY_NAME["int32"]
int64 = _BY_NAME["int64"]
uint8 = _BY_NAME["uint8"]
uint16 = _BY_NAME["uint16"]
uint32 = _BY_NAME["uint32"]
uint64 = _BY_NAME["uint64"]
bool = _BY_NAME["bool"]  # noqa: A001 - TF spells it tf.bool
string = _BY_NAME["string"]
complex64 = _BY_NAME["complex64"]
complex128 = _BY_NAME["complex128"]
qint8 = _BY_NAME["qint8"]
quint8 = _BY_NAME["quint8"]
qint16 = _BY_NAME["qint16"]
quint16 = _BY_NAME["quint16"]
qint32 = _BY_NAME["qint32"]
resource = _BY_NAME["resource"]
variant = _BY_NAME["variant"]
float8_e5m2 = _BY_NAME["float8_e5m2"]
float8_e4m3fn = _BY_NAME["float8_e4m3fn"]
float8_e4m3fnuz = _BY_NAME["float8_e4m3fnuz"]
float8_e4m3b11fnuz = _BY_NAME["float8_e4m3b11fnuz"]
float8_e5m2fnuz = _BY_NAME["float8_e5m2fnuz"]
int4 = _BY_NAME["int4"]
uint4 = _BY_NAME["uint4"]
int2 = _BY_NAME["int2"]
uint2 = _BY_NAME["uint2"]
float4_e2m1fn = _BY_NAME["float4_e2m1fn"]


def all_dtypes(include_ref: bool = False) -> list[DType]:
    """Every DType, in enum order (optionally with the ``_ref`` variants)."""
    return [d for e, d in sorted(_BY_ENUM.items()) if include_ref or e < _REF_OFFSET]


def as_dtype(type_value: Any) -> DType:
    """Converts a DType, enum number, name, NumPy dtype or Python type into a DType.

    Args:
        type_value: e.g. ``1``, ``"float32"``, ``np.float32``, ``float``, a ``DType``.

    Returns:
        The matching DType.

    Raises:
        TypeError: if nothing matches, naming the value.
    """
    if isinstance(type_value, DType):
        return type_value
    if type(type_value) is int and type_value in _BY_ENUM:  # the hot path: proto enums
        return _BY_ENUM[type_value]
    if isinstance(type_value, (int, np.integer)) and not isinstance(type_value, np.bool_):
        found = _BY_ENUM.get(int(type_value))
    elif isinstance(type_value, str):
        found = _BY_NAME.get(_ALIASES.get(type_value, type_value))
    elif type_value in _PYTHON_TYPES:
        found = _PYTHON_TYPES[type_value]
    else:
        found = _numpy_lookup(type_value)
    if found is None:
        raise TypeError(f"Cannot convert {type_value!r} to a stowflow DType.")
    return found


_PYTHON_TYPES: dict[Any, DType] = {
    float: float32,
    int: int32,
    complex: complex128,
    bytes: string,
    str: string,
    builtins.bool: bool,
}


def _numpy_lookup(value: Any) -> DType | None:
    try:
        np_dtype = np.dtype(value)
    except TypeError:
        return None
    if np_dtype.kind in "SU":
        return string
    found = _BY_NUMPY.get(np_dtype)
    if found is None and "ml_dtypes" in sys.modules:  # an ml_dtypes array exists: register
        _register_ml_numpy_types(sys.modules["ml_dtypes"])
        found = _BY_NUMPY.get(np_dtype)
    return found


def from_numpy(array: np.ndarray) -> DType:
    """The DType of a NumPy array (object/bytes/str arrays are ``string``).

    Raises:
        TypeError: for a NumPy dtype TensorFlow has no type for (e.g. datetime64).
    """
    found = _numpy_lookup(array.dtype)
    if found is None:
        raise TypeError(f"NumPy dtype {array.dtype} has no TensorFlow equivalent.")
    return found
