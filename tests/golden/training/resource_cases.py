"""Resource-variable graphs shared by ``make_resource_goldens.py`` (TensorFlow) and
stowflow's tests. Each builder takes a namespace spelled like ``tf.compat.v1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def variables_graph(ns: Any) -> dict[str, Any]:
    """Every way TF1 code makes a resource variable, and the ways it reads and writes one."""
    w = ns.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w", use_resource=True)
    c = ns.Variable(lambda: ns.zeros([2]), name="c", use_resource=True)
    with ns.variable_scope("s", use_resource=True):
        v = ns.get_variable("v", [3], initializer=ns.zeros_initializer())
        with ns.variable_scope("inner"):
            u = ns.get_variable("u", initializer=np.float32(2.5))
    r = ns.get_variable("r", [2, 2], initializer=ns.ones_initializer(), use_resource=True)
    n = ns.Variable(7, name="n", use_resource=True, trainable=False)
    y = w + 1.0
    read = w.read_value()
    assigned = w.assign(ns.ones([2, 3]))
    added = c.assign_add(ns.ones([2]), read_value=False)
    sub = v.assign_sub(ns.ones([3]))
    mm = ns.matmul(r, r)
    total = ns.reduce_sum(u * v)
    initialized = ns.is_variable_initialized(r)
    return {
        "vars": [w, c, v, u, r, n],
        "fetches": {
            "y": y,
            "read": read,
            "assigned": assigned,
            "sub": sub,
            "mm": mm,
            "total": total,
            "initialized": initialized,
        },
        "updates": [added],
    }
