"""Debug wrapper sessions (tfdbg's): record runs, dump them, or open the analyzer on them.

The wrapped Session must be a stowflow Session: recording installs a
``Session._op_observer`` for the duration of one ``run()`` and removes it afterwards, so
runs that are not debugged cost nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from stowflow import errors
from stowflow.debug import watches
from stowflow.debug.analyzer import CommandError, CommandParser, DebugAnalyzer, tokenize
from stowflow.debug.dump import write_dump
from stowflow.debug.filters import FilterRegistry, TensorFilter, first_passing
from stowflow.debug.records import DEFAULT_MAX_BYTES, RunRecorder, TensorRecord, WatchPredicate
from stowflow.debug.ui import CommandReader, install_completer


@dataclass
class RecordedRun:
    """The outcome of one recorded run."""

    result: Any
    records: list[TensorRecord]
    error: errors.OpError | None
    recorder: RunRecorder
    seconds: float
    dump_dir: str | None = None


def element_names(fetches: Any) -> list[str]:
    """The graph-element names in a fetch (or feed) structure, for display."""
    if fetches is None:
        return []
    if isinstance(fetches, dict):
        return [n for key in fetches for n in element_names(key)]
    if isinstance(fetches, (list, tuple, set, frozenset)):
        return [n for item in fetches for n in element_names(item)]
    name = getattr(fetches, "name", None)
    return [name if isinstance(name, str) else str(fetches)]


def record_run(
    session: Any,
    fetches: Any,
    feed_dict: Any = None,
    options: Any = None,
    run_metadata: Any = None,
    *,
    dump_dir: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    watch: WatchPredicate | None = None,
    run_call: int = 1,
) -> RecordedRun:
    """Runs ``session.run(...)`` once, recording every executed node's outputs.

    Args:
        dump_dir: also write the run there as ``.npy`` files plus ``index.json``
            (values past ``max_bytes`` spill there as well).
        max_bytes: in-memory budget for recorded values.
        watch: record only the outputs this predicate admits.

    Returns:
        A RecordedRun; an ``OpError`` raised by the run is kept in ``.error`` (the
        records up to the failing node are still there), not raised. Without
        ``dump_dir``, values past ``max_bytes`` live in a temporary directory until
        ``.recorder.cleanup()`` (or until the recorder is garbage-collected).

    Raises:
        TypeError: if ``session`` is not a stowflow Session.
    """
    if not hasattr(session, "_op_observer"):
        raise TypeError(f"tfdbg needs a stowflow Session to wrap, got {type(session).__name__}")
    option_watch, option_dirs = watches.from_run_options(options)
    watch = watches.both(watch, option_watch)
    recorder = RunRecorder(session, max_bytes, spill_dir=dump_dir, watch=watch)
    previous = session._op_observer
    session._op_observer = recorder
    started = time.perf_counter()
    result: Any = None
    error: errors.OpError | None = None
    try:
        result = session.run(fetches, feed_dict, options, run_metadata)
    except errors.OpError as e:
        error = e
    finally:
        session._op_observer = previous
    seconds = time.perf_counter() - started
    run_info = {
        "run_call": run_call,
        "fetches": element_names(fetches),
        "feeds": element_names(feed_dict),
        "error": error.message if error is not None else None,
    }
    for directory in [d for d in [dump_dir, *option_dirs] if d]:
        write_dump(directory, recorder.records, run_info)
    return RecordedRun(result, recorder.records, error, recorder, seconds, dump_dir)


class BaseDebugWrapperSession:
    """Delegates everything to the wrapped session except ``run``, which subclasses debug.

    Args:
        sess: the stowflow Session to wrap.
        max_bytes: in-memory budget for one run's recorded values.

    Raises:
        TypeError: if ``sess`` is not a stowflow Session.
    """

    def __init__(self, sess: Any, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if not hasattr(sess, "_op_observer") or not callable(getattr(sess, "run", None)):
            raise TypeError(
                "Expected a stowflow Session to wrap (tf.Session / tf.compat.v1.Session), "
                f"got {type(sess).__name__}"
            )
        self._sess = sess
        self._max_bytes = max_bytes
        self._run_call_count = 0
        self._filters = FilterRegistry()

    @property
    def session(self) -> Any:
        """The wrapped session."""
        return self._sess

    @property
    def graph(self) -> Any:
        """The wrapped session's graph."""
        return self._sess.graph

    @property
    def graph_def(self) -> Any:
        """The wrapped session's GraphDef."""
        return self._sess.graph_def

    @property
    def sess_str(self) -> str:
        """The wrapped session's target."""
        return str(self._sess.sess_str)

    def add_tensor_filter(self, filter_name: str, tensor_filter: TensorFilter) -> None:
        """Registers a filter ``fn(datum, tensor) -> bool`` for ``run -f`` / ``lt -f``."""
        self._filters.add(filter_name, tensor_filter)

    def run(
        self, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None
    ) -> Any:
        """Runs through the wrapped session (subclasses add the debugging)."""
        self._run_call_count += 1
        return self._sess.run(fetches, feed_dict, options, run_metadata)

    def as_default(self) -> Any:
        """The wrapped session's ``as_default`` (``Tensor.eval()`` is not debugged)."""
        return self._sess.as_default()

    def close(self) -> None:
        """Closes the wrapped session."""
        self._sess.close()

    def __enter__(self) -> BaseDebugWrapperSession:
        self._sess.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._sess.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_sess":
            raise AttributeError(name)
        return getattr(self._sess, name)


