"""``tf.io.parse_example`` and friends: feature configs and the ``ParseExampleV2`` node.

The graph is built exactly as TF 2.21's ``parsing_ops.py``/``parsing_config.py`` build it
(same node names, input order, attrs): features are taken in sorted key order, sparse keys
first; dense defaults become ``key_<k>`` / ``padding_<k>`` Consts reshaped to the feature
shape; the key lists and ``names`` become Consts inside the op's own name scope.

Example:
    >>> # feats = parse_example(serialized, {"x": FixedLenFeature([2], float32)})
    >>> # feats["x"]  -> <tf.Tensor 'ParseExample/ParseExampleV2:0' shape=(None, 2) ...>
"""

from __future__ import annotations

import collections
import re
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.dtypes import DType
from stowflow.graph.builder import apply_op_outputs, constant, convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph, name_scope
from stowflow.graph.shape import TensorShape, as_shape
from stowflow.graph.sparse import SparseTensor

_ALLOWED = (dtypes.float32, dtypes.int64, dtypes.string)
_UNSAFE_NAME_CHARS = re.compile("[^A-Za-z0-9_.\\-/]")


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A variable-length feature parsed into a SparseTensor (``tf.io.VarLenFeature``)."""


class FixedLenFeature(
    collections.namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])
):
    """A fixed-shape feature parsed into a dense Tensor (``tf.io.FixedLenFeature``).

    Without ``default_value`` the feature is required in every example.
    """

    def __new__(cls, shape: Any, dtype: Any, default_value: Any = None) -> FixedLenFeature:
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(
    collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"]
    )
):
    """A ``[None] + shape`` feature padded with ``default_value`` across a batch."""

    def __new__(
        cls, shape: Any, dtype: Any, allow_missing: bool = False, default_value: Any = None
    ) -> FixedLenSequenceFeature:
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class SparseFeature(
    collections.namedtuple(
        "SparseFeature", ["index_key", "value_key", "dtype", "size", "already_sorted"]
    )
):
    """A SparseTensor built from index and value features (``tf.io.SparseFeature``).

    ``index_key`` (a key or a list of keys, one per dimension) names int64 features with
    each value's index; ``value_key`` names the values; ``size`` is the dense shape (an int
    or a list, one per index key). Parsed with a VarLenFeature per key, then merged as TF's
    ``sparse_merge`` does (a ``SparseMerge`` name scope ending in ``SparseReorder``).
    """

    def __new__(
        cls, index_key: Any, value_key: str, dtype: Any, size: Any, already_sorted: bool = False
    ) -> SparseFeature:
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


class _Partition(collections.namedtuple("_Partition", ["key"])):
    pass


class RaggedFeature(
    collections.namedtuple(
        "RaggedFeature", ["dtype", "value_key", "partitions", "row_splits_dtype", "validate"]
    )
):
    """A variable-length feature parsed into a RaggedTensor (``tf.io.RaggedFeature``).

    ``parse_example`` gives a 2-D :class:`RaggedTensor` (one row per example);
    ``parse_single_example`` a 1-D Tensor. Only ``partitions=()`` is supported: a
    partitioned feature raises NotImplementedError.
    """

    RowSplits = type("RowSplits", (_Partition,), {})
    RowLengths = type("RowLengths", (_Partition,), {})
    RowStarts = type("RowStarts", (_Partition,), {})
    RowLimits = type("RowLimits", (_Partition,), {})
    ValueRowIds = type("ValueRowIds", (_Partition,), {})
    UniformRowLength = collections.namedtuple("UniformRowLength", ["length"])

    def __new__(
        cls,
        dtype: Any,
        value_key: str | None = None,
        partitions: Any = (),
        row_splits_dtype: Any = dtypes.int32,
        validate: bool = False,
    ) -> RaggedFeature:
        return super().__new__(
            cls,
            dtypes.as_dtype(dtype),
            value_key,
            tuple(partitions),
            dtypes.as_dtype(row_splits_dtype),
            validate,
        )


class RaggedTensor(collections.namedtuple("RaggedTensor", ["values", "row_splits"])):
    """A minimal ``tf.RaggedTensor`` of ragged rank 1: ``values`` split into rows at
    ``row_splits``. Built from Tensors in a graph; ``Session.run`` returns the same type
    holding arrays, whose :meth:`to_list` gives the rows.
    """

    @property
    def dtype(self) -> Any:
        """The dtype of the values."""
        return self.values.dtype

    @property
    def ragged_rank(self) -> int:
        """Always 1 here."""
        return 1

    def to_list(self) -> list[Any]:
        """The rows as nested Python lists (only for a fetched, array-valued tensor)."""
        if isinstance(self.values, Tensor):
            raise ValueError("to_list() needs a fetched RaggedTensor: run it in a Session")
        values, splits = np.asarray(self.values), np.asarray(self.row_splits)
        return [values[a:b].tolist() for a, b in zip(splits[:-1], splits[1:], strict=True)]


class _Params:
    """TF's ``_ParseOpParams``: the raw key/type/shape/default lists of the op."""

    def __init__(self) -> None:
        self.sparse_keys: list[str] = []
        self.sparse_types: list[DType] = []
        self.dense_keys: list[str] = []
        self.dense_types: list[DType] = []
        self.dense_shapes: list[TensorShape] = []
        self.dense_defaults: dict[str, Any] = {}
        self.ragged_keys: list[str] = []
        self.ragged_value_types: list[DType] = []
        self.ragged_split_types: list[DType] = []

    @classmethod
    def from_features(cls, features: dict[str, Any]) -> _Params:
        params = cls()
        for key in sorted(features):
            feature = features[key]
            if isinstance(feature, VarLenFeature):
                params._add_varlen(key, feature)
            elif isinstance(feature, SparseFeature):
                params._add_sparse_feature(key, feature)
            elif isinstance(feature, RaggedFeature):
                params._add_ragged_feature(key, feature)
            elif isinstance(feature, FixedLenFeature):
                params._add_fixed(key, feature)
            elif isinstance(feature, FixedLenSequenceFeature):
                params._add_sequence(key, feature)
            else:
                raise ValueError(f"Unsupported {type(feature).__name__} {feature} for key '{key}'")
        overlap = set(params.dense_keys) & set(params.sparse_keys)
        if overlap:
            raise ValueError(
                f"Dense and sparse keys must not intersect; dense_keys: {params.dense_keys}, "
                f"sparse_keys: {params.sparse_keys}, intersection: {overlap}"
            )
        return params

    def _add_varlen(self, key: str, feature: VarLenFeature) -> None:
        if not feature.dtype:
            raise ValueError(f"Missing type for feature {key}. Received feature={feature}")
        self._add_sparse_key(key, feature.dtype)

    def _add_sparse_key(self, key: str, dtype: Any) -> None:
        """A sparse key once; a second use must agree on the dtype (TF's check)."""
        kind = dtypes.as_dtype(dtype)
        if key in self.sparse_keys:
            original = self.sparse_types[self.sparse_keys.index(key)]
            if original != kind:
                raise ValueError(f"Conflicting type {original!r} vs {kind!r} for feature {key}.")
            return
        self.sparse_keys.append(key)
        self.sparse_types.append(kind)

    def _add_ragged_feature(self, key: str, feature: RaggedFeature) -> None:
        if feature.partitions:
            raise NotImplementedError(
                "stowflow parses RaggedFeature without partitions only; parse the partition "
                "keys as VarLenFeature instead"
            )
        value_key = key if feature.value_key is None else feature.value_key
        if value_key in self.ragged_keys:
            index = self.ragged_keys.index(value_key)
            if self.ragged_value_types[index] != feature.dtype:
                raise ValueError(f"Inconsistent dtype for feature {value_key!r}")
            if self.ragged_split_types[index] != feature.row_splits_dtype:
                raise ValueError(f"Inconsistent row_splits_dtype for feature {value_key!r}")
            return
        self.ragged_keys.append(value_key)
        self.ragged_value_types.append(feature.dtype)
        self.ragged_split_types.append(feature.row_splits_dtype)

    def _add_sparse_feature(self, key: str, feature: SparseFeature) -> None:
        if not feature.index_key:
            raise ValueError(f"Missing index_key for SparseFeature {feature}.")
        if not feature.value_key:
            raise ValueError(f"Missing value_key for SparseFeature {feature}.")
        if not feature.dtype:
            raise ValueError(f"Missing type for feature {key}. Received feature={feature}.")
        index_keys = (
            [feature.index_key] if isinstance(feature.index_key, str) else feature.index_key
        )
        for index_key in sorted(index_keys):
            self._add_sparse_key(index_key, dtypes.int64)
        self._add_sparse_key(feature.value_key, feature.dtype)

    def _check_typed(self, key: str, feature: Any) -> TensorShape:
        if not feature.dtype:
            raise ValueError(f"Missing type for feature {key}. Received feature={feature}.")
        if feature.shape is None:
            raise ValueError(f"Missing shape for feature {key}. Received feature={feature}.")
        return as_shape(feature.shape)

    def _add_fixed(self, key: str, feature: FixedLenFeature) -> None:
        shape = self._check_typed(key, feature)
        if feature.shape and shape.ndims and shape.dims[0] is None:  # type: ignore[index]
            raise ValueError(
                f"First dimension of shape for feature {key} unknown. Consider using "
                f"FixedLenSequenceFeature. Received feature={feature}."
            )
        if not shape.is_fully_defined():
            raise ValueError(
                f"All dimensions of shape for feature {key} need to be known but received "
                f"{feature.shape!s}."
            )
        self._add_dense(key, feature.dtype, shape, feature.default_value)

    def _add_sequence(self, key: str, feature: FixedLenSequenceFeature) -> None:
        shape = self._check_typed(key, feature)
        self._add_dense(key, feature.dtype, shape, feature.default_value)

    def _add_dense(self, key: str, dtype: Any, shape: TensorShape, default: Any) -> None:
        self.dense_keys.append(key)
        self.dense_types.append(dtypes.as_dtype(dtype))
        self.dense_shapes.append(shape)
        if default is not None:
            self.dense_defaults[key] = default

    def dense_default_tensors(self) -> list[Tensor]:
        """One default Tensor per dense key, named as TF names them."""
        return [
            _dense_default(key, shape, dtype, self.dense_defaults.get(key))
            for key, shape, dtype in zip(
                self.dense_keys, self.dense_shapes, self.dense_types, strict=True
            )
        ]


