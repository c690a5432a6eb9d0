"""The extra TF1 names (``tf.log1p``, ``tf.sparse.to_dense``, ``tf.linalg.inv``...) against
TF 2.21's ``tf.compat.v1``.

The programs in ``tf1_api_extra_programs.py`` run under stowflow and are compared with TF
2.21's run of the same programs (``tests/golden/tf1_api_extra/make_tf1_api_extra_goldens.py``):
every op (name, type, inputs), the fetched tensor names, values and gradients.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tf1_api_extra_programs as programs  # tests/graph, beside this file

import stowflow as sf
from stowflow import errors
from stowflow.graph.kernels import KERNELS
from stowflow.graph.kernels.random_kernels import RngState
from stowflow.graph.shape_fns import constant_value

GOLDEN = json.loads(
    (
        Path(__file__).resolve().parents[1]
        / "golden"
        / "tf1_api_extra"
        / "tf1_api_extra_goldens.json"
    ).read_text()
)

tf = sf  # the TF1 namespace, as `import stowflow as tf` gives it


class _Runs(dict):
    """Each case's stowflow run, made on first use."""

    def __missing__(self, case: str) -> dict[str, Any]:
        self[case] = programs.run_case(tf, case)
        return self[case]


@pytest.fixture(scope="module")
def runs() -> _Runs:
    return _Runs()


def test_golden_covers_every_case() -> None:
    assert sorted(GOLDEN) == sorted(programs.CASES)


@pytest.mark.parametrize("case", sorted(programs.CASES))
def test_ops_match_tf(runs: _Runs, case: str) -> None:
    assert runs[case]["ops"] == GOLDEN[case]["ops"]
    assert runs[case]["names"] == GOLDEN[case]["names"]


@pytest.mark.parametrize("case", sorted(programs.CASES))
def test_values_match_tf(runs: _Runs, case: str) -> None:
    got, want = runs[case]["outputs"], GOLDEN[case]["outputs"]
    assert sorted(got) == sorted(want)
    for key, expected in want.items():
        if "@" in key:
            continue  # a later run of a random op: test_random_streams_continue_as_tf
        for part in ("shape", "dtype", "indices", "dense_shape"):
            assert got[key].get(part) == expected.get(part), (key, part)
        np.testing.assert_allclose(
            got[key]["values"], expected["values"], rtol=2e-6, atol=1e-6, err_msg=key
        )


@pytest.mark.parametrize("case", ["random_shuffle", "multinomial"])
def test_random_streams_continue_as_tf(case: str) -> None:
    """Two runs of each seeded random op, sharing one Philox state as a Session keeps it,
    give TF's first and second run."""
    graph = sf.Graph()
    with graph.as_default():
        fetches = programs.CASES[case](tf)
    want = GOLDEN[case]["outputs"]
    for key, tensor in fetches.items():
        if key.startswith("_"):
            continue
        op = tensor.op
        attrs = {name: op.get_attr(name) for name in ("seed", "seed2")}
        attrs.update({"_rng_state": RngState()})
        if op.type == "Multinomial":
            attrs["output_dtype"] = op.get_attr("output_dtype")
        inputs = [constant_value(t) for t in op.inputs]
        kernel = KERNELS[op.type]
        for run, suffix in enumerate(("", "@1")):
            got = kernel(inputs, attrs)[0]
            np.testing.assert_array_equal(got, want[key + suffix]["values"], err_msg=f"{key} {run}")


def test_shuffle_of_a_single_row_is_a_copy() -> None:
    value = np.array([[1.0, 2.0]], np.float32)
    out = KERNELS["RandomShuffle"]([value], {"seed": 1, "seed2": 2})[0]
    np.testing.assert_array_equal(out, value)
    assert out is not value


@pytest.mark.parametrize(
    ("op_type", "inputs", "attrs", "message"),
    [
        ("MatrixInverse", [np.zeros((2, 2), np.float32)], {}, "Input is not invertible."),
        (
            "MatrixInverse",
            [np.zeros((2, 3), np.float32)],
            {},
            "Input matrices must be squares, got 2 != 3",
        ),
        (
            "Multinomial",
            [np.zeros(3, np.float32), np.array(2, np.int32)],
            {"output_dtype": sf.int64},
            "logits should be a matrix, got shape [3]",
        ),
        (
            "SparseReduceSum",
            [np.zeros((1, 2), np.int64), np.ones(1), np.array([2, 2]), np.array([2])],
            {"keep_dims": False},
            "Invalid reduction dimension 2, for input with 2 dimensions.",
        ),
    ],
)
def test_kernel_errors(
    op_type: str, inputs: list[Any], attrs: dict[str, Any], message: str
) -> None:
    with pytest.raises(errors.InvalidArgumentError) as info:
        KERNELS[op_type](inputs, attrs)
    assert info.value.message == message


def test_boolean_mask_rejects_a_scalar_mask() -> None:
    with sf.Graph().as_default(), pytest.raises(ValueError, match="mask cannot be scalar."):
        tf.boolean_mask(sf.constant([1.0]), True)


def test_norm_rejects_a_negative_order() -> None:
    with sf.Graph().as_default(), pytest.raises(ValueError, match="'ord' must be a supported"):
        tf.norm(sf.constant([1.0]), ord=-1)


def test_sparse_reshape_checks_sizes_statically() -> None:
    with (
        sf.Graph().as_default(),
        pytest.raises(ValueError, match="Cannot reshape a tensor with 12"),
    ):
        tf.sparse.reshape(sf.SparseTensor([[0, 0]], [1.0], [4, 3]), [5, -1])


@pytest.mark.parametrize("case", sorted(programs.CASES))
def test_errors_match_tf(runs: _Runs, case: str) -> None:
    assert runs[case]["errors"] == GOLDEN[case]["errors"]
