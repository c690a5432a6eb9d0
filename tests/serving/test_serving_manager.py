"""The model manager in-process: version parsing, policies, warmup, lookups, status."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from serving_testlib import copy_version, example_bytes, wait_until

from stowflow import errors, tensors
from stowflow.proto.serving import file_system_storage_path_source_pb2 as fs_pb2
from stowflow.proto.serving import prediction_log_pb2
from stowflow.serving import config, inference, manager, warmup

Policy = fs_pb2.FileSystemStoragePathSourceConfig.ServableVersionPolicy


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("1", 1),
        ("0001", 1),
        ("123456789012", 123456789012),
        ("x1", None),
        ("1.5", None),
        ("-3", None),
        ("", None),
        (str(2**63), None),
    ],
)
def test_parse_version(name: str, want: int | None) -> None:
    assert manager.parse_version(name) == want


def test_version_policies() -> None:
    on_disk = [1, 5, 3, 9]
    assert manager.wanted_versions(Policy(), on_disk) == {9}
    assert manager.wanted_versions(Policy(latest=Policy.Latest(num_versions=2)), on_disk) == {5, 9}
    assert manager.wanted_versions(Policy(all=Policy.All()), on_disk) == {1, 3, 5, 9}
    specific = Policy(specific=Policy.Specific(versions=[3, 4]))
    assert manager.wanted_versions(specific, on_disk) == {3}


def _manager(base: Path, **kw: object) -> manager.ModelManager:
    cfg = config.single_model_config("m", str(base))
    cfg.model_config_list.config[0].model_version_policy.all.SetInParent()
    return manager.ModelManager(cfg, manager.ManagerOptions(**kw))  # type: ignore[arg-type]


def _warmup_file(version_dir: Path, logs: list[object]) -> None:
    (version_dir / "assets.extra").mkdir()
    warmup.write_tfrecords(
        str(version_dir / warmup.WARMUP_FILE),
        [log.SerializeToString() for log in logs],  # type: ignore[attr-defined]
    )


def _predict_log(x: list[list[float]], signature: str = "") -> object:
    log = prediction_log_pb2.PredictionLog()
    req = log.predict_log.request
    req.model_spec.name = "m"
    req.model_spec.signature_name = signature
    req.inputs["x"].CopyFrom(tensors.make_tensor_proto(np.array(x, np.float32)))
    return log


def test_warmup_runs_before_serving_and_a_failing_warmup_fails_the_load(tmp_path: Path) -> None:
    good = copy_version("tf1_predict", tmp_path / "m", 1)
    _warmup_file(good, [_predict_log([[1, 2, 3]]), _predict_log([[1, 2, 3]], "double")])
    bad = copy_version("tf1_predict", tmp_path / "m", 2)
    _warmup_file(bad, [_predict_log([[1, 2]])])  # wrong shape: the warmup request fails
    mgr = _manager(tmp_path / "m")
    try:
        mgr.poll_once()
        rows = {v: (state, err) for v, state, err in mgr.version_status("m")}
        assert rows[1] == ("AVAILABLE", None)
        state, err = rows[2]
        assert state == "END" and isinstance(err, errors.InvalidArgumentError)
        with mgr.servable("m") as servable:
            assert servable.version == 1
    finally:
        mgr.stop()


def test_warmup_file_corruption_is_data_loss(tmp_path: Path) -> None:
    path = tmp_path / "records"
    warmup.write_tfrecords(str(path), [b"abc", b"defg"])
    assert list(warmup.read_tfrecords(str(path))) == [b"abc", b"defg"]
    data = bytearray(path.read_bytes())
    data[13] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(errors.DataLossError):
        list(warmup.read_tfrecords(str(path)))


def test_warmup_disabled_skips_the_file(tmp_path: Path) -> None:
    bad = copy_version("tf1_predict", tmp_path / "m", 2)
    _warmup_file(bad, [_predict_log([[1, 2]])])
    mgr = _manager(tmp_path / "m", enable_model_warmup=False)
    try:
        mgr.poll_once()
        assert mgr.version_status("m") == [(2, "AVAILABLE", None)]
    finally:
        mgr.stop()


def test_lookups_and_unload_wait_for_inflight_requests(tmp_path: Path) -> None:
    copy_version("tf1_classify_regress", tmp_path / "m", 4)
    mgr = _manager(tmp_path / "m")
    try:
        mgr.poll_once()
        with pytest.raises(errors.NotFoundError, match=r"Latest\(other\)"):
            with mgr.servable("other"):
                pass
        with mgr.servable("m", 4) as servable:
            ser = np.array([example_bytes([1.0, 2.0])], dtype=object)
            key, rows = inference.classify_examples(servable, "classify", ser)
            assert key == "classify" and [r[0] for r in rows[0]] == [b"cat", b"dog", b"bird"]
            with pytest.raises(errors.InvalidArgumentError, match="Input is empty"):
                inference.serialized_examples(prediction_log_pb2.ClassifyLog().request.input)
            # Removing the version while a request is in flight: it stops taking new
            # requests, and its session stays open until this request is done.
            import shutil
            import threading

            shutil.rmtree(tmp_path / "m" / "4")
            poll = threading.Thread(target=mgr.poll_once)
            poll.start()
            wait_until(lambda: mgr.version_status("m")[0][1] == "UNLOADING", "unloading")
            with pytest.raises(errors.NotFoundError):
                with mgr.servable("m", 4):
                    pass
            assert poll.is_alive()  # the unload waits for this in-flight request
            _key, values = inference.regress_examples(servable, "regress", ser)
            assert len(values) == 1
        poll.join(60)
        assert not poll.is_alive()
        assert mgr.version_status("m") == [(4, "END", None)]
    finally:
        mgr.stop()
