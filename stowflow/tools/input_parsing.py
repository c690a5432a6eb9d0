"""Safe parsing of ``saved_model_cli run``'s ``--inputs``, ``--input_exprs``, ``--input_examples``.

TensorFlow's CLI hands ``--input_exprs`` to ``ast.literal_eval`` (literals only) and loads
``--inputs`` with ``np.load(allow_pickle=True)``. stowflow accepts more expressions and runs
less code:

* ``--input_exprs`` is parsed with :mod:`ast` and checked *completely* before anything is
  evaluated. Accepted: literals (numbers, strings, bytes, True/False/None, lists, tuples,
  unary minus/plus), the constants ``np.nan np.inf np.pi np.e``, dtype names (``np.float32``),
  calls of the NumPy constructors in :data:`FUNCTIONS` with such arguments, and the methods
  in :data:`METHODS` on their results (``np.arange(6).reshape(2, 3)``,
  ``np.random.RandomState(0).rand(2, 3)``). ``dtype=`` takes a name from :data:`DTYPES`.
  Everything else (other names, attributes, subscripts, operators, comprehensions, lambdas,
  dunders) is refused with a one-line :class:`InputError` naming the construct. Arrays are
  limited to :data:`MAX_ELEMENTS` elements and :data:`MAX_BYTES` bytes, checked before they
  are allocated (from the shape, the dtype and the length of string values) and again after.
  ``eval``/``exec`` are never used.
* ``--inputs`` loads ``.npy``/``.npz`` with ``allow_pickle=False``; pickled data (a pickle
  file, or object arrays) is refused unless the caller opts in with ``allow_pickle=True``.
  A file, an ``.npz`` member (uncompressed) and the array a ``.npy`` header declares are each
  limited to :data:`MAX_INPUT_FILE_BYTES`, checked before anything is inflated or allocated.
* ``--input_examples`` is read with ``ast.literal_eval`` and turned into serialized
  ``tf.train.Example`` protos the way TF's CLI does (int -> int64_list, float -> float_list,
  str/bytes -> bytes_list).

Example:
    >>> parse_input_exprs("x=np.ones((2, 3), dtype=np.float32);n=[1, 2]")["x"].shape
    (2, 3)
"""

from __future__ import annotations

import ast
import logging
import math
import os
import re
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stowflow.proto import example_pb2

logger = logging.getLogger("tensorflow")

MAX_ELEMENTS = 2**26
"""Largest array (in elements) an ``--input_exprs`` expression may build."""
MAX_BYTES = 1 << 30
"""Largest array (in bytes, 1 GiB) an ``--input_exprs`` expression may build (string arrays
can be large with few elements: ``np.full(2**20, "x" * 4096)`` is 16 GiB)."""
MAX_EXPR_CHARS = 1 << 20
"""Longest ``--input_exprs``/``--input_examples`` value accepted."""
MAX_INPUT_FILE_BYTES = 1 << 32
"""Largest ``--inputs`` file, ``.npz`` member (uncompressed) or declared array accepted (4 GiB)."""


class InputError(ValueError):
    """A bad ``--inputs``/``--input_exprs``/``--input_examples`` value (one-line message)."""


# ----------------------------------------------------------------------------------- dtypes
DTYPES: dict[str, np.dtype] = {
    name: np.dtype(name)
    for name in (
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64", "complex64", "complex128", "str_", "bytes_",
    )
}  # fmt: skip
DTYPES.update({"double": DTYPES["float64"]})
DTYPES.update({"half": DTYPES["float16"], "single": DTYPES["float32"], "bool_": DTYPES["bool"]})

CONSTANTS: dict[str, float] = {
    "np.nan": math.nan,
    "np.inf": math.inf,
    "np.pi": math.pi,
    "np.e": math.e,
}


def _as_dtype(value: Any) -> np.dtype:
    if isinstance(value, np.dtype):
        return value
    if isinstance(value, str) and value in DTYPES:
        return DTYPES[value]
    raise InputError(f"dtype {value!r} is not allowed; use one of {', '.join(sorted(DTYPES))}")


# ------------------------------------------------------------------------------ size checks
SizeFn = Callable[[tuple[Any, ...], dict[str, Any]], int]


def _count(shape: Any) -> int:
    """Elements of a NumPy ``shape`` argument (an int or a sequence of ints)."""
    dims = shape if isinstance(shape, list | tuple) else (shape,)
    total = 1
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int | np.integer):
            raise InputError(f"shape {shape!r} must be an int or a tuple of ints")
        if d < 0:
            raise InputError(f"shape {shape!r} has a negative dimension")
        total *= int(d)
    return total


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], pos: int, name: str, default: Any) -> Any:
    if len(args) > pos:
        return args[pos]
    return kwargs.get(name, default)


