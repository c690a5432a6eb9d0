"""tf.data kernels: dataset ops make lazy :class:`DatasetValue` objects; iterators hold state.

Dataset ops (``TensorSliceDataset``, ``MapDataset``, ``BatchDatasetV2``, ...) are functional
kernels (they receive the Session's function caller, for ``map``/``filter``/``flat_map``
bodies) whose DT_VARIANT output is a DatasetValue: a recipe that yields elements (tuples of
arrays) when iterated. Nothing is read or computed until an iterator asks.

Iterator ops are Session-stateful kernels: ``IteratorV2`` names a slot in the Session's
per-op state, ``MakeIterator`` starts a fresh pass over a dataset into it, and
``IteratorGetNext`` takes the next element or raises ``OutOfRangeError("End of
sequence")``. ``OneShotIterator`` builds its dataset from its ``dataset_factory`` function
on first use. File-reading datasets ask the Session's file policy before opening a file.

Deviation from TF: ``ShuffleDataset`` draws from NumPy's PCG64 seeded with (seed, seed2),
not TF's Philox stream: the same seed gives the same order on every run, but not TF's order.
``CacheDataset`` with a filename keeps the cache in memory (no cache files are written).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from stowflow import tfrecord
from stowflow.errors import FailedPreconditionError, InvalidArgumentError, OutOfRangeError
from stowflow.graph.kernels.control_flow_kernels import Call, functional
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.kernels.state import SessionState, stateful
from stowflow.graph.shape import TensorShape

Element = tuple[np.ndarray, ...]


class DatasetValue:
    """A dataset (the value of a DT_VARIANT dataset tensor): yields elements on demand."""

    def elements(self, state: SessionState) -> Iterator[Element]:
        """A fresh pass over the dataset's elements."""
        raise NotImplementedError


class _Source(DatasetValue):
    def __init__(self, make: Callable[[SessionState], Iterator[Element]]) -> None:
        self._make = make

    def elements(self, state: SessionState) -> Iterator[Element]:
        return self._make(state)


def _scalar(value: Any) -> Any:
    return np.asarray(value).reshape(()).item()


def _slices(components: list[np.ndarray]) -> DatasetValue:
    arrays = [np.asarray(c) for c in components]
    sizes = {a.shape[0] if a.ndim else None for a in arrays}
    if None in sizes or len(sizes) != 1:
        raise InvalidArgumentError(
            None, None, "All components must have the same size in the 0th dimension"
        )
    count = arrays[0].shape[0]

    def make(state: SessionState) -> Iterator[Element]:
        for i in range(count):
            yield tuple(a[i, ...].copy() for a in arrays)

    return _Source(make)


