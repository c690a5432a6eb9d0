"""TF Serving's REST JSON formats (``util/json_tensor.cc``) to and from NumPy arrays.

Requests: row (``instances``) and columnar (``inputs``) Predict bodies, ``{"b64": ...}``
binary values, Classify/Regress ``examples`` (+ ``context``) as tf.Examples; bare
``NaN``/``Infinity`` are accepted. Responses: ``predictions`` / ``outputs``, ``_bytes``
outputs back as b64, float32 written with its shortest round-trip digits, whole floats with
``.0``, non-finite floats as bare ``NaN``/``Infinity``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow._extras import require
from stowflow.proto import example_pb2
from stowflow.serving import status

orjson = require("orjson", "serve")

_SIGNED = {"int8", "int16", "int32", "int64"}
_UNSIGNED = {"uint8", "uint16", "uint32", "uint64"}
_FLOATS = {"float32", "float64"}


# -- parsing ----------------------------------------------------------------------------------
def loads(body: bytes) -> Any:
    """Parses a request body (JSON plus bare NaN/Infinity), with TF Serving's errors."""
    if not body.strip():
        raise status.invalid("JSON Parse error: The document is empty")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_constant)
    except UnicodeDecodeError as e:
        raise status.invalid(
            f"JSON Parse error: Invalid encoding in string. at offset: {e.start}"
        ) from None
    except json.JSONDecodeError as e:
        raise status.invalid(f"JSON Parse error: {e.msg} at offset: {e.pos}") from None


