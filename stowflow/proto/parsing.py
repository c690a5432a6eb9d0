"""Parsing untrusted protobuf bytes and text into messages, with typed errors only.

Every failure of a file read from disk is a ``DataLossError`` naming the file (``where``):
protobuf's ``DecodeError`` (corrupt wire format, bad UTF-8, nesting deeper than protobuf's
recursion limit of 100), text format's ``ParseError``, undecodable text, and nesting deeper
than :data:`MAX_TEXT_DEPTH` in text format (checked before parsing: the text parser recurses
once per nested message, so 100k nested ``attr { value { list {`` would exhaust Python's
stack).

Example:
    >>> from stowflow.proto import graph_pb2
    >>> parse_binary(graph_pb2.GraphDef(), b"\\x0a\\x03\\x0a\\x01x", "g.pb").node[0].name
    'x'
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from stowflow.errors import DataLossError

M = TypeVar("M")

#: Deepest message nesting accepted in text format (protobuf's binary recursion limit).
MAX_TEXT_DEPTH = 100

# Strings (either quote, backslash escapes) and comments hide brackets from the depth count.
_HIDDEN = re.compile(rb"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*")
_OPEN = re.compile(rb"[{<]")
_BRACKETS = re.compile(rb"[{}<>]")


def text_depth(data: bytes) -> int:
    """The deepest ``{``/``<`` nesting of a text-format message (strings and comments skipped)."""
    visible = _HIDDEN.sub(b"", data)
    if not _OPEN.search(visible):
        return 0
    depth = deepest = 0
    for match in _BRACKETS.finditer(visible):
        if match.group() in (b"{", b"<"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_binary(message: M, data: bytes, where: str) -> M:
    """Parses wire-format ``data`` into ``message`` (replacing its contents).

    Raises:
        DataLossError: naming ``where`` when the bytes are not a valid message.
    """
    try:
        message.ParseFromString(data)  # type: ignore[attr-defined]
    except (DecodeError, RecursionError, ValueError) as e:
        raise DataLossError(
            None, None, f"{where}: cannot parse {_type_name(message)} (binary protobuf): {e}"
        ) from None
    return message


def parse_text(message: M, data: bytes | str, where: str, merge: bool = False) -> M:
    """Parses text-format ``data`` into ``message`` (``merge``: TF's ``text_format.Merge``).

    Raises:
        DataLossError: naming ``where`` for text that is not UTF-8, nests deeper than
            :data:`MAX_TEXT_DEPTH`, or does not parse.
    """
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    depth = text_depth(raw)
    if depth > MAX_TEXT_DEPTH:
        raise DataLossError(
            None,
            None,
            f"{where}: cannot parse {_type_name(message)} (text format): messages nest "
            f"{depth} deep, more than the limit of {MAX_TEXT_DEPTH}",
        )
    try:
        text = raw.decode("utf-8")
        (text_format.Merge if merge else text_format.Parse)(text, message)
    except (text_format.ParseError, UnicodeDecodeError, RecursionError, ValueError) as e:
        raise DataLossError(
            None, None, f"{where}: cannot parse {_type_name(message)} (text format): {e}"
        ) from None
    return message


def _type_name(message: Any) -> str:
    return str(message.DESCRIPTOR.name)
