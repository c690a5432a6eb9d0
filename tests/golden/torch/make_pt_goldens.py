"""Writes the PyTorch ``.pt`` goldens that tests/convert/test_torch_format.py reads.

NEEDS torch (not stowflow's dependencies). Run once, from the repository root, with a
Python that has torch and numpy, e.g.:

    python -m venv ~/.cache/stowflow/torch-venv
    ~/.cache/stowflow/torch-venv/bin/pip install torch==2.13.0 numpy
    ~/.cache/stowflow/torch-venv/bin/python tests/golden/torch/make_pt_goldens.py

Outputs (next to this script): one ``.pt`` per case, written by ``torch.save``, and
``expected.json``: for every case, every tensor (nested dicts flattened with ``.``) as
``{"dtype": TF dtype name, "shape": [...], "hex": contiguous little-endian bytes}`` plus
the names of the values that are not tensors.
"""

from __future__ import annotations

import collections
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

# torch dtype -> TensorFlow dtype name
TF_NAMES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32",
    torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool",
    torch.complex64: "complex64", torch.complex128: "complex128", torch.uint16: "uint16",
    torch.uint32: "uint32", torch.uint64: "uint64", torch.float8_e4m3fn: "float8_e4m3fn",
    torch.float8_e5m2: "float8_e5m2",
}  # fmt: skip


def _dtypes_case() -> dict:
    g = torch.Generator().manual_seed(7)
    sd = collections.OrderedDict()
    sd["f32"] = torch.randn(2, 3, generator=g)
    sd["f64"] = torch.randn(3, generator=g, dtype=torch.float64)
    sd["f16"] = torch.tensor([0.5, -1.25, 65504.0], dtype=torch.float16)
    sd["bf16"] = torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16)
    sd["i64_scalar"] = torch.tensor(-1234567890123)
    sd["i32"] = torch.tensor([[1, -2], [2**31 - 1, -(2**31)]], dtype=torch.int32)
    sd["i16"] = torch.tensor([-32768, -1, 0, 32767], dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, -1, 0, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 1, 128, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["c64"] = torch.tensor([1 + 2j, -3.5 - 0.25j], dtype=torch.complex64)
    sd["c128"] = torch.tensor([[1e300 - 1j], [2e-300j]], dtype=torch.complex128)
    sd["u16"] = torch.tensor([0, 1, 40000, 65535], dtype=torch.uint16)
    sd["u32"] = torch.tensor([0, 1, 2**32 - 1], dtype=torch.uint32)
    sd["u64"] = torch.tensor([0, 1, 2**63], dtype=torch.uint64)
    sd["f8_e4m3fn"] = torch.tensor([0.5, -448.0, 3.0], dtype=torch.float8_e4m3fn)
    sd["f8_e5m2"] = torch.tensor([0.5, -57344.0, 3.0], dtype=torch.float8_e5m2)
    sd["empty"] = torch.zeros(0, 3)
    return sd


def _views_case() -> dict:
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    return {
        "base": base,
        "tail": base[1:],  # storage offset 4
        "transposed": base.t(),  # strides (1, 4)
        "column": base[:, 2],  # offset 2, stride 4
        "tied": base,  # same tensor twice: one storage
    }


def _module_case() -> dict:
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2))
    return model.state_dict()  # an OrderedDict carrying a _metadata attribute


def _nested_case() -> dict:
    return {
        "model": {"w": torch.ones(2, 2), "b": torch.zeros(2)},
        "layers": [torch.full((2,), 3.0), torch.full((1,), 4.0)],
        "epoch": 3,
        "name": "adam",
    }


def _parameter_case() -> dict:
    return {"p": torch.nn.Parameter(torch.tensor([1.5, -2.0]))}


CASES = {
    "dtypes": _dtypes_case,
    "views": _views_case,
    "module": _module_case,
    "nested": _nested_case,
    "parameter": _parameter_case,
}


def _flatten(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _flatten(v, f"{prefix}{k}.")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _flatten(v, f"{prefix}{i}.")
    else:
        yield prefix[:-1], obj


def _describe(tensor: torch.Tensor) -> dict:
    t = tensor.detach().contiguous()
    raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
    return {"dtype": TF_NAMES[t.dtype], "shape": list(t.shape), "hex": raw.hex()}


def main() -> None:
    expected = {}
    for name, make in CASES.items():
        obj = make()
        torch.save(obj, os.path.join(HERE, f"{name}.pt"))
        tensors, others = {}, []
        for key, value in _flatten(obj):
            if isinstance(value, torch.Tensor):
                tensors[key] = _describe(value)
            else:
                others.append(key)
        expected[name] = {"tensors": tensors, "non_tensors": others}
    expected["torch_version"] = torch.__version__
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
