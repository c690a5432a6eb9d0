"""Makes truncate_goldens.json: TF's outputs (or errors) for TruncateDiv and TruncateMod.

NEEDS TENSORFLOW. Run with the TF 2.21 oracle venv from the repository root:

    ~/.cache/stowflow/tf-2.21.0/bin/python tests/golden/fidelity/make_truncate_goldens.py

Cases cover every dtype TF's CPU kernels register, negative operands on either side,
broadcasting, empty inputs, and division by zero (integers: TF's ``Integer division by
zero``; floats: IEEE results). They are recorded exactly like
``tests/golden/kernels/make_kernel_goldens.py`` (whose ``run_case`` this script reuses):
placeholders of unknown shape, one op per graph, inputs in OpDef order, attrs as base64
``AttrValue`` protos, outputs or the error class and TF's message.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import ml_dtypes
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kernels"))

import make_kernel_goldens as base  # noqa: E402 - sibling generator, needs TF
import tensorflow as tf  # noqa: E402

OUT = os.path.join(HERE, "truncate_goldens.json")

INTS = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
FLOATS = (np.float16, ml_dtypes.bfloat16, np.float32, np.float64)
X = [7, -7, 7, -7, 0, 9, -9, 1]
Y = [2, 2, -2, -2, 3, 4, -4, 5]
CASES: list[tuple[str, dict[str, Any]]] = []


def case(op: str, **kwargs: Any) -> None:
    CASES.append((op, kwargs))


def _values(values: list[float], dtype: Any) -> np.ndarray:
    if np.dtype(dtype).kind == "u":
        values = [abs(v) for v in values]
    return np.array(values, dtype=dtype)


for op in ("TruncateDiv", "TruncateMod"):
    for dt in INTS + FLOATS:
        case(op, x=_values(X, dt), y=_values(Y, dt))
    for dt in (np.int32, np.int64, np.uint8):
        case(op, x=_values([5, 0], dt), y=_values([0, 1], dt))  # integer division by zero
    for dt in FLOATS:
        case(op, x=_values([7.5, -7.5, 1, -1, 0, 2.25], dt), y=_values([2, 2, 0, 0, 0, -0.5], dt))
        case(op, x=np.array([np.inf, -np.inf, np.nan, 5], dt), y=np.array([2, 3, 1, np.inf], dt))
    case(op, x=np.array([[7, -8], [9, -10]], np.int32), y=np.array([3, -3], np.int32))
    case(op, x=np.array([-(2**31), 2**31 - 1], np.int32), y=np.array([7, -7], np.int32))
    case(op, x=np.array([], np.float32), y=np.array([], np.float32))
    case(op, x=np.array([1, 2], np.int32), y=np.array([1, 2, 3], np.int32))  # bad shapes


def main() -> None:
    records = []
    for i, (op_type, kwargs) in enumerate(CASES):
        try:
            rec = base.run_case(op_type, kwargs)
        except (TypeError, ValueError, tf.errors.NotFoundError) as e:
            rec = {"op": op_type, "unsupported": f"{type(e).__name__}: {str(e)[:200]}"}
            rec["inputs"] = [base.encode_array(v) for v in kwargs.values()]
        rec["id"] = f"{i:03d}-{op_type}"
        records.append(rec)
    with open(OUT, "w") as f:
        json.dump({"tensorflow": tf.__version__, "cases": records}, f, indent=0)
    errors = sum("error" in r for r in records)
    print(f"wrote {len(records)} cases ({errors} error cases) to {OUT}")


if __name__ == "__main__":
    main()
