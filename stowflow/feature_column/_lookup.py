"""Vocabulary -> id tables as TF's ``lookup_ops.index_table_from_tensor``/``_from_file``.

A ``HashTableV2`` whose initializer (``LookupTableImportV2`` or
``InitializeTableFromTextFileV2``) joins ``GraphKeys.TABLE_INITIALIZERS``, so
``tf.tables_initializer()`` fills it. Keys missing from the vocabulary get ``default_value``,
or with ``num_oov_buckets`` a bucket ``vocab_size + fingerprint-hash(key) % num_oov_buckets``
(TF's ``IdTableWithHashBuckets``; integer keys are hashed as their decimal strings). Node
names follow TF's (``<key>_lookup/hash_table/...``, ``hash_table_Lookup/...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import array_ops, math_ops, string_ops
from stowflow.graph.builder import apply_op_no_outputs, constant
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.graph.extra_ops import gen_op
from stowflow.graph.sparse import SparseTensor

_WHOLE_LINE = -2
_LINE_NUMBER = -1
_TABLE = "hash_table"  # TF's table name, prefix of its lookup scopes


@dataclass
class IndexTable:
    """A string/int64 -> int64 id table with optional OOV hash buckets."""

    handle: Tensor
    default: Tensor
    num_oov_buckets: int

    def lookup(self, keys: SparseTensor) -> SparseTensor:
        """Ids for the values of ``keys`` (same indices and dense shape)."""
        graph = get_default_graph()
        values = keys.values
        if not self.num_oov_buckets:
            ids = self._find(values)
        else:
            with graph.name_scope(f"{_TABLE}_Lookup"):
                text = values if values.dtype == dtypes.string else string_ops.as_string(values)
                buckets = string_ops.to_hash_bucket_fast(
                    text, self.num_oov_buckets, name="hash_bucket"
                )
                ids = self._find(values)
                with graph.name_scope(f"{_TABLE}_Size"):
                    size = gen_op(
                        "LookupTableSizeV2",
                        {"table_handle": self.handle},
                        None,
                        "LookupTableSizeV2",
                    )
                buckets = math_ops.add(buckets, size[0])
                known = math_ops.not_equal(ids, self.default)
                ids = array_ops.where_v2(known, ids, buckets)
        return SparseTensor(keys.indices, ids, keys.dense_shape)

    def _find(self, values: Tensor) -> Tensor:
        with get_default_graph().name_scope(f"{_TABLE}_Lookup"):
            return gen_op(
                "LookupTableFindV2",
                {"table_handle": self.handle, "keys": values, "default_value": self.default},
                None,
                "LookupTableFindV2",
            )[0]


def _hash_table(key_dtype: dtypes.DType, default_value: int) -> tuple[Tensor, Tensor]:
    """The ``Const`` default and the ``HashTableV2`` handle (in the ``hash_table`` scope)."""
    default = constant(np.int64(default_value), dtype=dtypes.int64)
    handle = gen_op(
        "HashTableV2",
        {},
        {
            "container": "",
            "shared_name": "",
            "use_node_name_sharing": False,
            "key_dtype": key_dtype,
            "value_dtype": dtypes.int64,
        },
        _TABLE,
    )[0]
    return handle, default


def _initialize(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any] | None) -> None:
    graph = get_default_graph()
    with graph.name_scope("table_init"):
        init = apply_op_no_outputs(op_type, inputs, attrs, op_type)
    graph.add_to_collection(GraphKeys.TABLE_INITIALIZERS, init)


def _vocabulary_tensor(vocabulary_list: tuple[Any, ...], dtype: dtypes.DType) -> Tensor:
    if dtype == dtypes.string:
        items = [v.encode() if isinstance(v, str) else v for v in vocabulary_list]
        return constant(np.array(items, dtype=object), dtype=dtypes.string)
    # Python ints convert to int32 when they fit (as TF converts them), else int64.
    array = np.array(vocabulary_list, dtype=np.int64)
    small = array.size and np.abs(array).max() < 2**31
    return constant(array.astype(np.int32) if small else array)


def index_table_from_tensor(
    vocabulary_list: tuple[Any, ...],
    num_oov_buckets: int,
    default_value: int,
    dtype: dtypes.DType,
    name: str,
) -> IndexTable:
    """A table mapping ``vocabulary_list[i]`` to ``i``."""
    graph = get_default_graph()
    with graph.name_scope(name):
        keys = _vocabulary_tensor(vocabulary_list, dtype)
        size = constant(np.int32(len(vocabulary_list)), name="Size")
        values = math_ops.cast(array_ops.range(size), dtypes.int64)
        with graph.name_scope(_TABLE):
            table_keys = math_ops.cast(keys, dtypes.int64) if keys.dtype.is_integer else keys
            handle, default = _hash_table(table_keys.dtype.base_dtype, default_value)
            _initialize(
                "LookupTableImportV2",
                {"table_handle": handle, "keys": table_keys, "values": values},
                None,
            )
    return IndexTable(handle, default, num_oov_buckets)


def index_table_from_file(
    vocabulary_file: str,
    num_oov_buckets: int,
    vocab_size: int,
    default_value: int,
    key_dtype: dtypes.DType,
    name: str,
) -> IndexTable:
    """A table mapping line ``i`` of ``vocabulary_file`` (first ``vocab_size`` lines) to ``i``.

    The file name is a ``GraphKeys.ASSET_FILEPATHS`` constant, so a SavedModel export
    copies the vocabulary as an asset (as TF's ``TextFileInitializer`` arranges).
    """
    graph = get_default_graph()
    table_key_dtype = dtypes.int64 if key_dtype.is_integer else key_dtype
    with graph.name_scope(name), graph.name_scope(_TABLE):
        filename = constant(
            np.array(vocabulary_file.encode(), dtype=object), dtype=dtypes.string, name="asset_path"
        )
        graph.add_to_collection(GraphKeys.ASSET_FILEPATHS, filename)
        handle, default = _hash_table(table_key_dtype, default_value)
        _initialize(
            "InitializeTableFromTextFileV2",
            {"table_handle": handle, "filename": filename},
            {
                "key_index": _WHOLE_LINE,
                "value_index": _LINE_NUMBER,
                "vocab_size": vocab_size,
                "delimiter": "\t",
                "offset": 0,
            },
        )
    return IndexTable(handle, default, num_oov_buckets)
