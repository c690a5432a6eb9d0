"""``tf.compat.v1.data.Dataset``: datasets as graph nodes, built as TF 2.21 builds them.

Each transformation adds TF's op (``TensorSliceDataset``, ``MapDataset``,
``BatchDatasetV2``, ...) with TF's node names, inputs and attrs; functions given to
``map``/``filter``/``flat_map``/``interleave`` are traced into the graph's function library
(see :mod:`stowflow.data.tracing`). Elements flow only when an iterator runs in a Session
(kernels in ``stowflow.graph.kernels.dataset_kernels``).

Example:
    >>> # ds = Dataset.from_tensor_slices(([1., 2.], [3, 4])).map(lambda x, y: x * 2).batch(2)
    >>> # nxt = make_one_shot_iterator(ds).get_next()
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.data import structure as nest
from stowflow.data import tracing
from stowflow.errors import InvalidArgumentError
from stowflow.graph.array_ops import reshape
from stowflow.graph.builder import apply_op_outputs, constant, convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph, name_scope
from stowflow.graph.kernels import dataset_kernels  # noqa: F401 - registers the kernels
from stowflow.graph.shape import TensorShape, V1TensorShape, as_shape, v1_dimensions

AUTOTUNE = -1
_READER_BUFFER_BYTES = 256 * 1024  # TF's _DEFAULT_READER_BUFFER_SIZE_BYTES
_DEFAULT_GRAPH_SEED = 87654321


class TensorSpec:
    """The dtype and static shape of one component of a dataset element."""

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype: Any, shape: Any) -> None:
        self.dtype = dtypes.as_dtype(dtype)
        self.shape = as_shape(shape)

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name=None)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorSpec) or self.dtype != other.dtype:
            return False
        return self.shape.dims == other.shape.dims

    __hash__ = None  # type: ignore[assignment]


def user_shape(shape: TensorShape) -> TensorShape:
    """``shape`` as user code sees it (Dimensions under TF1 behaviour, as tensors' shapes)."""
    return V1TensorShape(shape) if v1_dimensions() else shape


def _i64(value: Any, name: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return constant(np.asarray(value, np.int64), dtype=dtypes.int64, name=name)


def _flat_attrs(specs: list[TensorSpec]) -> dict[str, Any]:
    return {"output_types": [s.dtype for s in specs], "output_shapes": [s.shape for s in specs]}


def _component(value: Any, name: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (str, bytes)) or (
        isinstance(value, (list, np.ndarray)) and np.asarray(value).dtype.kind in "OSU"
    ):
        return convert_to_tensor(value, dtype=dtypes.string, name=name)
    return convert_to_tensor(value, name=name)


def _normalize(element: Any) -> tuple[Any, list[Tensor]]:
    """TF's ``structure.normalize_element``: components as tensors ``component_<i>``."""
    flat = nest.flatten(element)
    with name_scope("normalize_element"):
        tensors = [_component(v, f"component_{i}") for i, v in enumerate(flat)]
    return element, tensors


class DatasetV1:
    """A dataset in a TF1 graph: a DT_VARIANT tensor plus its element structure."""

    def __init__(self, variant: Tensor, structure: Any) -> None:
        self._variant_tensor = variant
        self._structure = structure  # a nest of TensorSpec

    # -- structure ------------------------------------------------------------------------------

    @property
    def element_spec(self) -> Any:
        """The nest of TensorSpec describing one element."""
        return self._structure

    @property
    def output_types(self) -> Any:
        """``tf.compat.v1.data.get_output_types``."""
        return nest.map_structure(lambda s: s.dtype, self._structure)

    @property
    def output_shapes(self) -> Any:
        """``tf.compat.v1.data.get_output_shapes``."""
        return nest.map_structure(lambda s: user_shape(s.shape), self._structure)

    @property
    def output_classes(self) -> Any:
        """``tf.compat.v1.data.get_output_classes`` (every component is a Tensor)."""
        return nest.map_structure(lambda s: Tensor, self._structure)

    def _specs(self) -> list[TensorSpec]:
        return nest.flatten(self._structure)

    def _unary(
        self, op_type: str, inputs: dict[str, Any], attrs: dict[str, Any], structure: Any
    ) -> DatasetV1:
        flat = nest.flatten(structure)
        out = apply_op_outputs(
            op_type,
            {"input_dataset": self._variant_tensor, **inputs},
            {**_flat_attrs(flat), **attrs},
            name=op_type,
        )
        return DatasetV1(out[0], structure)

    def __iter__(self) -> Iterator[Any]:
        raise RuntimeError(
            "`tf.data.Dataset` only supports Python-style iteration in eager mode or within "
            "tf.function."
        )

    # -- sources --------------------------------------------------------------------------------

    @staticmethod
    def from_tensor_slices(tensors: Any, name: str | None = None) -> DatasetV1:
        """One element per slice along the first dimension of every component."""
        structure, components = _normalize(tensors)
        for tensor in components:
            if tensor.shape.ndims == 0:
                raise ValueError(
                    f"Unbatching a tensor is only supported for rank >= 1, but got {tensor.shape}"
                )
        specs = [TensorSpec(t.dtype, t.shape[1:]) for t in components]
        out = apply_op_outputs(
            "TensorSliceDataset",
            {"components": components},
            {"Toutput_types": [s.dtype for s in specs], "output_shapes": [s.shape for s in specs]},
            name=name or "TensorSliceDataset",
        )
        return DatasetV1(out[0], nest.pack(structure, specs))

    @staticmethod
    def from_tensors(tensors: Any, name: str | None = None) -> DatasetV1:
        """A dataset of exactly one element: ``tensors``."""
        structure, components = _normalize(tensors)
        specs = [TensorSpec(t.dtype, t.shape) for t in components]
        out = apply_op_outputs(
            "TensorDataset",
            {"components": components},
            {"Toutput_types": [s.dtype for s in specs], "output_shapes": [s.shape for s in specs]},
            name=name or "TensorDataset",
        )
        return DatasetV1(out[0], nest.pack(structure, specs))

    @staticmethod
    def range(*args: Any, output_type: Any = dtypes.int64, name: str | None = None) -> DatasetV1:
        """``range(stop)``, ``range(start, stop[, step])`` as int64 scalars."""
        if len(args) == 1:
            start, stop, step = 0, args[0], 1
        elif len(args) == 2:
            start, stop, step = args[0], args[1], 1
        elif len(args) == 3:
            start, stop, step = args
        else:
            raise ValueError(
                f"Invalid `args`. The length of `args` should be between 1 and 3 but was {len(args)}."
            )
        inputs = {
            "start": _i64(start, "start"),
            "stop": _i64(stop, "stop"),
            "step": _i64(step, "step"),
        }
        spec = TensorSpec(output_type, [])
        out = apply_op_outputs(
            "RangeDataset", inputs, _flat_attrs([spec]), name=name or "RangeDataset"
        )
        return DatasetV1(out[0], spec)

    @staticmethod
    def zip(datasets: Any, name: str | None = None) -> DatasetV1:
        """Elements of ``datasets`` (a nest of datasets) side by side, as long as the shortest."""
        flat = nest.flatten(datasets)
        for d in flat:
            if not isinstance(d, DatasetV1):
                raise TypeError(
                    f"Invalid `datasets`. `datasets` is expected to be a (nested) structure of `tf.data.Dataset` objects. Encountered object with type {type(d)}."
                )
        structure = nest.pack(datasets, [d._structure for d in flat])
        specs = nest.flatten(structure)
        out = apply_op_outputs(
            "ZipDataset",
            {"input_datasets": [d._variant_tensor for d in flat]},
            _flat_attrs(specs),
            name=name or "ZipDataset",
        )
        return DatasetV1(out[0], structure)

    @staticmethod
    def from_generator(
        generator: Callable[..., Any],
        output_types: Any = None,
        output_shapes: Any = None,
        args: Any = None,
        output_signature: Any = None,
        name: str | None = None,
    ) -> DatasetV1:
        """Elements produced by calling ``generator()`` (a Python generator function).

        Built as TF builds it: ``TensorDataset`` -> ``FlatMapDataset`` whose function makes a
        ``GeneratorDataset``; its init/next/finalize functions call ``PyFunc`` nodes bound
        to this process (as in TF, such a graph cannot run in another process).

        Raises:
            TypeError: without ``output_types``; ValueError: when ``args`` is given (not
                supported by stowflow).
        """
        return _from_generator(generator, output_types, output_shapes, args, output_signature)

    # -- transformations ------------------------------------------------------------------------

    def _trace(self, kind: str, fn: Callable[..., Any]) -> tracing.Traced:
        structure = self._structure

        def call_with(args: list[Tensor]) -> Any:
            element = nest.pack(structure, args)
            if isinstance(element, tuple) and not hasattr(element, "_fields"):
                return fn(*element)
            return fn(element)

        def flatten_result(result: Any) -> list[Tensor]:
            if isinstance(result, DatasetV1):
                return [result._variant_tensor]
            return [_component(v, "Const") for v in nest.flatten(_listless(result))]

        specs = [(s.dtype, s.shape) for s in self._specs()]
        return tracing.trace(kind, fn, specs, call_with, flatten_result)

    def map(
        self,
        map_func: Callable[..., Any],
        num_parallel_calls: Any = None,
        deterministic: Any = None,
        name: str | None = None,
    ) -> DatasetV1:
        """Applies ``map_func`` (traced into a graph function) to every element."""
        traced = self._trace("map", map_func)
        structure = nest.pack(
            _listless(traced.result), [TensorSpec(t.dtype, t.shape) for t in traced.outputs]
        )
        attrs = {
            "f": tracing.func_attr(traced.name),
            "Targuments": [],
            "use_inter_op_parallelism": True,
            "preserve_cardinality": False,
        }
        return self._unary("MapDataset", {"other_arguments": []}, attrs, structure)

    def filter(self, predicate: Callable[..., Any], name: str | None = None) -> DatasetV1:
        """Keeps the elements for which ``predicate`` (a scalar bool) is true."""
        traced = self._trace("filter", predicate)
        if len(traced.outputs) != 1 or traced.outputs[0].dtype.base_dtype != dtypes.bool:
            raise ValueError(
                "Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor."
            )
        attrs = {"predicate": tracing.func_attr(traced.name), "Targuments": []}
        return self._unary("FilterDataset", {"other_arguments": []}, attrs, self._structure)

    def flat_map(self, map_func: Callable[..., Any], name: str | None = None) -> DatasetV1:
        """Maps each element to a dataset and concatenates them."""
        traced = self._dataset_fn("flat_map", map_func)
        attrs = {"f": tracing.func_attr(traced.name), "Targuments": []}
        return self._unary(
            "FlatMapDataset", {"other_arguments": []}, attrs, traced.result._structure
        )

    def _dataset_fn(self, kind: str, fn: Callable[..., Any]) -> tracing.Traced:
        traced = self._trace(kind, fn)
        if not isinstance(traced.result, DatasetV1):
            raise TypeError(
                f"The `map_func` argument must return a `Dataset` object. Got {type(traced.result)}."
            )
        return traced

    def interleave(
        self,
        map_func: Callable[..., Any],
        cycle_length: Any = None,
        block_length: Any = None,
        num_parallel_calls: Any = None,
        deterministic: Any = None,
        name: str | None = None,
    ) -> DatasetV1:
        """Interleaves the datasets ``map_func`` makes, ``block_length`` elements at a time."""
        traced = self._dataset_fn("interleave", map_func)
        inputs = {
            "other_arguments": [],
            "cycle_length": _i64(
                AUTOTUNE if cycle_length is None else cycle_length, "cycle_length"
            ),
            "block_length": _i64(1 if block_length is None else block_length, "block_length"),
        }
        attrs = {"f": tracing.func_attr(traced.name), "Targuments": []}
        return self._unary("InterleaveDataset", inputs, attrs, traced.result._structure)

    def batch(
        self,
        batch_size: Any,
        drop_remainder: bool = False,
        num_parallel_calls: Any = None,
        deterministic: Any = None,
        name: str | None = None,
    ) -> DatasetV1:
        """Stacks ``batch_size`` consecutive elements (the last batch may be smaller)."""
        size = _i64(batch_size, "batch_size")
        drop = constant(np.asarray(drop_remainder, bool), dtype=dtypes.bool, name="drop_remainder")
        lead = _static_int(batch_size) if drop_remainder else None
        structure = nest.map_structure(
            lambda s: TensorSpec(s.dtype, TensorShape([lead]).concatenate(s.shape)), self._structure
        )
        attrs = {"parallel_copy": False}
        return self._unary(
            "BatchDatasetV2", {"batch_size": size, "drop_remainder": drop}, attrs, structure
        )

    def padded_batch(
        self,
        batch_size: Any,
        padded_shapes: Any = None,
        padding_values: Any = None,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> DatasetV1:
        """Batches elements, padding each component to ``padded_shapes`` (None: the longest)."""
        specs = self._specs()
        if padded_shapes is None:
            padded_shapes = nest.map_structure(lambda s: s.shape, self._structure)
        shapes = nest.flatten(padded_shapes)
        values = nest.flatten(padding_values) if padding_values is not None else [None] * len(specs)
        if len(values) == 1 and len(specs) > 1:
            values = values * len(specs)
        size = _i64(batch_size, "batch_size")
        shape_tensors = [_padded_shape(s) for s in shapes]
        pads = [_padding_value(v, s.dtype) for v, s in zip(values, specs, strict=True)]
        drop = constant(np.asarray(drop_remainder, bool), dtype=dtypes.bool, name="drop_remainder")
        lead = _static_int(batch_size) if drop_remainder else None
        out_specs = [
            TensorSpec(spec.dtype, TensorShape([lead]).concatenate(_static_padded(shape)))
            for spec, shape in zip(specs, shapes, strict=True)
        ]
        out = apply_op_outputs(
            "PaddedBatchDatasetV2",
            {
                "input_dataset": self._variant_tensor,
                "batch_size": size,
                "padded_shapes": shape_tensors,
                "padding_values": pads,
                "drop_remainder": drop,
            },
            {
                "Toutput_types": [s.dtype for s in out_specs],
                "output_shapes": [s.shape for s in out_specs],
                "parallel_copy": False,
            },
            name="PaddedBatchDatasetV2",
        )
        return DatasetV1(out[0], nest.pack(self._structure, out_specs))

    def repeat(self, count: Any = None, name: str | None = None) -> DatasetV1:
        """Repeats the dataset ``count`` times (None or -1: forever)."""
        return self._unary(
            "RepeatDataset",
            {"count": _i64(-1 if count is None else count, "count")},
            {},
            self._structure,
        )

    def shuffle(
        self,
        buffer_size: Any,
        seed: int | None = None,
        reshuffle_each_iteration: bool | None = None,
        name: str | None = None,
    ) -> DatasetV1:
        """Shuffles with a buffer of ``buffer_size`` elements (see the module's deviation note)."""
        size = _i64(buffer_size, "buffer_size")
        seed_t, seed2_t = _seeds(seed)
        reshuffle = True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)
        return self._unary(
            "ShuffleDataset",
            {"buffer_size": size, "seed": seed_t, "seed2": seed2_t},
            {"reshuffle_each_iteration": reshuffle},
            self._structure,
        )

    def take(self, count: Any, name: str | None = None) -> DatasetV1:
        """The first ``count`` elements (-1: all)."""
        return self._unary("TakeDataset", {"count": _i64(count, "count")}, {}, self._structure)

    def skip(self, count: Any, name: str | None = None) -> DatasetV1:
        """All but the first ``count`` elements (-1: none)."""
        return self._unary("SkipDataset", {"count": _i64(count, "count")}, {}, self._structure)

    def prefetch(self, buffer_size: Any, name: str | None = None) -> DatasetV1:
        """Same elements; TF overlaps production with consumption (we run in step)."""
        size = _i64(buffer_size, "buffer_size")
        graph = get_default_graph()
        with graph.colocate_with(self._variant_tensor.op):
            return self._unary(
                "PrefetchDataset",
                {"buffer_size": size},
                {"legacy_autotune": False},
                self._structure,
            )

    def cache(self, filename: str = "", name: str | None = None) -> DatasetV1:
        """Caches elements after the first complete pass (in memory, whatever ``filename``)."""
        path = constant(
            np.asarray(filename.encode(), dtype=object), dtype=dtypes.string, name="filename"
        )
        return self._unary("CacheDataset", {"filename": path}, {}, self._structure)

    def make_one_shot_iterator(self) -> Any:
        """``tf.compat.v1.data.make_one_shot_iterator(self)``."""
        from stowflow.data.iterator_ops import make_one_shot_iterator

        return make_one_shot_iterator(self)

    def make_initializable_iterator(self, shared_name: str | None = None) -> Any:
        """``tf.compat.v1.data.make_initializable_iterator(self)``."""
        from stowflow.data.iterator_ops import make_initializable_iterator

        return make_initializable_iterator(self, shared_name)


def _listless(value: Any) -> Any:
    """A map function's list result becomes a tuple, as TF does (with its warning)."""
    if isinstance(value, list) and any(isinstance(v, Tensor) for v in value):
        warnings.warn(
            "The structure of the return value of the function passed to `map` is a list; "
            "it is converted to a tuple.",
            stacklevel=4,
        )
        return tuple(value)
    return value


def _static_int(value: Any) -> int | None:
    if isinstance(value, Tensor):
        return None
    return int(value)


def _padded_shape(shape: Any) -> Tensor:
    if isinstance(shape, Tensor):
        return shape
    dims = as_shape(shape).as_list() if not isinstance(shape, TensorShape) else shape.as_list()
    return constant(
        np.asarray([-1 if d is None else d for d in dims], np.int64), dtype=dtypes.int64
    )


def _static_padded(shape: Any) -> TensorShape:
    if isinstance(shape, Tensor):
        return TensorShape(None)
    return as_shape(shape)


def _padding_value(value: Any, dtype: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if value is None:
        value = b"" if dtype == dtypes.string else np.zeros((), dtype.as_numpy_dtype)
    if dtype == dtypes.string:
        return constant(np.asarray(value, dtype=object), dtype=dtype, name="padding_value")
    return constant(np.asarray(value, dtype.as_numpy_dtype), dtype=dtype, name="padding_value")


def _seeds(op_seed: int | None) -> tuple[Tensor, Tensor]:
    """TF's ``data.util.random_seed.get_seed``: the seed and seed2 tensors of a random dataset."""
    graph = get_default_graph()
    graph_seed = graph.seed
    seed: int | None
    seed2: int | None
    if graph_seed is not None:
        seed, seed2 = graph_seed, op_seed if op_seed is not None else len(graph._ops)
    elif op_seed is not None:
        seed, seed2 = _DEFAULT_GRAPH_SEED, op_seed
    else:
        seed = seed2 = None
    seed_t = _i64(0 if seed is None else seed, "seed")
    if seed2 is None:
        return seed_t, _i64(0, "seed2")
    from stowflow.graph import math_ops

    with name_scope("seed2") as scope:
        seed2_t = _i64(seed2, "Const")
        both_zero = math_ops.logical_and(math_ops.equal(seed_t, 0), math_ops.equal(seed2_t, 0))
        fallback = _i64(2**31 - 1, "Const")
        out = apply_op_outputs(
            "SelectV2", {"condition": both_zero, "t": fallback, "e": seed2_t}, None, name=scope
        )
    return seed_t, out[0]


class _GeneratorState:
    """The live iterators of one ``from_generator`` dataset, by iterator id (TF's design)."""

    def __init__(self, generator: Callable[..., Any]) -> None:
        self._generator = generator
        self._next_id = 0
        self._iterators: dict[int, Iterator[Any]] = {}

    def get_next_id(self) -> np.ndarray:
        iterator_id = self._next_id
        self._next_id += 1
        self._iterators[iterator_id] = iter(self._generator())
        return np.asarray(iterator_id, np.int64)

    def next_values(self, iterator_id: Any, specs: list[TensorSpec], structure: Any) -> list[Any]:
        value = next(self._iterators[int(iterator_id)])  # StopIteration: end of sequence
        flat = nest.flatten(value) if nest.is_nested(structure) else [value]
        if len(flat) != len(specs):
            raise InvalidArgumentError(
                None,
                None,
                "`generator` yielded an element that did not match the expected "
                f"structure. The expected structure was {structure}, but the yielded element "
                f"was {value}.",
            )
        out = []
        for item, spec in zip(flat, specs, strict=True):
            array = np.asarray(
                item, dtype=object if spec.dtype == dtypes.string else spec.dtype.as_numpy_dtype
            )
            if not spec.shape.is_compatible_with(array.shape):
                raise InvalidArgumentError(
                    None,
                    None,
                    f"`generator` yielded an element of shape {array.shape} where an "
                    f"element of shape {spec.shape} was expected.",
                )
            out.append(array)
        return out

    def iterator_completed(self, iterator_id: Any) -> np.ndarray:
        self._iterators.pop(int(iterator_id), None)
        return np.asarray(0, np.int64)


def _py_func(fn: Callable[..., Any], inputs: list[Tensor], types: list[Any]) -> list[Tensor]:
    token = dataset_kernels.register_py_func(fn)
    return apply_op_outputs(
        "PyFunc",
        {"input": inputs},
        {"token": token, "Tin": [t.dtype for t in inputs], "Tout": types},
        name="PyFunc",
    )


def _from_generator(
    generator: Callable[..., Any],
    output_types: Any,
    output_shapes: Any,
    args: Any,
    output_signature: Any,
) -> DatasetV1:
    if output_signature is not None:
        structure = output_signature
    else:
        if output_types is None:
            raise TypeError("The `output_types` argument can not be None.")
        if output_shapes is None:
            output_shapes = nest.map_structure(lambda t: TensorShape(None), output_types)
        flat_shapes = (
            nest.flatten(output_shapes) if nest.is_nested(output_types) else [output_shapes]
        )
        flat = [
            TensorSpec(t, s) for t, s in zip(nest.flatten(output_types), flat_shapes, strict=True)
        ]
        structure = nest.pack(output_types, flat)
    if args is not None:
        raise ValueError("stowflow's Dataset.from_generator does not take `args`")
    specs: list[TensorSpec] = nest.flatten(structure)
    state = _GeneratorState(generator)
    types = [s.dtype for s in specs]

    def get_iterator_id_fn(unused_dummy: Tensor) -> Tensor:
        return _py_func(state.get_next_id, [], [dtypes.int64])[0]

    def generator_next_fn(iterator_id: Tensor) -> Any:
        outputs = _py_func(lambda i: state.next_values(i, specs, structure), [iterator_id], types)
        for tensor, spec in zip(outputs, specs, strict=True):
            tensor._shape = spec.shape
        return tuple(outputs)

    def finalize_fn(iterator_id: Tensor) -> Tensor:
        return _py_func(state.iterator_completed, [iterator_id], [dtypes.int64])[0]

    def flat_map_fn(dummy: Tensor) -> DatasetV1:
        id_spec = [(dtypes.int64, TensorShape([]))]
        dummy_spec = [(dummy.dtype, dummy.shape)]
        init = tracing.trace(
            "from_generator",
            get_iterator_id_fn,
            dummy_spec,
            lambda a: get_iterator_id_fn(a[0]),
            lambda r: [r],
        )
        nxt = tracing.trace(
            "from_generator", generator_next_fn, id_spec, lambda a: generator_next_fn(a[0]), list
        )
        fin = tracing.trace(
            "from_generator", finalize_fn, id_spec, lambda a: finalize_fn(a[0]), lambda r: [r]
        )
        out = apply_op_outputs(
            "GeneratorDataset",
            {
                "init_func_other_args": [dummy],
                "next_func_other_args": [],
                "finalize_func_other_args": [],
            },
            {
                "init_func": tracing.func_attr(init.name),
                "next_func": tracing.func_attr(nxt.name),
                "finalize_func": tracing.func_attr(fin.name),
                "Tinit_func_args": [dummy.dtype],
                "Tnext_func_args": [],
                "Tfinalize_func_args": [],
                **_flat_attrs(specs),
            },
            name="GeneratorDataset",
        )
        return DatasetV1(out[0], structure)

    return DatasetV1.from_tensors(0).flat_map(flat_map_fn)


def _file_dataset(
    kind: str, op_type: str, filenames: Any, compression_type: Any, buffer_size: Any
) -> DatasetV1:
    """TF's ``_create_or_validate_filenames_dataset`` + ``flat_map(read_one_file)``."""
    names = filenames if isinstance(filenames, Tensor) else _component(filenames, "Const")
    if names.dtype.base_dtype != dtypes.string:
        raise TypeError(
            f"The `filenames` argument must contain `tf.string` elements. Got `{names.dtype!r}` elements."
        )
    flat = reshape(names, [-1], name="flat_filenames")
    files = apply_op_outputs(
        "TensorSliceDataset",
        {"components": [flat]},
        {"Toutput_types": [dtypes.string], "output_shapes": [TensorShape([])], "is_files": True},
        name="TensorSliceDataset",
    )
    file_ds = DatasetV1(files[0], TensorSpec(dtypes.string, []))

    def read_one_file(filename: Tensor) -> DatasetV1:
        compression = constant(
            np.asarray((compression_type or "").encode(), dtype=object),
            dtype=dtypes.string,
            name="compression_type",
        )
        size = _i64(_READER_BUFFER_BYTES if buffer_size is None else buffer_size, "buffer_size")
        out = apply_op_outputs(
            op_type,
            {"filenames": filename, "compression_type": compression, "buffer_size": size},
            None,
            name=op_type,
        )
        return DatasetV1(out[0], TensorSpec(dtypes.string, []))

    return file_ds.flat_map(read_one_file)


def TFRecordDataset(
    filenames: Any,
    compression_type: str | None = None,
    buffer_size: Any = None,
    num_parallel_reads: Any = None,
    name: str | None = None,
) -> DatasetV1:  # noqa: N802 - TF's class name
    """The records of TFRecord files, as scalar strings (``tf.data.TFRecordDataset``)."""
    return _file_dataset("tfrecord", "TFRecordDataset", filenames, compression_type, buffer_size)


def TextLineDataset(
    filenames: Any,
    compression_type: str | None = None,
    buffer_size: Any = None,
    num_parallel_reads: Any = None,
    name: str | None = None,
) -> DatasetV1:  # noqa: N802 - TF's class name
    """The lines of text files without their line ends (``tf.data.TextLineDataset``)."""
    return _file_dataset("text", "TextLineDataset", filenames, compression_type, buffer_size)


Dataset = DatasetV1
