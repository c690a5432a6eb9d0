"""``tf.train.ExponentialMovingAverage``: shadow variables updated by ``apply()``."""

from __future__ import annotations

from typing import Any

from stowflow import dtypes
from stowflow.graph import array_ops, math_ops
from stowflow.graph.builder import apply_op_outputs, constant, convert_to_tensor
from stowflow.graph.core import GraphKeys, Operation, get_default_graph
from stowflow.graph.variables import (
    Variable,
    global_variables,
    moving_average_variables,
    trainable_variables,
)


class ExponentialMovingAverage:
    """Maintains ``shadow = decay * shadow + (1 - decay) * variable`` per variable.

    Args:
        decay: the decay rate, e.g. 0.999.
        num_updates: optional step count; decay becomes ``min(decay, (1+n)/(10+n))``.
        name: suffix of the shadow variables' names.
    """

    def __init__(
        self,
        decay: float,
        num_updates: Any = None,
        zero_debias: bool = False,
        name: str = "ExponentialMovingAverage",
    ) -> None:
        self._decay = decay
        self._num_updates = num_updates
        self._name = name
        self._averages: dict[Variable, Variable] = {}

    @property
    def name(self) -> str:
        """The name suffix."""
        return self._name

    def apply(self, var_list: list[Any] | None = None) -> Operation:
        """Creates shadow variables for ``var_list`` and returns the op that updates them.

        Raises:
            TypeError: for a variable that is not float16/32/64.
            ValueError: if a variable already has a moving average.
        """
        var_list = trainable_variables() if var_list is None else list(var_list)
        graph = get_default_graph()
        for var in var_list:
            base = var.dtype.base_dtype
            if base not in (dtypes.float16, dtypes.float32, dtypes.float64):
                raise TypeError("The variables must be half, float, or double: " + var.name)
            if var in self._averages:
                raise ValueError(f"Moving average already computed for: {var.name}")
            with graph.name_scope(None):
                shadow = Variable(
                    initial_value=var.initial_value,
                    trainable=False,
                    name=f"{var.op.name}/{self._name}",
                    collections=[GraphKeys.GLOBAL_VARIABLES],
                )
            self._averages[var] = shadow
            graph.add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)
        with graph.name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, dtype=dtypes.float32, name="decay")
            if self._num_updates is not None:
                steps = math_ops.cast(self._num_updates, dtypes.float32, name="ToFloat")
                ratio = math_ops.divide(1.0 + steps, 10.0 + steps)
                decay = math_ops.minimum(decay, ratio)
            updates = []
            for var in var_list:
                shadow = self._averages[var]
                with graph.name_scope(shadow.op.name + "/"):
                    one_minus = math_ops.subtract(
                        constant(1.0, dtype=dtypes.float32, name="sub/x"), decay, name="sub"
                    )
                    rate = math_ops.cast(one_minus, var.dtype.base_dtype)
                    delta = math_ops.multiply(
                        math_ops.subtract(shadow.value(), var.value(), name="sub_1"),
                        rate,
                        name="mul",
                    )
                    out = apply_op_outputs(
                        "AssignSub",
                        {"ref": shadow._ref(), "value": delta},
                        {"use_locking": False},
                        name=self._name,
                    )
                    updates.append(out[0].op)
            return array_ops.group(*updates, name=scope)

    def average(self, var: Variable) -> Variable | None:
        """The shadow variable of ``var`` (None if it has none)."""
        return self._averages.get(var)

    def average_name(self, var: Any) -> str:
        """The checkpoint name of ``var``'s shadow: ``"<var op name>/<name>"``."""
        return f"{var.op.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables: list[Any] | None = None) -> dict:
        """Saver var_list mapping shadow names to the variables (to restore averages)."""
        if moving_avg_variables is None:
            moving_avg_variables = trainable_variables() + moving_average_variables()
        name_map: dict[str, Any] = {}
        for v in moving_avg_variables:
            name_map[self.average_name(v)] = v
        chosen = set(moving_avg_variables)
        for v in global_variables():
            if v not in chosen and v.op.name not in name_map:
                name_map[v.op.name] = v
        return name_map
