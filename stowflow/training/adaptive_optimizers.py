"""The TF1 optimizers with per-variable accumulators beyond Momentum and Adam.

``AdagradOptimizer``, ``RMSPropOptimizer`` (momentum, centered), ``AdadeltaOptimizer``,
``FtrlOptimizer`` (l1/l2, l2 shrinkage -> ``ApplyFtrlV2``) and ``ProximalAdagradOptimizer``:
slots, hyperparameter tensors and update ops named and wired as TF 2.21's
``tf.compat.v1.train`` builds them (``w/Adagrad``, ``w/RMSProp``/``w/RMSProp_1``,
``w/Adadelta``/``w/Adadelta_1``, ``w/Ftrl``/``w/Ftrl_1``), ``Apply*`` ops on reference
variables and ``ResourceApply*`` on resource variables; ``IndexedSlices`` gradients
(embedding lookups) go through TF's deduplication and ``SparseApply*`` /
``ResourceSparseApply*``.

Example:
    >>> # train_op = RMSPropOptimizer(0.01, momentum=0.9).minimize(loss)
"""

from __future__ import annotations

from typing import Any

from stowflow.graph import math_ops
from stowflow.graph.builder import constant
from stowflow.graph.core import Operation, Tensor
from stowflow.training.optimizer import Optimizer, _apply, _cast, _hyper, _is_resource, splat


def _target(var: Any) -> Tensor:
    """What an update op takes for ``var``: a resource handle or a ref tensor."""
    return var.handle if _is_resource(var) else var._as_tensor(as_ref=True)


def _fill_value(value: float) -> Any:
    """``fn(shape, dtype)`` -> TF's ``constant_initializer(value)`` output (a ``Const``)."""

    def init(shape: list[int], dtype: Any) -> Tensor:
        return constant(value, dtype=dtype, shape=shape, name="Const")

    return init


def _ones(shape: list[int], dtype: Any) -> Tensor:
    """TF's ``ones_initializer`` output (``ones``: a Const, or a Fill from 1000 elements)."""
    return splat(1, shape, dtype, "ones")


