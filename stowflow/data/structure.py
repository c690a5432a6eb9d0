"""Element structures of datasets: nests of tuples, lists, dicts and namedtuples.

Flattening follows ``tf.data``'s use of ``tf.nest``: dict entries in sorted key order,
tuples (and namedtuples) in order; a list is a leaf (tf.data converts it to one tensor).

Example:
    >>> flatten({"b": 1, "a": (2, 3)})
    [2, 3, 1]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def is_nested(value: Any) -> bool:
    """Whether ``value`` is a container tf.nest descends into."""
    return isinstance(value, (tuple, dict))


def flatten(value: Any) -> list[Any]:
    """The leaves of ``value`` in tf.nest order."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in flatten(value[key])]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in flatten(item)]
    return [value]


def pack(structure: Any, flat: list[Any]) -> Any:
    """``flat`` leaves rebuilt into the shape of ``structure``.

    Raises:
        ValueError: when the number of leaves differs.
    """
    leaves = list(flat)
    if len(leaves) != len(flatten(structure)):
        raise ValueError(
            f"Structure had {len(flatten(structure))} elements, but flat_sequence had "
            f"{len(leaves)} elements."
        )
    position = iter(leaves)
    return _pack(structure, lambda: next(position))


def _pack(structure: Any, take: Callable[[], Any]) -> Any:
    if isinstance(structure, dict):
        packed = {key: _pack(structure[key], take) for key in sorted(structure)}
        return {key: packed[key] for key in structure}
    if _is_namedtuple(structure):
        return type(structure)(*[_pack(item, take) for item in structure])
    if isinstance(structure, tuple):
        return tuple(_pack(item, take) for item in structure)
    return take()


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    """``structure`` with each leaf replaced by ``fn(leaf)``."""
    return pack(structure, [fn(leaf) for leaf in flatten(structure)])
