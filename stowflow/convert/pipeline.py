"""Plan and run one conversion, streaming one tensor at a time.

The plan is computed from names, dtypes and shapes alone (nothing is read), so
``dry_run`` is instant; running reads each tensor, transforms it, hands it to the sink
and drops it before the next, so peak memory is about the largest tensor (twice that
when its layout is transposed).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from stowflow.convert import layouts
from stowflow.convert.base import Format, Source, TensorInfo
from stowflow.convert.errors import UnsupportedTensorError
from stowflow.convert.formats import detect
from stowflow.convert.names import NameOptions, map_names

PROGRESS_MIN_BYTES = 64 << 20


@dataclass(frozen=True)
class Step:
    """One row of the plan: source tensor, destination tensor (None if skipped)."""

    source: TensorInfo | None
    source_name: str
    target: TensorInfo | None
    layout: str | None
    reason: str = ""


@dataclass
class Plan:
    """What a conversion will do, row by row; :meth:`table` renders it."""

    src: str
    dst: str
    src_format: str
    dst_format: str
    steps: list[Step] = field(default_factory=list)

    @property
    def written(self) -> list[Step]:
        """The rows that produce an output tensor."""
        return [s for s in self.steps if s.target is not None]

    def table(self) -> str:
        """The name/shape/dtype mapping as aligned text, skipped rows last with reasons."""
        rows = [("SOURCE", "SHAPE", "DTYPE", "", "TARGET", "SHAPE", "DTYPE", "LAYOUT")]
        for s in self.steps:
            if s.source is None or s.target is None:
                continue
            rows.append((s.source_name, _shape(s.source.shape), s.source.dtype.name, "->",
                         s.target.name, _shape(s.target.shape), s.target.dtype.name,
                         s.layout or ""))  # fmt: skip
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
        skipped = [s for s in self.steps if s.target is None]
        if skipped:
            lines.append(f"skipped {len(skipped)}:")
            lines += [f"  {s.source_name}: {s.reason}" for s in skipped]
        total = sum(s.target.nbytes for s in self.written if s.target is not None)
        lines.append(
            f"{len(self.written)} tensors, {total / 1e6:.1f} MB: "
            f"{self.src_format} {self.src} -> {self.dst_format} {self.dst}"
        )
        return "\n".join(lines)


def _shape(shape: Sequence[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _inverse_layouts(src: Format, dst: Format) -> bool:
    """Layouts run backwards when weights go from a PyTorch-side format into TF."""
    return dst.name == "checkpoint" and src.name != "checkpoint"


def make_plan(
    source: Source,
    src: str,
    dst: str,
    src_format: Format,
    dst_format: Format,
    options: NameOptions,
    skip_unsupported: bool,
) -> Plan:
    """Builds the plan for an open source.

    Raises:
        UnsupportedTensorError: for the first tensor the destination cannot hold (or any
            non-tensor value in the source), unless ``skip_unsupported``.
        InvalidArgumentError: from the name maps and layouts.
    """
    infos = {i.name: i for i in source.infos()}
    plan = Plan(src, dst, src_format.name, dst_format.name)
    for name, reason in source.non_tensors():
        if not skip_unsupported:
            raise UnsupportedTensorError(name, reason)
        plan.steps.append(Step(None, name, None, None, reason))
    inverse = _inverse_layouts(src_format, dst_format)
    for m in map_names(list(infos), options):
        info = infos[m.source]
        if m.target is None:
            plan.steps.append(Step(info, m.source, None, None, m.reason))
            continue
        why = dst_format.unsupported(info.dtype)
        if why:
            if not skip_unsupported:
                raise UnsupportedTensorError(m.source, why)
            plan.steps.append(Step(info, m.source, None, None, why))
            continue
        shape = (
            layouts.out_shape(m.layout, m.source, info.shape, inverse=inverse)
            if m.layout
            else info.shape
        )
        plan.steps.append(Step(info, m.source, TensorInfo(m.target, info.dtype, shape), m.layout))
    return plan


class Progress:
    """A one-line progress bar on a stream (no dependency); silent when disabled."""

    def __init__(self, total: int, stream: TextIO | None, width: int = 30) -> None:
        self._total = max(total, 1)
        self._stream = stream
        self._done = 0
        self._width = width
        self._shown = -1

    def advance(self, nbytes: int) -> None:
        """Counts ``nbytes`` more and redraws when the percentage changes."""
        self._done += nbytes
        percent = min(100, self._done * 100 // self._total)
        if self._stream is None or percent == self._shown:
            return
        self._shown = percent
        filled = self._width * percent // 100
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(
            f"\r[{bar}] {percent:3d}% {self._done / 1e9:.2f}/{self._total / 1e9:.2f} GB"
        )
        self._stream.flush()

    def close(self) -> None:
        """Ends the line."""
        if self._stream is not None and self._shown >= 0:
            self._stream.write("\n")
            self._stream.flush()


def run_plan(
    plan: Plan,
    source: Source,
    dst_format: Format,
    progress: TextIO | None = None,
) -> None:
    """Reads, transforms and writes every planned tensor; the output appears atomically.

    Args:
        progress: a stream for the progress bar (None: no bar).
    """
    steps = [(s.source_name, s.layout, s.target) for s in plan.steps if s.target is not None]
    inverse = plan.dst_format == "checkpoint" and plan.src_format != "checkpoint"
    sink = dst_format.open_sink(plan.dst, [target for _, _, target in steps])
    bar = Progress(sum(target.nbytes for _, _, target in steps), progress)
    try:
        for source_name, layout, target in steps:
            array = source.read(source_name)
            if layout:
                array = layouts.apply(layout, source_name, array, inverse=inverse)
            sink.write(target.name, np.asarray(array))
            bar.advance(target.nbytes)
            del array
    except BaseException:
        sink.abort()
        bar.close()
        raise
    sink.finish()
    bar.close()


def convert(
    src: str,
    dst: str,
    *,
    src_format: str | None = None,
    dst_format: str | None = None,
    options: NameOptions | None = None,
    skip_unsupported: bool = False,
    dry_run: bool = False,
    progress: TextIO | bool | None = None,
) -> Plan:
    """Converts tensors between checkpoints, safetensors, ``.pt`` and ``.npz``.

    Args:
        src: a checkpoint (prefix, directory, ``.index``/``.data-*`` file, SavedModel
            directory), ``.safetensors``, ``.pt``/``.pth``/``.bin`` or ``.npz`` file.
        dst: the output; its format comes from its suffix (no known suffix: checkpoint
            prefix; an existing directory gets ``model.ckpt``) unless ``dst_format``.
        src_format / dst_format: ``checkpoint``, ``safetensors``, ``pt`` or ``npz``.
        options: name maps and layouts (:class:`~stowflow.convert.names.NameOptions`).
        skip_unsupported: leave out what the destination cannot hold instead of failing.
        dry_run: only plan; nothing is written.
        progress: a stream for a progress bar, True for stderr when the conversion is
            at least 64 MB, None/False for none.

    Returns:
        The :class:`Plan` (``plan.table()`` prints the mapping).

    Raises:
        UnsupportedTensorError: naming a tensor the destination cannot hold.
        NotFoundError / DataLossError: for a missing or corrupt source.
        InvalidArgumentError: for bad options.

    Example:
        >>> convert("/ckpt/model.ckpt-100", "/out/model.safetensors")  # doctest: +SKIP
    """
    src_fmt = detect(src, src_format)
    dst_fmt = detect(dst, dst_format)
    source = src_fmt.open_source(src)
    try:
        plan = make_plan(
            source, src, dst, src_fmt, dst_fmt, options or NameOptions(), skip_unsupported
        )
        if not dry_run:
            stream = progress if not isinstance(progress, bool) else None
            if progress is True:
                total = sum(s.target.nbytes for s in plan.written if s.target is not None)
                stream = sys.stderr if total >= PROGRESS_MIN_BYTES else None
            run_plan(plan, source, dst_fmt, stream)
    finally:
        source.close()
    return plan
