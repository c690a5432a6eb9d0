"""TensorFlow's file-system environment variables, mapped onto fsspec backend options.

TensorFlow configures its S3 and GCS file systems from the environment (``S3_ENDPOINT``,
``S3_USE_HTTPS``, ``S3_VERIFY_SSL``, ``AWS_REGION``/``S3_REGION``,
``GOOGLE_APPLICATION_CREDENTIALS``); the same variables configure s3fs and gcsfs here.
Credentials themselves (``AWS_ACCESS_KEY_ID``, ...) are read by the backends' own SDKs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _off(value: str | None) -> bool:
    """TF reads these switches by their first character: ``0`` turns them off."""
    return bool(value) and str(value)[0] == "0"


def s3_options(env: Mapping[str, str]) -> dict[str, Any]:
    """s3fs options from TF's S3 variables (as tensorflow-io's s3 file system reads them)."""
    client: dict[str, Any] = {}
    use_https = not _off(env.get("S3_USE_HTTPS"))
    endpoint = env.get("S3_ENDPOINT")
    if endpoint:
        if "://" not in endpoint:  # TF takes a bare host:port and adds the scheme itself
            endpoint = f"{'https' if use_https else 'http'}://{endpoint}"
        client["endpoint_url"] = endpoint
    if _off(env.get("S3_VERIFY_SSL")):
        client["verify"] = False
    region = env.get("AWS_REGION") or env.get("S3_REGION")  # TF: AWS_REGION wins
    if region:
        client["region_name"] = region
    options: dict[str, Any] = {"use_listings_cache": False}  # version polling must see news
    if not use_https:
        options["use_ssl"] = False
    if client:
        options["client_kwargs"] = client
    return options


def gcs_options(env: Mapping[str, str]) -> dict[str, Any]:
    """gcsfs options from TF's GCS variables.

    ``GOOGLE_APPLICATION_CREDENTIALS`` names a service-account JSON file; with an emulator
    (``STORAGE_EMULATOR_HOST``, which gcsfs reads itself) and no credentials, requests go
    unauthenticated.
    """
    options: dict[str, Any] = {"use_listings_cache": False}
    credentials = env.get("GOOGLE_APPLICATION_CREDENTIALS")
    if credentials:
        options["token"] = credentials
    elif env.get("STORAGE_EMULATOR_HOST"):
        options["token"] = "anon"
    return options


OPTIONS: dict[str, Callable[[Mapping[str, str]], dict[str, Any]]] = {
    "s3": s3_options,
    "s3a": s3_options,
    "gs": gcs_options,
    "gcs": gcs_options,
}
"""URL scheme -> the function giving its fsspec options from the environment."""


def _gcs_class(env: Mapping[str, str]) -> str | None:
    # gcsfs's default class first asks the Storage Control gRPC API for the bucket layout;
    # emulators serve only the JSON API, and each such ask times out after a minute.
    return "gcsfs.core.GCSFileSystem" if env.get("STORAGE_EMULATOR_HOST") else None


CLASSES: dict[str, Callable[[Mapping[str, str]], str | None]] = {
    "gs": _gcs_class,
    "gcs": _gcs_class,
}
"""URL scheme -> the function naming the fsspec class to use instead of the registered one
(``module.Class``), or None for the registered one."""


def class_for(scheme: str, env: Mapping[str, str]) -> str | None:
    """The ``module.Class`` to use for ``scheme`` instead of fsspec's choice, if any."""
    pick = CLASSES.get(scheme)
    return pick(env) if pick is not None else None


def options_for(scheme: str, env: Mapping[str, str]) -> dict[str, Any]:
    """The fsspec options for ``scheme`` (none for schemes TF has no variables for)."""
    make = OPTIONS.get(scheme)
    return make(env) if make is not None else {}
