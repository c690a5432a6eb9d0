"""Kernels for the extra TF1 API ops: Softsign(Grad), SparseReduceSum, MatrixDiagV3,
MatrixDiagPartV3, MatrixInverse, RandomShuffle and Multinomial (TF's cwise_ops,
sparse_reduce_op.cc, matrix_diag_op.cc, matrix_inverse_op.cc, random_shuffle_op.cc,
multinomial_op.cc), with their static shape functions.

RandomShuffle and Multinomial read ``attrs["_rng_state"]`` like the kernels in
``random_kernels``; seeded, they give TF's numbers (Multinomial: as long as TF runs the
batch in one shard, i.e. batch * 50 * (samples * log2(classes) + classes) below ~2e5).

Example:
    >>> import numpy as np
    >>> KERNELS["Softsign"]([np.array([1.0, -3.0])], {})[0]
    array([ 0.5 , -0.75])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.errors import InvalidArgumentError, UnimplementedError
from stowflow.graph.kernels.random_kernels import RngState, _samples, _uint64_to_double
from stowflow.graph.kernels.registry import KERNELS, register_kernel, register_shape
from stowflow.graph.shape import TensorShape, unknown_shape
from stowflow.graph.shape_fns import broadcast, constant_value

__all__ = ["KERNELS"]

Array = np.ndarray
Attrs = dict[str, Any]


# --------------------------------------------------------------------------- Softsign


@register_kernel("Softsign")
def _softsign(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x = np.asarray(inputs[0])
    return [x / (np.ones_like(x) + np.abs(x))]


@register_kernel("SoftsignGrad")
def _softsign_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    grad, x = (np.asarray(v) for v in inputs)
    denom = np.ones_like(x) + np.abs(x)
    return [grad / (denom * denom)]


@register_shape("Softsign")
def _same_shape(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape]


@register_shape("SoftsignGrad")
def _grad_shape(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape.merge_with(op.inputs[1].shape)]


# --------------------------------------------------------------------------- SparseReduceSum


def _reduction_axes(axes: Array, rank: int) -> list[int]:
    flat = np.asarray(axes).reshape(-1).astype(np.int64)
    bad = flat[(flat < -rank) | (flat >= rank)]
    if bad.size:
        raise InvalidArgumentError(
            None,
            None,
            f"Invalid reduction dimension {int(bad[0])}, for input with {rank} dimensions.",
        )
    return sorted({int(a) % rank for a in flat})


@register_kernel("SparseReduceSum")
def _sparse_reduce_sum(inputs: list[Any], attrs: Attrs) -> list[Array]:
    indices, values, shape, axes = (np.asarray(v) for v in inputs)
    rank = int(shape.size)
    reduced = _reduction_axes(axes, rank)
    kept = [d for d in range(rank) if d not in reduced]
    out_dims = [int(shape[d]) for d in kept]
    flat = np.zeros(int(np.prod(out_dims, dtype=np.int64)), values.dtype)
    if values.size:
        position = (
            np.ravel_multi_index(tuple(indices[:, d] for d in kept), out_dims)
            if kept
            else np.zeros(values.shape[0], np.int64)
        )
        np.add.at(flat, position, values)
    out = flat.reshape(out_dims)
    if attrs.get("keep_dims"):
        out = out.reshape([1 if d in reduced else int(shape[d]) for d in range(rank)])
    return [out]


@register_shape("SparseReduceSum")
def _sparse_reduce_sum_shape(op: Any) -> list[TensorShape]:
    shape = constant_value(op.inputs[2])
    axes = constant_value(op.inputs[3])
    if shape is None or axes is None:
        return [unknown_shape()]
    rank = int(shape.size)
    reduced = {int(a) % rank for a in np.asarray(axes).reshape(-1)}
    keep = bool(op.get_attr("keep_dims"))
    dims = [1 if d in reduced else int(shape[d]) for d in range(rank) if keep or d not in reduced]
    return [TensorShape(dims)]


# --------------------------------------------------------------------------- MatrixDiag


def _single_k(k: Array) -> int:
    flat = np.asarray(k).reshape(-1)
    if flat.size == 0 or flat.size > 2:
        raise InvalidArgumentError(
            None,
            None,
            f"diag_index must have only one or two elements, received {flat.size} elements.",
        )
    if flat.size == 2 and flat[0] != flat[1]:
        raise UnimplementedError(
            None, None, "stowflow's MatrixDiag kernels take a single diagonal (k)"
        )
    return int(flat[0])


def _diag_positions(rows: int, cols: int, k: int) -> tuple[Array, Array]:
    length = max(0, min(rows + min(k, 0), cols - max(k, 0)))
    steps = np.arange(length)
    return steps + max(-k, 0), steps + max(k, 0)


@register_kernel("MatrixDiagV3")
def _matrix_diag(inputs: list[Any], attrs: Attrs) -> list[Array]:
    diagonal = np.asarray(inputs[0])
    k = _single_k(inputs[1])
    num_rows, num_cols = int(np.asarray(inputs[2])), int(np.asarray(inputs[3]))
    padding = np.asarray(inputs[4], diagonal.dtype)
    if diagonal.ndim < 1:
        raise InvalidArgumentError(
            None, None, "diagonal must be at least 1-dim, received shape: []"
        )
    length = diagonal.shape[-1]
    min_rows, min_cols = length + max(-k, 0), length + max(k, 0)
    if num_rows == -1 and num_cols == -1:
        num_rows = num_cols = max(min_rows, min_cols)
    elif num_rows == -1:
        num_rows = min_rows
    elif num_cols == -1:
        num_cols = min_cols
    if num_rows < min_rows or num_cols < min_cols:
        raise InvalidArgumentError(
            None,
            None,
            f"The number of rows or columns is not consistent with the specified d_lower "
            f"({k}), d_upper ({k}), and diagonal.",
        )
    out = np.full(diagonal.shape[:-1] + (num_rows, num_cols), padding, diagonal.dtype)
    rows, cols = _diag_positions(num_rows, num_cols, k)
    out[..., rows, cols] = diagonal[..., : rows.size]
    return [out]


@register_kernel("MatrixDiagPartV3")
def _matrix_diag_part(inputs: list[Any], attrs: Attrs) -> list[Array]:
    matrix = np.asarray(inputs[0])
    if matrix.ndim < 2:
        raise InvalidArgumentError(
            None, None, f"input must be at least 2-dim, received shape: {list(matrix.shape)}"
        )
    k = _single_k(inputs[1])
    rows, cols = _diag_positions(matrix.shape[-2], matrix.shape[-1], k)
    return [np.ascontiguousarray(matrix[..., rows, cols])]


@register_shape("MatrixDiagV3")
def _matrix_diag_shape(op: Any) -> list[TensorShape]:
    dims = op.inputs[0].shape.dims
    k, rows, cols = (constant_value(t) for t in op.inputs[1:4])
    if dims is None or k is None or rows is None or cols is None or np.asarray(k).size != 1:
        return [unknown_shape()]
    kk, length = int(np.asarray(k).reshape(-1)[0]), dims[-1]
    r, c = int(rows), int(cols)
    if length is None:
        return [TensorShape(dims[:-1] + [None, None])]
    min_rows, min_cols = length + max(-kk, 0), length + max(kk, 0)
    if r == -1 and c == -1:
        r = c = max(min_rows, min_cols)
    r, c = (min_rows if r == -1 else r), (min_cols if c == -1 else c)
    return [TensorShape(dims[:-1] + [r, c])]


@register_shape("MatrixDiagPartV3")
def _matrix_diag_part_shape(op: Any) -> list[TensorShape]:
    dims = op.inputs[0].shape.dims
    k = constant_value(op.inputs[1])
    if dims is None or k is None or np.asarray(k).size != 1 or None in dims[-2:]:
        return [unknown_shape()]
    rows, _ = _diag_positions(dims[-2], dims[-1], int(np.asarray(k).reshape(-1)[0]))
    return [TensorShape(dims[:-2] + [rows.size])]


# --------------------------------------------------------------------------- MatrixInverse


@register_kernel("MatrixInverse")
def _matrix_inverse(inputs: list[Any], attrs: Attrs) -> list[Array]:
    matrix = np.asarray(inputs[0])
    if matrix.ndim < 2:
        raise InvalidArgumentError(
            None, None, f"Input tensor 0 must have rank >= 2, got {matrix.ndim}"
        )
    if matrix.shape[-1] != matrix.shape[-2]:
        raise InvalidArgumentError(
            None,
            None,
            f"Input matrices must be squares, got {matrix.shape[-2]} != {matrix.shape[-1]}",
        )
    if attrs.get("adjoint"):
        matrix = np.conj(np.swapaxes(matrix, -1, -2))
    try:
        inverse = np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(None, None, "Input is not invertible.") from None
    return [inverse.astype(matrix.dtype, copy=False)]


@register_shape("MatrixInverse")
def _matrix_inverse_shape(op: Any) -> list[TensorShape]:
    shape = op.inputs[0].shape
    if shape.dims is None:
        return [unknown_shape()]
    if len(shape.dims) < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {len(shape.dims)}")
    return [shape]


# --------------------------------------------------------------------------- RandomShuffle, Multinomial
# Both draw from the op's Philox stream (random_kernels.RngState) as TF's CPU kernels do:
# consecutive uint32 words of the generator at the reserved counter (SingleSampleAdapter).


def _words(key: int, base: int, count: int) -> Array:
    """``count`` consecutive uint32 outputs of Philox(key) starting at counter ``base``."""
    blocks = -(-count // 4)
    return _samples(key, base, blocks).reshape(-1)[:count]


@register_kernel("RandomShuffle")
def _random_shuffle(inputs: list[Any], attrs: Attrs) -> list[Array]:
    value = np.asarray(inputs[0])
    if value.size <= 1 or value.ndim == 0 or value.shape[0] <= 1:
        return [value.copy()]
    size = value.shape[0]
    samples = size - 1
    state = _rng_state(attrs)
    # random_shuffle_op.cc: ReserveSamples32(size - 1); then ShuffleRange (shuffle_common.h),
    # which swaps position i with i + word % (size - i), one word per step.
    words = _words(state.key or 0, state.reserve((samples + 3) // 4), samples)
    offsets = words.astype(np.int64) % np.arange(size, 1, -1, dtype=np.int64)
    perm = np.arange(size)
    for i, offset in enumerate(offsets.tolist()):  # sequential swaps: inherently a loop
        j = i + offset
        perm[i], perm[j] = perm[j], perm[i]
    return [value[perm]]


@register_kernel("Multinomial")
def _multinomial(inputs: list[Any], attrs: Attrs) -> list[Array]:
    logits, num_samples = np.asarray(inputs[0]), np.asarray(inputs[1])
    if logits.ndim != 2:
        raise InvalidArgumentError(
            None, None, f"logits should be a matrix, got shape {list(logits.shape)}"
        )
    if num_samples.ndim != 0:
        raise InvalidArgumentError(
            None, None, f"num_samples should be a scalar, got shape {list(num_samples.shape)}"
        )
    samples = int(num_samples)
    if samples < 0:
        raise InvalidArgumentError(None, None, f"num_samples should be non-negative, got {samples}")
    batch, classes = logits.shape
    if classes <= 0:
        raise InvalidArgumentError(None, None, f"num_classes should be positive, got {classes}")
    out_dtype = np.dtype(attrs["output_dtype"].as_numpy_dtype)
    if batch * samples == 0:
        return [np.zeros((batch, samples), out_dtype)]
    state = _rng_state(attrs)
    # multinomial_op.cc: reserve batch * ceil4(samples) * 2 (two words per double) * 256.
    base = state.reserve(batch * ((samples + 3) // 4 * 4) * 2 * 256)
    # One shard (TF splits rows over threads only for large batch * cost): each row's
    # samples continue the same stream, two words per RandDouble.
    words = _words(state.key or 0, base, batch * samples * 2)
    uniform = _uint64_to_double(words[0::2], words[1::2]).reshape(batch, samples)
    finite = np.isfinite(logits)
    lowest = np.finfo(logits.dtype).min if logits.dtype.kind == "f" else np.iinfo(logits.dtype).min
    top = np.where(finite, logits, lowest).max(axis=1).astype(np.float64)
    cdf = np.exp(logits.astype(np.float64) - top[:, None])
    cdf = np.cumsum(np.where(finite, cdf, 0.0), axis=1)
    out = np.empty((batch, samples), out_dtype)
    for row in range(batch):
        out[row] = np.searchsorted(cdf[row], uniform[row] * cdf[row, -1], side="right")
    return [out]


def _rng_state(attrs: Attrs) -> RngState:
    state = attrs.get("_rng_state")
    if not isinstance(state, RngState):
        state = RngState()
    if state.key is None:
        state.seed(int(attrs.get("seed", 0)), int(attrs.get("seed2", 0)))
    return state


@register_shape("RandomShuffle")
def _random_shuffle_shape(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape]


@register_shape("Multinomial")
def _multinomial_shape(op: Any) -> list[TensorShape]:
    logits = op.inputs[0].shape
    batch = logits.dims[0] if logits.dims else None
    count = constant_value(op.inputs[1])
    return [TensorShape([batch, None if count is None else int(count)])]


# --------------------------------------------------------------------------- element-wise math
def _elementwise(fn: Any) -> Any:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Array]:
        x = np.asarray(inputs[0])
        return [np.asarray(fn(x)).astype(x.dtype, copy=False)]

    return kernel


_UNARY = {
    "Tan": np.tan,
    "Sinh": np.sinh,
    "Cosh": np.cosh,
    "Asin": np.arcsin,
    "Acos": np.arccos,
    "Atan": np.arctan,
}
for _op_type, _fn in _UNARY.items():
    register_kernel(_op_type)(_elementwise(_fn))
    register_shape(_op_type)(_same_shape)


@register_kernel("IsInf")
def _is_inf(inputs: list[Any], attrs: Attrs) -> list[Array]:
    return [np.isinf(np.asarray(inputs[0]))]


register_shape("IsInf")(_same_shape)


@register_kernel("Atan2")
def _atan2(inputs: list[Any], attrs: Attrs) -> list[Array]:
    y, x = np.asarray(inputs[0]), np.asarray(inputs[1])
    return [np.arctan2(y, x).astype(y.dtype, copy=False)]


@register_shape("Atan2")
def _atan2_shape(op: Any) -> list[TensorShape]:
    return [broadcast(op.inputs[0].shape, op.inputs[1].shape)]


# --------------------------------------------------------------------------- Assert
# logging_ops.cc: "assertion failed: [v0] [v1] ..." with each value as
# Tensor::SummarizeValue(summarize) prints it (tensor.cc: SummarizeArray / PrintOneDim).


def _shortest(value: Any, short: int, full: int) -> str:
    """``%.<short>g`` if it reads back as the same value of its type, else ``%.<full>g``
    (TF's FloatToBuffer / DoubleToBuffer)."""
    kind = type(value)
    text = f"{float(value):.{short}g}"
    return text if kind(text) == value else f"{float(value):.{full}g}"


def _element_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, np.floating) and value.dtype == np.float64:
        return _shortest(np.float64(value), 15, 17)
    if isinstance(value, np.floating):
        return _shortest(np.float32(value), 6, 9)
    return str(value)


