"""Summary kernels: ScalarSummary, HistogramSummary, ImageSummary, TensorSummary(V2), MergeSummary.

Each returns a serialized ``Summary`` proto as a 0-d string tensor, as TF's kernels do, so the
bytes can go to ``FileWriter.add_summary`` or be merged. Histograms use TF's default bucket
boundaries (widths growing by 10% from 1e-12 to 1e20, mirrored for negatives, plus +-DBL_MAX)
and its encoding (runs of empty buckets collapse into one). Images are PNG-encoded after TF's
float normalisation; non-finite pixels get TF's "bad color" (red, opaque).
"""

from __future__ import annotations

import struct
import sys
import zlib
from typing import Any

import numpy as np

from stowflow.graph.kernels.math_kernels import invalid, shape_str
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.shape import TensorShape
from stowflow.proto import summary_pb2
from stowflow.tensors import make_tensor_proto

Array = np.ndarray
Attrs = dict[str, Any]


def _default_bucket_limits() -> np.ndarray:
    positive = []
    v = 1.0e-12
    while v < 1.0e20:  # the same repeated multiplication, so the same doubles
        positive.append(v)
        v *= 1.1
    positive.append(sys.float_info.max)
    negative = [-x for x in reversed(positive)]
    return np.array([*negative, 0.0, *positive], dtype=np.float64)


BUCKET_LIMITS = _default_bucket_limits()


def _string_scalar(summary: summary_pb2.Summary) -> Array:
    return np.array(summary.SerializeToString(), dtype=object)


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


@register_kernel("ScalarSummary")
def _scalar_summary(inputs: list[Any], attrs: Attrs) -> list[Array]:
    tags, values = np.asarray(inputs[0]), np.asarray(inputs[1])
    if tags.shape != values.shape:
        raise invalid(
            f"tags and values are not the same shape: {shape_str(tags.shape)} != "
            f"{shape_str(values.shape)}"
        )
    summary = summary_pb2.Summary()
    for tag, value in zip(tags.ravel(), values.ravel(), strict=True):
        summary.value.add(tag=_text(tag), simple_value=float(value))
    return [_string_scalar(summary)]


def histogram_proto(values: Array) -> summary_pb2.HistogramProto:
    """TF's ``Histogram::EncodeToProto`` of ``values`` (doubles) over the default buckets."""
    counts = np.bincount(
        np.searchsorted(BUCKET_LIMITS, values, side="right"), minlength=len(BUCKET_LIMITS)
    ).astype(np.float64)
    proto = summary_pb2.HistogramProto()
    proto.min = float(values.min()) if values.size else float(BUCKET_LIMITS[-1])
    proto.max = float(values.max()) if values.size else float(-BUCKET_LIMITS[-1])
    proto.num = float(values.size)
    # sequential sums, as TF's loop adds one value at a time
    proto.sum = float(np.add.accumulate(values)[-1]) if values.size else 0.0
    proto.sum_squares = float(np.add.accumulate(values * values)[-1]) if values.size else 0.0
    nonzero = counts > 0
    # An empty bucket is kept only as the last of its run: it is followed by a non-empty one
    # or ends the list.
    keep = nonzero | np.append(nonzero[1:], True)
    proto.bucket_limit.extend(BUCKET_LIMITS[keep].tolist())
    proto.bucket.extend(counts[keep].tolist())
    return proto


@register_kernel("HistogramSummary")
def _histogram_summary(inputs: list[Any], attrs: Attrs) -> list[Array]:
    tag = _text(np.asarray(inputs[0]).item())
    values = np.asarray(inputs[1]).astype(np.float64).ravel()
    if not np.isfinite(values).all():
        kind = "Nan" if np.isnan(values).any() else "Infinity"
        raise invalid(f"{kind} in summary histogram for: {tag}")
    summary = summary_pb2.Summary()
    summary.value.add(tag=tag, histo=histogram_proto(values))
    return [_string_scalar(summary)]


# ------------------------------------------------------------------------------------- images


