"""TF1 constructors for the extra math, nn and array ops (``tf.split``, ``tf.one_hot``...).

Each builds the nodes TensorFlow's Python builds: the same op types, node names
(``Cumsum/axis``, ``one_hot/on_value``, ``clip_by_value/Minimum``) and attrs. Python values
given for an input become a ``Const`` named after the OpDef argument inside the op's
scope, typed like TF's ``op_def_library`` types them (by the type attr an earlier input
fixed, else by the value itself).

Example:
    >>> import stowflow as tf
    >>> x = tf.placeholder(tf.float32, [2, 6])
    >>> [t.shape.as_list() for t in split(x, 3, axis=1)]
    [[2, 2], [2, 2], [2, 2]]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from stowflow import dtypes
from stowflow.graph import math_ops, op_defs
from stowflow.graph.builder import apply_op_outputs, convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.graph.shape import as_shape

# --------------------------------------------------------------------------- generic builder


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor) or hasattr(value, "_as_tensor")


def gen_op(
    op_type: str, inputs: dict[str, Any], attrs: dict[str, Any] | None, name: str | None
) -> list[Tensor]:
    """Creates ``op_type`` as TF's generated wrappers do: a scope named ``name`` (default the
    op type), Python inputs converted to Consts named after their OpDef argument.

    Raises:
        TypeError / ValueError: for inputs that do not fit the OpDef, as TF raises them.
    """
    op_def = op_defs.get(op_type)
    attrs = dict(attrs or {})
    graph = get_default_graph()
    with graph.name_scope(name or op_type) as scope:
        known: dict[str, Any] = {k: v for k, v in attrs.items() if isinstance(v, dtypes.DType)}
        converted: dict[str, Any] = {}
        for arg in op_def.input_arg:
            value = inputs[arg.name]
            if arg.number_attr or arg.type_list_attr:
                converted[arg.name] = list(value)
                continue
            want = known.get(arg.type_attr) if arg.type_attr else dtypes.as_dtype(arg.type)
            # TF types a Python value by the attr an earlier input fixed, else by the value
            # itself (a default type attr does not apply: MatrixBandPart's bounds are int32).
            name_arg = None if _is_tensor(value) else arg.name
            tensor = convert_to_tensor(value, dtype=want, name=name_arg)
            if arg.type_attr:
                known.setdefault(arg.type_attr, tensor.dtype.base_dtype)
            converted[arg.name] = tensor
        result = apply_op_outputs(op_type, converted, attrs, name=scope)
    return result


def _one(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any] | None, name: Any) -> Tensor:
    return gen_op(op_type, inputs, attrs, name)[0]


def _unary(op_type: str, arg: str = "x") -> Callable[..., Tensor]:
    def op(x: Any, name: str | None = None) -> Tensor:
        return _one(op_type, {arg: x}, None, name)

    op.__doc__ = f"Element-wise ``{op_type}`` (TF's ``{op_type}`` op)."
    return op


# --------------------------------------------------------------------------- element-wise math

softplus = _unary("Softplus", "features")
selu = _unary("Selu", "features")
reciprocal = _unary("Reciprocal")
sign = _unary("Sign")
ceil = _unary("Ceil")
sin = _unary("Sin")
cos = _unary("Cos")
is_nan = _unary("IsNan")
is_finite = _unary("IsFinite")


def squared_difference(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``(x - y) * conj(x - y)`` with broadcasting (``tf.math.squared_difference``)."""
    return _one("SquaredDifference", {"x": x, "y": y}, None, name)


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """``x`` where positive, ``alpha * x`` elsewhere; ints are cast to float32 first."""
    with get_default_graph().name_scope(name or "LeakyRelu") as scope:
        x = convert_to_tensor(features, name="features")
        if x.dtype.base_dtype.is_integer:
            x = math_ops.cast(x, dtypes.float32)
        return _one("LeakyRelu", {"features": x}, {"alpha": float(alpha)}, scope)


