"""Run a TF1-style script under the REAL TensorFlow (2.21) in tf.compat.v1 mode.

Usage (needs the TensorFlow venv, NOT stowflow):

    "$(scripts/tf_venv)" tests/seeds/tf_runner.py SCRIPT [ARGS...]

What it does, in order:

1. Sets TF_CPP_MIN_LOG_LEVEL=3 (silences most C++ logging) before TF loads.
2. Imports the real ``tensorflow`` and calls
   ``tf.compat.v1.disable_v2_behavior()``.  We need the full
   ``disable_v2_behavior`` and not only ``disable_eager_execution``: the seed
   programs rely on TF1 *ref* variables (``dtype=float32_ref`` in reprs,
   ``Attempting to use uninitialized value v2`` errors), and
   ``disable_v2_behavior`` is what also calls ``disable_resource_variables``
   (plus TF1 TensorShape/control-flow/tensor-equality behaviour).
3. Sets the ``tensorflow`` Python logger to INFO.  A plain TF script would
   only show WARNING and above; the seed documents show
   ``INFO:tensorflow:Restoring parameters from ...`` lines because they were
   produced in Jupyter (TF turns on INFO in interactive shells).  Output
   still goes to stderr in TF's ``LEVEL:tensorflow:message`` format.
4. Installs ``sys.modules['tensorflow'] = tf.compat.v1`` so that
   ``import tensorflow as tf`` inside the script yields the compat.v1
   namespace.  ``from tensorflow.python... import x`` keeps working because
   the real ``tensorflow.python`` submodules are already in ``sys.modules``
   under their full names.
5. Runs SCRIPT with ``runpy.run_path(..., run_name='__main__')`` and
   ``sys.argv = [SCRIPT, ARGS...]``, with the script's directory first on
   ``sys.path`` (as ``python SCRIPT`` would do).

If the script raises an uncaught exception, the traceback is printed to
stderr as Python would, the process exits with status 1, and - if the
environment variable SEED_EXC_FILE is set - a JSON record
``{"type": <exception class name>, "message": str(exc)}`` is written to
that file (capture.py uses it).

The runner's own call to ``disable_v2_behavior`` is wrapped in TF's
``deprecation.silence()`` so that its deprecation warning
(``disable_resource_variables ... is deprecated``) - an artefact of the
runner, not of the seed program - is not printed.
"""
import json
import os
import runpy
import sys
import traceback


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: tf_runner.py SCRIPT [ARGS...]\n")
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    import tensorflow as real_tf  # noqa: E402  (after the env var on purpose)
    from tensorflow.python.util import deprecation

    v1 = real_tf.compat.v1
    with deprecation.silence():
        v1.disable_v2_behavior()
    v1.logging.set_verbosity(v1.logging.INFO)
    sys.modules["tensorflow"] = v1

    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - mimic the interpreter
        traceback.print_exc()
        sys.stderr.flush()
        exc_file = os.environ.get("SEED_EXC_FILE")
        if exc_file:
            with open(exc_file, "w", encoding="utf-8") as f:
                json.dump({"type": type(exc).__name__, "message": str(exc)}, f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
