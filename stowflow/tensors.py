"""NumPy arrays <-> ``TensorProto`` and shapes <-> ``TensorShapeProto``.

:func:`make_tensor_proto` encodes as TensorFlow's Python does (raw ``tensor_content`` for
multi-element numeric arrays, typed fields otherwise) and :func:`make_ndarray` decodes
with the C++ rules (fill with the last value, zeros when empty). See FORMATS.md §4.5.

Allocation budget. A TensorProto from a file can claim a shape far larger than its bytes (a
58-byte Const of shape ``[2**31]`` with one ``float_val`` fills 8 GiB), so nothing decodes a
tensor before it is needed: the graph importer keeps ``Const`` values encoded, and static
shape inference reads a Const's value only when :func:`is_cheap` (the decoded array needs at
most ``64 KiB + 16 x`` the proto's encoded size); otherwise the value is unknown to it, as
any non-constant input is. When the value is really needed (the Const runs, or
``get_attr("value")``), :func:`make_ndarray` builds it if it needs at most
:func:`max_tensor_bytes` bytes (default 2 GiB, protobuf's own message limit; set with the
``STOWFLOW_MAX_TENSOR_BYTES`` environment variable or :func:`set_max_tensor_bytes`) and the
memory is there; otherwise it raises ``ResourceExhaustedError`` with TF's OOM message.

Example:
    >>> p = make_tensor_proto([1.0, 2.0])
    >>> make_ndarray(p).tolist()
    [1.0, 2.0]
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow._varint import VarintError, decode_varint
from stowflow.dtypes import DType
from stowflow.errors import InvalidArgumentError, ResourceExhaustedError
from stowflow.proto import tensor_pb2, tensor_shape_pb2

_DEFAULT_MAX_TENSOR_BYTES = 2 << 30


def _budget_from_env() -> int:
    raw = os.environ.get("STOWFLOW_MAX_TENSOR_BYTES", "")
    return int(raw) if raw.isdigit() else _DEFAULT_MAX_TENSOR_BYTES


_max_tensor_bytes = [_budget_from_env()]
#: Fixed allowance and per-encoded-byte factor of :func:`is_cheap`.
CHEAP_BYTES, CHEAP_FACTOR = 64 << 10, 16


def max_tensor_bytes() -> int:
    """The most bytes :func:`make_ndarray` allocates for one tensor (see the module docstring)."""
    return _max_tensor_bytes[0]


def set_max_tensor_bytes(limit: int) -> int:
    """Sets the :func:`make_ndarray` budget; returns the previous one.

    Raises:
        ValueError: for a negative limit.
    """
    if int(limit) < 0:
        raise ValueError(f"max tensor bytes must be >= 0, got {limit}")
    previous = _max_tensor_bytes[0]
    _max_tensor_bytes[0] = int(limit)
    return previous


# DataType name -> TensorProto typed field holding its values (FORMATS.md table 4.4).
_TYPED_FIELD = {
    "float32": "float_val",
    "float64": "double_val",
    "int32": "int_val",
    "uint8": "int_val",
    "int16": "int_val",
    "int8": "int_val",
    "uint16": "int_val",
    "qint8": "int_val",
    "quint8": "int_val",
    "qint16": "int_val",
    "quint16": "int_val",
    "qint32": "int_val",
    "int4": "int_val",
    "uint4": "int_val",
    "int2": "int_val",
    "uint2": "int_val",
    "string": "string_val",
    "complex64": "scomplex_val",
    "complex128": "dcomplex_val",
    "int64": "int64_val",
    "bool": "bool_val",
    "float16": "half_val",
    "bfloat16": "half_val",
    "uint32": "uint32_val",
    "uint64": "uint64_val",
    "float8_e5m2": "float8_val",
    "float8_e4m3fn": "float8_val",
    "float8_e4m3fnuz": "float8_val",
    "float8_e4m3b11fnuz": "float8_val",
    "float8_e5m2fnuz": "float8_val",
    "float4_e2m1fn": "float8_val",
}

# Types TF's make_tensor_proto writes as raw tensor_content when there is > 1 element.
_CONTENT_TYPES = {
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
    "float8_e4m3fnuz",
    "float8_e4m3b11fnuz",
    "float8_e5m2fnuz",
    "float4_e2m1fn",
}


# -- shapes -----------------------------------------------------------------------------------


def shape_to_proto(shape: Sequence[int | None] | None) -> Any:
    """A TensorShapeProto; None means unknown rank, None/-1 dims are unknown."""
    proto = tensor_shape_pb2.TensorShapeProto()
    if shape is None:
        proto.unknown_rank = True
        return proto
    for dim in shape:
        proto.dim.add(size=-1 if dim is None else int(dim))
    return proto


def shape_from_proto(proto: Any) -> list[int | None] | None:
    """Inverse of :func:`shape_to_proto` (unknown dims become None)."""
    if proto.unknown_rank:
        return None
    return [None if d.size < 0 else d.size for d in proto.dim]


# -- values -----------------------------------------------------------------------------------


def _to_array(values: Any, dtype: DType | None) -> np.ndarray:
    if dtype is not None and dtype.base_dtype == dtypes.string:
        return _string_array(values)
    if isinstance(values, np.ndarray) and values.dtype.kind in "SUO":
        return _string_array(values)
    if dtype is None:
        array = np.asarray(values)
        if array.dtype.kind in "SUO":
            return _string_array(values)
        if array.dtype == np.float64 and not isinstance(values, np.ndarray | np.generic):
            array = array.astype(np.float32)  # Python floats default to float32 in TF
        elif array.dtype == np.int64 and not isinstance(values, np.ndarray | np.generic):
            array = _python_ints(array)
        return array
    target = np.dtype(dtype.base_dtype.as_numpy_dtype)
    array = np.asarray(values)
    if array.dtype.kind == "f" and target.kind in "iub":
        raise TypeError(f"Expected {dtype.base_dtype.name}, but got {values!r} of type 'float'.")
    return array.astype(target) if array.dtype != target else array


def _python_ints(array: np.ndarray) -> np.ndarray:
    """Python ints become int32 when they fit, else int64 (as TF converts them)."""
    if array.size == 0 or (array.min() >= -(2**31) and array.max() < 2**31):
        return array.astype(np.int32)
    return array


def _string_array(values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=object)
    flat = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in array.reshape(-1)]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(array.shape)


def make_tensor_proto(values: Any, dtype: Any = None, shape: Sequence[int] | None = None) -> Any:
    """Encodes ``values`` as a TensorProto, as ``tf.make_tensor_proto`` does.

    Args:
        values: array-like (Python scalars, lists, NumPy arrays, bytes/str).
        dtype: optional target type.
        shape: optional shape; a single value is broadcast ("filled") to it.

    Raises:
        TypeError: for values that don't convert to ``dtype``.
        ValueError: if the element count doesn't fit ``shape``.
    """
    tf_dtype = None if dtype is None else dtypes.as_dtype(dtype).base_dtype
    array = _to_array(values, tf_dtype)
    tf_dtype = tf_dtype or dtypes.from_numpy(array)
    proto = tensor_pb2.TensorProto(dtype=tf_dtype.as_datatype_enum)
    out_shape = list(array.shape) if shape is None else [int(d) for d in shape]
    proto.tensor_shape.CopyFrom(shape_to_proto(out_shape))
    count = int(np.prod(out_shape, dtype=np.int64))
    if shape is not None and array.size != count:
        if array.size != 1:
            raise ValueError(
                f"Too many elements provided. Needed at most {count}, but received {array.size}"
                if array.size > count
                else f"Expected {count} elements for shape {out_shape}, got {array.size}"
            )
        _set_typed(proto, tf_dtype, array.reshape(-1))  # fill: one value plus the shape
        return proto
    if array.size > 1 and tf_dtype.name in _CONTENT_TYPES:
        proto.tensor_content = (
            np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        )
    else:
        _set_typed(proto, tf_dtype, array.reshape(-1))
    return proto


def _set_typed(proto: Any, dtype: DType, flat: np.ndarray) -> None:
    name = dtype.name
    field = _TYPED_FIELD.get(name)
    if field is None:
        raise TypeError(f"Cannot encode a tensor of type {name} in a TensorProto")
    if name in ("float16", "bfloat16"):
        proto.half_val.extend(flat.view(np.uint16).astype(np.int32).tolist())
    elif field == "float8_val":
        proto.float8_val = flat.view(np.uint8).tobytes()
    elif name in ("complex64", "complex128"):
        pairs = np.stack([flat.real, flat.imag], axis=-1).reshape(-1)
        getattr(proto, field).extend(pairs.tolist())
    elif name == "string":
        proto.string_val.extend(flat.tolist())
    else:
        getattr(proto, field).extend(
            (flat.astype(np.int64) if field == "int_val" else flat).tolist()
        )


def proto_dims(proto: Any) -> list[int]:
    """The dims of a TensorProto's shape, read without decoding its values.

    Raises:
        InvalidArgumentError: for a negative (unknown) dimension.
    """
    shape = [d.size for d in proto.tensor_shape.dim]
    if any(d < 0 for d in shape):
        raise InvalidArgumentError(None, None, f"TensorProto has an unknown dimension: {shape}")
    return shape


def decoded_nbytes(proto: Any) -> int:
    """The bytes :func:`make_ndarray` would allocate for ``proto`` (object slots for strings).

    Raises:
        InvalidArgumentError: for a negative dimension or a dtype with no array form.
    """
    itemsize = np.dtype(_numpy_dtype(proto)).itemsize
    return math.prod(proto_dims(proto)) * max(itemsize, 1)


def is_cheap(proto: Any) -> bool:
    """True when decoding ``proto`` costs at most ``64 KiB + 16 x`` its encoded size.

    Only values spelled out in the proto are cheap; a shape filled from one value is not.
    A malformed proto is not cheap (decoding it is left to the run, which reports it).
    """
    try:
        need = decoded_nbytes(proto)
    except (InvalidArgumentError, TypeError):
        return False
    return need <= CHEAP_BYTES + CHEAP_FACTOR * proto.ByteSize()


def _numpy_dtype(proto: Any) -> Any:
    try:
        return dtypes.as_dtype(proto.dtype).as_numpy_dtype
    except (TypeError, ValueError, KeyError) as e:
        raise InvalidArgumentError(
            None, None, f"TensorProto has a dtype with no array form ({proto.dtype}): {e}"
        ) from None


def make_ndarray(proto: Any) -> np.ndarray:
    """Decodes a TensorProto into an array (strings as object arrays of bytes).

    Raises:
        InvalidArgumentError: for a negative dimension, a dtype with no array form or a
            ``tensor_content`` of the wrong size.
        ResourceExhaustedError: when the array needs more than :func:`max_tensor_bytes`
            bytes, or the memory is not there (TF's OOM message).
    """
    dtype = dtypes.as_dtype(proto.dtype)
    shape = proto_dims(proto)
    count = math.prod(shape)
    np_dtype = np.dtype(_numpy_dtype(proto))
    if count * max(np_dtype.itemsize, 1) > max_tensor_bytes():
        raise ResourceExhaustedError(None, None, _oom_message(dtype, shape, "budget"))
    try:
        return _decode(proto, dtype, shape, count, np_dtype)
    except MemoryError:
        raise ResourceExhaustedError(None, None, _oom_message(dtype, shape, "memory")) from None


def _oom_message(dtype: DType, shape: list[int], cause: str) -> str:
    dims = ",".join(str(d) for d in shape)
    why = (
        f"it needs more than the {max_tensor_bytes()}-byte tensor budget "
        "(STOWFLOW_MAX_TENSOR_BYTES)"
        if cause == "budget"
        else "the memory is not available"
    )
    return (
        f"OOM when allocating tensor with shape[{dims}] and type {dtype.type_string.lower()} "
        f"on /job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu: {why}"
    )


def _decode(
    proto: Any, dtype: DType, shape: list[int], count: int, np_dtype: np.dtype
) -> np.ndarray:
    if proto.tensor_content and dtype != dtypes.string:
        if len(proto.tensor_content) != count * np_dtype.itemsize:
            raise InvalidArgumentError(
                None,
                None,
                f"tensor_content has {len(proto.tensor_content)} bytes, "
                f"{dtype.name}{shape} needs {count * np_dtype.itemsize}",
            )
        return (
            np.frombuffer(proto.tensor_content, dtype=np_dtype.newbyteorder("<"))
            .astype(np_dtype)
            .reshape(shape)
        )
    flat = _typed_values(proto, dtype)
    if dtype == dtypes.string and proto.tensor_content and not len(flat):
        flat = _strings_from_content(proto.tensor_content, count)
    return _fill(flat, count, np_dtype).reshape(shape)


def _typed_values(proto: Any, dtype: DType) -> np.ndarray:
    name = dtype.name
    field = _TYPED_FIELD.get(name)
    if field is None:
        raise InvalidArgumentError(None, None, f"cannot decode a {name} TensorProto")
    np_dtype = np.dtype(dtype.as_numpy_dtype)
    if name in ("float16", "bfloat16"):  # TF keeps the low 16 bits of each int32
        return np.asarray(proto.half_val, dtype=np.int64).astype(np.uint16).view(np_dtype)
    if field == "float8_val":
        return np.frombuffer(proto.float8_val, dtype=np.uint8).view(np_dtype)
    if name in ("complex64", "complex128"):
        raw = np.asarray(getattr(proto, field), dtype=np.float64)
        if raw.size % 2:
            raise InvalidArgumentError(
                None, None, f"{field} of a {name} TensorProto has an odd count {raw.size}"
            )
        return raw.view(np.complex128).astype(np_dtype)  # (re, im) pairs; keeps -0.0 and inf
    if name == "string":
        out = np.empty(len(proto.string_val), dtype=object)
        out[:] = list(proto.string_val)
        return out
    return np.asarray(
        list(getattr(proto, field)), np.uint64 if field == "uint64_val" else None
    ).astype(np_dtype)


def _fill(flat: np.ndarray, count: int, np_dtype: np.dtype) -> np.ndarray:
    if len(flat) >= count:
        return flat[:count]
    if len(flat) == 0:
        return np.full(count, b"" if np_dtype.kind == "O" else 0, dtype=np_dtype)
    out = np.empty(count, dtype=np_dtype)
    out[: len(flat)] = flat
    out[len(flat) :] = flat[-1]
    return out


def _strings_from_content(content: bytes, count: int) -> np.ndarray:
    lengths = []
    pos = 0
    try:
        for _ in range(count):
            n, pos = decode_varint(content, pos)
            lengths.append(n)
    except VarintError:
        raise InvalidArgumentError(
            None, None, f"string tensor_content ends before the lengths of its {count} elements"
        ) from None
    if pos + sum(lengths) > len(content):
        raise InvalidArgumentError(
            None, None, f"string tensor_content has {len(content)} bytes, its lengths need more"
        )
    out = np.empty(count, dtype=object)
    for i, n in enumerate(lengths):
        out[i] = content[pos : pos + n]
        pos += n
    return out
