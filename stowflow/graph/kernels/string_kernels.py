"""NumPy kernels for TensorFlow's string ops (string_ops.cc, regex_replace_op.cc ...).

Strings are NumPy object arrays of ``bytes``. Covered: StringSplitV2, StringSplit,
StringLower, StringUpper, StringStrip, StringLength, Substr, StaticRegexReplace,
RegexReplace, AsString, StringToNumber, ReduceJoin, UnsortedSegmentJoin, StringNGrams,
UnicodeDecode, UnicodeEncode and the hash-bucket ops (StringToHashBucketFast/Strong and the
legacy StringToHashBucket, bit-exact: see ``fingerprint``).

``StringToNumber`` to float32 parses to a double first, then rounds (TF rounds once: a
last-bit difference is possible for rare inputs). UTF-8 case mapping uses Python's Unicode
tables where TF uses ICU's.

Regexes: TF uses RE2 in UTF-8 mode; we translate RE2 syntax to Python's ``re`` on text
decoded as UTF-8 (undecodable bytes survive as surrogate escapes) with ASCII-only
``\\d \\w \\s \\b``, as RE2 has them. RE2 rejects lookaround and backreferences: so do we,
with RE2's message. Unicode classes (``\\pL``) are not supported (UnimplementedError).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.errors import OutOfRangeError, UnimplementedError
from stowflow.graph.kernels import fingerprint
from stowflow.graph.kernels.math_kernels import invalid, scalar_int, shape_str
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.shape import TensorShape, unknown_shape

Array = np.ndarray
Attrs = dict[str, Any]
_ASCII_SPACE = b" \t\n\r\x0b\x0c"


def as_bytes(value: Any) -> bytes:
    """A string tensor element (bytes, str or NumPy scalar) as ``bytes``."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return bytes(value)


def object_array(values: list[Any], shape: tuple[int, ...]) -> Array:
    """An object array of ``shape`` holding ``values`` (flat, row-major)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


def _strings(x: Any) -> Array:
    return np.asarray(x, dtype=object)


def _map_strings(x: Any, fn: Callable[[bytes], Any]) -> Array:
    arr = _strings(x)
    return object_array([fn(as_bytes(v)) for v in arr.reshape(-1)], arr.shape)


def _attr_str(attrs: Attrs, name: str, default: str = "") -> str:
    value = attrs.get(name)
    if value is None:
        return default
    return value.decode() if isinstance(value, bytes) else str(value)


# --------------------------------------------------------------------------- splitting


def _split(s: bytes, sep: bytes | None, maxsplit: int) -> list[bytes]:
    """Python's ``bytes.split``, with TF's whitespace quirks (maxsplit 0 keeps the string
    as is; reaching maxsplit pieces exactly adds an empty remainder)."""
    if sep is None and maxsplit == 0:
        return [s]
    parts = s.split(sep, maxsplit)
    if sep is None and 0 < maxsplit == len(parts):
        parts.append(b"")
    return parts


@register_kernel("StringSplitV2")
def _string_split_v2(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x, sep = _strings(inputs[0]), _strings(inputs[1])
    if x.ndim != 1:
        raise invalid(f"input must be a vector, got shape: {shape_str(x.shape)}")
    if sep.ndim != 0:
        raise invalid(f"sep must be a scalar, got shape: {shape_str(sep.shape)}")
    delimiter = as_bytes(sep.item()) or None  # None: Python's whitespace split = TF's
    maxsplit = int(attrs.get("maxsplit", -1))
    return _sparse_rows([_split(as_bytes(s), delimiter, maxsplit) for s in x])


@register_kernel("StringSplit")
def _string_split(inputs: list[Any], attrs: Attrs) -> list[Any]:
    """TF1's split: every byte of ``delimiter`` separates; empty delimiter = per byte."""
    x, delimiter = _strings(inputs[0]), _strings(inputs[1])
    if x.ndim != 1:
        raise invalid(f"input must be a vector, got shape: {shape_str(x.shape)}")
    if delimiter.ndim != 0:
        raise invalid(f"delimiter must be a scalar, got shape: {shape_str(delimiter.shape)}")
    chars = as_bytes(delimiter.item())
    skip_empty = bool(attrs.get("skip_empty", True))
    splitter = re.compile(b"|".join(re.escape(bytes([c])) for c in chars) or b"x^")
    pieces = []
    for s in x:
        text = as_bytes(s)
        if not chars or not text:  # TF splits "" into no tokens at all
            parts = [text[i : i + 1] for i in range(len(text))]
        else:
            parts = splitter.split(text)
        pieces.append([p for p in parts if p] if skip_empty else parts)
    return _sparse_rows(pieces)


