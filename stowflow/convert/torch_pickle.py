"""The pickle side of PyTorch's ``.pt`` format, without torch.

Writing emits the few pickle opcodes (protocol 2) that ``torch.save`` produces for a state
dict: an ``OrderedDict`` of ``torch._utils._rebuild_tensor_v2(storage, offset, size,
stride, requires_grad, hooks)`` calls (``_rebuild_tensor_v3`` with an explicit dtype for
dtypes without a legacy storage class), each storage a persistent id ``("storage",
torch.FloatStorage, "<key>", "cpu", numel)`` naming the archive record ``data/<key>``.

Reading is this package's one use of :mod:`pickle`, and it is safe by construction:
PyTorch's format *is* a pickle, so the only way to read it is to unpickle, and
:class:`RestrictedUnpickler` overrides ``find_class`` so that the only globals a file can
name are the tensor-rebuild functions, the storage and dtype markers and
``collections.OrderedDict`` -- all replaced by inert stand-ins defined here. Any other
global (``os.system``, ``builtins.eval``, ...) raises :class:`UnsafePickleError` when the
``GLOBAL`` opcode is read, before anything could be called. This is the same rule
``torch.load(weights_only=True)`` enforces.
"""

from __future__ import annotations

import collections
import io
import math
import pickle
import struct
from dataclasses import dataclass
from typing import Any

from stowflow import dtypes
from stowflow.convert.errors import UnsafePickleError

# TF dtype name -> (legacy storage class or None, torch dtype name). torch/storage.py
# `_dtype_to_storage_type_map`; dtypes without a legacy class go through
# `_rebuild_tensor_v3` with an `UntypedStorage` whose numel counts bytes.
TORCH_DTYPES: dict[str, tuple[str | None, str]] = {
    "float32": ("FloatStorage", "float32"),
    "float64": ("DoubleStorage", "float64"),
    "float16": ("HalfStorage", "float16"),
    "bfloat16": ("BFloat16Storage", "bfloat16"),
    "int64": ("LongStorage", "int64"),
    "int32": ("IntStorage", "int32"),
    "int16": ("ShortStorage", "int16"),
    "int8": ("CharStorage", "int8"),
    "uint8": ("ByteStorage", "uint8"),
    "bool": ("BoolStorage", "bool"),
    "complex64": ("ComplexFloatStorage", "complex64"),
    "complex128": ("ComplexDoubleStorage", "complex128"),
    "uint16": (None, "uint16"),
    "uint32": (None, "uint32"),
    "uint64": (None, "uint64"),
    "float8_e4m3fn": (None, "float8_e4m3fn"),
    "float8_e5m2": (None, "float8_e5m2"),
    "float8_e4m3fnuz": (None, "float8_e4m3fnuz"),
    "float8_e5m2fnuz": (None, "float8_e5m2fnuz"),
}
_TF_OF_STORAGE = {s: tf for tf, (s, _) in TORCH_DTYPES.items() if s}
_TF_OF_TORCH = {t: tf for tf, (_, t) in TORCH_DTYPES.items()}
MAX_PICKLE_BYTES = 1 << 30


# -- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StorageSpec:
    """One tensor to pickle: its storage key, TF dtype name, shape and element count."""

    name: str
    key: str
    dtype: str
    shape: tuple[int, ...]


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """C-order strides in elements, as torch computes them (size-0/1 dims count as 1)."""
    strides = []
    step = 1
    for dim in reversed(shape):
        strides.append(step)
        step *= max(dim, 1)
    return tuple(reversed(strides))


