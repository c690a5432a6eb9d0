"""Seeded mutation fuzzing of TF-made protobuf files through stowflow's public entry points.

Used by ``test_fuzz_import.py`` (a fast, fixed-seed run) and ``fuzz_campaign.py`` (long local
campaigns). Everything is deterministic in ``(file, seed)``: a failure report names both, and
``mutate(data, seed)`` rebuilds the exact mutant.

The corpus is the TF-made files under ``tests/golden``: ``.meta`` files, ``saved_model.pb``
and ``saved_model.pbtxt`` of SavedModels, and the GraphDefs inside them (serialized as TF's
``graph_def`` field). An outcome is *typed* when stowflow succeeds or raises an
``errors.OpError`` subclass, ``ValueError`` or ``TypeError`` with a message (TF's types);
anything else (``IndexError``, ``KeyError``, a raw protobuf ``DecodeError``, ``RecursionError``,
``MemoryError``, ``UnicodeDecodeError`` ...) is an escape.
"""

from __future__ import annotations

import collections
import contextlib
import random
import resource
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"

# ------------------------------------------------------------------------------ the corpus


@dataclass(frozen=True)
class Seed:
    """One TF-made file: its kind (which entry points take it), bytes, and where it came from."""

    kind: str  # "graph_def" | "meta" | "saved_model" | "saved_model_text"
    name: str
    data: bytes
    model_dir: Path | None = None  # the SavedModel directory (variables/, assets/)
    tags: tuple[str, ...] = ()


def corpus() -> list[Seed]:
    """Every TF-made graph file of ``tests/golden`` (sorted, so seeds stay stable)."""
    from stowflow.proto import meta_graph_pb2, saved_model_pb2

    seeds: list[Seed] = []
    metas = sorted(GOLDEN.rglob("*.meta"))
    for path in metas:
        data = path.read_bytes()
        seeds.append(Seed("meta", _rel(path), data))
        meta = meta_graph_pb2.MetaGraphDef.FromString(data)
        seeds.append(
            Seed("graph_def", _rel(path) + "#graph_def", meta.graph_def.SerializeToString())
        )
    for path in sorted(GOLDEN.rglob("saved_model.pb")):
        data = path.read_bytes()
        model = saved_model_pb2.SavedModel.FromString(data)
        tags = tuple(model.meta_graphs[0].meta_info_def.tags)
        seeds.append(Seed("saved_model", _rel(path), data, path.parent, tags))
        graph = model.meta_graphs[0].graph_def.SerializeToString()
        seeds.append(Seed("graph_def", _rel(path) + "#graph_def", graph))
    for path in sorted(GOLDEN.rglob("saved_model.pbtxt")):
        from google.protobuf import text_format

        text = path.read_bytes()
        model = text_format.Parse(text.decode(), saved_model_pb2.SavedModel())
        tags = tuple(model.meta_graphs[0].meta_info_def.tags)
        seeds.append(Seed("saved_model_text", _rel(path), text, path.parent, tags))
    return seeds


def _rel(path: Path) -> str:
    return str(path.relative_to(GOLDEN))


# ------------------------------------------------------------------------------ mutations

_INTERESTING_VARINTS = (
    0,
    1,
    2,
    7,
    0x7F,
    0x80,
    255,
    2**15,
    2**16,
    2**31 - 1,
    2**31,
    2**32,
    2**62,
    2**63 - 1,
    2**64 - 1,
)


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int, end: int) -> tuple[int, int] | None:
    value = shift = 0
    while pos < end and shift < 70:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    return None


def varint_sites(data: bytes, limit: int = 20000) -> list[tuple[int, int, bool]]:
    """(start, end, is_length) of the varints of a protobuf message, nested messages included.

    A length-delimited payload is walked as a message when it parses as one to its end.
    """
    sites: list[tuple[int, int, bool]] = []
    stack = [(0, len(data), 0)]
    while stack and len(sites) < limit:
        start, end, depth = stack.pop()
        found = _walk(data, start, end)
        if found is None:
            continue
        for site, payload in found:
            sites.append(site)
            if payload is not None and depth < 64:
                stack.append((payload[0], payload[1], depth + 1))
    return sites