class DumpingDebugWrapperSession(BaseDebugWrapperSession):
    """Dumps every run to ``session_root/run_<microseconds>_<call>/`` (no UI).

    Args:
        sess: the Session to wrap.
        session_root: a directory that does not exist yet or is empty.
        watch_fn: optional ``fn(fetches, feeds) -> WatchOptions`` choosing what to record.
        thread_name_filter, pass_through_operrors, log_usage: accepted for compatibility.

    Raises:
        ValueError: if ``session_root`` is a file or a non-empty directory (TF's messages).
    """

    def __init__(
        self,
        sess: Any,
        session_root: str,
        watch_fn: Callable[[Any, Any], Any] | None = None,
        thread_name_filter: Any = None,
        pass_through_operrors: Any = None,
        log_usage: bool = True,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        del thread_name_filter, pass_through_operrors, log_usage
        super().__init__(sess, max_bytes)
        if os.path.exists(session_root):
            if not os.path.isdir(session_root):
                raise ValueError(f"session_root path points to a file: {session_root}")
            if os.listdir(session_root):
                raise ValueError(
                    f"session_root path points to a non-empty directory: {session_root}"
                )
        self._session_root = session_root
        self._watch_fn = watch_fn

    def run(
        self, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None
    ) -> Any:
        """Runs and dumps; an error of the run is raised after its dump is written."""
        self._run_call_count += 1
        watch = watches.predicate(self._watch_fn(fetches, feed_dict)) if self._watch_fn else None
        dump_dir = os.path.join(
            self._session_root, f"run_{int(time.time() * 1e6)}_{self._run_call_count}"
        )
        run = record_run(
            self._sess, fetches, feed_dict, options, run_metadata,
            dump_dir=dump_dir, max_bytes=self._max_bytes, watch=watch,
            run_call=self._run_call_count,
        )  # fmt: skip
        if run.error is not None:
            raise run.error
        return run.result


@dataclass
class RunCommand:
    """What to do at the next ``run()`` call(s), as chosen at the prompt."""

    debug: bool = True
    run_through: int = 0
    """Runs to execute without debugging before the debugged one (``run -t N``: N - 1)."""
    tensor_filter: str | None = None
    watch: watches.WatchOptions = field(default_factory=watches.WatchOptions)
    exit: bool = False
    detach: bool = False


def _run_parser() -> argparse.ArgumentParser:
    p = CommandParser(prog="run", add_help=False)
    p.add_argument("-n", "--no_debug", action="store_true", help="run without debugging")
    p.add_argument("-t", "--times", type=int, default=1, help="run N times, debug the last")
    p.add_argument("-f", "--till_filter_pass", default="", help="run until a tensor passes")
    p.add_argument("--node_name_filter", default=None, help="record only matching nodes")
    p.add_argument("--op_type_filter", default=None, help="record only matching op types")
    p.add_argument("--tensor_dtype_filter", default=None, help="record only matching dtypes")
    return p


_RUN_HELP = """\
  run:
      Execute the run() call with debug tensor-watching
  run -n:
      Execute the run() call without debug tensor-watching
  run -t <T>:
      Execute run() calls (T - 1) times without debugging, then execute run() once more
      with debugging and drop back to the CLI
  run -f <filter_name>:
      Keep executing run() calls until a dumped tensor passes a given, registered filter
      (conditional breakpoint mode)
  run --node_name_filter / --op_type_filter / --tensor_dtype_filter <regex>:
      Record only the matching tensors
  exit:
      Leave the debugger (the program exits with status 1)"""


class LocalCLIDebugWrapperSession(BaseDebugWrapperSession):
    """Opens tfdbg's command-line analyzer before the first run and after debugged runs.

    Commands are read from the terminal (readline history and completion) or, when stdin
    is not a terminal, line by line from stdin. At end of input the program continues
    without debugging.

    Args:
        sess: the Session to wrap.
        dump_root: if set, every debugged run is also dumped to
            ``dump_root/run_<microseconds>_<call>/``.
        log_usage, ui_type, thread_name_filter, config_file_path: accepted for compatibility.
        stdin / stdout: streams for the command line (default: the process's).
        max_bytes: in-memory budget for one run's values (the rest spills to disk).
        dump_dir: if set, every debugged run is dumped to exactly this directory.
    """

    def __init__(
        self,
        sess: Any,
        dump_root: str | None = None,
        log_usage: bool = True,
        ui_type: str = "readline",
        thread_name_filter: Any = None,
        config_file_path: Any = None,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        dump_dir: str | None = None,
    ) -> None:
        del log_usage, ui_type, thread_name_filter, config_file_path
        super().__init__(sess, max_bytes)
        self._dump_root = dump_root
        self._dump_dir = dump_dir
        self._reader = CommandReader(stdin, stdout)
        self._pending: RunCommand | None = None
        self._detached = False
        self._last: RecordedRun | None = None
        self._analyzer: DebugAnalyzer | None = None
        install_completer(self._reader)
        self._reader.set_completions(self._completion_words)

    @property
    def last_run(self) -> RecordedRun | None:
        """The most recent debugged run (records, error, timing)."""
        return self._last

    def run(
        self, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None
    ) -> Any:
        """Runs as chosen at the prompt: debugged, not debugged, or until a filter passes."""
        self._run_call_count += 1
        if self._detached:
            return self._sess.run(fetches, feed_dict, options, run_metadata)
        if self._pending is None:
            self._pending = self._prompt(self._run_start_screen(fetches, feed_dict))
        command = self._pending
        if command.run_through > 0:
            command.run_through -= 1
            return self._sess.run(fetches, feed_dict, options, run_metadata)
        if not command.debug:
            self._pending = None  # ask again at the next run() call
            return self._sess.run(fetches, feed_dict, options, run_metadata)
        return self._debug_run(command, fetches, feed_dict, options, run_metadata)

    def close(self) -> None:
        """Closes the wrapped session and drops recorded values."""
        self._release()
        super().close()

    def __exit__(self, *exc: Any) -> None:
        self._release()
        super().__exit__(*exc)

    def _debug_run(
        self, command: RunCommand, fetches: Any, feed_dict: Any, options: Any, metadata: Any
    ) -> Any:
        self._release()
        dump_dir = self._dump_dir
        if self._dump_root:
            dump_dir = os.path.join(
                self._dump_root, f"run_{int(time.time() * 1e6)}_{self._run_call_count}"
            )
        run = record_run(
            self._sess, fetches, feed_dict, options, metadata,
            dump_dir=dump_dir, max_bytes=self._max_bytes,
            watch=watches.predicate(command.watch), run_call=self._run_call_count,
        )  # fmt: skip
        self._last = run
        analyzer = DebugAnalyzer(self._sess.graph, run.records, self._filters)
        self._analyzer = analyzer
        first = None
        if command.tensor_filter:
            first = first_passing(run.records, self._filters.get(command.tensor_filter))
            if first is None and run.error is None:
                return run.result  # keep running until a tensor passes the filter
        self._pending = self._prompt(
            self._run_end_screen(analyzer, run, command.tensor_filter, first)
        )
        if run.error is not None:
            raise run.error
        return run.result

    def _release(self) -> None:
        if self._last is not None:
            self._last.recorder.cleanup()

    # -- prompt -----------------------------------------------------------------------------
    def _prompt(self, screen: str) -> RunCommand:
        """Shows ``screen`` and reads commands until one of them continues the program."""
        self._reader.write(screen)
        while True:
            line = self._reader.read()
            if line is None:
                self._detached = True
                self._reader.write("tfdbg: end of input; continuing without debugging.")
                return RunCommand(debug=False, detach=True)
            try:
                tokens = tokenize(line)
            except CommandError as e:
                self._reader.write(str(e))
                continue
            if not tokens:
                continue
            if tokens[0] in ("run", "r"):
                try:
                    return self._run_command(tokens[1:])
                except CommandError as e:
                    self._reader.write(str(e))
                    continue
            if tokens[0] in ("exit", "quit"):
                self._exit()
            self._reader.write(self._other_command(tokens[0], line))

    def _other_command(self, name: str, line: str) -> str:
        if name in ("help", "h"):
            run_help = "run (r): continue the program; exit (quit): leave\n" + _RUN_HELP
            topic = line.split()[1:]
            if topic and topic[0] in ("run", "r", "exit", "quit"):
                return run_help
            if self._analyzer is None:
                return run_help
            text = self._analyzer.run_command(line)
            return text if topic else text + "\n" + run_help
        if self._analyzer is None:
            return f'ERROR: "{name}" needs a debugged run: type "run" first (or "help").'
        return self._analyzer.run_command(line)

    def _run_command(self, args: list[str]) -> RunCommand:
        parsed = _run_parser().parse_args(args)
        if parsed.times < 1:
            raise CommandError("ERROR: run -t needs a positive number of runs")
        if parsed.till_filter_pass:
            try:
                self._filters.get(parsed.till_filter_pass)
            except ValueError as e:
                raise CommandError(f"ERROR: {e}") from None
        watch = watches.WatchOptions(
            None, parsed.node_name_filter, parsed.op_type_filter, parsed.tensor_dtype_filter
        )
        try:
            watches.predicate(watch)
        except ValueError as e:
            raise CommandError(f"ERROR: {e}") from None
        return RunCommand(
            debug=not parsed.no_debug,
            run_through=parsed.times - 1,
            tensor_filter=parsed.till_filter_pass or None,
            watch=watch,
        )

    def _exit(self) -> None:
        self._reader.write("Note: user exited from debugger CLI: Calling sys.exit(1).")
        sys.exit(1)

    def _completion_words(self) -> list[str]:
        words = ["run", "exit", "help"]
        if self._analyzer is not None:
            words += self._analyzer.command_names() + self._analyzer.completion_words()
        return words

    # -- screens ----------------------------------------------------------------------------
    def _run_start_screen(self, fetches: Any, feed_dict: Any) -> str:
        rule = "=" * 38
        feeds = element_names(feed_dict)
        lines = [
            rule,
            f"Session.run() call #{self._run_call_count}:",
            "",
            "Fetch(es):",
            *(f"  {n}" for n in element_names(fetches)),
            "",
            "Feed dict:",
            *((f"  {n}" for n in feeds) if feeds else ["  (Empty)"]),
            rule,
            "",
            "Select one of the following commands to proceed ---->",
            _RUN_HELP,
            "    Registered filter(s):",
            *(f"        * {name}" for name in self._filters.names()),
            "",
            'For more details, see "help".',
        ]
        return "\n".join(lines)

    def _run_end_screen(
        self,
        analyzer: DebugAnalyzer,
        run: RecordedRun,
        tensor_filter: str | None,
        first: TensorRecord | None,
    ) -> str:
        nodes = len({r.node_name for r in run.records})
        head = (
            f"run-end: Session.run() call #{self._run_call_count} recorded "
            f"{len(run.records)} tensor(s) of {nodes} node(s) in {run.seconds * 1e3:.3f} ms"
        )
        lines = [head]
        spilled = run.recorder.spilled
        if spilled:
            lines.append(f"  {spilled} value(s) past the memory cap spilled to disk")
        if run.dump_dir:
            lines.append(f"  dumped to {run.dump_dir}")
        if run.error is not None:
            first_line = run.error.message.strip().splitlines()[-1:] or [""]
            lines.append(f"--- The run raised {type(run.error).__name__}: {first_line[0]}")
        if tensor_filter and first is not None:
            lines.append(
                f'First tensor passing filter "{tensor_filter}": {first.tensor_name} '
                f"(op {first.op_type}; pt {first.tensor_name} / ni {first.node_name})"
            )
            lines += ["", analyzer.run_command(f"lt -f {tensor_filter}")]
        else:
            lines += ["", analyzer.run_command("lt")]
        return "\n".join(lines)


class OneRunDumpingSession(BaseDebugWrapperSession):
    """Dumps each run into exactly ``dump_dir`` (the last run wins); for one-run tools."""

    def __init__(self, sess: Any, dump_dir: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__(sess, max_bytes)
        if os.path.exists(dump_dir) and not os.path.isdir(dump_dir):
            raise ValueError(f"dump directory path points to a file: {dump_dir}")
        self._dump_dir = dump_dir

    def run(
        self, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None
    ) -> Any:
        """Runs, dumps, then raises the run's error if it had one."""
        self._run_call_count += 1
        run = record_run(
            self._sess, fetches, feed_dict, options, run_metadata,
            dump_dir=self._dump_dir, max_bytes=self._max_bytes, run_call=self._run_call_count,
        )  # fmt: skip
        if run.error is not None:
            raise run.error
        return run.result


def cli_session(session: Any, tf_debug: bool, dump_dir: str | None) -> BaseDebugWrapperSession:
    """The wrapper ``stowflow run --tf_debug [--tf_debug_dump_dir DIR]`` runs through.

    With ``tf_debug`` the analyzer opens (and the run is also dumped to ``dump_dir`` if
    given); with ``dump_dir`` alone the run is only dumped there.
    """
    if tf_debug:
        return LocalCLIDebugWrapperSession(session, dump_dir=dump_dir)
    if dump_dir is None:
        raise ValueError("cli_session needs tf_debug or a dump directory")
    return OneRunDumpingSession(session, dump_dir)