def encode_png(pixels: Array) -> bytes:
    """A PNG of ``pixels`` (uint8, [height, width, channels] with 1-4 channels)."""
    height, width, channels = pixels.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = np.concatenate(
        [np.zeros((height, 1), np.uint8), pixels.reshape(height, width * channels)], axis=1
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes()))
        + chunk(b"IEND", b"")
    )


def _normalize_float_image(image: Array, bad_color: Array) -> Array:
    """TF's affine map of one float image into uint8; non-finite pixels get ``bad_color``."""
    image = image.astype(np.float32)
    finite = np.isfinite(image).all(axis=-1)
    values = image[finite]
    low = np.float32(values.min()) if values.size else np.float32(np.inf)
    high = np.float32(values.max()) if values.size else np.float32(-np.inf)
    if low < 0:
        bound = max(abs(low), abs(high))
        scale, offset = (np.float32(0) if bound < 1e-6 else np.float32(127) / bound), 128
    else:
        scale, offset = (np.float32(0) if high < 1e-6 else np.float32(255) / high), 0
    out = np.empty(image.shape, np.uint8)
    with np.errstate(invalid="ignore"):
        out[finite] = (values * scale + np.float32(offset)).astype(np.uint8)
    out[~finite] = bad_color
    return out


@register_kernel("ImageSummary")
def _image_summary(inputs: list[Any], attrs: Attrs) -> list[Array]:
    tag = _text(np.asarray(inputs[0]).item())
    images = np.asarray(inputs[1])
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise invalid("Tensor must be 4-D with last dim 1, 3, or 4, not " + shape_str(images.shape))
    max_images = int(attrs.get("max_images", 3))
    bad = attrs.get("bad_color")
    bad_color = np.array([255, 0, 0, 255], np.uint8)
    if bad is not None and getattr(bad, "size", 0):
        bad_color = np.asarray(bad, np.uint8).ravel()
    bad_color = bad_color[: images.shape[-1]]
    summary = summary_pb2.Summary()
    for i, image in enumerate(images[:max_images]):
        pixels = image if images.dtype == np.uint8 else _normalize_float_image(image, bad_color)
        name = f"{tag}/image" if max_images == 1 else f"{tag}/image/{i}"
        value = summary.value.add(tag=name)
        value.image.height, value.image.width, value.image.colorspace = pixels.shape
        value.image.encoded_image_string = encode_png(np.ascontiguousarray(pixels))
    return [_string_scalar(summary)]


# ------------------------------------------------------------------------------ tensors, merge


@register_kernel("TensorSummaryV2")
def _tensor_summary_v2(inputs: list[Any], attrs: Attrs) -> list[Array]:
    tag = _text(np.asarray(inputs[0]).item())
    metadata = np.asarray(inputs[2]).item()
    summary = summary_pb2.Summary()
    value = summary.value.add(tag=tag)
    value.metadata.ParseFromString(metadata if isinstance(metadata, bytes) else metadata.encode())
    value.tensor.CopyFrom(make_tensor_proto(np.asarray(inputs[1])))
    return [_string_scalar(summary)]


@register_kernel("MergeSummary")
def _merge_summary(inputs: list[Any], attrs: Attrs) -> list[Array]:
    merged = summary_pb2.Summary()
    seen: set[str] = set()
    for serialized in inputs[0]:
        for item in np.asarray(serialized, dtype=object).ravel():
            part = summary_pb2.Summary()
            try:
                part.ParseFromString(item if isinstance(item, bytes) else item.encode())
            except Exception:  # protobuf's DecodeError
                raise invalid("Could not parse one of the summary inputs") from None
            for value in part.value:
                if value.tag in seen:
                    raise invalid(f"Duplicate tag {value.tag} found in summary inputs ")
                seen.add(value.tag)
                merged.value.add().CopyFrom(value)
    return [_string_scalar(merged)]


register_shape(
    "ScalarSummary", "HistogramSummary", "ImageSummary", "TensorSummaryV2", "MergeSummary"
)(lambda op: [TensorShape([])])
