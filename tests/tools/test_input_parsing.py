"""The safe ``--inputs``/``--input_exprs``/``--input_examples`` parsing of ``stowflow run``."""

from __future__ import annotations

import builtins
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stowflow.proto import example_pb2
from stowflow.tools import input_parsing as ip
from stowflow.tools.input_parsing import InputError

# ----------------------------------------------------------------------------- accepted
ACCEPTED: list[tuple[str, Any]] = [
    ("[[1], [2], [3]]", [[1], [2], [3]]),
    ("(1, -2.5, 'a', b'b', True, None)", (1, -2.5, "a", b"b", True, None)),
    ("-3", -3),
    ("+1e3", 1000.0),
    ("np.nan", float("nan")),
    ("np.ones((2, 3))", np.ones((2, 3))),
    ("numpy.zeros(4, dtype='int32')", np.zeros(4, np.int32)),
    ("np.full((2, 2), -0.5, dtype=np.float32)", np.full((2, 2), -0.5, np.float32)),
    ("np.arange(6, dtype=np.float32).reshape(2, 3)", np.arange(6, dtype=np.float32).reshape(2, 3)),
    ("np.arange(1, 10, 3)", np.arange(1, 10, 3)),
    ("np.array([3, 4], dtype=np.int32)", np.array([3, 4], np.int32)),
    ("np.array([b'cherry', b'zzz'])", np.array([b"cherry", b"zzz"])),
    ("np.linspace(0, 1, 5)", np.linspace(0, 1, 5)),
    ("np.eye(3, k=1)", np.eye(3, k=1)),
    ("np.identity(2, dtype='float16')", np.identity(2, np.float16)),
    ("np.ones_like([[1, 2]])", np.ones_like([[1, 2]])),
    ("np.zeros_like(np.ones((2, 2)))", np.zeros((2, 2))),
    ("np.ones(3).astype('int8')", np.ones(3, np.int8)),
    ("np.arange(6).reshape((3, 2)).transpose()", np.arange(6).reshape(3, 2).T),
    ("np.float32(1.5)", np.float32(1.5)),
    ("np.random.RandomState(7).rand(2, 3)", np.random.RandomState(7).rand(2, 3)),
    ("np.random.RandomState(7).randint(0, 5, size=4)", np.random.RandomState(7).randint(0, 5, 4)),
    ("np.random.normal(0, 1, size=(2,), seed=3)", np.random.RandomState(3).normal(0, 1, (2,))),
    ("np.random.default_rng(1).integers(0, 9, size=3)", np.random.default_rng(1).integers(0, 9, 3)),
]


@pytest.mark.parametrize(("expr", "expected"), ACCEPTED, ids=[e for e, _ in ACCEPTED])
def test_safe_eval_accepts(expr: str, expected: Any) -> None:
    value = ip.safe_eval(expr)
    if isinstance(expected, np.ndarray | np.generic):
        assert isinstance(value, type(expected))
        assert value.dtype == expected.dtype
        np.testing.assert_array_equal(value, expected)
    elif isinstance(expected, float) and expected != expected:
        assert value != value
    else:
        assert value == expected and type(value) is type(expected)


