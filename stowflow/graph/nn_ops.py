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


# -- normalisation, moments, dropout (TF's nn_impl.py / nn_ops.py graphs) ------------------------


def _axes_list(axes: Any) -> list[int]:
    return [int(axes)] if isinstance(axes, int | np.integer) else [int(a) for a in axes]


def moments(
    x: Any,
    axes: Any,
    shift: Any = None,
    name: str | None = None,
    keep_dims: bool | None = None,
    keepdims: bool | None = None,
) -> tuple[Tensor, Tensor]:
    """Mean and variance of ``x`` over ``axes`` (``tf.compat.v1.nn.moments``).

    Builds TF's ``moments/mean``, ``moments/StopGradient``, ``moments/SquaredDifference``,
    ``moments/variance`` and (without ``keep_dims``) ``moments/Squeeze``/``Squeeze_1``.
    ``shift`` is accepted and unused, as in TF.
    """
    from stowflow.graph import array_ops, extra_ops, math_ops

    del shift
    keep = bool(keepdims if keepdims is not None else keep_dims)
    axes = _axes_list(axes)
    with get_default_graph().name_scope(name or "moments"):
        y = convert_to_tensor(x)
        mean = math_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        centred = extra_ops.squared_difference(y, array_ops.stop_gradient(mean))
        variance = math_ops.reduce_mean(centred, axes, keepdims=True, name="variance")
        if keep:
            return mean, variance
        return array_ops.squeeze(mean, axes), array_ops.squeeze(variance, axes)


def weighted_moments(
    x: Any,
    axes: Any,
    frequency_weights: Any,
    name: str | None = None,
    keep_dims: bool | None = None,
    keepdims: bool | None = None,
) -> tuple[Tensor, Tensor]:
    """Frequency-weighted mean and variance (``tf.compat.v1.nn.weighted_moments``)."""
    from stowflow.graph import array_ops, extra_ops, math_ops

    keep = bool(keepdims if keepdims is not None else keep_dims)
    axes = _axes_list(axes)
    with get_default_graph().name_scope(name or "weighted_moments"):
        x_t = convert_to_tensor(x, name="x")
        w = convert_to_tensor(frequency_weights, name="frequency_weights")
        if w.dtype.base_dtype != x_t.dtype.base_dtype:
            w = math_ops.cast(w, x_t.dtype.base_dtype)
        input_sum = math_ops.reduce_sum(w * x_t, axes, name="weighted_input_sum", keepdims=True)
        spread = w + array_ops.zeros_like(x_t)
        weight_sum = math_ops.reduce_sum(spread, axes, name="sum_of_weights", keepdims=True)
        mean = extra_ops.div_no_nan(input_sum, weight_sum)
        distsq = math_ops.reduce_sum(
            w * extra_ops.squared_difference(x_t, mean),
            axes,
            name="weighted_distsq",
            keepdims=True,
        )
        variance = extra_ops.div_no_nan(distsq, weight_sum)
        if keep:
            return mean, variance
        return array_ops.squeeze(mean, axes), array_ops.squeeze(variance, axes)


def normalize_moments(
    counts: Any, mean_ss: Any, variance_ss: Any, shift: Any, name: str | None = None
) -> tuple[Tensor, Tensor]:
    """Mean and variance from sufficient statistics (``tf.nn.normalize_moments``)."""
    from stowflow.graph import math_ops

    with get_default_graph().name_scope(name or "normalize"):
        divisor = _one("Reciprocal", {"x": counts}, {}, "divisor")
        if shift is None:
            shifted_mean = math_ops.multiply(mean_ss, divisor, name="mean")
            mean = shifted_mean
        else:
            shifted_mean = math_ops.multiply(mean_ss, divisor, name="shifted_mean")
            mean = math_ops.add(shifted_mean, shift, name="mean")
        variance = math_ops.subtract(
            math_ops.multiply(variance_ss, divisor),
            math_ops.square(shifted_mean),
            name="variance",
        )
        return mean, variance


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    offset: Any,
    scale: Any,
    variance_epsilon: float,
    name: str | None = None,
) -> Tensor:
    """``scale * (x - mean) / sqrt(variance + eps) + offset`` (``tf.nn.batch_normalization``),
    as TF's ``batchnorm/Rsqrt``, ``mul``... nodes; ``offset``/``scale`` may be None."""
    from stowflow.graph import math_ops

    with get_default_graph().name_scope(name or "batchnorm"):
        inv = math_ops.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        x_t = convert_to_tensor(x)
        if inv.dtype.base_dtype != x_t.dtype.base_dtype:
            inv = math_ops.cast(inv, x_t.dtype.base_dtype)
        scaled = x_t * inv
        shift = offset - mean * inv if offset is not None else -mean * inv
        if isinstance(shift, Tensor) and shift.dtype.base_dtype != x_t.dtype.base_dtype:
            shift = math_ops.cast(shift, x_t.dtype.base_dtype)
        return scaled + shift


