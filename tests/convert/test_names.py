"""Name maps and layout transforms."""

from __future__ import annotations

import numpy as np
import pytest

from stowflow.convert import layouts
from stowflow.convert.names import NameOptions, map_names
from stowflow.errors import InvalidArgumentError


def _targets(names: list[str], **options: object) -> dict[str, str | None]:
    return {m.source: m.target for m in map_names(names, NameOptions(**options))}  # type: ignore[arg-type]


def test_tf2_object_graph_preset_strips_and_drops() -> None:
    names = [
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        "model/w/.ATTRIBUTES/VARIABLE_VALUE",
        "model/w/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
        "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE",
        "save_counter/.ATTRIBUTES/VARIABLE_VALUE",
    ]
    assert _targets(names) == {  # "auto" picks the preset from the object graph key
        "_CHECKPOINTABLE_OBJECT_GRAPH": None,
        "model/w/.ATTRIBUTES/VARIABLE_VALUE": "model/w",
        "model/w/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE": None,
        "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE": None,
        "save_counter/.ATTRIBUTES/VARIABLE_VALUE": None,
    }
    kept = _targets(names, keep_optimizer=True)
    assert kept["model/w/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"] == (
        "model/w/.OPTIMIZER_SLOT/optimizer/m"
    )
    assert _targets(names, preset="none")["model/w/.ATTRIBUTES/VARIABLE_VALUE"] == (
        "model/w/.ATTRIBUTES/VARIABLE_VALUE"
    )


@pytest.mark.parametrize(
    "name",
    ["w/Adam", "w/Adam_1", "dense/kernel/Momentum", "v/RMSProp_1", "beta1_power",
     "bert/x/adam_m", "bert/x/adam_v", "AdamWeightDecayOptimizer/bert/x"],
)  # fmt: skip
def test_optimizer_slots_are_skipped_unless_kept(name: str) -> None:
    [m] = map_names([name], NameOptions())
    assert m.target is None and "optimizer state" in m.reason
    assert map_names([name], NameOptions(keep_optimizer=True))[0].target == name


def test_global_step_is_skipped_unless_kept() -> None:
    assert _targets(["global_step", "w"]) == {"global_step": None, "w": "w"}
    assert _targets(["global_step"], keep_global_step=True) == {"global_step": "global_step"}
    assert _targets(["my_global_stepper"]) == {"my_global_stepper": "my_global_stepper"}


def test_ema_reads_the_moving_average_under_the_weight_name() -> None:
    names = ["dense/kernel", "dense/kernel/ExponentialMovingAverage", "dense/bias"]
    plain = map_names(names, NameOptions())
    assert [(m.source, m.target) for m in plain] == [(n, n) for n in names]
    ema = {m.target: m.source for m in map_names(names, NameOptions(ema=True)) if m.target}
    assert ema == {
        "dense/kernel": "dense/kernel/ExponentialMovingAverage",
        "dense/bias": "dense/bias",
    }


def test_ema_without_averages_is_an_error() -> None:
    with pytest.raises(InvalidArgumentError, match="--ema was given but no tensor ends in"):
        map_names(["w"], NameOptions(ema=True))


def test_hf_bert_tf1_preset_follows_transformers_rules() -> None:
    names = {
        "bert/embeddings/word_embeddings": ("bert.embeddings.word_embeddings.weight", None),
        "bert/embeddings/LayerNorm/gamma": ("bert.embeddings.LayerNorm.weight", None),
        "bert/embeddings/LayerNorm/beta": ("bert.embeddings.LayerNorm.bias", None),
        "bert/encoder/layer_11/attention/self/query/kernel": (
            "bert.encoder.layer.11.attention.self.query.weight", "dense"),
        "bert/encoder/layer_0/output/dense/bias": ("bert.encoder.layer.0.output.dense.bias", None),
        "bert/pooler/dense/kernel": ("bert.pooler.dense.weight", "dense"),
        "cls/predictions/output_bias": ("cls.predictions.bias", None),
        "cls/seq_relationship/output_weights": ("cls.seq_relationship.weight", None),
        "cls/squad/output_bias": ("cls.classifier.bias", None),
    }  # fmt: skip
    mapped = map_names([*names, "global_step", "bert/pooler/dense/kernel/adam_m"],
                       NameOptions(preset="hf-bert-tf1"))  # fmt: skip
    got = {m.source: (m.target, m.layout) for m in mapped}
    assert got == {**names, "global_step": (None, None),
                   "bert/pooler/dense/kernel/adam_m": (None, None)}  # fmt: skip