@functional("TensorSliceDataset")
def _tensor_slice(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    return [_slices(inputs)]


@functional("TensorDataset")
def _tensor(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    element = tuple(np.asarray(c) for c in inputs)
    return [_Source(lambda state: iter([element]))]


@functional("RangeDataset")
def _range(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    start, stop, step = (int(_scalar(v)) for v in inputs)
    if step == 0:
        raise InvalidArgumentError(None, None, "step must be a non-zero integer.")
    dtype = op.get_attr("output_types")[0].as_numpy_dtype
    return [_Source(lambda state: (((np.array(v, dtype)),) for v in range(start, stop, step)))]


@functional("ZipDataset")
def _zip(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    def make(state: SessionState) -> Iterator[Element]:
        for parts in zip(*(d.elements(state) for d in inputs), strict=False):
            yield tuple(c for part in parts for c in part)

    return [_Source(make)]


def _fn_name(op: Any, attr: str) -> str:
    return str(op.get_attr(attr).name)


@functional("MapDataset", "ParallelMapDataset", "ParallelMapDatasetV2")
def _map(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    source, extra, name = inputs[0], inputs[1:], _fn_name(op, "f")
    if op.type != "MapDataset":
        extra = extra[:-1]  # num_parallel_calls

    def make(state: SessionState) -> Iterator[Element]:
        for element in source.elements(state):
            yield tuple(call(name, [*element, *extra]))

    return [_Source(make)]


@functional("FilterDataset")
def _filter(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    source, extra, name = inputs[0], inputs[1:], _fn_name(op, "predicate")

    def make(state: SessionState) -> Iterator[Element]:
        for element in source.elements(state):
            keep = np.asarray(call(name, [*element, *extra])[0])
            if keep.shape != ():
                raise InvalidArgumentError(
                    None, None, "Filter predicate `f` must return a scalar bool."
                )
            if keep:
                yield element

    return [_Source(make)]


def _component(value: Any) -> Any:
    """A component as an array: a scalar string can arrive as plain ``bytes``."""
    return np.asarray(value, dtype=object) if isinstance(value, bytes) else value


def _stack(batch: list[Element]) -> Element:
    batch = [tuple(_component(v) for v in e) for e in batch]
    first = batch[0]
    for element in batch[1:]:
        for a, b in zip(first, element, strict=True):
            if a.shape != b.shape:
                raise InvalidArgumentError(
                    None,
                    None,
                    "Cannot add tensor to the batch: number of elements does not match. "
                    f"Shapes are: [tensor]: {_dims(b.shape)}, [batch]: {_dims(a.shape)}",
                )
    return tuple(np.stack(parts) for parts in zip(*batch, strict=True))


def _dims(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(map(str, shape)) + "]"


def _batches(
    source: DatasetValue, size: int, drop: bool, state: SessionState
) -> Iterator[list[Element]]:
    it = source.elements(state)
    while True:
        batch = list(itertools.islice(it, size))
        if not batch or (drop and len(batch) < size):
            return
        yield batch


def _batch_size(value: Any) -> int:
    size = int(_scalar(value))
    if size <= 0:
        raise InvalidArgumentError(None, None, f"Batch size must be greater than zero, got {size}")
    return size


@functional("BatchDatasetV2", "BatchDataset")
def _batch(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    source, size = inputs[0], _batch_size(inputs[1])
    drop = bool(_scalar(inputs[2])) if len(inputs) > 2 else False

    def make(state: SessionState) -> Iterator[Element]:
        for batch in _batches(source, size, drop, state):
            yield _stack(batch)

    return [_Source(make)]


def _pad(batch: list[Element], shapes: list[np.ndarray], values: list[Any]) -> Element:
    out = []
    for k, padded in enumerate(shapes):
        parts = [_component(e[k]) for e in batch]
        if any(p.ndim != len(padded) for p in parts):
            raise InvalidArgumentError(
                None,
                None,
                f"All elements in a batch must have the same rank as the padded shape for component{k}: expected rank {len(padded)} but got element with rank {parts[0].ndim}",
            )
        most = np.max([p.shape for p in parts], axis=0) if padded.size else np.zeros(0, int)
        target = [int(m) if d < 0 else int(d) for d, m in zip(padded, most, strict=True)]
        for p in parts:
            if any(s > t for s, t in zip(p.shape, target, strict=True)):
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Attempted to pad to a smaller size than the input element. "
                    f"Input element shape {_dims(p.shape)} padded shape {_dims(tuple(target))}",
                )
        fill = np.asarray(values[k])
        result = np.full([len(parts), *target], fill, dtype=parts[0].dtype)
        for i, p in enumerate(parts):
            result[(i, *(slice(0, s) for s in p.shape))] = p if p.ndim else p.item()
        out.append(result)
    return tuple(out)


@functional("PaddedBatchDatasetV2", "PaddedBatchDataset")
def _padded_batch(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    n = int(op.get_attr("N"))
    source, size = inputs[0], _batch_size(inputs[1])
    shapes = [np.asarray(s, np.int64).reshape(-1) for s in inputs[2 : 2 + n]]
    values = list(inputs[2 + n : 2 + 2 * n])
    drop = bool(_scalar(inputs[2 + 2 * n])) if len(inputs) > 2 + 2 * n else False

    def make(state: SessionState) -> Iterator[Element]:
        for batch in _batches(source, size, drop, state):
            yield _pad(batch, shapes, values)

    return [_Source(make)]


@functional("RepeatDataset")
def _repeat(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    source, count = inputs[0], int(_scalar(inputs[1]))

    def make(state: SessionState) -> Iterator[Element]:
        epochs = itertools.count() if count < 0 else range(count)
        for _ in epochs:
            produced = False
            for element in source.elements(state):
                produced = True
                yield element
            if not produced:  # TF stops repeating an empty dataset
                return

    return [_Source(make)]


class _Shuffle(DatasetValue):
    def __init__(self, source: DatasetValue, size: int, seed: int, seed2: int, reshuffle: bool):
        self._source = source
        self._size = size
        self._seeds = None if seed == 0 and seed2 == 0 else [seed, seed2]
        self._reshuffle = reshuffle
        self._epoch = 0

    def elements(self, state: SessionState) -> Iterator[Element]:
        epoch = self._epoch if self._reshuffle else 0
        self._epoch += 1
        entropy = None if self._seeds is None else [*self._seeds, epoch]
        rng = np.random.default_rng(entropy)
        buffer: list[Element] = []
        source = self._source.elements(state)
        for element in source:
            buffer.append(element)
            if len(buffer) >= self._size:
                k = int(rng.integers(len(buffer)))
                buffer[k], buffer[-1] = buffer[-1], buffer[k]
                yield buffer.pop()
        while buffer:
            k = int(rng.integers(len(buffer)))
            buffer[k], buffer[-1] = buffer[-1], buffer[k]
            yield buffer.pop()


@functional("ShuffleDataset", "ShuffleDatasetV2", "ShuffleDatasetV3")
def _shuffle(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    size = int(_scalar(inputs[1]))
    if size <= 0 and size != -2:
        raise InvalidArgumentError(None, None, "buffer_size must be greater than zero.")
    seed, seed2 = (int(_scalar(v)) for v in inputs[2:4]) if len(inputs) >= 4 else (0, 0)
    reshuffle = bool(op.get_attr("reshuffle_each_iteration"))
    return [_Shuffle(inputs[0], size if size > 0 else 1 << 62, seed, seed2, reshuffle)]


@functional("TakeDataset")
def _take(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    source, count = inputs[0], int(_scalar(inputs[1]))
    stop = None if count < 0 else count
    return [_Source(lambda state: itertools.islice(source.elements(state), stop))]


@functional("SkipDataset")
def _skip(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    source, count = inputs[0], int(_scalar(inputs[1]))

    def make(state: SessionState) -> Iterator[Element]:
        it = source.elements(state)
        if count < 0:
            for _ in it:
                pass
            return iter(())
        return itertools.islice(it, count, None)

    return [_Source(make)]


@functional("PrefetchDataset", "ModelDataset", "OptimizeDataset", "OptimizeDatasetV2")
def _passthrough(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    return [inputs[0]]


class _Cache(DatasetValue):
    def __init__(self, source: DatasetValue) -> None:
        self._source = source
        self._cached: list[Element] | None = None

    def elements(self, state: SessionState) -> Iterator[Element]:
        if self._cached is not None:
            yield from self._cached
            return
        seen: list[Element] = []
        for element in self._source.elements(state):
            seen.append(element)
            yield element
        self._cached = seen  # only a complete pass fills the cache, as TF's MemoryCache


@functional("CacheDataset", "CacheDatasetV2")
def _cache(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    return [_Cache(inputs[0])]


@functional("FlatMapDataset")
def _flat_map(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    source, extra, name = inputs[0], inputs[1:], _fn_name(op, "f")

    def make(state: SessionState) -> Iterator[Element]:
        for element in source.elements(state):
            yield from call(name, [*element, *extra])[0].elements(state)

    return [_Source(make)]


def _interleave_elements(
    source: Iterator[Element],
    open_one: Callable[[Element], Iterator[Element]],
    cycle: int,
    block: int,
) -> Iterator[Element]:
    """TF's InterleaveDatasetOp order: up to ``cycle`` open iterators, ``block`` at a time."""
    slots: list[Iterator[Element] | None] = [None] * cycle
    exhausted = False
    while True:
        active = False
        for k in range(cycle):
            if slots[k] is None and not exhausted:
                nxt = next(source, None)
                if nxt is None:
                    exhausted = True
                else:
                    slots[k] = open_one(nxt)
            current = slots[k]
            if current is None:
                continue
            active = True
            for _ in range(block):
                element = next(current, None)
                if element is None:
                    slots[k] = None
                    break
                yield element
        if not active and exhausted:
            return


@functional("InterleaveDataset")
def _interleave(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    source, name = inputs[0], _fn_name(op, "f")
    extra = inputs[1:-2]
    cycle, block = int(_scalar(inputs[-2])), int(_scalar(inputs[-1]))
    if cycle == -1:
        cycle = os.cpu_count() or 1
    if cycle <= 0 or block <= 0:
        raise InvalidArgumentError(None, None, "cycle_length and block_length must be > 0")

    def make(state: SessionState) -> Iterator[Element]:
        def open_one(element: Element) -> Iterator[Element]:
            return call(name, [*element, *extra])[0].elements(state)

        return _interleave_elements(source.elements(state), open_one, cycle, block)

    return [_Source(make)]


def _file_names(value: Any) -> list[str]:
    names = np.asarray(value, dtype=object).reshape(-1)
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def _compression(value: Any) -> str:
    raw = _scalar(value)
    return raw.decode() if isinstance(raw, bytes) else str(raw)


@functional("TFRecordDataset", "TFRecordDatasetV2")
def _tfrecord_dataset(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    files, compression = _file_names(inputs[0]), _compression(inputs[1])

    def make(state: SessionState) -> Iterator[Element]:
        for path in files:
            state.file_policy.check(op, path)
            for record in tfrecord.read_records(path, compression):
                yield (np.array(record, dtype=object),)

    return [_Source(make)]


def _lines(path: str, compression: str) -> Iterator[bytes]:
    records = tfrecord._open_stream(path, tfrecord.compression_kind(compression))
    try:
        pending = b""
        while True:
            chunk = records.read(1 << 20)
            if not chunk:
                break
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield line[:-1] if line.endswith(b"\r") else line
        if pending:
            yield pending[:-1] if pending.endswith(b"\r") else pending
    finally:
        records.close()


@functional("TextLineDataset")
def _text_line_dataset(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    files, compression = _file_names(inputs[0]), _compression(inputs[1])

    def make(state: SessionState) -> Iterator[Element]:
        for path in files:
            state.file_policy.check(op, path)
            for line in _lines(path, compression):
                yield (np.array(line, dtype=object),)

    return [_Source(make)]


DATASET_OPS = frozenset(
    [
        *("TensorSliceDataset", "TensorDataset", "RangeDataset", "ZipDataset", "MapDataset"),
        *("ParallelMapDataset", "ParallelMapDatasetV2", "FilterDataset", "BatchDatasetV2"),
        *("BatchDataset", "PaddedBatchDatasetV2", "PaddedBatchDataset", "RepeatDataset"),
        *("ShuffleDataset", "ShuffleDatasetV2", "ShuffleDatasetV3", "TakeDataset"),
        *("SkipDataset", "PrefetchDataset", "ModelDataset", "OptimizeDataset"),
        *("OptimizeDatasetV2", "CacheDataset", "CacheDatasetV2", "FlatMapDataset"),
        *("InterleaveDataset", "TFRecordDataset", "TFRecordDatasetV2", "TextLineDataset"),
    ]
)


@register_shape(*DATASET_OPS)
def _dataset_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([])]


# -- iterators ------------------------------------------------------------------------------


class IteratorResource:
    """The value of an iterator's DT_RESOURCE handle: its key in the Session's state.

    ``factory`` (one-shot iterators only) makes the dataset on first use.
    """

    __slots__ = ("factory", "key", "name")

    def __init__(self, key: str, name: str, factory: Callable[[], DatasetValue] | None = None):
        self.key = key
        self.name = name
        self.factory = factory


def _slot(handle: IteratorResource) -> str:
    return "iterator:" + handle.key


def _iterator_key(op: Any) -> str:
    shared = op.get_attr("shared_name")
    return shared.decode() if isinstance(shared, bytes) and shared else op.name


@stateful("IteratorV2", "Iterator")
def _iterator(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    return [IteratorResource(_iterator_key(op), op.name)]


@functional("OneShotIterator")
def _one_shot(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    name = _fn_name(op, "dataset_factory")
    return [IteratorResource(_iterator_key(op), op.name, lambda: call(name, [])[0])]


@stateful("MakeIterator")
def _make_iterator(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    dataset, handle = inputs
    state.per_op[_slot(handle)] = dataset.elements(state)
    return []


_NOT_INITIALIZED = (
    "GetNext() failed because the iterator has not been initialized. Ensure that you have "
    "run the initializer operation for this iterator before getting the next element."
)


def _next(state: SessionState, handle: IteratorResource) -> Element:
    it = state.per_op.get(_slot(handle))
    if it is None:
        if handle.factory is None:
            raise FailedPreconditionError(None, None, _NOT_INITIALIZED)
        it = state.per_op[_slot(handle)] = handle.factory().elements(state)
    element = next(it, None)
    if element is None:
        raise OutOfRangeError(None, None, "End of sequence")
    return element


@stateful("IteratorGetNext", "IteratorGetNextSync")
def _get_next(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    element = _next(state, inputs[0])
    types = op.get_attr("output_types")
    out = []
    for value, dtype in zip(element, types, strict=True):
        out.append(
            value if value.dtype == object else value.astype(dtype.as_numpy_dtype, copy=False)
        )
    return out


@stateful("IteratorToStringHandle")
def _to_string_handle(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    return [np.array(inputs[0].key.encode(), dtype=object)]


@register_shape("IteratorV2", "Iterator", "OneShotIterator", "IteratorToStringHandle")
def _handle_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([])]


@register_shape("MakeIterator")
def _no_output_shape(op: Any) -> list[TensorShape]:
    return []


@register_shape("IteratorGetNext", "IteratorGetNextSync")
def _get_next_shape(op: Any) -> list[TensorShape]:
    return [TensorShape(s.dims) for s in op.get_attr("output_shapes")]


# -- Dataset.from_generator: PyFunc + GeneratorDataset -------------------------------------

PY_FUNCS: dict[str, Callable[..., Any]] = {}
"""``PyFunc`` tokens (``pyfunc_<n>``, as TF's FuncRegistry names them) -> Python callables
of this process. A graph that names a token registered elsewhere cannot run here."""


def register_py_func(fn: Callable[..., Any]) -> str:
    """Registers ``fn`` for ``PyFunc`` nodes; returns its token."""
    token = f"pyfunc_{len(PY_FUNCS)}"
    PY_FUNCS[token] = fn
    return token


@register_kernel("PyFunc")
def _py_func(inputs: list[Any], attrs: dict[str, Any]) -> list[Any]:
    token = attrs["token"]
    token = token.decode() if isinstance(token, bytes) else token
    fn = PY_FUNCS.get(token)
    if fn is None:
        raise InvalidArgumentError(
            None,
            None,
            f"Function {token} is not registered in this process (a PyFunc node "
            "runs only in the program that built it)",
        )
    try:
        result = fn(*inputs[0])  # the one list-typed input, grouped
    except StopIteration:
        raise OutOfRangeError(None, None, "StopIteration") from None
    results = list(result) if isinstance(result, (list, tuple)) else [result]
    types = attrs["Tout"]
    if len(results) != len(types):
        raise InvalidArgumentError(
            None,
            None,
            f"{token} returns {len(results)} values, but expects to see {len(types)} values.",
        )
    return [
        np.asarray(v, dtype=object if t.name == "string" else t.as_numpy_dtype)
        for v, t in zip(results, types, strict=True)
    ]


@register_shape("PyFunc")
def _py_func_shape(op: Any) -> list[TensorShape]:
    return [TensorShape(None) for _ in op.outputs]


@functional("GeneratorDataset")
def _generator_dataset(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    counts = [len(op.get_attr(a)) for a in ("Tinit_func_args", "Tnext_func_args")]
    init_args = inputs[: counts[0]]
    next_args = inputs[counts[0] : counts[0] + counts[1]]
    final_args = inputs[counts[0] + counts[1] :]
    names = [_fn_name(op, a) for a in ("init_func", "next_func", "finalize_func")]

    def make(state: SessionState) -> Iterator[Element]:
        state_value = call(names[0], list(init_args))
        try:
            while True:
                try:
                    outputs = call(names[1], [*state_value, *next_args])
                except OutOfRangeError:
                    return
                yield tuple(np.asarray(v) for v in outputs)
        finally:
            call(names[2], [*state_value, *final_args])

    return [_Source(make)]


register_shape("GeneratorDataset")(_dataset_shape)