def _constant(token: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[token]


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 256 else text[:256] + "..."


def is_b64(value: Any) -> bool:
    """Whether ``value`` is a ``{"b64": "..."}`` object."""
    return isinstance(value, dict) and len(value) == 1 and "b64" in value


def _b64decode(value: dict[str, Any]) -> bytes:
    data = value["b64"]
    if not isinstance(data, str):
        raise status.invalid(f"JSON Value: {_short(value)} 'b64' is not a string")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise status.invalid(f"Unable to base64 decode: {_short(data)}") from None


def _shape_of(value: Any, level: int = 0) -> list[int]:
    """The shape of a nested list, rejecting ragged lists and values at the wrong depth."""
    if not isinstance(value, list):
        return []
    if not value:
        return [0]
    inner = _shape_of(value[0], level + 1)
    nested = isinstance(value[0], list)
    for item in value[1:]:
        if isinstance(item, list) != nested:
            raise status.invalid(
                f"JSON Value: {_short(item)} found at incorrect level: {level + 1} in the JSON"
            )
        if nested and len(item) != inner[0]:
            raise status.invalid(
                f"Encountered list at unexpected size: {len(item)} at level: {level + 1} "
                f"expected size: {inner[0]}"
            )
        if nested and _shape_of(item, level + 1) != inner:
            raise status.invalid(f"Encountered list at unexpected shape at level: {level + 2}")
    return [len(value), *inner]


def to_array(value: Any, dtype: dtypes.DType) -> np.ndarray:
    """A JSON value (scalar or nested list) as an array of ``dtype``, TF Serving's rules.

    Raises:
        stowflow.errors.InvalidArgumentError: ragged lists, wrong value types, bad b64.
        stowflow.errors.UnimplementedError: dtypes JSON cannot carry.
    """
    name = dtype.base_dtype.name
    if name == "string":
        shape = _shape_of(value)
        flat = _flatten(value)
        out = np.empty(len(flat), dtype=object)
        for i, item in enumerate(flat):
            if isinstance(item, str):
                out[i] = item.encode("utf-8")
            elif is_b64(item):
                out[i] = _b64decode(item)
            else:
                raise _type_error(item, "string")
        return out.reshape(shape)
    if name not in _FLOATS | _SIGNED | _UNSIGNED | {"bool"}:
        from stowflow import errors

        raise errors.UnimplementedError(
            None, None, f"Conversion of JSON Value: {_short(value)} to type: {name}"
        )
    try:
        raw = np.array(value)
    except (ValueError, OverflowError):
        _shape_of(value)  # names the ragged level
        raise status.invalid(f"JSON Value: {_short(value)} is not a valid tensor") from None
    kind = raw.dtype.kind
    if raw.size == 0:
        return np.zeros(raw.shape, dtype=dtype.as_numpy_dtype)
    if name == "bool":
        ok = kind == "b"
    elif name in _FLOATS:
        ok = kind in "iuf" and not _has_bool(value)
    else:
        ok = kind in "iu" and not _has_bool(value)
    if not ok:
        bad = next((v for v in _flatten(value) if not _leaf_ok(v, name)), value)
        raise _type_error(bad, name)
    if name in _SIGNED | _UNSIGNED:
        info = np.iinfo(dtype.as_numpy_dtype)
        if raw.min() < info.min or raw.max() > info.max:
            bad = raw.max() if raw.max() > info.max else raw.min()
            raise status.invalid(f"JSON Value: {bad} is out of range for type: {name}")
    return raw.astype(dtype.as_numpy_dtype)


def _leaf_ok(v: Any, name: str) -> bool:
    if name == "bool":
        return isinstance(v, bool)
    if isinstance(v, bool):
        return False
    if name in _FLOATS:
        return isinstance(v, (int, float))
    return isinstance(v, int)


def _has_bool(value: Any) -> bool:
    return any(isinstance(v, bool) for v in _flatten(value))


def _flatten(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return [value]
    out: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def _type_error(value: Any, name: str) -> Exception:
    kind = {str: "String", bool: "Bool", dict: "Object", list: "Array"}.get(type(value), "Number")
    return status.invalid(
        f"JSON Value: {_short(value)} Type: {kind} is not of expected type: {name}"
    )


def predict_inputs(
    body: Any, signature_inputs: dict[str, Any]
) -> tuple[dict[str, np.ndarray], bool]:
    """A Predict body's tensors by input alias, and whether it used the row format.

    Args:
        body: the parsed JSON object.
        signature_inputs: alias -> DType of the signature's inputs.
    """
    if not isinstance(body, dict):
        raise status.invalid("JSON Value is not an object")
    has_rows, has_cols = "instances" in body, "inputs" in body
    if has_rows == has_cols:
        raise status.invalid(
            "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist"
            if has_rows
            else "Missing 'inputs' or 'instances' key"
        )
    names = sorted(signature_inputs)
    if has_rows:
        rows = body["instances"]
        if not isinstance(rows, list):
            raise status.invalid("Expecting 'instances' to be an list/array")
        if not rows:
            raise status.invalid("No values in 'instances' array")
        named = isinstance(rows[0], dict) and not is_b64(rows[0])
        if not named:
            if len(names) != 1:
                raise status.invalid(
                    "instances is a plain list, but expecting list of objects as multiple input "
                    "tensors required as per tensorinfo_map"
                )
            return {names[0]: to_array(rows, signature_inputs[names[0]])}, True
        columns: dict[str, list[Any]] = {n: [] for n in names}
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or is_b64(row):
                raise status.invalid(f"Expecting object but got list at item {i} of input list")
            if sorted(row) != names:
                raise status.invalid(
                    f"Failed to process element: {i} of 'instances' list. JSON object: "
                    f"{_short(row)} keys must be equal to: {','.join(names)}"
                )
            for n in names:
                columns[n].append(row[n])
        out = {}
        for n in names:
            shapes = {tuple(_shape_of(v)) for v in columns[n]}
            if len(shapes) > 1:
                a, b = sorted(shapes)[:2]
                raise status.invalid(
                    f"Expecting tensor size: {list(a)} but got: {list(b)} for input: {n}"
                )
            out[n] = to_array(columns[n], signature_inputs[n])
        return out, True
    value = body["inputs"]
    if isinstance(value, dict) and not is_b64(value):
        for n in names:
            if n not in value:
                raise status.invalid(f"Missing named input: {n} in 'inputs' object")
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise status.invalid(
                f"input tensor alias not found in signature: {unknown[0]}. Inputs expected to "
                f"be in the set {{{','.join(names)}}}."
            )
        return {n: to_array(value[n], signature_inputs[n]) for n in names}, False
    if len(names) != 1:
        raise status.invalid(
            "inputs is a plain value/list, but expecting an object as multiple input tensors "
            "required as per tensorinfo_map"
        )
    return {names[0]: to_array(value, signature_inputs[names[0]])}, False


def examples_from_json(body: Any) -> np.ndarray:
    """A Classify/Regress body as serialized tf.Examples (context merged in)."""
    if not isinstance(body, dict) or "examples" not in body:
        raise status.invalid(
            "When method is classify, key 'examples' is expected and was not found"
        )
    items = body["examples"]
    if not isinstance(items, list):
        raise status.invalid("Expecting 'examples' to be an list/array")
    if not items:
        raise status.invalid("No values in 'examples' array")
    context = b""
    if "context" in body:
        if not isinstance(body["context"], dict):
            raise status.invalid("'context' must be an object")
        context = _example(body["context"]).SerializeToString()
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise status.invalid(f"Expecting object but got: {_short(item)} at item {i}")
        out[i] = context + _example(item).SerializeToString()
    return out


def _feature_kind(value: Any) -> str:
    if isinstance(value, str) or is_b64(value):
        return "bytes"
    if isinstance(value, bool) or isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float"
    return ""


def _example(obj: dict[str, Any]) -> Any:
    example = example_pb2.Example()
    for name, value in obj.items():
        values = value if isinstance(value, list) else [value]
        if not values:
            continue
        kind = _feature_kind(values[0])
        if not kind:
            raise status.invalid(f"Unexpected value for feature: {name}: {_short(values[0])}")
        for v in values[1:]:
            if _feature_kind(v) != kind:
                raise status.invalid(
                    f"Unexpected element type in feature: {name} expecting type: {kind}"
                )
        feature = example.features.feature[name]
        if kind == "bytes":
            feature.bytes_list.value.extend(
                _b64decode(v) if is_b64(v) else v.encode("utf-8") for v in values
            )
        elif kind == "float":
            feature.float_list.value.extend(values)
        else:
            if any(not isinstance(v, bool) and not -(2**63) <= v < 2**63 for v in values):
                raise status.invalid("Only int64_t is supported")
            feature.int64_list.value.extend(int(v) for v in values)
    return example


# -- writing ----------------------------------------------------------------------------------
def to_json_value(name: str, array: np.ndarray) -> Any:
    """An output array as nested Python lists ready for JSON (TF Serving's formatting)."""
    if array.dtype == object or array.dtype.kind in "SU":
        flat = array.reshape(-1)
        if name.endswith("_bytes"):
            conv: list[Any] = [{"b64": base64.b64encode(_bytes(v)).decode("ascii")} for v in flat]
        else:
            conv = [_bytes(v).decode("utf-8", "replace") for v in flat]
        return np.array(conv + [None], dtype=object)[:-1].reshape(array.shape).tolist()
    if array.dtype == np.float32:
        # Shortest digits that round-trip float32 (TF writes 0.1, not 0.10000000149011612).
        return array.astype("U32").astype(np.float64).tolist()
    if array.dtype.kind in "fc" and array.dtype != np.float64:
        return array.astype(np.float64).tolist()
    return array.tolist()


def float32_values(values: list[float]) -> list[float]:
    """float32 results (scores, regressions) with float32's shortest round-trip digits."""
    return to_json_value("", np.asarray(values, dtype=np.float32))  # type: ignore[no-any-return]


def _bytes(v: Any) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode("utf-8")


def predict_response(outputs: dict[str, np.ndarray], row_format: bool) -> dict[str, Any]:
    """The Predict response object for outputs by alias."""
    names = sorted(outputs)
    if not row_format:
        if len(names) == 1:
            return {"outputs": to_json_value(names[0], outputs[names[0]])}
        return {"outputs": {n: to_json_value(n, outputs[n]) for n in names}}
    for n in names:
        if outputs[n].ndim == 0:
            raise status.invalid(f"Tensor name: {n} has no shape information ")
    if len(names) == 1:
        return {"predictions": to_json_value(names[0], outputs[names[0]])}
    batch = outputs[names[0]].shape[0]
    for n in names[1:]:
        if outputs[n].shape[0] != batch:
            raise status.invalid(
                f"Tensor name: {n} has inconsistent batch size: {outputs[n].shape[0]} "
                f"expecting: {batch}"
            )
    columns = {n: to_json_value(n, outputs[n]) for n in names}
    return {"predictions": [{n: columns[n][i] for n in names} for i in range(batch)]}


def dumps(obj: Any) -> bytes:
    """JSON bytes; non-finite floats as bare NaN/Infinity/-Infinity, as TF Serving writes."""
    try:
        text = orjson.dumps(obj)
    except TypeError:
        text = b""
    if text and (b"null" not in text or not _has_nonfinite(obj)):
        return text
    return json.dumps(obj, allow_nan=True, separators=(",", ":")).encode("utf-8")


def _has_nonfinite(obj: Any) -> bool:
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False