def l2_normalize(
    x: Any,
    axis: Any = None,
    epsilon: float = 1e-12,
    name: str | None = None,
    dim: Any = None,
) -> Tensor:
    """``x / sqrt(max(sum(x**2, axis), epsilon))`` (``tf.compat.v1.nn.l2_normalize``)."""
    from stowflow.graph import math_ops

    axis = dim if axis is None else axis
    with get_default_graph().name_scope(name or "l2_normalize") as scope:
        x_t = convert_to_tensor(x, name="x")
        square_sum = math_ops.reduce_sum(math_ops.square(x_t), axis, keepdims=True)
        inv_norm = math_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x_t, inv_norm, name=scope)


def _validate_rate(rate: Any) -> None:
    if isinstance(rate, int | float | np.number) and not 0 <= float(rate) < 1:
        raise ValueError(
            f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}"
        )


def _noise_shape(x: Tensor, noise_shape: Any) -> Tensor | list[int]:
    """TF's ``_get_noise_shape``: x's shape (a Const when static), or the given shape with
    None entries filled from x's static shape (a list: the sampler makes its Const)."""
    from stowflow.graph import array_ops

    if noise_shape is None:
        dims = x.shape.as_list() if x.shape.ndims is not None else None
        if dims is not None and all(d is not None for d in dims):
            return convert_to_tensor(np.array(dims, np.int32), name="Shape")
        return array_ops.shape(x)
    if isinstance(noise_shape, Tensor):
        return noise_shape
    given = list(noise_shape)
    dims = x.shape.as_list() if x.shape.ndims is not None else None
    if dims is not None and len(dims) == len(given):
        given = [d if g is None else g for g, d in zip(given, dims, strict=True)]
    return [int(d) for d in given]


def _uniform(shape: Tensor | list[int], dtype: Any, seed: int | None) -> Tensor:
    """``random_uniform`` over [0, 1): TF skips the scaling ops for these bounds."""
    from stowflow.graph.initializers import get_seed

    seed1, seed2 = get_seed(seed)
    with get_default_graph().name_scope("random_uniform"):
        if not isinstance(shape, Tensor):
            shape = convert_to_tensor(np.array(shape, np.int32), name="shape")
        attrs = {"dtype": dtype, "seed": seed1, "seed2": seed2}
        return _one("RandomUniform", {"shape": shape}, attrs, "RandomUniform")


