"""Op attributes: ``AttrValue`` protos <-> Python values, driven by OpDef attr types.

Decoded forms: ``string`` -> bytes, ``int`` -> int, ``float`` -> float, ``bool`` -> bool,
``type`` -> DType, ``shape`` -> TensorShape, ``tensor`` -> ndarray, ``func`` ->
NameAttrList proto, ``list(X)`` -> list of X.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes, tensors
from stowflow.graph.shape import TensorShape, as_shape
from stowflow.proto import attr_value_pb2

_LIST_FIELDS = ("s", "i", "f", "b", "type", "shape", "tensor", "func")


def _decode_scalar(kind: str, value: Any) -> Any:
    if kind == "type":
        return dtypes.as_dtype(value)
    if kind == "shape":
        return TensorShape(tensors.shape_from_proto(value))
    if kind == "tensor":
        return tensors.make_ndarray(value)
    if kind in ("i",):
        return int(value)
    if kind == "f":
        return float(value)
    if kind == "b":
        return bool(value)
    return value


def decode(attr: Any) -> Any:
    """The Python value of an AttrValue proto."""
    which = attr.WhichOneof("value")
    if which is None:
        return None
    if which == "list":
        for field in _LIST_FIELDS:
            items = getattr(attr.list, field)
            if len(items):
                return [_decode_scalar(field, v) for v in items]
        return []
    if which == "placeholder":
        return attr.placeholder
    return _decode_scalar(which, getattr(attr, which))


def _shape_proto(value: Any) -> Any:
    shape = as_shape(value)
    return tensors.shape_to_proto(shape.dims)


def _encode_into(target: Any, kind: str, value: Any) -> None:
    """Sets one scalar of ``kind`` (OpDef spelling) on an AttrValue or its ListValue."""
    is_list = isinstance(target, attr_value_pb2.AttrValue.ListValue)
    if kind == "string":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        target.s.append(raw) if is_list else setattr(target, "s", raw)
    elif kind == "int":
        target.i.append(int(value)) if is_list else setattr(target, "i", int(value))
    elif kind == "float":
        target.f.append(float(value)) if is_list else setattr(target, "f", float(value))
    elif kind == "bool":
        target.b.append(bool(value)) if is_list else setattr(target, "b", bool(value))
    elif kind == "type":
        enum = dtypes.as_dtype(value).as_datatype_enum
        target.type.append(enum) if is_list else setattr(target, "type", enum)
    elif kind == "shape":
        (target.shape.add() if is_list else target.shape).CopyFrom(_shape_proto(value))
    elif kind == "tensor":
        proto = (
            value
            if not isinstance(value, np.ndarray | list | int | float)
            else (tensors.make_tensor_proto(value))
        )
        (target.tensor.add() if is_list else target.tensor).CopyFrom(proto)
    elif kind == "func":
        (target.func.add() if is_list else target.func).CopyFrom(value)
    else:
        raise TypeError(f"unsupported attr type {kind!r}")


def encode(kind: str, value: Any) -> Any:
    """An AttrValue for ``value`` of OpDef attr type ``kind`` (e.g. ``"list(type)"``).

    Raises:
        TypeError: for an attr type stowflow does not know.
    """
    if isinstance(value, attr_value_pb2.AttrValue):
        return value
    attr = attr_value_pb2.AttrValue()
    if kind.startswith("list(") and kind.endswith(")"):
        inner = kind[5:-1]
        attr.list.SetInParent()
        for item in value:
            _encode_into(attr.list, inner, item)
    else:
        _encode_into(attr, kind, value)
    return attr


def guess_kind(value: Any) -> str:
    """The OpDef attr type for a Python value, for attrs no OpDef describes (``_class``)."""
    if isinstance(value, list | tuple):
        return f"list({guess_kind(value[0])})" if value else "list(string)"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dtypes.DType):
        return "type"
    if isinstance(value, TensorShape):
        return "shape"
    if isinstance(value, np.ndarray):
        return "tensor"
    return "string"