def _walk(
    data: bytes, start: int, end: int
) -> list[tuple[tuple[int, int, bool], tuple[int, int] | None]] | None:
    out: list[tuple[tuple[int, int, bool], tuple[int, int] | None]] = []
    pos = start
    while pos < end:
        tag = _read_varint(data, pos, end)
        if tag is None or tag[0] >> 3 == 0:
            return None
        wire, pos = tag[0] & 7, tag[1]
        if wire == 0:
            value = _read_varint(data, pos, end)
            if value is None:
                return None
            out.append(((pos, value[1], False), None))
            pos = value[1]
        elif wire == 2:
            length = _read_varint(data, pos, end)
            if length is None or length[1] + length[0] > end:
                return None
            body = (length[1], length[1] + length[0])
            out.append(((pos, length[1], True), body if length[0] else None))
            pos = body[1]
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            return None
    return out if pos == end else None


def _bit_flips(rng: random.Random, data: bytearray) -> str:
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return "bitflip"


def _overwrite(rng: random.Random, data: bytearray) -> str:
    i = rng.randrange(len(data))
    n = rng.randint(1, 8)
    fill = rng.choice([b"\x00", b"\xff", b"\x7f", b"\x80", None])
    for k in range(i, min(len(data), i + n)):
        data[k] = rng.randrange(256) if fill is None else fill[0]
    return "overwrite"


def _truncate(rng: random.Random, data: bytearray) -> str:
    del data[rng.randrange(len(data)) :]
    return "truncate"


def _insert(rng: random.Random, data: bytearray) -> str:
    i = rng.randrange(len(data) + 1)
    data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return "insert"


def _duplicate(rng: random.Random, data: bytearray) -> str:
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, 256))
    at = rng.randrange(len(data) + 1)
    data[at:at] = data[a:b]
    return "duplicate"


def _varint(rng: random.Random, data: bytearray) -> str:
    sites = varint_sites(bytes(data))
    if not sites:
        return _bit_flips(rng, data)
    start, end, is_length = rng.choice(sites)
    old = _read_varint(bytes(data), start, end)
    old_value = old[0] if old else 0
    choice = rng.random()
    if choice < 0.5:
        value = rng.choice(_INTERESTING_VARINTS)
    elif choice < 0.8:
        value = old_value + rng.choice([-2, -1, 1, 2, 8])
    else:
        value = rng.randrange(1 << rng.choice([7, 14, 21, 32, 64]))
    data[start:end] = _encode_varint(max(value, 0) if is_length else value)
    return "length" if is_length else "varint"


_BINARY = (_bit_flips, _overwrite, _truncate, _insert, _duplicate, _varint, _varint, _varint)


def _text_token(rng: random.Random, data: bytearray) -> str:
    """Text-format mutations: a number, a nesting bracket, a quote, a duplicated line."""
    text = bytes(data)
    lines = text.split(b"\n")
    i = rng.randrange(len(lines))
    kind = rng.randrange(4)
    if kind == 0:
        lines[i] = lines[i] + b" " + str(rng.choice(_INTERESTING_VARINTS + (-1, -(2**63)))).encode()
    elif kind == 1:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif kind == 2:
        lines[i] = lines[i] + rng.choice([b" {", b" }", b'"', b"<", b">", b"\\", b"[", b"]"])
    else:
        del lines[i]
    data[:] = b"\n".join(lines)
    return "text"


_TEXT = (_bit_flips, _overwrite, _truncate, _insert, _duplicate, _text_token, _text_token)


_KIND_MESSAGE = {
    "graph_def": ("graph_pb2", "GraphDef"),
    "meta": ("meta_graph_pb2", "MetaGraphDef"),
    "saved_model": ("saved_model_pb2", "SavedModel"),
    "saved_model_text": ("saved_model_pb2", "SavedModel"),
}


def _message_class(kind: str) -> Any:
    import importlib

    module, name = _KIND_MESSAGE[kind]
    return getattr(importlib.import_module(f"stowflow.proto.{module}"), name)


def _fields(message: Any, out: list[tuple[Any, Any]], strings: list[str]) -> None:
    """Every (message, field) pair set below ``message``; collects the strings seen."""
    for field, value in message.ListFields():
        out.append((message, field))
        if field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                for key in sorted(value):  # map order is not stable between processes
                    if isinstance(key, str):
                        strings.append(key)
                    item = value[key]
                    if hasattr(item, "ListFields"):
                        _fields(item, out, strings)
            elif field.is_repeated:
                for item in value:
                    _fields(item, out, strings)
            else:
                _fields(value, out, strings)
        elif field.type == field.TYPE_STRING:
            strings.extend(value if field.is_repeated else [value])


_INT_VALUES = (
    -(2**63),
    -(2**31),
    -2,
    -1,
    0,
    1,
    2,
    3,
    5,
    100,
    2**31 - 1,
    2**31,
    2**32,
    2**40,
    2**62,
)


