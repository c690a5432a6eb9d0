"""Regenerate the golden ``*.expected`` files of every seed scenario.

NEEDS THE REAL TENSORFLOW (2.21): each script is run as
``<TF python> tests/seeds/tf_runner.py``, where the TF python is the one the
test command uses (``scripts/tf_venv`` prints it, setting the venv up on first
use). Override the interpreter with ``--python`` or the TF_PYTHON (or, as
for the tests, STOWFLOW_TF_PYTHON) environment variable.
stowflow is not involved at all.  Run:

    python tests/seeds/capture.py [--python PY] [--check] [SCENARIO ...]

``--check`` compares against the existing .expected files instead of
writing them (exit status 1 on any difference).

Protocol (the stowflow-side test should follow the same one):

* Every directory ``tests/seeds/<scenario>/`` (name starts with ``seed``)
  is one scenario.  Its scripts ``NN_<name>.py`` run in sorted order, each
  as its own process, all in ONE fresh temporary working directory per
  scenario.  Before running, a script is copied into that working
  directory and run from there (cwd = working dir), so both relative paths
  and ``os.path.dirname(os.path.realpath(__file__))`` land in it.
* The working directory is ``os.path.realpath(tempfile.mkdtemp())``.
  Every occurrence of it in stdout/stderr is replaced by ``<WORKDIR>``.
* stdout is recorded verbatim (after the <WORKDIR> substitution).
* stderr is split into log records (a record starts with a
  ``LEVEL:logger:`` line, a C++/glog line, a Python-warnings line, or
  ``Traceback (most recent call last):``; other lines continue the previous
  record).  Records that are environment noise are dropped (see NOISE
  below); the remaining lines are ``stderr_lines``.  Deprecation warnings
  raised from the *seed script itself* (``WARNING:tensorflow:From
  <WORKDIR>/NN_x.py:LINE: ...``) are kept; those pointing into TensorFlow's
  own files (or tf_runner.py) are dropped.
  Deprecation warnings triggered by the script but reported from inside
  TensorFlow (e.g. ``initialize_all_variables``, whose warning TF 2.21
  attributes to ``.../tensorflow/python/util/tf_should_use.py:288``) are
  kept, with the path rewritten: ``WARNING:tensorflow:From <TFINTERNAL>:
  initialize_all_variables (from ...) is deprecated ...``.
* An uncaught exception's traceback (everything from the first
  ``Traceback (most recent call last):`` line on, chained tracebacks
  included) is removed from stderr_lines and recorded as
  ``"exception": {"type": ClassName, "message": first line of str(exc),
  "message_lines": [...]}``; otherwise ``"exception": null``.
  ``message_lines`` (informative) are the lines of str(exc) before any
  ``Original stack trace`` section, minus stack-frame lines (lines
  starting with two spaces).
* ``files`` lists the files present in the working directory after the
  script ran (relative paths, sorted, excluding the copied ``NN_*.py``
  scripts); informative, for checking what got written.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "tf_runner.py")
REPO = os.path.dirname(os.path.dirname(HERE))


def default_python():
    """TF_PYTHON or STOWFLOW_TF_PYTHON, else the test command's oracle (scripts/tf_venv)."""
    for var in ("TF_PYTHON", "STOWFLOW_TF_PYTHON"):
        if os.environ.get(var):
            return os.environ[var]
    tf_venv = os.path.join(REPO, "scripts", "tf_venv")
    return subprocess.run([tf_venv], check=True, capture_output=True, text=True).stdout.strip()

RECORD_START = [
    re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL|FATAL):[\w.]+:"),  # python logging BASIC_FORMAT
    re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\] "),  # absl/glog C++ log
    re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] "),  # old TF C++ log format
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\)"),
    re.compile(r"^\S.*\.py:\d+: \w*Warning: "),  # warnings.showwarning
    re.compile(r"^Traceback \(most recent call last\):"),
]

# A record is noise if its first line matches one of these.
NOISE = [
    re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\] "),
    re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] "),
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\)"),
    # Python warnings raised from files outside the working dir
    re.compile(r"^(?!<WORKDIR>/)\S.*\.py:\d+: \w*Warning: "),
]
# ... or if its first line contains one of these anywhere.
NOISE_ANYWHERE = re.compile(r"oneDNN|cuda|CUDA|cuDNN|cuFFT|cuBLAS|TF-TRT|rebuild TensorFlow"
                            r"|cpu_feature_guard|computation_placer")


