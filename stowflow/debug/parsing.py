"""Parsing of analyzer arguments: ``name[slice]`` and ``-r`` highlight ranges (no eval)."""

from __future__ import annotations

import re
from typing import Any

_INT = r"-?\d+"
_SLICE_PART = re.compile(rf"^\s*({_INT})?\s*(?::\s*({_INT})?\s*(?::\s*({_INT})?\s*)?)?$")
_RANGE = re.compile(r"\[([^\[\]]*)\]")


def split_tensor_and_slice(text: str) -> tuple[str, str]:
    """``"x:0[1:3, 0]"`` -> ``("x:0", "[1:3, 0]")``; no brackets -> ``(text, "")``.

    Raises:
        ValueError: for an unterminated bracket.
    """
    text = text.strip()
    bracket = text.find("[")
    if bracket < 0:
        return text, ""
    if not text.endswith("]"):
        raise ValueError(f"Invalid tensor-slicing string: {text[bracket:]!r}")
    return text[:bracket], text[bracket:]


def parse_slice(text: str) -> tuple[Any, ...]:
    """A NumPy index from ``"[1:3, ..., -1]"`` (ints, slices and ``...`` only).

    Raises:
        ValueError: for anything else.
    """
    inner = text.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        raise ValueError(f"Invalid tensor-slicing string: {text!r}")
    index: list[Any] = []
    for part in inner[1:-1].split(","):
        part = part.strip()
        if part == "...":
            index.append(Ellipsis)
            continue
        match = _SLICE_PART.match(part)
        if not part or match is None:
            raise ValueError(f"Invalid tensor-slicing string: {text!r}")
        start, stop, step = (int(g) if g is not None else None for g in match.groups())
        if ":" in part:
            index.append(slice(start, stop, step))
        else:
            index.append(start)
    return tuple(index)


def parse_ranges(text: str) -> list[tuple[float, float]]:
    """``"[-inf, 0]"`` or ``"[[-inf, -1], [1, inf]]"`` -> closed intervals.

    Raises:
        ValueError: for a malformed range or one whose low end exceeds its high end.
    """
    stripped = text.strip()
    groups = _RANGE.findall(stripped)
    if not stripped.startswith("[") or not groups:
        raise ValueError(f"Invalid range string: {text!r}")
    ranges = []
    for group in groups:
        ends = [p.strip() for p in group.split(",")]
        if len(ends) != 2:
            raise ValueError(f"Invalid range {group!r}: expected [low, high]")
        try:
            low, high = float(ends[0]), float(ends[1])
        except ValueError:
            raise ValueError(f"Invalid range {group!r}: expected numbers or inf") from None
        if low > high:
            raise ValueError(f"Invalid range {group!r}: low end exceeds high end")
        ranges.append((low, high))
    return ranges


def split_node_and_slot(name: str) -> tuple[str, int]:
    """``"a/b:1"`` -> ``("a/b", 1)``; a bare node name means slot 0."""
    node, sep, slot = name.rpartition(":")
    if sep and slot.isdigit():
        return node, int(slot)
    return name, 0