def dropout(
    x: Any,
    keep_prob: Any = None,
    noise_shape: Any = None,
    seed: int | None = None,
    name: str | None = None,
    rate: Any = None,
) -> Tensor:
    """Zeroes elements with probability ``rate`` and scales the rest by ``1 / (1 - rate)``
    (``tf.compat.v1.nn.dropout``), with TF 2.x's ``RandomUniform``/``GreaterEqual``/
    ``SelectV2`` graph and seeds, so a seeded mask equals TensorFlow's.

    Raises:
        ValueError: without a rate, for a rate outside [0, 1) or a non-float ``x``
            (TF's messages).
    """
    from stowflow.graph import array_ops, math_ops

    if rate is None and keep_prob is not None:
        rate = 1.0 - keep_prob
    if rate is None:
        raise ValueError(f"`rate` must be provided. Received: rate={rate}")
    graph = get_default_graph()
    with graph.name_scope(name or "dropout"):
        _validate_rate(rate)
        x_t = convert_to_tensor(x, name="x")
        dtype = x_t.dtype.base_dtype
        if not dtype.is_floating:
            raise ValueError(
                "`x.dtype` must be a floating point tensor as `x` will be scaled. "
                f"Received: x_dtype={dtype}"
            )
        if not isinstance(rate, Tensor):
            if float(rate) == 0:
                from stowflow.graph.initializers import get_seed

                get_seed(seed)  # TF's dummy RNG step: later ops get the same op seeds
                return x_t
            scale = convert_to_tensor(1 / (1 - float(rate)), dtype=dtype)
            scaled = _one("Mul", {"x": x_t, "y": scale}, {}, "Mul")
        else:
            if rate.dtype.base_dtype != dtype:
                raise ValueError(
                    "`x.dtype` must be compatible with `rate.dtype`. Received: "
                    f"x.dtype=<dtype: '{dtype.name}'> and "
                    f"rate.dtype=<dtype: '{rate.dtype.base_dtype.name}'>"
                )
            one = convert_to_tensor(np.array(1, dtype.as_numpy_dtype))
            denominator = _one("Sub", {"x": one, "y": rate}, {}, "Sub")
            scaled = _one("RealDiv", {"x": x_t, "y": denominator}, {}, "RealDiv")
        random = _uniform(_noise_shape(x_t, noise_shape), dtype, seed)
        keep = math_ops.greater_equal(random, rate)
        zero = convert_to_tensor(np.array(0, dtype.as_numpy_dtype))
        out = array_ops.where_v2(keep, scaled, zero)
        out.set_shape(x_t.shape)
        return out


# -- 1-D convolution and pooling, separable convolution ------------------------------------------


def conv1d(
    value: Any = None,
    filters: Any = None,
    stride: Any = None,
    padding: Any = None,
    use_cudnn_on_gpu: bool | None = None,
    data_format: str | None = None,
    name: str | None = None,
    input: Any = None,  # noqa: A002 - TF's name
    dilations: Any = None,
) -> Tensor:
    """A 1-D convolution as TF builds it (``tf.compat.v1.nn.conv1d``): ``ExpandDims`` of input
    and filter, a ``Conv2D`` named after the scope, and ``Squeeze``.

    Raises:
        ValueError: for a data format other than NWC/NCW (TF's message).
    """
    from stowflow.graph import array_ops

    value = input if value is None else value
    fmt = data_format or "NWC"
    if fmt not in ("NWC", "NHWC", "NCW", "NCHW"):
        raise ValueError(
            f"`data_format` must be 'NWC' or 'NCW'. Received: data_format={data_format}"
        )
    channels_last = fmt in ("NWC", "NHWC")
    with get_default_graph().name_scope(name or "conv1d") as scope:
        spatial = -3 if channels_last else -2
        x = array_ops.expand_dims(value, spatial)
        w = array_ops.expand_dims(filters, 0)
        padding, explicit = _padding(padding)
        attrs = {
            "strides": _window_1d(stride, channels_last, "stride"),
            "padding": padding,
            "explicit_paddings": explicit,
            "use_cudnn_on_gpu": True if use_cudnn_on_gpu is None else use_cudnn_on_gpu,
            "data_format": "NHWC" if channels_last else "NCHW",
            "dilations": _window_1d(dilations, channels_last, "dilations"),
        }
        result = _one("Conv2D", {"input": x, "filter": w}, attrs, scope)
        return array_ops.squeeze(result, [spatial])


def _window_1d(value: Any, channels_last: bool, name: str) -> list[int]:
    """A 1-D window (int or list of 1 or 3) as the 4-D attr of the expanded 2-D op."""
    values = [1] if value is None else ([value] if isinstance(value, int) else list(value))
    if len(values) == 3:
        values = [values[1] if channels_last else values[2]]
    if len(values) != 1:
        raise ValueError(
            f"{name} should be of length 1, 1 or 3. Received: {name}={values} of length "
            f"{len(values)}"
        )
    v = int(values[0])
    return [1, 1, v, 1] if channels_last else [1, 1, 1, v]


