"""``TensorShape``: a static shape whose rank or dimensions may be unknown (None)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class TensorShape:
    """A possibly partial shape, as ``tf.TensorShape``.

    Example:
        >>> s = TensorShape([None, 3])
        >>> str(s), s.as_list(), s.is_fully_defined()
        ('(None, 3)', [None, 3], False)
    """

    __slots__ = ("_dims",)

    def __init__(self, dims: Any) -> None:
        if isinstance(dims, TensorShape):
            self._dims: tuple[int | None, ...] | None = dims._dims
        elif dims is None:
            self._dims = None
        elif isinstance(dims, int):
            self._dims = (dims,)
        else:
            self._dims = tuple(None if d is None or int(d) < 0 else int(d) for d in dims)

    @property
    def dims(self) -> list[int | None] | None:
        """The dimensions, or None for unknown rank."""
        return None if self._dims is None else list(self._dims)

    @property
    def ndims(self) -> int | None:
        """The rank, or None."""
        return None if self._dims is None else len(self._dims)

    rank = ndims

    def as_list(self) -> list[int | None]:
        """The dimensions as a list.

        Raises:
            ValueError: for an unknown rank, as TF does.
        """
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self) -> bool:
        """True when the rank and every dimension are known."""
        return self._dims is not None and all(d is not None for d in self._dims)

    def num_elements(self) -> int | None:
        """Product of the dimensions, or None if any is unknown."""
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims or ():
            n *= d  # type: ignore[operator]
        return n

    def merge_with(self, other: Any) -> TensorShape:
        """The more specific of two compatible shapes.

        Raises:
            ValueError: if they are incompatible.
        """
        other = as_shape(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        if len(self._dims) != len(other._dims):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        merged = []
        for a, b in zip(self._dims, other._dims, strict=True):
            if a is not None and b is not None and a != b:
                raise ValueError(f"Shapes {self} and {other} are not compatible")
            merged.append(a if a is not None else b)
        return TensorShape(merged)

    def is_compatible_with(self, other: Any) -> bool:
        """True if the shapes could describe the same tensor."""
        try:
            self.merge_with(other)
        except ValueError:
            return False
        return True

    def __iter__(self) -> Iterator[int | None]:
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self._dims)

    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __getitem__(self, key: Any) -> Any:
        if self._dims is None:
            return None if isinstance(key, int) else TensorShape(None)
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return self._dims[key]

    def __eq__(self, other: object) -> bool:
        try:
            other_shape = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other_shape._dims

    def __hash__(self) -> int:
        return hash(self._dims)

    def __bool__(self) -> bool:
        return self._dims is not None

    def __repr__(self) -> str:
        return "TensorShape(None)" if self._dims is None else f"TensorShape({list(self._dims)})"

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        # TF1 (v2 behaviour disabled) prints unknown dimensions as "?": "(?, 3)";
        # TF2 behaviour prints "(None, 3)".
        unknown = "None" if _v2_strings[0] else "?"
        dims = [unknown if d is None else str(d) for d in self._dims]
        if len(dims) == 1:
            return f"({dims[0]},)"
        return "(" + ", ".join(dims) + ")"


_v2_strings = [False]


def use_v2_shape_strings(enabled: bool) -> None:
    """Print unknown dimensions as TF2 does (``None``) instead of TF1's ``?``.

    stowflow runs graphs as TF1 does; tools that mirror TF 2.x programs (``saved_model_cli``)
    switch this on so their messages read as TF 2.x prints them.
    """
    _v2_strings[0] = bool(enabled)


def as_shape(shape: Any) -> TensorShape:
    """Converts a list, tuple, int, None or TensorShape into a TensorShape."""
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


def unknown_shape(rank: int | None = None) -> TensorShape:
    """A shape of unknown rank, or of known rank with unknown dimensions."""
    return TensorShape(None if rank is None else [None] * rank)


def dims_of(shapes: Iterable[TensorShape]) -> list[list[int | None] | None]:
    """The ``dims`` of each shape."""
    return [s.dims for s in shapes]
