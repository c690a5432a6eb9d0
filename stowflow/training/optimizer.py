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

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import array_ops
from stowflow.graph import grad_ops as g
from stowflow.graph import variables as variables_lib
from stowflow.graph.builder import apply_op, apply_op_outputs, constant, convert_to_tensor
from stowflow.graph.core import GraphKeys, Operation, Tensor, get_default_graph
from stowflow.graph.gradients import gradients
from stowflow.graph.indexed_slices import IndexedSlices
from stowflow.graph.kernels import training_kernels  # noqa: F401 - registers the Apply* kernels

logger = logging.getLogger("tensorflow")

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
        pairs = tuple(
            (gr if gr is None or isinstance(gr, IndexedSlices) else convert_to_tensor(gr), v)
            for gr, v in pairs
        )
        var_list = [v for gr, v in pairs if gr is not None]
        if not var_list:
            raise ValueError(
                f"No gradients provided for any variable: {[str(v) for _, v in pairs]}."
            )
        graph = get_default_graph()
        with graph.control_dependencies(None):  # TF's init_scope keeps the name scope
            self._create_slots(var_list)
        with graph.name_scope(name or self._name) as scope:
            self._prepare()
            update_ops = []
            for grad, var in pairs:
                if grad is None:
                    continue
                with graph.name_scope("update_" + _var_name(var)), graph.colocate_with(var.op):
                    update_ops.append(self._update(grad, var))
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

    def _update(self, grad: Any, var: Any) -> Operation:
        """TF's variable processors: dense or sparse, ref or resource."""
        sparse = isinstance(grad, IndexedSlices)
        if _is_resource(var):
            if sparse:
                return self._resource_apply_sparse_duplicate_indices(grad.values, var, grad.indices)
            return self._resource_apply_dense(grad, var)
        if sparse:
            return self._apply_sparse_duplicate_indices(grad, var)
        return self._apply_dense(grad, var)

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices, var: Any) -> Operation:
        """Sums the rows of repeated indices (``Unique`` + ``UnsortedSegmentSum``) first."""
        values, indices = _deduplicate(grad.values, grad.indices)
        return self._apply_sparse(IndexedSlices(values, indices, grad.dense_shape), var)

    def _resource_apply_sparse_duplicate_indices(
        self, grad: Tensor, var: Any, indices: Tensor
    ) -> Operation:
        """The resource twin of :meth:`_apply_sparse_duplicate_indices`."""
        values, unique = _deduplicate(grad, indices)
        return self._resource_apply_sparse(values, var, unique)

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Operation:
        raise NotImplementedError(
            f"{type(self).__name__}: sparse (IndexedSlices) updates of {var.op.name} are not "
            "built by stowflow yet"
        )

    def _resource_apply_sparse(self, grad: Tensor, var: Any, indices: Tensor) -> Operation:
        raise NotImplementedError(
            f"{type(self).__name__}: sparse (IndexedSlices) updates of {var.op.name} are not "
            "built by stowflow yet"
        )

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

    def _slot(self, var: Any, slot_name: str, make: Callable[[], Any]) -> Any:
        slots = self._slots.setdefault(slot_name, {})
        key = _var_name(var)
        if key not in slots:
            slots[key] = make()
        return slots[key]

    def _zeros_slot(self, var: Any, slot_name: str, op_name: str) -> Any:
        """TF's ``_zeros_slot``: ``<var>/<op_name>`` (made unique), zeros, like ``var``."""
        return self._slot(var, slot_name, lambda: _create_slot(var, op_name, _zeros))

    def _get_or_make_slot_with_initializer(
        self,
        var: Any,
        initializer: Callable[[list[int], Any], Tensor],
        slot_name: str,
        op_name: str,
    ) -> Any:
        """A slot whose initial value ``initializer(shape, dtype)`` builds under ``Initializer``."""
        return self._slot(var, slot_name, lambda: _create_slot(var, op_name, initializer))

    def _get_or_make_slot(self, var: Any, value: Tensor, slot_name: str, op_name: str) -> Any:
        """A slot initialised from an existing tensor ``value`` (TF's ``create_slot``)."""
        return self._slot(var, slot_name, lambda: _create_slot(var, op_name, value))

    def _non_slot_variable(self, initial_value: float, name: str, colocate_with: Any) -> Any:
        key = (name, colocate_with.graph)
        if key not in self._non_slot:
            graph = colocate_with.graph
            with graph.colocate_with(colocate_with.op):
                self._non_slot[key] = variables_lib.Variable(
                    np.array(initial_value, dtype=np.float32),
                    name=name,
                    trainable=False,
                    use_resource=_is_resource(colocate_with),
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


def splat(value: float, shape: list[int], dtype: Any, name: str) -> Tensor:
    """TF's ``array_ops.zeros``/``ones`` for a static shape: one splatted Const below 1000
    elements, else ``Fill(<name>/shape_as_tensor, <name>/Const)`` (keeps GraphDefs small)."""
    scalar = np.array(value, dtype=dtypes.as_dtype(dtype).as_numpy_dtype)
    if int(np.prod(shape)) < 1000:
        return constant(scalar, shape=list(shape), name=name)
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        dims = constant(np.array(shape, dtype=np.int32), name="shape_as_tensor")
        inputs = {"dims": dims, "value": constant(scalar, name="Const")}
        return apply_op_outputs("Fill", inputs, None, scope)[0]


def _zeros(shape: list[int], dtype: Any) -> Tensor:
    return splat(0, shape, dtype, "zeros")


def _create_slot(primary: Any, op_name: str, init: Any) -> Any:
    """TF's ``slot_creator``: ``<primary>/<op_name>`` made unique, not trainable, colocated
    with ``primary``, of its kind (ref/resource). ``init`` is an existing Tensor or a
    ``fn(shape, dtype)`` run under the slot's ``Initializer`` scope.

    Raises:
        NotImplementedError: for a primary whose shape is not fully known.
    """
    shape = primary.shape
    if not shape.is_fully_defined():
        raise NotImplementedError(f"slot of {primary.op.name}: the shape must be fully known")
    dtype = primary.dtype.base_dtype
    value: Any = init
    if callable(init):

        def value() -> Tensor:
            return init(shape.as_list(), dtype)

    graph = primary.op.graph
    with graph.control_dependencies(None), graph.name_scope(None):
        with graph.colocate_with(primary.op):
            return variables_lib.Variable(
                value,
                name=f"{primary.op.name}/{op_name}",
                trainable=False,
                collections=[GraphKeys.GLOBAL_VARIABLES],
                use_resource=_is_resource(primary),
            )


def _deduplicate(values: Tensor, indices: Tensor) -> tuple[Tensor, Tensor]:
    """TF's ``_deduplicate_indexed_slices``: (summed rows, unique indices)."""
    unique, positions = apply_op_outputs(
        "Unique", {"x": indices}, {"out_idx": dtypes.int32}, name="Unique"
    )
    count = array_ops.shape(unique)[0]
    summed = apply_op_outputs(
        "UnsortedSegmentSum",
        {"data": values, "segment_ids": positions, "num_segments": count},
        None,
        name="UnsortedSegmentSum",
    )[0]
    return summed, unique


def _cast(t: Any, dtype: Any) -> Any:
    """TF's ``math_ops.cast``: a value (variable too) already of ``dtype`` passes unchanged,
    so a resource variable is read inside the update op's own name scope."""
    current = getattr(t, "dtype", None)
    if current is not None and current.base_dtype == dtypes.as_dtype(dtype).base_dtype:
        return t
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

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices, var: Any) -> Operation:
        """``ScatterSub`` of ``values * lr`` (repeated indices add up in the kernel)."""
        delta = grad.values * _cast(self._lr_t, var.dtype.base_dtype)
        updates = {"ref": var._as_tensor(as_ref=True), "indices": grad.indices, "updates": delta}
        return _apply("ScatterSub", updates, {"use_locking": self._use_locking})

    def _resource_apply_sparse_duplicate_indices(
        self, grad: Tensor, var: Any, indices: Tensor
    ) -> Operation:
        """``ResourceScatterAdd`` of ``-values * lr``."""
        delta = -grad * _cast(self._lr_t, grad.dtype.base_dtype)
        return _apply(
            "ResourceScatterAdd", {"resource": var.handle, "indices": indices, "updates": delta}, {}
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

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Operation:
        inputs = {**self._inputs(grad.values, var, False), "indices": grad.indices}
        return _apply("SparseApplyMomentum", inputs, self._attrs())

    def _resource_apply_sparse(self, grad: Tensor, var: Any, indices: Tensor) -> Operation:
        inputs = {**self._inputs(grad, var, True), "indices": indices}
        return _apply("ResourceSparseApplyMomentum", inputs, self._attrs())


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
        return g.group([*update_ops, update_beta1.op, update_beta2.op], name=name_scope)


def _apply(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any]) -> Operation:
    result = apply_op(op_type, inputs, attrs, name=op_type)
    return result[0].op if isinstance(result, list) else result


