"""Which files a Session's file-touching kernels may open: the sandbox for untrusted models.

A SavedModel is a program. Its ``main_op`` and signatures can hold ``SaveV2``,
``RestoreV2``, ``MergeV2Checkpoints`` or ``InitializeTableFromTextFileV2`` nodes fed from
Const paths, and so read, write or delete any file the process can reach. TensorFlow lets
them; stowflow confines models it loads to run or serve (``stowflow.saved_model.load``,
``stowflow run``, the model server) to their own directory.

Design, in three parts:

- **The policy lives in the Session.** Every ``SessionState`` holds one :class:`FilePolicy`
  in ``file_policy``; a new Session's is :data:`UNRESTRICTED`, so TF1 programs
  (``python -m stowflow.tf1``, a plain ``tf.Session``, ``tf.saved_model.loader.load``) keep
  full access, as in TF. A loader that runs untrusted graphs installs a confined policy
  with :func:`confine` before it runs anything.
- **Every file-touching op is a stateful kernel** (``fn(state, op, inputs)``, see
  ``kernels/state.py``), because stateful kernels are the ones that see the Session: each
  asks ``state.file_policy`` (:meth:`FilePolicy.check` or :meth:`FilePolicy.check_bundle`)
  before it touches the file system. No pure kernel may open a file; a new file-touching
  kernel must be stateful and call the policy the same way.
- **Decisions are made on resolved paths.** A path is resolved with ``os.path.realpath``
  (relative to the working directory, symlinks followed, ``..`` folded) and allowed when it
  is one of the allowed roots or lies below one; a symlink inside the model directory that
  points outside is outside. Grants name (op type, exact path) pairs for what a loader
  itself passes (the ``RestoreV2`` of its variables prefix): such a path is allowed for that
  op only, wherever it resolves.

A refused access raises :class:`~stowflow.errors.PermissionDeniedError` naming the op
(type and node) and the path. The check runs just before the open; the confined graph has
no kernel that creates symlinks, so it cannot race the check.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from stowflow.errors import PermissionDeniedError


def _resolve(path: str) -> str | None:
    """The canonical absolute path (symlinks followed, ``..`` folded), None if unusable."""
    try:
        return os.path.realpath(os.path.abspath(path))
    except (OSError, ValueError):  # embedded NUL, unreadable cwd
        return None


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class FilePolicy:
    """The files a Session's kernels may touch.

    Args:
        roots: directory trees (or single files) that may be read and written; None means
            unrestricted. Each is resolved once, here.
        grants: op type -> exact paths that op may use even outside ``roots`` (compared
            after ``os.path.abspath``, before following symlinks).
    """

    def __init__(
        self,
        roots: Iterable[str | os.PathLike[str]] | None = None,
        grants: Mapping[str, Iterable[str | os.PathLike[str]]] | None = None,
    ) -> None:
        self.roots: tuple[str, ...] | None = None
        if roots is not None:
            resolved = (_resolve(os.fspath(r)) for r in roots)
            self.roots = tuple(r for r in resolved if r is not None)
        self.grants: dict[str, frozenset[str]] = {
            op_type: frozenset(os.path.abspath(os.fspath(p)) for p in paths)
            for op_type, paths in (grants or {}).items()
        }

    @property
    def restricted(self) -> bool:
        """Whether any check can fail."""
        return self.roots is not None

    def allows(self, op_type: str, path: str) -> bool:
        """Whether an op of ``op_type`` may touch ``path``."""
        if self.roots is None:
            return True
        try:
            if os.path.abspath(path) in self.grants.get(op_type, ()):
                return True
        except ValueError:
            return False
        resolved = _resolve(path)
        return resolved is not None and any(_under(resolved, root) for root in self.roots)

    def check(self, op: Any, path: str) -> None:
        """Raises PermissionDeniedError unless ``op`` may touch ``path``."""
        if not self.allows(op.type, path):
            raise self._denied(op, path)

    def check_bundle(self, op: Any, prefix: str) -> None:
        """Checks a tensor bundle: its prefix, its files, and each of them that exists.

        The files are siblings of the prefix (``<prefix>.index``, ``<prefix>.data-*`` and
        their temporaries), so a prefix that is an allowed root itself is still refused;
        an existing file may be a symlink of its own, so each one is checked too. A prefix
        granted to this op is allowed as a whole.
        """
        if self.roots is None:
            return
        self.check(op, prefix)
        if os.path.abspath(prefix) in self.grants.get(op.type, ()):
            return
        self.check(op, f"{prefix}.index")
        self.check(op, f"{prefix}.data-00000-of-00001")
        for path in glob.glob(glob.escape(prefix) + ".data-*"):
            self.check(op, path)

    def _denied(self, op: Any, path: str) -> PermissionDeniedError:
        resolved = _resolve(path)
        shown = repr(path) if resolved in (None, path) else f"{path!r} (resolves to {resolved!r})"
        roots = ", ".join(self.roots or ())
        return PermissionDeniedError(
            None,
            None,
            f"{op.type} op '{op.name}' may not access {shown}: this model may only use files "
            f"under {roots}; pass allowed_paths=[...] to the loader to allow more",
        )

    def __repr__(self) -> str:
        if self.roots is None:
            return "FilePolicy(unrestricted)"
        return f"FilePolicy(roots={list(self.roots)}, grants={self.grants})"


FILE_OPS = frozenset(
    [
        *("SaveV2", "RestoreV2", "MergeV2Checkpoints", "Save", "SaveSlices", "Restore"),
        *("RestoreSlice", "DTensorRestoreV2", "ReadFile", "WriteFile", "MatchingFiles"),
        *("InitializeTableFromTextFile", "InitializeTableFromTextFileV2", "ImmutableConst"),
        *("TFRecordReader", "TFRecordReaderV2", "TextLineReader", "TextLineReaderV2"),
        *("WholeFileReader", "WholeFileReaderV2", "FixedLengthRecordReader"),
        *("FixedLengthRecordReaderV2", "RecordInput", "Skipgram", "PrintV2"),
        *("TFRecordDataset", "TFRecordDatasetV2", "TextLineDataset", "FixedLengthRecordDataset"),
        *("FixedLengthRecordDatasetV2", "CSVDataset", "CSVDatasetV2", "ExperimentalCSVDataset"),
        *("LMDBDataset", "ExperimentalLMDBDataset", "CacheDataset", "CacheDatasetV2"),
        *("DatasetToTFRecord", "ExperimentalDatasetToTFRecord", "SaveDataset", "SaveDatasetV2"),
        *("LoadDataset", "SnapshotDataset", "SnapshotDatasetV2", "CreateSummaryFileWriter"),
        *("DecodeProtoV2", "EncodeProto", "DebugIdentity", "DebugIdentityV2", "DebugNanCount"),
        *("DebugNumericSummary", "DebugNumericSummaryV2"),
    ]
)
"""TF op types that can read, write or delete files (paths in inputs or attrs such as
``output_stream``, ``descriptor_source``, ``debug_urls``). A kernel for any of them must be
a stateful kernel that asks ``state.file_policy`` first; a test holds every one of them out
of the pure-kernel registry."""

UNRESTRICTED = FilePolicy()
"""The default policy of every Session: kernels may touch any file (TF's behaviour)."""


def confine(session: Any, policy: FilePolicy) -> FilePolicy:
    """Installs ``policy`` in ``session`` (a :class:`~stowflow.graph.session.Session`).

    Every later run of the Session, including runs of its functions, obeys it. Returns the
    policy it replaced.
    """
    state = session._state  # the Session's own state object; this module is its helper
    previous: FilePolicy = state.file_policy
    state.file_policy = policy
    return previous


def policy_of(session: Any) -> FilePolicy:
    """The policy ``session``'s kernels obey."""
    policy: FilePolicy = session._state.file_policy
    return policy


_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def looks_outside(text: str, roots: Iterable[str | os.PathLike[str]]) -> bool:
    """Whether a string (a graph constant, say) looks like a path to a file outside ``roots``.

    True for an absolute path (``/…``, ``~…``, ``C:\\…``, ``\\\\server…``) that does not
    resolve under a root, and for any path with a ``..`` component; False for plain words,
    multi-line text and other relative names.
    """
    if not text or "\n" in text or "\0" in text or len(text) > 4096:
        return False
    if ".." in re.split(r"[\\/]", text):
        return True
    if not (text.startswith(("/", "~", "\\")) or _DRIVE.match(text)):
        return False
    return not FilePolicy(roots).allows("", os.path.expanduser(text))