class _Opcodes:
    """A tiny protocol-2 pickle emitter for exactly the values a state dict needs."""

    def __init__(self) -> None:
        self.out = io.BytesIO()

    def raw(self, data: bytes) -> None:
        self.out.write(data)

    def global_(self, module: str, name: str) -> None:
        self.raw(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def text(self, value: str) -> None:
        data = value.encode("utf-8")
        self.raw(b"X" + struct.pack("<I", len(data)) + data)

    def integer(self, value: int) -> None:
        if 0 <= value < 256:
            self.raw(b"K" + bytes([value]))
        elif -(2**31) <= value < 2**31:
            self.raw(b"J" + struct.pack("<i", value))
        else:
            data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
            self.raw(b"\x8a" + bytes([len(data)]) + data)

    def int_tuple(self, values: tuple[int, ...]) -> None:
        if len(values) > 3:
            self.raw(b"(")
        for v in values:
            self.integer(v)
        self.raw({0: b")", 1: b"\x85", 2: b"\x86", 3: b"\x87"}.get(len(values), b"t"))

    def empty_ordered_dict(self) -> None:
        self.global_("collections", "OrderedDict")
        self.raw(b")R")


def state_dict_pickle(specs: list[StorageSpec]) -> bytes:
    """The ``data.pkl`` bytes of an ``OrderedDict`` state dict holding ``specs``."""
    p = _Opcodes()
    p.raw(b"\x80\x02")
    p.empty_ordered_dict()
    p.raw(b"(")
    for spec in specs:
        storage, torch_name = TORCH_DTYPES[spec.dtype]
        count = math.prod(spec.shape)
        p.text(spec.name)
        p.global_("torch._utils", "_rebuild_tensor_v2" if storage else "_rebuild_tensor_v3")
        p.raw(b"((")
        p.text("storage")
        if storage:
            p.global_("torch", storage)
        else:
            p.global_("torch.storage", "UntypedStorage")
        p.text(spec.key)
        p.text("cpu")
        p.integer(count if storage else count * _itemsize(spec.dtype))
        p.raw(b"tQ")  # TUPLE, BINPERSID
        p.integer(0)
        p.int_tuple(spec.shape)
        p.int_tuple(contiguous_strides(spec.shape))
        p.raw(b"\x89")  # requires_grad=False
        p.empty_ordered_dict()  # backward_hooks
        if not storage:
            p.global_("torch", torch_name)
        p.raw(b"tR")  # TUPLE, REDUCE
    p.raw(b"u.")  # SETITEMS, STOP
    return p.out.getvalue()


def _itemsize(tf_name: str) -> int:
    return dtypes.as_dtype(tf_name).size


# -- reading ----------------------------------------------------------------------------------


class _Inert:
    """Base of the stand-ins: refuses pickle's BUILD so a file cannot set their fields."""

    __slots__ = ()

    def __setstate__(self, state: Any) -> None:
        raise UnsafePickleError(None, None, "pickle tried to set state on a tensor stand-in")


@dataclass(frozen=True)
class StorageType(_Inert):
    """``torch.FloatStorage`` and friends (``tf_dtype`` None for ``UntypedStorage``)."""

    tf_dtype: str | None


@dataclass(frozen=True)
class TorchDType(_Inert):
    """A ``torch.<dtype>`` global, as ``_rebuild_tensor_v3`` receives it."""

    tf_dtype: str


@dataclass(frozen=True)
class StorageRef(_Inert):
    """A persistent id: the archive record ``data/<key>`` of ``numel`` elements."""

    key: str
    tf_dtype: str | None
    numel: int


@dataclass(frozen=True)
class LazyTensor(_Inert):
    """What ``_rebuild_tensor_v2/v3`` returns here: where a tensor's elements live."""

    storage: StorageRef
    tf_dtype: str
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]


def _ints(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, tuple) or not all(type(v) is int for v in value):
        raise UnsafePickleError(None, None, f"tensor {what} must be a tuple of ints, got {value!r}")
    return value


