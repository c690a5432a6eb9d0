"""tf.summary ops, FileWriter and summary_iterator against TF 2.21-made goldens.

``tests/golden/summary/make_summary_goldens.py`` builds the same cases in TF: the graph
(node names, op types, inputs, tag values), each op's serialized Summary (histograms and
scalars bit for bit), images (decoded pixels: PNG bytes depend on encoder settings), error
messages and the records of an event file.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import stowflow as tf
from stowflow import errors
from stowflow.graph.kernels.summary_kernels import encode_png
from stowflow.proto import event_pb2, summary_pb2
from stowflow.summary import ops as summary_ops
from stowflow.summary.writer import FileWriter, summary_iterator

GOLDEN = json.loads(
    (
        Path(__file__).resolve().parents[1] / "golden" / "summary" / "summary_goldens.json"
    ).read_text()
)
INPUTS = {
    k: np.frombuffer(base64.b64decode(v["data"]), dtype=v["dtype"]).reshape(v["shape"])
    for k, v in GOLDEN["inputs"].items()
}


def _build():
    """The generator's ``build()``, case for case, in the same order."""
    s = summary_ops
    ph = {k: tf.placeholder(tf.as_dtype(v.dtype), list(v.shape), name=k) for k, v in INPUTS.items()}
    ops = {}
    ops["scalar"] = s.scalar("loss", tf.reduce_mean(ph["x"]))
    ops["scalar_family"] = s.scalar("acc", tf.reduce_max(ph["x"]), family="train")
    ops["scalar_clean"] = s.scalar("loss rate!", tf.reduce_min(ph["x"]))
    with tf.name_scope("outer"):
        ops["scalar_scoped"] = s.scalar("inner", tf.reduce_sum(ph["x"]))
    ops["scalar_again"] = s.scalar("loss", tf.reduce_mean(ph["x"]) * 2.0)
    ops["hist"] = s.histogram("hist/x", ph["x"], family="fam")
    ops["hist_normal"] = s.histogram("normal", ph["normal"])
    ops["hist_wide"] = s.histogram("wide", ph["wide"])
    ops["hist_empty"] = s.histogram("empty", tf.zeros([0]))
    ops["text"] = s.text("note", tf.constant("hello"))
    ops["text_vec"] = s.text("notes", tf.constant(["a", "bc"]))
    ops["image"] = s.image("img", ph["img_f"], max_outputs=2)
    ops["image_pos"] = s.image("pos", ph["img_pos"])
    ops["image_one"] = s.image("one", ph["img_pos"], max_outputs=1)
    ops["image_u8"] = s.image("rgba", ph["img_u8"])
    ops["image_bad"] = s.image("bad", ph["img_bad"])
    ops["merge"] = s.merge([ops["scalar"], ops["hist"], ops["text"]])
    ops["merge_all"] = s.merge_all()
    ops["hist_nan"] = s.histogram("nan", tf.constant([1.0, np.nan]))
    ops["merge_dup"] = s.merge([ops["scalar"], ops["scalar"]], name="dup")
    return ph, ops


@pytest.fixture(scope="module")
def built():
    graph = tf.Graph()
    with graph.as_default():
        ph, ops = _build()
    return graph, ph, ops


def _rows(graph):
    rows = []
    for n in graph.as_graph_def().node:
        tag = None
        if n.op == "Const" and n.attr["dtype"].type == tf.string.as_datatype_enum:
            t = tf.make_ndarray(n.attr["value"].tensor)
            tag = t.tolist() if t.ndim else t.item()
            tag = (
                tag.decode()
                if isinstance(tag, bytes)
                else [v.decode() if isinstance(v, bytes) else v for v in tag]
            )
        rows.append([n.name, n.op, list(n.input), tag])
    return rows


def test_graph_matches_tf(built) -> None:
    graph, _, _ = built
    assert _rows(graph) == GOLDEN["graphs"]
    assert [t.name for t in graph.get_collection("summaries")] == GOLDEN["summaries_collection"]


def _run(built, case):
    graph, ph, ops = built
    with tf.Session(graph=graph) as sess:
        return sess.run(ops[case], {ph[k]: v for k, v in INPUTS.items()})


@pytest.mark.parametrize("case", sorted(GOLDEN["values"]))
def test_serialized_summary_matches_tf(built, case: str) -> None:
    expected = summary_pb2.Summary.FromString(base64.b64decode(GOLDEN["values"][case]))
    ours = summary_pb2.Summary.FromString(_run(built, case))
    for summary in (ours, expected):  # PNG bytes: see test_image_summary_matches_tf
        for value in summary.value:
            if value.HasField("image"):
                assert value.image.encoded_image_string.startswith(b"\x89PNG")
                value.image.ClearField("encoded_image_string")
    assert ours == expected