def assert_global_step(global_step_tensor: Any) -> None:
    """``tf.train.assert_global_step``: a scalar integer Variable or Tensor.

    Raises:
        TypeError: TF's messages for another kind of object, a non-integer or a non-scalar.
    """
    if not isinstance(global_step_tensor, Tensor | variables_lib.Variable):
        raise TypeError(
            f'Existing "global_step" must be a Variable or Tensor: {global_step_tensor}.'
        )
    if not global_step_tensor.dtype.base_dtype.is_integer:
        raise TypeError(
            f'Existing "global_step" does not have integer type: {global_step_tensor.dtype}'
        )
    shape = global_step_tensor.get_shape()
    if shape.ndims != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')


def get_global_step(graph: Any = None) -> Any:
    """The graph's global step: the GLOBAL_STEP collection's one entry, else the tensor
    ``global_step:0``, else None (also None, with TF's error log, for several entries).

    Raises:
        TypeError: for a global step that is not a scalar integer (TF's messages).
    """
    graph = graph or get_default_graph()
    steps = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(steps) > 1:
        logger.error("Multiple tensors in global_step collection.")
        return None
    if steps:
        step = steps[0]
    else:
        try:
            step = graph.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    assert_global_step(step)
    return step


def create_global_step(graph: Any = None) -> Any:
    """``tf.train.create_global_step``: a new int64 scalar ``global_step`` variable (zeros,
    not trainable, in GLOBAL_VARIABLES and GLOBAL_STEP), made by ``tf.get_variable``.

    Raises:
        ValueError: when the graph already has one (TF's message).
    """
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None):
        return variables_lib.get_variable(
            GraphKeys.GLOBAL_STEP,
            shape=[],
            dtype=dtypes.int64,
            initializer=_zeros_initializer(),
            trainable=False,
            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
        )


def get_or_create_global_step(graph: Any = None) -> Any:
    """``tf.train.get_or_create_global_step``: the graph's global step, made if missing."""
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


def global_step(sess: Any, global_step_tensor: Any) -> int:
    """``tf.train.global_step``: the step's current value in ``sess`` as an int."""
    return int(sess.run(global_step_tensor))


def _zeros_initializer() -> Callable[..., Any]:
    from stowflow.graph.initializers import zeros_initializer

    return zeros_initializer()
