"""Gradients of TF1 (v1) control flow: what stowflow refuses, and says so.

TensorFlow differentiates ``tf.cond`` and ``tf.while_loop`` graphs with per-context state
(``CondContext`` / ``WhileContext``, ``GradLoopState`` with stack push/pop of forward
values). stowflow builds neither context yet, so a gradient that reaches a ``Switch``,
``Merge``, ``Enter``, ``Exit`` or ``NextIteration`` raises ``LookupError`` naming the op
instead of building a graph that would compute a wrong gradient.
"""

from __future__ import annotations

from typing import Any

from stowflow.graph.core import Operation
from stowflow.graph.gradients import not_differentiable, register_gradient

not_differentiable("LoopCond", "ControlTrigger")

_CONTROL_FLOW = (
    "Switch",
    "RefSwitch",
    "Merge",
    "RefMerge",
    "Enter",
    "RefEnter",
    "Exit",
    "RefExit",
    "NextIteration",
    "RefNextIteration",
)


def _refuse(op: Operation, *grads: Any) -> Any:
    raise LookupError(
        f"Gradient of v1 control flow op '{op.name}' (op type: {op.type}) is not supported by "
        "stowflow yet: tf.gradients through tf.cond / tf.while_loop needs TF's control flow "
        "contexts. Compute the gradient outside the conditional or loop, or use "
        "tf.stop_gradient on its output."
    )


register_gradient(*_CONTROL_FLOW)(_refuse)