def _empty(dtype: DType) -> np.ndarray:
    """An empty 1-D array of ``dtype`` (``tf.constant([], dtype)``)."""
    return np.empty(0, dtype=object if dtype == dtypes.string else dtype.as_numpy_dtype)


def _reshape(tensor: Tensor, shape: list[int], stale_float_shape: bool = False) -> Tensor:
    """``array_ops.reshape`` with TF's node names ("Reshape", "Reshape/shape").

    ``stale_float_shape`` reproduces TF converting a literal ``[]`` shape: it first makes
    a float Const "shape" (left unused in the graph), then the int32 one "shape_1".
    """
    graph = get_default_graph()
    with graph.name_scope("Reshape") as scope:
        _check_reshape(tensor, shape, scope[:-1])
        if stale_float_shape:
            constant(_empty(dtypes.float32), dtype=dtypes.float32, name="shape")
        shape_t = constant(np.asarray(shape, np.int32), dtype=dtypes.int32, name="shape")
        result = apply_op_outputs("Reshape", {"tensor": tensor, "shape": shape_t}, None, name=scope)
    return result[0]


def _check_reshape(tensor: Tensor, shape: list[int], node: str) -> None:
    """TF's Reshape shape function rejects a default of the wrong size at graph build."""
    have = tensor.shape.num_elements()
    want = int(np.prod(shape, dtype=np.int64))
    if have is not None and have != want:
        dims = ",".join(str(d) for d in shape)
        raise ValueError(
            f"Cannot reshape a tensor with {have} elements to shape [{dims}] ({want} elements) "
            f"for '{{{{node {node}}}}} = Reshape[]'"
        )


