"""TF1 optimizers (``tf.train.Optimizer`` and friends) building TF's update graph.

``minimize`` = ``compute_gradients`` (``tf.gradients`` with TF's default GATE_OP tuple groups)
+ ``apply_gradients``: slot variables named as TF names them (``w/Momentum``, ``w/Adam``,
``w/Adam_1``, ``beta1_power``, ``beta2_power``), one ``Apply*`` op per variable under
``<Optimizer>/update_<var>/`` (``ResourceApply*`` for resource variables), a ``NoOp``
grouping them and, with a ``global_step``, an ``AssignAdd`` named after the optimizer.
Checkpoints written after training therefore hold the slots under TF's keys.

Example:
    >>> # train_op = GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph import variables as variables_lib
from stowflow.graph.builder import apply_op, constant, convert_to_tensor
from stowflow.graph.core import GraphKeys, Operation, Tensor, get_default_graph
from stowflow.graph.gradients import gradients
from stowflow.graph.kernels import training_kernels  # noqa: F401 - registers the Apply* kernels

GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2


def _is_resource(var: Any) -> bool:
    handle = getattr(var, "handle", None)
    return isinstance(handle, Tensor) and handle.dtype == dtypes.resource


def _target(var: Any) -> Tensor:
    """What gradients are taken against: a resource handle or a ref variable's ref tensor."""
    if _is_resource(var):
        return var.handle
    if hasattr(var, "_as_tensor"):
        return var._as_tensor(as_ref=True)
    raise NotImplementedError(f"Trying to optimize unsupported type {var!r}")


def _var_name(var: Any) -> str:
    return var.op.name


