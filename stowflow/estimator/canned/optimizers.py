"""Optimizer arguments of the canned estimators: a name string, an instance or a callable.

As tensorflow_estimator's ``canned/optimizers.py`` (v1): names map to the TF1 optimizers and
take the estimator's default learning rate.
"""

from __future__ import annotations

from typing import Any

from stowflow.training.adaptive_optimizers import (
    AdagradOptimizer,
    FtrlOptimizer,
    RMSPropOptimizer,
)
from stowflow.training.optimizer import AdamOptimizer, GradientDescentOptimizer, Optimizer

OPTIMIZER_CLS_NAMES: dict[str, type[Optimizer]] = {
    "Adagrad": AdagradOptimizer,
    "Adam": AdamOptimizer,
    "Ftrl": FtrlOptimizer,
    "RMSProp": RMSPropOptimizer,
    "SGD": GradientDescentOptimizer,
}


def get_optimizer_instance(opt: Any, learning_rate: float | None = None) -> Optimizer:
    """An Optimizer from a name (with ``learning_rate``), an instance or a zero-arg callable.

    Raises:
        ValueError: for an unknown name, a name without learning rate, or a non-Optimizer
            (TF's messages).

    Example:
        >>> get_optimizer_instance("Adagrad", learning_rate=0.05)
    """
    if isinstance(opt, str):
        if opt not in OPTIMIZER_CLS_NAMES:
            raise ValueError(
                f"Unsupported optimizer name: {opt}. Supported names are: "
                f"{tuple(sorted(OPTIMIZER_CLS_NAMES))}"
            )
        if not learning_rate:
            raise ValueError("learning_rate must be specified when opt is string.")
        return OPTIMIZER_CLS_NAMES[opt](learning_rate=learning_rate)  # type: ignore[call-arg]
    if callable(opt) and not isinstance(opt, Optimizer):
        opt = opt()
    if not isinstance(opt, Optimizer):
        raise ValueError(f"The given object is not an Optimizer instance. Given: {opt}")
    return opt
