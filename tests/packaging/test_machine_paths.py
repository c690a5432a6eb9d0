"""No tracked text file names an absolute path of one machine.

Scripts find their interpreters the way scripts/test does (``scripts/tf_venv``, ``.venv``) and
the seed documents at ``../shared/seeds`` relative to the repository; docs and docstrings say
so too. A path like ``/work/venvs/tf/bin/python`` or ``/home/me/...`` works on one machine only.

What stays allowed, because it means the same on every machine: the ``/usr/bin/env``
shebang and ``/bin/sh``, kernel interfaces (``/dev/...``, ``/proc/...``, ``/sys/...``), the
temporary directory ``/tmp`` (examples and TF's own tutorials write there), KServe's model
mount ``/mnt/models`` (its runtime contract: the storage initializer puts the model there on
every node), and ``/etc/passwd``, the classic hostile path that the untrusted-input tests feed in. A line that
means another machine's path on purpose (test data: a ``checkpoint`` file written elsewhere)
says so with the marker ``not-a-machine-path`` (in a comment).
"""

from __future__ import annotations

import re
from pathlib import Path

import build_dist
import pytest
from stowflow_testlib import ROOT

# An absolute path under a top-level directory of a Unix file system (or a macOS home),
# followed by at least one more component: a place on some machine's disk.
_ABSOLUTE = re.compile(
    r"(?<![\w.~$}/:>-])/(?:work|home|root|Users|opt|mnt|srv|var|usr|etc|media|Volumes|private"
    r"|nix|snap|lib|lib64|bin|sbin|run|tmp|dev|proc|sys)/[\w.@+-]+(?:/[\w.@+-]*)*"
)
_ALLOWED = re.compile(
    r"^/(?:usr/bin/env|bin/sh|bin/bash|etc/passwd$|dev/|proc/|sys/|tmp/|mnt/models(?:/|\.?$))"
)


_MARKER = "not-a-machine-path"


def machine_paths(text: str) -> list[str]:
    """The absolute paths in ``text`` that name a place on one machine (marked lines aside)."""
    return [
        m.group(0)
        for line in text.splitlines()
        if _MARKER not in line
        for m in _ABSOLUTE.finditer(line)
        if not _ALLOWED.match(m.group(0))
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("PY=/work/venvs/tf/bin/python", ["/work/venvs/tf/bin/python"]),
        ("see `/home/ci/stowflow/README.md`", ["/home/ci/stowflow/README.md"]),
        ('default="/work/shared/seeds"', ["/work/shared/seeds"]),
        ("#!/usr/bin/env bash\n>/dev/null 2>&1; /tmp/model.ckpt", []),
        ("https://example.org/usr/share/x and a/usr/b and ~/.cache/x", []),
        ("open('/proc/sys/vm/drop_caches'); '/etc/passwd'", []),
        ("'/etc/hosts'", ["/etc/hosts"]),
        ("--model_base_path=/mnt/models /mnt/models/1/saved_model.pb", []),
        ("/mnt/data/x", ["/mnt/data/x"]),
        ("File <venv>/bin/saved_model_cli", []),
        ("'/home/a/m.ckpt'  # " + _MARKER + ": test data\n'/home/b/m'", ["/home/b/m"]),
    ],
)
def test_the_scanner(text: str, found: list[str]) -> None:
    assert machine_paths(text) == found


def test_no_tracked_text_file_names_a_machine_path() -> None:
    try:
        files = build_dist.source_files(ROOT)
    except RuntimeError as e:
        pytest.skip(str(e))
    this_file = Path(__file__).resolve().relative_to(ROOT).as_posix()  # its examples offend
    offenders = []
    for name in files:
        if name == this_file:
            continue
        raw = (ROOT / name).read_bytes()
        if b"\0" in raw:
            continue  # binary (protobufs, checkpoints)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [f"{name}: {p}" for p in machine_paths(text)]
    assert offenders == [], "absolute paths of one machine:\n" + "\n".join(offenders)
