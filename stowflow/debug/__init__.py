"""tfdbg for stowflow: record, inspect, dump and diff the intermediate tensors of a run.

``from tensorflow.python import debug as tf_debug`` resolves here under
``python -m stowflow.tf1``::

    sess = tf_debug.LocalCLIDebugWrapperSession(tf.Session())
    sess.run(y, feed_dict={x: data})       # opens the analyzer: run, lt, pt, ni, li, lo ...

``DumpingDebugWrapperSession`` writes each run as ``.npy`` files plus a JSON index
(:mod:`stowflow.debug.dump`); ``stowflow debug-diff A B`` finds the first tensor that
differs between two dumps (:mod:`stowflow.debug.diff`).
"""

from stowflow.debug.analyzer import DebugAnalyzer
from stowflow.debug.dump import read_dump, write_dump
from stowflow.debug.filters import has_inf_or_nan
from stowflow.debug.records import DEFAULT_MAX_BYTES, RunRecorder, TensorRecord
from stowflow.debug.watches import (
    DebugOptions,
    DebugTensorWatch,
    WatchOptions,
    add_debug_tensor_watch,
    watch_graph,
)
from stowflow.debug.wrappers import (
    BaseDebugWrapperSession,
    DumpingDebugWrapperSession,
    LocalCLIDebugWrapperSession,
    OneRunDumpingSession,
    RecordedRun,
    cli_session,
    record_run,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "BaseDebugWrapperSession",
    "DebugAnalyzer",
    "DebugOptions",
    "DebugTensorWatch",
    "DumpingDebugWrapperSession",
    "LocalCLIDebugWrapperSession",
    "OneRunDumpingSession",
    "RecordedRun",
    "RunRecorder",
    "TensorRecord",
    "WatchOptions",
    "add_debug_tensor_watch",
    "cli_session",
    "has_inf_or_nan",
    "read_dump",
    "record_run",
    "watch_graph",
    "write_dump",
]