def _leaves(value: Any) -> Iterator[Any]:
    """The non-list/tuple items of a nested literal (arrays and scalars), without copying."""
    if isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _elements(value: Any) -> int:
    """Elements ``np.asarray(value)`` would have at most, without building it."""
    return sum(int(v.size) if isinstance(v, np.ndarray) else 1 for v in _leaves(value))


def _array_elements(values: Sequence[Any]) -> list[int]:
    """:func:`_elements` of the array-like (list, tuple, ndarray) values."""
    return [_elements(v) for v in values if isinstance(v, list | tuple | np.ndarray)]


def _leaf_dtype(value: Any) -> np.dtype:
    if isinstance(value, np.ndarray | np.generic):
        return value.dtype
    if isinstance(value, str):
        return np.dtype(f"U{max(len(value), 1)}")
    if isinstance(value, bytes):
        return np.dtype(f"S{max(len(value), 1)}")
    return np.asarray(value).dtype  # a Python number, bool or None: tiny


def _cast_itemsize(source: np.dtype, dtype: np.dtype) -> int:
    """Bytes per element of ``source`` values cast to ``dtype`` (``np.str_`` sizes itself).

    For every dtype but ``object`` the size depends on the dtypes alone, not on the values.

    Raises:
        InputError: for Python objects (None, huge ints) made strings: their size is unknown.
    """
    if source.kind == "O" and dtype.kind in "US":
        raise InputError("Python objects (None, ints beyond int64) cannot be made strings")
    return int(np.zeros(1, source).astype(dtype).itemsize)


def _value_itemsize(value: Any, dtype: np.dtype | None) -> int:
    """Bytes per element of ``np.array(value, dtype=dtype)``; an upper bound for strings.

    Only the distinct dtypes of the leaves are examined, so nothing large is built.
    """
    dtypes = {_leaf_dtype(v) for v in _leaves(value)}
    if not dtypes:
        return 8 if dtype is None else _empty_itemsize(dtype)
    if dtype is not None:
        return max(_cast_itemsize(d, dtype) for d in dtypes)
    if any(d.kind == "O" for d in dtypes):  # an object array holds references
        return max(d.itemsize for d in dtypes)
    if any(d.kind in "US" for d in dtypes):  # mixed with numbers, all become strings
        text = np.dtype(np.str_ if any(d.kind == "U" for d in dtypes) else np.bytes_)
        return max(_cast_itemsize(d, text) for d in dtypes)
    return max(d.itemsize for d in dtypes)


def _empty_itemsize(dtype: np.dtype) -> int:
    """Bytes per element of ``np.empty(n, dtype)`` (plain ``np.str_`` means ``<U1``)."""
    return int(np.empty(0, dtype).itemsize)


def _shape_size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    return _count(_arg(args, kwargs, 0, "shape", ()))


def _full_size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    # The fill value is converted to an array before it is broadcast into the shape.
    return max(_shape_size(args, kwargs), _elements(_arg(args, kwargs, 1, "fill_value", 0)))


def _size_kw(pos: int) -> SizeFn:
    """Size from a ``size=`` argument at position ``pos``.

    Array arguments (``low=``, ``loc=`` ...) count too: without ``size=`` the result has their
    broadcast shape (at most the product of their sizes); with it, each is converted first.
    """

    def size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
        value = _arg(args, kwargs, pos, "size", None)
        others = [a for i, a in enumerate(args) if i != pos]
        others += [v for k, v in kwargs.items() if k not in ("size", "dtype", "seed")]
        arrays = _array_elements(others)
        if value is None:
            return math.prod(arrays)
        return max([_count(value), *arrays])

    return size


def _dims_size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    return _count(tuple(args))


def _arange_size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    start, stop, step = 0, None, kwargs.get("step", 1)
    if len(args) == 1:
        stop = args[0]
    elif len(args) >= 2:
        start, stop = args[0], args[1]
        step = args[2] if len(args) > 2 else step
    start = kwargs.get("start", start)
    stop = kwargs.get("stop", stop)
    numbers = (start, stop, step)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers):
        raise InputError("np.arange takes numbers (start, stop, step)")
    if step == 0 or not all(math.isfinite(v) for v in numbers):
        raise InputError("np.arange needs finite bounds and a non-zero step")
    return max(0, math.ceil((stop - start) / step))


