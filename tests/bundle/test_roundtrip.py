"""Hypothesis round trips: random dtypes, shapes, names and shard counts save and load bitwise."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stowflow_testlib import assert_bitwise_equal

from stowflow import checkpoint, dtypes
from stowflow.bundle import BundleReader, BundleWriter
from stowflow.errors import InvalidArgumentError

STORABLE = [d for d in dtypes.all_dtypes() if d.is_numpy_compatible]
# checkpoint.save infers the dtype from NumPy, which has no quantized types.
INFERABLE = [d for d in STORABLE if not d.is_quantized]
# ml_dtypes types narrower than a byte: stored one per byte, only some bit patterns valid.
_SUB_BYTE = {"int4": 4, "uint4": 4, "int2": 2, "uint2": 2, "float4_e2m1fn": 4}

names = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    min_size=1,
    max_size=12,
) | st.sampled_from(["a/b/c", "x:0", "model/w/.ATTRIBUTES/VARIABLE_VALUE", "\u00fc/\u4e2d", " "])
shapes = st.lists(st.integers(0, 4), max_size=3)


@st.composite
def arrays(draw: st.DrawFn, dtype: dtypes.DType) -> np.ndarray:
    shape = tuple(draw(shapes))
    count = int(np.prod(shape, dtype=np.int64))
    if dtype == dtypes.string:
        flat = np.empty(count, dtype=object)
        flat[:] = draw(st.lists(st.binary(max_size=150), min_size=count, max_size=count))
        return flat.reshape(shape)
    np_dtype = np.dtype(dtype.as_numpy_dtype)
    if dtype == dtypes.bool:
        bits = draw(st.lists(st.booleans(), min_size=count, max_size=count))
        return np.array(bits, dtype=bool).reshape(shape)
    if dtype.name in _SUB_BYTE:
        width = _SUB_BYTE[dtype.name]
        raw = draw(st.binary(min_size=count, max_size=count))
        codes = np.frombuffer(raw, np.uint8) & ((1 << width) - 1)
        if dtype.name in ("int4", "int2"):  # sign-extend the low bits
            codes = codes.astype(np.int16) - ((codes >> (width - 1)) << width)
            return codes.astype(np_dtype).reshape(shape)
        if dtype.name == "float4_e2m1fn":
            return codes.view(np_dtype).reshape(shape)
        return codes.astype(np_dtype).reshape(shape)
    # Any bit pattern: NaN payloads, -0.0, subnormals, infinities.
    raw = draw(st.binary(min_size=count * np_dtype.itemsize, max_size=count * np_dtype.itemsize))
    return np.frombuffer(raw, dtype=np_dtype).reshape(shape).copy()


@st.composite
def checkpoints(
    draw: st.DrawFn, pool: list[dtypes.DType]
) -> dict[str, tuple[dtypes.DType, np.ndarray]]:
    keys = draw(st.lists(names, min_size=1, max_size=6, unique=True))
    out = {}
    for key in keys:
        dtype = draw(st.sampled_from(pool + [dtypes.string]))
        out[key] = (dtype, draw(arrays(dtype)))
    return out


@settings(max_examples=60, deadline=None)
@given(tensors=checkpoints(INFERABLE), shards=st.integers(1, 4), data=st.data())
def test_save_load_round_trip(
    tensors: dict[str, tuple[dtypes.DType, np.ndarray]], shards: int, data: st.DataObject
) -> None:
    partitionable = sorted(k for k, (_, a) in tensors.items() if a.ndim and a.shape[0] > 0)
    partitioned = (
        data.draw(st.lists(st.sampled_from(partitionable), unique=True)) if (partitionable) else []
    )
    partitions = {k: data.draw(st.integers(1, tensors[k][1].shape[0])) for k in partitioned}
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "ckpt")
        checkpoint.save(
            prefix, {k: a for k, (_, a) in tensors.items()}, shards=shards, partitions=partitions
        )
        loaded = checkpoint.load(prefix)
        assert sorted(loaded) == sorted(tensors)
        for key, (_dtype, array) in tensors.items():
            assert_bitwise_equal(loaded[key], array, key)
        with checkpoint.Reader(tmp) as reader:  # the directory resolves via the state file
            assert reader.get_variable_to_dtype_map() == {k: d for k, (d, _) in tensors.items()}
            assert reader.get_variable_to_shape_map() == {
                k: list(a.shape) for k, (_, a) in tensors.items()
            }
        assert checkpoint.list_variables(prefix) == sorted(
            (k, list(a.shape)) for k, (_, a) in tensors.items()
        )


@settings(max_examples=40, deadline=None)
@given(tensors=checkpoints(STORABLE), num_shards=st.integers(1, 3), data=st.data())
def test_bundle_writer_round_trip_with_explicit_dtypes(
    tensors: dict[str, tuple[dtypes.DType, np.ndarray]], num_shards: int, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "b")
        with BundleWriter(prefix, num_shards=num_shards) as writer:
            for key, (dtype, array) in tensors.items():
                writer.add(key, array, dtype=dtype, shard=data.draw(st.integers(0, num_shards - 1)))
        with BundleReader(prefix) as reader:
            assert reader.keys() == sorted(tensors)
            for key, (dtype, array) in tensors.items():
                assert reader.dtype(key) == dtype
                assert_bitwise_equal(reader.read(key), array, key)


def test_empty_name_is_rejected_cleanly(tmp_path: object) -> None:
    """ "" is the header's key; a tensor may not use it, and no temp files may be left."""
    directory = str(tmp_path)
    with pytest.raises(InvalidArgumentError):
        checkpoint.save(os.path.join(directory, "c"), {"": np.zeros(2)})
    assert os.listdir(directory) == []
