"""``tf.summary.FileWriter``: event files that TensorBoard reads, and ``summary_iterator``.

An event file is a TFRecord file of ``Event`` protos named
``events.out.tfevents.<seconds, 10 digits>.<hostname><suffix>``; its first record carries
``file_version: "brain.Event:2"``. Writes are synchronous into a buffered file that is
flushed every ``flush_secs`` (checked when an event is added), on ``flush()`` and on
``close()`` (TF writes from a background thread; what lands on disk is the same).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from google.protobuf.message import DecodeError

from stowflow import gfile
from stowflow.errors import DataLossError
from stowflow.graph.core import Graph
from stowflow.proto import event_pb2, graph_pb2, summary_pb2
from stowflow.tfrecord import TFRecordWriter, tf_record_iterator
from stowflow.training.meta_graph import create_meta_graph_def, stripped_op_list

FILE_VERSION = "brain.Event:2"
WRITER_NAME = "tensorflow.core.util.events_writer"


class EventFileWriter:
    """Appends ``Event`` protos to a new event file in ``logdir``."""

    def __init__(self, logdir: str, flush_secs: float = 120, filename_suffix: str = "") -> None:
        self._logdir = os.fspath(logdir)
        if not gfile.IsDirectory(self._logdir):
            gfile.MakeDirs(self._logdir)
        self._flush_secs = flush_secs
        self._suffix = filename_suffix or ""
        self._lock = threading.Lock()
        self._writer: TFRecordWriter | None = None
        self._open()

    def _open(self) -> None:
        seconds = int(time.time())
        self.path = os.path.join(
            self._logdir,
            f"events.out.tfevents.{seconds:010d}.{socket.gethostname()}{self._suffix}",
        )
        self._writer = TFRecordWriter(self.path)
        first = event_pb2.Event(wall_time=float(seconds), file_version=FILE_VERSION)
        first.source_metadata.writer = WRITER_NAME
        self._writer.write(first.SerializeToString())
        self._writer.flush()
        self._last_flush = time.monotonic()

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self._logdir

    def add_event(self, event: Any) -> None:
        """Appends ``event``; ignored after ``close()`` until ``reopen()``, as TF."""
        with self._lock:
            if self._writer is None:
                return
            self._writer.write(event.SerializeToString())
            if time.monotonic() - self._last_flush >= self._flush_secs:
                self._writer.flush()
                self._last_flush = time.monotonic()

    def flush(self) -> None:
        """Writes everything added so far to disk."""
        with self._lock:
            if self._writer is not None:
                self._writer.flush()
                self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flushes and closes the file; later events are dropped until ``reopen()``."""
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def reopen(self) -> None:
        """Starts a new event file after ``close()`` (no-op while open)."""
        with self._lock:
            if self._writer is None:
                self._open()