def _lazy(storage: Any, offset: Any, size: Any, stride: Any, dtype: str | None) -> LazyTensor:
    if not isinstance(storage, StorageRef) or type(offset) is not int or offset < 0:
        raise UnsafePickleError(None, None, "tensor rebuild call has a bad storage or offset")
    shape, strides = _ints(size, "size"), _ints(stride, "stride")
    if len(shape) != len(strides) or any(d < 0 for d in shape) or any(s < 0 for s in strides):
        raise UnsafePickleError(None, None, f"tensor size {shape} and stride {strides} disagree")
    tf_dtype = dtype or storage.tf_dtype
    if tf_dtype is None:
        raise UnsafePickleError(None, None, "an untyped storage needs _rebuild_tensor_v3's dtype")
    return LazyTensor(storage, tf_dtype, offset, shape, strides)


def _rebuild_v2(
    storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any, hooks: Any, *rest: Any
) -> LazyTensor:
    return _lazy(storage, offset, size, stride, None)


def _rebuild_v3(
    storage: Any,
    offset: Any,
    size: Any,
    stride: Any,
    requires_grad: Any,
    hooks: Any,
    dtype: Any,
    *rest: Any,
) -> LazyTensor:
    if not isinstance(dtype, TorchDType):
        raise UnsafePickleError(None, None, f"_rebuild_tensor_v3 got dtype {dtype!r}")
    return _lazy(storage, offset, size, stride, dtype.tf_dtype)


def _rebuild_parameter(data: Any, requires_grad: Any, hooks: Any, *rest: Any) -> Any:
    if not isinstance(data, LazyTensor):
        raise UnsafePickleError(None, None, "_rebuild_parameter expects a tensor")
    return data


_ALLOWED_FUNCTIONS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_v2,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch.storage", "UntypedStorage"): StorageType(None),
    ("torch", "UntypedStorage"): StorageType(None),
}


def _allowed(module: str, name: str) -> Any:
    found = _ALLOWED_FUNCTIONS.get((module, name))
    if found is None and module == "torch":
        if name in _TF_OF_STORAGE:
            found = StorageType(_TF_OF_STORAGE[name])
        elif name in _TF_OF_TORCH:
            found = TorchDType(_TF_OF_TORCH[name])
    return found


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles a torch ``data.pkl`` admitting only the tensor-rebuild globals.

    Args:
        data: the pickle bytes.
        where: the file name used in error messages.

    Raises (from :meth:`load`):
        UnsafePickleError: for any other global, a bad persistent id or malformed calls.
    """

    def __init__(self, data: bytes, where: str) -> None:
        super().__init__(io.BytesIO(data))
        self._where = where

    def find_class(self, module: str, name: str) -> Any:
        found = _allowed(module, name)
        if found is None:
            raise UnsafePickleError(
                None,
                None,
                f"Refusing to load {self._where}: its pickle names the global "
                f"{module}.{name}, and only PyTorch tensor-rebuild globals are allowed "
                "(the file may run code when loaded by plain pickle)",
            )
        return found

    def persistent_load(self, pid: Any) -> StorageRef:
        if (
            not isinstance(pid, tuple)
            or len(pid) != 5
            or pid[0] != "storage"
            or not isinstance(pid[1], StorageType)
            or not isinstance(pid[2], str)
            or type(pid[4]) is not int
            or pid[4] < 0
        ):
            raise UnsafePickleError(None, None, f"{self._where}: bad persistent id {pid!r}")
        return StorageRef(pid[2], pid[1].tf_dtype, pid[4])


def load_pickle(data: bytes, where: str) -> Any:
    """Unpickles ``data`` with :class:`RestrictedUnpickler`.

    Raises:
        UnsafePickleError: for a refused global or a malformed pickle.
    """
    if len(data) > MAX_PICKLE_BYTES:
        raise UnsafePickleError(None, None, f"{where}: pickle of {len(data)} bytes is too large")
    try:
        return RestrictedUnpickler(data, where).load()
    except UnsafePickleError:
        raise
    except Exception as e:  # any malformed-pickle failure becomes one typed error
        raise UnsafePickleError(None, None, f"{where}: malformed pickle ({e})") from None