def round(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF's name
    """Rounds half to even; integer tensors are returned unchanged, as ``tf.round`` does."""
    tensor = convert_to_tensor(x, name="x")
    if tensor.dtype.base_dtype.is_integer:
        return tensor
    return _one("Round", {"x": tensor}, None, name)


def div_no_nan(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x / y``, or 0 where ``y`` is 0 (``tf.div_no_nan``)."""
    with get_default_graph().name_scope(name or "div_no_nan") as scope:
        x_t = convert_to_tensor(x, name="x")
        y_t = convert_to_tensor(y, dtype=x_t.dtype.base_dtype, name="y")
        return _one("DivNoNan", {"x": x_t, "y": y_t}, None, scope)


def clip_by_value(
    t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None
) -> Tensor:
    """``min(max(t, lo), hi)`` built as TF builds it: ``Minimum`` then ``Maximum``."""
    with get_default_graph().name_scope(name or "clip_by_value") as scope:
        values = convert_to_tensor(t, name="t")
        upper = math_ops.minimum(values, clip_value_max)
        return math_ops.maximum(upper, clip_value_min, name=scope)


def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """``sum(t ** 2) / 2`` (``tf.nn.l2_loss``)."""
    return _one("L2Loss", {"t": t}, None, name)


def matrix_band_part(input: Any, num_lower: Any, num_upper: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Zeroes everything outside a band of each innermost matrix (``tf.linalg.band_part``)."""
    inputs = {"input": input, "num_lower": num_lower, "num_upper": num_upper}
    return _one("MatrixBandPart", inputs, None, name)


# --------------------------------------------------------------------------- scans, reductions


def _scan(op_type: str) -> Callable[..., Tensor]:
    def op(
        x: Any,
        axis: Any = 0,
        exclusive: bool = False,
        reverse: bool = False,
        name: str | None = None,
    ) -> Tensor:
        with get_default_graph().name_scope(name or op_type) as scope:
            tensor = convert_to_tensor(x, name="x")
            attrs = {"exclusive": exclusive, "reverse": reverse}
            return _one(op_type, {"x": tensor, "axis": axis}, attrs, scope)

    op.__doc__ = f"``tf.{op_type.lower()}``: running ``{op_type}`` along ``axis``."
    return op


cumsum = _scan("Cumsum")
cumprod = _scan("Cumprod")


def _bool_reduction(op_type: str) -> Callable[..., Tensor]:
    def op(
        input_tensor: Any,
        axis: Any = None,
        keepdims: bool | None = None,
        name: str | None = None,
        reduction_indices: Any = None,
        keep_dims: bool | None = None,
    ) -> Tensor:
        keep = bool(keepdims if keepdims is not None else keep_dims)
        axis = axis if axis is not None else reduction_indices
        x = convert_to_tensor(input_tensor)
        if axis is None:
            # TF makes the all-axes constant before (outside) the op's scope.
            rank = x.shape.ndims
            if rank is None:
                from stowflow.graph import array_ops

                axis = array_ops.range(0, array_ops.rank(x))
            else:
                axis = convert_to_tensor(list(range(rank)), dtype=dtypes.int32, name="Const")
        inputs = {"input": x, "reduction_indices": axis}
        return _one(op_type, inputs, {"keep_dims": keep}, name)

    op.__doc__ = (
        f"Logical ``{op_type}`` over ``axis`` (all axes if None), ``tf.reduce_{op_type.lower()}``."
    )
    return op


reduce_all = _bool_reduction("All")
reduce_any = _bool_reduction("Any")


def unsorted_segment_sum(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """Sums rows of ``data`` into ``num_segments`` segments (negative ids are dropped)."""
    inputs = {"data": data, "segment_ids": segment_ids, "num_segments": num_segments}
    return _one("UnsortedSegmentSum", inputs, None, name)


def unsorted_segment_max(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """Per-segment maxima; empty segments hold the dtype's lowest value."""
    inputs = {"data": data, "segment_ids": segment_ids, "num_segments": num_segments}
    return _one("UnsortedSegmentMax", inputs, None, name)


def segment_sum(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """Sums rows of ``data`` over sorted ``segment_ids`` (``tf.math.segment_sum``)."""
    return _one("SegmentSum", {"data": data, "segment_ids": segment_ids}, None, name)


# --------------------------------------------------------------------------- top-k, one-hot


class TopKV2(NamedTuple):
    """``tf.nn.top_k``'s result: ``.values`` and ``.indices``."""

    values: Tensor
    indices: Tensor


class Unique(NamedTuple):
    """``tf.unique``'s result: ``.y`` and ``.idx``."""

    y: Tensor
    idx: Tensor


def top_k(
    input: Any,  # noqa: A002
    k: Any = 1,
    sorted: bool = True,  # noqa: A002
    index_type: Any = dtypes.int32,
    name: str | None = None,
) -> TopKV2:
    """The ``k`` largest entries of the last axis and their indices (``tf.nn.top_k``)."""
    attrs = {"sorted": sorted, "index_type": dtypes.as_dtype(index_type)}
    values, indices = gen_op("TopKV2", {"input": input, "k": k}, attrs, name)
    return TopKV2(values, indices)


def in_top_k(predictions: Any, targets: Any, k: Any, name: str | None = None) -> Tensor:
    """Whether each target is among its row's top ``k`` predictions (``tf.nn.in_top_k``)."""
    with get_default_graph().name_scope(name or "in_top_k"):
        inputs = {"predictions": predictions, "targets": targets, "k": k}
        return _one("InTopKV2", inputs, None, name)


def one_hot(
    indices: Any,
    depth: Any,
    on_value: Any = None,
    off_value: Any = None,
    axis: int | None = None,
    dtype: Any = None,
    name: str | None = None,
) -> Tensor:
    """A one-hot tensor: ``on_value`` where ``indices`` hit, ``off_value`` elsewhere.

    The dtype comes from ``dtype``, else ``on_value``/``off_value``, else float32.
    """
    with get_default_graph().name_scope(name or "one_hot") as scope:
        want = dtypes.as_dtype(dtype) if dtype is not None else None
        on = None if on_value is None else convert_to_tensor(on_value, dtype=want)
        off = None if off_value is None else convert_to_tensor(off_value, dtype=want)
        if want is None:
            given = on if on is not None else off
            want = given.dtype.base_dtype if given is not None else dtypes.float32
        if on is None:
            on = convert_to_tensor(1, dtype=want, name="on_value")
        if off is None:
            off = convert_to_tensor(0, dtype=want, name="off_value")
        inputs = {"indices": indices, "depth": depth, "on_value": on, "off_value": off}
        return _one("OneHot", inputs, {"axis": -1 if axis is None else axis}, scope)


# --------------------------------------------------------------------------- einsum

_EQUATION = re.compile(r"^([a-zA-Z,.]+)(->[a-zA-Z.]*)?$")


def _resolve_equation(equation: str, count: int) -> tuple[list[str], str]:
    equation = equation.replace(" ", "")
    match = _EQUATION.match(equation)
    if not match:
        raise ValueError(f"Indices have incorrect format: {equation}")
    inputs = match.group(1).split(",")
    if len(inputs) != count:
        raise ValueError(
            f'Got {count} arguments for equation "{equation}", expecting {len(inputs)}'
        )
    if match.group(2) is not None:
        return inputs, match.group(2)[2:]
    letters = "".join(inputs).replace(".", "")
    once = sorted(c for c in set(letters) if letters.count(c) == 1)
    prefix = "..." if any("..." in s for s in inputs) else ""
    return inputs, prefix + "".join(once)


def _pair_output(first: str, second: str, later: str) -> str:
    """Subscripts left after contracting two operands: their labels still used ``later``."""
    kept = dict.fromkeys(c for c in (first + second).replace(".", "") if c in later)
    prefix = "..." if "..." in first + second else ""
    return prefix + "".join(kept)


def einsum(equation: str, *inputs: Any, name: str | None = None, **_: Any) -> Tensor:
    """``tf.einsum``: one ``Einsum`` op for one or two operands; more are contracted
    pairwise, left to right (TF picks opt_einsum's greedy order; the values agree).

    Raises:
        ValueError: for a malformed equation or an operand count that does not match it.
    """
    subscripts, output = _resolve_equation(equation, len(inputs))
    with get_default_graph().name_scope(name or "einsum"):
        tensors = [convert_to_tensor(x) for x in inputs]
        while len(tensors) > 2:
            kept = _pair_output(subscripts[0], subscripts[1], "".join(subscripts[2:]) + output)
            eq = f"{subscripts[0]},{subscripts[1]}->{kept}"
            first = _one("Einsum", {"inputs": tensors[:2]}, {"equation": eq}, None)
            tensors, subscripts = [first, *tensors[2:]], [kept, *subscripts[2:]]
        full = ",".join(subscripts) + "->" + output
        return _one("Einsum", {"inputs": tensors}, {"equation": full}, None)


# --------------------------------------------------------------------------- array ops


def split(
    value: Any,
    num_or_size_splits: Any,
    axis: Any = 0,
    num: int | None = None,
    name: str = "split",
) -> list[Tensor]:
    """Splits ``value`` along ``axis`` into equal parts (an int) or given sizes (a list,
    one entry may be -1), as ``tf.split``.

    Raises:
        ValueError: if the number of outputs cannot be inferred from ``num_or_size_splits``.
    """
    if isinstance(num_or_size_splits, int) and not isinstance(num_or_size_splits, bool):
        return gen_op(
            "Split", {"split_dim": axis, "value": value}, {"num_split": num_or_size_splits}, name
        )
    sizes = convert_to_tensor(num_or_size_splits)
    if num is None:
        dims = sizes.shape.dims
        if not dims or dims[0] is None:
            raise ValueError(f"Cannot infer argument `num` from shape {sizes.shape}")
        num = dims[0]
    inputs = {"value": value, "size_splits": sizes, "split_dim": axis}
    return gen_op("SplitV", inputs, {"num_split": num}, name)


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """Reverses ``tensor`` along the axes in ``axis`` (``tf.reverse``, ``ReverseV2``)."""
    return _one("ReverseV2", {"tensor": tensor, "axis": axis}, None, name)


def roll(input: Any, shift: Any, axis: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Rolls elements along ``axis`` by ``shift`` (``tf.roll``)."""
    return _one("Roll", {"input": input, "shift": shift, "axis": axis}, None, name)


def gather_nd(params: Any, indices: Any, name: str | None = None, batch_dims: int = 0) -> Tensor:
    """Gathers slices of ``params`` addressed by the rows of ``indices`` (``tf.gather_nd``).

    Raises:
        ValueError: for ``batch_dims`` other than 0 (not supported by stowflow yet).
    """
    if batch_dims:
        raise ValueError("stowflow's gather_nd supports batch_dims=0 only")
    return _one("GatherNd", {"params": params, "indices": indices}, None, name)


def scatter_nd(indices: Any, updates: Any, shape: Any, name: str | None = None) -> Tensor:
    """A zero tensor of ``shape`` with ``updates`` added at ``indices`` (``tf.scatter_nd``)."""
    return _one("ScatterNd", {"indices": indices, "updates": updates, "shape": shape}, None, name)


def tensor_scatter_update(
    tensor: Any, indices: Any, updates: Any, name: str | None = None
) -> Tensor:
    """``tensor`` with the slices at ``indices`` replaced by ``updates``."""
    inputs = {"tensor": tensor, "indices": indices, "updates": updates}
    return _one("TensorScatterUpdate", inputs, None, name)


def tensor_scatter_add(tensor: Any, indices: Any, updates: Any, name: str | None = None) -> Tensor:
    """``tensor`` with ``updates`` added at ``indices``."""
    inputs = {"tensor": tensor, "indices": indices, "updates": updates}
    return _one("TensorScatterAdd", inputs, None, name)


def unique(x: Any, out_idx: Any = dtypes.int32, name: str | None = None) -> Unique:
    """The distinct values of a 1-D ``x`` in first-occurrence order, and each entry's index."""
    y, idx = gen_op("Unique", {"x": x}, {"out_idx": dtypes.as_dtype(out_idx)}, name)
    return Unique(y, idx)


def shape_n(input: Any, out_type: Any = dtypes.int32, name: str | None = None) -> list[Tensor]:  # noqa: A002
    """The shapes of several same-typed tensors (``tf.shape_n``)."""
    return gen_op("ShapeN", {"input": list(input)}, {"out_type": dtypes.as_dtype(out_type)}, name)


def broadcast_dynamic_shape(shape_x: Any, shape_y: Any) -> Tensor:
    """The broadcast of two shape vectors (``tf.broadcast_dynamic_shape``)."""
    return _one("BroadcastArgs", {"s0": shape_x, "s1": shape_y}, None, None)


def ensure_shape(x: Any, shape: Any, name: str | None = None) -> Tensor:
    """``x``, checked at run time to be compatible with ``shape`` (``tf.ensure_shape``)."""
    return _one("EnsureShape", {"input": x}, {"shape": as_shape(shape)}, name)


def check_numerics(tensor: Any, message: str, name: str | None = None) -> Tensor:
    """``tensor``, or an InvalidArgumentError at run time if it holds NaN or Inf."""
    return _one("CheckNumerics", {"tensor": tensor}, {"message": message}, name)
