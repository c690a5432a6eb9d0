"""Makes tf1_shape_api.json: TF1 ``TensorShape`` and ``Dimension`` behaviour.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/fidelity/make_tf1_shape_api.py

TF1 behaviour is TF 2.21 with ``tf.compat.v1.disable_v2_tensorshape()``. Each case applies
one operation to a TensorShape (``["S", dims]``) or a Dimension (``["D", value]``) and
records the result's type name, ``repr`` and ``str``, or the error class and message.
tests/graph/test_tf1_shapes.py replays them on stowflow's V1TensorShape and Dimension.
"""

from __future__ import annotations

import json
import operator
import os
from typing import Any

import tensorflow as tf

tf.compat.v1.disable_v2_tensorshape()

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tf1_shape_api.json")

S23, SN3, SU = ["S", [2, 3]], ["S", [None, 3]], ["S", None]
D3, DN, D0, D7 = ["D", 3], ["D", None], ["D", 0], ["D", 7]

# [receiver, operation, argument]; operations: operator-module names, builtins, methods.
CASES: list[list[Any]] = [
    [SN3, "getitem", 0],
    [SN3, "getitem", 1],
    [SN3, "getitem", -1],
    [SU, "getitem", 0],
    [SN3, "getitem_value", -1],
    [SN3, "getitem_value", 0],
    [SN3, "slice", [0, 1]],
    [SN3, "dims", None],
    [SU, "dims", None],
    [SN3, "iter", None],
    [SN3, "repr", None],
    [SN3, "str", None],
    [SU, "repr", None],
    [["S", [None]], "str", None],
    [SN3, "as_list", None],
    [SU, "as_list", None],
    [SN3, "ndims", None],
    [SU, "ndims", None],
    [SN3, "rank", None],
    [SN3, "len", None],
    [SU, "len", None],
    [SN3, "merge_with", [2, None]],
    [SN3, "merge_with", [2, 4]],
    [SN3, "merge_with", [2]],
    [SU, "merge_with", [2]],
    [SN3, "is_compatible_with", [5, 3]],
    [SN3, "is_compatible_with", [5, 4]],
    [SN3, "is_compatible_with", None],
    [SN3, "concatenate", [4]],
    [SU, "concatenate", [4]],
    [SN3, "add", [1]],
    [SN3, "with_rank", 3],
    [SN3, "with_rank", 2],
    [SU, "with_rank", 2],
    [SN3, "with_rank_at_least", 3],
    [SN3, "with_rank_at_most", 1],
    [SN3, "assert_is_compatible_with", [5, 4]],
    [SN3, "assert_has_rank", 3],
    [SN3, "num_elements", None],
    [S23, "num_elements", None],
    [SN3, "most_specific_compatible_shape", [2, 3]],
    [SN3, "is_fully_defined", None],
    [SN3, "eq", [None, 3]],
    [S23, "eq", [2, 3]],
    [S23, "ne", [2, 4]],
    [["S", [["D", 2], None, ["D", None]]], "repr", None],
    [DN, "eq", 3],
    [D3, "eq", 3],
    [DN, "ne", 3],
    [DN, "lt", 3],
    [D3, "le", 4],
    [D3, "ge", DN],
    [D3, "add", DN],
    [D3, "add", 2],
    [D3, "radd", 2],
    [D3, "mul", ["D", 4]],
    [D7, "floordiv", 2],
    [D7, "mod", DN],
    [D3, "sub", 1],
    [D3, "rsub", 5],
    [D3, "int", None],
    [D0, "bool", None],
    [DN, "bool", None],
    [DN, "merge_with", 3],
    [["D", 2], "merge_with", 3],
    [["D", 2], "is_compatible_with", DN],
    [DN, "repr", None],
    [DN, "str", None],
    [D3, "value", None],
    [DN, "value", None],
    [["D", -1], "repr", None],
    [["D", "x"], "repr", None],
    [D3, "index", [1, 2, 3, 4]],
    [D3, "hash", None],
    [D3, "dimension_value", None],
    [DN, "dimension_value", None],
]

BINARY = {"eq", "ne", "lt", "le", "ge", "add", "mul", "floordiv", "mod", "sub"}


def make(spec: Any) -> Any:
    if isinstance(spec, list) and spec and spec[0] == "S":
        return tf.TensorShape(None if spec[1] is None else [make(d) for d in spec[1]])
    if isinstance(spec, list) and spec and spec[0] == "D":
        return tf.compat.v1.Dimension(spec[1])
    return spec


def apply(receiver: Any, op: str, arg: Any) -> Any:
    if op in BINARY:
        return getattr(operator, op)(receiver, arg)
    simple = {
        "getitem": lambda: receiver[arg],
        "getitem_value": lambda: receiver[arg].value,
        "slice": lambda: receiver[arg[0] : arg[1]],
        "iter": lambda: list(receiver),
        "repr": lambda: repr(receiver),
        "str": lambda: str(receiver),
        "len": lambda: len(receiver),
        "radd": lambda: arg + receiver,
        "rsub": lambda: arg - receiver,
        "int": lambda: int(receiver),
        "bool": lambda: bool(receiver),
        "index": lambda: arg[receiver],
        "hash": lambda: hash(receiver),
        "dimension_value": lambda: tf.compat.dimension_value(receiver),
    }
    if op in simple:
        return simple[op]()
    attr = getattr(receiver, op)
    return attr(arg) if callable(attr) and arg is not None else (attr() if callable(attr) else attr)


def run(receiver: Any, op: str, arg: Any) -> dict[str, Any]:
    try:
        value = apply(make(receiver), op, make(arg))
    except Exception as e:  # noqa: BLE001 - recording TF's error is the point
        return {"error": [type(e).__name__, str(e)]}
    return {"type": type(value).__name__, "repr": repr(value), "str": str(value)}


def main() -> None:
    rows = [{"case": c, **run(*c)} for c in CASES]
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"cases": rows}, f, indent=0)
        f.write("\n")
    print(f"wrote {OUT}: {len(rows)} cases")


if __name__ == "__main__":
    main()