def _linspace_size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    # Array bounds make a (num, *broadcast shape) result.
    bounds = [_arg(args, kwargs, 0, "start", 0), _arg(args, kwargs, 1, "stop", 0)]
    return _count(_arg(args, kwargs, 2, "num", 50)) * math.prod(_array_elements(bounds))


def _eye_size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    n = _arg(args, kwargs, 0, "N", 0)
    m = _arg(args, kwargs, 1, "M", None)
    return _count((n, n if m is None else m))


def _like_size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    fill = _array_elements([_arg(args, kwargs, 1, "fill_value", 0)])
    return max([_elements(_arg(args, kwargs, 0, "a", 0)), *fill])


def _source_size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    return _elements(args[0]) if args else 0


def _no_new_size(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    return 0  # the result is checked after the call; reshape/astype never grow an array


# Bytes per element of the result, before the call: (args, kwargs, receiver) -> itemsize.
ItemsizeFn = Callable[[tuple[Any, ...], dict[str, Any], Any], int]


def _dtype_itemsize(args: tuple[Any, ...], kwargs: dict[str, Any], receiver: Any) -> int:
    """``dtype=``'s size, else the receiver's, else float64/int64's (numbers never exceed
    complex128's 16 bytes, so :data:`MAX_ELEMENTS` bounds them; the result is checked too)."""
    if "dtype" in kwargs:
        return _empty_itemsize(kwargs["dtype"])
    return int(receiver.itemsize) if isinstance(receiver, np.ndarray) else 8


def _full_itemsize(args: tuple[Any, ...], kwargs: dict[str, Any], receiver: Any) -> int:
    if "dtype" in kwargs:
        return _empty_itemsize(kwargs["dtype"])
    return _value_itemsize(_arg(args, kwargs, 1, "fill_value", 0), None)


def _like_itemsize(args: tuple[Any, ...], kwargs: dict[str, Any], receiver: Any) -> int:
    if "dtype" in kwargs:
        return _empty_itemsize(kwargs["dtype"])
    return _value_itemsize(_arg(args, kwargs, 0, "a", 0), None)


def _array_itemsize(args: tuple[Any, ...], kwargs: dict[str, Any], receiver: Any) -> int:
    return _value_itemsize(args[0], kwargs.get("dtype")) if args else 8


def _astype_itemsize(args: tuple[Any, ...], kwargs: dict[str, Any], receiver: Any) -> int:
    return _value_itemsize(receiver, _as_dtype(args[0]) if args else None)


# ------------------------------------------------------------------------------- the tables
@dataclass(frozen=True)
class Function:
    """An allowlisted callable: what to call, which keywords it takes, its size before the call."""

    call: Callable[..., Any]
    keywords: frozenset[str] = field(default_factory=frozenset)
    size: SizeFn = _no_new_size
    max_args: int = 3
    itemsize: ItemsizeFn = _dtype_itemsize


def _fn(
    call: Callable[..., Any],
    keywords: str,
    size: SizeFn,
    max_args: int = 3,
    itemsize: ItemsizeFn = _dtype_itemsize,
) -> Function:
    return Function(call, frozenset(keywords.split()), size, max_args, itemsize)


def _seeded(method: str) -> Callable[..., Any]:
    """``np.random.<method>(..., seed=N)``: a private RandomState, never the global one."""

    def call(*args: Any, seed: int | None = None, **kwargs: Any) -> Any:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise InputError(f"seed= must be an int, not {seed!r}")
        return getattr(np.random.RandomState(seed), method)(*args, **kwargs)

    return call


def _random_state(seed: Any) -> np.random.RandomState:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"np.random.RandomState needs an int seed, not {seed!r}")
    return np.random.RandomState(seed)


def _default_rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"np.random.default_rng needs an int seed, not {seed!r}")
    return np.random.default_rng(seed)


_RANDOM: dict[str, tuple[str, SizeFn, int]] = {
    # method: (keywords, size, max positional args)
    "rand": ("", _dims_size, 8),
    "randn": ("", _dims_size, 8),
    "random_sample": ("size", _size_kw(0), 1),
    "uniform": ("low high size", _size_kw(2), 3),
    "normal": ("loc scale size", _size_kw(2), 3),
    "randint": ("low high size dtype", _size_kw(2), 3),
}
_GENERATOR: dict[str, tuple[str, SizeFn, int]] = {
    "random": ("size dtype", _size_kw(0), 1),
    "standard_normal": ("size dtype", _size_kw(0), 1),
    "uniform": ("low high size", _size_kw(2), 3),
    "normal": ("loc scale size", _size_kw(2), 3),
    "integers": ("low high size dtype endpoint", _size_kw(2), 3),
}

