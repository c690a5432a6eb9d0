"""``import stowflow`` in a fresh process pulls in neither TensorFlow nor any optional extra.

The core install is numpy, protobuf, ml_dtypes and crc32c; the server's, the converters' and
the test tools' packages come with extras and may only be imported when used. How long the
import takes is recorded in docs/benchmarks.md ("Import time"), not asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from stowflow_testlib import DEV_PYTHON_ENV

# TensorFlow and its relatives, then the modules of the extras (pyproject.toml).
NEVER_AT_IMPORT = (
    "tensorflow", "keras", "jax", "torch",
    "grpc", "uvicorn", "starlette", "orjson", "prometheus_client",  # [serve]
    "ray", "pyarrow", "pandas",  # [ray]
    "safetensors", "onnx", "onnxruntime",  # [convert]
    "pytest", "hypothesis", "grpc_tools",  # [test]
    "fsspec", "s3fs", "gcsfs", "boto3", "moto",  # [s3], [gcs], tests/storage
)

_REPORT = "import json, sys; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"


@pytest.mark.parametrize(
    "statement",
    [
        "import stowflow",
        "import stowflow as tf; tf.placeholder",  # the TF1 namespace (stowflow._v1)
        "import stowflow.tools.cli",  # what the `stowflow` command loads before a subcommand
    ],
)
def test_import_pulls_in_no_optional_dependency(statement: str, tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", f"{statement}\n{_REPORT}"],
        cwd=tmp_path,
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout.splitlines()[-1]))
    assert "stowflow" in loaded
    assert sorted(loaded & set(NEVER_AT_IMPORT)) == []
