"""TF1 summary ops: ``tf.summary.scalar/histogram/image/text/tensor_summary/merge/merge_all``.

Each builds the graph TF builds: a name scope from the (cleaned) name, the tag as a string
Const inside it, the summary op named after the scope, and the op's output added to the
``summaries`` collection (or the given ``collections``).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from typing import Any

from stowflow import dtypes
from stowflow.graph.builder import apply_op_outputs, convert_to_tensor
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph, name_scope
from stowflow.proto import summary_pb2

log = logging.getLogger("tensorflow")
_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")


def clean_tag(name: str | None) -> str | None:
    """Replaces characters TF does not allow in a tag with ``_`` and strips leading slashes."""
    if name is None:
        return None
    cleaned = _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")
    if cleaned != name:
        log.info("Summary name %s is illegal; using %s instead.", name, cleaned)
    return cleaned


@contextlib.contextmanager
def summary_scope(
    name: str, family: str | None = None, default_name: str | None = None, values: Any = None
) -> Iterator[tuple[str, str]]:
    """Yields ``(tag, scope)``: the scope is the cleaned name (under ``family``), uniquified."""
    clean_name = clean_tag(name)
    clean_family = clean_tag(family)
    base = clean_name if clean_family is None else f"{clean_family}/{clean_name}"
    with name_scope(base, default_name, values) as scope:
        tag = scope.rstrip("/")
        yield (tag if clean_family is None else f"{clean_family}/{tag}"), scope


def _collect(value: Tensor, collections: Any, default: list[str]) -> None:
    graph = get_default_graph()
    for key in default if collections is None else collections:
        graph.add_to_collection(key, value)


def _summary(
    op_type: str, inputs: dict[str, Any], attrs: dict[str, Any] | None, scope: str
) -> Tensor:
    return apply_op_outputs(op_type, inputs, attrs, name=scope)[0]


def scalar(name: str, tensor: Any, collections: Any = None, family: str | None = None) -> Tensor:
    """A ``ScalarSummary`` of a real scalar ``tensor`` tagged with the scope's name."""
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        value = _summary("ScalarSummary", {"tags": tag, "values": tensor}, None, scope)
    _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def histogram(name: str, values: Any, collections: Any = None, family: str | None = None) -> Tensor:
    """A ``HistogramSummary`` of ``values`` over TF's default buckets."""
    with summary_scope(name, family, values=[values]) as (tag, scope):
        value = _summary("HistogramSummary", {"tag": tag, "values": values}, None, scope)
    _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def image(
    name: str, tensor: Any, max_outputs: int = 3, collections: Any = None, family: str | None = None
) -> Tensor:
    """An ``ImageSummary`` of up to ``max_outputs`` images of a [batch, h, w, c] tensor."""
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        value = _summary(
            "ImageSummary", {"tag": tag, "tensor": tensor}, {"max_images": max_outputs}, scope
        )
    _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def tensor_summary(
    name: str,
    tensor: Any,
    summary_description: str | None = None,
    collections: Any = None,
    summary_metadata: Any = None,
    family: str | None = None,
    display_name: str | None = None,
) -> Tensor:
    """A ``TensorSummaryV2`` carrying ``tensor`` itself and a ``SummaryMetadata``."""
    metadata = summary_pb2.SummaryMetadata()
    if summary_metadata is not None:
        metadata.CopyFrom(summary_metadata)
    if summary_description is not None:
        metadata.summary_description = summary_description
    if display_name is not None:
        metadata.display_name = display_name
    serialized = metadata.SerializeToString()
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        value = _summary(
            "TensorSummaryV2",
            {"tag": tag, "tensor": tensor, "serialized_summary_metadata": serialized},
            None,
            scope,
        )
    _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def text(name: str, tensor: Any, collections: Any = None) -> Tensor:
    """A text summary (a string tensor, shown by TensorBoard's text plugin).

    Raises:
        ValueError: if ``tensor`` is not a string tensor (TF's message).
    """
    tensor = convert_to_tensor(tensor)
    if tensor.dtype.base_dtype != dtypes.string:
        raise ValueError(
            f"Expected tensor {tensor.name} to have dtype string, got {tensor.dtype.name}"
        )
    metadata = summary_pb2.SummaryMetadata()
    metadata.plugin_data.plugin_name = "text"
    return tensor_summary(name, tensor, summary_metadata=metadata, collections=collections)


def merge(inputs: Any, collections: Any = None, name: str | None = None) -> Tensor:
    """A ``MergeSummary`` of serialized summaries (tags must be unique when it runs)."""
    with name_scope(name, "Merge", inputs):
        value = apply_op_outputs("MergeSummary", {"inputs": list(inputs)}, None, name=name)[0]
    if collections is not None:
        _collect(value, collections, [])
    return value


def merge_all(
    key: str = GraphKeys.SUMMARIES, scope: str | None = None, name: str | None = None
) -> Tensor | None:
    """Merges every summary in collection ``key`` (None if there is none)."""
    summaries = get_default_graph().get_collection(key, scope)
    return merge(summaries, name=name) if summaries else None