def _new_scalar(rng: random.Random, field: Any, old: Any, strings: list[str]) -> Any:
    kind = field.cpp_type
    if kind == field.CPPTYPE_BOOL:
        return not old
    if kind in (field.CPPTYPE_FLOAT, field.CPPTYPE_DOUBLE):
        return rng.choice([float("nan"), float("inf"), -1.0, 0.0, 1e30, -0.0])
    if kind == field.CPPTYPE_STRING and field.type == field.TYPE_BYTES:
        raw = bytearray(old)
        if raw and rng.random() < 0.6:
            _bit_flips(rng, raw)
        else:
            raw = bytearray(rng.choice([b"", b"\x00" * rng.randint(1, 9), bytes(raw) * 2]))
        return bytes(raw)
    if kind == field.CPPTYPE_STRING:
        choices = [rng.choice(strings) if strings else "", "", "x:99", "^", ":0", "a" * 300]
        pick = rng.choice(choices)
        return pick + rng.choice(["", "", ":1", ":-1", "/", "^"]) if rng.random() < 0.3 else pick
    if kind == field.CPPTYPE_ENUM:
        return rng.choice([0, 1, 2, 7, 20, 21, 23, 101, 119, 200, 2**31 - 1, -1])
    unsigned = kind in (field.CPPTYPE_UINT32, field.CPPTYPE_UINT64)
    bits = 32 if kind in (field.CPPTYPE_INT32, field.CPPTYPE_UINT32) else 64
    value = rng.choice(_INT_VALUES + (old + 1, old - 1, -old))
    low, high = (0, 2**bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return min(max(value, low), high)


def _semantic(rng: random.Random, message: Any) -> str:
    """One field-level mutation of a parsed message: a value, an element, a submessage."""
    pairs: list[tuple[Any, Any]] = []
    strings: list[str] = []
    _fields(message, pairs, strings)
    if not pairs:
        return "empty"
    owner, field = rng.choice(pairs)
    value = getattr(owner, field.name)
    is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
    if is_map:
        keys = sorted(value)
        if keys:
            del value[rng.choice(keys)]
        return f"del-map:{field.name}"
    if field.is_repeated:
        n = len(value)
        action = rng.randrange(4 if field.message_type is None else 3)
        if n == 0:
            return "noop"
        i = rng.randrange(n)
        if action == 0:
            del value[i]
        elif action == 1:
            if field.message_type is None:
                value.append(value[i])
            else:
                value.add().CopyFrom(value[i])
        elif action == 2 and n > 1:
            j = rng.randrange(n)
            if field.message_type is None:
                value[i], value[j] = value[j], value[i]
            else:
                a, b = type(value[i])(), type(value[i])()
                a.CopyFrom(value[i])
                b.CopyFrom(value[j])
                value[i].CopyFrom(b)
                value[j].CopyFrom(a)
        elif action == 3:
            value[i] = _new_scalar(rng, field, value[i], strings)
        return f"rep{action}:{field.name}"
    if field.message_type is not None:
        owner.ClearField(field.name)
        return f"clear:{field.name}"
    setattr(owner, field.name, _new_scalar(rng, field, value, strings))
    return f"set:{field.name}"


def mutate(data: bytes, seed: int, kind: str = "graph_def") -> tuple[bytes, str]:
    """The mutant of ``data`` for ``seed`` (1-3 stacked mutations) and a label of them.

    Three in five mutants change parsed fields (values, repeated elements, submessages: they get
    past the parser and test the importer and loaders), the rest change raw bytes.
    """
    rng = random.Random(seed)
    text = kind == "saved_model_text"
    labels = []
    out = bytearray(data)
    if rng.random() < 0.6:
        from google.protobuf import text_format

        message = _message_class(kind)()
        if text:
            text_format.Parse(data.decode(), message)
        else:
            message.ParseFromString(data)
        for _ in range(rng.choice([1, 1, 2, 3])):
            labels.append(_semantic(rng, message))
        out = bytearray(
            text_format.MessageToString(message).encode() if text else message.SerializeToString()
        )
    for _ in range(rng.choice([0, 0, 0, 0, 1]) if labels else rng.choice([1, 1, 1, 2, 3])):
        if not out:
            break
        labels.append(rng.choice(_TEXT if text else _BINARY)(rng, out))
    return bytes(out), "+".join(labels)


# ------------------------------------------------------------------------------ outcomes


def is_typed(error: BaseException) -> bool:
    """stowflow's promise: an OpError, or TF's ValueError/TypeError, with a message."""
    from stowflow import errors

    escapes = (LookupError, ArithmeticError, UnicodeError, AssertionError, AttributeError)
    if isinstance(error, escapes):
        return False
    if not isinstance(error, errors.OpError | ValueError | TypeError):
        return False
    return bool(str(error).strip())


# ------------------------------------------------------------------------------ entry points


def _fresh_dir(seed: Seed, mutant: bytes, work: Path) -> Path:
    target = work / "model"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir()
    assert seed.model_dir is not None
    for child in seed.model_dir.iterdir():
        if child.name in ("saved_model.pb", "saved_model.pbtxt", "fingerprint.pb"):
            continue
        # Copies, not links: the native loader confines the model to its directory.
        if child.is_dir():
            shutil.copytree(child, target / child.name)
        else:
            shutil.copy(child, target / child.name)
    name = "saved_model.pbtxt" if seed.kind == "saved_model_text" else "saved_model.pb"
    (target / name).write_bytes(mutant)
    return target


def _import_graph_def(seed: Seed, mutant: bytes, work: Path) -> None:
    from stowflow import Graph
    from stowflow.graph.importer import import_graph_def
    from stowflow.tools import freeze_graph

    path = work / "graph.pb"
    path.write_bytes(mutant)
    graph_def = freeze_graph.read_graph_def(str(path))
    with Graph().as_default():
        import_graph_def(graph_def)


def _import_meta(seed: Seed, mutant: bytes, work: Path) -> None:
    import stowflow as tf

    path = work / "model.meta"
    path.write_bytes(mutant)
    with tf.Graph().as_default():
        tf.train.import_meta_graph(str(path))


def _load_native(seed: Seed, mutant: bytes, work: Path) -> None:
    from stowflow import saved_model

    model = saved_model.load(str(_fresh_dir(seed, mutant, work)), tags=list(seed.tags))
    model.close()


def _load_tf1(seed: Seed, mutant: bytes, work: Path) -> None:
    from stowflow.graph.core import Graph
    from stowflow.graph.session import Session
    from stowflow.saved_model import loader

    with Session(graph=Graph()) as sess:
        loader.load_internal(sess, list(seed.tags), str(_fresh_dir(seed, mutant, work)))


ENTRY_POINTS: dict[str, tuple[Callable[[Seed, bytes, Path], None], ...]] = {
    "graph_def": (_import_graph_def,),
    "meta": (_import_meta,),
    "saved_model": (_load_native, _load_tf1),
    "saved_model_text": (_load_native, _load_tf1),
}

# TF's own error for a tag-set the (mutated) file no longer holds: RuntimeError, kept as TF has it.
_TF_RUNTIME_ERRORS = ("MetaGraphDef associated with tags",)


OUTCOMES: collections.Counter[str] = collections.Counter()
"""How often each outcome (``success`` or an exception type) happened in this process."""


@dataclass
class Escape:
    """An untyped outcome: which file, seed, mutation and entry point, and the exception."""

    file: str
    seed: int
    mutation: str
    entry: str
    error: str


def run_one(seed: Seed, number: int, work: Path) -> list[Escape]:
    """Runs mutant ``number`` of ``seed`` through its entry points; returns the escapes."""
    mutant, label = mutate(seed.data, number, seed.kind)
    found = []
    for entry in ENTRY_POINTS[seed.kind]:
        try:
            entry(seed, mutant, work)
            OUTCOMES["success"] += 1
        except BaseException as e:  # noqa: BLE001 - classifying every outcome is the point
            if isinstance(e, KeyboardInterrupt):
                raise
            OUTCOMES[type(e).__name__] += 1
            if isinstance(e, RuntimeError) and str(e).startswith(_TF_RUNTIME_ERRORS):
                continue
            if not is_typed(e):
                found.append(
                    Escape(
                        seed.name, number, label, entry.__name__, f"{type(e).__name__}: {e}"[:300]
                    )
                )
    return found


@contextlib.contextmanager
def memory_cap(extra_bytes: int = 2 << 30) -> Iterator[None]:
    """Caps this process's address space at its current size plus ``extra_bytes``.

    A mutant that makes stowflow allocate gigabytes then fails with MemoryError (an escape)
    instead of taking the machine down. The previous limit is restored afterwards.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    current = _vm_size()
    cap = current + extra_bytes
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A temporary directory for mutant files."""
    path = tempfile.mkdtemp(prefix="stowflow-fuzz-")
    try:
        yield Path(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def silence_logs() -> int:
    """Raises the ``tensorflow`` logger to ERROR (mutants warn a lot); returns the old level."""
    import logging

    logger = logging.getLogger("tensorflow")
    old = logger.level
    logger.setLevel(logging.ERROR)
    return old