class _SlotOptimizer(Optimizer):
    """Shared update plumbing: ``_update_inputs`` gives OpDef inputs after the variable."""

    _OP: str = ""

    def _update_inputs(self, grad: Tensor, var: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _op_type(self) -> str:
        return self._OP

    def _attrs(self) -> dict[str, Any]:
        return {"use_locking": self._use_locking}

    def _apply_dense(self, grad: Tensor, var: Any) -> Operation:
        inputs = {"var": _target(var), **self._update_inputs(grad, var)}
        return _apply("Apply" + self._op_type(), inputs, self._attrs())

    def _resource_apply_dense(self, grad: Tensor, var: Any) -> Operation:
        inputs = {"var": _target(var), **self._update_inputs(grad, var)}
        return _apply("ResourceApply" + self._op_type(), inputs, self._attrs())

    def _apply_sparse(self, grad: Any, var: Any) -> Operation:
        inputs = {"var": _target(var), **self._update_inputs(grad.values, var)}
        inputs["indices"] = grad.indices
        return _apply("SparseApply" + self._op_type(), inputs, self._attrs())

    def _resource_apply_sparse(self, grad: Tensor, var: Any, indices: Tensor) -> Operation:
        inputs = {"var": _target(var), **self._update_inputs(grad, var), "indices": indices}
        return _apply("ResourceSparseApply" + self._op_type(), inputs, self._attrs())


class AdagradOptimizer(_SlotOptimizer):
    """Adagrad: ``accum += grad**2; var -= lr * grad / sqrt(accum)``.

    Raises:
        ValueError: for a non-positive ``initial_accumulator_value`` (TF's message).
    """

    _OP = "Adagrad"

    def __init__(
        self,
        learning_rate: Any,
        initial_accumulator_value: float = 0.1,
        use_locking: bool = False,
        name: str = "Adagrad",
    ) -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._lr_t: Any = None

    def _create_slots(self, var_list: list[Any]) -> None:
        init = _fill_value(self._initial_accumulator_value)
        for v in var_list:
            self._get_or_make_slot_with_initializer(v, init, "accumulator", self._name)

    def _prepare(self) -> None:
        self._lr_t = _hyper(self._learning_rate, "learning_rate")

    def _update_inputs(self, grad: Tensor, var: Any) -> dict[str, Any]:
        return {
            "accum": _target(self.get_slot(var, "accumulator")),
            "lr": _cast(self._lr_t, var.dtype.base_dtype),
            "grad": grad,
        }


class RMSPropOptimizer(_SlotOptimizer):
    """RMSProp with momentum; ``centered`` normalises by the gradient's variance."""

    def __init__(
        self,
        learning_rate: Any,
        decay: Any = 0.9,
        momentum: Any = 0.0,
        epsilon: Any = 1e-10,
        use_locking: bool = False,
        centered: bool = False,
        name: str = "RMSProp",
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate, self._decay = learning_rate, decay
        self._momentum, self._epsilon = momentum, epsilon
        self._centered = centered
        self._t: dict[str, Any] = {}

    def _op_type(self) -> str:
        return "CenteredRMSProp" if self._centered else "RMSProp"

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._get_or_make_slot_with_initializer(v, _ones, "rms", self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self) -> None:
        for key, value in (
            ("learning_rate", self._learning_rate),
            ("decay", self._decay),
            ("momentum", self._momentum),
            ("epsilon", self._epsilon),
        ):
            self._t[key] = _hyper(value, key)

    def _update_inputs(self, grad: Tensor, var: Any) -> dict[str, Any]:
        dtype = var.dtype.base_dtype
        slots = {
            "ms": _target(self.get_slot(var, "rms")),
            "mom": _target(self.get_slot(var, "momentum")),
        }
        if self._centered:
            slots = {"mg": _target(self.get_slot(var, "mg")), **slots}
        return {
            **slots,
            "lr": _cast(self._t["learning_rate"], dtype),
            "rho": _cast(self._t["decay"], dtype),
            "momentum": _cast(self._t["momentum"], dtype),
            "epsilon": _cast(self._t["epsilon"], dtype),
            "grad": grad,
        }


class AdadeltaOptimizer(_SlotOptimizer):
    """Adadelta (Zeiler 2012) with TF1's ``accum``/``accum_update`` slots."""

    _OP = "Adadelta"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: Any = 0.95,
        epsilon: Any = 1e-8,
        use_locking: bool = False,
        name: str = "Adadelta",
    ) -> None:
        super().__init__(use_locking, name)
        self._lr, self._rho, self._epsilon = learning_rate, rho, epsilon
        self._t: dict[str, Any] = {}

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _prepare(self) -> None:
        for key, value in (("lr", self._lr), ("rho", self._rho), ("epsilon", self._epsilon)):
            self._t[key] = _hyper(value, key)

    def _update_inputs(self, grad: Tensor, var: Any) -> dict[str, Any]:
        dtype = var.dtype.base_dtype
        return {
            "accum": _target(self.get_slot(var, "accum")),
            "accum_update": _target(self.get_slot(var, "accum_update")),
            "lr": _cast(self._t["lr"], dtype),
            "rho": _cast(self._t["rho"], dtype),
            "epsilon": _cast(self._t["epsilon"], dtype),
            "grad": grad,
        }


class FtrlOptimizer(_SlotOptimizer):
    """FTRL-Proximal (McMahan et al. 2013); ``l2_shrinkage_regularization_strength > 0``
    switches to ``ApplyFtrlV2``.

    Raises:
        ValueError: for out-of-range hyperparameters (TF's messages).
    """

    def __init__(
        self,
        learning_rate: Any,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        use_locking: bool = False,
        name: str = "Ftrl",
        accum_name: str | None = None,
        linear_name: str | None = None,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float | None = None,
    ) -> None:
        super().__init__(use_locking, name)
        checks = (
            (initial_accumulator_value < 0.0, "initial_accumulator_value", initial_accumulator_value, "zero or a positive number"),
            (learning_rate_power > 0.0, "learning_rate_power", learning_rate_power, "a negative number or zero"),
            (l1_regularization_strength < 0.0, "l1_regularization_strength", l1_regularization_strength, "zero or a positive number"),
            (l2_regularization_strength < 0.0, "l2_regularization_strength", l2_regularization_strength, "zero or a positive number"),
            (l2_shrinkage_regularization_strength < 0.0, "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength, "zero or a positive number"),
        )  # fmt: skip
        for bad, what, value, want in checks:
            if bad:
                raise ValueError(f"{what} {value} must be {want}.")
        self._learning_rate = learning_rate
        self._learning_rate_power = learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._l2_shrinkage = l2_shrinkage_regularization_strength
        self._accum_name, self._linear_name = accum_name, linear_name
        self._t: dict[str, Any] = {}

    def _op_type(self) -> str:
        return "FtrlV2" if self._l2_shrinkage > 0.0 else "Ftrl"

    def _create_slots(self, var_list: list[Any]) -> None:
        value = self._initial_accumulator_value

        def accum(shape: list[int], dtype: Any) -> Tensor:
            ones: Any = _ones(shape, dtype)
            return ones * value  # TF's ftrl._accum_initializer: ones * value

        for v in var_list:
            self._get_or_make_slot_with_initializer(
                v, accum, "accum", self._accum_name or self._name
            )
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _prepare(self) -> None:
        lr = self._learning_rate() if callable(self._learning_rate) else self._learning_rate
        self._t["lr"] = _hyper(lr, "learning_rate")
        self._t["l1"] = _hyper(self._l1, "l1_regularization_strength")
        # TF folds beta into l2 here so the kernels never see it (ftrl.py, _prepare).
        adjusted = self._l2 + self._beta / (2.0 * math_ops.maximum(lr, 1e-36))
        self._t["l2"] = _hyper(adjusted, "adjusted_l2_regularization_strength")
        self._t["beta"] = _hyper(self._beta, "beta")
        self._t["l2_shrinkage"] = _hyper(self._l2_shrinkage, "l2_shrinkage_regularization_strength")
        self._t["lr_power"] = _hyper(self._learning_rate_power, "learning_rate_power")

    def _update_inputs(self, grad: Tensor, var: Any) -> dict[str, Any]:
        dtype = var.dtype.base_dtype
        inputs = {
            "accum": _target(self.get_slot(var, "accum")),
            "linear": _target(self.get_slot(var, "linear")),
            "grad": grad,
            "lr": _cast(self._t["lr"], dtype),
            "l1": _cast(self._t["l1"], dtype),
            "l2": _cast(self._t["l2"], dtype),
        }
        if self._l2_shrinkage > 0.0:
            inputs["l2_shrinkage"] = _cast(self._t["l2_shrinkage"], dtype)
        inputs["lr_power"] = _cast(self._t["lr_power"], dtype)
        return inputs


class ProximalAdagradOptimizer(_SlotOptimizer):
    """Adagrad with FOBOS l1/l2 proximal steps (``ApplyProximalAdagrad``)."""

    _OP = "ProximalAdagrad"

    def __init__(
        self,
        learning_rate: Any,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        use_locking: bool = False,
        name: str = "ProximalAdagrad",
    ) -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength
        self._t: dict[str, Any] = {}

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            graph = v.op.graph
            with graph.colocate_with(v.op):
                value = constant(
                    self._initial_accumulator_value,
                    dtype=v.dtype.base_dtype,
                    shape=v.shape.as_list(),
                    name="Const",
                )
            self._get_or_make_slot(v, value, "accumulator", self._name)

    def _prepare(self) -> None:
        self._t["lr"] = _hyper(self._learning_rate, "learning_rate")
        self._t["l1"] = _hyper(self._l1, "l1_regularization_strength")
        self._t["l2"] = _hyper(self._l2, "l2_regularization_strength")

    def _update_inputs(self, grad: Tensor, var: Any) -> dict[str, Any]:
        return {
            "accum": _target(self.get_slot(var, "accumulator")),
            "lr": self._t["lr"],
            "l1": self._t["l1"],
            "l2": self._t["l2"],
            "grad": grad,
        }
