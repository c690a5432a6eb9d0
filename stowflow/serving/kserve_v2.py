"""KServe's Open Inference Protocol (V2) REST endpoints, so ``stowflow serve`` can run as a
KServe custom runtime::

    GET  /v2                                       server metadata
    GET  /v2/health/live, /v2/health/ready         liveness, readiness (all models loaded)
    GET  /v2/models/NAME[/versions/V]              model metadata (serving_default signature)
    GET  /v2/models/NAME[/versions/V]/ready        200 ready / 400 not ready
    POST /v2/models/NAME[/versions/V]/infer        inference

Inference runs the ``serving_default`` signature (``parameters.signature_name`` picks
another). Tensor ``data`` may be nested or flat (row-major); BYTES elements are UTF-8 strings.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from stowflow import __version__, dtypes
from stowflow.serving import inference, status
from stowflow.serving.manager import ModelManager
from stowflow.serving.servable import DEFAULT_SIGNATURE, Servable, tensor_dtype

ROUTE = re.compile(
    r"/v2/models/(?P<name>[^/]+)(?:/versions/(?P<version>\d+))?(?:/(?P<verb>ready|infer))?$"
)

_TO_NUMPY = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "UINT16": "uint16",
    "UINT32": "uint32",
    "UINT64": "uint64",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
    "BYTES": "string",
}
_FROM_DTYPE = {v: k for k, v in _TO_NUMPY.items()}


def server_metadata() -> dict[str, Any]:
    """``GET /v2``."""
    return {"name": "stowflow", "version": __version__, "extensions": []}


def _datatype(dtype: dtypes.DType) -> str:
    return _FROM_DTYPE.get(dtype.base_dtype.name, dtype.base_dtype.name.upper())


def _signature(servable: Servable, name: str) -> Any:
    sig = servable.signature(name or DEFAULT_SIGNATURE)
    if sig is None:
        raise status.invalid(f'Serving signature name: "{name or DEFAULT_SIGNATURE}" not found')
    return sig


def _tensor_meta(name: str, info: Any) -> dict[str, Any]:
    shape = info.tensor_shape
    dims = [] if shape.unknown_rank else [int(d.size) for d in shape.dim]
    return {"name": name, "datatype": _datatype(tensor_dtype(info)), "shape": dims}


def model_metadata(manager: ModelManager, name: str, version: int | None) -> dict[str, Any]:
    """``GET /v2/models/NAME[/versions/V]``."""
    with manager.servable(name, version) as servable:
        sig = _signature(servable, "")
        versions = [str(v) for v, state, _ in manager.version_status(name) if state == "AVAILABLE"]
        return {
            "name": name,
            "versions": versions,
            "platform": "tensorflow_savedmodel",
            "inputs": [_tensor_meta(k, v) for k, v in sorted(sig.inputs.items())],
            "outputs": [_tensor_meta(k, v) for k, v in sorted(sig.outputs.items())],
        }


def model_ready(manager: ModelManager, name: str, version: int | None) -> bool:
    """Whether the model (version) is available."""
    try:
        with manager.servable(name, version):
            return True
    except Exception:  # noqa: BLE001 - any lookup failure means "not ready"
        return False


def _input_array(spec: Any, want: dtypes.DType) -> np.ndarray:
    if not isinstance(spec, dict) or not {"name", "shape", "datatype", "data"} <= set(spec):
        raise status.invalid("Each input needs 'name', 'shape', 'datatype' and 'data'")
    name, datatype, shape = spec["name"], spec["datatype"], spec["shape"]
    if datatype not in _TO_NUMPY:
        raise status.invalid(f"Unsupported datatype {datatype} for input {name}")
    if _TO_NUMPY[datatype] != want.base_dtype.name:
        raise status.invalid(
            f"Input {name} has datatype {datatype} but the model expects {_datatype(want)}"
        )
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise status.invalid(f"Input {name} has an invalid shape {shape}")
    data = spec["data"]
    try:
        if datatype == "BYTES":
            flat = np.asarray(data, dtype=object).reshape(-1)
            array = np.empty(flat.size, dtype=object)
            array[:] = [v.encode("utf-8") if isinstance(v, str) else v for v in flat]
        else:
            array = np.asarray(data, dtype=_TO_NUMPY[datatype]).reshape(-1)
    except (TypeError, ValueError) as e:
        raise status.invalid(f"Input {name}: data does not convert to {datatype}: {e}") from None
    count = int(np.prod(shape, dtype=np.int64))
    if array.size != count:
        raise status.invalid(
            f"Input {name}: shape {shape} needs {count} elements but data has {array.size}"
        )
    return array.reshape(shape)


def _output(name: str, value: np.ndarray) -> dict[str, Any]:
    if value.dtype == object:
        data: list[Any] = [
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            for v in value.reshape(-1)
        ]
        datatype = "BYTES"
    else:
        datatype = _datatype(dtypes.from_numpy(value))
        data = value.reshape(-1).tolist()
    return {"name": name, "datatype": datatype, "shape": list(value.shape), "data": data}


def infer(manager: ModelManager, name: str, version: int | None, body: Any) -> dict[str, Any]:
    """``POST .../infer``.

    Raises:
        stowflow.errors.OpError: NOT_FOUND for an unknown model, INVALID_ARGUMENT for bad
            inputs.
    """
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise status.invalid("Expected an object with an 'inputs' list")
    params = body.get("parameters") or {}
    sig_name = params.get("signature_name", "") if isinstance(params, dict) else ""
    with manager.servable(name, version) as servable:
        sig = _signature(servable, sig_name)
        feeds = {}
        for spec in body["inputs"]:
            input_name = spec.get("name") if isinstance(spec, dict) else None
            if input_name not in sig.inputs:
                raise status.invalid(
                    f"Unknown input {input_name!r}; the model takes {sorted(sig.inputs)}"
                )
            feeds[input_name] = _input_array(spec, tensor_dtype(sig.inputs[input_name]))
        wanted = [o.get("name") for o in body.get("outputs") or [] if isinstance(o, dict)]
        _key, outputs = inference.predict_arrays(servable, sig_name, feeds, wanted)
        response: dict[str, Any] = {
            "model_name": name,
            "model_version": str(servable.version),
            "outputs": [_output(k, v) for k, v in sorted(outputs.items())],
        }
    if "id" in body:
        response["id"] = body["id"]
    return response
