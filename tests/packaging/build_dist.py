"""Builds stowflow's sdist and wheel the way a release would, from a clean copy of the tree.

Used by ``scripts/test`` (which installs the wheel into a fresh venv and runs the suite
against it) and by ``tests/packaging/test_dist.py``. The build runs in a temporary copy
holding only the files git knows about (tracked, or new and not ignored), so stale
``build/`` directories, caches and egg-info in the work tree can neither leak into the wheel
nor hide a missing file. ``python -m build`` makes the sdist first and the wheel from the
unpacked sdist, so a file missing from the sdist is missing from the wheel too.

    python tests/packaging/build_dist.py OUT_DIR     # prints the wheel's path; the log goes to stderr
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Zip timestamps come from here, so an unchanged tree gives a byte-identical wheel
# (scripts/test keys its wheel venv by the wheel's hash). 1980-01-01, the zip epoch.
SOURCE_DATE_EPOCH = "315532800"


@dataclass(frozen=True)
class Dist:
    """One build: the two archives and everything the build printed."""

    wheel: Path
    sdist: Path
    log: str


def source_files(root: Path = ROOT, under: str = "") -> list[str]:
    """Repo-relative paths git knows (tracked, or untracked but not ignored), sorted.

    Raises:
        RuntimeError: ``root`` is not a git work tree (or git is missing).
    """
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", under or "."],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise RuntimeError(f"cannot list the files of {root} with git: {e}") from e
    names = {n.decode() for n in out.split(b"\0") if n}
    return sorted(n for n in names if (root / n).is_file())  # deleted but still tracked


def export_tree(dest: Path, root: Path = ROOT) -> None:
    """Copies the files of :func:`source_files` into ``dest`` (a clean checkout)."""
    for name in source_files(root):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)


def build(out_dir: Path, root: Path = ROOT) -> Dist:
    """Builds the sdist and the wheel of a clean copy of ``root`` into ``out_dir``.

    Raises:
        RuntimeError: the build failed (the message holds its output).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PYTHONSAFEPATH": "1"}
    # With this set, setuptools warns that it skips byte-compiling: noise, not a problem.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="stowflow-src-") as src:
        export_tree(Path(src), root)
        # --no-isolation: build with this venv's setuptools (the [test] extra pins >= 77)
        # instead of downloading a fresh one on every run.
        proc = subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out_dir), src],
            cwd=src,
            env=env,
            capture_output=True,
            text=True,
        )
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"building stowflow failed:\n{log}")
    wheels = sorted(out_dir.glob("stowflow-*.whl"), key=os.path.getmtime)
    sdists = sorted(out_dir.glob("stowflow-*.tar.gz"), key=os.path.getmtime)
    if not wheels or not sdists:
        raise RuntimeError(f"the build made no wheel or sdist in {out_dir}:\n{log}")
    return Dist(wheel=wheels[-1], sdist=sdists[-1], log=log)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    for old in [*out_dir.glob("stowflow-*.whl"), *out_dir.glob("stowflow-*.tar.gz")]:
        old.unlink()
    try:
        dist = build(out_dir)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    print(dist.wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