class Optimizer:
    """Base class of the TF1 optimizers (``tf.train.Optimizer``).

    Subclasses set their slots in ``_create_slots``, their hyperparameter tensors in
    ``_prepare`` and build one update in ``_apply_dense`` / ``_resource_apply_dense``.
    """

    GATE_NONE = GATE_NONE
    GATE_OP = GATE_OP
    GATE_GRAPH = GATE_GRAPH

    def __init__(self, use_locking: bool, name: str) -> None:
        """Raises ValueError for an empty name (TF's message)."""
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots: dict[str, dict[str, Any]] = {}
        self._non_slot: dict[tuple[str, Any], Any] = {}

    def get_name(self) -> str:
        return self._name

    # -- public verbs ---------------------------------------------------------------------------

    def minimize(
        self,
        loss: Any,
        global_step: Any = None,
        var_list: Any = None,
        gate_gradients: int = GATE_OP,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        name: str | None = None,
        grad_loss: Any = None,
    ) -> Operation:
        """Adds the gradient and update ops for ``loss``; returns the training op.

        Raises:
            ValueError: when no variable receives a gradient (TF's message).
        """
        grads_and_vars = self.compute_gradients(
            loss,
            var_list=var_list,
            gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops,
            grad_loss=grad_loss,
        )
        with_grad = [v for grad, v in grads_and_vars if grad is not None]
        if not with_grad:
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                f"support gradients, between variables {[str(v) for _, v in grads_and_vars]} "
                f"and loss {loss}."
            )
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(
        self,
        loss: Any,
        var_list: Any = None,
        gate_gradients: int = GATE_OP,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        grad_loss: Any = None,
    ) -> list[tuple[Any, Any]]:
        """``[(gradient or None, variable)]`` for the trainable variables (or ``var_list``).

        Raises:
            ValueError: for a bad ``gate_gradients`` or an empty variable list.
        """
        if gate_gradients not in (GATE_NONE, GATE_OP, GATE_GRAPH):
            raise ValueError(
                "gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, "
                f"Optimizer.GATE_GRAPH.  Not {gate_gradients}"
            )
        graph = get_default_graph()
        if var_list is None:
            var_list = graph.get_collection(GraphKeys.TRAINABLE_VARIABLES) + graph.get_collection(
                "trainable_resource_variables"
            )
        else:
            var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        grads = gradients(
            loss,
            [_target(v) for v in var_list],
            grad_ys=grad_loss,
            gate_gradients=gate_gradients == GATE_OP,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops,
        )
        if gate_gradients == GATE_GRAPH:
            with graph.name_scope("gradients/"):
                grads = g.tuple_(grads)
        return list(zip(grads, var_list, strict=True))

    def apply_gradients(
        self, grads_and_vars: Any, global_step: Any = None, name: str | None = None
    ) -> Operation:
        """Adds one update op per (gradient, variable) pair; returns the op that runs them all.

        Raises:
            ValueError: for no pairs, or no gradient at all (TF's messages).
        """
        pairs = tuple(grads_and_vars)
        if not pairs:
            raise ValueError("No variables provided.")
        pairs = tuple((None if gr is None else convert_to_tensor(gr), v) for gr, v in pairs)
        var_list = [v for gr, v in pairs if gr is not None]
        if not var_list:
            raise ValueError(
                f"No gradients provided for any variable: {[str(v) for _, v in pairs]}."
            )
        graph = get_default_graph()
        with graph.control_dependencies(None), graph.name_scope(None):
            self._create_slots(var_list)
        with graph.name_scope(name or self._name) as scope:
            self._prepare()
            update_ops = []
            for grad, var in pairs:
                if grad is None:
                    continue
                with graph.name_scope("update_" + _var_name(var)), graph.colocate_with(var.op):
                    if _is_resource(var):
                        update_ops.append(self._resource_apply_dense(grad, var))
                    else:
                        update_ops.append(self._apply_dense(grad, var))
            if global_step is None:
                train_op = self._finish(update_ops, scope)
            else:
                with g.control_dependencies([self._finish(update_ops, "update")]):
                    with graph.colocate_with(global_step.op):
                        train_op = _increment(global_step, scope)
        ref = graph.get_collection_ref(GraphKeys.TRAIN_OP)
        if train_op not in ref:
            ref.append(train_op)
        return train_op

    # -- slots ----------------------------------------------------------------------------------

    def get_slot_names(self) -> list[str]:
        """The slot names of this optimizer, sorted (``["m", "v"]`` for Adam)."""
        return sorted(self._slots)

    def get_slot(self, var: Any, name: str) -> Any:
        """The slot variable ``name`` of ``var``, or None."""
        return self._slots.get(name, {}).get(_var_name(var))

    def variables(self) -> list[Any]:
        """The optimizer's own variables (slots and non-slot accumulators)."""
        own = list(self._non_slot.values())
        for slots in self._slots.values():
            own.extend(slots.values())
        return own

    def _zeros_slot(self, var: Any, slot_name: str, op_name: str) -> Any:
        slots = self._slots.setdefault(slot_name, {})
        key = _var_name(var)
        if key not in slots:
            slots[key] = _create_zeros_slot(var, op_name)
        return slots[key]

    def _non_slot_variable(self, initial_value: float, name: str, colocate_with: Any) -> Any:
        key = (name, colocate_with.graph)
        if key not in self._non_slot:
            graph = colocate_with.graph
            with graph.colocate_with(colocate_with.op):
                self._non_slot[key] = _new_variable(
                    np.array(initial_value, dtype=np.float32),
                    name,
                    colocate_with,
                    initializer_scope=False,
                )
        return self._non_slot[key]

    def _get_non_slot_variable(self, name: str, graph: Any) -> Any:
        return self._non_slot.get((name, graph))

    # -- subclass hooks -------------------------------------------------------------------------

    def _create_slots(self, var_list: list[Any]) -> None:
        """Creates the slot variables of ``var_list`` (none by default)."""

    def _prepare(self) -> None:
        """Creates the hyperparameter tensors under the optimizer's name scope."""

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        raise NotImplementedError

    def _resource_apply_dense(self, grad: Tensor, var: Any) -> Operation:
        raise NotImplementedError

    def _finish(self, update_ops: list[Operation], name_scope: str) -> Operation:
        return g.group(update_ops, name=name_scope)


def _increment(global_step: Any, scope: str) -> Operation:
    """``global_step += 1`` named after the optimizer's scope (TF's ``assign_add``)."""
    one = np.array(1, dtype=global_step.dtype.base_dtype.as_numpy_dtype)
    if _is_resource(global_step):
        result = apply_op(
            "AssignAddVariableOp",
            {"resource": global_step.handle, "value": convert_to_tensor(one)},
            {"dtype": global_step.dtype.base_dtype},
            name=scope,
        )
        return result if isinstance(result, Operation) else result[0].op
    out = apply_op(
        "AssignAdd",
        {"ref": global_step._as_tensor(as_ref=True), "value": one},
        {"use_locking": False},
        name=scope,
    )
    return out[0].op if isinstance(out, list) else out