FUNCTIONS: dict[str, Function] = {
    "np.array": _fn(np.array, "dtype", _source_size, 1, _array_itemsize),
    "np.asarray": _fn(np.asarray, "dtype", _source_size, 1, _array_itemsize),
    "np.ones": _fn(np.ones, "shape dtype", _shape_size, 2),
    "np.zeros": _fn(np.zeros, "shape dtype", _shape_size, 2),
    "np.full": _fn(np.full, "shape fill_value dtype", _full_size, 3, _full_itemsize),
    "np.arange": _fn(np.arange, "start stop step dtype", _arange_size, 3),
    "np.linspace": _fn(np.linspace, "start stop num endpoint dtype", _linspace_size, 3),
    "np.eye": _fn(np.eye, "N M k dtype", _eye_size, 3),
    "np.identity": _fn(
        np.identity, "n dtype", lambda a, k: _count(2 * (_arg(a, k, 0, "n", 0),)), 1
    ),
    "np.ones_like": _fn(np.ones_like, "a dtype", _like_size, 1, _like_itemsize),
    "np.zeros_like": _fn(np.zeros_like, "a dtype", _like_size, 1, _like_itemsize),
    "np.full_like": _fn(np.full_like, "a fill_value dtype", _like_size, 2, _like_itemsize),
    "np.random.RandomState": _fn(_random_state, "", _no_new_size, 1),
    "np.random.default_rng": _fn(_default_rng, "", _no_new_size, 1),
    **{
        f"np.random.{name}": _fn(_seeded(name), kws + " seed", size, n)
        for name, (kws, size, n) in _RANDOM.items()
    },
    **{
        f"np.{name}": _fn(lambda v, _d=d: _d.type(v), "", _no_new_size, 1)
        for name, d in DTYPES.items()
    },
}
"""Dotted callee name (``numpy.`` is accepted for ``np.``) -> what may be called."""


def _method(name: str) -> Callable[..., Any]:
    return lambda receiver, *args, **kwargs: getattr(receiver, name)(*args, **kwargs)


METHODS: dict[tuple[type, str], Function] = {
    (np.ndarray, "reshape"): _fn(lambda a, *shape: a.reshape(*shape), "", _no_new_size, 8),
    (np.ndarray, "astype"): _fn(
        lambda a, dtype: a.astype(_as_dtype(dtype)), "", _no_new_size, 1, _astype_itemsize
    ),
    (np.ndarray, "transpose"): _fn(lambda a, *axes: a.transpose(*axes), "", _no_new_size, 8),
    **{
        (np.random.RandomState, name): _fn(_method(name), kws, size, n)
        for name, (kws, size, n) in _RANDOM.items()
    },
    **{
        (np.random.Generator, name): _fn(_method(name), kws, size, n)
        for name, (kws, size, n) in _GENERATOR.items()
    },
}
"""(receiver type, method name) -> the method calls allowed on call results."""
_METHOD_NAMES = frozenset(name for _, name in METHODS)
_ALLOWED_CALLS = (
    ", ".join(sorted(n for n in FUNCTIONS if n.removeprefix("np.") not in DTYPES))
    + " and np.<dtype>(value)"
)

_CONSTRUCTS: dict[type, str] = {
    ast.Name: "a name",
    ast.Subscript: "subscripting ([...])",
    ast.BinOp: "an arithmetic operator",
    ast.BoolOp: "'and'/'or'",
    ast.Compare: "a comparison",
    ast.Lambda: "a lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.IfExp: "a conditional expression",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Starred: "* unpacking",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "':='",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.Slice: "a slice",
}
_LITERAL_TYPES = (int, float, complex, str, bytes, bool, type(None))