def _sparse_rows(pieces: list[list[bytes]]) -> list[Any]:
    """(indices, values, shape) of a batch of token lists, as TF's split ops return them."""
    counts = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
    rows = np.repeat(np.arange(len(pieces), dtype=np.int64), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    cols = np.arange(len(rows), dtype=np.int64) - starts
    values = [v for p in pieces for v in p]
    width = int(counts.max()) if len(counts) else 0
    return [
        np.stack([rows, cols], axis=1).reshape(-1, 2),
        object_array(values, (len(values),)),
        np.array([len(pieces), width], dtype=np.int64),
    ]


@register_kernel("StringStrip")
def _string_strip(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return [_map_strings(inputs[0], lambda s: s.strip(_ASCII_SPACE))]


# --------------------------------------------------------------------------- case, length


def _case_kernel(ascii_fn: Callable[[bytes], bytes], text_fn: Callable[[str], str]) -> Any:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        encoding = _attr_str(attrs, "encoding").lower().replace("_", "-")
        if encoding == "":
            return [_map_strings(inputs[0], ascii_fn)]
        if encoding != "utf-8":
            raise invalid(f"encoding must be '' or 'utf-8', got '{encoding}'")
        return [_map_strings(inputs[0], lambda s: _encode(text_fn(_decode(s))))]

    return kernel


register_kernel("StringLower")(_case_kernel(bytes.lower, str.lower))
register_kernel("StringUpper")(_case_kernel(bytes.upper, str.upper))


def _decode(s: bytes) -> str:
    return s.decode("utf-8", "surrogateescape")


def _encode(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _char_unit(attrs: Attrs) -> str:
    unit = _attr_str(attrs, "unit", "BYTE")
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise invalid(f"unit must be one of: BYTE, UTF8_CHAR but got: {unit}")
    return unit


@register_kernel("StringLength")
def _string_length(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = _strings(inputs[0])
    flat = [as_bytes(s) for s in x.reshape(-1)]
    lengths = np.fromiter((len(s) for s in flat), dtype=np.int64, count=len(flat))
    if _char_unit(attrs) == "UTF8_CHAR" and lengths.any():
        data = np.frombuffer(b"".join(flat), dtype=np.uint8)
        starts = (data & 0xC0) != 0x80  # UTF-8 continuation bytes do not start a character
        ends = np.cumsum(lengths)
        counted = np.concatenate([[0], np.cumsum(starts, dtype=np.int64)])
        lengths = counted[ends] - counted[ends - lengths]
    return [lengths.astype(np.int32).reshape(x.shape)]


# --------------------------------------------------------------------------- Substr


def _utf8_forward(s: bytes, n: int, pos: int) -> tuple[bool, int]:
    """Moves ``pos`` forward over ``n`` UTF-8 characters (TF's ForwardNUTF8CharPositions)."""
    counted = 0
    while pos < len(s) and counted < n:
        pos += 1
        while pos < len(s) and (s[pos] & 0xC0) == 0x80:
            pos += 1
        counted += 1
    return counted == n, pos


def _utf8_back(s: bytes, n: int, pos: int) -> tuple[bool, int]:
    """Moves ``pos`` back over ``n`` UTF-8 characters (TF's BackNUTF8CharPositions)."""
    counted = 0
    while pos > 0 and counted < n:
        pos -= 1
        while pos > 0 and (s[pos] & 0xC0) == 0x80:
            pos -= 1
        counted += 1
    return counted == n, pos


def _utf8_span(s: bytes, pos: int, length: int) -> tuple[int, int] | None:
    """(byte start, byte end) of a character-unit substring, or None when pos is out of range."""
    if pos >= 0:
        ok, start = _utf8_forward(s, pos, 0)
        if not ok:
            return None
        _, end = _utf8_forward(s, length, start)
        return start, max(end, start)
    skip = max(-pos - length, 0)
    ok, end = _utf8_back(s, skip, len(s))
    if not ok:
        return None
    ok, start = _utf8_back(s, -pos - skip, end)
    return (start, end) if ok else None


def _byte_span(s: bytes, pos: int, length: int) -> tuple[int, int] | None:
    start = pos + len(s) if pos < 0 else pos
    if not 0 <= start <= len(s):
        return None
    return start, len(s) if length < 0 else min(start + length, len(s))


def _substr_one(s: bytes, pos: int, length: int, unit: str, where: str, char_where: str) -> bytes:
    span = (_utf8_span if unit == "UTF8_CHAR" else _byte_span)(s, pos, length)
    if span is None:
        if unit == "UTF8_CHAR":
            raise invalid(f"pos {pos} out of range for string at index {char_where}")
        raise invalid(f"pos {pos} out of range for string b'{_c_escape(s)}' at index {where}")
    return s[span[0] : span[1]]


def _c_escape(s: bytes) -> str:
    return s.decode("utf-8", "replace")


@register_kernel("Substr")
def _substr(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x, pos, length = _strings(inputs[0]), np.asarray(inputs[1]), np.asarray(inputs[2])
    unit = _char_unit(attrs)
    if pos.shape != length.shape:
        raise invalid(
            "pos and len should have the same shape, got: "
            f"{shape_str(pos.shape)} vs. {shape_str(length.shape)}"
        )
    for name, t in (("pos_tensor", pos), ("len_tensor", length)):
        if t.size == 0:
            raise invalid(f"received empty tensor {name}: {_debug_string(t)}")
    if pos.ndim == 0 or pos.shape == x.shape:
        shape = x.shape
    else:
        try:
            shape = tuple(np.broadcast_shapes(x.shape, pos.shape))
        except ValueError:
            raise invalid(
                f"Incompatible shapes: {shape_str(x.shape)} vs. {shape_str(pos.shape)}"
            ) from None
        if len(shape) not in (1, 2):
            raise UnimplementedError(
                None, None, f"Substr broadcast not implemented for {len(shape)} dimensions"
            )
    xs = np.broadcast_to(x, shape)
    ps, ls = np.broadcast_to(pos, shape), np.broadcast_to(length, shape)
    pairs = len(shape) == 2 and not (pos.ndim == 0 or pos.shape == x.shape)
    out = []
    for flat, index in enumerate(np.ndindex(*shape)):
        byte_where = f"({index[0]}, {index[1]})" if pairs else str(flat)
        char_where = str(index[0]) if pairs else str(flat)
        s = as_bytes(xs[index])
        out.append(_substr_one(s, int(ps[index]), int(ls[index]), unit, byte_where, char_where))
    return [object_array(out, shape)]


def _debug_string(t: Array) -> str:
    dtype = {"int32": "int32", "int64": "int64"}.get(t.dtype.name, t.dtype.name)
    return f"Tensor<type: {dtype} shape: {shape_str(t.shape)} values: >"


# --------------------------------------------------------------------------- regex

# RE2's POSIX classes (valid inside brackets), as ASCII ranges for Python's re.
_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")


def _re2_error(pattern: str, message: str) -> Exception:
    return invalid(f"Invalid pattern: {pattern}, error: {message}")


def re2_to_python(pattern: str) -> str:
    """An RE2 pattern spelled for Python's ``re`` (with ``re.ASCII``).

    Raises:
        InvalidArgumentError: for what RE2 rejects (lookaround, backreferences).
        UnimplementedError: for Unicode classes ``\\p..``.
    """
    multiline = re.search(r"\(\?[a-zA-Z]*m", pattern) is not None
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                end = len(pattern) if end < 0 else end
                out.append(re.escape(pattern[i + 2 : end]))
                i = end + 2
                continue
            if nxt in "pP":
                raise UnimplementedError(
                    None, None, f"RE2 Unicode classes (\\{nxt}) are not supported: {pattern}"
                )
            if nxt.isdigit() and nxt != "0" and not in_class:
                raise _re2_error(pattern, f"invalid escape sequence: \\{nxt}")
            out.append("\\Z" if nxt == "z" else "\\C" if nxt == "C" else c + nxt)
            if nxt == "C":
                out[-1] = "."
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                name = pattern[i + 2 : end] if end > 0 else ""
                if name in _POSIX:
                    out.append(_POSIX[name])
                    i = end + 2
                    continue
            if c == "]" and out and out[-1] not in ("[", "[^"):
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            negate = pattern.startswith("[^", i)
            out.append("[^" if negate else "[")
            i += 2 if negate else 1
            if i < len(pattern) and pattern[i] == "]":
                out.append("\\]")
                i += 1
            continue
        if c == "(":
            for look in _LOOKAROUND:
                if pattern.startswith(look, i):
                    raise _re2_error(pattern, f"invalid perl operator: {look}")
            if pattern.startswith("(?<", i):
                out.append("(?P<")
                i += 3
                continue
        if c == "$" and not multiline:
            out.append("\\Z")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


_PY_TO_RE2_ERRORS = (
    ("missing ), unterminated subpattern", "missing ): {p}"),
    ("unbalanced parenthesis", "unexpected ): {p}"),
    ("unterminated character set", "missing ]: {p}"),
    ("nothing to repeat", "missing argument to repetition operator: {p}"),
    ("multiple repeat", "bad repetition operator: {p}"),
)


def compile_re2(pattern: bytes) -> re.Pattern[str]:
    """Compiles an RE2 pattern for UTF-8-decoded text.

    Raises:
        InvalidArgumentError: "Invalid pattern: ..., error: ..." as TF says it.
    """
    text = _decode(pattern)
    try:
        return re.compile(re2_to_python(text), re.ASCII)
    except re.error as e:
        for python, re2 in _PY_TO_RE2_ERRORS:
            if str(e.msg).startswith(python):
                raise _re2_error(text, re2.format(p=text)) from None
        raise _re2_error(text, str(e.msg)) from None


def _parse_rewrite(rewrite: str) -> list[str | int] | None:
    """RE2 rewrite pieces: literal text or group numbers; None if the rewrite is invalid."""
    pieces: list[str | int] = []
    i = 0
    literal: list[str] = []
    while i < len(rewrite):
        c = rewrite[i]
        if c != "\\":
            literal.append(c)
            i += 1
            continue
        nxt = rewrite[i + 1] if i + 1 < len(rewrite) else ""
        if nxt == "\\":
            literal.append("\\")
        elif nxt.isdigit():
            pieces.append("".join(literal))
            literal = []
            pieces.append(int(nxt))
        else:
            return None
        i += 2
    pieces.append("".join(literal))
    return pieces


def _replacer(pattern: re.Pattern[str], rewrite: bytes, replace_global: bool) -> Any:
    pieces = _parse_rewrite(_decode(rewrite))
    groups = [p for p in (pieces or []) if isinstance(p, int)]
    if pieces is None or (groups and max(groups) > pattern.groups):
        return lambda s: s  # RE2 refuses such a rewrite and leaves the input as is

    def expand(m: re.Match[str]) -> str:
        return "".join(p if isinstance(p, str) else (m.group(p) or "") for p in pieces)

    count = 0 if replace_global else 1

    def replace(s: bytes) -> bytes:
        return _encode(pattern.sub(expand, _decode(s), count=count))

    return replace


@register_kernel("StaticRegexReplace")
def _static_regex_replace(inputs: list[Any], attrs: Attrs) -> list[Any]:
    pattern = compile_re2(as_bytes(attrs["pattern"]))
    replace = _replacer(
        pattern, as_bytes(attrs["rewrite"]), bool(attrs.get("replace_global", True))
    )
    return [_map_strings(inputs[0], replace)]


@register_kernel("RegexReplace")
def _regex_replace(inputs: list[Any], attrs: Attrs) -> list[Any]:
    pattern_t, rewrite_t = _strings(inputs[1]), _strings(inputs[2])
    if pattern_t.ndim:
        raise invalid(f"Pattern must be scalar, but received {shape_str(pattern_t.shape)}")
    if rewrite_t.ndim:
        raise invalid(f"Rewrite must be scalar, but received {shape_str(rewrite_t.shape)}")
    pattern = compile_re2(as_bytes(pattern_t.item()))
    replace = _replacer(
        pattern, as_bytes(rewrite_t.item()), bool(attrs.get("replace_global", True))
    )
    return [_map_strings(inputs[0], replace)]


# --------------------------------------------------------------------------- AsString

_FILL_FLAGS = " +-0#"


def _printf_spec(attrs: Attrs, kind: str, type_name: str) -> tuple[str, str]:
    """(flags, width.precision conversion) of TF's printf format for AsString."""
    precision = int(attrs.get("precision", -1))
    width = int(attrs.get("width", -1))
    scientific, shortest = bool(attrs.get("scientific")), bool(attrs.get("shortest"))
    fill = _attr_str(attrs, "fill")
    if len(fill) > 1:
        raise invalid("Fill string must be one or fewer characters")
    if scientific and shortest:
        raise invalid("Cannot select both scientific and shortest notation")
    if fill and fill not in _FILL_FLAGS:
        raise invalid(f'Fill argument not supported: "{fill}"')
    if kind in "iub":
        if precision > -1:
            raise invalid(f"precision not supported for datatype {type_name}")
        if scientific or shortest:
            raise invalid(f"scientific and shortest format not supported for datatype {type_name}")
    spec = ("" if width < 0 else str(width)) + ("" if precision < 0 else f".{precision}")
    conversion = "g" if shortest else "e" if scientific else "f"
    return fill, spec + (conversion if kind in "fc" else "d")


def _format_float(value: float, flags: str, spec: str) -> str:
    if np.isfinite(value):
        return f"%{flags}{spec}" % value
    body = "inf" if np.isinf(value) else "nan"
    sign = "-" if np.signbit(value) else "+" if "+" in flags else " " if " " in flags else ""
    width_text = spec.split(".")[0].rstrip("efgd")
    padded = sign + body
    width = int(width_text) if width_text else 0
    return padded.ljust(width) if "-" in flags else padded.rjust(width)


def _pad_strings(x: Array, attrs: Attrs) -> Array:
    """AsString of strings: ``%s`` with the width (bytes) and a "-" fill's left alignment."""
    width = max(int(attrs.get("width", -1)), 0)
    left = _attr_str(attrs, "fill") == "-"
    return _map_strings(x, lambda s: s.ljust(width) if left else s.rjust(width))


@register_kernel("AsString")
def _as_string(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    type_name = x.dtype.name
    if x.dtype.kind in "OSU":
        return [_pad_strings(x, attrs)]
    kind = "f" if type_name in ("bfloat16", "float16") else x.dtype.kind
    if kind not in "biufc":
        raise invalid(f"Value for attr 'T' of {type_name} is not in the list of allowed values")
    flags, spec = _printf_spec(attrs, kind, type_name)
    flat = x.reshape(-1)
    if kind == "b":
        out = [b"true" if v else b"false" for v in flat]
    elif kind in "iu":
        fmt = f"%{flags}{spec}"
        out = [(fmt % v).encode() for v in flat.tolist()]
    elif kind == "c":
        out = [
            f"({_format_float(v.real, flags, spec)},{_format_float(v.imag, flags, spec)})".encode()
            for v in flat.tolist()
        ]
    else:
        out = [_format_float(v, flags, spec).encode() for v in flat.astype(np.float64).tolist()]
    return [object_array(out, x.shape)]


# --------------------------------------------------------------------------- StringToNumber

_FLOAT_TEXT = re.compile(
    rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan"
    rb"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)",
    re.IGNORECASE,
)
_INT_TEXT = re.compile(rb"[+-]?\d+")
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _parse_float(text: bytes) -> float | None:
    """absl::SimpleAtod's grammar: ASCII space around, decimal, hex, inf/infinity/nan."""
    body = text.strip(_ASCII_SPACE)
    if not _FLOAT_TEXT.fullmatch(body):
        return None
    unsigned = body.lstrip(b"+-")
    if unsigned[:2].lower() == b"0x":
        value = float.fromhex(unsigned.decode())
        return -value if body.startswith(b"-") else value
    return float(body)


def _parse_int(text: bytes, dtype: str) -> int | None:
    body = text.strip(_ASCII_SPACE)
    if not _INT_TEXT.fullmatch(body):
        return None
    value = int(body)
    low, high = _INT_RANGE[dtype]
    return value if low <= value <= high else None


@register_kernel("StringToNumber")
def _string_to_number(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = _strings(inputs[0])
    out_type = attrs.get("out_type")
    dtype = np.dtype(np.float32 if out_type is None else out_type.as_numpy_dtype)
    parse: Callable[[bytes], Any] = (
        _parse_float if dtype.kind == "f" else lambda t: _parse_int(t, dtype.name)
    )
    values = []
    for s in x.reshape(-1):
        text = as_bytes(s)
        value = parse(text)
        if value is None:
            shown = text.decode("utf-8", "replace")
            raise invalid(f"StringToNumberOp could not correctly convert string: {shown}")
        values.append(value)
    with np.errstate(over="ignore"):
        return [np.array(values, dtype=dtype).reshape(x.shape)]


# --------------------------------------------------------------------------- joins


@register_kernel("ReduceJoin")
def _reduce_join(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = _strings(inputs[0])
    axes_in = [int(a) for a in np.asarray(inputs[1]).reshape(-1)]
    rank = x.ndim
    axes: list[int] = []
    for a in axes_in:
        if not -rank <= a < max(rank, 1) or (rank == 0 and a != 0):
            raise OutOfRangeError(
                None, None, f"Invalid reduction dimension {a} for input with {rank} dimension(s)"
            )
        a = a + rank if a < 0 else a
        if a in axes:
            raise invalid(f"Duplicate reduction dimension {a}")
        axes.append(a)
    if rank == 0:
        return [x.copy()]
    sep = as_bytes(attrs.get("separator", b""))
    kept = [d for d in range(rank) if d not in axes]
    # TF iterates the first listed reduction axis fastest.
    moved = np.transpose(x, kept + axes[::-1])
    outer = tuple(x.shape[d] for d in kept)
    reduced = int(np.prod([x.shape[d] for d in axes], dtype=np.int64))
    rows = moved.reshape(int(np.prod(outer, dtype=np.int64)), reduced)
    joined = object_array([sep.join(as_bytes(v) for v in row) for row in rows], outer)
    if attrs.get("keep_dims"):
        joined = joined.reshape([1 if d in axes else x.shape[d] for d in range(rank)])
    return [joined]


@register_kernel("UnsortedSegmentJoin")
def _unsorted_segment_join(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x, ids = _strings(inputs[0]), np.asarray(inputs[1])
    num = scalar_int(inputs[2], "num_segments")
    for d in range(ids.ndim):
        if d >= x.ndim or ids.shape[d] != x.shape[d]:
            shown = x.shape[d] if d < x.ndim else 0
            raise invalid(
                f"Segment dimension is {ids.shape[d]} while input dimension is {shown} in rank {d}"
            )
    flat_ids = ids.reshape(-1)
    if flat_ids.size and (flat_ids.min() < 0 or flat_ids.max() >= num):
        raise invalid(
            "segment_ids are not allowed to exceed num_segments or to have negative values."
        )
    inner = x.shape[ids.ndim :]
    rows = x.reshape((flat_ids.size, -1)) if flat_ids.size else x.reshape((0, int(np.prod(inner))))
    sep = as_bytes(attrs.get("separator", b""))
    width = rows.shape[1]
    parts: list[list[list[bytes]]] = [[[] for _ in range(width)] for _ in range(num)]
    for row, segment in zip(rows, flat_ids.tolist(), strict=True):
        for j in range(width):
            parts[segment][j].append(as_bytes(row[j]))
    out = [sep.join(cell) for seg in parts for cell in seg]
    return [object_array(out, (num, *inner))]


# --------------------------------------------------------------------------- ngrams, unicode


def _ngrams_of(tokens: list[bytes], width: int, pad: int, attrs: Attrs) -> list[bytes]:
    """Sliding windows of ``width`` over the tokens with ``pad`` pads on each side."""
    left, right = as_bytes(attrs.get("left_pad", b"")), as_bytes(attrs.get("right_pad", b""))
    sep = as_bytes(attrs.get("separator", b""))
    padded = [left] * pad + tokens + [right] * pad
    return [sep.join(padded[j : j + width]) for j in range(len(padded) - width + 1)]


@register_kernel("StringNGrams")
def _string_ngrams(inputs: list[Any], attrs: Attrs) -> list[Any]:
    data, splits = _strings(inputs[0]).reshape(-1), np.asarray(inputs[1])
    widths = [int(w) for w in attrs.get("ngram_widths", [])]
    if any(w <= 0 for w in widths):
        raise invalid("ngram_widths must contain positive values")
    _check_ngram_splits(splits.reshape(-1), len(data))
    pad_attr = int(attrs.get("pad_width", -1))
    preserve = bool(attrs.get("preserve_short_sequences"))
    flat = splits.reshape(-1).tolist()
    out: list[bytes] = []
    out_splits = [0]
    tokens_all = [as_bytes(t) for t in data]
    for start, end in zip(flat[:-1], flat[1:]):
        tokens = tokens_all[start:end]
        row: list[bytes] = []
        for w in widths:
            row += _ngrams_of(tokens, w, min(pad_attr if pad_attr >= 0 else w - 1, w - 1), attrs)
        if preserve and not row and tokens:
            if pad_attr < 0:
                raise invalid(
                    "Pad width should be >= 0 when preserve_short_sequences is True and "
                    f"ngram_widths are not provided, got {pad_attr}"
                )
            w = len(tokens) + 2 * pad_attr
            row = _ngrams_of(tokens, w, min(pad_attr, w - 1), attrs)
        out += row
        out_splits.append(len(out))
    if not len(data) or not len(flat):
        out, out_splits = [], [0] * len(flat)
    return [object_array(out, (len(out),)), np.array(out_splits, dtype=splits.dtype)]


def _check_ngram_splits(splits: Array, size: int) -> None:
    if not splits.size:
        return
    if splits[0] != 0:
        raise invalid(f"First split value must be 0, got {int(splits[0])}")
    prev = 0
    for value in splits[1:].tolist():
        if not prev <= value <= size:
            raise invalid(f"Invalid split value {value}, must be in [{prev}, {size}]")
        prev = value
    if prev != size:
        raise invalid(f"Last split value must be data size. Expected {size}, got {prev}")


_CODECS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}


def _codec(attrs: Attrs, name: str) -> str:
    encoding = _attr_str(attrs, name).upper()
    if encoding not in _CODECS:
        raise invalid(f"Could not create converter for input encoding: {encoding}")
    return _CODECS[encoding]


def _code_points(s: bytes, codec: str, errors: str, replacement: int) -> list[int]:
    if errors == "strict":
        try:
            return [ord(c) for c in s.decode(codec)]
        except UnicodeDecodeError:
            raise invalid("Invalid formatting on input string") from None
    text = s.decode(codec, "replace" if errors == "replace" else "ignore")
    points = [ord(c) for c in text]
    return [replacement if p == 0xFFFD and errors == "replace" else p for p in points]


@register_kernel("UnicodeDecode")
def _unicode_decode(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = _strings(inputs[0]).reshape(-1)
    codec = _codec(attrs, "input_encoding")
    errors = _attr_str(attrs, "errors", "replace")
    replacement = int(attrs.get("replacement_char", 0xFFFD))
    control = bool(attrs.get("replace_control_characters"))
    rows = [_code_points(as_bytes(s), codec, errors, replacement) for s in x]
    values = np.array([p for r in rows for p in r], dtype=np.int32)
    if control and values.size:
        values[(values < 0x20) | ((values >= 0x7F) & (values < 0xA0))] = replacement
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    splits_dtype = attrs.get("Tsplits")
    splits = np.concatenate([[0], np.cumsum(lengths)]).astype(
        np.int64 if splits_dtype is None else splits_dtype.as_numpy_dtype
    )
    return [splits, values]


def _encode_point(p: int, codec: str, errors: str, replacement: int) -> bytes:
    valid = 0 <= p <= 0x10FFFF and not 0xD800 <= p <= 0xDFFF
    if not valid:
        if errors == "strict":
            raise invalid("Code point is out of range for Unicode, or is a surrogate.")
        if errors == "ignore":
            return b""
        p = replacement
    return chr(p).encode(codec)


@register_kernel("UnicodeEncode")
def _unicode_encode(inputs: list[Any], attrs: Attrs) -> list[Any]:
    values = np.asarray(inputs[0]).reshape(-1).tolist()
    splits = np.asarray(inputs[1]).reshape(-1).tolist()
    codec = _codec(attrs, "output_encoding")
    errors = _attr_str(attrs, "errors", "replace")
    replacement = int(attrs.get("replacement_char", 0xFFFD))
    if splits and (splits[0] != 0 or splits[-1] != len(values)):
        raise invalid("Invalid input_splits: must start at 0 and end at the number of values")
    out = [
        b"".join(_encode_point(p, codec, errors, replacement) for p in values[a:b])
        for a, b in zip(splits[:-1], splits[1:])
    ]
    return [object_array(out, (len(out),))]


@register_shape("StringNGrams")
def _ngrams_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([None]), op.inputs[1].shape]


@register_shape("UnicodeDecode")
def _unicode_decode_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([None]), TensorShape([None])]


@register_shape("UnicodeEncode")
def _unicode_encode_shape(op: Any) -> list[TensorShape]:
    n = op.inputs[1].shape[0] if op.inputs[1].shape.ndims == 1 else None
    return [TensorShape([None if n is None else n - 1])]


# --------------------------------------------------------------------------- hash buckets


def _buckets(attrs: Attrs) -> np.uint64:
    n = int(attrs["num_buckets"])
    if n < 1:
        raise invalid(f"num_buckets must be >= 1, got {n}")
    return np.uint64(n)


def _hash_kernel(hash_fn: Callable[[Array, Attrs], Array]) -> Any:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x = _strings(inputs[0])
        hashed = hash_fn(x, attrs) % _buckets(attrs)
        return [hashed.astype(np.int64).reshape(x.shape)]

    return kernel


def _strong(x: Array, attrs: Attrs) -> Array:
    key = [int(k) for k in attrs.get("key", [])]
    if len(key) != 2:
        raise invalid("Key must have 2 elements")
    return fingerprint.siphash(x, (key[0], key[1]))


register_kernel("StringToHashBucketFast")(_hash_kernel(lambda x, _: fingerprint.fingerprint64(x)))
register_kernel("StringToHashBucketStrong")(_hash_kernel(_strong))
register_kernel("StringToHashBucket")(_hash_kernel(lambda x, _: fingerprint.legacy_hash64(x)))


# --------------------------------------------------------------------------- shapes


def _same_shape(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape]


register_shape(
    "StringLower",
    "StringUpper",
    "StringStrip",
    "StringLength",
    "StaticRegexReplace",
    "RegexReplace",
    "AsString",
    "StringToNumber",
    "StringToHashBucketFast",
    "StringToHashBucketStrong",
    "StringToHashBucket",
)(_same_shape)


@register_shape("StringSplitV2", "StringSplit")
def _split_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([None, 2]), TensorShape([None]), TensorShape([2])]


@register_shape("Substr")
def _substr_shape(op: Any) -> list[TensorShape]:
    from stowflow.graph.shape_fns import broadcast

    return [broadcast(op.inputs[0].shape, op.inputs[1].shape)]


@register_shape("ReduceJoin")
def _reduce_join_shape(op: Any) -> list[TensorShape]:
    from stowflow.graph.shape_fns import constant_value

    shape, axes = op.inputs[0].shape, constant_value(op.inputs[1])
    keep = bool(op.get_attr("keep_dims"))
    if shape.ndims is None:
        return [TensorShape(None)]
    if axes is None:
        return [unknown_shape(shape.ndims) if keep else TensorShape(None)]
    wanted = {int(a) % shape.ndims for a in axes.reshape(-1)} if shape.ndims else set()
    dims = shape.as_list()
    if keep:
        return [TensorShape([1 if i in wanted else d for i, d in enumerate(dims)])]
    return [TensorShape([d for i, d in enumerate(dims) if i not in wanted])]


@register_shape("UnsortedSegmentJoin")
def _segment_join_shape(op: Any) -> list[TensorShape]:
    from stowflow.graph.shape_fns import constant_value

    data, ids = op.inputs[0].shape, op.inputs[1].shape
    num = constant_value(op.inputs[2])
    first = None if num is None else int(num.reshape(()))
    if data.ndims is None or ids.ndims is None:
        return [TensorShape(None)]
    return [TensorShape([first] + data.as_list()[ids.ndims :])]