def _dense_default(key: str, shape: TensorShape, dtype: DType, default: Any) -> Tensor:
    """TF's ``_ParseOpParams._make_dense_default``."""
    safe = _UNSAFE_NAME_CHARS.sub("_", key)
    if shape.ndims and shape.dims[0] is None:  # type: ignore[index]
        if default is None:
            return convert_to_tensor("" if dtype == dtypes.string else 0, dtype=dtype)
        value = convert_to_tensor(default, dtype=dtype, name="padding_" + safe)
        return _reshape(value, [], stale_float_shape=True)
    if default is None:
        return constant(_empty(dtype), dtype=dtype)
    if isinstance(default, Tensor):
        return default
    value = convert_to_tensor(default, dtype=dtype, name="key_" + safe)
    return _reshape(value, [int(d) for d in shape.as_list()])  # type: ignore[arg-type]


def _prepend_none_dimension(features: dict[str, Any]) -> dict[str, Any]:
    modified = dict(features)
    for key, feature in features.items():
        if isinstance(feature, FixedLenSequenceFeature):
            if not feature.allow_missing:
                raise ValueError(
                    "Unsupported: FixedLenSequenceFeature requires allow_missing to be True."
                )
            modified[key] = FixedLenSequenceFeature(
                [None, *list(feature.shape)],
                feature.dtype,
                feature.allow_missing,
                feature.default_value,
            )
    return modified


