"""stowflow's ``tf.compat.v1``-like namespace for ``tests/golden/training/cases.py``.

The TF1 namespace (``stowflow._v1``) does not export the training API yet, so the tests
add the new modules' functions to it here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import stowflow as tf
from stowflow.graph import xent_ops
from stowflow.graph.gradients import gradients
from stowflow.training import optimizer

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "training"


def load_cases() -> Any:
    """The shared case builders (a plain module file next to the goldens)."""
    if "training_cases" in sys.modules:
        return sys.modules["training_cases"]
    spec = importlib.util.spec_from_file_location("training_cases", GOLDEN_DIR / "cases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["training_cases"] = module
    spec.loader.exec_module(module)
    return module


class _Namespace:
    def __init__(self, base: Any, **extra: Any) -> None:
        self._base = base
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def namespace() -> Any:
    nn = _Namespace(
        tf.nn,
        softmax_cross_entropy_with_logits_v2=xent_ops.softmax_cross_entropy_with_logits_v2,
        sparse_softmax_cross_entropy_with_logits=xent_ops.sparse_softmax_cross_entropy_with_logits,
    )
    train = _Namespace(
        tf.train,
        Optimizer=optimizer.Optimizer,
        GradientDescentOptimizer=optimizer.GradientDescentOptimizer,
        MomentumOptimizer=optimizer.MomentumOptimizer,
        AdamOptimizer=optimizer.AdamOptimizer,
        get_or_create_global_step=optimizer.get_or_create_global_step,
    )
    return _Namespace(tf, gradients=gradients, nn=nn, train=train)
