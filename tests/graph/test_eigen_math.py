"""stowflow's Exp/Log/Tanh/Sigmoid/Expm1/Log1p/Erf/Erfc/Softmax/LogSoftmax against TF, bit for bit.

The goldens (``tests/golden/kernels/eigen_goldens.npz``, made by ``make_eigen_goldens.py``
under TF 2.21) hold TF's outputs for inputs over every range the Eigen algorithms treat
differently, for float32, float64, float16 and bfloat16; ``scalar`` cases ran as many small
ops, which Eigen evaluates on its scalar path. Each kernel runs through the kernel registry.

TF's float reciprocal depends on the CPU's ``rcpps`` table; the tests emulate the CPU the
goldens were made on, whatever CPU runs them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np
import pytest

from stowflow.errors import InvalidArgumentError
from stowflow.graph.kernels import KERNELS, eigen_math

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "kernels" / "eigen_goldens.npz"
OPS = ["Exp", "Log", "Tanh", "Sigmoid", "Expm1", "Log1p", "Erf", "Erfc", "Softmax", "LogSoftmax"]
DTYPES = ["float32", "float64", "float16", "bfloat16"]
BF16 = np.dtype(ml_dtypes.bfloat16)


def _load() -> tuple[dict[str, Any], dict[str, tuple[np.ndarray, np.ndarray]]]:
    data = np.load(GOLDEN)
    meta = json.loads(data["meta"].tobytes())
    cases: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for key in data.files:
        if key.endswith("/x"):
            name = key[:-2]
            x, y = data[key], data[name + "/y"]
            if name.split("/")[1] == "bfloat16":
                x, y = x.view(BF16), y.view(BF16)
            cases[name] = (x, y)
    return meta, cases


META, CASES = _load()


@pytest.fixture(autouse=True)
def golden_cpu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Emulates the ``rcpps`` table of the CPU the goldens were made on."""
    cpu = (META["cpu"]["vendor"], int(META["cpu"]["family"]))
    table = eigen_math.rcpps_table_for(cpu)
    assert table is not None, f"stowflow has no rcpps table for the goldens' CPU {cpu}"
    monkeypatch.setattr(eigen_math, "_RCPPS", [table])
    yield


def _kernel(op: str, x: np.ndarray) -> np.ndarray:
    (out,) = KERNELS[op]([x], {})
    return np.asarray(out)


def _ours(name: str, x: np.ndarray) -> np.ndarray:
    op = name.split("/")[0]
    if name.endswith("/scalar"):  # TF ran one op per row
        return np.stack([_kernel(op, row) for row in x])
    return _kernel(op, x)


def _ordered(a: np.ndarray) -> np.ndarray:
    bits = a.dtype.itemsize * 8
    ints = a.view({16: np.int16, 32: np.int32, 64: np.int64}[bits]).astype(np.int64)
    return np.where(ints < 0, -(ints & ((1 << (bits - 1)) - 1)), ints)


