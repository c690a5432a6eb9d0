"""``TensorShape``: a static shape whose rank or dimensions may be unknown (None)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class Dimension:
    """One dimension of a TF1 shape (``tf.compat.v1.Dimension``): a size or unknown (None).

    Arithmetic and comparisons with an unknown dimension give an unknown result (None for
    comparisons), as in TF1; ``str`` is ``"?"`` for unknown.

    Raises:
        ValueError / TypeError: for a negative or non-integer value (TF's messages).
    """

    __slots__ = ("_value",)
    __hash__ = None  # type: ignore[assignment]  # unhashable, as TF's

    def __init__(self, value: Any) -> None:
        if isinstance(value, Dimension):
            value = value.value
        if value is None:
            self._value: int | None = None
            return
        if isinstance(value, bool) or not hasattr(value, "__index__"):
            raise TypeError(
                "Dimension value must be integer or None or have an __index__ method, got "
                f"value '{value!r}' with type '{type(value)}'"
            )
        self._value = int(value.__index__())
        if self._value < 0:
            raise ValueError(f"Dimension {self._value} must be >= 0")

    @property
    def value(self) -> int | None:
        """The size, or None if unknown."""
        return self._value

    def __repr__(self) -> str:
        return f"Dimension({self._value})"

    def __str__(self) -> str:
        return "?" if self._value is None else str(self._value)

    def __int__(self) -> int:
        return self._value  # type: ignore[return-value]  # None: TypeError, as in TF

    def __index__(self) -> int:
        return self._value  # type: ignore[return-value]

    def __bool__(self) -> bool:
        return bool(self._value)

    def is_compatible_with(self, other: Any) -> bool:
        """True unless both are known and differ."""
        other = as_dimension(other)
        return self._value is None or other.value is None or self._value == other.value

    def assert_is_compatible_with(self, other: Any) -> None:
        """Raises ValueError ``Dimensions a and b are not compatible`` if they differ."""
        if not self.is_compatible_with(other):
            raise ValueError(f"Dimensions {self} and {as_dimension(other)} are not compatible")

    def merge_with(self, other: Any) -> Dimension:
        """The known one of two compatible dimensions."""
        other = as_dimension(other)
        self.assert_is_compatible_with(other)
        return Dimension(self._value if self._value is not None else other.value)

    def _arith(self, other: Any, fn: Any, reverse: bool = False) -> Dimension:
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other.value is None:
            return Dimension(None)
        a, b = (other.value, self._value) if reverse else (self._value, other.value)
        return Dimension(fn(a, b))

    def __add__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a + b)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a - b)

    def __rsub__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a - b, reverse=True)

    def __mul__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a * b)

    __rmul__ = __mul__

    def __floordiv__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a // b)

    def __rfloordiv__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a // b, reverse=True)

    def __mod__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a % b)

    def __rmod__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a % b, reverse=True)

    def _compare(self, other: Any, fn: Any) -> bool | None:
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented  # type: ignore[no-any-return]
        if self._value is None or other.value is None:
            return None
        return bool(fn(self._value, other.value))

    def __eq__(self, other: object) -> bool | None:  # type: ignore[override]
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other: object) -> bool | None:  # type: ignore[override]
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other: Any) -> bool | None:
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other: Any) -> bool | None:
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other: Any) -> bool | None:
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other: Any) -> bool | None:
        return self._compare(other, lambda a, b: a >= b)


def as_dimension(value: Any) -> Dimension:
    """``value`` as a Dimension (Dimensions are returned unchanged)."""
    return value if isinstance(value, Dimension) else Dimension(value)


def dimension_value(dimension: Any) -> int | None:
    """The int (or None) of a Dimension or int (``tf.compat.dimension_value``)."""
    return dimension.value if isinstance(dimension, Dimension) else dimension


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
            values = (dimension_value(d) for d in dims)
            self._dims = tuple(None if d is None or int(d) < 0 else int(d) for d in values)

    @property
    def dims(self) -> list[Any] | None:
        """The dimensions (Dimensions under TF1 behaviour, else ints), or None for unknown rank."""
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

    def with_rank(self, rank: int) -> TensorShape:
        """This shape with rank ``rank``. Raises ValueError ``Shape (..) must have rank r``."""
        if self._dims is None:
            return type(self)([None] * rank)
        if len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")
        return self

    def with_rank_at_least(self, rank: int) -> TensorShape:
        """Raises ValueError ``Shape (..) must have rank at least r`` if smaller."""
        if self._dims is not None and len(self._dims) < rank:
            raise ValueError(f"Shape {self} must have rank at least {rank}")
        return self

    def with_rank_at_most(self, rank: int) -> TensorShape:
        """Raises ValueError ``Shape (..) must have rank at most r`` if larger."""
        if self._dims is not None and len(self._dims) > rank:
            raise ValueError(f"Shape {self} must have rank at most {rank}")
        return self

    def assert_has_rank(self, rank: int) -> None:
        """Raises ValueError unless the rank is unknown or ``rank``."""
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def assert_is_compatible_with(self, other: Any) -> None:
        """Raises ValueError ``Shapes a and b are incompatible``."""
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are incompatible")

    def concatenate(self, other: Any) -> TensorShape:
        """The dimensions of this shape followed by those of ``other``."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return type(self)(None)
        return type(self)(list(self._dims) + list(other._dims))

    def __add__(self, other: Any) -> TensorShape:
        return self.concatenate(other)

    def most_specific_compatible_shape(self, other: Any) -> TensorShape:
        """The most specific shape compatible with both (unknown where they differ)."""
        other = as_shape(other)
        if self._dims is None or other._dims is None or len(self._dims) != len(other._dims):
            return type(self)(None)
        return type(self)(
            [a if a == b else None for a, b in zip(self._dims, other._dims, strict=True)]
        )

    def merge_with(self, other: Any) -> TensorShape:
        """The more specific of two compatible shapes.

        Raises:
            ValueError: if they are incompatible.
        """
        other = as_shape(other)
        if self._dims is None:
            return type(self)(other)
        if other._dims is None:
            return self
        if len(self._dims) != len(other._dims):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        merged = []
        for a, b in zip(self._dims, other._dims, strict=True):
            if a is not None and b is not None and a != b:
                raise ValueError(f"Shapes {self} and {other} are not compatible")
            merged.append(a if a is not None else b)
        return type(self)(merged)

    def is_compatible_with(self, other: Any) -> bool:
        """True if the shapes could describe the same tensor."""
        try:
            self.merge_with(other)
        except ValueError:
            return False
        return True

    def __iter__(self) -> Iterator[Any]:
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self._dims)

    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __getitem__(self, key: Any) -> Any:
        if self._dims is None:
            return type(self)(None) if isinstance(key, slice) else None
        if isinstance(key, slice):
            return type(self)(self._dims[key])
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