# ----------------------------------------------------------------------------- refused
REFUSED: list[tuple[str, str]] = [
    ("__import__('os').system('touch x')", "the call of '__import__' is not allowed"),
    ("os.system('x')", "the call of 'os.system' is not allowed"),
    ("eval('1')", "the call of 'eval' is not allowed"),
    ("np.load('x.npy')", "the call of 'np.load' is not allowed"),
    ("np.save('x', np.ones(1))", "the call of 'np.save' is not allowed"),
    ("np.ones(3).tofile('x')", "the call of 'np.ones(3).tofile' is not allowed"),
    ("np.ones.__globals__", "the attribute 'np.ones.__globals__' is not allowed"),
    ("np.random.seed(0)", "the call of 'np.random.seed' is not allowed"),
    ("().__class__", "the attribute '().__class__' is not allowed"),
    ("np", "the name 'np' is not allowed"),
    ("x", "the name 'x' is not allowed"),
    ("np.ones(3)[0]", "subscripting ([...]) is not allowed"),
    ("[x for x in [1]]", "a list comprehension is not allowed"),
    ("(x for x in [1])", "a generator expression is not allowed"),
    ("lambda: 0", "a lambda is not allowed"),
    ("1 + 1", "an arithmetic operator is not allowed"),
    ("2 ** 100", "an arithmetic operator is not allowed"),
    ("{'a': 1}", "a dict is not allowed"),
    ("f'{1}'", "an f-string is not allowed"),
    ("not 1", "the operator Not is not allowed"),
    ("np.ones(*[3])", "* unpacking is not allowed"),
    ("np.ones(**{'shape': 3})", "** unpacking is not allowed"),
    ("np.ones(3, order='F')", "np.ones() does not take the keyword(s) order"),
    ("np.ones(3, dtype='object')", "dtype 'object' is not allowed"),
    ("np.ones(3, dtype=np.object_)", "the attribute 'np.object_' is not allowed"),
    ("np.random.RandomState(0)", "is a RandomState, not a value"),
    ("np.float32", "is a dtype, not a value"),
    ("np.random.RandomState(0).reshape(2)", "the method 'reshape' is not allowed on a RandomState"),
    ("np.ones((10000, 10000))", "the limit is 67108864"),
    ("np.arange(1e9)", "the limit is 67108864"),
    ("np.random.RandomState(0).rand(9000, 9000)", "the limit is 67108864"),
    ("np.random.normal(size=(9000, 9000), seed=1)", "the limit is 67108864"),
    ("np.eye(10000)", "the limit is 67108864"),
    ("np.ones((-1,))", "negative dimension"),
    ("np.ones(", "is not valid Python syntax"),
]


