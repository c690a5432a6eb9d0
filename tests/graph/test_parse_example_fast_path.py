"""The ParseExampleV2 batch fast path gives exactly the exact parser's outputs and errors.

``parsing_kernels.FAST_PATH = False`` forces the exact per-example parser (whose results are
pinned to TF 2.21 by test_parsing.py and the parsing goldens); every case here runs the kernel
both ways and requires identical values, dtypes and shapes, or identical errors. Batches are
drawn by hypothesis (derandomized): a few wire structures shared by many rows (so templates
match), varints of different widths, missing / kind-less / empty / duplicate features, other
encodings, and byte-level mutations (flips, truncation, garbage).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stowflow import dtypes
from stowflow.graph.kernels import parsing_kernels
from stowflow.graph.shape import TensorShape

F32, I64, STR = dtypes.float32, dtypes.int64, dtypes.string

# --------------------------------------------------------------------------- wire encoding


def varint(value: int, pad: int = 0) -> bytes:
    """Base-128 varint of a uint64 (negative ints as two's complement), ``pad`` extra bytes."""
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    if pad:  # non-canonical: continue with zero groups
        out[-1] |= 0x80
        out += b"\x80" * (pad - 1) + b"\x00"
    return bytes(out)


def field(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + varint(len(payload)) + payload


def feature(kind: str, values: list[Any], packed: bool = True, pad: int = 0) -> bytes:
    """A tensorflow.Feature: kind "f", "i", "b", or "none" (a Feature with no kind)."""
    if kind == "none":
        return b""
    if kind == "b":
        return field(0x0A, b"".join(field(0x0A, v) for v in values))
    if kind == "f":
        raw = [struct.pack("<I", v) for v in values]  # floats given as bit patterns
        body = field(0x0A, b"".join(raw)) if packed else b"".join(b"\x0d" + r for r in raw)
        return field(0x12, body if values else b"")
    ints = [varint(v, pad) for v in values]
    body = field(0x0A, b"".join(ints)) if packed else b"".join(b"\x08" + r for r in ints)
    return field(0x1A, body if values else b"")


def example(entries: list[tuple[str, bytes]]) -> bytes:
    """An Example with the given map entries, in order (repeated keys allowed)."""
    body = b"".join(field(0x0A, field(0x0A, k.encode()) + field(0x12, f)) for k, f in entries)
    return field(0x0A, body)


# --------------------------------------------------------------------------- running the kernel

KIND_OF = {F32: "f", I64: "i", STR: "b"}


def run(spec: dict[str, Any], rows: list[bytes], fast: bool, names: list[str] | None = None) -> Any:
    """Outputs (list of arrays) or ("error", type name, message) of the kernel."""
    dense = [(k, v) for k, v in spec.items() if v[0] == "dense"]
    sparse = [(k, v) for k, v in spec.items() if v[0] == "sparse"]
    ragged = [(k, v) for k, v in spec.items() if v[0] == "ragged"]
    inputs = [
        np.array(rows, dtype=object).reshape(-1),
        np.array(names or [], dtype=object),
        np.array([k.encode() for k, _ in sparse], dtype=object),
        np.array([k.encode() for k, _ in dense], dtype=object),
        np.array([k.encode() for k, _ in ragged], dtype=object),
        [v[3] for _, v in dense],
    ]
    attrs = {
        "Tdense": [v[1] for _, v in dense],
        "dense_shapes": [TensorShape(v[2]) for _, v in dense],
        "sparse_types": [v[1] for _, v in sparse],
        "ragged_value_types": [v[1] for _, v in ragged],
        "ragged_split_types": [v[2] for _, v in ragged],
    }
    old = parsing_kernels.FAST_PATH
    parsing_kernels.FAST_PATH = fast
    try:
        return parsing_kernels._parse_example_v2(inputs, attrs)
    except Exception as error:  # compared between the two paths
        return ("error", type(error).__name__, str(error))
    finally:
        parsing_kernels.FAST_PATH = old


def assert_same(fast: Any, exact: Any) -> None:
    if isinstance(exact, tuple) or isinstance(fast, tuple):
        assert fast == exact
        return
    assert len(fast) == len(exact)
    for got, want in zip(fast, exact, strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        if want.dtype == object:
            assert [type(v) for v in got.reshape(-1)] == [type(v) for v in want.reshape(-1)]
            assert got.reshape(-1).tolist() == want.reshape(-1).tolist()
        else:
            assert got.tobytes() == want.tobytes()  # bitwise: NaN payloads too


def check(spec: dict[str, Any], rows: list[bytes], names: list[str] | None = None) -> Any:
    exact = run(spec, rows, fast=False, names=names)
    assert_same(run(spec, rows, fast=True, names=names), exact)
    return exact


# --------------------------------------------------------------------------- strategies

FLOAT_BITS = st.one_of(
    st.integers(0, 2**32 - 1),
    st.sampled_from([0x7F800001, 0xFFC00123, 0x7FC00000, 0x80000000, 0x3F800000]),
)
INTS = st.one_of(
    st.integers(0, 127),
    st.integers(128, 2**14),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([-1, 0, 2**63 - 1, -(2**63)]),
)
STRINGS = st.binary(max_size=6)


@st.composite
def specs(draw: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for n in range(draw(st.integers(1, 5))):
        dtype = draw(st.sampled_from([F32, I64, STR]))
        kind = draw(st.sampled_from(["fixed", "fixed_default", "var", "sparse", "ragged"]))
        width = draw(st.integers(1, 3))
        np_dtype = object if dtype == STR else dtype.as_numpy_dtype
        zero = b"?" if dtype == STR else 0
        if kind == "fixed":
            spec[f"k{n}"] = ("dense", dtype, [width], np.zeros(0, np_dtype))
        elif kind == "fixed_default":
            spec[f"k{n}"] = ("dense", dtype, [width], np.full([width], zero, np_dtype))
        elif kind == "var":
            shape = [None] if width == 1 else [None, width]
            spec[f"k{n}"] = ("dense", dtype, shape, np.array(zero, np_dtype))
        elif kind == "sparse":
            spec[f"k{n}"] = ("sparse", dtype)
        else:
            spec[f"k{n}"] = ("ragged", dtype, draw(st.sampled_from([I64, dtypes.int32])))
    return spec


def values_for(draw: Any, dtype: Any, count: int) -> list[Any]:
    element = {F32: FLOAT_BITS, I64: INTS, STR: STRINGS}[dtype]
    return draw(st.lists(element, min_size=count, max_size=count))


@st.composite
def structures(
    draw: Any, spec: dict[str, Any], clean: bool
) -> list[tuple[str, str, int, dict[str, Any]]]:
    """Which keys an example holds, in which order, with how many values and which encoding.

    ``clean`` structures parse without error (so whole batches take the fast path).
    """
    out = []
    for key, entry in spec.items():
        dtype = entry[1]
        required = entry[0] == "dense" and entry[2][0] is not None and entry[3].size == 0
        choices = ["right", "right", "right", "missing", "none", "other"]
        if clean:
            choices = ["right", "right", "right"] + ([] if required else ["missing", "none"])
        choice = draw(st.sampled_from(choices))
        if choice == "missing":
            continue
        kind = KIND_OF[dtype]
        if choice == "none":
            kind = "none"
        elif choice == "other":
            kind = draw(st.sampled_from(["f", "i", "b"]))
        width = entry[2][-1] if entry[0] == "dense" and entry[2][-1] is not None else 1
        count = draw(st.sampled_from([width, width, 0, 2 * width, width + 1]))
        if clean and entry[0] == "dense":
            count = width if entry[2][0] is not None else draw(st.sampled_from([0, 1, 2])) * width
        options = {
            "packed": draw(st.sampled_from([True, True, True, False])),
            "pad": draw(st.sampled_from([0, 0, 0, 1, 9])),
        }
        out.append((key, kind, count, options))
    extra = draw(st.sampled_from([[], [], ["unused"], [] if clean else ["dup"]]))
    if "unused" in extra:
        out.append(("zz", "i", 1, {"packed": True, "pad": 0}))
    if "dup" in extra and out:
        out.insert(0, out[-1])
    return draw(st.permutations(out))


def mutate(draw: Any, row: bytes) -> bytes:
    how = draw(st.sampled_from(["flip", "truncate", "append", "garbage"]))
    if how == "append":
        return row + draw(st.binary(min_size=1, max_size=4))
    if how == "garbage":
        return draw(st.binary(max_size=len(row) + 2))
    if not row:
        return row
    at = draw(st.integers(0, len(row) - 1))
    if how == "truncate":
        return row[:at]
    return row[:at] + bytes([row[at] ^ draw(st.integers(1, 255))]) + row[at + 1 :]


@st.composite
def batches(draw: Any) -> tuple[dict[str, Any], list[bytes]]:
    spec = draw(specs())
    clean = draw(st.booleans())
    shapes = draw(st.lists(structures(spec, clean), min_size=1, max_size=3))
    rows = []
    for _ in range(draw(st.integers(2, 24))):
        structure = draw(st.sampled_from(shapes))
        entries = []
        for key, kind, count, options in structure:
            dtype = {"f": F32, "i": I64, "b": STR}.get(kind, F32)
            # Same-width values keep many rows the same length (so templates are used).
            if kind == "i" and draw(st.booleans()):
                values = [draw(st.integers(0, 127)) for _ in range(count)]
            elif kind == "b" and draw(st.booleans()):
                values = [b"x" * (i % 3) for i in range(count)]
            else:
                values = values_for(draw, dtype, count)
            entries.append((key, feature(kind, values, **options)))
        row = example(entries)
        if draw(st.integers(0, 49 if clean else 9)) == 0:
            row = mutate(draw, row)
        rows.append(row)
    return spec, rows


# --------------------------------------------------------------------------- property tests

SETTINGS = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(batches())
def test_fast_path_matches_exact_parser(case: tuple[dict[str, Any], list[bytes]]) -> None:
    spec, rows = case
    check(spec, rows)


@SETTINGS
@given(batches(), st.booleans())
def test_fast_path_matches_exact_parser_with_names(
    case: tuple[dict[str, Any], list[bytes]], named: bool
) -> None:
    spec, rows = case
    check(spec, rows, names=[f"ex{i}" for i in range(len(rows))] if named else None)


# --------------------------------------------------------------------------- targeted cases

SERVING = {"x": ("dense", F32, [2], np.zeros(0, np.float32))}


def test_uniform_batch_is_decoded_in_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    rows = [example([("x", feature("f", rng.integers(0, 2**32, 2).tolist()))]) for _ in range(50)]
    calls = []
    original = parsing_kernels._ExampleParser.parse

    def counting(self: Any, serialized: bytes) -> Any:
        calls.append(serialized)
        return original(self, serialized)

    monkeypatch.setattr(parsing_kernels._ExampleParser, "parse", counting)
    exact = check(SERVING, rows)
    assert len(calls) == 50 + 1  # the exact run, then one template for the fast run
    expected = np.frombuffer(b"".join(r[-8:] for r in rows), "<f4").reshape(50, 2)
    assert exact[0].shape == (50, 2)
    np.testing.assert_array_equal(exact[0][~np.isnan(expected)], expected[~np.isnan(expected)])


def test_int64_widths_and_terminators() -> None:
    spec = {
        "i": ("dense", I64, [2], np.zeros(0, np.int64)),
        "v": ("sparse", I64),
        "r": ("ragged", I64, I64),
    }
    # Same total length, different widths: [300, 1] vs [1, 300] match the template's
    # structure; [1, 1, 1] (a third terminator) must fall back and fail the count check.
    rows = [
        example([("i", feature("i", [300, 1])), ("v", feature("i", [5])), ("r", b"")]),
        example([("i", feature("i", [1, 300])), ("v", feature("i", [6])), ("r", b"")]),
        example([("i", feature("i", [2**63 - 1, -1])), ("v", feature("i", [7]))]),
        example([("i", feature("i", [-1, 2**63 - 1])), ("v", feature("i", [8]))]),
    ]
    out = check(spec, rows)
    assert out[3].tolist() == [[300, 1], [1, 300], [2**63 - 1, -1], [-1, 2**63 - 1]]
    three = example([("i", b"\x1a\x05\x0a\x03\x01\x01\x01"), ("v", feature("i", [6])), ("r", b"")])
    assert len(three) == len(rows[0])
    err = check(spec, [rows[0], three, rows[1]])
    assert err[0] == "error" and "Index: 1" in err[2] and "Values size: 3" in err[2]


def test_oversized_tenth_varint_byte_falls_back() -> None:
    spec = {"v": ("sparse", I64)}
    good = example([("v", b"\x1a\x0c\x0a\x0a" + b"\xff" * 9 + b"\x01")])  # -1
    big = example([("v", b"\x1a\x0c\x0a\x0a" + b"\xff" * 9 + b"\x7f")])  # > 64 bits
    check(spec, [good, good, big, good])
    long = example([("v", b"\x1a\x0d\x0a\x0b" + b"\xff" * 10 + b"\x01")])  # 11 bytes
    check(spec, [long, long])


def test_signaling_nan_payloads_as_exact() -> None:
    spec = {"f": ("ragged", F32, I64), "d": ("dense", F32, [None], np.array(0, np.float32))}
    rows = [
        example([("f", feature("f", [bits])), ("d", feature("f", [bits, 0]))])
        for bits in (0x7F800001, 0xFF800123, 0x3F800000, 0x7FC00000)
    ]
    check(spec, rows)


def test_empty_batch_and_empty_examples() -> None:
    spec = {"v": ("sparse", STR), "d": ("dense", STR, [None], np.array(b"", object))}
    check(spec, [])
    check(spec, [b"", b"", b""])
    check({"x": SERVING["x"]}, [b"", b""])  # required and missing: the exact error