def summarize_value(value: Array, limit: int) -> str:
    """TF's ``Tensor::SummarizeValue(limit)`` (legacy, not ``print_v2``) of ``value``."""
    flat = value.reshape(-1)
    count = min(limit if limit >= 0 else flat.size, flat.size)
    if value.ndim == 0:
        text = " ".join(_element_text(v) for v in flat[:count])
    else:
        parts: list[str] = []
        _print_dim(value.shape, 0, flat, count, [0], parts)
        text = "".join(parts)
    return text + ("..." if flat.size > count else "")


def _print_dim(
    shape: tuple[int, ...], dim: int, flat: Array, limit: int, index: list[int], out: list[str]
) -> None:
    if index[0] >= limit:
        return
    if dim == len(shape) - 1:
        for i in range(shape[dim]):
            if index[0] >= limit:
                if dim != 0:
                    out.append("...")
                return
            if i:
                out.append(" ")
            out.append(_element_text(flat[index[0]]))
            index[0] += 1
        return
    for _ in range(shape[dim]):
        opened = index[0] < limit
        if opened:
            out.append("[")
        _print_dim(shape, dim + 1, flat, limit, index, out)
        if index[0] < limit or opened:
            out.append("]")


@register_kernel("Assert")
def _assert(inputs: list[Any], attrs: Attrs) -> list[Array]:
    condition = np.asarray(inputs[0])
    if condition.size != 1:
        raise InvalidArgumentError(
            None, None, f"In[0] should be a scalar: [{','.join(map(str, condition.shape))}]"
        )
    if bool(condition.reshape(-1)[0]):
        return []
    limit = int(attrs.get("summarize", 3))
    data = inputs[1] if len(inputs) == 2 and isinstance(inputs[1], list) else inputs[1:]
    values = " ".join(f"[{summarize_value(np.asarray(v), limit)}]" for v in data)
    raise InvalidArgumentError(None, None, f"assertion failed: {values}")


@register_shape("Assert")
def _no_outputs(op: Any) -> list[TensorShape]:
    return []