class V1TensorShape(TensorShape):
    """A TensorShape as TF1 code sees it (``disable_v2_tensorshape``): Dimension objects.

    Indexing and iterating give :class:`Dimension` (``x.get_shape()[-1].value``), ``dims``
    is a list of Dimensions and ``repr`` shows them; ``as_list`` stays ints. Tensors hand
    these to user code under ``python -m stowflow.tf1``; stowflow's own code always sees
    plain :class:`TensorShape` ints.
    """

    __slots__ = ()

    @property
    def dims(self) -> list[Any] | None:  # type: ignore[override]
        """The dimensions as Dimension objects, or None for unknown rank."""
        return None if self._dims is None else [Dimension(d) for d in self._dims]

    def __iter__(self) -> Iterator[Any]:
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter([Dimension(d) for d in self._dims])

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return super().__getitem__(key)
        return Dimension(None if self._dims is None else self._dims[key])

    def __repr__(self) -> str:
        if self._dims is None:
            return "TensorShape(None)"
        return f"TensorShape([{', '.join(repr(Dimension(d)) for d in self._dims)}])"


_v2_strings = [False]
_v1_dims = [False]


def use_v1_dimensions(enabled: bool) -> bool:
    """TF1 behaviour: user code gets :class:`V1TensorShape` (Dimensions) from tensors.

    ``python -m stowflow.tf1`` switches this on; ``import stowflow`` keeps TF2's ints.
    Returns the previous setting.
    """
    previous = _v1_dims[0]
    _v1_dims[0] = bool(enabled)
    return previous


def v1_dimensions() -> bool:
    """True under TF1 shape behaviour (see :func:`use_v1_dimensions`)."""
    return _v1_dims[0]


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
