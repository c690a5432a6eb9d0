"""Name maps: presets, optimizer/step filters, EMA selection and user regex rules.

Each source tensor gets a :class:`Mapping`: the name it is read from, the name it is
written as (or why it is skipped) and the layout transform to apply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from stowflow.errors import InvalidArgumentError

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
_VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
EMA_SUFFIX = "/ExponentialMovingAverage"

# Optimizer state, as TF1 slot names (<var>/<Optimizer>[_N]), TF2 slot paths, the TF2
# optimizer's own variables and BERT's AdamWeightDecayOptimizer (transformers skips the
# same components when it loads BERT TF1 checkpoints).
_OPTIMIZER = re.compile(
    r"/\.OPTIMIZER_SLOT/"
    r"|^optimizer/.*\.ATTRIBUTES/VARIABLE_VALUE$"
    r"|(^|/)(Adam|Adam_1|Momentum|RMSProp|RMSProp_1|Adagrad|AdagradDA|AdagradDA_1|Ftrl|Ftrl_1"
    r"|Adadelta|Adadelta_1|ProximalAdagrad|adam_m|adam_v|AdamWeightDecayOptimizer"
    r"|AdamWeightDecayOptimizer_1|beta1_power|beta2_power)(/|$)"
)
_GLOBAL_STEP = re.compile(r"(^|/)global_step(/|$)")


@dataclass(frozen=True)
class Renamed:
    """What a preset makes of one name: the new name (None drops it) and a layout."""

    name: str | None
    layout: str | None = None
    reason: str = ""


def _identity(name: str) -> Renamed:
    return Renamed(name)


def _tf2_object_graph(name: str) -> Renamed:
    if name == OBJECT_GRAPH_KEY:
        return Renamed(None, reason="TF2 object-graph metadata")
    if name.startswith("save_counter/"):
        return Renamed(None, reason="TF2 save counter")
    return Renamed(name.removesuffix(_VALUE_SUFFIX))


# transformers' load_tf_weights_in_bert: component renames, then `_embeddings` -> .weight.
_BERT_COMPONENTS = {
    "kernel": "weight",
    "gamma": "weight",
    "beta": "bias",
    "output_bias": "bias",
    "output_weights": "weight",
    "squad": "classifier",
}
_NUMBERED = re.compile(r"([A-Za-z]+)_(\d+)")


def _hf_bert_tf1(name: str) -> Renamed:
    parts = []
    for component in name.split("/"):
        numbered = _NUMBERED.fullmatch(component)
        base, index = numbered.groups() if numbered else (component, None)
        base = _BERT_COMPONENTS.get(base, base)
        parts.append(base if index is None else f"{base}.{index}")
    last = name.rsplit("/", 1)[-1]
    if last.endswith("_embeddings"):
        parts.append("weight")
    return Renamed(".".join(parts), layout="dense" if last == "kernel" else None)


PRESETS: dict[str, Callable[[str], Renamed]] = {
    "none": _identity,
    "tf2-object-graph": _tf2_object_graph,
    "hf-bert-tf1": _hf_bert_tf1,
}


@dataclass(frozen=True)
class NameOptions:
    """How names are mapped.

    Attributes:
        preset: a key of :data:`PRESETS`, or ``"auto"`` (``tf2-object-graph`` when the
            source holds ``_CHECKPOINTABLE_OBJECT_GRAPH``, else ``none``).
        renames: ordered ``(pattern, replacement)`` regex substitutions, applied after
            the preset (``re.sub`` syntax, ``\\1`` for groups).
        transposes: ``(regex, kind)``; the first regex that matches the *source* name
            picks the layout (``dense``, ``conv``, ``depthwise`` or ``none``), over the
            preset's choice.
        keep_optimizer: keep optimizer slots and state.
        keep_global_step: keep ``global_step``.
        ema: read ``<name>/ExponentialMovingAverage`` in place of ``<name>``.
    """

    preset: str = "auto"
    renames: tuple[tuple[str, str], ...] = ()
    transposes: tuple[tuple[str, str], ...] = ()
    keep_optimizer: bool = False
    keep_global_step: bool = False
    ema: bool = False


@dataclass(frozen=True)
class Mapping:
    """One source tensor's fate: read ``source``, write ``target`` with ``layout``."""

    source: str
    target: str | None
    layout: str | None
    reason: str = ""


def _compile(pairs: tuple[tuple[str, str], ...], what: str) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for pattern, value in pairs:
        try:
            out.append((re.compile(pattern), value))
        except re.error as e:
            raise InvalidArgumentError(None, None, f"bad {what} regex {pattern!r}: {e}") from None
    return out


def resolve_preset(preset: str, names: list[str]) -> Callable[[str], Renamed]:
    """The preset function (``auto`` resolved against the source's names)."""
    if preset == "auto":
        preset = "tf2-object-graph" if OBJECT_GRAPH_KEY in names else "none"
    found = PRESETS.get(preset)
    if found is None:
        raise InvalidArgumentError(
            None, None, f"unknown preset {preset!r}; known: auto, {', '.join(PRESETS)}"
        )
    return found


def _filtered(name: str, options: NameOptions) -> str:
    if not options.keep_optimizer and _OPTIMIZER.search(name):
        return "optimizer state (--keep-optimizer keeps it)"
    if not options.keep_global_step and _GLOBAL_STEP.search(name):
        return "global step (--keep-global-step keeps it)"
    return ""


def map_names(names: list[str], options: NameOptions) -> list[Mapping]:
    """Maps every source name; skipped names carry the reason.

    Raises:
        InvalidArgumentError: for an unknown preset, a bad regex, ``ema`` without any
            moving averages, or two sources mapped to one target.
    """
    preset = resolve_preset(options.preset, names)
    renames = _compile(options.renames, "--rename")
    transposes = _compile(options.transposes, "--transpose")
    present = set(names)
    averaged = {n[: -len(EMA_SUFFIX)] for n in names if n.endswith(EMA_SUFFIX)}
    if options.ema and not averaged:
        raise InvalidArgumentError(
            None, None, f"--ema was given but no tensor ends in {EMA_SUFFIX}"
        )
    mappings = []
    for name in names:
        base = name.removesuffix(EMA_SUFFIX) if options.ema else name
        if options.ema and name.endswith(EMA_SUFFIX) and base in present:
            mappings.append(Mapping(name, None, None, f"read as {base} (--ema)"))
            continue
        source = name + EMA_SUFFIX if options.ema and name in averaged else name
        reason = _filtered(base, options)
        renamed = Renamed(None, reason=reason) if reason else preset(base)
        if renamed.name is None:
            mappings.append(Mapping(name, None, None, renamed.reason))
            continue
        target = renamed.name
        for pattern, replacement in renames:
            target = pattern.sub(replacement, target)
        layout = renamed.layout
        for pattern, kind in transposes:
            if pattern.search(name):
                layout = None if kind == "none" else kind
                break
        mappings.append(Mapping(source, target, layout))
    _check_unique(mappings)
    return mappings


def _check_unique(mappings: list[Mapping]) -> None:
    seen: dict[str, str] = {}
    for m in mappings:
        if m.target is None:
            continue
        if m.target in seen:
            raise InvalidArgumentError(
                None,
                None,
                f"'{seen[m.target]}' and '{m.source}' would both be written as '{m.target}'; "
                "add a --rename rule to tell them apart",
            )
        seen[m.target] = m.source
    return None
