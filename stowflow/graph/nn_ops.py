"""TF1 constructors of the conv / pool / norm / pad / resize ops (``tf.nn.conv2d`` ...).

Each builds the node TensorFlow 2.21's ``tf.compat.v1`` builds: the same op type, attrs
and default names (``Conv2D``, ``depthwise``, ``conv2d_transpose``, ``MaxPool``,
``FusedBatchNormV3``, ``Pad``/``PadV2``/``MirrorPad``, ``ResizeBilinear``). Window
arguments accept what TF accepts: an int, a list of 1, N or N + 2 values; ``padding`` a
string or an explicit ``[[before, after], ...]`` list.

Example:
    >>> import stowflow as tf
    >>> x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    >>> y = conv2d(x, tf.ones([3, 3, 3, 4]), strides=1, padding="SAME")
    >>> y.shape.as_list()
    [None, 8, 8, 4]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph.builder import apply_op, convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph


def _one(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any], name: str) -> Tensor:
    result = apply_op(op_type, inputs, attrs, name=name)
    if not isinstance(result, list):
        raise TypeError(f"{op_type} has no outputs")
    return result[0]


def _sequence(value: Any, n: int, channel_index: int, name: str) -> list[int]:
    """A window attr of ``n + 2`` values from an int or a list of 1, n or n + 2 values.

    Raises:
        ValueError: for another length (TF's message).
    """
    if value is None:
        return [1] * (n + 2)
    values = [value] if isinstance(value, int) else list(value)
    if len(values) == n + 2:
        return [int(v) for v in values]
    if len(values) == 1:
        values = values * n
    elif len(values) != n:
        raise ValueError(
            f"{name} should be of length 1, {n} or {n + 2}. "
            f"Received: {name}={values} of length {len(values)}"
        )
    values = [int(v) for v in values]
    return [1, 1, *values] if channel_index == 1 else [1, *values, 1]


def _padding(padding: Any, expected: int = 4) -> tuple[str, list[int]]:
    """``(padding, explicit_paddings)`` attrs from a string or a list of (before, after) pairs.

    Raises:
        ValueError: for "EXPLICIT" as a string or a malformed list (TF's messages).
    """
    if isinstance(padding, list | tuple):
        flat: list[int] = []
        for i, pair in enumerate(padding):
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise ValueError(
                    "When `padding` is a list, each element of `padding` must be a list/tuple "
                    f"of size 2. Received: padding={padding} with element at index {i}"
                )
            flat.extend(int(p) for p in pair)
        if len(padding) != expected:
            raise ValueError(
                f"When padding is a list, it must be of size {expected}. "
                f"Received: padding={padding} of size {len(padding)}"
            )
        return "EXPLICIT", flat
    if padding == "EXPLICIT":
        raise ValueError(
            "'EXPLICIT' is not a valid value for `padding`. To use explicit padding, "
            "`padding` must be a list."
        )
    return padding, []


def _channel_index(data_format: str | None) -> int:
    return 1 if (data_format or "NHWC").startswith("NC") else 3


def conv2d(
    input: Any,  # noqa: A002 - TF's name
    filter: Any = None,  # noqa: A002 - TF's name
    strides: Any = None,
    padding: Any = None,
    use_cudnn_on_gpu: bool = True,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
    filters: Any = None,
) -> Tensor:
    """A 2-D convolution (``tf.compat.v1.nn.conv2d``): one ``Conv2D`` node.

    Raises:
        ValueError: for malformed strides, dilations or padding.
    """
    padding, explicit = _padding(padding)
    fmt = data_format or "NHWC"
    channel = _channel_index(fmt)
    attrs = {
        "strides": _sequence(strides, 2, channel, "strides"),
        "padding": padding,
        "use_cudnn_on_gpu": use_cudnn_on_gpu,
        "explicit_paddings": explicit,
        "data_format": fmt,
        "dilations": _sequence(dilations, 2, channel, "dilations"),
    }
    kernel = filters if filter is None else filter
    return _one("Conv2D", {"input": input, "filter": kernel}, attrs, name or "Conv2D")


def depthwise_conv2d(
    input: Any,  # noqa: A002 - TF's name
    filter: Any,  # noqa: A002 - TF's name
    strides: Any,
    padding: Any,
    rate: Any = None,
    name: str | None = None,
    data_format: str | None = None,
    dilations: Any = None,
) -> Tensor:
    """Depthwise 2-D convolution (``tf.compat.v1.nn.depthwise_conv2d``), node ``depthwise``.

    Raises:
        NotImplementedError: for a ``rate`` > 1, which TF builds as SpaceToBatchND /
        DepthwiseConv2dNative / BatchToSpaceND (TF's CPU kernel rejects dilations).
    """
    rate = dilations if rate is None else rate
    rates = [1, 1] if rate is None else list(np.broadcast_to(np.asarray(rate, int), (2,)))
    if any(int(r) != 1 for r in rates):
        raise NotImplementedError(
            "depthwise_conv2d with rate > 1 (TF's SpaceToBatchND form) is not built by "
            f"stowflow yet; got rate={rate}"
        )
    fmt = data_format or "NHWC"
    graph = get_default_graph()
    with graph.name_scope(name or "depthwise") as scope:
        x = convert_to_tensor(input, name="tensor_in")
        w = convert_to_tensor(filter, name="filter_in")
        padding, explicit = _padding(padding)
        attrs = {
            "strides": [int(s) for s in strides],
            "padding": padding,
            "explicit_paddings": explicit,
            "data_format": fmt,
        }
        return _one("DepthwiseConv2dNative", {"input": x, "filter": w}, attrs, scope)


def conv2d_transpose(
    value: Any = None,
    filter: Any = None,  # noqa: A002 - TF's name
    output_shape: Any = None,
    strides: Any = None,
    padding: Any = "SAME",
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,  # noqa: A002 - TF's name
    filters: Any = None,
    dilations: Any = None,
) -> Tensor:
    """Transposed 2-D convolution (``tf.compat.v1.nn.conv2d_transpose``), node
    ``conv2d_transpose`` of type ``Conv2DBackpropInput``."""
    value = input if value is None else value
    kernel = filters if filter is None else filter
    graph = get_default_graph()
    with graph.name_scope(name or "conv2d_transpose") as scope:
        fmt = data_format or "NHWC"
        channel = _channel_index(fmt)
        padding, explicit = _padding(padding)
        attrs = {
            "strides": _sequence(strides, 2, channel, "strides"),
            "padding": padding,
            "explicit_paddings": explicit,
            "data_format": fmt,
            "dilations": _sequence(dilations, 2, channel, "dilations"),
        }
        sizes = convert_to_tensor(output_shape, name="output_shape")
        inputs = {"input_sizes": sizes, "filter": kernel, "out_backprop": value}
        return _one("Conv2DBackpropInput", inputs, attrs, scope)


def conv3d(
    input: Any,  # noqa: A002 - TF's name
    filter: Any = None,  # noqa: A002 - TF's name
    strides: Any = None,
    padding: Any = None,
    data_format: str = "NDHWC",
    dilations: Any = (1, 1, 1, 1, 1),
    name: str | None = None,
    filters: Any = None,
) -> Tensor:
    """A 3-D convolution (``tf.compat.v1.nn.conv3d``): one ``Conv3D`` node."""
    attrs = {
        "strides": [int(s) for s in strides],
        "padding": padding,
        "data_format": data_format,
        "dilations": [int(d) for d in dilations],
    }
    kernel = filters if filter is None else filter
    return _one("Conv3D", {"input": input, "filter": kernel}, attrs, name or "Conv3D")


def _pool(
    op_type: str,
    value: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str | None,
    name: str | None,
) -> Tensor:
    fmt = data_format or "NHWC"
    channel = _channel_index(fmt)
    graph = get_default_graph()
    with graph.name_scope(name or op_type) as scope:
        attrs: dict[str, Any] = {
            "ksize": _sequence(ksize, 2, channel, "ksize"),
            "strides": _sequence(strides, 2, channel, "strides"),
            "data_format": fmt,
        }
        if op_type == "MaxPool":
            attrs["padding"], attrs["explicit_paddings"] = _padding(padding)
        else:
            attrs["padding"] = padding
        return _one(op_type, {"input" if op_type == "MaxPool" else "value": value}, attrs, scope)


def max_pool(
    value: Any = None,
    ksize: Any = None,
    strides: Any = None,
    padding: Any = None,
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,  # noqa: A002 - TF's name
) -> Tensor:
    """Max pooling (``tf.compat.v1.nn.max_pool``): one ``MaxPool`` node."""
    x = input if value is None else value
    return _pool("MaxPool", x, ksize, strides, padding, data_format, name)


def avg_pool(
    value: Any = None,
    ksize: Any = None,
    strides: Any = None,
    padding: Any = None,
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,  # noqa: A002 - TF's name
) -> Tensor:
    """Average pooling (``tf.compat.v1.nn.avg_pool``): one ``AvgPool`` node."""
    x = input if value is None else value
    return _pool("AvgPool", x, ksize, strides, padding, data_format, name)


def fused_batch_norm(
    x: Any,
    scale: Any,
    offset: Any,
    mean: Any = None,
    variance: Any = None,
    epsilon: float = 0.001,
    data_format: str = "NHWC",
    is_training: bool = True,
    name: str | None = None,
    exponential_avg_factor: float = 1.0,
) -> tuple[Tensor, Tensor, Tensor]:
    """Batch normalisation (``tf.compat.v1.nn.fused_batch_norm``): a ``FusedBatchNormV3``
    node; returns ``(y, running_mean, running_variance)``.

    Raises:
        ValueError: without mean and variance when they are needed (inference, or an
        ``exponential_avg_factor`` other than 1).
    """
    if (not is_training or exponential_avg_factor != 1.0) and (mean is None or variance is None):
        raise ValueError(
            "Both `mean` and `variance` must be a 1D tensor when `is_training` is False or "
            f"`exponential_avg_factor` != 1.0. Received: `mean` {mean!r} and `variance` "
            f"{variance!r}"
        )
    inputs = {
        "x": convert_to_tensor(x, name="input"),
        "scale": convert_to_tensor(scale, name="scale"),
        "offset": convert_to_tensor(offset, name="offset"),
    }
    inputs["mean"] = convert_to_tensor(np.zeros(0, np.float32) if mean is None else mean)
    inputs["variance"] = convert_to_tensor(
        np.zeros(0, np.float32) if variance is None else variance
    )
    attrs = {
        "epsilon": float(epsilon),
        "exponential_avg_factor": float(exponential_avg_factor),
        "data_format": data_format,
        "is_training": bool(is_training),
    }
    result = apply_op("FusedBatchNormV3", inputs, attrs, name=name or "FusedBatchNormV3")
    if not isinstance(result, list):
        raise TypeError("FusedBatchNormV3 has no outputs")
    return result[0], result[1], result[2]


_MIRROR_MODES = ("REFLECT", "SYMMETRIC")


def pad(
    tensor: Any,
    paddings: Any,
    mode: str = "CONSTANT",
    name: str | None = None,
    constant_values: Any = 0,
) -> Tensor:
    """Pads a tensor (``tf.pad``): ``Pad`` (zero), ``PadV2`` (other constant) or ``MirrorPad``.

    Raises:
        ValueError: for an unknown ``mode`` (TF's message).
    """
    mode = mode.upper()
    if mode == "CONSTANT":
        if (
            not isinstance(constant_values, Tensor)
            and np.ndim(constant_values) == 0
            and (constant_values == np.zeros_like(constant_values))
        ):
            return _one("Pad", {"input": tensor, "paddings": paddings}, {}, name or "Pad")
        x = convert_to_tensor(tensor)
        value = convert_to_tensor(constant_values, dtype=x.dtype.base_dtype)
        inputs = {"input": x, "paddings": paddings, "constant_values": value}
        return _one("PadV2", inputs, {}, name or "PadV2")
    if mode in _MIRROR_MODES:
        inputs = {"input": tensor, "paddings": paddings}
        return _one("MirrorPad", inputs, {"mode": mode}, name or "MirrorPad")
    raise ValueError(
        'Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or '
        f'"SYMMETRIC". Received: mode={mode}'
    )


def resize_bilinear(
    images: Any,
    size: Any,
    align_corners: bool = False,
    name: str | None = None,
    half_pixel_centers: bool = False,
) -> Tensor:
    """Bilinear resize (``tf.compat.v1.image.resize_bilinear``): one ``ResizeBilinear`` node."""
    attrs = {"align_corners": align_corners, "half_pixel_centers": half_pixel_centers}
    inputs = {"images": images, "size": size}
    return _one("ResizeBilinear", inputs, attrs, name or "ResizeBilinear")


def resize_nearest_neighbor(
    images: Any,
    size: Any,
    align_corners: bool = False,
    name: str | None = None,
    half_pixel_centers: bool = False,
) -> Tensor:
    """Nearest-neighbour resize (``tf.compat.v1.image.resize_nearest_neighbor``)."""
    attrs = {"align_corners": align_corners, "half_pixel_centers": half_pixel_centers}
    inputs = {"images": images, "size": size}
    return _one("ResizeNearestNeighbor", inputs, attrs, name or "ResizeNearestNeighbor")


def embedding_lookup(
    params: Any,
    ids: Any,
    partition_strategy: str = "mod",
    name: str | None = None,
    validate_indices: bool = True,
    max_norm: Any = None,
) -> Tensor:
    """Looks up rows of one embedding table (``tf.compat.v1.nn.embedding_lookup``).

    Builds TF's nodes for a single table: a ``GatherV2`` named after the scope
    (``embedding_lookup``) and ``embedding_lookup/Identity``. Its gradient with respect to
    the table is an ``IndexedSlices``.

    Raises:
        ValueError: for no params (TF's message).
        NotImplementedError: for a partitioned table (several params) or ``max_norm``.
    """
    del validate_indices, partition_strategy
    if params is None:
        raise ValueError("params must be specified")
    tables = list(params) if isinstance(params, list | tuple) else [params]
    if not tables:
        raise ValueError("Length of params is currently 0. Need at least one param.")
    if len(tables) > 1 or max_norm is not None:
        raise NotImplementedError(
            "embedding_lookup over several partitions or with max_norm is not built by stowflow yet"
        )
    graph = get_default_graph()
    with graph.name_scope(name or "embedding_lookup") as scope:
        table = convert_to_tensor(tables[0], name="params")
        ids_t = convert_to_tensor(ids, name="ids")
        with graph.colocate_with(table.op):
            axis = convert_to_tensor(np.array(0, np.int32), name="axis")
            result = _one(
                "GatherV2",
                {"params": table, "indices": ids_t, "axis": axis},
                {"batch_dims": 0},
                scope,
            )
        return _one("Identity", {"input": result}, {}, "Identity")
