"""A long local mutation-fuzz campaign (not a test): ``python tests/fidelity/fuzz_campaign.py N``.

Runs N mutants per corpus file (seeds ``start .. start+N-1``) through every entry point of
``stowflow_fuzz`` under an address-space cap and a per-mutant alarm, and prints each escape
with its file and seed (reproduce one with ``--only FILE --start SEED 1``), then a summary
grouped by exception type and location.
"""

from __future__ import annotations

import argparse
import collections
import signal
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stowflow_fuzz as fuzz  # noqa: E402


class _Timeout(BaseException):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout()


def main() -> int:
    fuzz.silence_logs()
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--only", default=None, help="substring of the corpus file name")
    parser.add_argument("--timeout", type=int, default=10)
    parser.add_argument("--trace", action="store_true", help="print tracebacks")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    seeds = [s for s in fuzz.corpus() if args.only is None or args.only in s.name]
    kinds: collections.Counter[str] = collections.Counter()
    total = 0
    began = time.time()
    with fuzz.workdir() as work, fuzz.memory_cap():
        for number in range(args.start, args.start + args.n):
            for seed in seeds:
                total += 1
                signal.alarm(args.timeout)
                try:
                    escapes = fuzz.run_one(seed, number, work)
                except _Timeout:
                    escapes = [fuzz.Escape(seed.name, number, "?", "?", "timeout")]
                except BaseException:
                    escapes = [fuzz.Escape(seed.name, number, "?", "?", traceback.format_exc())]
                finally:
                    signal.alarm(0)
                for e in escapes:
                    where = _where(seed, number, e) if args.trace else ""
                    kinds[e.error.split(":")[0] + " " + where] += 1
                    print(f"ESCAPE {e.file} seed={e.seed} {e.mutation} {e.entry}: {e.error}{where}")
                    sys.stdout.flush()
    print(f"\n{total} mutants in {time.time() - began:.0f}s; escapes by kind:")
    print("outcomes:", dict(fuzz.OUTCOMES.most_common()))
    for kind, count in kinds.most_common():
        print(f"  {count:6d}  {kind}")
    return 1 if kinds else 0


def _where(seed: fuzz.Seed, number: int, escape: fuzz.Escape) -> str:
    mutant, _ = fuzz.mutate(seed.data, number, seed.kind)
    entry = {f.__name__: f for f in fuzz.ENTRY_POINTS[seed.kind]}.get(escape.entry)
    if entry is None:
        return ""
    with fuzz.workdir() as work:
        try:
            entry(seed, mutant, work)
        except BaseException as e:  # noqa: BLE001
            frames = traceback.extract_tb(e.__traceback__)
            last = frames[-1] if frames else None
            return f" @ {last.filename.split('/main/')[-1]}:{last.lineno}" if last else ""
    return ""


if __name__ == "__main__":
    sys.exit(main())