def _pool1d(
    op_type: str,
    default_name: str,
    input: Any,  # noqa: A002 - TF's name
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str,
    name: str | None,
) -> Tensor:
    from stowflow.graph import array_ops

    channels_last = data_format == "NWC"
    with get_default_graph().name_scope(name or default_name) as scope:
        axis = 1 if channels_last else 2
        x = array_ops.expand_dims(input, axis)
        attrs: dict[str, Any] = {
            "ksize": _window_1d(ksize, channels_last, "ksize"),
            "strides": _window_1d(strides, channels_last, "strides"),
            "padding": padding,
            "data_format": "NHWC" if channels_last else "NCHW",
        }
        if op_type == "MaxPool":
            attrs["explicit_paddings"] = []
        arg = "input" if op_type == "MaxPool" else "value"
        result = _one(op_type, {arg: x}, attrs, scope)
        return array_ops.squeeze(result, [axis])


def max_pool1d(
    input: Any,  # noqa: A002 - TF's name
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NWC",
    name: str | None = None,
) -> Tensor:
    """1-D max pooling (``tf.nn.max_pool1d``): ExpandDims, ``MaxPool``, Squeeze."""
    return _pool1d("MaxPool", "MaxPool1d", input, ksize, strides, padding, data_format, name)


def avg_pool1d(
    input: Any,  # noqa: A002 - TF's name
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NWC",
    name: str | None = None,
) -> Tensor:
    """1-D average pooling (``tf.nn.avg_pool1d``): ExpandDims, ``AvgPool``, Squeeze."""
    return _pool1d("AvgPool", "AvgPool1D", input, ksize, strides, padding, data_format, name)


def separable_conv2d(
    input: Any,  # noqa: A002 - TF's name
    depthwise_filter: Any,
    pointwise_filter: Any,
    strides: Any,
    padding: Any,
    rate: Any = None,
    name: str | None = None,
    data_format: str | None = None,
    dilations: Any = None,
) -> Tensor:
    """Depthwise then 1x1 pointwise convolution (``tf.compat.v1.nn.separable_conv2d``):
    ``separable_conv2d/depthwise`` (DepthwiseConv2dNative) and a ``Conv2D`` named after
    the scope.

    Raises:
        NotImplementedError: for a rate > 1 (TF's SpaceToBatchND form).
    """
    rate = dilations if rate is None else rate
    rates = [1, 1] if rate is None else [int(r) for r in np.broadcast_to(np.asarray(rate), (2,))]
    if rates != [1, 1]:
        raise NotImplementedError(
            "separable_conv2d with rate > 1 (TF's SpaceToBatchND form) is not built by "
            f"stowflow yet; got rate={rate}"
        )
    fmt = data_format or "NHWC"
    with get_default_graph().name_scope(name or "separable_conv2d") as scope:
        x = convert_to_tensor(input, name="input")
        depthwise = convert_to_tensor(depthwise_filter, name="depthwise_filter")
        pointwise = convert_to_tensor(pointwise_filter, name="pointwise_filter")
        shape = depthwise.shape.as_list()
        if all(d is not None for d in shape):
            convert_to_tensor(np.array(shape, np.int32), name="Shape")
        convert_to_tensor(np.array(rates, np.int32), name="dilation_rate")
        pad, explicit = _padding(padding)
        attrs = {
            "strides": [int(s) for s in strides],
            "padding": pad,
            "explicit_paddings": explicit,
            "data_format": fmt,
            "dilations": [1, 1, 1, 1],
        }
        inner = _one("DepthwiseConv2dNative", {"input": x, "filter": depthwise}, attrs, "depthwise")
        point_attrs = {
            "strides": [1, 1, 1, 1],
            "padding": "VALID",
            "explicit_paddings": [],
            "data_format": fmt,
            "dilations": [1, 1, 1, 1],
            "use_cudnn_on_gpu": True,
        }
        return _one("Conv2D", {"input": inner, "filter": pointwise}, point_attrs, scope)