class FileWriter:
    """``tf.summary.FileWriter`` (TF1): summaries, graphs and session logs to an event file.

    Args:
        logdir: directory for the event file (created if missing).
        graph: a Graph to record (its GraphDef with shapes and a MetaGraphDef), optional.
        max_queue: accepted for compatibility (writes are not queued).
        flush_secs: how often buffered events reach the disk.
        graph_def: deprecated spelling of ``graph`` as a GraphDef.
        filename_suffix: appended to the event file's name.
        session: unsupported (TF's summary-op writer); must be None.

    Example:
        >>> # writer = FileWriter("/tmp/logs", sess.graph); writer.add_summary(s, step)
    """

    def __init__(
        self,
        logdir: str,
        graph: Any = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        graph_def: Any = None,
        filename_suffix: str | None = None,
        session: Any = None,
    ) -> None:
        if session is not None:
            raise NotImplementedError("FileWriter(session=...) is not supported by stowflow")
        self.event_writer = EventFileWriter(logdir, flush_secs, filename_suffix or "")
        self._seen_summary_tags: set[str] = set()
        self._seen_run_metadata_tags: set[str] = set()
        if graph is not None or graph_def is not None:
            self.add_graph(graph=graph, graph_def=graph_def)
            self.add_meta_graph(_meta_graph_of(graph if graph is not None else graph_def))

    def get_logdir(self) -> str:
        """The directory the events go to."""
        return self.event_writer.get_logdir()

    def _add_event(self, event: Any, step: Any) -> None:
        event.wall_time = time.time()
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_event(self, event: Any) -> None:
        """Writes an ``Event`` proto as given."""
        self.event_writer.add_event(event)

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Writes a ``Summary`` (proto or serialized bytes) at ``global_step``.

        A value's plugin metadata is kept only the first time its tag is written, as TF.
        """
        if isinstance(summary, bytes | bytearray):
            parsed = summary_pb2.Summary()
            parsed.ParseFromString(bytes(summary))
            summary = parsed
        for value in summary.value:
            if not value.HasField("metadata"):
                continue
            if value.tag in self._seen_summary_tags:
                value.ClearField("metadata")
            else:
                self._seen_summary_tags.add(value.tag)
        self._add_event(event_pb2.Event(summary=summary), global_step)

    def add_session_log(self, session_log: Any, global_step: Any = None) -> None:
        """Writes a ``SessionLog`` (START, STOP, CHECKPOINT) at ``global_step``."""
        self._add_event(event_pb2.Event(session_log=session_log), global_step)

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Writes a Graph's GraphDef (with ``_output_shapes``) for TensorBoard's graph view.

        Raises:
            ValueError: if both ``graph`` and ``graph_def`` are given.
            TypeError: for anything but a Graph or GraphDef (TF's messages).
        """
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        source = graph if graph is not None else graph_def
        if isinstance(source, Graph):
            true_graph_def = source.as_graph_def(add_shapes=True)
        elif isinstance(source, graph_pb2.GraphDef):
            true_graph_def = source
        else:
            raise TypeError(
                "The passed graph must be an instance of `Graph` or the deprecated `GraphDef`"
            )
        self._add_event(event_pb2.Event(graph_def=true_graph_def.SerializeToString()), global_step)

    def add_meta_graph(self, meta_graph_def: Any, global_step: Any = None) -> None:
        """Writes a ``MetaGraphDef``.

        Raises:
            TypeError: for anything but a MetaGraphDef.
        """
        if not hasattr(meta_graph_def, "graph_def"):
            raise TypeError(
                f"meta_graph_def must be type MetaGraphDef, saw type: {type(meta_graph_def)}"
            )
        event = event_pb2.Event(meta_graph_def=meta_graph_def.SerializeToString())
        self._add_event(event, global_step)

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        """Writes a ``RunMetadata`` under ``tag`` (each tag once).

        Raises:
            ValueError: for a tag used before (TF's message).
        """
        if tag in self._seen_run_metadata_tags:
            raise ValueError("The provided tag was already used for this event type")
        self._seen_run_metadata_tags.add(tag)
        tagged = event_pb2.TaggedRunMetadata(tag=tag, run_metadata=run_metadata.SerializeToString())
        self._add_event(event_pb2.Event(tagged_run_metadata=tagged), global_step)

    def flush(self) -> None:
        """Writes buffered events to disk."""
        self.event_writer.flush()

    def close(self) -> None:
        """Flushes and closes the event file."""
        self.event_writer.close()

    def reopen(self) -> None:
        """Opens a new event file in the same directory after ``close()``."""
        self.event_writer.reopen()

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _meta_graph_of(source: Any) -> Any:
    """The MetaGraphDef TF's FileWriter records beside a graph (collections of the graph)."""
    if isinstance(source, Graph):
        return create_meta_graph_def(source)
    meta = create_meta_graph_def(Graph(), collection_list=[])
    meta.graph_def.CopyFrom(source)
    meta.meta_info_def.stripped_op_list.CopyFrom(stripped_op_list(source))
    return meta


class FileWriterCache:
    """``tf.summary.FileWriterCache``: one FileWriter per log directory."""

    _cache: dict[str, FileWriter] = {}
    _lock = threading.Lock()

    @staticmethod
    def get(logdir: str) -> FileWriter:
        """The cached FileWriter for ``logdir`` (made with the default graph on first use)."""
        from stowflow.graph.core import get_default_graph

        with FileWriterCache._lock:
            writer = FileWriterCache._cache.get(logdir)
            if writer is None:
                writer = FileWriter(logdir, graph=get_default_graph())
                FileWriterCache._cache[logdir] = writer
            return writer

    @staticmethod
    def clear() -> None:
        """Closes and forgets every cached FileWriter."""
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache.clear()


def summary_iterator(path: str) -> Iterator[Any]:
    """Yields the ``Event`` protos of an event file (``tf.compat.v1.train.summary_iterator``)."""
    for number, record in enumerate(tf_record_iterator(path)):
        event = event_pb2.Event()
        try:
            event.ParseFromString(record)
        except DecodeError:
            raise DataLossError(
                None, None, f"{path}: record {number} is not an Event proto"
            ) from None
        yield event