def _new_variable(value: Any, name: str, primary: Any, initializer_scope: bool) -> Any:
    """A non-trainable TF1 variable of the same kind (ref/resource) as ``primary``."""
    init: Any = value
    if initializer_scope:  # zeros_initializer: one splatted zero, as TF's array_ops.zeros

        def init() -> Tensor:
            zero = np.zeros((), dtype=value.dtype)
            return constant(zero, shape=list(value.shape), name="zeros")

    return variables_lib.Variable(
        init,
        name=name,
        trainable=False,
        collections=[GraphKeys.GLOBAL_VARIABLES],
        use_resource=_is_resource(primary),
    )


def _create_zeros_slot(primary: Any, op_name: str) -> Any:
    """TF's ``slot_creator.create_zeros_slot``: ``<primary>/<op_name>``, zeros, colocated."""
    shape = primary.shape
    if not shape.is_fully_defined():
        raise NotImplementedError(f"slot of {primary.op.name}: the shape must be fully known")
    dtype = primary.dtype.base_dtype
    zeros = np.zeros(shape.as_list(), dtype=dtype.as_numpy_dtype)
    graph = primary.op.graph
    with graph.control_dependencies(None), graph.name_scope(None):
        with graph.colocate_with(primary.op):
            return _new_variable(zeros, f"{primary.op.name}/{op_name}", primary, True)


def _cast(t: Any, dtype: Any) -> Tensor:
    return g.cast(convert_to_tensor(t), dtype)


def _hyper(value: Any, name: str) -> Tensor:
    value = value() if callable(value) else value
    return convert_to_tensor(value, name=name)