def test_user_renames_apply_in_order_after_the_preset() -> None:
    got = _targets(["model/w/.ATTRIBUTES/VARIABLE_VALUE", "_CHECKPOINTABLE_OBJECT_GRAPH"],
                   renames=(("^model/", "net."), (r"/", "."), (r"\.w$", ".weight")))  # fmt: skip
    assert got["model/w/.ATTRIBUTES/VARIABLE_VALUE"] == "net.weight"


def test_transpose_rules_pick_layouts_by_source_name() -> None:
    mapped = map_names(
        ["conv/kernel", "dw/depthwise_kernel", "fc/kernel", "fc/bias"],
        NameOptions(transposes=(("depthwise", "depthwise"), ("conv/", "conv"), ("fc/k", "dense"))),
    )
    assert {m.source: m.layout for m in mapped} == {
        "conv/kernel": "conv", "dw/depthwise_kernel": "depthwise",
        "fc/kernel": "dense", "fc/bias": None,
    }  # fmt: skip
    none = map_names(["bert/x/kernel"], NameOptions(preset="hf-bert-tf1",
                                                    transposes=(("x", "none"),)))  # fmt: skip
    assert none[0].layout is None


def test_two_sources_onto_one_target_is_an_error() -> None:
    with pytest.raises(InvalidArgumentError, match="'a/w' and 'b/w' would both be written as 'w'"):
        map_names(["a/w", "b/w"], NameOptions(renames=((r"^\w/", ""),)))


@pytest.mark.parametrize("options", [NameOptions(preset="nope"), NameOptions(renames=(("(", ""),))])
def test_bad_options_are_typed_errors(options: NameOptions) -> None:
    with pytest.raises(InvalidArgumentError, match="unknown preset 'nope'|bad --rename regex"):
        map_names(["w"], options)


def test_dense_layout_is_a_transpose() -> None:
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(layouts.apply("dense", "w", w), w.T)
    assert layouts.apply("dense", "w", w).flags.c_contiguous


def test_conv_layout_maps_hwio_to_oihw_and_back() -> None:
    hwio = np.random.default_rng(0).standard_normal((3, 5, 2, 4)).astype(np.float32)
    oihw = layouts.apply("conv", "k", hwio)
    assert oihw.shape == (4, 2, 3, 5) == layouts.out_shape("conv", "k", hwio.shape)
    assert oihw[1, 0, 2, 4] == hwio[2, 4, 0, 1]
    np.testing.assert_array_equal(layouts.apply("conv", "k", oihw, inverse=True), hwio)
    wio = hwio[0]  # a 1-D conv kernel [W, I, O] -> [O, I, W]
    assert layouts.apply("conv", "k", wio)[3, 1, 4] == wio[4, 1, 3]


def test_depthwise_layout_groups_channels_times_multiplier() -> None:
    hwcm = np.random.default_rng(0).standard_normal((3, 3, 4, 2)).astype(np.float32)
    out = layouts.apply("depthwise", "dw", hwcm)
    assert out.shape == (8, 1, 3, 3)
    # torch output channel c*M + m is TF's channel c with multiplier m
    assert out[2 * 2 + 1, 0, 1, 2] == hwcm[1, 2, 2, 1]
    one = hwcm[..., :1]
    np.testing.assert_array_equal(
        layouts.apply("depthwise", "dw", layouts.apply("depthwise", "dw", one), inverse=True), one
    )


@pytest.mark.parametrize(("kind", "shape"), [("dense", (2, 3, 4)), ("conv", (3,)),
                                             ("depthwise", (3, 3)), ("spin", (2, 2))])  # fmt: skip
def test_layout_rejects_wrong_ranks_and_kinds(kind: str, shape: tuple[int, ...]) -> None:
    with pytest.raises(InvalidArgumentError, match="cannot take the|unknown layout 'spin'"):
        layouts.apply(kind, "t", np.zeros(shape))