def _check_allowed(arg: str, kinds: list[DType]) -> None:
    for kind in kinds:
        if kind not in _ALLOWED:
            raise TypeError(
                f"Value passed to parameter '{arg}' has DataType {kind.name} not in list of "
                "allowed values: float32, int64, string"
            )


def _string_list(value: Any, name: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    array = np.empty(len(value), dtype=object)
    array[:] = [v.encode() if isinstance(v, str) else v for v in value]
    return constant(array, dtype=dtypes.string, name=name)


def _parse_example_v2_op(
    serialized: Tensor, names: Any, params: _Params, name: str | None
) -> list[Tensor]:
    """Creates the ParseExampleV2 node, converting list inputs as TF's op_def_library does."""
    defaults = params.dense_default_tensors()
    _check_allowed("dense_defaults", [t.dtype.base_dtype for t in defaults])
    _check_allowed("sparse_types", params.sparse_types)
    graph = get_default_graph()
    with graph.name_scope(name or "ParseExampleV2") as scope:
        inputs = {
            "serialized": serialized,
            "names": _string_list(names, "names"),
            "sparse_keys": _string_list(params.sparse_keys, "sparse_keys"),
            "dense_keys": _string_list(params.dense_keys, "dense_keys"),
            "ragged_keys": _string_list(params.ragged_keys, "ragged_keys"),
            "dense_defaults": defaults,
        }
        attrs = {
            "num_sparse": len(params.sparse_keys),
            "sparse_types": params.sparse_types,
            "ragged_value_types": params.ragged_value_types,
            "ragged_split_types": params.ragged_split_types,
            "dense_shapes": params.dense_shapes,
        }
        return apply_op_outputs("ParseExampleV2", inputs, attrs, name=scope)


def parse_example(
    serialized: Any, features: dict[str, Any], name: str | None = None, example_names: Any = None
) -> dict[str, Any]:
    """Parses a batch of serialized ``tf.train.Example`` protos (``tf.io.parse_example``).

    Args:
        serialized: 1-D string tensor-like of serialized Examples.
        features: key -> FixedLenFeature / VarLenFeature / FixedLenSequenceFeature.
        name: name scope (default "ParseExample").
        example_names: optional 1-D strings naming the examples in error messages.

    Returns:
        key -> Tensor (dense features) or SparseTensor (VarLenFeature), sparse keys first.

    Raises:
        ValueError: for an empty or invalid feature spec (TF's messages).
        TypeError: for a dtype other than float32, int64 or string.

    Example:
        >>> # parse_example(s, {"age": FixedLenFeature([], int64, default_value=-1)})
    """
    if not features:
        raise ValueError(f"Argument `features` cannot be None or falsy. Got {features}")
    features = _prepend_none_dimension(features)
    params = _Params.from_features(features)
    with name_scope(name, "ParseExample", [serialized, example_names]):
        names = [] if example_names is None else example_names
        serialized_t = convert_to_tensor(serialized, name="serialized")
        outputs = _parse_example_v2_op(serialized_t, names, params, name)
        n = len(params.sparse_keys)
        sparse = [SparseTensor(outputs[i], outputs[n + i], outputs[2 * n + i]) for i in range(n)]
        d, r = len(params.dense_keys), len(params.ragged_keys)
        values: list[Any] = [*sparse, *outputs[3 * n : 3 * n + d]]
        ragged_values = outputs[3 * n + d : 3 * n + d + r]
        ragged_splits = outputs[3 * n + d + r : 3 * n + d + 2 * r]
        if serialized_t.shape.ndims == 0:  # one example: the values alone (TF's choice)
            values += ragged_values
        else:
            values += [
                RaggedTensor(v, s) for v, s in zip(ragged_values, ragged_splits, strict=True)
            ]
    keys = params.sparse_keys + params.dense_keys + params.ragged_keys
    parsed = dict(zip(keys, values, strict=True))
    return _composite_features(features, parsed)


def _composite_features(features: dict[str, Any], parsed: dict[str, Any]) -> dict[str, Any]:
    """TF's ``_construct_tensors_for_composite_features``: SparseFeatures merged from their
    parts; the parts that no feature asked for are dropped."""
    updates = {}
    for key in sorted(features):
        feature = features[key]
        if isinstance(feature, SparseFeature):
            if isinstance(feature.index_key, str):
                ids: Any = parsed[feature.index_key]
            else:
                ids = [parsed[k] for k in feature.index_key]
            updates[key] = sparse_merge(
                ids, parsed[feature.value_key], feature.size, already_sorted=feature.already_sorted
            )
        elif isinstance(feature, RaggedFeature):
            updates[key] = parsed[key if feature.value_key is None else feature.value_key]
    parsed.update(updates)
    for key in set(parsed) - set(features):
        del parsed[key]
    return parsed


def sparse_merge(
    sp_ids: Any,
    sp_values: SparseTensor,
    vocab_size: Any,
    name: str | None = None,
    already_sorted: bool = False,
) -> SparseTensor:
    """TF's ``sparse_ops.sparse_merge_impl``: ids become the last index column(s).

    Raises:
        TypeError / ValueError: for mismatched ``sp_ids`` and ``vocab_size`` (TF's messages).
    """
    from stowflow.graph.array_ops import expand_dims, strided_slice_from_key

    if isinstance(sp_ids, SparseTensor):
        sp_ids, vocab_size = [sp_ids], [vocab_size]
    elif not isinstance(vocab_size, (list, tuple)):
        raise TypeError(
            f"vocab_size has to be a list of Tensors or Python ints. Found {type(vocab_size)}"
        )
    if len(sp_ids) != len(vocab_size):
        raise ValueError("sp_ids and vocab_size have to have equal lengths.")
    graph = get_default_graph()
    with name_scope(name, "SparseMerge", [sp_ids, sp_values]):
        ids = []
        for part in sp_ids:
            column = part.values
            if column.dtype.base_dtype != dtypes.int64:
                column = _cast_int64(column)
            ids.append(expand_dims(column, 1))
        sizes = [_cast_int64(v) for v in vocab_size]
        kept = strided_slice_from_key(sp_ids[0].indices, (slice(None), slice(None, -1)))
        new_indices = _concat([kept, *ids], 1)
        prefix = strided_slice_from_key(sp_ids[0].dense_shape, slice(None, -1))
        new_shape = _concat([prefix, sizes], 0)
        if already_sorted:
            return SparseTensor(new_indices, sp_values.values, new_shape)
        indices, values = apply_op_outputs(
            "SparseReorder",
            {
                "input_indices": new_indices,
                "input_values": sp_values.values,
                "input_shape": new_shape,
            },
            None,
            name="SparseReorder",
        )
        _reordered_dense_shape(graph, sp_ids[0], vocab_size, new_shape)
    return SparseTensor(indices, values, new_shape)


def _reordered_dense_shape(graph: Any, ids: SparseTensor, sizes: list[Any], shape: Tensor) -> None:
    """What TF's ``sparse_reorder`` leaves in the graph for the dense shape: a Const in a
    ``SparseTensor_1`` scope when the merged shape is statically known (a single example:
    no leading dimensions, int sizes), else ``Identity`` of it. Neither is used later."""
    known = ids.dense_shape.shape.as_list() == [1] and all(isinstance(v, int) for v in sizes)
    if not known:
        apply_op_outputs("Identity", {"input": shape}, None, name="Identity")
        return
    with graph.name_scope("SparseTensor"):
        pass  # TF's first SparseTensor(...) of sparse_merge opens (and uses) this scope
    with graph.name_scope("SparseTensor"):
        constant(np.asarray(sizes, np.int64), dtype=dtypes.int64, name="dense_shape")


def _cast_int64(value: Any) -> Tensor:
    """``math_ops.cast(value, int64)``: a Python value becomes ``Cast/x`` inside the scope."""
    with get_default_graph().name_scope("Cast") as scope:
        tensor = value if isinstance(value, Tensor) else convert_to_tensor(value, name="x")
        if tensor.dtype.base_dtype == dtypes.int64:
            return tensor
        return apply_op_outputs(
            "Cast", {"x": tensor}, {"DstT": dtypes.int64, "Truncate": False}, name=scope
        )[0]


def _concat(values: list[Any], axis: int) -> Tensor:
    """``array_ops.concat``: list items are packed as ``concat/values_<i>``, axis ``concat/axis``."""
    graph = get_default_graph()
    with graph.name_scope("concat") as scope:
        tensors = [
            v if isinstance(v, Tensor) else _pack(v, f"values_{i}") for i, v in enumerate(values)
        ]
        axis_t = constant(np.asarray(axis, np.int32), dtype=dtypes.int32, name="axis")
        out = apply_op_outputs("ConcatV2", {"values": tensors, "axis": axis_t}, None, name=scope)
    return out[0]


def _pack(items: list[Tensor], name: str) -> Tensor:
    return apply_op_outputs("Pack", {"values": list(items)}, {"axis": 0}, name=name)[0]


def parse_single_example(
    serialized: Any, features: dict[str, Any], name: str | None = None, example_names: Any = None
) -> dict[str, Any]:
    """Parses one serialized Example (``tf.io.parse_single_example``): no batch dimension.

    Raises:
        ValueError: if ``features`` is None/empty or ``serialized`` is not a scalar.
    """
    if features is None:
        raise ValueError("Invalid argument: features cannot be None.")
    if not features:
        raise ValueError("Invalid argument: features cannot be empty.")
    with name_scope(name, "ParseSingleExample", [serialized, example_names]):
        serialized_t = convert_to_tensor(serialized, name="serialized")
        if serialized_t.shape.ndims is not None and serialized_t.shape.ndims != 0:
            raise ValueError("Input serialized must be a scalar")
        return parse_example(serialized_t, features, name=name, example_names=example_names)


def parse_example_v2(
    serialized: Any, features: dict[str, Any], example_names: Any = None, name: str | None = None
) -> dict[str, Any]:
    """``tf.io.parse_example`` with TF2's argument order (example_names before name)."""
    return parse_example(serialized, features, name=name, example_names=example_names)


def parse_single_example_v2(
    serialized: Any, features: dict[str, Any], example_names: Any = None, name: str | None = None
) -> dict[str, Any]:
    """``tf.io.parse_single_example`` with TF2's argument order."""
    return parse_single_example(serialized, features, name=name, example_names=example_names)