class GradientDescentOptimizer(Optimizer):
    """``var -= learning_rate * grad`` (``ApplyGradientDescent``)."""

    def __init__(
        self, learning_rate: Any, use_locking: bool = False, name: str = "GradientDescent"
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._lr_t: Tensor | None = None

    def _prepare(self) -> None:
        self._lr_t = _hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        return _apply(
            "ApplyGradientDescent",
            {
                "var": var._as_tensor(as_ref=True),
                "alpha": _cast(self._lr_t, var.dtype),
                "delta": grad,
            },
            {"use_locking": self._use_locking},
        )

    def _resource_apply_dense(self, grad: Tensor, var: Any) -> Operation:
        return _apply(
            "ResourceApplyGradientDescent",
            {"var": var.handle, "alpha": _cast(self._lr_t, var.dtype), "delta": grad},
            {"use_locking": self._use_locking},
        )


class MomentumOptimizer(Optimizer):
    """``accum = momentum * accum + grad; var -= lr * accum`` (Nesterov optional)."""

    def __init__(
        self,
        learning_rate: Any,
        momentum: Any,
        use_locking: bool = False,
        name: str = "Momentum",
        use_nesterov: bool = False,
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov
        self._lr_t: Tensor | None = None
        self._momentum_t: Tensor | None = None

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self) -> None:
        self._lr_t = _hyper(self._learning_rate, "learning_rate")
        self._momentum_t = _hyper(self._momentum, "momentum")

    def _inputs(self, grad: Tensor, var: Any, resource: bool) -> dict[str, Any]:
        accum = self.get_slot(var, "momentum")
        return {
            "var": var.handle if resource else var._as_tensor(as_ref=True),
            "accum": accum.handle if resource else accum._as_tensor(as_ref=True),
            "lr": _cast(self._lr_t, var.dtype),
            "grad": grad,
            "momentum": _cast(self._momentum_t, var.dtype),
        }

    def _attrs(self) -> dict[str, Any]:
        return {"use_locking": self._use_locking, "use_nesterov": self._use_nesterov}

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        return _apply("ApplyMomentum", self._inputs(grad, var, False), self._attrs())

    def _resource_apply_dense(self, grad: Tensor, var: Any) -> Operation:
        return _apply("ResourceApplyMomentum", self._inputs(grad, var, True), self._attrs())


class AdamOptimizer(Optimizer):
    """Adam (Kingma & Ba) with TF1's ``beta1_power``/``beta2_power`` accumulators."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta1: Any = 0.9,
        beta2: Any = 0.999,
        epsilon: Any = 1e-8,
        use_locking: bool = False,
        name: str = "Adam",
    ) -> None:
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon
        self._t: dict[str, Tensor] = {}

    def _get_beta_accumulators(self) -> tuple[Any, Any]:
        graph = get_default_graph()
        return (
            self._get_non_slot_variable("beta1_power", graph),
            self._get_non_slot_variable("beta2_power", graph),
        )

    def _create_slots(self, var_list: list[Any]) -> None:
        first = min(var_list, key=lambda v: v.name)
        self._non_slot_variable(self._beta1, "beta1_power", first)
        self._non_slot_variable(self._beta2, "beta2_power", first)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name + "_1")

    def _prepare(self) -> None:
        for key, value in (
            ("learning_rate", self._lr),
            ("beta1", self._beta1),
            ("beta2", self._beta2),
            ("epsilon", self._epsilon),
        ):
            self._t[key] = _hyper(value, key)

    def _inputs(self, grad: Tensor, var: Any, resource: bool) -> dict[str, Any]:
        def slot(v: Any) -> Tensor:
            return v.handle if resource else v._as_tensor(as_ref=True)

        beta1_power, beta2_power = self._get_beta_accumulators()
        dtype = var.dtype.base_dtype
        return {
            "var": slot(var),
            "m": slot(self.get_slot(var, "m")),
            "v": slot(self.get_slot(var, "v")),
            "beta1_power": _cast(beta1_power, dtype),
            "beta2_power": _cast(beta2_power, dtype),
            "lr": _cast(self._t["learning_rate"], dtype),
            "beta1": _cast(self._t["beta1"], dtype),
            "beta2": _cast(self._t["beta2"], dtype),
            "epsilon": _cast(self._t["epsilon"], dtype),
            "grad": grad,
        }

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        return _apply(
            "ApplyAdam", self._inputs(grad, var, False), {"use_locking": self._use_locking}
        )

    def _resource_apply_dense(self, grad: Tensor, var: Any) -> Operation:
        return _apply(
            "ResourceApplyAdam", self._inputs(grad, var, True), {"use_locking": self._use_locking}
        )

    def _finish(self, update_ops: list[Operation], name_scope: str) -> Operation:
        beta1_power, beta2_power = self._get_beta_accumulators()
        graph = get_default_graph()
        with g.control_dependencies(update_ops), graph.colocate_with(beta1_power.op):
            update_beta1 = beta1_power.assign(
                g.mul(convert_to_tensor(beta1_power), self._t["beta1"], name="mul"),
                use_locking=self._use_locking,
            )
            update_beta2 = beta2_power.assign(
                g.mul(convert_to_tensor(beta2_power), self._t["beta2"], name="mul"),
                use_locking=self._use_locking,
            )
        return g.group([*update_ops, update_beta1, update_beta2], name=name_scope)


def _apply(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any]) -> Operation:
    result = apply_op(op_type, inputs, attrs, name=op_type)
    return result[0].op if isinstance(result, list) else result


def get_global_step(graph: Any = None) -> Any:
    """The graph's global step variable, or None.

    Raises:
        TypeError: when the collection holds more than one, or a non-integer (TF's text).
    """
    graph = graph or get_default_graph()
    steps = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if not steps:
        return None
    if len(steps) > 1:
        raise TypeError("There should be only one global step tensor")
    step = steps[0]
    if not step.dtype.base_dtype.is_integer:
        raise TypeError(f'Existing "global_step" does not have integer type: {step.dtype}')
    return step


def get_or_create_global_step(graph: Any = None) -> Any:
    """``tf.train.get_or_create_global_step``: an int64 ``global_step`` variable, zeros."""
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    if step is not None:
        return step
    with graph.as_default(), graph.name_scope(None):
        return variables_lib.get_variable(
            GraphKeys.GLOBAL_STEP,
            shape=[],
            dtype=dtypes.int64,
            initializer=_zeros_initializer(),
            trainable=False,
            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
        )


def _zeros_initializer() -> Callable[..., Any]:
    from stowflow.graph.initializers import zeros_initializer

    return zeros_initializer()