def _decode_png(data: bytes) -> tuple[int, int, int, list[int]]:
    """Height, width, channels and pixels of an 8-bit, filter-0 PNG (what encode_png writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(
            kind + body
        )
        header, idat = (
            (body, idat) if kind == b"IHDR" else (header, idat + body * (kind == b"IDAT"))
        )
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * channels)
    assert (raw[:, 0] == 0).all() and depth == 8
    return height, width, channels, raw[:, 1:].ravel().tolist()


@pytest.mark.parametrize("case", sorted(GOLDEN["images"]))
def test_image_summary_matches_tf(built, case: str) -> None:
    ours = summary_pb2.Summary.FromString(_run(built, case))
    rows = []
    for v in ours.value:
        h, w, c, pixels = _decode_png(v.image.encoded_image_string)
        assert (h, w, c) == (v.image.height, v.image.width, v.image.colorspace)
        rows.append([v.tag, h, w, c, pixels])
    assert rows == GOLDEN["images"][case]


@pytest.mark.parametrize("case", sorted(GOLDEN["errors"]))
def test_errors_match_tf(built, case: str) -> None:
    kind, message = GOLDEN["errors"][case]
    with pytest.raises(getattr(errors, kind)) as info:
        _run(built, case)
    assert message in str(info.value)


def test_png_encoder_round_trips() -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    assert _decode_png(encode_png(pixels)) == (5, 7, 3, pixels.ravel().tolist())


def test_text_refuses_non_strings() -> None:
    with tf.Graph().as_default(), pytest.raises(ValueError, match="to have dtype string"):
        summary_ops.text("t", tf.constant(1.0))


def test_merge_all_of_nothing_is_none() -> None:
    with tf.Graph().as_default():
        assert summary_ops.merge_all() is None


def _writer_events(built, logdir: Path) -> list[str]:
    graph, ph, ops = built
    feed = {ph[k]: v for k, v in INPUTS.items()}
    writer = FileWriter(str(logdir))
    with tf.Session(graph=graph) as sess:
        writer.add_summary(sess.run(ops["scalar"], feed), 3)
        writer.add_summary(sess.run(ops["text"], feed), 4)
        writer.add_summary(sess.run(ops["text"], feed), 5)
        writer.add_session_log(event_pb2.SessionLog(status=event_pb2.SessionLog.START), 5)
        writer.add_session_log(
            event_pb2.SessionLog(
                status=event_pb2.SessionLog.CHECKPOINT, checkpoint_path="/m/model.ckpt"
            ),
            6,
        )
    writer.close()
    (path,) = logdir.glob("events.out.tfevents.*")
    events = []
    for event in summary_iterator(str(path)):
        assert event.wall_time > 0
        event.ClearField("wall_time")
        events.append(str(event))
    return events


def test_event_file_records_match_tf(built, tmp_path: Path) -> None:
    assert _writer_events(built, tmp_path) == GOLDEN["events"]


def test_writer_with_graph_records_graph_and_meta_graph(tmp_path: Path) -> None:
    graph = tf.Graph()
    with graph.as_default():
        tf.add(tf.placeholder(tf.float32, [None, 2], name="a"), 1.0, name="b")
    writer = FileWriter(str(tmp_path), graph)
    writer.close()
    (path,) = tmp_path.glob("events.out.tfevents.*")
    events = list(summary_iterator(str(path)))
    assert [e.WhichOneof("what") for e in events] == ["file_version", "graph_def", "meta_graph_def"]
    graph_def = tf.GraphDef.FromString(events[1].graph_def)
    assert graph_def == graph.as_graph_def(add_shapes=True)
    meta = tf.MetaGraphDef.FromString(events[2].meta_graph_def)
    assert meta.graph_def == graph_def
    assert [op.name for op in meta.meta_info_def.stripped_op_list.op] == [
        "AddV2",
        "Const",
        "Placeholder",
    ]


def test_corrupt_event_file_is_data_loss(tmp_path: Path) -> None:
    writer = FileWriter(str(tmp_path))
    writer.close()
    (path,) = tmp_path.glob("events.out.tfevents.*")
    data = bytearray(path.read_bytes())
    data[14] ^= 0xFF  # inside the first record's payload: its CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(errors.DataLossError, match=str(path)):
        list(summary_iterator(str(path)))


def test_tensorboard_reads_our_event_file(built, tmp_path: Path) -> None:
    """The tensorboard package's own reader (not ours) sees what we wrote."""
    from tensorboard.backend.event_processing import event_accumulator

    graph, ph, ops = built
    feed = {ph[k]: v for k, v in INPUTS.items()}
    writer = FileWriter(str(tmp_path), graph)
    with tf.Session(graph=graph) as sess:
        for step in (1, 2):
            writer.add_summary(sess.run(ops["merge"], feed), step)
        writer.add_summary(sess.run(ops["image"], feed), 2)
    writer.close()
    acc = event_accumulator.EventAccumulator(
        str(tmp_path), size_guidance={event_accumulator.TENSORS: 0}
    )
    acc.Reload()
    tags = acc.Tags()
    assert tags["scalars"] == ["loss"]
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == [(1, 0.375), (2, 0.375)]
    histo = acc.Histograms("fam/fam/hist/x")[0].histogram_value
    assert (histo.min, histo.max, histo.num, histo.sum) == (-2.5, 3.0, 4.0, 1.5)
    assert tags["images"] == ["img/image/0", "img/image/1"]
    image = acc.Images("img/image/0")[0]
    assert (image.width, image.height) == (4, 3)
    assert _decode_png(image.encoded_image_string)[3] == GOLDEN["images"]["image"][0][4]
    text = acc.Tensors("note")[0].tensor_proto
    assert text.string_val == [b"hello"]
    assert acc.SummaryMetadata("note").plugin_data.plugin_name == "text"
    assert tags["graph"] is True and tags["meta_graph"] is True
    assert {n.name for n in acc.Graph().node} == {n.name for n in graph.as_graph_def().node}
