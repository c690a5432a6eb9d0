"""Makes string_sparse_goldens.json: TF's outputs (or errors) for the string, hashing,
sparse, ragged and feature-column kernels.

NEEDS TENSORFLOW. Run with the TF 2.21 oracle venv from the repository root:

    ~/.cache/stowflow/tf-2.21.0/bin/python tests/golden/kernels/make_string_sparse_goldens.py

Cases run exactly as in make_kernel_goldens.py (whose run_case and encoders this reuses):
one ``tf.raw_ops.<Op>`` in a TF1 graph over placeholders of unknown shape. The hash cases
use random strings (every length 0..140 and some up to 1000 bytes, invalid UTF-8 included)
so the fingerprints are checked bit for bit.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import numpy as np
import tensorflow as tf
from make_kernel_goldens import _core_message, a, encode_array, run_case, s, sc

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "string_sparse_goldens.json")

f16, f32, f64 = np.float16, np.float32, np.float64
i8, i16, i32, i64, u8, u16, u32, u64 = (
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
)
bl = np.bool_
RNG = np.random.default_rng(7)
NAN, INF = float("nan"), float("inf")

CASES: list[tuple[str, dict[str, Any]]] = []


def case(op: str, **kwargs: Any) -> None:
    CASES.append((op, kwargs))


def sa(values: list[Any], shape: tuple[int, ...] | None = None) -> np.ndarray:
    out = s(*values) if values else np.empty(0, dtype=object)
    return out.reshape(shape) if shape is not None else out


def random_strings() -> np.ndarray:
    items: list[bytes] = [b""]
    for length in list(range(1, 141)) + [200, 255, 256, 257, 1000]:
        items.append(bytes(RNG.integers(0, 256, length, dtype=np.uint8)))
    items += [w.encode() for w in ("héllo wörld", "日本語テキスト", "😀", "a", "ab", "abc")]
    return sa(items)


WORDS = sa(["Hello World", "  lead and trail  ", "", "a\tb\nc\x0bd\x0ce\rf", "ÀÉÎ ÕÜ ǅ ß İ", "x"])

# ---- splitting
case("StringSplitV2", input=WORDS, sep=sc(""))
case("StringSplitV2", input=WORDS, sep=sc(" "))
case("StringSplitV2", input=WORDS, sep=sc(""), maxsplit=1)
case("StringSplitV2", input=sa(["a,,b,", ",", "", "abc"]), sep=sc(","), maxsplit=1)
case("StringSplitV2", input=sa(["a<>b<><>c", "<>"]), sep=sc("<>"))
case("StringSplitV2", input=sa(["  a  b  c  "]), sep=sc(""), maxsplit=2)
case("StringSplitV2", input=sa([]), sep=sc(","))
case("StringSplitV2", input=sa(["a b"], (1, 1)), sep=sc(""))
case("StringSplitV2", input=sa(["a b"]), sep=sa([" ", ","]))

case("StringSplit", input=sa(["a b  c", "", "x,y;z", ",,"]), delimiter=sc(",; "))
case("StringSplit", input=sa(["a b  c", "", ",,"]), delimiter=sc(","), skip_empty=False)
case("StringSplit", input=sa(["abc", "é"]), delimiter=sc(""))
case("StringSplit", input=sa(["abc"], (1, 1)), delimiter=sc(""))
case("StringStrip", input=sa(["  a b \t\n", "", "\x0bx\x0c", " \u00a0 "]))

# ---- case and length
for op in ("StringLower", "StringUpper"):
    case(op, input=WORDS)
    case(op, input=WORDS.reshape(2, 3), encoding="utf-8")
    case(op, input=sa([]))
for unit in ("BYTE", "UTF8_CHAR"):
    case("StringLength", input=WORDS.reshape(3, 2), unit=unit)
    case("StringLength", input=sc("日本"), unit=unit)
case("StringLength", input=sa([]))

# ---- Substr
SUB = sa(["Hello", "World", "", "héllo"])
for unit in ("BYTE", "UTF8_CHAR"):
    for dt in (i32, i64):
        case("Substr", input=SUB, pos=a([0, 1, 0, 1], dt), len=a([2, 10, 0, 3], dt), unit=unit)
    case("Substr", input=sa(["Hello", "World"]), pos=a(-3, i32), len=a(2, i32), unit=unit)
    case("Substr", input=sa(["Hello", "World"]), pos=a(1, i32), len=a(-1, i32), unit=unit)
    case("Substr", input=sa(["héllo"]), pos=a(6, i32), len=a(1, i32), unit=unit)
    case("Substr", input=sa(["héllo"]), pos=a(-6, i32), len=a(1, i32), unit=unit)
case("Substr", input=sa(["ab", "cd"]), pos=a([[0], [1]], i32), len=a([[1], [1]], i32))
case(
    "Substr",
    input=sa(["abcdef", "ghijkl"], (1, 2)),
    pos=a([[0, 1], [2, 3], [4, 5]], i32),
    len=a([[1, 2], [1, 2], [1, 2]], i32),
)
case("Substr", input=sa(["abc"]), pos=a([0, 1], i32), len=a([1], i32))
case("Substr", input=sa(["abc", "de"]), pos=a([0, 1, 2], i32), len=a([1, 1, 1], i32))
case("Substr", input=sa(["abc"]), pos=a([4], i32), len=a([1], i32))
case("Substr", input=sc("abc"), pos=a(3, i64), len=a(1, i64))
case("Substr", input=sc("abc"), pos=a([1, 2], i32), len=a([1, 1], i32))

# ---- regex
RX = sa(["Hello World", "foo  bar\tbaz", "", "a.b.c", "ÀB ćd", "line1\nline2"])
for glob in (True, False):
    case("StaticRegexReplace", input=RX, pattern=r"\s+", rewrite=" ", replace_global=glob)
    case(
        "StaticRegexReplace",
        input=RX,
        pattern=r"(\w+) (\w+)",
        rewrite=r"\2 \1",
        replace_global=glob,
    )
    case("RegexReplace", input=RX, pattern=sc(r"[aeiou]"), rewrite=sc("<\\0>"), replace_global=glob)
    case("RegexReplace", input=RX, pattern=sc(""), rewrite=sc("-"), replace_global=glob)
case(
    "StaticRegexReplace", input=RX, pattern=r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']', rewrite=""
)
case("StaticRegexReplace", input=RX, pattern=r"[[:upper:]]+", rewrite="#")
case("StaticRegexReplace", input=RX, pattern=r"^\w|\w$", rewrite="*")
case("StaticRegexReplace", input=RX, pattern=r".", rewrite="_")
case("StaticRegexReplace", input=RX, pattern=r"o\\", rewrite="\\\\")
case("StaticRegexReplace", input=RX, pattern=r"(o)", rewrite="\\\\1")
case("StaticRegexReplace", input=RX, pattern=r"(?i)hello", rewrite="bye")
case("StaticRegexReplace", input=RX, pattern=r"x*", rewrite="-")
case("StaticRegexReplace", input=RX, pattern=r"(a", rewrite="-")
case("StaticRegexReplace", input=RX, pattern=r"(a)", rewrite="\\2")
case("StaticRegexReplace", input=RX, pattern=r"a(?=b)", rewrite="-")
case("RegexReplace", input=RX.reshape(2, 3), pattern=sa(["o", "l"]), rewrite=sc("0"))
case("RegexReplace", input=RX, pattern=sc("o"), rewrite=sa(["0", "1"]))

# ---- AsString
FL = [0.0, -0.0, 1.5, -2.25, 3.14159265358979, 1e-7, 123456789.125, 1e20, NAN, INF, -INF]
for dt in (f32, f64, f16):
    case("AsString", input=a(FL, dt))
    case("AsString", input=a(FL, dt), precision=3)
    case("AsString", input=a(FL, dt), scientific=True)
    case("AsString", input=a(FL, dt), shortest=True)
case("AsString", input=a(FL, f64), shortest=True, precision=4)
case("AsString", input=a(FL, f64), scientific=True, precision=2, width=12)
case("AsString", input=a(FL, f32), width=10, fill="0")
case("AsString", input=a(FL, f32), width=10, fill="-")
case("AsString", input=a(FL, f32), width=10, fill="+")
case("AsString", input=a(FL, f32), width=10, fill=" ")
case("AsString", input=a(FL, f32), width=10, fill="#")
case("AsString", input=a(FL, f32), width=8)
INTS = [0, 1, -1, 42, -128, 127]
for dt in (i8, i16, i32, i64, u8, u16, u32, u64):
    vals = [abs(v) for v in INTS] if np.dtype(dt).kind == "u" else INTS
    case("AsString", input=a(vals, dt))
    case("AsString", input=a(vals, dt), width=5, fill="0")
case("AsString", input=a([2**63 - 1, -(2**63)], i64))
case("AsString", input=a([2**64 - 1], u64))
case("AsString", input=a([[True, False]], bl))
case("AsString", input=a([1 + 2j, -0.5j], np.complex64))
case("AsString", input=a([1 + 2j], np.complex128), precision=1)
case("AsString", input=a([1, 2], i32), precision=2)
case("AsString", input=a([1.5], f32), fill="ab")
case("AsString", input=a([1.5], f32), fill="x", width=4)
case("AsString", input=a([1.5], f32), scientific=True, shortest=True)
case("AsString", input=a([True], bl), width=6)
case("AsString", input=a([1], i32), scientific=True)
case("AsString", input=a([], f32))
case("AsString", input=a([1.5, -2.25, 3.14159], tf.bfloat16.as_numpy_dtype))
case("AsString", input=sa(["ab", "", "héllo"]))
case("AsString", input=sa(["ab", "héllo"]), width=5)
case("AsString", input=sa(["ab"]), width=5, fill="-")
case("AsString", input=sa(["ab"]), precision=1)
case("AsString", input=sa(["ab"]), shortest=True)

# ---- StringToNumber
NUMS = sa(
    [
        "1",
        "-2.5",
        " 3e2 ",
        "0x1A",
        "inf",
        "-INF",
        "nan",
        "NaN",
        "1e400",
        "+7",
        ".5",
        "5.",
        "1e-50",
        "  12  ",
    ]
)
for dt in (tf.float32, tf.float64):
    case("StringToNumber", string_tensor=NUMS, out_type=dt)
for dt in (tf.int32, tf.int64):
    case(
        "StringToNumber",
        string_tensor=sa(["0", "-12", " 34 ", "2147483647", "-2147483648"]),
        out_type=dt,
    )
    case("StringToNumber", string_tensor=sa(["2147483648"]), out_type=dt)
    case("StringToNumber", string_tensor=sa(["+5"]), out_type=dt)
    case("StringToNumber", string_tensor=sa(["1.0"]), out_type=dt)
    case("StringToNumber", string_tensor=sa(["9223372036854775808"]), out_type=dt)
for bad in (
    "abc",
    "",
    "1.5x",
    "infinity",
    "0x",
    "1e",
    "--1",
    "1 2",
    "12345678901234567890123456789012345",
):
    case("StringToNumber", string_tensor=sa([bad]), out_type=tf.float32)
case("StringToNumber", string_tensor=sa(["1", "2"], (2, 1)))
case("StringToNumber", string_tensor=sa([]), out_type=tf.int64)

# ---- joins
J = sa(["a", "b", "c", "d", "e", "f"], (2, 3))
case("ReduceJoin", inputs=J, reduction_indices=a(0, i32))
case("ReduceJoin", inputs=J, reduction_indices=a([1], i32), separator=", ")
case("ReduceJoin", inputs=J, reduction_indices=a([-1], i32), keep_dims=True)
case("ReduceJoin", inputs=J, reduction_indices=a([0, 1], i32), separator="|")
case("ReduceJoin", inputs=J, reduction_indices=a([1, 0], i32), separator="|")
case("ReduceJoin", inputs=J, reduction_indices=a([], i32))
case("ReduceJoin", inputs=J, reduction_indices=a([0, 0], i32))
case("ReduceJoin", inputs=J, reduction_indices=a([2], i32))
case(
    "ReduceJoin",
    inputs=sa(list("abcdefgh"), (2, 2, 2)),
    reduction_indices=a([0, 2], i32),
    separator="-",
    keep_dims=True,
)
case("ReduceJoin", inputs=sa([], (2, 0)), reduction_indices=a([1], i32))
case("ReduceJoin", inputs=sa([], (2, 0)), reduction_indices=a([0], i32))
case("ReduceJoin", inputs=sc("x"), reduction_indices=a([], i32))
for dt in (i32, i64):
    case(
        "UnsortedSegmentJoin",
        inputs=sa(["a", "b", "c", "d"]),
        segment_ids=a([1, 0, 1, 3], dt),
        num_segments=a(4, dt),
        separator=":",
    )
case("UnsortedSegmentJoin", inputs=J, segment_ids=a([1, 1], i32), num_segments=a(2, i64))
case(
    "UnsortedSegmentJoin",
    inputs=J,
    segment_ids=a([[0, 1, 0], [1, 0, -1]], i32),
    num_segments=a(2, i32),
    separator="+",
)
case("UnsortedSegmentJoin", inputs=J, segment_ids=a([0, 2], i32), num_segments=a(2, i32))
case("UnsortedSegmentJoin", inputs=J, segment_ids=a([0, 1, 2], i32), num_segments=a(3, i32))

# ---- ngrams and unicode (TextVectorization's ngrams= and split="character")
TOK = sa(["the", "quick", "brown", "fox", "a", "b"])
NG = dict(separator=" ", left_pad="", right_pad="", pad_width=0, preserve_short_sequences=False)
for dt in (i32, i64):
    case("StringNGrams", data=TOK, data_splits=a([0, 4, 4, 5, 6], dt), ngram_widths=[1, 2], **NG)
case(
    "StringNGrams",
    data=TOK,
    data_splits=a([0, 4, 6], i64),
    ngram_widths=[3],
    **{**NG, "left_pad": "<s>", "right_pad": "</s>", "pad_width": -1, "separator": "|"},
)
case(
    "StringNGrams",
    data=TOK,
    data_splits=a([0, 4, 6], i64),
    ngram_widths=[2, 3],
    **{**NG, "left_pad": "L", "right_pad": "R", "pad_width": 1},
)
case(
    "StringNGrams",
    data=TOK,
    data_splits=a([0, 1, 6], i64),
    ngram_widths=[3],
    **{**NG, "preserve_short_sequences": True},
)
case(
    "StringNGrams",
    data=TOK,
    data_splits=a([0, 1, 6], i64),
    ngram_widths=[3],
    **{**NG, "preserve_short_sequences": True, "pad_width": 1, "left_pad": "<", "right_pad": ">"},
)
case("StringNGrams", data=sa([]), data_splits=a([0, 0], i64), ngram_widths=[2], **NG)
case("StringNGrams", data=TOK, data_splits=a([0, 7], i64), ngram_widths=[2], **NG)
case("StringNGrams", data=TOK, data_splits=a([1, 6], i64), ngram_widths=[2], **NG)
case("StringNGrams", data=TOK, data_splits=a([0, 6], i64), ngram_widths=[0], **NG)
UNI = sa(["héllo", "", "日本😀", "ab\x01c"])
for errors in ("replace", "ignore", "strict"):
    case(
        "UnicodeDecode",
        input=UNI,
        input_encoding="UTF-8",
        errors=errors,
        replacement_char=65533,
        replace_control_characters=False,
    )
case(
    "UnicodeDecode",
    input=UNI.reshape(2, 2),
    input_encoding="UTF-8",
    errors="replace",
    replacement_char=63,
    replace_control_characters=True,
    Tsplits=tf.int32,
)
for errors in ("replace", "ignore", "strict"):
    case(
        "UnicodeDecode",
        input=sa([b"a\xffb", b"\xe6\x97x"]),
        input_encoding="UTF-8",
        errors=errors,
        replacement_char=65533,
        replace_control_characters=False,
    )
CPS = a([104, 233, 0x65E5, 0x1F600, 97], i32)
for enc in ("UTF-8", "UTF-16-BE", "UTF-32-BE"):
    case(
        "UnicodeEncode",
        input_values=CPS,
        input_splits=a([0, 2, 2, 5], i64),
        output_encoding=enc,
        errors="replace",
        replacement_char=65533,
    )
for errors in ("replace", "ignore", "strict"):
    case(
        "UnicodeEncode",
        input_values=a([97, 0xD800, -5, 0x110000, 98], i32),
        input_splits=a([0, 5], i64),
        output_encoding="UTF-8",
        errors=errors,
        replacement_char=65533,
    )

# ---- RaggedBincount (TextVectorization's multi_hot / count / tf_idf)
RB_SPL, RB_VAL = a([0, 3, 3, 6], i64), a([1, 1, 4, 0, 2, 9], i64)
for binary in (False, True):
    case(
        "RaggedBincount",
        splits=RB_SPL,
        values=RB_VAL,
        size=a(5, i64),
        weights=a([], f32),
        binary_output=binary,
    )
    case(
        "RaggedBincount",
        splits=RB_SPL,
        values=a(RB_VAL, i32),
        size=a(5, i32),
        weights=a([0.5, 1, 2, 3, 4, 5], f64),
        binary_output=binary,
    )
case(
    "RaggedBincount",
    splits=RB_SPL,
    values=RB_VAL,
    size=a(5, i64),
    weights=a([1, 2, 3, 4, 5, 6], i64),
    binary_output=False,
)
case(
    "RaggedBincount",
    splits=RB_SPL,
    values=a([1, -1, 4, 0, 2, 9], i64),
    size=a(5, i64),
    weights=a([], f32),
    binary_output=False,
)
case(
    "RaggedBincount",
    splits=a([0, 3, 5], i64),
    values=RB_VAL,
    size=a(5, i64),
    weights=a([], f32),
    binary_output=False,
)
case(
    "RaggedBincount",
    splits=a([1, 6], i64),
    values=RB_VAL,
    size=a(5, i64),
    weights=a([], f32),
    binary_output=False,
)
case(
    "RaggedBincount",
    splits=RB_SPL,
    values=RB_VAL,
    size=a(-1, i64),
    weights=a([], f32),
    binary_output=False,
)

# ---- hashing (bit-exact fingerprints)
HS = random_strings()
FEW = np.concatenate([HS[:20], HS[-6:]])  # the full set once per hash; a few for the rest
for n in (1, 7, 2**62 + 7):
    case("StringToHashBucketFast", input=FEW, num_buckets=n)
for n in (1000003, 2**63 - 1):
    case("StringToHashBucketFast", input=HS, num_buckets=n)
case("StringToHashBucketFast", input=HS.reshape(-1)[:6].reshape(2, 3), num_buckets=10)
case("StringToHashBucketFast", input=sa([]), num_buckets=10)
case("StringToHashBucketStrong", input=HS, num_buckets=2**63 - 1, key=[0xDEADBEEF, -5])
for key in ([0, 0], [1, 2], [-(2**63), 2**63 - 1]):
    case("StringToHashBucketStrong", input=FEW, num_buckets=2**63 - 1, key=key)
case("StringToHashBucketStrong", input=FEW, num_buckets=97, key=[3, 4])
case("StringToHashBucketStrong", input=FEW, num_buckets=97, key=[3])
case("StringToHashBucket", string_tensor=FEW, num_buckets=13)
case("StringToHashBucket", string_tensor=HS, num_buckets=2**63 - 1)

# ---- Bucketize
BX = [-INF, -1, 0, 0.5, 1, 2.5, 10, 11, NAN, INF]
for dt in (f32, f64):
    case("Bucketize", input=a(BX, dt), boundaries=[0.0, 1.0, 10.0])
for dt in (i32, i64):
    case("Bucketize", input=a([[-5, 0, 1], [2, 9, 10]], dt), boundaries=[0.0, 1.5, 9.0, 9.0])
case("Bucketize", input=a([1.0, 2.0], f32), boundaries=[])
case("Bucketize", input=a([1.0], f32), boundaries=[2.0, 1.0])
case("Bucketize", input=a([], f32), boundaries=[1.0])

# ---- SparseReshape
IDX = a([[0, 0, 0], [0, 1, 1], [1, 2, 3], [1, 0, 2]], i64)
case("SparseReshape", input_indices=IDX, input_shape=a([2, 3, 4], i64), new_shape=a([6, 4], i64))
case("SparseReshape", input_indices=IDX, input_shape=a([2, 3, 4], i64), new_shape=a([-1, 2], i64))
case("SparseReshape", input_indices=IDX, input_shape=a([2, 3, 4], i64), new_shape=a([24], i64))
case("SparseReshape", input_indices=IDX, input_shape=a([2, 3, 4], i64), new_shape=a([5, -1], i64))
case("SparseReshape", input_indices=IDX, input_shape=a([2, 3, 4], i64), new_shape=a([-1, -1], i64))
case("SparseReshape", input_indices=IDX, input_shape=a([2, 3, 4], i64), new_shape=a([7, 4], i64))
case(
    "SparseReshape",
    input_indices=a(np.zeros((0, 2)), i64),
    input_shape=a([0, 3], i64),
    new_shape=a([-1, 0], i64),
)
case(
    "SparseReshape",
    input_indices=a(np.zeros((0, 2)), i64),
    input_shape=a([2, 3], i64),
    new_shape=a([3, 2], i64),
)
case("SparseReshape", input_indices=IDX, input_shape=a([2, 3], i64), new_shape=a([6], i64))

# ---- SparseFillEmptyRows
for vals, default in (
    (a([10, 20, 30], f32), a(-1, f32)),
    (sa(["a", "b", "c"]), sc("zz")),
    (a([1, 2, 3], i64), a(0, i64)),
):
    case(
        "SparseFillEmptyRows",
        indices=a([[1, 0], [1, 2], [3, 1]], i64),
        values=vals,
        dense_shape=a([5, 4], i64),
        default_value=default,
    )
case(
    "SparseFillEmptyRows",
    indices=a([[3, 1], [0, 0], [3, 0]], i64),
    values=a([1, 2, 3], i32),
    dense_shape=a([4, 2], i64),
    default_value=a(9, i32),
)
case(
    "SparseFillEmptyRows",
    indices=a(np.zeros((0, 2)), i64),
    values=a([], f64),
    dense_shape=a([3, 2], i64),
    default_value=a(7, f64),
)
case(
    "SparseFillEmptyRows",
    indices=a(np.zeros((0, 2)), i64),
    values=a([], f64),
    dense_shape=a([0, 2], i64),
    default_value=a(7, f64),
)
case(
    "SparseFillEmptyRows",
    indices=a([[5, 0]], i64),
    values=a([1], i32),
    dense_shape=a([3, 2], i64),
    default_value=a(0, i32),
)
case(
    "SparseFillEmptyRows",
    indices=a([[0, 0]], i64),
    values=a([1], i32),
    dense_shape=a([3, 2], i64),
    default_value=a([0], i32),
)
case(
    "SparseFillEmptyRows",
    indices=a([[-1, 0]], i64),
    values=a([1], i32),
    dense_shape=a([3, 2], i64),
    default_value=a(0, i32),
)

# ---- SparseSegmentSum / Mean / SqrtN
DATA = a([[1, 2, 3, 4], [-1, -2, -3, -4], [5, 6, 7, 8]], f32)
for op in ("SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN"):
    for idt, sdt in ((i32, i32), (i64, i64), (i32, i64)):
        case(op, data=DATA, indices=a([0, 1, 2, 2], idt), segment_ids=a([0, 0, 2, 2], sdt))
    case(op, data=a(DATA, f64), indices=a([0, 2], i32), segment_ids=a([1, 1], i32))
    case(op, data=a(DATA, f16), indices=a([0, 2], i32), segment_ids=a([0, 1], i32))
    case(op, data=DATA, indices=a([], i32), segment_ids=a([], i32))
    case(op, data=DATA, indices=a([0, 3], i32), segment_ids=a([0, 1], i32))
    case(op, data=DATA, indices=a([0, 1], i32), segment_ids=a([1, 0], i32))
    case(op, data=DATA, indices=a([0, 1], i32), segment_ids=a([-1, 0], i32))
    case(op, data=DATA, indices=a([0, 1, 2], i32), segment_ids=a([0, 1], i32))
    case(
        op + "WithNumSegments",
        data=DATA,
        indices=a([0, 1, 2], i32),
        segment_ids=a([0, 0, 3], i32),
        num_segments=a(5, i32),
    )
    case(
        op + "WithNumSegments",
        data=DATA,
        indices=a([0, 1, 2], i64),
        segment_ids=a([0, 0, 3], i64),
        num_segments=a(2, i64),
    )
    case(
        op + "WithNumSegments",
        data=DATA,
        indices=a([2, 1, 0], i32),
        segment_ids=a([3, 0, 0], i32),
        num_segments=a(4, i32),
    )
case(
    "SparseSegmentSum",
    data=a([[1, 2], [3, 4]], i32),
    indices=a([0, 1, 1], i32),
    segment_ids=a([0, 0, 1], i32),
)
case(
    "SparseSegmentSum",
    data=a([[1, 2], [3, 4]], i64),
    indices=a([0, 1], i64),
    segment_ids=a([0, 3], i64),
)
case(
    "SparseSegmentSum",
    data=a([1.0, 2.0, 4.0], f32),
    indices=a([2, 0], i32),
    segment_ids=a([0, 0], i32),
)

# ---- SparseTensorDenseMatMul
SPI = a([[0, 1], [1, 0], [1, 2], [2, 2]], i64)
B = a(RNG.standard_normal((3, 4)), f32)
for adj_a in (False, True):
    for adj_b in (False, True):
        b = B if not adj_b else B.T.copy()
        case(
            "SparseTensorDenseMatMul",
            a_indices=SPI,
            a_values=a([1, 2, 3, 4], f32),
            a_shape=a([3, 3], i64),
            b=b,
            adjoint_a=adj_a,
            adjoint_b=adj_b,
        )
case(
    "SparseTensorDenseMatMul",
    a_indices=a(SPI, i32),
    a_values=a([1, 2, 3, 4], f64),
    a_shape=a([3, 3], i64),
    b=a(B, f64),
)
case(
    "SparseTensorDenseMatMul",
    a_indices=SPI,
    a_values=a([1, 2, 3, 4], i32),
    a_shape=a([3, 3], i64),
    b=a([[1, 2], [3, 4], [5, 6]], i32),
)
case(
    "SparseTensorDenseMatMul",
    a_indices=SPI,
    a_values=a([1j, 2, 3, 4], np.complex64),
    a_shape=a([3, 3], i64),
    b=a(B[:, :2] + 1j, np.complex64),
    adjoint_a=True,
    adjoint_b=False,
)
case(
    "SparseTensorDenseMatMul",
    a_indices=a(np.zeros((0, 2)), i64),
    a_values=a([], f32),
    a_shape=a([2, 3], i64),
    b=B,
)
case(
    "SparseTensorDenseMatMul",
    a_indices=SPI,
    a_values=a([1, 2, 3, 4], f32),
    a_shape=a([3, 2], i64),
    b=B,
)
case(
    "SparseTensorDenseMatMul",
    a_indices=a([[0, 5]], i64),
    a_values=a([1], f32),
    a_shape=a([3, 3], i64),
    b=B,
)
case(
    "SparseTensorDenseMatMul",
    a_indices=a([[7, 0]], i64),
    a_values=a([1], f32),
    a_shape=a([3, 3], i64),
    b=B,
)

# ---- SparseCross family
ID1 = a([[0, 0], [1, 0], [1, 1]], i64)
SV1 = sa(["a", "b", "c"])
ID2 = a([[0, 0], [0, 1], [1, 0]], i64)
IV2 = a([7, -3, 123456789012], i64)
SHP = a([2, 2], i64)
DENSE = sa(["x", "y"], (2, 1))
DENSE_I = a([[11, 12], [13, 14]], i64)
CROSS = dict(indices=[ID1, ID2], values=[SV1, IV2], shapes=[SHP, SHP])
for hashed, buckets in ((False, 0), (True, 0), (True, 100)):
    out_t = tf.int64 if hashed else tf.string
    case(
        "SparseCross",
        **CROSS,
        dense_inputs=[DENSE],
        hashed_output=hashed,
        num_buckets=buckets,
        hash_key=0xDECAFCAFFE,
        out_type=out_t,
        internal_type=tf.int64,
    )
    case(
        "SparseCross",
        **CROSS,
        dense_inputs=[DENSE_I],
        hashed_output=hashed,
        num_buckets=buckets,
        hash_key=956888297470,
        out_type=out_t,
        internal_type=tf.int64,
    )
    case(
        "SparseCross",
        indices=[ID1, ID1],
        values=[SV1, SV1],
        shapes=[SHP, SHP],
        dense_inputs=[DENSE],
        hashed_output=hashed,
        num_buckets=buckets,
        hash_key=5,
        out_type=out_t,
        internal_type=tf.string,
    )
    case(
        "SparseCross",
        indices=[ID1],
        values=[SV1],
        shapes=[SHP],
        dense_inputs=[],
        hashed_output=hashed,
        num_buckets=buckets,
        hash_key=0,
        out_type=out_t,
        internal_type=tf.string,
    )
case(
    "SparseCross",
    indices=[ID2, ID2],
    values=[IV2, IV2],
    shapes=[SHP, SHP],
    dense_inputs=[],
    hashed_output=True,
    num_buckets=0,
    hash_key=1,
    out_type=tf.int64,
    internal_type=tf.int64,
)
case(
    "SparseCross",
    indices=[ID2],
    values=[IV2],
    shapes=[SHP],
    dense_inputs=[DENSE_I],
    hashed_output=False,
    num_buckets=0,
    hash_key=1,
    out_type=tf.string,
    internal_type=tf.int64,
)
case(
    "SparseCross",
    **CROSS,
    dense_inputs=[DENSE],
    hashed_output=False,
    num_buckets=0,
    hash_key=1,
    out_type=tf.string,
    internal_type=tf.string,
)
case(
    "SparseCross",
    indices=[a(np.zeros((0, 2)), i64)],
    values=[sa([])],
    shapes=[SHP],
    dense_inputs=[DENSE],
    hashed_output=False,
    num_buckets=0,
    hash_key=1,
    out_type=tf.string,
    internal_type=tf.string,
)
case(  # unsorted rows: TF walks them in order and drops what it cannot reach
    "SparseCross",
    indices=[a([[1, 0], [0, 0], [1, 1]], i64)],
    values=[sa(["p", "q", "r"])],
    shapes=[SHP],
    dense_inputs=[DENSE],
    hashed_output=False,
    num_buckets=0,
    hash_key=1,
    out_type=tf.string,
    internal_type=tf.string,
)
for strong in (False, True):
    case(
        "SparseCrossHashed",
        **CROSS,
        dense_inputs=[DENSE],
        num_buckets=a(1000, i64),
        strong_hash=a(strong, bl),
        salt=a([137, 173], i64),
    )
    case(
        "SparseCrossHashed",
        indices=[ID1],
        values=[SV1],
        shapes=[SHP],
        dense_inputs=[DENSE],
        num_buckets=a(2**62, i64),
        strong_hash=a(strong, bl),
        salt=a([1, 2], i64),
    )
case("SparseCrossV2", **CROSS, dense_inputs=[DENSE], sep=sc("_X_"))
case("SparseCrossV2", **CROSS, dense_inputs=[DENSE_I], sep=sc("::"))
case(
    "SparseCrossV2",
    indices=[ID1, ID1],
    values=[SV1, SV1],
    shapes=[SHP, a([3, 2], i64)],
    dense_inputs=[],
    sep=sc("_"),
)

# ---- RaggedTensorToTensor
SPL = a([0, 2, 2, 5], i64)
RV = a([1, 2, 3, 4, 5], f32)
case(
    "RaggedTensorToTensor",
    shape=a(-1, i64),
    values=RV,
    default_value=a(0, f32),
    row_partition_tensors=[SPL],
    row_partition_types=["ROW_SPLITS"],
)
case(
    "RaggedTensorToTensor",
    shape=a([4, 2], i64),
    values=RV,
    default_value=a(9, f32),
    row_partition_tensors=[SPL],
    row_partition_types=["ROW_SPLITS"],
)
case(
    "RaggedTensorToTensor",
    shape=a([-1, 4], i32),
    values=a(RV, i32),
    default_value=a(0, i32),
    row_partition_tensors=[a(SPL, i32)],
    row_partition_types=["ROW_SPLITS"],
)
case(
    "RaggedTensorToTensor",
    shape=a(-1, i64),
    values=a([[1, 2], [3, 4], [5, 6]], f32),
    default_value=a([-1, -2], f32),
    row_partition_tensors=[a([0, 1, 3], i64)],
    row_partition_types=["ROW_SPLITS"],
)
case(
    "RaggedTensorToTensor",
    shape=a(-1, i64),
    values=sa(["a", "b", "c"]),
    default_value=sc(""),
    row_partition_tensors=[a([0, 1, 1, 3], i64)],
    row_partition_types=["ROW_SPLITS"],
)
case(
    "RaggedTensorToTensor",
    shape=a(-1, i64),
    values=RV,
    default_value=a(0, f32),
    row_partition_tensors=[a(4, i64), a([0, 0, 2, 2, 2], i64)],
    row_partition_types=["FIRST_DIM_SIZE", "VALUE_ROWIDS"],
)
case(
    "RaggedTensorToTensor",
    shape=a([2, 2], i64),
    values=RV,
    default_value=a(0, f32),
    row_partition_tensors=[a(4, i64), a([0, 0, 2, 2, 2], i64)],
    row_partition_types=["FIRST_DIM_SIZE", "VALUE_ROWIDS"],
)
case(
    "RaggedTensorToTensor",
    shape=a(-1, i64),
    values=a(np.arange(7), i64),
    default_value=a(-1, i64),
    row_partition_tensors=[a([0, 2, 3], i64), a([0, 1, 3, 7], i64)],
    row_partition_types=["ROW_SPLITS", "ROW_SPLITS"],
)
case(
    "RaggedTensorToTensor",
    shape=a(-1, i64),
    values=a(np.arange(7), i64),
    default_value=a(-1, i64),
    row_partition_tensors=[a(2, i64), a([0, 0, 1], i64), a([0, 1, 1, 2, 2, 2, 2], i64)],
    row_partition_types=["FIRST_DIM_SIZE", "VALUE_ROWIDS", "VALUE_ROWIDS"],
)
case(
    "RaggedTensorToTensor",
    shape=a(-1, i64),
    values=a([], f32),
    default_value=a(0, f32),
    row_partition_tensors=[a([0], i64)],
    row_partition_types=["ROW_SPLITS"],
)
case(
    "RaggedTensorToTensor",
    shape=a(-1, i64),
    values=a([], f32),
    default_value=a(0, f32),
    row_partition_tensors=[a([0, 0, 0], i64)],
    row_partition_types=["ROW_SPLITS"],
)
case(
    "RaggedTensorToTensor",
    shape=a(-1, i64),
    values=RV,
    default_value=a([0, 1], f32),
    row_partition_tensors=[SPL],
    row_partition_types=["ROW_SPLITS"],
)


# ---- lookup tables and resource-variable updates: whole TF1 graphs run step by step.
# Each scenario records its GraphDef and, per step, the fetched outputs or the error.
# Export steps sort their rows by key (TF exports in hash-map order).
raw = tf.raw_ops


def _tables_mutable() -> list[tuple[str, list[str], bool]]:
    t = raw.MutableHashTableV2(key_dtype=tf.string, value_dtype=tf.int64, name="t")
    raw.LookupTableInsertV2(
        table_handle=t,
        keys=tf.constant(["a", "b", "c"]),
        values=tf.constant([1, 2, 3], tf.int64),
        name="ins",
    )
    raw.LookupTableInsertV2(
        table_handle=t,
        keys=tf.constant(["b", "d"]),
        values=tf.constant([20, 4], tf.int64),
        name="ins2",
    )
    raw.LookupTableRemoveV2(table_handle=t, keys=tf.constant(["a", "q"]), name="rm")
    raw.LookupTableFindV2(
        table_handle=t,
        keys=tf.constant([["a", "z"], ["c", "b"]]),
        default_value=tf.constant(-1, tf.int64),
        name="find",
    )
    raw.LookupTableSizeV2(table_handle=t, name="size")
    raw.LookupTableExportV2(table_handle=t, Tkeys=tf.string, Tvalues=tf.int64, name="export")
    raw.LookupTableImportV2(
        table_handle=t, keys=tf.constant(["z"]), values=tf.constant([26], tf.int64), name="imp"
    )
    raw.LookupTableInsertV2(
        table_handle=t,
        keys=tf.constant(["x", "y"]),
        values=tf.constant([1], tf.int64),
        name="bad_ins",
    )
    raw.LookupTableFindV2(
        table_handle=t,
        keys=tf.constant(["a"]),
        default_value=tf.constant([1, 2], tf.int64),
        name="bad_find",
    )
    return [
        ("find", ["find:0"], False),
        ("ins", [], False),
        ("find", ["find:0", "size:0"], False),
        ("ins2", [], False),
        ("rm", [], False),
        ("find", ["find:0", "size:0"], False),
        ("export", ["export:0", "export:1"], True),
        ("bad_ins", [], False),
        ("bad_find", ["bad_find:0"], False),
        ("imp", [], False),
        ("export", ["export:0", "export:1", "size:0"], True),
    ]


def _tables_numeric() -> list[tuple[str, list[str], bool]]:
    t = raw.MutableHashTableV2(
        key_dtype=tf.int64, value_dtype=tf.float32, name="t", shared_name="shared_t"
    )
    raw.LookupTableInsertV2(
        table_handle=t,
        keys=tf.constant([[5, 7], [-1, 0]], tf.int64),
        values=tf.constant([[0.5, 0.7], [-1.0, 0.0]]),
        name="ins",
    )
    raw.LookupTableFindV2(
        table_handle=t,
        keys=tf.constant([7, 8, -1, 5], tf.int64),
        default_value=tf.constant(float("nan")),
        name="find",
    )
    raw.LookupTableExportV2(table_handle=t, Tkeys=tf.int64, Tvalues=tf.float32, name="export")
    return [
        ("ins", [], False),
        ("find", ["find:0"], False),
        ("export", ["export:0", "export:1"], True),
    ]


def _tables_of_tensors() -> list[tuple[str, list[str], bool]]:
    t = raw.MutableHashTableOfTensorsV2(
        key_dtype=tf.string, value_dtype=tf.float32, value_shape=[2], name="t"
    )
    raw.LookupTableInsertV2(
        table_handle=t,
        keys=tf.constant(["x", "y"]),
        values=tf.constant([[1.0, 2.0], [3.0, 4.0]]),
        name="ins",
    )
    raw.LookupTableFindV2(
        table_handle=t,
        keys=tf.constant([["x", "q"], ["y", "y"]]),
        default_value=tf.constant([0.0, -1.0]),
        name="find",
    )
    raw.LookupTableExportV2(table_handle=t, Tkeys=tf.string, Tvalues=tf.float32, name="export")
    raw.LookupTableSizeV2(table_handle=t, name="size")
    raw.LookupTableInsertV2(
        table_handle=t, keys=tf.constant(["x"]), values=tf.constant([1.0, 2.0, 3.0]), name="bad_ins"
    )
    raw.LookupTableFindV2(
        table_handle=t, keys=tf.constant(["x"]), default_value=tf.constant(0.0), name="bad_find"
    )
    raw.LookupTableRemoveV2(table_handle=t, keys=tf.constant(["x"]), name="rm")
    return [
        ("ins", [], False),
        ("find", ["find:0", "size:0"], False),
        ("export", ["export:0", "export:1"], True),
        ("bad_ins", [], False),
        ("bad_find", ["bad_find:0"], False),
        ("rm", [], False),
        ("find", ["find:0", "size:0"], False),
    ]


def _tables_hash() -> list[tuple[str, list[str], bool]]:
    t = raw.HashTableV2(key_dtype=tf.string, value_dtype=tf.int64, name="t")
    raw.InitializeTableV2(
        table_handle=t,
        keys=tf.constant(["a", "b"]),
        values=tf.constant([1, 2], tf.int64),
        name="init",
    )
    raw.InitializeTableV2(
        table_handle=t,
        keys=tf.constant(["a", "c"]),
        values=tf.constant([1, 3], tf.int64),
        name="reinit",
    )
    raw.LookupTableFindV2(
        table_handle=t,
        keys=tf.constant(["a", "x", "b"]),
        default_value=tf.constant(-1, tf.int64),
        name="find",
    )
    raw.LookupTableSizeV2(table_handle=t, name="size")
    raw.LookupTableExportV2(table_handle=t, Tkeys=tf.string, Tvalues=tf.int64, name="export")
    u = raw.HashTableV2(key_dtype=tf.int64, value_dtype=tf.string, name="u")
    raw.InitializeTableV2(
        table_handle=u,
        keys=tf.constant([1, 1], tf.int64),
        values=tf.constant(["x", "y"]),
        name="dup",
    )
    raw.InitializeTableV2(
        table_handle=u,
        keys=tf.constant([1, 2], tf.int64),
        values=tf.compat.v1.placeholder_with_default(["x"], [None]),
        name="short",
    )
    raw.InitializeTableV2(
        table_handle=u,
        keys=tf.constant([3, 3], tf.int64),
        values=tf.constant(["z", "z"]),
        name="dup_same",
    )
    raw.LookupTableFindV2(
        table_handle=u,
        keys=tf.constant([3, 4], tf.int64),
        default_value=tf.constant("?"),
        name="find_u",
    )
    return [
        ("find", ["find:0"], False),
        ("init", [], False),
        ("find", ["find:0", "size:0"], False),
        ("init", [], False),
        ("reinit", [], False),
        ("export", ["export:0", "export:1"], True),
        ("dup", [], False),
        ("short", [], False),
        ("dup_same", [], False),
        ("find_u", ["find_u:0"], False),
    ]


def _tables_dense() -> list[tuple[str, list[str], bool]]:
    t = raw.MutableDenseHashTableV2(
        empty_key=tf.constant(-1, tf.int64),
        deleted_key=tf.constant(-2, tf.int64),
        value_dtype=tf.float32,
        value_shape=[2],
        name="t",
    )
    keys = tf.constant([3, 10, 7], tf.int64)
    vals = tf.constant([[1.0, 1.5], [2.0, 2.5], [3.0, 3.5]])
    raw.LookupTableInsertV2(table_handle=t, keys=keys, values=vals, name="ins")
    raw.LookupTableRemoveV2(table_handle=t, keys=tf.constant([10, 99], tf.int64), name="rm")
    raw.LookupTableFindV2(
        table_handle=t,
        keys=tf.constant([7, 10, 3], tf.int64),
        default_value=tf.constant([0.0, 0.0]),
        name="find",
    )
    raw.LookupTableSizeV2(table_handle=t, name="size")
    # (no export: TF's dense table exports its raw bucket arrays, empty buckets included)
    raw.LookupTableInsertV2(
        table_handle=t,
        keys=tf.constant([-1], tf.int64),
        values=tf.constant([[0.0, 0.0]]),
        name="bad_empty",
    )
    raw.LookupTableFindV2(
        table_handle=t,
        keys=tf.constant([-2], tf.int64),
        default_value=tf.constant([0.0, 0.0]),
        name="bad_deleted",
    )
    return [
        ("ins", [], False),
        ("find", ["find:0", "size:0"], False),
        ("rm", [], False),
        ("find", ["find:0", "size:0"], False),
        ("bad_empty", [], False),
        ("bad_deleted", ["bad_deleted:0"], False),
    ]


def _resource_updates() -> list[tuple[str, list[str], bool]]:
    v = raw.VarHandleOp(dtype=tf.float32, shape=[2], shared_name="v", name="v")
    raw.AssignVariableOp(resource=v, value=tf.constant([1.0, 2.0]), name="init")
    raw.AssignAddVariableOp(resource=v, value=tf.constant([0.5, 0.5]), name="add")
    raw.AssignSubVariableOp(resource=v, value=tf.constant([2.0, 0.25]), name="sub")
    raw.AssignAddVariableOp(
        resource=v,
        value=tf.compat.v1.placeholder_with_default([1.0, 2.0, 3.0], [None]),
        name="bad_add",
    )
    raw.ReadVariableOp(resource=v, dtype=tf.float32, name="read")
    w = raw.VarHandleOp(dtype=tf.int32, shape=[], shared_name="w", name="w")
    raw.AssignVariableOp(resource=w, value=tf.constant(2**31 - 1), name="init_w")
    raw.AssignAddVariableOp(resource=w, value=tf.constant(1), name="add_w")
    raw.ReadVariableOp(resource=w, dtype=tf.int32, name="read_w")
    return [
        ("add", [], False),
        ("init", [], False),
        ("add", [], False),
        ("read", ["read:0"], False),
        ("sub", [], False),
        ("read", ["read:0"], False),
        ("bad_add", [], False),
        ("init_w", [], False),
        ("add_w", [], False),
        ("read_w", ["read_w:0"], False),
    ]


SCENARIOS = {
    "mutable": _tables_mutable,
    "numeric": _tables_numeric,
    "of_tensors": _tables_of_tensors,
    "hash_table": _tables_hash,
    "dense": _tables_dense,
    "resource_updates": _resource_updates,
}


def _sorted_by_key(values: list[np.ndarray]) -> list[np.ndarray]:
    order = np.argsort(values[0], kind="stable")
    return [v[order] for v in values[:2]] + values[2:]


def run_scenario(name: str) -> dict[str, Any]:
    graph = tf.Graph()
    with graph.as_default():
        steps = SCENARIOS[name]()
    record: dict[str, Any] = {
        "name": name,
        "graph_def": base64.b64encode(graph.as_graph_def().SerializeToString()).decode(),
        "steps": [],
    }
    with tf.compat.v1.Session(graph=graph) as sess:
        for target, fetches, sort in steps:
            step: dict[str, Any] = {"target": target, "fetches": fetches, "sort": sort}
            try:
                got = sess.run(fetches, options=None) if fetches else sess.run(target)
                if fetches:
                    got = _sorted_by_key(list(got)) if sort else list(got)
                    step["outputs"] = [encode_array(v) for v in got]
            except tf.errors.OpError as e:
                step["error"] = type(e).__name__
                step["message"] = _core_message(e.message)
            record["steps"].append(step)
    return record


# ---- TF1 wrappers (tf.compat.v1.<api>): the nodes they build and what they compute.
WRAPPERS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("string_split", (["a b", "c  d e"],), {}),
    ("string_split", (["a,b", "c"],), {"sep": ","}),
    ("string_split", (["a,,b"],), {"sep": ",", "skip_empty": False}),
    ("strings.split", (["a b", " c  "],), {}),
    ("strings.split", (["a b c", "d"],), {"sep": " ", "maxsplit": 1}),
    ("strings.lower", (["AbC", "ÀÉ"],), {}),
    ("strings.upper", (["abc", "àé"],), {"encoding": "utf-8"}),
    ("strings.strip", ([" a ", "b\n"],), {"name": "trim"}),
    ("strings.length", (["ab", "日本"],), {}),
    ("strings.length", (["ab", "日本"],), {"unit": "UTF8_CHAR"}),
    ("strings.substr", (["hello", "world"], 1, 3), {}),
    ("substr", (["hello"], -3, 2), {"unit": "UTF8_CHAR"}),
    ("strings.regex_replace", (["hello", "all"], "l+", "L"), {}),
    ("regex_replace", (["hello"], "l", "L"), {"replace_global": False}),
    ("as_string", ([1.5, -2.25],), {"precision": 2}),
    ("strings.as_string", ([1, 42],), {"width": 4, "fill": "0"}),
    ("string_to_number", (["1.5", "-2"],), {}),
    ("strings.to_number", (["1", "77"],), {"out_type": tf.int64}),
    ("string_to_hash_bucket_fast", (["a", "bc", ""], 10), {}),
    ("strings.to_hash_bucket_fast", (["a"], 1000), {"name": "hb"}),
    ("string_to_hash_bucket_strong", (["a", "b"], 10, [1, 2]), {}),
    ("string_to_hash_bucket", (["a", "b"], 10), {}),
    ("strings.to_hash_bucket", (["a"], 10), {}),
    ("reduce_join", ([["a", "b"], ["c", "d"]],), {}),
    ("reduce_join", ([["a", "b"], ["c", "d"]],), {"axis": 1, "separator": "-"}),
    ("strings.reduce_join", ([["a", "b"]],), {"axis": -1, "keep_dims": True}),
    ("strings.join", (["a", ["b", "c"]],), {"separator": "/"}),
    ("strings.unsorted_segment_join", (["a", "b", "c"], [1, 0, 1], 2), {"separator": "+"}),
]


def run_wrapper(api: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    graph = tf.Graph()
    with graph.as_default():
        fn: Any = tf.compat.v1
        for part in api.split("."):
            fn = getattr(fn, part)
        out = fn(*args, **kwargs)
        fetch = [out.indices, out.values, out.dense_shape] if hasattr(out, "indices") else [out]
        with tf.compat.v1.Session(graph=graph) as sess:
            values = sess.run(fetch)
    nodes = [[n.name, n.op, list(n.input)] for n in graph.as_graph_def().node]
    kw = {k: (v.name if isinstance(v, tf.DType) else v) for k, v in kwargs.items()}
    return {
        "api": api,
        "args": list(args),
        "kwargs": kw,
        "nodes": nodes,
        "outputs": [encode_array(v) for v in values],
    }


def main() -> None:
    records = []
    for i, (op_type, kwargs) in enumerate(CASES):
        if os.environ.get("VERBOSE"):
            print(i, op_type, flush=True)
        try:
            rec = run_case(op_type, kwargs)
        except (TypeError, ValueError) as e:  # the case itself is malformed: fix the table
            raise SystemExit(f"case {i} {op_type}: {e}") from e
        rec["id"] = f"{i:03d}-{op_type}"
        records.append(rec)
    tables = [run_scenario(name) for name in SCENARIOS]
    wrappers = [run_wrapper(*w) for w in WRAPPERS]
    out = {"tensorflow": tf.__version__, "cases": records, "tables": tables, "wrappers": wrappers}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=0)
    errors = sum("error" in r for r in records)
    print(f"wrote {len(records)} cases ({errors} error cases) to {OUT}")


if __name__ == "__main__":
    main()
