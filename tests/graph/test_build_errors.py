"""Graph construction raises what TF1 raises, when TF1 raises it.

Replays tests/golden/fidelity/build_errors.json (made by ``make_build_errors.py`` with
TensorFlow): each public TF1 call is made through ``import stowflow as tf`` and must give
the same output name/shape/dtype, or the same error class and message, at build time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import stowflow as tf

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "fidelity" / "build_errors.json"
CASES: list[dict[str, Any]] = json.loads(GOLDEN.read_text())["cases"]


def _build(spec: Any, counter: list[int]) -> Any:
    if isinstance(spec, list) and spec and spec[0] == "ph":
        name = "abcdefghij"[counter[0]]
        counter[0] += 1
        return tf.placeholder(tf.as_dtype(spec[1]), spec[2], name=name)
    if isinstance(spec, list):
        return [_build(s, counter) for s in spec]
    return spec


def _resolve(path: str) -> Any:
    target: Any = tf
    for part in path.split("."):
        target = getattr(target, part)
    return target


def _run(case: dict[str, Any]) -> dict[str, Any]:
    graph = tf.Graph()
    with graph.as_default():
        counter = [0]
        args = [_build(a, counter) for a in case["args"]]
        kwargs = {k: _build(v, counter) for k, v in case["kwargs"].items()}
        fn = _resolve(case["fn"])
        try:
            if case["scope"]:
                with tf.name_scope(case["scope"]):
                    out = fn(*args, **kwargs)
            else:
                out = fn(*args, **kwargs)
        except (ValueError, TypeError) as e:
            return {"error": [type(e).__name__, str(e)]}
        return {"name": out.name, "shape": str(out.shape), "dtype": out.dtype.name}


def _id(case: dict[str, Any]) -> str:
    return f"{case['fn']}-{json.dumps(case['args'])[:50]}-{json.dumps(case['kwargs'])[:30]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_build_matches_tf(case: dict[str, Any]) -> None:
    want = {k: case[k] for k in ("name", "shape", "dtype", "error") if k in case}
    assert _run(case) == want


def test_invalid_graph_is_not_built() -> None:
    """A refused op leaves no node behind, so exported GraphDefs stay importable by TF."""
    graph = tf.Graph()
    with graph.as_default():
        a = tf.placeholder(tf.float32, [None, 3], name="a")
        b = tf.placeholder(tf.float32, [4, 4], name="b")
        with pytest.raises(ValueError, match="Dimensions must be equal"):
            tf.matmul(a, b)
    assert [op.type for op in graph.get_operations()] == ["Placeholder", "Placeholder"]
