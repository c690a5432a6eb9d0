"""TF1 string op constructors: ``tf.string_split``, ``tf.strings.*``, ``tf.as_string``,
``tf.string_to_number``, ``tf.string_to_hash_bucket*``, ``tf.regex_replace``,
``tf.reduce_join``.

Each builds the nodes TensorFlow 2.21's ``tf.compat.v1`` builds, with the same names
(``StringLower/input``, ``ReduceJoin/ReduceJoin`` ...). ``V1_TOPLEVEL`` and ``STRINGS``
map the public TF1 names to these functions (for ``stowflow._v1``).

Example:
    >>> # tf.strings.lower(["Hello"]) -> a Tensor of the StringLower node
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph.builder import apply_op, constant, convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.graph.sparse import SparseTensor


def _gen(
    op_type: str,
    inputs: dict[str, tuple[Any, Any]],
    attrs: dict[str, Any] | None,
    name: str | None,
) -> list[Tensor]:
    """Like TF's generated wrappers: inputs converted as ``<name>/<arg>`` in the op's scope.

    ``inputs`` maps each OpDef input name to (value, dtype or None).
    """
    graph = get_default_graph()
    with graph.name_scope(name or op_type) as scope:
        converted = {
            arg: convert_to_tensor(value, dtype=dtype, name=arg)
            for arg, (value, dtype) in inputs.items()
        }
        result = apply_op(op_type, converted, attrs, name=scope)
    if not isinstance(result, list):
        raise TypeError(f"{op_type} has no outputs")
    return result


def _one(op_type: str, inputs: dict[str, tuple[Any, Any]], attrs: Any, name: Any) -> Tensor:
    return _gen(op_type, inputs, attrs, name)[0]


def _is_text(value: Any) -> bool:
    return isinstance(value, str | bytes)


# --------------------------------------------------------------------------- splitting


def string_split(
    source: Any,
    sep: Any = None,
    skip_empty: bool = True,
    delimiter: Any = None,
    result_type: str = "SparseTensor",
    name: str | None = None,
) -> SparseTensor:
    """``tf.string_split`` (TF1): split each string on any byte of ``sep`` (default ``" "``).

    Raises:
        ValueError: for a ``result_type`` other than ``"SparseTensor"`` (no RaggedTensor).
    """
    _sparse_only(result_type)
    if sep is not None and delimiter is not None:
        raise ValueError("Cannot specify both 'sep' and 'delimiter'")
    sep = delimiter if sep is None else sep
    graph = get_default_graph()
    with graph.name_scope(name or "StringSplit"):
        sep_t = convert_to_tensor(" " if sep is None else sep, dtype=dtypes.string)
        source_t = convert_to_tensor(source, dtype=dtypes.string)
        parts = apply_op(
            "StringSplit",
            {"input": source_t, "delimiter": sep_t},
            {"skip_empty": bool(skip_empty)},
        )
    return _sparse(parts)


def split(
    input: Any = None,  # noqa: A002 - TF's name
    sep: Any = None,
    maxsplit: int = -1,
    result_type: str = "SparseTensor",
    source: Any = None,
    name: str | None = None,
) -> SparseTensor:
    """``tf.strings.split`` (TF1): Python ``str.split`` semantics (``StringSplitV2``).

    Raises:
        ValueError: for a ``result_type`` other than ``"SparseTensor"`` (no RaggedTensor).
    """
    _sparse_only(result_type)
    value = source if input is None else input
    graph = get_default_graph()
    with graph.name_scope(name or "StringSplit"):
        input_t = convert_to_tensor(value, dtype=dtypes.string, name="input")
        sep_t = convert_to_tensor("" if sep is None else sep, dtype=dtypes.string)
        parts = apply_op(
            "StringSplitV2", {"input": input_t, "sep": sep_t}, {"maxsplit": int(maxsplit)}
        )
    return _sparse(parts)


def _sparse_only(result_type: str) -> None:
    if result_type != "SparseTensor":
        raise ValueError(f"result_type {result_type!r} is not supported: only 'SparseTensor'")


def _sparse(parts: Any) -> SparseTensor:
    indices, values, shape = parts
    return SparseTensor(indices, values, shape)


# --------------------------------------------------------------------------- element-wise


def lower(input: Any, encoding: str = "", name: str | None = None) -> Tensor:  # noqa: A002
    """``tf.strings.lower``: lower-case (ASCII, or Unicode with ``encoding="utf-8"``)."""
    return _one("StringLower", {"input": (input, dtypes.string)}, {"encoding": encoding}, name)


def upper(input: Any, encoding: str = "", name: str | None = None) -> Tensor:  # noqa: A002
    """``tf.strings.upper``: upper-case (ASCII, or Unicode with ``encoding="utf-8"``)."""
    return _one("StringUpper", {"input": (input, dtypes.string)}, {"encoding": encoding}, name)


def strip(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """``tf.strings.strip``: drop leading and trailing ASCII whitespace."""
    return _one("StringStrip", {"input": (input, dtypes.string)}, None, name)


def length(input: Any, name: str | None = None, unit: str = "BYTE") -> Tensor:  # noqa: A002
    """``tf.strings.length``: length in bytes or (``unit="UTF8_CHAR"``) characters."""
    return _one("StringLength", {"input": (input, dtypes.string)}, {"unit": unit}, name)


def substr(
    input: Any,  # noqa: A002 - TF's name
    pos: Any,
    len: Any,  # noqa: A002 - TF's name
    name: str | None = None,
    unit: str = "BYTE",
) -> Tensor:
    """``tf.strings.substr`` / ``tf.substr``: substrings by position and length."""
    inputs = {"input": (input, dtypes.string), "pos": (pos, None), "len": (len, None)}
    return _one("Substr", inputs, {"unit": unit}, name)


def regex_replace(
    input: Any,  # noqa: A002 - TF's name
    pattern: Any,
    rewrite: Any,
    replace_global: bool = True,
    name: str | None = None,
) -> Tensor:
    """``tf.strings.regex_replace``: static patterns build ``StaticRegexReplace``."""
    if _is_text(pattern) and _is_text(rewrite):
        attrs = {"pattern": pattern, "rewrite": rewrite, "replace_global": replace_global}
        return _one("StaticRegexReplace", {"input": (input, dtypes.string)}, attrs, name)
    inputs = {
        "input": (input, dtypes.string),
        "pattern": (pattern, dtypes.string),
        "rewrite": (rewrite, dtypes.string),
    }
    return _one("RegexReplace", inputs, {"replace_global": replace_global}, name)


def as_string(
    input: Any,  # noqa: A002 - TF's name
    precision: int = -1,
    scientific: bool = False,
    shortest: bool = False,
    width: int = -1,
    fill: str = "",
    name: str | None = None,
) -> Tensor:
    """``tf.as_string``: printf-style formatting of numbers and bools."""
    attrs = {
        "precision": precision,
        "scientific": scientific,
        "shortest": shortest,
        "width": width,
        "fill": fill,
    }
    return _one("AsString", {"input": (input, None)}, attrs, name)


def string_to_number(
    string_tensor: Any, out_type: Any = dtypes.float32, name: str | None = None
) -> Tensor:
    """``tf.string_to_number`` / ``tf.strings.to_number``."""
    inputs = {"string_tensor": (string_tensor, dtypes.string)}
    return _one("StringToNumber", inputs, {"out_type": dtypes.as_dtype(out_type)}, name)


def to_hash_bucket_fast(input: Any, num_buckets: int, name: str | None = None) -> Tensor:  # noqa: A002
    """``tf.strings.to_hash_bucket_fast``: FarmHash Fingerprint64 modulo ``num_buckets``."""
    attrs = {"num_buckets": num_buckets}
    return _one("StringToHashBucketFast", {"input": (input, dtypes.string)}, attrs, name)


def to_hash_bucket_strong(
    input: Any,  # noqa: A002 - TF's name
    num_buckets: int,
    key: list[int],
    name: str | None = None,
) -> Tensor:
    """``tf.strings.to_hash_bucket_strong``: keyed SipHash-2-4 modulo ``num_buckets``."""
    attrs = {"num_buckets": num_buckets, "key": list(key)}
    return _one("StringToHashBucketStrong", {"input": (input, dtypes.string)}, attrs, name)


def to_hash_bucket(string_tensor: Any, num_buckets: int, name: str | None = None) -> Tensor:
    """``tf.string_to_hash_bucket`` (legacy ``Hash64``)."""
    inputs = {"string_tensor": (string_tensor, dtypes.string)}
    return _one("StringToHashBucket", inputs, {"num_buckets": num_buckets}, name)


def join(inputs: list[Any], separator: str = "", name: str | None = None) -> Tensor:
    """``tf.strings.join``: element-wise concatenation with broadcasting of scalars."""
    graph = get_default_graph()
    with graph.name_scope(name or "StringJoin") as scope:
        tensors = [
            convert_to_tensor(v, dtype=dtypes.string, name=f"inputs_{i}")
            for i, v in enumerate(inputs)
        ]
        result = apply_op("StringJoin", {"inputs": tensors}, {"separator": separator}, name=scope)
    if not isinstance(result, list):
        raise TypeError("StringJoin has no outputs")
    return result[0]


def unsorted_segment_join(
    inputs: Any,
    segment_ids: Any,
    num_segments: Any,
    separator: str = "",
    name: str | None = None,
) -> Tensor:
    """``tf.strings.unsorted_segment_join``."""
    args = {
        "inputs": (inputs, dtypes.string),
        "segment_ids": (segment_ids, None),
        "num_segments": (num_segments, None),
    }
    return _one("UnsortedSegmentJoin", args, {"separator": separator}, name)


def reduce_join(
    inputs: Any,
    axis: Any = None,
    keep_dims: bool | None = None,
    separator: str = "",
    name: str | None = None,
    reduction_indices: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """``tf.reduce_join`` / ``tf.strings.reduce_join`` (TF1 signature).

    With ``axis=None`` every dimension is joined, the last one fastest.

    Raises:
        ValueError: for both ``axis`` and ``reduction_indices``, or both keep-dims spellings.
    """
    if axis is not None and reduction_indices is not None:
        raise ValueError("Cannot specify both 'axis' and 'reduction_indices'")
    if keep_dims is not None and keepdims is not None:
        raise ValueError("Cannot specify both 'keep_dims' and 'keepdims'")
    axis = reduction_indices if axis is None else axis
    keep = bool(keepdims if keep_dims is None else keep_dims)
    graph = get_default_graph()
    with graph.name_scope(name or "ReduceJoin"):
        inputs_t = convert_to_tensor(inputs, dtype=dtypes.string)
        if axis is None:
            rank = inputs_t.shape.ndims
            if rank is None:
                raise ValueError("reduce_join with axis=None needs a known rank")
            axis = constant(np.arange(rank - 1, -1, -1, dtype=np.int32))
        with graph.name_scope("ReduceJoin") as inner:
            axis_t = convert_to_tensor(axis, dtype=dtypes.int32, name="reduction_indices")
            result = apply_op(
                "ReduceJoin",
                {"inputs": inputs_t, "reduction_indices": axis_t},
                {"keep_dims": keep, "separator": separator},
                name=inner,
            )
    if not isinstance(result, list):
        raise TypeError("ReduceJoin has no outputs")
    return result[0]


#: ``tf.<name>`` (TF1 top level) -> constructor.
V1_TOPLEVEL = {
    "string_split": string_split,
    "substr": substr,
    "regex_replace": regex_replace,
    "as_string": as_string,
    "string_to_number": string_to_number,
    "string_to_hash_bucket_fast": to_hash_bucket_fast,
    "string_to_hash_bucket_strong": to_hash_bucket_strong,
    "string_to_hash_bucket": to_hash_bucket,
    "reduce_join": reduce_join,
    "string_join": join,
}

#: ``tf.strings.<name>`` -> constructor.
STRINGS = {
    "split": split,
    "lower": lower,
    "upper": upper,
    "strip": strip,
    "length": length,
    "substr": substr,
    "regex_replace": regex_replace,
    "as_string": as_string,
    "to_number": string_to_number,
    "to_hash_bucket_fast": to_hash_bucket_fast,
    "to_hash_bucket_strong": to_hash_bucket_strong,
    "to_hash_bucket": to_hash_bucket,
    "reduce_join": reduce_join,
    "join": join,
    "unsorted_segment_join": unsorted_segment_join,
}
