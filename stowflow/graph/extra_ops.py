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

import numpy as np

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


# --------------------------------------------------------------------------- TF1 API extras
log1p = _unary("Log1p")
erf = _unary("Erf")
erfc = _unary("Erfc")
expm1 = _unary("Expm1")
softsign = _unary("Softsign", "features")


def log_sigmoid(x: Any, name: str | None = None) -> Tensor:
    """``log(sigmoid(x))`` as ``-softplus(-x)`` (``tf.math.log_sigmoid``)."""
    with get_default_graph().name_scope(name or "LogSigmoid") as scope:
        tensor = convert_to_tensor(x, name="x")
        inner = _one("Softplus", {"features": math_ops.negative(tensor, name="Neg")}, None, None)
        return _one("Neg", {"x": inner}, None, scope)


def crelu(features: Any, name: str | None = None, axis: int = -1) -> Tensor:
    """``relu(concat([x, -x], axis))`` (``tf.nn.crelu``)."""
    from stowflow.graph import array_ops

    with get_default_graph().name_scope(name or "CRelu") as scope:
        x = convert_to_tensor(features, name="features")
        joined = array_ops.concat([x, math_ops.negative(x, name="Neg")], axis, name=scope)
        return math_ops.relu(joined, name="Relu")


def count_nonzero(
    input_tensor: Any = None,
    axis: Any = None,
    keepdims: bool | None = None,
    dtype: Any = dtypes.int64,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
    input: Any = None,  # noqa: A002 - TF's argument name
) -> Tensor:
    """The number of non-zero entries along ``axis`` (``tf.count_nonzero``)."""
    from stowflow.graph import array_ops

    value = input_tensor if input_tensor is not None else input
    axis = axis if axis is not None else reduction_indices
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with get_default_graph().name_scope(name or "count_nonzero"):
        tensor = convert_to_tensor(value, name="input")
        zero = array_ops.zeros([], dtype=tensor.dtype.base_dtype)
        nonzero = _one("NotEqual", {"x": tensor, "y": zero}, None, "NotEqual")
        counted = math_ops.reduce_sum(
            math_ops.cast(nonzero, dtypes.int64), axis=axis, keepdims=keep
        )
        return math_ops.cast(counted, dtype)


def reduce_logsumexp(
    input_tensor: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """``log(sum(exp(x)))`` along ``axis``, computed stably (``tf.reduce_logsumexp``)."""
    from stowflow.graph import array_ops

    axis = axis if axis is not None else reduction_indices
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with get_default_graph().name_scope(name or "ReduceLogSumExp") as scope:
        x = convert_to_tensor(input_tensor, name="input_tensor")
        raw_max = math_ops.reduce_max(x, axis=axis, keepdims=True)
        finite = _one("IsFinite", {"x": raw_max}, None, None)
        safe_max = _one("SelectV2", {"condition": finite, "t": raw_max, "e": 0}, None, None)
        shift = array_ops.stop_gradient(safe_max)
        exps = math_ops.exp(math_ops.subtract(x, shift, name="Sub"), name="Exp")
        result = math_ops.log(math_ops.reduce_sum(exps, axis=axis, keepdims=keep), name="Log")
        if not keep:
            shift = array_ops.reshape(shift, array_ops.shape(result))
        return math_ops.add(result, shift, name=scope)


def _norm_axis(axis: Any) -> tuple[Any, bool]:
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        return list(axis), True
    if isinstance(axis, (tuple, list)) and len(axis) == 1:
        return axis[0], False
    if axis is None or isinstance(axis, int):
        return axis, False
    raise ValueError(
        f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}"
    )


