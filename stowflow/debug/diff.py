"""``stowflow debug-diff DIR_A DIR_B``: the first tensors whose values differ between two
dumps (two stowflow runs, or a stowflow run and a TensorFlow run of the same model).

Tensors are matched by name and visited in A's execution order; a tensor differs when
its dtype or shape differ, or when ``|a - b| > atol + rtol * |b|`` somewhere (NaNs in the
same places are equal). The first difference is usually the diverging kernel; the ones
after it are its consequences.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np

from stowflow import errors
from stowflow.debug.dump import read_dump
from stowflow.debug.records import TensorRecord


@dataclass(frozen=True)
class Difference:
    """One tensor that differs between the two dumps."""

    order: int
    tensor: str
    op: str
    reason: str


def compare(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> str | None:
    """Why ``a`` and ``b`` differ beyond tolerance, or None if they match."""
    if a.dtype != b.dtype:
        return f"dtype {a.dtype} vs {b.dtype}"
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}"
    if a.dtype.kind not in "biufc":
        bad = a != b
    else:
        x, y = np.asarray(a), np.asarray(b)
        if a.dtype.kind in "bui":
            x, y = x.astype(np.float64), y.astype(np.float64)
        both_nan = np.isnan(x) & np.isnan(y)
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True) | both_nan
        bad = ~close
    count = int(np.count_nonzero(bad))
    if count == 0:
        return None
    where = tuple(int(i) for i in np.argwhere(bad)[0]) if a.ndim else ()
    first = f"at index {where}: {a[where].item()!r} vs {b[where].item()!r}"
    if a.dtype.kind in "biuf":
        with np.errstate(invalid="ignore", over="ignore"):
            gap = np.abs(a.astype(np.float64) - b.astype(np.float64))
        finite = gap[np.isfinite(gap)]
        largest = f"; max |a-b| = {finite.max():.6g}" if finite.size else ""
    else:
        largest = ""
    return f"{count} of {a.size} element(s) differ{largest}; first {first}"


def diff_dumps(
    dir_a: str, dir_b: str, rtol: float = 1e-5, atol: float = 1e-8, limit: int = 10
) -> tuple[list[Difference], list[str], int]:
    """Compares two dump directories.

    Returns:
        (the first ``limit`` differences in A's order, tensor names of A missing from B,
        how many tensors were compared).

    Raises:
        errors.NotFoundError / errors.DataLossError: for a directory that is not a dump.
        ValueError: for a negative tolerance or limit.
    """
    if rtol < 0 or atol < 0 or limit < 1:
        raise ValueError(f"need rtol >= 0, atol >= 0, limit >= 1; got {rtol}, {atol}, {limit}")
    side_a = sorted(read_dump(dir_a), key=lambda r: r.order)
    side_b = {r.tensor_name: r for r in read_dump(dir_b)}
    differences: list[Difference] = []
    missing: list[str] = []
    compared = 0
    for record in side_a:
        other = side_b.get(record.tensor_name)
        if other is None:
            missing.append(record.tensor_name)
            continue
        if not (record.has_value and other.has_value):
            continue
        compared += 1
        reason = compare(_load(record), _load(other), rtol, atol)
        if reason is not None:
            differences.append(Difference(record.order, record.tensor_name, record.op_type, reason))
            if len(differences) >= limit:
                break
    return differences, missing, compared


def _load(record: TensorRecord) -> np.ndarray:
    try:
        return np.asarray(record.array())
    except (OSError, ValueError) as e:
        raise errors.DataLossError(
            None, None, f"Cannot read the value of {record.tensor_name} ({record.path}): {e}"
        ) from None


def report(dir_a: str, dir_b: str, rtol: float, atol: float, limit: int) -> tuple[str, bool]:
    """The text ``debug-diff`` prints, and whether the dumps differ."""
    differences, missing, compared = diff_dumps(dir_a, dir_b, rtol, atol, limit)
    lines = [f"Compared {compared} tensor(s) of {dir_a} with {dir_b} (rtol={rtol}, atol={atol})"]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        lines.append(f"{len(missing)} tensor(s) of A are not in B: {shown}")
    if not differences:
        lines.append("No tensor differs beyond tolerance.")
        return "\n".join(lines), False
    lines.append(f"First {len(differences)} differing tensor(s), in execution order of A:")
    lines += [f"  #{d.order} {d.tensor} ({d.op}): {d.reason}" for d in differences]
    return "\n".join(lines), True


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of ``stowflow debug-diff``."""
    parser.add_argument("dir_a", help="a dump directory (has index.json)")
    parser.add_argument("dir_b", help="the dump directory to compare with")
    parser.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance (1e-5)")
    parser.add_argument("--atol", type=float, default=1e-8, help="absolute tolerance (1e-8)")
    parser.add_argument("--limit", type=int, default=10, help="report this many tensors (10)")
    return parser


def run(args: argparse.Namespace) -> int:
    """``stowflow debug-diff``: exit 0 if no tensor differs, 1 if some do, 2 on bad input."""
    try:
        text, differ = report(args.dir_a, args.dir_b, args.rtol, args.atol, args.limit)
    except (errors.OpError, ValueError) as e:
        message = e.message if isinstance(e, errors.OpError) else str(e)
        print(f"stowflow debug-diff: error: {message}", file=sys.stderr)
        return 2
    print(text)
    return 1 if differ else 0
