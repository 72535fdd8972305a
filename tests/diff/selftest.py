#!/usr/bin/env python3
"""Self-test of the differential test: it must catch every mutant of mutants.py
(runner.py on a deliberately broken asyncio.Queue or runtime) and must pass when the
"C++" side is the unbroken runner.py. Proves the comparison can fail, and that the
generated scripts reach the interleavings where a port goes wrong.

Usage: selftest.py [--count N] [--seed S]      (any Python >= 3.8; exit 77 = skipped)
"""

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import difftest  # noqa: E402
import gen  # noqa: E402
import gen_locks  # noqa: E402
import gen_toolbox  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=101)
    a = ap.parse_args()
    py = difftest.find_python313()
    if not py:
        print("SKIPPED: Python 3.13 not found; the self-test of the differential "
              "test did NOT run.", flush=True)
        return difftest.SKIP
    names = subprocess.run([py, os.path.join(HERE, "mutants.py")], capture_output=True,
                           text=True).stderr
    mutants = names.split("mutants:", 1)[1].split() if "mutants:" in names else []
    if len(mutants) < 10:
        print(f"FAIL: could not list the mutants:\n{names}")
        return 1
    failures = 0
    with tempfile.TemporaryDirectory(prefix="asyncio-diff-self-") as tmp:
        # 1. difftest.py itself passes when both sides are CPython.
        wrapper = os.path.join(tmp, "runner.sh")
        with open(wrapper, "w") as f:
            f.write(f"#!/bin/sh\nexec '{py}' '{os.path.join(HERE, 'runner.py')}' \"$@\"\n")
        os.chmod(wrapper, 0o755)
        p = subprocess.run([sys.executable, os.path.join(HERE, "difftest.py"),
                            "--runner", wrapper, "--python", py, "--seed", str(a.seed),
                            "--count", str(a.count), "--max-reports", "0"],
                           capture_output=True, text=True)
        ok = p.returncode == 0
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} unbroken runner.py: exit {p.returncode} "
              f"(want 0): {p.stdout.strip()[-300:]}", flush=True)
        p = subprocess.run([sys.executable, os.path.join(HERE, "difftest.py"),
                            "--runner", wrapper, "--python", py, "--family", "locks",
                            "--seed", str(a.seed), "--count", str(a.count),
                            "--max-reports", "0"],
                           capture_output=True, text=True)
        ok = p.returncode == 0
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} unbroken runner.py, locks scripts: exit "
              f"{p.returncode} (want 0): {p.stdout.strip()[-300:]}", flush=True)

        # 2. Every mutant makes some trace differ (difftest's own comparison): the
        #    queue mutants on queue scripts, the "locks_" ones on `locks` scripts.
        families = {}
        p = subprocess.run([sys.executable, os.path.join(HERE, "difftest.py"),
                            "--runner", wrapper, "--python", py, "--family", "toolbox",
                            "--seed", str(a.seed), "--count", str(a.count),
                            "--max-reports", "0"],
                           capture_output=True, text=True)
        ok = p.returncode == 0
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} unbroken runner.py, toolbox scripts: exit "
              f"{p.returncode} (want 0): {p.stdout.strip()[-300:]}", flush=True)
        for family, make in (("queue", gen.generate), ("locks", gen_locks.generate),
                             ("toolbox", gen_toolbox.generate)):
            scripts = make(a.seed, a.count)
            path = os.path.join(tmp, f"{family}.txt")
            ref, ref_crashes, _ = difftest.run_runner(
                [py, os.path.join(HERE, "runner.py")], scripts, path, max_restarts=0)
            if ref_crashes or len(ref) != len(scripts):
                print(f"FAIL: runner.py failed on the {family} scripts: {ref_crashes}")
                return 1
            families[family] = (scripts, path, ref)
        for m in mutants:
            scripts, path, ref = families[m.split("_", 1)[0] if m.startswith(("locks_", "toolbox_"))
                                          else "queue"]
            got, crashes, _ = difftest.run_runner(
                [py, os.path.join(HERE, "mutants.py"), m], scripts, path)
            bad = [n for n in range(len(scripts)) if difftest.differs(ref[n], got.get(n))]
            ok = len(bad) > 0
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} mutant {m}: {len(bad)} of {len(scripts)} "
                  f"traces differ" + (f" ({len(crashes)} crashed)" if crashes else ""),
                  flush=True)
    if failures:
        print(f"FAIL: {failures} check(s) of the differential test failed")
        return 1
    print(f"OK: the differential test caught all {len(mutants)} mutants "
          f"({a.count} scripts each, seed {a.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
