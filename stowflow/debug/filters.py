"""Tensor filters: predicates ``fn(datum, tensor) -> bool`` over recorded tensors (tfdbg's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

TensorFilter = Callable[[Any, Any], bool]


def has_inf_or_nan(datum: Any, tensor: Any) -> bool:
    """True if ``tensor`` holds a NaN or an infinity (tfdbg's built-in filter).

    Args:
        datum: the tensor's record (unused; part of the filter signature).
        tensor: its value (non-numeric values never match).

    Example:
        ``sess.add_tensor_filter("has_inf_or_nan", has_inf_or_nan)`` then ``run -f has_inf_or_nan``.
    """
    del datum
    if not isinstance(tensor, np.ndarray) or tensor.dtype.kind not in "fc":
        return False
    return bool(not np.all(np.isfinite(tensor)))


class FilterRegistry:
    """Named tensor filters; ``has_inf_or_nan`` is always registered."""

    def __init__(self) -> None:
        self._filters: dict[str, TensorFilter] = {"has_inf_or_nan": has_inf_or_nan}

    def add(self, name: str, fn: TensorFilter) -> None:
        """Registers ``fn`` under ``name``.

        Raises:
            TypeError: if ``fn`` is not callable.
            ValueError: if ``name`` is empty or already registered.
        """
        if not callable(fn):
            raise TypeError(f"tensor filter {name!r} is not callable: {fn!r}")
        if not name or name in self._filters:
            raise ValueError(f"A tensor filter named {name!r} is already registered or empty")
        self._filters[name] = fn

    def get(self, name: str) -> TensorFilter:
        """The filter called ``name``.

        Raises:
            ValueError: with tfdbg's message when there is none.
        """
        try:
            return self._filters[name]
        except KeyError:
            raise ValueError(f'There is no tensor filter named "{name}".') from None

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._filters)


def first_passing(records: list[Any], fn: TensorFilter) -> Any:
    """The first record (execution order) whose value passes ``fn``, or None."""
    for record in passing(records, fn, first_only=True):
        return record
    return None


def passing(records: list[Any], fn: TensorFilter, first_only: bool = False) -> list[Any]:
    """The records (execution order) whose value passes ``fn``.

    ``has_inf_or_nan`` is answered from the recorded NaN/Inf counts without reading values.
    """
    found = []
    for record in records:
        if fn is has_inf_or_nan:
            hit = bool(record.stats.nan_count or record.stats.inf_count)
        elif record.has_value:
            hit = bool(fn(record, record.array()))
        else:
            hit = False
        if hit:
            found.append(record)
            if first_only:
                break
    return found