def _compare(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    """(share of bit-identical results, max distance in ulps); NaN matches only NaN."""
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    nan_a, nan_b = np.isnan(ours.astype(np.float64)), np.isnan(theirs.astype(np.float64))
    a, b = _ordered(ours), _ordered(theirs)
    same = (a == b) | (nan_a & nan_b)
    dist = np.where(nan_a & nan_b, 0, np.abs(a - b)).astype(np.float64)
    dist[nan_a ^ nan_b] = np.inf
    return float(same.mean()), float(dist.max())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", OPS)
def test_bit_identical_to_tf(op: str, dtype: str) -> None:
    names = [n for n in CASES if n.startswith(f"{op}/{dtype}/") and not n.endswith("examples")]
    assert names, f"no goldens for {op} {dtype}"
    ours = np.concatenate([_ours(n, CASES[n][0]).reshape(-1) for n in names])
    theirs = np.concatenate([CASES[n][1].reshape(-1) for n in names])
    share, max_ulp = _compare(ours, theirs)
    assert share >= 0.9999 and max_ulp <= 1, (
        f"{op} {dtype}: {100 * share:.4f} % bit-identical, max {max_ulp} ulp over {ours.size}"
    )


def test_issue_examples_print_as_tf_printed() -> None:
    x, tf_exp = CASES["Exp/float32/examples"]
    ours = _kernel("Exp", x)
    assert ours.dtype == np.float32 and ours.tobytes() == tf_exp.tobytes()
    assert str(ours) == str(tf_exp) == "7.389056"
    logits, tf_softmax = CASES["Softmax/float32/examples"]
    ours = _kernel("Softmax", logits)
    assert ours.tobytes() == tf_softmax.tobytes()
    assert str(ours) == str(tf_softmax) == "[0.11920291 0.880797  ]"


@pytest.mark.parametrize("op", ["Exp", "Softmax", "Tanh", "Log"])
def test_goldens_tell_numpy_from_tf(op: str) -> None:
    """The goldens can fail a NumPy-style kernel: correctly rounded math is not TF's."""
    naive = {
        "Exp": np.exp,
        "Tanh": np.tanh,
        "Log": np.log,
        "Softmax": lambda v: (
            np.exp(v - v.max(-1, keepdims=True))
            / np.exp(v - v.max(-1, keepdims=True)).sum(-1, keepdims=True)
        ),
    }[op]
    name = next(n for n in CASES if n.startswith(f"{op}/float32/") and "examples" not in n)
    x, theirs = CASES[name]
    with np.errstate(all="ignore"):
        share, _ = _compare(naive(x).astype(np.float32), theirs)
    assert share < 0.99


def test_without_the_cpu_table_the_reciprocal_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    assert eigen_math.rcpps_table_for(("GenuineIntel", 6)) is None
    monkeypatch.setattr(eigen_math, "_RCPPS", [None])
    s = np.array([3.0, 7.0, 1.5, 10.0, 1e30, 0.0, np.inf, 2.0], np.float32)
    with np.errstate(divide="ignore"):
        assert eigen_math._precip32(s).tobytes() == (np.float32(1) / s).tobytes()
    x, theirs = CASES["Softmax/float32/1201x7"]
    share, max_ulp = _compare(_kernel("Softmax", x), theirs)
    assert max_ulp <= 2 and share < 0.999  # the table matters, by an ulp or two


def test_without_a_c_library_results_stay_within_an_ulp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eigen_math, "_LIBM", [None])
    monkeypatch.setattr(eigen_math, "_C_FUNCS", {})
    x, theirs = CASES["Exp/float32/scalar"]
    share, max_ulp = _compare(_ours("Exp/float32/scalar", x), theirs)
    assert max_ulp <= 1 and share > 0.99


def test_other_dtypes() -> None:
    z = np.array([1 + 2j, -0.5j], np.complex64)
    np.testing.assert_allclose(_kernel("Exp", z), np.exp(z), rtol=1e-6)
    np.testing.assert_allclose(_kernel("Log1p", z), np.log1p(z), rtol=1e-6)
    with pytest.raises(InvalidArgumentError, match="Erf is not defined for int32"):
        _kernel("Erf", np.array([1], np.int32))
    with pytest.raises(InvalidArgumentError, match="logits must have >= 1 dimension"):
        _kernel("Softmax", np.array(1.0, np.float32))


@pytest.mark.parametrize("op", OPS)
def test_shapes_and_empty_inputs(op: str) -> None:
    for shape in [(0,), (2, 0), (0, 3), (2, 3, 4)]:
        x = np.linspace(-3, 3, int(np.prod(shape))).astype(np.float32).reshape(shape)
        if op == "Log":
            x = np.abs(x)
        out = _kernel(op, x)
        assert out.shape == shape and out.dtype == np.float32
    if op not in ("Softmax", "LogSoftmax"):
        assert _kernel(op, np.array(0.5, np.float32)).shape == ()
