"""The training summaries the canned model_fns add (TensorBoard tags as TF's).

- every DNN layer: ``<layer scope>/fraction_of_zero_values`` (scalar) and
  ``<layer scope>/activation`` (histogram), created in the ``dnn`` name scope, so the
  tags read ``dnn/dnn/hiddenlayer_0/...`` as in TF;
- the linear model: ``bias`` (a scalar for one unit, else a histogram) and
  ``fraction_of_zero_weights`` over all its weights but the bias.

The fractions are computed as ``mean(value == 0)`` (TF counts non-zeros under a ``cond``;
the value is the same).
"""

from __future__ import annotations

from typing import Any

from stowflow import dtypes
from stowflow.estimator.canned import _variables
from stowflow.graph import array_ops, math_ops
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.summary import ops as summary_ops


def _zero_fraction(values: list[Tensor]) -> Tensor:
    with get_default_graph().name_scope("zero_fraction"):
        flat = [array_ops.reshape(v, [-1]) for v in values]
        joined = flat[0] if len(flat) == 1 else array_ops.concat(flat, 0)
        zeros = math_ops.cast(math_ops.equal(joined, array_ops.zeros_like(joined)), dtypes.float32)
        return math_ops.reduce_mean(zeros, name="fraction")


def add_layer_summary(value: Tensor, tag: str) -> None:
    """``<tag>/fraction_of_zero_values`` and ``<tag>/activation`` of a layer's output."""
    summary_ops.scalar(f"{tag}/fraction_of_zero_values", _zero_fraction([value]))
    summary_ops.histogram(f"{tag}/activation", value)


def add_linear_summaries(cols_to_vars: dict[Any, list[Any]], units: int) -> None:
    """``bias`` and ``fraction_of_zero_weights`` of a ``linear_model``'s variables."""
    (bias,) = cols_to_vars["bias"]
    bias_value = _variables.read(bias)
    if units > 1:
        summary_ops.histogram("bias", bias_value)
    else:
        summary_ops.scalar("bias", array_ops.reshape(bias_value, [-1])[0])
    weights = [
        _variables.read(var)
        for column, variables in cols_to_vars.items()
        if column != "bias"
        for var in variables
    ]
    summary_ops.scalar("fraction_of_zero_weights", _zero_fraction(weights))
