"""The ``stowflow`` command on ``s3://`` URLs (moto's server, configured through TF's S3
variables in the environment), as a user runs it: a subprocess."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from storage_helpers import S3_BUCKET, MotoS3, build_affine_model
from stowflow_testlib import DEV_PYTHON_ENV

from stowflow import checkpoint


def _stowflow(moto_s3: MotoS3, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stowflow", *args],
        env={**DEV_PYTHON_ENV, **moto_s3.env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_inspect_and_show_read_s3_urls(moto_s3: MotoS3) -> None:
    root = f"s3://{S3_BUCKET}/cli"
    checkpoint.save(f"{root}/ckpt/model", {"w": np.array([1.5, 2.5], np.float32)})
    build_affine_model(f"{root}/sm")
    inspect = _stowflow(moto_s3, "inspect", f"--file_name={root}/ckpt", "--all_tensor_names")
    assert inspect.returncode == 0, inspect.stderr
    assert inspect.stdout.splitlines()[0] == "tensor: w (float32) [2]"
    show = _stowflow(
        moto_s3, "show", f"--dir={root}/sm", "--tag_set=serve", "--signature_def=serving_default"
    )
    assert show.returncode == 0, show.stderr
    assert "inputs['x'] tensor_info:" in show.stdout
    assert "outputs['y'] tensor_info:" in show.stdout