def norm(
    tensor: Any,
    ord: Any = "euclidean",  # noqa: A002 - TF's argument name
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """Vector and matrix norms (``tf.norm``): euclidean/fro, 1, inf and positive p.

    Raises:
        ValueError: for an ``ord``/``axis`` TF refuses, as TF words it.
    """
    from stowflow.graph import array_ops

    keep = bool(keepdims if keepdims is not None else keep_dims)
    axis, is_matrix = _norm_axis(axis)
    supported = ["fro", "euclidean", 1, 2, np.inf] if is_matrix else ["euclidean", 1, 2, np.inf]
    if (
        isinstance(ord, str)
        and ord not in supported
        or not isinstance(ord, str)
        and (ord not in supported and not (ord > 0))
    ):
        raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    if is_matrix and ord == 2:
        raise ValueError("stowflow's norm does not support the matrix 2-norm (needs an SVD)")
    with get_default_graph().name_scope(name or "norm"):
        x = convert_to_tensor(tensor, name="tensor")
        if ord in ("fro", "euclidean", 2):
            result = math_ops.sqrt(
                math_ops.reduce_sum(math_ops.multiply(x, x, name="mul"), axis, keepdims=True),
                name="Sqrt",
            )
        else:
            result = math_ops.abs(x, name="Abs")
            if ord == 1:
                result = math_ops.reduce_sum(result, None if axis is None else _first(axis), True)
                if is_matrix:
                    result = math_ops.reduce_max(result, axis[-1], keepdims=True)
            elif ord == np.inf:
                if is_matrix:
                    result = math_ops.reduce_sum(result, axis[1], keepdims=True)
                result = math_ops.reduce_max(result, None if axis is None else _first(axis), True)
            else:
                powered = math_ops.pow(result, ord, name="Pow")
                result = math_ops.pow(
                    math_ops.reduce_sum(powered, axis, keepdims=True), 1.0 / ord, name="Pow_1"
                )
        if not keep:
            result = array_ops.squeeze(result, axis)
        return result


def _first(axis: Any) -> Any:
    return axis[0] if isinstance(axis, list) else axis


def matrix_inverse(input: Any, adjoint: bool = False, name: str | None = None) -> Tensor:  # noqa: A002
    """The inverse of each innermost square matrix (``tf.linalg.inv``)."""
    return _one("MatrixInverse", {"input": input}, {"adjoint": adjoint}, name)


def random_shuffle(value: Any, seed: int | None = None, name: str | None = None) -> Tensor:
    """``value`` shuffled along its first dimension (``tf.random.shuffle``)."""
    from stowflow.graph.initializers import get_seed

    tensor = value if _is_tensor(value) else convert_to_tensor(value)
    seed1, seed2 = get_seed(seed)
    return _one("RandomShuffle", {"value": tensor}, {"seed": seed1, "seed2": seed2}, name)


def _categorical(
    scope_name: str, logits: Any, num_samples: Any, dtype: Any, seed: int | None
) -> Tensor:
    from stowflow.graph.initializers import get_seed

    with get_default_graph().name_scope(scope_name):
        logits_t = convert_to_tensor(logits, name="logits")
        seed1, seed2 = get_seed(seed)
        attrs = {
            "seed": seed1,
            "seed2": seed2,
            "output_dtype": dtypes.as_dtype(dtype or dtypes.int64),
        }
        return _one("Multinomial", {"logits": logits_t, "num_samples": num_samples}, attrs, None)


def multinomial(
    logits: Any,
    num_samples: Any,
    seed: int | None = None,
    name: str | None = None,
    output_dtype: Any = None,
) -> Tensor:
    """``num_samples`` class indices per row of ``logits`` (``tf.multinomial``)."""
    return _categorical(name or "multinomial", logits, num_samples, output_dtype, seed)


def categorical(
    logits: Any,
    num_samples: Any,
    dtype: Any = None,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """``num_samples`` class indices per row of ``logits`` (``tf.random.categorical``)."""
    return _categorical(name or "categorical", logits, num_samples, dtype, seed)


tan = _unary("Tan")
sinh = _unary("Sinh")
cosh = _unary("Cosh")
asin = _unary("Asin")
acos = _unary("Acos")
atan = _unary("Atan")
is_inf = _unary("IsInf")


def atan2(y: Any, x: Any, name: str | None = None) -> Tensor:
    """The angle of the point ``(x, y)``, element-wise (``tf.atan2``)."""
    return _one("Atan2", {"y": y, "x": x}, None, name)


def logical_xor(x: Any, y: Any, name: str = "LogicalXor") -> Tensor:
    """``(x or y) and not (x and y)``, built from TF's three ops (``tf.math.logical_xor``)."""
    either = _one("LogicalOr", {"x": x, "y": y}, None, None)
    both = _one("LogicalAnd", {"x": x, "y": y}, None, None)
    return _one(
        "LogicalAnd", {"x": either, "y": _one("LogicalNot", {"x": both}, None, None)}, None, name
    )


def xw_plus_b(x: Any, weights: Any, biases: Any, name: str | None = None) -> Tensor:
    """``matmul(x, weights) + biases`` (``tf.nn.xw_plus_b``)."""
    with get_default_graph().name_scope(name or "xw_plus_b") as scope:
        x_t = convert_to_tensor(x, name="x")
        w_t = convert_to_tensor(weights, name="weights")
        b_t = convert_to_tensor(biases, name="biases")
        return math_ops.bias_add(math_ops.matmul(x_t, w_t), b_t, name=scope)


def reduce_variance(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """The variance along ``axis`` (``tf.math.reduce_variance``).

    Raises:
        TypeError: for an integer input (TF's message).
    """
    with get_default_graph().name_scope(name or "reduce_variance"):
        tensor = convert_to_tensor(input_tensor)
        means = math_ops.reduce_mean(tensor, axis=axis, keepdims=True)
        if means.dtype.base_dtype.is_integer:
            raise TypeError(
                f"Input must be either real or complex. Received integer type {means.dtype.base_dtype.name}."
            )
        deviations = _one("Square", {"x": math_ops.subtract(tensor, means, name="sub")}, None, None)
        return math_ops.reduce_mean(deviations, axis=axis, keepdims=keepdims)


def reduce_std(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """The standard deviation along ``axis`` (``tf.math.reduce_std``)."""
    with get_default_graph().name_scope(name or "reduce_std"):
        tensor = convert_to_tensor(input_tensor)
        return _one(
            "Sqrt", {"x": reduce_variance(tensor, axis=axis, keepdims=keepdims)}, None, None
        )


# --------------------------------------------------------------------------- asserts (check_ops)


def Assert(  # noqa: N802 - TF's name
    condition: Any, data: list[Any], summarize: int | None = None, name: str | None = None
) -> Any:
    """An ``Assert`` op failing at run time when ``condition`` is false (``tf.Assert``).

    As TF's graph mode: with only string/int32 data the op is built directly; otherwise it
    is guarded by a ``tf.cond`` (``AssertGuard``) so the data is only read on failure.
    """
    from stowflow.graph import control_flow_ops

    with get_default_graph().name_scope(name or "Assert") as scope:
        converted = [convert_to_tensor(x) for x in data]
        attrs = {"summarize": 3 if summarize is None else int(summarize)}
        if all(t.dtype.base_dtype in (dtypes.string, dtypes.int32) for t in converted):
            return _assert_op(condition, data, attrs)
        condition_t = convert_to_tensor(condition, name="Condition")
        guarded = control_flow_ops.cond(
            condition_t,
            lambda: _no_op("NoOp"),
            lambda: _assert_op(condition_t, data, attrs),
            name="AssertGuard",
        )
        del scope
        return guarded.op


def _assert_op(condition: Any, data: list[Any], attrs: dict[str, Any]) -> Any:
    """``gen_logging_ops._assert``: Python data become ``Assert/data_<i>`` Consts."""
    with get_default_graph().name_scope("Assert") as scope:
        tensors = [
            x if _is_tensor(x) else convert_to_tensor(x, name=f"data_{i}")
            for i, x in enumerate(data)
        ]
        from stowflow.graph.builder import apply_op

        return apply_op("Assert", {"condition": condition, "data": tensors}, attrs, name=scope)


def _static_text(value: Any) -> str:
    if not _is_tensor(value):
        return str(value)
    from stowflow.graph.shape_fns import constant_value

    found = constant_value(value)
    return str(value) if found is None else str(_decoded(found))


def _decoded(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype == object:
        return np.vectorize(lambda b: b.decode() if isinstance(b, bytes) else b)(value)
    return value


def _binary_assert(
    sym: str,
    opname: str,
    op_type: str,
    static_fn: Callable[[Any, Any], Any],
    x: Any,
    y: Any,
    data: Any,
    summarize: int | None,
    message: str | None,
    name: str | None,
) -> Any:
    from stowflow.errors import InvalidArgumentError
    from stowflow.graph.shape_fns import constant_value

    with get_default_graph().name_scope(name or opname):
        x_t = convert_to_tensor(x, name="x")
        y_t = convert_to_tensor(y, dtype=x_t.dtype.base_dtype, name="y")
        if data is None:
            data = [
                f"Condition x {sym} y did not hold element-wise:",
                f"x ({x_t.name}) = ",
                x_t,
                f"y ({y_t.name}) = ",
                y_t,
            ]
        if message is not None:
            data = [message] + list(data)
        condition = _bool_reduction("All")(_one(op_type, {"x": x_t, "y": y_t}, None, None))
        x_static, y_static = constant_value(x_t), constant_value(y_t)
        if x_static is not None and y_static is not None:
            if not np.all(static_fn(x_static, y_static)):
                text = "\n".join(_static_text(d) for d in data)
                raise InvalidArgumentError(None, None, text)
        return Assert(condition, data, summarize=summarize)


def _binary_check(sym: str, opname: str, op_type: str, static_fn: Any) -> Callable[..., Any]:
    def check(
        x: Any,
        y: Any,
        data: Any = None,
        summarize: int | None = None,
        message: str | None = None,
        name: str | None = None,
    ) -> Any:
        if opname in ("assert_equal", "assert_none_equal") and name is None:
            # TF's v1 wrapper opens (and leaves unused) a scope of the same name first.
            with get_default_graph().name_scope(opname):
                pass
        return _binary_assert(sym, opname, op_type, static_fn, x, y, data, summarize, message, name)

    check.__name__ = opname
    check.__doc__ = f"Asserts ``x {sym} y`` element-wise (``tf.debugging.{opname}``)."
    return check


assert_equal = _binary_check("==", "assert_equal", "Equal", np.equal)
assert_none_equal = _binary_check("!=", "assert_none_equal", "NotEqual", np.not_equal)
assert_less = _binary_check("<", "assert_less", "Less", np.less)
assert_less_equal = _binary_check("<=", "assert_less_equal", "LessEqual", np.less_equal)
assert_greater = _binary_check(">", "assert_greater", "Greater", np.greater)
assert_greater_equal = _binary_check(">=", "assert_greater_equal", "GreaterEqual", np.greater_equal)


def _sign_check(
    opname: str, sym: str, zero_first: bool, check: Callable[..., Any]
) -> Callable[..., Any]:
    def op(
        x: Any,
        data: Any = None,
        summarize: int | None = None,
        message: str | None = None,
        name: str | None = None,
    ) -> Any:
        prefix = f"{message}.  " if message else ""
        with get_default_graph().name_scope(name or opname):
            x_t = convert_to_tensor(x, name="x")
            if data is None:
                data = [
                    prefix,
                    f"Condition x {sym} 0 did not hold element-wise:",
                    f"x ({x_t.name}) = ",
                    x_t,
                ]
            zero = convert_to_tensor(0, dtype=x_t.dtype.base_dtype)
            pair = (zero, x_t) if zero_first else (x_t, zero)
            return check(*pair, data=data, summarize=summarize)

    op.__name__ = opname
    op.__doc__ = f"Asserts ``x {sym} 0`` element-wise (``tf.debugging.{opname}``)."
    return op


assert_positive = _sign_check("assert_positive", ">", True, assert_less)
assert_negative = _sign_check("assert_negative", "<", False, assert_less)
assert_non_negative = _sign_check("assert_non_negative", ">=", True, assert_less_equal)
assert_non_positive = _sign_check("assert_non_positive", "<=", False, assert_less_equal)


def assert_rank(
    x: Any,
    rank: int,
    data: Any = None,
    summarize: int | None = None,
    message: str | None = None,
    name: str | None = None,
) -> Any:
    """Checks the static rank of ``x`` (``tf.debugging.assert_rank``), as TF does when the
    rank is known at graph construction: a NoOp, or a ValueError.

    Raises:
        ValueError: when the static rank differs (TF's message).
        NotImplementedError: when the rank is only known at run time.
    """
    with get_default_graph().name_scope(name or "assert_rank"):
        x_t = convert_to_tensor(x, name="x")
        convert_to_tensor(rank, name="rank")
        ndims = x_t.shape.ndims
        if ndims is None:
            raise NotImplementedError("stowflow's assert_rank needs a statically known rank")
        from stowflow.graph import grad_ops

        grad_ops.shape(x_t)
        with get_default_graph().name_scope("assert_type"):
            _no_op("statically_determined_correct_type")
        if ndims != int(rank):
            prefix = f"{message}.  " if message else ""
            raise ValueError(
                f"{prefix}Tensor {x_t.name} must have rank {int(rank)}.  Received rank {ndims}, "
                f"shape {x_t.shape}"
            )
        return _no_op("static_checks_determined_all_ok")


def _no_op(name: str) -> Any:
    from stowflow.graph import array_ops

    return array_ops.no_op(name=name)
