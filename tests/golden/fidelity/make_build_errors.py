"""Makes build_errors.json: errors TF1's public API raises while building a graph.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/fidelity/make_build_errors.py

Each case calls one ``tf.compat.v1`` function (a dotted path such as ``nn.softmax``) on
placeholders ``a``, ``b``... and Python values, in a fresh TF1 graph, optionally inside a
name scope, and records the output's name and shape, or the error class and message (shape
functions, OpDef type constraints, name checks). tests/graph/test_build_errors.py makes
the same calls through ``import stowflow as tf``.

Argument specs: ``["ph", dtype, shape]`` (placeholders are named a, b, c... in order) or any
JSON value (passed as is).
"""

from __future__ import annotations

import json
import os
from typing import Any

import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()
tf1.disable_v2_tensorshape()

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "build_errors.json")


def ph(shape: Any, dtype: str = "float32") -> list[Any]:
    return ["ph", dtype, shape]


CASES: list[dict[str, Any]] = []


def case(fn: str, *args: Any, scope: str | None = None, **kwargs: Any) -> None:
    CASES.append({"fn": fn, "args": list(args), "kwargs": kwargs, "scope": scope})


case("matmul", ph([None, 3]), ph([4, 4]))
case("matmul", ph([2, 2, 2]), ph([4, 4]))
case("matmul", ph([None, 3]), ph([3, 4]))
case("reshape", ph([2, 3]), [4])
case("reshape", ph([2, 3]), [4, -1])
case("reshape", ph([None, 3]), [4, 2, 1])
case("reshape", ph([None, 3]), [-1, 3])
case("reduce_sum", ph([2, 3]), axis=5)
case("reduce_sum", ph([2, 3]), axis=[0, -3])
case("reduce_mean", ph([2, 3]), axis=1, keepdims=True)
case("reduce_max", ph([2, 3]))
case("argmax", ph([2, 3]), axis=2)
case("sqrt", ph([2], "int32"))
case("exp", ph([2], "int64"))
case("add", ph([None, 3]), ph([2], "int32"))
case("add", ph([None, 3]), ph([2]))
case("multiply", ph([None, 3]), ph([3]))
case("identity", ph([2]), name="bad name!")
case("identity", ph([2]), name="_bad")
case("identity", ph([2]), name="bad name!", scope="s")
case("identity", ph([2]), name="_ok", scope="s")
case("concat", [ph([None, 3]), ph([2, 2, 2])], 0)
case("concat", [ph([None, 3]), ph([2, 2])], 0)
case("concat", [ph([None, 3]), ph([2, 3])], 0)
case("transpose", ph([None, 3]))
case("transpose", ph([None, 3]), [0, 1, 2])
case("transpose", ph([2, 3, 4]), [2, 0, 1])
case("one_hot", ph([3]), 3)
case("reshape", ph([None, 3]), ph([1], "float32"))
case("add_n", [ph([2]), ph([2], "int32")])
case("add_n", [ph([2, 3]), ph([2, 4])])
case("stack", [ph([None, 3]), ph([2, 2])])
case("squeeze", ph([None, 3]), [1])
case("expand_dims", ph([None, 3]), 5)
case("gather", ph([None, 3]), [0], axis=3)
case("tile", ph([None, 3]), [1, 2, 3])
case("nn.softmax", ph([]))
case("nn.bias_add", ph([None, 3]), ph([4]))
case("nn.relu", ph([None, 3], "string"))
case("cast", ph([None, 3]), "string")
case("where", ph([2], "bool"), ph([3]), ph([3]))
case("logical_and", ph([2], "bool"), ph([2], "float32"))
case("equal", ph([2, 3]), ph([3, 2]))
case("maximum", ph([None, 5]), ph([7, 1]))


def build(spec: Any, counter: list[int]) -> Any:
    if isinstance(spec, list) and spec and spec[0] == "ph":
        name = "abcdefghij"[counter[0]]
        counter[0] += 1
        return tf1.placeholder(tf.as_dtype(spec[1]), spec[2], name=name)
    if isinstance(spec, list):
        return [build(s, counter) for s in spec]
    return spec


def resolve(path: str) -> Any:
    target: Any = tf1
    for part in path.split("."):
        target = getattr(target, part)
    return target


def run(c: dict[str, Any]) -> dict[str, Any]:
    g = tf1.Graph()
    with g.as_default():
        counter = [0]
        args = [build(a, counter) for a in c["args"]]
        kwargs = {k: build(v, counter) for k, v in c["kwargs"].items()}
        fn = resolve(c["fn"])
        try:
            if c["scope"]:
                with tf1.name_scope(c["scope"]):
                    out = fn(*args, **kwargs)
            else:
                out = fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - recording TF's error is the point
            return {"error": [type(e).__name__, str(e)]}
        return {"name": out.name, "shape": str(out.shape), "dtype": out.dtype.name}


def main() -> None:
    rows = [{**c, **run(c)} for c in CASES]
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"cases": rows}, f, indent=0)
        f.write("\n")
    print(f"wrote {OUT}: {len(rows)} cases")


if __name__ == "__main__":
    main()
