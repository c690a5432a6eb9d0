"""``CheckpointReader.debug_string()`` returns TF's bytes for every golden checkpoint.

Expectations come from TF 2.21 (``tests/golden/make_debug_strings.py``): one
``key (DT_TYPE) [dims]`` line per stored entry in index-key order, partitioned variables as
their raw slice keys.
"""

from __future__ import annotations

import base64
import json

import pytest
from stowflow_testlib import GOLDEN

import stowflow as tf
from stowflow.tools.inspect_checkpoint import debug_string as printed_debug_string

EXPECTED = {
    prefix: base64.b64decode(text)
    for prefix, text in json.loads(
        (GOLDEN / "debug_strings.json").read_text(encoding="utf-8")
    ).items()
}


def test_every_golden_checkpoint_is_covered() -> None:
    on_disk = {str(p.relative_to(GOLDEN))[: -len(".index")] for p in GOLDEN.rglob("*.index")}
    assert set(EXPECTED) == on_disk


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_debug_string_matches_tf(prefix: str) -> None:
    reader = tf.train.NewCheckpointReader(str(GOLDEN / prefix))
    result = reader.debug_string()
    assert isinstance(result, bytes)
    assert result == EXPECTED[prefix]


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_inspect_checkpoint_prints_the_same_lines(prefix: str) -> None:
    reader = tf.train.NewCheckpointReader(str(GOLDEN / prefix))
    assert printed_debug_string(reader) == EXPECTED[prefix].decode("utf-8", errors="ignore")
