"""The command line: reads commands from a terminal (readline) or, when stdin is not a
terminal, line by line from stdin, so a debugging session can be scripted."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

PROMPT = "tfdbg> "
HISTORY_FILE = os.path.join("~", ".stowflow_tfdbg_history")


class CommandReader:
    """Reads command lines; interactive terminals get history and tab completion.

    Args:
        stdin / stdout: streams (default: the process's).
        interactive: force the mode (default: both streams are terminals).
    """

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        if interactive is None:
            interactive = _isatty(self.stdin) and _isatty(self.stdout)
        self.interactive = interactive
        self._words: Callable[[], list[str]] = list
        self._readline: Any = _load_readline() if interactive else None
        self._matches: list[str] = []

    def write(self, text: str) -> None:
        """Prints ``text`` plus a newline."""
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def set_completions(self, words: Callable[[], list[str]]) -> None:
        """Where tab completion finds its words (commands, tensor and node names)."""
        self._words = words

    def read(self, prompt: str = PROMPT) -> str | None:
        """The next command line, or None at end of input."""
        if self._readline is not None:
            try:
                line = input(prompt)
            except EOFError:
                self.stdout.write("\n")
                return None
            self._save_history()
            return line.strip()
        raw = self.stdin.readline()
        if not raw:
            return None
        line = raw.strip()
        self.write(prompt + line)  # echo, so a scripted transcript reads like a session
        return line

    def complete(self, text: str, state: int) -> str | None:
        """readline completer: the ``state``-th word starting with ``text``."""
        if state == 0:
            self._matches = sorted({w for w in self._words() if w.startswith(text)})
        return self._matches[state] if state < len(self._matches) else None

    def _save_history(self) -> None:
        try:
            self._readline.append_history_file(1, os.path.expanduser(HISTORY_FILE))
        except (OSError, AttributeError):
            pass  # history is a convenience; an unwritable home must not stop debugging


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _load_readline() -> Any:
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline: plain input() still works
        return None
    path = os.path.expanduser(HISTORY_FILE)
    try:
        if os.path.exists(path):
            readline.read_history_file(path)
        else:
            open(path, "a").close()
    except OSError:
        pass
    readline.set_completer_delims(" \t\n")
    readline.parse_and_bind("tab: complete")
    return readline


def install_completer(reader: CommandReader) -> None:
    """Routes readline's tab completion to ``reader`` (interactive mode only)."""
    if reader._readline is not None:
        reader._readline.set_completer(reader.complete)
