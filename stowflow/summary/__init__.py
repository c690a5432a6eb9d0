"""TF1 summaries: summary ops, ``FileWriter`` event files and ``summary_iterator``."""

from stowflow.summary.ops import (
    histogram,
    image,
    merge,
    merge_all,
    scalar,
    tensor_summary,
    text,
)
from stowflow.summary.writer import FileWriter, FileWriterCache, summary_iterator

__all__ = [
    "FileWriter",
    "FileWriterCache",
    "histogram",
    "image",
    "merge",
    "merge_all",
    "scalar",
    "summary_iterator",
    "tensor_summary",
    "text",
]