@pytest.mark.parametrize(("expr", "message"), REFUSED, ids=[e for e, _ in REFUSED])
def test_safe_eval_refuses(expr: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        ip.safe_eval(expr)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_nothing_runs_before_the_whole_expression_is_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An allowed call next to a refused one is never made; eval/exec are never used."""
    calls: list[Any] = []
    monkeypatch.setitem(
        ip.FUNCTIONS,
        "np.ones",
        ip.Function(lambda *a, **k: calls.append(a), frozenset(), max_args=2),
    )

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    with pytest.raises(InputError, match="__import__"):
        ip.safe_eval("[np.ones(3), __import__('os')]")
    assert calls == []


def test_refused_expression_creates_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for expr in (
        "x=__import__('os').system('touch pwned')",
        "x=np.ones(2).tofile('pwned')",
        "x=np.save('pwned', np.ones(1))",
    ):
        with pytest.raises(InputError):
            ip.parse_input_exprs(expr)
    assert list(tmp_path.iterdir()) == []


def test_parse_input_exprs_keys_and_errors() -> None:
    parsed = ip.parse_input_exprs("x=np.ones((2,3));y=[1, 2];")
    assert set(parsed) == {"x", "y"} and parsed["x"].shape == (2, 3) and parsed["y"] == [1, 2]
    assert ip.parse_input_exprs("x= [1]")["x"] == [1]  # leading blanks, like literal_eval
    with pytest.raises(InputError, match=r'^--input_exprs "x" format is incorrect\.'):
        ip.parse_input_exprs("x")
    with pytest.raises(InputError, match="^--input_exprs y: the name 'z' is not allowed"):
        ip.parse_input_exprs("x=[1];y=z")


# ------------------------------------------------------------------------------ --inputs
def test_parse_inputs_follows_tf() -> None:
    assert ip.parse_inputs("x=a.npy;y=b.npz[k];") == {"x": ("a.npy", None), "y": ("b.npz", "k")}
    with pytest.raises(InputError) as info:
        ip.parse_inputs("x=a[b")
    assert str(info.value) == (
        '--inputs "x=a[b" format is incorrect. Please follow"<input_key>=<filename>", or'
        '"<input_key>=<filename>[<variable_name>]"'
    )


def test_load_input_file_npy_npz(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    a = np.arange(4, dtype=np.float32)
    np.save(tmp_path / "a.npy", a)
    np.savez(tmp_path / "two.npz", a=a, b=a * 2)
    np.savez(tmp_path / "one.npz", a)
    np.testing.assert_array_equal(ip.load_input_file(str(tmp_path / "a.npy"), None), a)
    np.testing.assert_array_equal(ip.load_input_file(str(tmp_path / "a.npy"), "zz"), a)
    assert 'Name key "zz" ignored' in caplog.text
    np.testing.assert_array_equal(ip.load_input_file(str(tmp_path / "two.npz"), "b"), a * 2)
    np.testing.assert_array_equal(ip.load_input_file(str(tmp_path / "one.npz"), None), a)
    with pytest.raises(InputError, match="contains more than one ndarrays"):
        ip.load_input_file(str(tmp_path / "two.npz"), None)
    with pytest.raises(InputError, match='does not contain variable with name "c"'):
        ip.load_input_file(str(tmp_path / "two.npz"), "c")
    with pytest.raises(InputError, match="does not exist"):
        ip.load_input_file(str(tmp_path / "nope.npy"), None)
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(InputError, match="junk.npy"):
        ip.load_input_file(str(tmp_path / "junk.npy"), None)


class _Boom:
    """Unpickling this would run code: the refusal must come before."""

    def __reduce__(self) -> Any:
        return (Path.touch, (Path("unpickled"),))


def test_pickle_is_refused_unless_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "evil.pkl", "wb") as f:
        pickle.dump(_Boom(), f)
    with open(tmp_path / "d.pkl", "wb") as f:
        pickle.dump({"k": [1.0, 2.0]}, f)
    np.save(tmp_path / "obj.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "obj.npz", o=np.array([1, "a"], dtype=object))
    for name, key in (("evil.pkl", None), ("d.pkl", "k"), ("obj.npy", None), ("obj.npz", "o")):
        with pytest.raises(InputError, match="Pass --allow_pickle if you trust this file"):
            ip.load_input_file(str(tmp_path / name), key)
    assert not (tmp_path / "unpickled").exists()
    assert ip.load_input_file(str(tmp_path / "d.pkl"), "k", allow_pickle=True) == [1.0, 2.0]
    assert ip.load_input_file(str(tmp_path / "obj.npy"), None, allow_pickle=True).tolist() == [
        1,
        "a",
    ]


# ---------------------------------------------------------------------- --input_examples
def test_input_examples_build_tf_examples() -> None:
    parsed = ip.parse_input_examples(
        'e=[{"age":[22],"w":[0.5,1.5],"s":["a","é"],"b":[b"\\x00"]},{"n":[-1, 2]}]'
    )
    first, second = (example_pb2.Example.FromString(s) for s in parsed["e"])
    f = first.features.feature
    assert list(f["age"].int64_list.value) == [22]
    assert list(f["w"].float_list.value) == [0.5, 1.5]
    assert list(f["s"].bytes_list.value) == [b"a", "é".encode()]
    assert list(f["b"].bytes_list.value) == [b"\x00"]
    assert list(second.features.feature["n"].int64_list.value) == [-1, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("e={'a':[1]}", "tf.Example input must be a list of dictionaries"),
        ("e=[{'a':1}]", "feature value must be a list, but a: \"1\" is <class 'int'>"),
        ("e=[{'a':[None]}]", "is not supported for tf.train.Feature"),
        ("e=[{'a':[]}]", "empty value list"),
        ("e=[1]", "must be a dict of feature lists"),
        ("e=[{'a':[1, 'x']}]", "bad tf.Example feature values"),
        ("e=[{'a':[True]}]", "Expected an int, got a boolean"),  # protobuf refuses, as under TF
        ("e=__import__('os')", "is not a valid python literal"),
        ("e", '--input_examples "e" format is incorrect.'),
    ],
)
def test_input_examples_errors(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        ip.parse_input_examples(text)
    assert message in str(info.value)


def test_load_inputs_precedence(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros(2))
    feeds = ip.load_inputs(
        f"x={tmp_path / 'x.npy'};y={tmp_path / 'x.npy'}", "y=[1];z=[2]", "z=[{'a':[1]}]"
    )
    assert feeds["x"].tolist() == [0.0, 0.0] and feeds["y"] == [1]
    assert isinstance(feeds["z"], list) and isinstance(feeds["z"][0], bytes)


# ------------------------------------------------------------------------------ size caps
@pytest.mark.parametrize(
    ("expr", "nbytes"),
    [
        ("np.full((1024,), '" + "x" * 4096 + "')", 1024 * 4096 * 4),
        ("np.full(1024, b'" + "x" * 4096 + "')", 1024 * 4096),
        ("np.full_like(np.zeros(1024), 0, dtype=np.float64).astype(np.str_)", 1024 * 32 * 4),
        ("np.array(np.arange(1024), dtype=np.str_)", 1024 * 21 * 4),
        ("np.array(['" + "y" * 6000 + "'" + ", 1.5" * 50 + "])", 51 * 6000 * 4),
        ("np.array([b'" + "y" * 6000 + "'" + ", 1.5" * 50 + "])", 51 * 6000),
    ],
)
def test_byte_cap_is_checked_before_allocating(
    monkeypatch: pytest.MonkeyPatch, expr: str, nbytes: int
) -> None:
    import tracemalloc

    monkeypatch.setattr(ip, "MAX_BYTES", 64 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=rf"would build {nbytes} bytes; the limit is 65536"):
            ip.safe_eval(expr)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < nbytes // 2


def test_byte_cap_default_refuses_sixteen_gib_of_strings() -> None:
    assert ip.MAX_BYTES == 1 << 30
    with pytest.raises(InputError, match="would build 17179869184 bytes; the limit is 1073741824"):
        ip.safe_eval("np.full((1048576,), '" + "x" * 4096 + "')")


def test_byte_cap_is_checked_after_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ip, "MAX_BYTES", 1000)
    # Estimated at 8 bytes per element (800); complex bounds make it 16 (1600).
    with pytest.raises(InputError, match=r"built 1600 bytes; the limit is 1000"):
        ip.safe_eval("np.linspace(0j, 1, 100)")
    assert ip.safe_eval("np.full(10, 'ab', dtype=np.str_)").dtype == np.dtype("U1")


@pytest.mark.parametrize(
    ("expr", "elements"),
    [
        ("np.linspace(np.zeros(100), 1, 100)", 10000),
        ("np.random.uniform(np.zeros((100, 1)), np.ones((1, 100)), seed=0)", 10000),
        ("np.zeros_like([np.zeros(3000), np.zeros(3000)])", 6000),
        ("np.array([np.zeros(3000), np.zeros(3000)])", 6000),
        ("np.full(2, [np.zeros(3000), np.zeros(3000)])", 6000),
    ],
)
def test_element_cap_counts_array_arguments(
    monkeypatch: pytest.MonkeyPatch, expr: str, elements: int
) -> None:
    monkeypatch.setattr(ip, "MAX_ELEMENTS", 5000)
    with pytest.raises(InputError, match=rf"would build {elements} elements; the limit is 5000"):
        ip.safe_eval(expr)


def test_python_objects_are_not_made_strings() -> None:
    with pytest.raises(InputError, match="cannot be made strings"):
        ip.safe_eval("np.full(3, None).astype(np.str_)")


def _npy_declaring(shape: tuple[int, ...]) -> bytes:
    """A .npy header declaring ``shape`` float64, with no data behind it."""
    import io

    buffer = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def test_npz_member_inflating_past_the_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = tmp_path / "bomb.npz"
    np.savez_compressed(bomb, z=np.zeros(1 << 18))  # 2 MiB of zeros, a few KiB on disk
    monkeypatch.setattr(ip, "MAX_INPUT_FILE_BYTES", 1 << 20)
    assert bomb.stat().st_size < 1 << 20
    for name in ("z", None):
        with pytest.raises(InputError, match=r"z is \d+ bytes uncompressed; the limit is 1048576"):
            ip.load_input_file(str(bomb), name)


def test_npy_header_declaring_a_huge_array_is_refused(tmp_path: Path) -> None:
    import zipfile

    lie = _npy_declaring((1 << 40,))
    (tmp_path / "lie.npy").write_bytes(lie)
    with pytest.raises(InputError, match=r"lie.npy declares an array of 8796093022208 bytes"):
        ip.load_input_file(str(tmp_path / "lie.npy"), None)
    with zipfile.ZipFile(tmp_path / "lie.npz", "w") as archive:
        archive.writestr("a.npy", lie)
    with pytest.raises(InputError, match=r"lie.npz: a declares an array of 8796093022208 bytes"):
        ip.load_input_file(str(tmp_path / "lie.npz"), "a")
    ok = np.arange(3.0)
    np.savez(tmp_path / "ok.npz", a=ok)
    np.testing.assert_array_equal(ip.load_input_file(str(tmp_path / "ok.npz"), "a"), ok)