def split_records(lines):
    records = []
    for line in lines:
        if not records or any(p.match(line) for p in RECORD_START):
            records.append([line])
        else:
            records[-1].append(line)
    return records


def is_noise(record):
    return any(p.match(record[0]) for p in NOISE) or bool(NOISE_ANYWHERE.search(record[0]))


TF_INTERNAL_FROM = re.compile(r"^WARNING:tensorflow:From (?!<WORKDIR>/)\S+:\d+: ")


def normalize(text, workdir):
    return text.replace(workdir, "<WORKDIR>")


def exception_record(exc):
    full = exc["message"]
    lines = []
    for line in full.splitlines():
        if line.startswith("Original stack trace"):
            break
        if not line.startswith("  "):
            lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    first = full.splitlines()[0] if full else ""
    return {"type": exc["type"], "message": first, "message_lines": lines}


def run_script(py, script, workdir):
    dst = os.path.join(workdir, os.path.basename(script))
    shutil.copyfile(script, dst)
    fd, exc_file = tempfile.mkstemp(prefix="seedexc_", suffix=".json")
    os.close(fd)
    os.unlink(exc_file)
    env = dict(os.environ)
    env.update(TF_CPP_MIN_LOG_LEVEL="3", SEED_EXC_FILE=exc_file,
               PYTHONIOENCODING="utf-8", PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([py, RUNNER, dst], cwd=workdir, env=env,
                          capture_output=True, text=True, encoding="utf-8",
                          timeout=600)
    exception = None
    if os.path.exists(exc_file):
        with open(exc_file, encoding="utf-8") as f:
            exception = json.load(f)
        os.unlink(exc_file)
        exception["message"] = normalize(exception["message"], workdir)
        exception = exception_record(exception)

    err_lines = normalize(proc.stderr, workdir).splitlines()
    records = split_records(err_lines)
    if exception is not None:
        # the traceback is the last record printed
        idx = min(i for i, r in enumerate(records)
                  if r[0].startswith("Traceback (most recent call last):"))
        records = records[:idx]
    kept, dropped = [], []
    for r in records:
        if is_noise(r):
            dropped.append(r)
        else:
            r[0] = TF_INTERNAL_FROM.sub("WARNING:tensorflow:From <TFINTERNAL>: ", r[0])
            kept.append(r)

    files = []
    for root, _dirs, names in os.walk(workdir):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), workdir)
            if not (os.path.dirname(rel) == "" and re.match(r"^\d\d_.*\.py$", n)):
                files.append(rel)
    return {
        "script": os.path.basename(script),
        "stdout": normalize(proc.stdout, workdir),
        "stderr_lines": [line for r in kept for line in r],
        "returncode": proc.returncode,
        "exception": exception,
        "files": sorted(files),
    }, dropped


def scenarios(selected):
    names = sorted(d for d in os.listdir(HERE)
                   if d.startswith("seed") and os.path.isdir(os.path.join(HERE, d)))
    if selected:
        names = [n for n in names if n in selected]
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=None, help="TF interpreter (default: scripts/tf_venv)")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--show-dropped", action="store_true",
                    help="print the stderr records that were filtered out")
    ap.add_argument("scenario", nargs="*")
    args = ap.parse_args()
    args.python = args.python or default_python()

    bad = 0
    for scen in scenarios(args.scenario):
        sdir = os.path.join(HERE, scen)
        scripts = sorted(f for f in os.listdir(sdir) if re.match(r"^\d\d_.*\.py$", f))
        workdir = os.path.realpath(tempfile.mkdtemp(prefix="seed_%s_" % scen))
        try:
            for s in scripts:
                result, dropped = run_script(args.python, os.path.join(sdir, s), workdir)
                exp_path = os.path.join(sdir, s[:-3] + ".expected")
                text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
                status = "written"
                if args.check:
                    old = open(exp_path, encoding="utf-8").read() if os.path.exists(exp_path) else None
                    status = "ok" if old == text else "DIFFERENT"
                    bad += status != "ok"
                else:
                    with open(exp_path, "w", encoding="utf-8") as f:
                        f.write(text)
                print("%-28s %-42s rc=%d %s" % (scen, s, result["returncode"], status))
                if args.show_dropped:
                    for r in dropped:
                        print("    dropped: " + "\n             ".join(r))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
