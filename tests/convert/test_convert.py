"""The conversion pipeline: source spellings, name maps end to end, dtype refusals,
dry runs, the progress bar and the ``stowflow convert`` command."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from convert_testlib import GOLDEN, GOLDEN_SOURCES, TORCH_GOLDEN

from stowflow import checkpoint
from stowflow.convert import NameOptions, UnsupportedTensorError, convert
from stowflow.convert.checkpoint_format import resolve_source
from stowflow.convert.safetensors_format import load_file
from stowflow.convert.torch_format import TorchSource
from stowflow.errors import InvalidArgumentError, NotFoundError
from stowflow.tools import cli

SINGLE = GOLDEN / "tf1_single"
SHARDED = GOLDEN / "tf1_sharded"


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        (str(SHARDED), str(SHARDED / "model.ckpt")),
        (str(SHARDED / "model.ckpt"), str(SHARDED / "model.ckpt")),
        (str(SHARDED / "model.ckpt.index"), str(SHARDED / "model.ckpt")),
        (str(SHARDED / "model.ckpt.data-00001-of-00002"), str(SHARDED / "model.ckpt")),
        (str(GOLDEN / "tf1_global_step"), str(GOLDEN / "tf1_global_step" / "model.ckpt-4")),
        (str(GOLDEN / "savedmodel_vars" / "model"),
         str(GOLDEN / "savedmodel_vars" / "model" / "variables" / "variables")),
        (str(GOLDEN / "keras_checkpoint"), str(GOLDEN / "keras_checkpoint" / "ckpt")),
    ],
    ids=["dir", "prefix", "index", "data", "latest", "savedmodel", "lone-index"],
)  # fmt: skip
def test_every_source_spelling_resolves(spelling: str, expected: str) -> None:
    assert resolve_source(spelling) == expected


def test_foreign_absolute_path_in_state_file_falls_back_to_the_basename(tmp_path: Path) -> None:
    ckpt = tmp_path / "moved"
    shutil.copytree(GOLDEN / "tf1_global_step", ckpt)
    (ckpt / "checkpoint").write_text(
        'model_checkpoint_path: "/home/someone/train/model.ckpt-3"\n'  # not-a-machine-path: test data
        'all_model_checkpoint_paths: "/home/someone/train/model.ckpt-3"\n'  # not-a-machine-path: test data
    )
    assert resolve_source(str(ckpt)) == str(ckpt / "model.ckpt-3")
    (ckpt / "checkpoint").write_text('model_checkpoint_path: "C:\\\\train\\\\model.ckpt-4"\n')
    assert resolve_source(str(ckpt)) == str(ckpt / "model.ckpt-4")
    (ckpt / "checkpoint").write_text('model_checkpoint_path: "/elsewhere/model.ckpt-9"\n')
    with pytest.raises(NotFoundError, match="names /elsewhere/model.ckpt-9, which does not"):
        resolve_source(str(ckpt))


def test_missing_and_ambiguous_sources_are_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="Failed to find any matching files for"):
        resolve_source(str(tmp_path / "nothing"))
    for name in ("a", "b"):
        checkpoint.save(str(tmp_path / name), {"w": np.ones(1)}, update_state=False)
    with pytest.raises(NotFoundError, match="Cannot pick a checkpoint .* a.index, b.index"):
        resolve_source(str(tmp_path))


def test_unsupported_dtype_is_refused_naming_the_tensor(tmp_path: Path) -> None:
    out = tmp_path / "x.safetensors"
    with pytest.raises(UnsupportedTensorError, match="'c128': safetensors has no dtype for Tens"):
        convert(str(SINGLE), str(out))
    assert not out.exists() and not list(tmp_path.iterdir())


def test_non_tensor_values_in_a_pt_are_refused_or_skipped(tmp_path: Path) -> None:
    nested = str(TORCH_GOLDEN / "nested.pt")
    with pytest.raises(UnsupportedTensorError, match="'epoch': it is a int, not a tensor"):
        convert(nested, str(tmp_path / "n.safetensors"))
    plan = convert(nested, str(tmp_path / "n.safetensors"), skip_unsupported=True)
    assert sorted(load_file(str(tmp_path / "n.safetensors"))) == [
        "layers.0", "layers.1", "model.b", "model.w",
    ]  # fmt: skip
    assert {s.source_name for s in plan.steps if s.target is None} == {"epoch", "name"}


def _bert_like(tmp_path: Path) -> tuple[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(5)
    tensors = {
        "bert/embeddings/word_embeddings": rng.standard_normal((10, 4)).astype(np.float32),
        "bert/encoder/layer_0/attention/self/query/kernel": rng.standard_normal((4, 4)).astype(
            np.float32
        ),
        "bert/encoder/layer_0/attention/self/query/bias": np.arange(4, dtype=np.float32),
        "bert/pooler/dense/kernel": rng.standard_normal((4, 3)).astype(np.float32),
        "bert/pooler/dense/kernel/adam_m": np.zeros((4, 3), np.float32),
        "global_step": np.array(100, np.int64),
    }
    prefix = str(tmp_path / "bert" / "bert_model.ckpt")
    checkpoint.save(prefix, tensors)
    return prefix, tensors


def test_hf_bert_conversion_renames_and_transposes(tmp_path: Path) -> None:
    prefix, tensors = _bert_like(tmp_path)
    out = tmp_path / "pytorch_model.safetensors"
    convert(prefix, str(out), options=NameOptions(preset="hf-bert-tf1"))
    got = load_file(str(out))
    assert sorted(got) == [
        "bert.embeddings.word_embeddings.weight",
        "bert.encoder.layer.0.attention.self.query.bias",
        "bert.encoder.layer.0.attention.self.query.weight",
        "bert.pooler.dense.weight",
    ]
    np.testing.assert_array_equal(
        got["bert.pooler.dense.weight"], tensors["bert/pooler/dense/kernel"].T
    )
    np.testing.assert_array_equal(
        got["bert.embeddings.word_embeddings.weight"], tensors["bert/embeddings/word_embeddings"]
    )


def test_layouts_run_backwards_into_a_checkpoint(tmp_path: Path) -> None:
    hwio = np.random.default_rng(2).standard_normal((3, 3, 2, 5)).astype(np.float32)
    prefix = str(tmp_path / "src" / "model.ckpt")
    checkpoint.save(prefix, {"conv/kernel": hwio})
    rules = NameOptions(transposes=(("kernel", "conv"),))
    convert(prefix, str(tmp_path / "k.pt"), options=rules)
    source = TorchSource(str(tmp_path / "k.pt"))
    assert source.read("conv/kernel").shape == (5, 2, 3, 3)
    source.close()
    convert(str(tmp_path / "k.pt"), str(tmp_path / "back" / "model.ckpt"), options=rules)
    np.testing.assert_array_equal(checkpoint.load(str(tmp_path / "back"))["conv/kernel"], hwio)


def test_ema_end_to_end(tmp_path: Path) -> None:
    prefix = str(tmp_path / "ema" / "model.ckpt")
    checkpoint.save(prefix, {"w": np.ones(2, np.float32),
                             "w/ExponentialMovingAverage": np.full(2, 0.5, np.float32)})  # fmt: skip
    convert(prefix, str(tmp_path / "e.npz"), options=NameOptions(ema=True))
    with np.load(tmp_path / "e.npz") as z:
        assert list(z.keys()) == ["w"]
        np.testing.assert_array_equal(z["w"], [0.5, 0.5])


def test_dry_run_prints_the_table_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "d.pt"
    plan = convert(str(GOLDEN_SOURCES["tf2"]), str(out), dry_run=True)
    assert not out.exists()
    table = plan.table().splitlines()
    assert table[0].split() == ["SOURCE", "SHAPE", "DTYPE", "TARGET", "SHAPE", "DTYPE", "LAYOUT"]
    assert table[1].split() == [
        "model/b/.ATTRIBUTES/VARIABLE_VALUE", "[2]", "float32", "->", "model/b", "[2]", "float32",
    ]  # fmt: skip
    assert "  save_counter/.ATTRIBUTES/VARIABLE_VALUE: TF2 save counter" in table
    assert table[-1].startswith("2 tensors, 0.0 MB: checkpoint ")


def test_progress_bar_reaches_100_percent(tmp_path: Path) -> None:
    stream = io.StringIO()
    convert(str(SINGLE), str(tmp_path / "p.pt"), skip_unsupported=True, progress=stream)
    text = stream.getvalue()
    assert text.startswith("\r[") and text.rstrip().endswith("GB")
    assert "] 100% " in text.split("\r")[-1]


def test_cli_convert_and_dry_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.safetensors"
    code = cli.main(["convert", str(GOLDEN_SOURCES["global_step"]), str(out), "--keep-global-step",
                     "--rename", "^v$=vector", "--no-progress"])  # fmt: skip
    assert code == 0
    assert sorted(load_file(str(out))) == ["global_step", "vector"]
    assert "2 tensors" in capsys.readouterr().out
    code = cli.main(["convert", str(SINGLE), str(tmp_path / "d.safetensors"), "--dry-run",
                     "--skip-unsupported"])  # fmt: skip
    shown = capsys.readouterr().out
    assert code == 0 and "c128: safetensors has no dtype" in shown
    assert not (tmp_path / "d.safetensors").exists()


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["convert", str(SINGLE), str(tmp_path / "x.safetensors")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("stowflow convert: UnsupportedTensorError: Cannot convert tensor 'c128'")
    assert err.count("\n") == 1
    assert cli.main(["convert", str(SINGLE), str(tmp_path / "y.pt"), "--rename", "noequals"]) == 1
    assert "--rename takes PATTERN=VALUE" in capsys.readouterr().err


def test_explicit_formats_override_suffixes(tmp_path: Path) -> None:
    out = tmp_path / "weights.data"
    convert(str(GOLDEN_SOURCES["global_step"]), str(out), dst_format="safetensors")
    assert sorted(load_file(str(out))) == ["v"]
    with pytest.raises(InvalidArgumentError, match="unknown format 'onnxx'"):
        convert(str(SINGLE), str(out), dst_format="onnxx")