# ----------------------------------------------------------------------- static validation
def _dotted(node: ast.AST) -> str | None:
    """``np.random.rand`` for an Attribute chain rooted at the name np/numpy, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in ("np", "numpy"):
        return None
    return ".".join(["np", *reversed(parts)])


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return f"the name {node.id!r}"
    if isinstance(node, ast.Attribute):
        return f"the attribute {ast.unparse(node)!r}"
    if isinstance(node, ast.Call):
        return f"the call of {ast.unparse(node.func)!r}"
    return _CONSTRUCTS.get(type(node), type(node).__name__)


def _refuse(node: ast.AST, why: str = "is not allowed") -> InputError:
    return InputError(f"{_describe(node)} {why} (at column {getattr(node, 'col_offset', 0) + 1})")


def _check(node: ast.AST) -> None:
    """Raises InputError for the first construct outside the allowlist; evaluates nothing."""
    checker = _CHECKERS.get(type(node))
    if checker is None:
        raise _refuse(node)
    checker(node)


def _check_constant(node: ast.Constant) -> None:
    if not isinstance(node.value, _LITERAL_TYPES):
        raise _refuse(node)


def _check_sequence(node: ast.List | ast.Tuple) -> None:
    for element in node.elts:
        _check(element)


def _check_unary(node: ast.UnaryOp) -> None:
    if not isinstance(node.op, ast.USub | ast.UAdd):
        raise InputError(f"the operator {type(node.op).__name__} is not allowed")
    _check(node.operand)


def _check_attribute(node: ast.Attribute) -> None:
    name = _dotted(node)
    if name is None or (name not in CONSTANTS and name.removeprefix("np.") not in DTYPES):
        raise _refuse(node)


def _check_call(node: ast.Call) -> None:
    func = node.func
    name = _dotted(func)
    if name is not None:
        if name not in FUNCTIONS:
            raise _refuse(node, f"is not allowed; allowed calls: {_ALLOWED_CALLS}")
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        _check(func.value)  # report the innermost offender first (``__import__`` in a chain)
        if func.attr not in _METHOD_NAMES:
            raise _refuse(
                node, f"is not allowed; allowed methods: {', '.join(sorted(_METHOD_NAMES))}"
            )
    else:
        raise _refuse(node)
    for arg in node.args:
        _check(arg)
    for keyword in node.keywords:
        if keyword.arg is None:
            raise InputError("** unpacking is not allowed")
        _check(keyword.value)


_CHECKERS: dict[type, Callable[[Any], None]] = {
    ast.Constant: _check_constant,
    ast.List: _check_sequence,
    ast.Tuple: _check_sequence,
    ast.UnaryOp: _check_unary,
    ast.Attribute: _check_attribute,
    ast.Call: _check_call,
}


# ------------------------------------------------------------------------------- evaluation
def _evaluate(node: ast.AST) -> Any:
    return _EVALUATORS[type(node)](node)


def _invoke(
    what: str, fn: Function, args: tuple[Any, ...], kwargs: dict[str, Any], receiver: Any = None
) -> Any:
    unknown = sorted(set(kwargs) - fn.keywords)
    if unknown:
        raise InputError(f"{what}() does not take the keyword(s) {', '.join(unknown)}")
    if len(args) > fn.max_args:
        raise InputError(f"{what}() takes at most {fn.max_args} positional arguments")
    if "dtype" in kwargs:
        kwargs["dtype"] = _as_dtype(kwargs["dtype"])
    try:
        size = fn.size(args, kwargs)
        if isinstance(receiver, np.ndarray):
            size = max(size, receiver.size)  # reshape/astype/transpose keep the element count
        if size > MAX_ELEMENTS:
            raise InputError(f"{what}() would build {size} elements; the limit is {MAX_ELEMENTS}")
        nbytes = size * fn.itemsize(args, kwargs, receiver)
        if nbytes > MAX_BYTES:
            raise InputError(f"{what}() would build {nbytes} bytes; the limit is {MAX_BYTES}")
        result = (
            fn.call(*args, **kwargs) if receiver is None else fn.call(receiver, *args, **kwargs)
        )
    except InputError:
        raise
    except (TypeError, ValueError, OverflowError, MemoryError) as e:
        raise InputError(f"{what}() failed: {e}") from None
    if isinstance(result, np.ndarray) and result.size > MAX_ELEMENTS:
        raise InputError(f"{what}() built {result.size} elements; the limit is {MAX_ELEMENTS}")
    if isinstance(result, np.ndarray) and result.nbytes > MAX_BYTES:
        raise InputError(f"{what}() built {result.nbytes} bytes; the limit is {MAX_BYTES}")
    return result


def _evaluate_call(node: ast.Call) -> Any:
    args = tuple(_evaluate(a) for a in node.args)
    kwargs = {str(k.arg): _evaluate(k.value) for k in node.keywords}
    name = _dotted(node.func)
    if name is not None:
        return _invoke(name, FUNCTIONS[name], args, kwargs)
    if not isinstance(node.func, ast.Attribute):  # _check_call admits nothing else
        raise InputError(f"cannot call {ast.dump(node.func)}")
    receiver = _evaluate(node.func.value)
    method = next(
        (
            f
            for (kind, n), f in METHODS.items()
            if n == node.func.attr and isinstance(receiver, kind)
        ),
        None,
    )
    if method is None:
        raise InputError(
            f"the method {node.func.attr!r} is not allowed on a {type(receiver).__name__}"
        )
    return _invoke(f".{node.func.attr}", method, args, kwargs, receiver)


def _evaluate_unary(node: ast.UnaryOp) -> Any:
    value = _evaluate(node.operand)
    if isinstance(value, bool) or not isinstance(value, int | float | complex | np.number):
        raise InputError(f"unary minus/plus needs a number, not {type(value).__name__}")
    return -value if isinstance(node.op, ast.USub) else +value


def _evaluate_attribute(node: ast.Attribute) -> Any:
    name = str(_dotted(node))
    return CONSTANTS[name] if name in CONSTANTS else DTYPES[name.removeprefix("np.")]


_EVALUATORS: dict[type, Callable[[Any], Any]] = {
    ast.Constant: lambda node: node.value,
    ast.List: lambda node: [_evaluate(e) for e in node.elts],
    ast.Tuple: lambda node: tuple(_evaluate(e) for e in node.elts),
    ast.UnaryOp: _evaluate_unary,
    ast.Attribute: _evaluate_attribute,
    ast.Call: _evaluate_call,
}


def safe_eval(expr: str) -> Any:
    """Evaluates one ``--input_exprs`` expression under the allowlist (see the module doc).

    Returns:
        A Python literal (list, number, ...) or a NumPy array.

    Raises:
        InputError: naming the first construct that is not allowed, or a failed/oversized call.

    Example:
        >>> safe_eval("np.arange(6, dtype=np.float32).reshape(2, 3)").shape
        (2, 3)
    """
    if len(expr) > MAX_EXPR_CHARS:
        raise InputError(f"expression is longer than {MAX_EXPR_CHARS} characters")
    try:
        tree = ast.parse(expr.lstrip(" \t"), mode="eval")
    except SyntaxError as e:
        raise InputError(f"expression {expr!r} is not valid Python syntax: {e.msg}") from None
    _check(tree.body)
    value = _evaluate(tree.body)
    if isinstance(value, np.dtype):
        raise InputError(f"expression {expr!r} is a dtype, not a value")
    if isinstance(value, np.random.RandomState | np.random.Generator):
        raise InputError(f"expression {expr!r} is a {type(value).__name__}, not a value")
    return value


# ----------------------------------------------------------------------- the three flags
_INPUT_WITH_KEY = re.compile(r"([^=]+)=([^\[\]]+)\[([^\[\]]+)\]$")
_INPUT_PLAIN = re.compile(r"([^=]+)=([^\[\]]+)$")


def parse_inputs(inputs: str) -> dict[str, tuple[str, str | None]]:
    """``'x=a.npy;y=b.npz[key]'`` -> ``{'x': ('a.npy', None), 'y': ('b.npz', 'key')}``.

    Raises:
        InputError: TF's message for an entry in neither form.
    """
    parsed: dict[str, tuple[str, str | None]] = {}
    for entry in filter(None, inputs.split(";")):
        match = _INPUT_WITH_KEY.match(entry)
        if match:
            parsed[match.group(1)] = (match.group(2), match.group(3))
            continue
        match = _INPUT_PLAIN.match(entry)
        if not match:
            raise InputError(
                f'--inputs "{entry}" format is incorrect. Please follow'
                '"<input_key>=<filename>", or"<input_key>=<filename>[<variable_name>]"'
            )
        parsed[match.group(1)] = (match.group(2), None)
    return parsed


def _split_key(entry: str, flag: str, what: str) -> tuple[str, str]:
    if "=" not in entry:
        raise InputError(f'{flag} "{entry}" format is incorrect. Please follow"<input_key>={what}"')
    key, value = entry.split("=", 1)
    return key, value


def parse_input_exprs(input_exprs: str) -> dict[str, Any]:
    """``'x=np.ones((2,3));y=[1,2]'`` -> key -> value, each through :func:`safe_eval`.

    Raises:
        InputError: for a missing ``=`` or a refused expression (naming the key).
    """
    if len(input_exprs) > MAX_EXPR_CHARS:
        raise InputError(f"--input_exprs is longer than {MAX_EXPR_CHARS} characters")
    values: dict[str, Any] = {}
    for entry in filter(None, input_exprs.split(";")):
        key, expr = _split_key(entry, "--input_exprs", "<python expression>")
        try:
            values[key] = safe_eval(expr)
        except InputError as e:
            raise InputError(f"--input_exprs {key}: {e}") from None
    return values


def _feature(example: Any, name: str, values: Any) -> None:
    if not isinstance(values, list):
        raise InputError(f'feature value must be a list, but {name}: "{values}" is {type(values)}')
    if not values:
        raise InputError(f"feature {name!r} has an empty value list; its type is unknown")
    first = values[0]
    feature = example.features.feature[name]
    # TF's CLI looks at the first value only; bool counts as int (it is one in Python).
    if isinstance(first, float):
        feature.float_list.value.extend(values)
    elif isinstance(first, str):
        feature.bytes_list.value.extend(v.encode("utf8") for v in values)
    elif isinstance(first, bytes):
        feature.bytes_list.value.extend(values)
    elif isinstance(first, int):
        feature.int64_list.value.extend(values)
    else:
        raise InputError(
            f"Type {type(first)} for value {first} is not supported for tf.train.Feature."
        )


def make_example(features: Any) -> bytes:
    """One serialized ``tf.train.Example`` from ``{"name": [values...]}``.

    Raises:
        InputError: for a non-dict, a non-list value, an empty list or an unsupported type.
    """
    if not isinstance(features, dict):
        raise InputError(f"each tf.Example must be a dict of feature lists, not {features!r}")
    example = example_pb2.Example()
    try:
        for name, values in features.items():
            _feature(example, str(name), values)
    except (TypeError, ValueError) as e:
        if isinstance(e, InputError):
            raise
        raise InputError(f"bad tf.Example feature values: {e}") from None
    return bytes(example.SerializeToString())


def parse_input_examples(input_examples: str) -> dict[str, list[bytes]]:
    """``'e=[{"age":[22],"w":[0.5]}]'`` -> key -> serialized ``tf.train.Example`` protos.

    Raises:
        InputError: for bad syntax, a non-list, or bad features.
    """
    if len(input_examples) > MAX_EXPR_CHARS:
        raise InputError(f"--input_examples is longer than {MAX_EXPR_CHARS} characters")
    parsed: dict[str, list[bytes]] = {}
    for entry in filter(None, input_examples.split(";")):
        key, text = _split_key(entry, "--input_examples", "<[{feature:value list}]>")
        try:
            examples = ast.literal_eval(text.lstrip(" \t"))  # literals only: no code runs
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise InputError(f'Expression "{text}" is not a valid python literal.') from None
        if not isinstance(examples, list):
            raise InputError(
                f'tf.Example input must be a list of dictionaries, but "{examples}" is '
                f"{type(examples)}"
            )
        parsed[key] = [make_example(e) for e in examples]
    return parsed


_PICKLE_REFUSED = (
    "Input file {} holds pickled data (a pickle file or an array of Python objects); "
    "loading it could run arbitrary code. Pass --allow_pickle if you trust this file."
)


def _declared_npy_bytes(f: Any) -> int | None:
    """Bytes of the array a ``.npy`` stream's header declares (read from ``f``'s position).

    Returns None for a stream that is not ``.npy`` (or a version numpy refuses to load); a
    header numpy cannot read raises ValueError, as ``np.load`` would.
    """
    fmt = np.lib.format
    magic = f.read(fmt.MAGIC_LEN)
    if len(magic) != fmt.MAGIC_LEN or not magic.startswith(fmt.MAGIC_PREFIX):
        return None
    version = (magic[-2], magic[-1])
    if version not in ((1, 0), (2, 0), (3, 0)):
        return None
    # Versions 2.0 and 3.0 share the header layout (3.0 allows UTF-8 field names).
    read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _, dtype = read(f)
    return math.prod(shape) * max(dtype.itemsize, 1)


def _check_npy_header(f: Any, what: str) -> None:
    """Refuses a ``.npy`` whose header declares an array over :data:`MAX_INPUT_FILE_BYTES`.

    ``np.load`` allocates the declared array before reading the data, so a tiny file could
    otherwise ask for any amount of memory.
    """
    try:
        declared = _declared_npy_bytes(f)
    except (ValueError, EOFError, SyntaxError) as e:
        raise InputError(f"{what} is not a .npy/.npz file: {e}") from None
    if declared is not None and declared > MAX_INPUT_FILE_BYTES:
        raise InputError(
            f"{what} declares an array of {declared} bytes; the limit is {MAX_INPUT_FILE_BYTES}"
        )


def _load_file(filename: str, allow_pickle: bool) -> Any:
    if not os.path.isfile(filename):
        raise InputError(f"Input file {filename} does not exist.")
    size = os.path.getsize(filename)
    if size > MAX_INPUT_FILE_BYTES:
        raise InputError(
            f"Input file {filename} is {size} bytes; the limit is {MAX_INPUT_FILE_BYTES}"
        )
    try:
        with open(filename, "rb") as f:
            _check_npy_header(f, f"Input file {filename}")
    except OSError as e:
        raise InputError(f"Input file {filename} could not be read: {e}") from None
    if allow_pickle:
        # Printed, not logged: this must reach the user whatever the logging setup.
        print(
            f"WARNING: --allow_pickle: {filename} may be unpickled; a pickle can run arbitrary "
            "code, only load files you trust.",
            file=sys.stderr,
        )
    try:
        return np.load(filename, allow_pickle=allow_pickle)
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise InputError(_PICKLE_REFUSED.format(filename)) from None
        raise InputError(f"Input file {filename} is not a .npy/.npz file: {e}") from None
    except (OSError, EOFError) as e:
        raise InputError(f"Input file {filename} could not be read: {e}") from None


def _check_npz_member(data: Any, filename: str, name: str) -> None:
    """Refuses an ``.npz`` member that inflates, or declares an array, over the limit.

    Raises:
        InputError: naming the member, before anything is decompressed past its header.
    """
    archive = data.zip
    names = set(archive.namelist())
    member = name if name in names or f"{name}.npy" not in names else f"{name}.npy"
    what = f"Input file {filename}: {name}"
    try:
        info = archive.getinfo(member)
        if info.file_size > MAX_INPUT_FILE_BYTES:
            raise InputError(
                f"{what} is {info.file_size} bytes uncompressed; the limit is "
                f"{MAX_INPUT_FILE_BYTES}"
            )
        with archive.open(info) as f:
            _check_npy_header(f, what)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as e:
        raise InputError(f"{what} could not be read: {e}") from None


def _member(data: Any, filename: str, name: str) -> Any:
    if isinstance(data, np.lib.npyio.NpzFile):
        _check_npz_member(data, filename, name)
    try:
        return np.asarray(data[name]) if isinstance(data, np.lib.npyio.NpzFile) else data[name]
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise InputError(_PICKLE_REFUSED.format(filename)) from None
        raise InputError(f"Input file {filename}: {name}: {e}") from None


def load_input_file(filename: str, variable_name: str | None, allow_pickle: bool = False) -> Any:
    """The value of one ``--inputs`` entry, with TF's rules for ``[variable_name]``.

    A ``.npy`` ignores the name (with a warning); an ``.npz`` needs it unless it holds exactly
    one array; a pickled dict (only with ``allow_pickle``) is indexed by it.

    Raises:
        InputError: missing file or name, several arrays and no name, or refused pickle data.
    """
    data = _load_file(filename, allow_pickle)
    try:
        if variable_name:
            if isinstance(data, np.ndarray):
                logger.warning(
                    'Input file %s contains a single ndarray. Name key "%s" ignored.',
                    filename,
                    variable_name,
                )
                return data
            if variable_name not in data:
                raise InputError(
                    f'Input file {filename} does not contain variable with name "{variable_name}".'
                )
            return _member(data, filename, variable_name)
        if isinstance(data, np.lib.npyio.NpzFile):
            if len(data.files) != 1:
                raise InputError(
                    f"Input file {filename} contains more than one ndarrays. Please specify "
                    "the name of ndarray to use."
                )
            return _member(data, filename, data.files[0])
        return data
    finally:
        if isinstance(data, np.lib.npyio.NpzFile):
            data.close()


def load_inputs(
    inputs: str = "",
    input_exprs: str = "",
    input_examples: str = "",
    allow_pickle: bool = False,
) -> dict[str, Any]:
    """The feed values for ``run``: files, then expressions, then examples (later ones win).

    Everything is parsed and checked before any file is read.

    Raises:
        InputError: from any of the three flags.
    """
    files = parse_inputs(inputs)
    exprs = parse_input_exprs(input_exprs)
    examples = parse_input_examples(input_examples)
    feeds: dict[str, Any] = {
        key: load_input_file(name, variable, allow_pickle)
        for key, (name, variable) in files.items()
    }
    for key, value in exprs.items():
        if key in feeds:
            logger.warning(
                "input_key %s has been specified with both --inputs and --input_exprs options. "
                "Value in --input_exprs will be used.",
                key,
            )
        feeds[key] = value
    for key, value in examples.items():
        if key in feeds:
            logger.warning(
                "input_key %s has been specified in multiple options. Value in --input_examples "
                "will be used.",
                key,
            )
        feeds[key] = value
    return feeds


__all__: Sequence[str] = [
    "DTYPES",
    "FUNCTIONS",
    "METHODS",
    "MAX_BYTES",
    "MAX_ELEMENTS",
    "MAX_INPUT_FILE_BYTES",
    "InputError",
    "load_input_file",
    "load_inputs",
    "make_example",
    "parse_input_examples",
    "parse_input_exprs",
    "parse_inputs",
    "safe_eval",
]
