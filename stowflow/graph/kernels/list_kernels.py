"""Kernels for TensorList (v2 ``tf.TensorArray``, DT_VARIANT) and TensorArrayV3 (TF1) ops.

A TensorList value is an immutable :class:`TensorList` (each op returns a new one, as TF
does unless it can reuse a buffer it holds the only reference to); a TF1 TensorArray is a
mutable :class:`TensorArrayStore` carried by its resource handle, with a float "flow"
scalar ordering the writes and reads, as in TF (tensorflow/core/kernels/tensor_array_ops.cc,
list_kernels.h). Unwritten elements read as zeros when the element shape is fully known.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.errors import InvalidArgumentError
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.shape import TensorShape

Attrs = dict[str, Any]
ElementShape = list[int | None] | None  # None: unknown rank


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _shape_str(shape: ElementShape) -> str:
    if shape is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _element_shape(value: Any) -> ElementShape:
    """An element-shape tensor (-1 scalar: unknown rank; -1 entries: unknown dims)."""
    array = np.asarray(value)
    if array.ndim == 0:
        return None if int(array) == -1 else [int(array)]
    return [None if int(d) < 0 else int(d) for d in array.reshape(-1)]


def _merge(a: ElementShape, b: ElementShape) -> ElementShape:
    if a is None:
        return b
    if b is None:
        return a
    if len(a) != len(b):
        raise _invalid(f"Incompatible shapes during merge: {_shape_str(a)} vs. {_shape_str(b)}")
    out: list[int | None] = []
    for x, y in zip(a, b, strict=True):
        if x is not None and y is not None and x != y:
            raise _invalid(f"Incompatible shapes during merge: {_shape_str(a)} vs. {_shape_str(b)}")
        out.append(x if x is not None else y)
    return out


def _compatible(shape: ElementShape, actual: tuple[int, ...]) -> bool:
    if shape is None:
        return True
    return len(shape) == len(actual) and all(d is None or d == a for d, a in zip(shape, actual))


def _zeros(shape: ElementShape, dtype: Any, what: str) -> np.ndarray:
    if shape is None or any(d is None for d in shape):
        raise _invalid(
            f"Trying to read an uninitialized tensor but element_shape is not fully defined: "
            f"{_shape_str(shape)} ({what})"
        )
    return np.zeros([int(d) for d in shape if d is not None], dtype)


def _np_dtype(attr: Any) -> Any:
    return dtypes.as_dtype(attr).as_numpy_dtype


def _scalar(value: Any) -> np.ndarray:
    return np.asarray(value)


# --------------------------------------------------------------------------- TensorList


class TensorList:
    """An immutable list of tensors (the payload of a TensorList variant)."""

    __slots__ = ("items", "element_shape", "dtype")

    def __init__(self, items: list[Any], element_shape: ElementShape, dtype: Any) -> None:
        self.items = items
        self.element_shape = element_shape
        self.dtype = dtype

    def replace(self, items: list[Any]) -> TensorList:
        return TensorList(items, self.element_shape, self.dtype)

    def item(self, index: int, element_shape: ElementShape) -> np.ndarray:
        value = self.items[index]
        if value is None:
            return _zeros(_merge(self.element_shape, element_shape), self.dtype, "TensorList")
        return value

    def __repr__(self) -> str:
        return f"TensorList(len={len(self.items)}, shape={_shape_str(self.element_shape)})"


def _list(value: Any) -> TensorList:
    if isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 0:
        value = value.item()
    if not isinstance(value, TensorList):
        raise _invalid("Input handle is not a list. Saw: '" + type(value).__name__ + "'")
    return value


def _index(value: Any, length: int, verb: str) -> int:
    index = int(np.asarray(value))
    if not 0 <= index < length:
        raise _invalid(f"Trying to {verb} element {index} in a list with {length} elements.")
    return index


@register_kernel("TensorListReserve")
def _reserve(inputs: list[Any], attrs: Attrs) -> list[Any]:
    shape, count = inputs
    n = int(np.asarray(count))
    if n < 0:
        raise _invalid(f"The num_elements to reserve must be a non negative number, but got {n}")
    return [TensorList([None] * n, _element_shape(shape), _np_dtype(attrs["element_dtype"]))]


@register_kernel("EmptyTensorList")
def _empty(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return [TensorList([], _element_shape(inputs[0]), _np_dtype(attrs["element_dtype"]))]


@register_kernel("TensorListFromTensor")
def _from_tensor(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tensor, shape = np.asarray(inputs[0]), _element_shape(inputs[1])
    if tensor.ndim < 1:
        raise _invalid("Tensor must be at least a vector, but saw shape: []")
    if not _compatible(shape, tensor.shape[1:]):
        raise _invalid(
            f"Specified a list with shape {_shape_str(shape)} from a tensor with shape "
            f"{_shape_str(list(tensor.shape))}"
        )
    return [TensorList(list(tensor), shape, tensor.dtype)]


@register_kernel("TensorListLength")
def _length(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return [np.int32(len(_list(inputs[0]).items))]


@register_kernel("TensorListElementShape")
def _list_element_shape(inputs: list[Any], attrs: Attrs) -> list[Any]:
    shape = _list(inputs[0]).element_shape
    out_type = _np_dtype(attrs["shape_type"])
    if shape is None:
        return [np.array(-1, out_type)]
    return [np.array([-1 if d is None else d for d in shape], out_type)]


@register_kernel("TensorListGetItem")
def _get_item(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tl = _list(inputs[0])
    index = _index(inputs[1], len(tl.items), "access")
    return [tl.item(index, _element_shape(inputs[2]))]


@register_kernel("TensorListSetItem")
def _set_item(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tl, item = _list(inputs[0]), np.asarray(inputs[2])
    index = int(np.asarray(inputs[1]))
    items = list(tl.items)
    if index >= len(items) and attrs.get("resize_if_index_out_of_bounds"):
        items.extend([None] * (index + 1 - len(items)))
    _index(index, len(items), "modify")
    if not _compatible(tl.element_shape, item.shape):
        raise _invalid(
            f"Tried to set a tensor with incompatible shape at a list index. Item element "
            f"shape: {_shape_str(list(item.shape))} list shape: {_shape_str(tl.element_shape)}"
        )
    items[index] = item
    return [tl.replace(items)]


@register_kernel("TensorListPushBack")
def _push_back(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tl, item = _list(inputs[0]), np.asarray(inputs[1])
    if not _compatible(tl.element_shape, item.shape):
        raise _invalid(
            f"Tried to append a tensor with incompatible shape to a list. Op element shape: "
            f"{_shape_str(list(item.shape))} list shape: {_shape_str(tl.element_shape)}"
        )
    return [tl.replace([*tl.items, item])]


@register_kernel("TensorListPopBack")
def _pop_back(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tl = _list(inputs[0])
    if not tl.items:
        raise _invalid("Trying to pop from an empty list.")
    last = tl.item(len(tl.items) - 1, _element_shape(inputs[1]))
    return [tl.replace(tl.items[:-1]), last]


def _stacked(tl: TensorList, indices: list[int], shape: ElementShape) -> np.ndarray:
    merged = _merge(tl.element_shape, shape)
    parts = [tl.item(i, merged) for i in indices]
    if not parts:
        if merged is None or any(d is None for d in merged):
            raise _invalid(
                "Tried to stack elements of an empty list with non-fully-defined "
                f"element_shape: {_shape_str(merged)}"
            )
        return np.zeros([0, *[int(d) for d in merged if d is not None]], tl.dtype)
    first = parts[0].shape
    for i, part in zip(indices, parts, strict=True):
        if part.shape != first:
            raise _invalid(
                f"Incompatible shapes in stack: element {i} has shape "
                f"{_shape_str(list(part.shape))}, expected {_shape_str(list(first))}"
            )
    return np.stack(parts).astype(tl.dtype, copy=False)


@register_kernel("TensorListStack")
def _stack(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tl = _list(inputs[0])
    expected = attrs.get("num_elements", -1)
    if expected != -1 and expected != len(tl.items):
        raise _invalid(
            f"Operation expected a list with {expected} elements but got a list with "
            f"{len(tl.items)} elements."
        )
    return [_stacked(tl, list(range(len(tl.items))), _element_shape(inputs[1]))]


@register_kernel("TensorListGather")
def _gather(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tl = _list(inputs[0])
    indices = [_index(i, len(tl.items), "access") for i in np.asarray(inputs[1]).reshape(-1)]
    return [_stacked(tl, indices, _element_shape(inputs[2]))]


@register_kernel("TensorListScatterV2")
def _scatter_new(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tensor, indices = np.asarray(inputs[0]), np.asarray(inputs[1]).reshape(-1)
    count = int(np.asarray(inputs[3]))
    size = max(count, int(indices.max()) + 1 if indices.size else 0)
    items: list[Any] = [None] * size
    for row, index in zip(tensor, indices, strict=True):
        items[int(index)] = row
    return [TensorList(items, _element_shape(inputs[2]), tensor.dtype)]


@register_kernel("TensorListScatterIntoExistingList")
def _scatter_existing(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tl, tensor = _list(inputs[0]), np.asarray(inputs[1])
    items = list(tl.items)
    for row, index in zip(tensor, np.asarray(inputs[2]).reshape(-1), strict=True):
        if int(index) >= len(items):
            items.extend([None] * (int(index) + 1 - len(items)))
        items[int(index)] = row
    return [tl.replace(items)]


@register_kernel("TensorListResize")
def _resize(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tl, size = _list(inputs[0]), int(np.asarray(inputs[1]))
    if size < 0:
        raise _invalid(f"TensorListSlice expects size to be non-negative. Got: {size}")
    items = list(tl.items[:size]) + [None] * max(0, size - len(tl.items))
    return [tl.replace(items)]


@register_kernel("TensorListConcatV2")
def _concat(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tl = _list(inputs[0])
    parts = [tl.item(i, _element_shape(inputs[1])) for i in range(len(tl.items))]
    lengths = np.array([p.shape[0] for p in parts], np.int64)
    if not parts:
        return [np.zeros([0], tl.dtype), lengths]
    return [np.concatenate(parts).astype(tl.dtype, copy=False), lengths]


@register_kernel("TensorListSplit")
def _split(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tensor, lengths = np.asarray(inputs[0]), np.asarray(inputs[2]).reshape(-1)
    if int(lengths.sum()) != tensor.shape[0]:
        raise _invalid(
            f"Unable to split tensor with shape {_shape_str(list(tensor.shape))} into "
            f"lengths summing to {int(lengths.sum())}"
        )
    bounds = np.cumsum(lengths)[:-1]
    return [TensorList(np.split(tensor, bounds), _element_shape(inputs[1]), tensor.dtype)]


# --------------------------------------------------------------------------- TensorArrayV3


class TensorArrayStore:
    """The storage behind one TF1 TensorArray resource."""

    __slots__ = (
        "name", "items", "read", "dtype", "element_shape", "dynamic", "clear_after_read", "identical"
    )

    def __init__(
        self,
        name: str,
        size: int,
        dtype: Any,
        shape: ElementShape,
        dynamic: bool,
        clear: bool,
        identical: bool = True,
    ) -> None:
        self.name = name
        self.items: list[Any] = [None] * size
        self.read = [False] * size
        self.dtype = dtype
        self.element_shape = shape
        self.dynamic = dynamic
        self.clear_after_read = clear
        self.identical = identical  # identical_element_shapes (TF1's infer_shape)

    def write(self, index: int, value: np.ndarray) -> None:
        if index < 0:
            raise _invalid(f"Tried to write to index {index} but array size is: {len(self.items)}")
        if index >= len(self.items):
            if not self.dynamic:
                raise _invalid(
                    f"TensorArray {self.name}: Tried to write to index {index} but array is not "
                    f"resizeable and size is: {len(self.items)}"
                )
            grow = index + 1 - len(self.items)
            self.items.extend([None] * grow)
            self.read.extend([False] * grow)
        if value.dtype != self.dtype:
            raise _invalid(
                f"TensorArray dtype is {dtypes.as_dtype(self.dtype).name} but Op is trying to "
                f"write dtype {dtypes.as_dtype(value.dtype).name}."
            )
        if not _compatible(self.element_shape, value.shape):
            raise _invalid(
                f"Could not write to TensorArray index {index} because the value shape is "
                f"{_shape_str(list(value.shape))} which is incompatible with the TensorArray's "
                f"inferred element shape: {_shape_str(self.element_shape)} (consider setting "
                "infer_shape=False)."
            )
        if self.items[index] is not None:
            raise _invalid(
                f"TensorArray {self.name}: Could not write to TensorArray index {index} because "
                "it has already been written to."
            )
        self.items[index] = value
        unknown = self.element_shape is None or any(d is None for d in self.element_shape)
        if self.identical and unknown:
            self.element_shape = list(value.shape)

    def get(self, index: int, shape: ElementShape) -> np.ndarray:
        if not 0 <= index < len(self.items):
            raise _invalid(f"Tried to read from index {index} but array size is: {len(self.items)}")
        if self.read[index] and self.clear_after_read:
            raise _invalid(
                f"TensorArray {self.name}: Could not read index {index} twice because it was "
                "cleared after a previous read (perhaps try setting clear_after_read = false?)."
            )
        value = self.items[index]
        if value is None:
            value = _zeros(
                _merge(self.element_shape, shape), self.dtype, f"TensorArray {self.name}"
            )
        self.read[index] = True
        return value


def _store(value: Any) -> TensorArrayStore:
    if not isinstance(value, TensorArrayStore):
        raise _invalid("TensorArray handle is not a TensorArray resource")
    return value


_FLOW = np.float32(0.0)


@register_kernel("TensorArrayV3")
def _tensor_array(inputs: list[Any], attrs: Attrs) -> list[Any]:
    size = int(np.asarray(inputs[0]))
    if size < 0:
        raise _invalid(f"Size should be >= 0, but got {size}")
    shape = attrs.get("element_shape")
    dims = None if shape is None or shape.dims is None else list(shape.as_list())
    name = attrs.get("tensor_array_name") or "TensorArray"
    store = TensorArrayStore(
        name if isinstance(name, str) else name.decode(),
        size,
        _np_dtype(attrs["dtype"]),
        dims,
        bool(attrs.get("dynamic_size")),
        bool(attrs.get("clear_after_read", True)),
        bool(attrs.get("identical_element_shapes", False)),
    )
    return [store, _FLOW]


@register_kernel("TensorArrayWriteV3")
def _ta_write(inputs: list[Any], attrs: Attrs) -> list[Any]:
    _store(inputs[0]).write(int(np.asarray(inputs[1])), np.asarray(inputs[2]))
    return [_FLOW]


@register_kernel("TensorArrayReadV3")
def _ta_read(inputs: list[Any], attrs: Attrs) -> list[Any]:
    store = _store(inputs[0])
    return [store.get(int(np.asarray(inputs[1])), None)]


@register_kernel("TensorArrayGatherV3")
def _ta_gather(inputs: list[Any], attrs: Attrs) -> list[Any]:
    store = _store(inputs[0])
    shape_attr = attrs.get("element_shape")
    shape = None if shape_attr is None or shape_attr.dims is None else shape_attr.as_list()
    indices = [int(i) for i in np.asarray(inputs[1]).reshape(-1)]
    parts = [store.get(i, shape) for i in indices]
    if not parts:
        return [np.zeros([0, *[d or 0 for d in (store.element_shape or [])]], store.dtype)]
    return [np.stack(parts)]


@register_kernel("TensorArrayScatterV3")
def _ta_scatter(inputs: list[Any], attrs: Attrs) -> list[Any]:
    store, value = _store(inputs[0]), np.asarray(inputs[2])
    indices = np.asarray(inputs[1]).reshape(-1)
    if value.shape[:1] != indices.shape:
        raise _invalid(
            f"Expected len(indices) == values.shape[0], but saw: {indices.size} vs. "
            f"{value.shape[0] if value.ndim else 0}"
        )
    for row, index in zip(value, indices, strict=True):
        store.write(int(index), row)
    return [_FLOW]


@register_kernel("TensorArraySizeV3")
def _ta_size(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return [np.int32(len(_store(inputs[0]).items))]


@register_kernel("TensorArrayConcatV3")
def _ta_concat(inputs: list[Any], attrs: Attrs) -> list[Any]:
    store = _store(inputs[0])
    parts = [store.get(i, None) for i in range(len(store.items))]
    lengths = np.array([p.shape[0] for p in parts], np.int64)
    if not parts:
        return [np.zeros([0], store.dtype), lengths]
    return [np.concatenate(parts), lengths]


@register_kernel("TensorArraySplitV3")
def _ta_split(inputs: list[Any], attrs: Attrs) -> list[Any]:
    store, value = _store(inputs[0]), np.asarray(inputs[1])
    lengths = np.asarray(inputs[2]).reshape(-1)
    if int(lengths.sum()) != value.shape[0]:
        raise _invalid(
            f"Expected sum of lengths to be equal to values.shape[0], but sum of lengths is "
            f"{int(lengths.sum())} and value's shape is: {_shape_str(list(value.shape))}"
        )
    for index, part in enumerate(np.split(value, np.cumsum(lengths)[:-1])):
        store.write(index, part)
    return [_FLOW]


@register_kernel("TensorArrayCloseV3")
def _ta_close(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return []


# --------------------------------------------------------------------------- shapes

_SCALAR = TensorShape([])
_UNKNOWN = TensorShape(None)


def _stacked_shape(attr: Any) -> TensorShape:
    dims = attr.dims if isinstance(attr, TensorShape) else None
    return _UNKNOWN if dims is None else TensorShape([None, *dims])


_SHAPES: dict[str, Any] = {
    "TensorListReserve": lambda op: [_SCALAR],
    "EmptyTensorList": lambda op: [_SCALAR],
    "TensorListFromTensor": lambda op: [_SCALAR],
    "TensorListSetItem": lambda op: [_SCALAR],
    "TensorListPushBack": lambda op: [_SCALAR],
    "TensorListPopBack": lambda op: [_SCALAR, _UNKNOWN],
    "TensorListScatterV2": lambda op: [_SCALAR],
    "TensorListScatterIntoExistingList": lambda op: [_SCALAR],
    "TensorListResize": lambda op: [_SCALAR],
    "TensorListSplit": lambda op: [_SCALAR],
    "TensorListLength": lambda op: [_SCALAR],
    "TensorListElementShape": lambda op: [_UNKNOWN],
    "TensorListGetItem": lambda op: [_UNKNOWN],
    "TensorListStack": lambda op: [_UNKNOWN],
    "TensorListGather": lambda op: [_UNKNOWN],
    "TensorListConcatV2": lambda op: [_UNKNOWN, TensorShape([None])],
    "TensorArrayV3": lambda op: [TensorShape([2]), _SCALAR],
    "TensorArrayWriteV3": lambda op: [_SCALAR],
    "TensorArrayScatterV3": lambda op: [_SCALAR],
    "TensorArraySplitV3": lambda op: [_SCALAR],
    "TensorArraySizeV3": lambda op: [_SCALAR],
    "TensorArrayReadV3": lambda op: [_UNKNOWN],
    "TensorArrayGatherV3": lambda op: [_stacked_shape(op.get_attr("element_shape"))],
    "TensorArrayConcatV3": lambda op: [_UNKNOWN, TensorShape([None])],
    "TensorArrayCloseV3": lambda op: [],
}
for _op_type, _fn in _SHAPES.items():
    register_shape(_op_type)(_fn)
