"""``stowflow view``: what netron is given, a real server round trip, the missing extra."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

import pytest
from convert_testlib import GOLDEN

from stowflow.convert import view
from stowflow.errors import NotFoundError
from stowflow.tools import cli


def test_model_file_picks_what_netron_opens(tmp_path: Path) -> None:
    sm = GOLDEN / "savedmodel_vars" / "model"
    assert view.model_file(str(sm)) == str(sm / "saved_model.pb")
    single = GOLDEN / "tf1_single"
    assert view.model_file(str(single)) == str(single / "model.ckpt-7.index")
    meta = single / "model.ckpt-7.meta"
    assert view.model_file(str(meta)) == str(meta)
    with pytest.raises(NotFoundError, match="Nothing to view at"):
        view.model_file(str(tmp_path / "absent"))


def test_serves_on_loopback_and_stops() -> None:
    pytest.importorskip("netron", reason="netron is the optional [view] extra")
    url, address = view.start(str(GOLDEN / "savedmodel_vars" / "model"))
    try:
        assert url.startswith("http://127.0.0.1:") and address[0] == "127.0.0.1"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
            assert b"netron" in response.read().lower()
        with urllib.request.urlopen(url + "/data/saved_model.pb", timeout=30) as response:
            served = response.read()
        assert served == (GOLDEN / "savedmodel_vars" / "model" / "saved_model.pb").read_bytes()
    finally:
        view.stop(address)
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)


def test_missing_netron_is_one_line_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "netron", None)  # import netron -> ModuleNotFoundError
    assert cli.main(["view", str(GOLDEN / "tf1_single")]) == 1
    err = capsys.readouterr().err
    assert "pip install 'stowflow[view]'" in err and err.count("\n") == 1
