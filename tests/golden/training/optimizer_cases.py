"""Optimizer, update-kernel and learning-rate-schedule cases shared by
``make_optimizer_goldens.py`` (TensorFlow) and stowflow's tests.

Every builder takes a namespace ``ns`` spelled like ``tf.compat.v1`` and builds into the
default graph. The MLP is ``cases.mlp`` (explicit initial values from a seeded RandomState).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from cases import mlp, rand  # type: ignore[import-not-found]  # noqa: F401 - same directory

STEPS = 20

# name -> builder of the optimizer (the hyperparameters exercise every code path).
OPTIMIZERS: dict[str, Any] = {
    "adagrad": lambda ns: ns.train.AdagradOptimizer(0.1),
    "rmsprop": lambda ns: ns.train.RMSPropOptimizer(0.01),
    "rmsprop_momentum": lambda ns: ns.train.RMSPropOptimizer(0.01, momentum=0.9),
    "rmsprop_centered": lambda ns: ns.train.RMSPropOptimizer(
        0.01, decay=0.8, momentum=0.5, epsilon=1e-6, centered=True
    ),
    "adadelta": lambda ns: ns.train.AdadeltaOptimizer(1.0, rho=0.9, epsilon=1e-6),
    "ftrl": lambda ns: ns.train.FtrlOptimizer(
        0.1, l1_regularization_strength=0.001, l2_regularization_strength=0.01
    ),
    "ftrl_shrinkage": lambda ns: ns.train.FtrlOptimizer(
        0.1,
        learning_rate_power=-0.6,
        initial_accumulator_value=0.2,
        l2_shrinkage_regularization_strength=0.01,
    ),
    "proximal_adagrad": lambda ns: ns.train.ProximalAdagradOptimizer(
        0.1, l1_regularization_strength=0.001, l2_regularization_strength=0.01
    ),
    "momentum_in_scope": lambda ns: ns.train.MomentumOptimizer(0.1, 0.9, name="Mom"),
}
CASES = [(name, resource) for name in OPTIMIZERS for resource in (False, True)]


def training_graph(ns: Any, name: str, use_resource: bool) -> dict[str, Any]:
    """The MLP and ``minimize`` with a global step (inside a name scope for one case)."""
    case = mlp(ns, use_resource=use_resource)
    global_step = ns.train.get_or_create_global_step()
    opt = OPTIMIZERS[name](ns)
    if name.endswith("_in_scope"):
        with ns.name_scope("train"):
            train_op = opt.minimize(case["ys"][0], global_step=global_step)
    else:
        train_op = opt.minimize(case["ys"][0], global_step=global_step)
    return {**case, "train_op": train_op, "global_step": global_step, "optimizer": opt}


def big_slot_graph(ns: Any, use_resource: bool) -> Any:
    """A 40x30 variable (1200 elements): TF fills its ones/zeros slots with Fill ops."""
    w = ns.Variable(rand(5, 40, 30), name="big", use_resource=use_resource)
    loss = ns.reduce_sum(w * w)
    return ns.train.RMSPropOptimizer(0.1, momentum=0.9).minimize(loss)


BIG_SLOT_FIRST = "big/RMSProp/Initializer/ones/shape_as_tensor"


def update_cases() -> list[tuple[str, str, list[np.ndarray], list[Any], dict[str, Any]]]:
    """(case id, op base name, variable + slot values, other inputs in OpDef order, attrs)."""
    var, grad = rand(95, 2, 3), rand(96, 2, 3)
    acc = np.abs(rand(97, 2, 3)) + 0.1
    acc2 = np.abs(rand(98, 2, 3)) * 0.5 + 0.05
    lin = rand(99, 2, 3) * 0.3
    f = np.float32
    ftrl_scalars = [f(0.1), f(0.01), f(0.02), f(-0.5)]
    return [
        ("adagrad", "Adagrad", [var, acc], [f(0.1), grad], {}),
        ("adagrad_no_slots", "Adagrad", [var, acc], [f(0.1), grad], {"update_slots": False}),
        ("rmsprop", "RMSProp", [var, acc, lin], [f(0.01), f(0.9), f(0.5), f(1e-6), grad], {}),
        (
            "centered_rmsprop",
            "CenteredRMSProp",
            [var, lin * 0.1, acc, acc2],
            [f(0.01), f(0.9), f(0.5), f(1e-6), grad],
            {},
        ),
        ("adadelta", "Adadelta", [var, acc, acc2], [f(0.5), f(0.9), f(1e-6), grad], {}),
        ("ftrl", "Ftrl", [var, acc, lin], [grad, *ftrl_scalars], {}),
        ("ftrl_l1_big", "Ftrl", [var, acc, lin], [grad, f(0.1), f(0.5), f(0.02), f(-0.5)], {}),
        ("ftrl_power", "Ftrl", [var, acc, lin], [grad, f(0.1), f(0.01), f(0.02), f(-0.7)], {}),
        (
            "ftrl_by_lr",
            "Ftrl",
            [var, acc, lin],
            [grad, *ftrl_scalars],
            {"multiply_linear_by_lr": True},
        ),
        (
            "ftrl_v2",
            "FtrlV2",
            [var, acc, lin],
            [grad, f(0.1), f(0.01), f(0.02), f(0.05), f(-0.5)],
            {},
        ),
        (
            "ftrl_v2_power",
            "FtrlV2",
            [var, acc, lin],
            [grad, f(0.1), f(0.01), f(0.02), f(0.05), f(-0.3)],
            {},
        ),
        ("proximal_adagrad", "ProximalAdagrad", [var, acc], [f(0.1), f(0.05), f(0.02), grad], {}),
        (
            "proximal_adagrad_no_l1",
            "ProximalAdagrad",
            [var, acc],
            [f(0.1), f(0.0), f(0.02), grad],
            {},
        ),
    ]


# ----------------------------------------------------------------- learning-rate schedules

LR_STEPS = [0, 1, 7, 10, 25, 60, 100, 250]


def lr_schedules(ns: Any, step: Any) -> dict[str, Any]:
    """name -> decayed learning-rate tensor of ``step`` (a scalar int64 tensor)."""
    t = ns.train
    return {
        "exponential": t.exponential_decay(0.1, step, 10, 0.5),
        "exponential_staircase": t.exponential_decay(0.1, step, 10, 0.5, staircase=True),
        "piecewise": t.piecewise_constant(step, [10, 60], [1.0, 0.5, 0.1]),
        "polynomial": t.polynomial_decay(0.1, step, 100, 0.01, power=2.0),
        "polynomial_cycle": t.polynomial_decay(0.1, step, 50, 0.01, power=1.0, cycle=True),
        "cosine": t.cosine_decay(0.1, step, 100, alpha=0.1),
        "inverse_time": t.inverse_time_decay(0.1, step, 10, 0.5),
        "inverse_time_staircase": t.inverse_time_decay(0.1, step, 10, 0.5, staircase=True),
        "natural_exp": t.natural_exp_decay(0.1, step, 10, 0.5),
        "natural_exp_staircase": t.natural_exp_decay(0.1, step, 10, 0.5, staircase=True),
    }


# ----------------------------------------------------------------- sparse (IndexedSlices) updates

SPARSE_OPTIMIZERS = [
    "gd",
    "momentum",
    "adagrad",
    "rmsprop_momentum",
    "rmsprop_centered",
    "adadelta",
    "ftrl",
    "ftrl_shrinkage",
    "proximal_adagrad",
]
SPARSE_IDS = np.array([4, 1, 4, 0, 1, 4], dtype=np.int32)  # repeated ids: summed gradients


def sparse_graph(ns: Any, name: str, use_resource: bool) -> dict[str, Any]:
    """An embedding table trained through ``embedding_lookup``: its gradient is IndexedSlices."""
    emb = ns.Variable(rand(6, 6, 4), name="emb", use_resource=use_resource)
    ids = ns.placeholder(ns.int32, [6], name="ids")
    rows = ns.nn.embedding_lookup(emb, ids)
    target = ns.constant(rand(7, 6, 4), name="target")
    loss = ns.reduce_sum(ns.square(rows - target))
    extra = {
        "gd": lambda: ns.train.GradientDescentOptimizer(0.1),
        "momentum": lambda: ns.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
    }
    opt = extra[name]() if name in extra else OPTIMIZERS[name](ns)
    train_op = opt.minimize(loss)
    return {"loss": loss, "train_op": train_op, "feeds": [(ids, SPARSE_IDS)], "optimizer": opt}


def sparse_update_cases() -> list[tuple[str, str, list[np.ndarray], list[Any], dict[str, Any]]]:
    """(case id, op base name, var + slots [4, 3], other inputs in SparseApply* OpDef order
    (``indices`` right after ``grad``; repeated indices included), attrs)."""
    var = rand(100, 4, 3)
    acc = np.abs(rand(101, 4, 3)) + 0.1
    acc2 = np.abs(rand(102, 4, 3)) * 0.5 + 0.05
    lin = rand(103, 4, 3) * 0.3
    grad, idx = rand(104, 5, 3), np.array([3, 0, 3, 1, 3], dtype=np.int32)
    f = np.float32
    return [
        ("momentum", "Momentum", [var, acc], [f(0.05), grad, idx, f(0.9)], {}),
        ("nesterov", "Momentum", [var, acc], [f(0.05), grad, idx, f(0.9)], {"use_nesterov": True}),
        ("adagrad", "Adagrad", [var, acc], [f(0.1), grad, idx], {}),
        ("rmsprop", "RMSProp", [var, acc, lin], [f(0.01), f(0.9), f(0.5), f(1e-6), grad, idx], {}),
        (
            "centered_rmsprop",
            "CenteredRMSProp",
            [var, lin * 0.1, acc, acc2],
            [f(0.01), f(0.9), f(0.5), f(1e-6), grad, idx],
            {},
        ),
        ("adadelta", "Adadelta", [var, acc, acc2], [f(0.5), f(0.9), f(1e-6), grad, idx], {}),
        ("ftrl", "Ftrl", [var, acc, lin], [grad, idx, f(0.1), f(0.01), f(0.02), f(-0.5)], {}),
        (
            "ftrl_v2",
            "FtrlV2",
            [var, acc, lin],
            [grad, idx, f(0.1), f(0.01), f(0.02), f(0.05), f(-0.3)],
            {},
        ),
        (
            "proximal_adagrad",
            "ProximalAdagrad",
            [var, acc],
            [f(0.1), f(0.05), f(0.02), grad, idx],
            {},
        ),
    ]
