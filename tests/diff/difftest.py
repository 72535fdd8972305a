#!/usr/bin/env python3
"""Differential test: random queue scripts through CPython 3.13's asyncio and the C++
library; the traces must be identical, byte for byte.

Usage:
  difftest.py --runner PATH/TO/asyncio_diff_runner [--seed S] [--count N]
              [--max-ops N] [--file SCRIPTS] [--keep DIR] [--minimize]
              [--python PATH/TO/python3.13]

  --seed/--count   generate COUNT scripts with gen.py's SEED (default 1 / 500)
  --family locks   generate `locks` scripts (gen_locks.py) instead of queue scripts
  --family toolbox generate `toolbox` scripts (gen_toolbox.py: TaskGroup, timeout, wait,
                   as_completed, shield)
  --file           run the scripts of this file instead of generating them
  --keep DIR       write the scripts and both outputs into DIR
  --exclude OP     triage only: generate scripts without operation OP ("waitget 0"
                   for the zero timeouts); never used by the ctest entries
  --minimize       shrink the first mismatching script to a minimal one that still
                   differs, and print it (runs the runners on batches of candidates)

Runs under any Python >= 3.8 (it only spawns the two runners). Python 3.13 is looked
for in $ASYNCIO_DIFF_PYTHON, then $(pyenv root)/versions/3.13*/bin/python3 (with
$PYENV_ROOT, ~/.pyenv and `pyenv root`). When it is not found the test prints
"SKIPPED: ..." and exits with 77 (registered as SKIP_RETURN_CODE in CMake).
Exit status: 0 all traces identical, 1 mismatch or runner failure, 77 skipped.
"""

import argparse
import difflib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402
import gen_locks  # noqa: E402
import gen_toolbox  # noqa: E402

SKIP = 77
RUNNER_TIMEOUT = 300  # seconds per batch; ctest's own timeout is the real bound
MAX_RESTARTS = 20     # scripts a runner may die in before the rest are given up


def find_python313():
    env = os.environ.get("ASYNCIO_DIFF_PYTHON")
    if env:
        return env if os.access(env, os.X_OK) else None
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(os.environ["PYENV_ROOT"])
    roots.append(os.path.expanduser("~/.pyenv"))
    if shutil.which("pyenv"):
        try:
            out = subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
            if out:
                roots.append(out)
        except (OSError, subprocess.SubprocessError):
            pass
    for root in roots:
        found = sorted(glob.glob(os.path.join(root, "versions", "3.13*", "bin", "python3")))
        found = [p for p in found if os.access(p, os.X_OK)]
        if found:
            return found[-1]
    return None


def parse_output(text):
    """'=== n' ... '=== end n' blocks -> {n: [lines]} (complete blocks only), and the
    index of a block that was started but not ended (a crash or a hang), or None."""
    blocks, cur, n = {}, None, None
    for line in text.splitlines():
        m = re.fullmatch(r"=== (end )?(\d+)", line)
        if m and not m.group(1):
            cur, n = [], int(m.group(2))
        elif m:
            if n == int(m.group(2)) and cur is not None:
                blocks[n] = cur
            cur, n = None, None
        elif cur is not None:
            cur.append(line)
    return blocks, n


def run_once(cmd, path):
    """Runs one runner on a batch file; returns (blocks, unfinished, rc, stderr)."""
    try:
        p = subprocess.run(cmd + [path], capture_output=True, text=True,
                           timeout=RUNNER_TIMEOUT)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = f"timed out after {RUNNER_TIMEOUT} s"
        rc = "timeout"
    blocks, unfinished = parse_output(out)
    return blocks, unfinished, rc, err


def run_runner(cmd, scripts, path, max_restarts=MAX_RESTARTS):
    """Runs a runner on a batch of scripts. When it dies in a script (a crash or a
    hang), it is started again on the scripts after that one, so that one bad
    script does not hide the verdict on the others. Returns (blocks, crashes, secs):
    blocks maps a script's index to its trace, crashes maps the index of each script
    the runner died in to (exit status, stderr)."""
    t0 = time.monotonic()
    blocks, crashes, start = {}, {}, 0
    while start < len(scripts):
        with open(path, "w", encoding="utf-8") as f:
            f.write(gen.render(scripts[start:]))
        got, unfinished, rc, err = run_once(cmd, path)
        blocks.update({start + n: t for n, t in got.items()})
        if rc == 0 and len(got) == len(scripts) - start:
            break
        died = start + (unfinished if unfinished is not None else len(got))
        crashes[died] = (rc, err.strip())
        if len(crashes) > max_restarts or unfinished is None:
            break
        start = died + 1
    return blocks, crashes, time.monotonic() - t0


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else None


def show(title, lines):
    print(f"--- {title} ---")
    for i, line in enumerate(lines, 1):
        print(f"{i:4} {line}")


def report(n, script, py, cpp, label):
    print(f"\nMISMATCH in script {n} ({label}):")
    show("script", script)
    show("Python 3.13 trace", py)
    if cpp is None:
        print("--- C++ trace ---\n     (none: the C++ runner crashed or hung in this script)")
        return
    show("C++ trace", cpp)
    i = first_diff(py, cpp)
    print(f"--- first difference at trace line {i + 1} ---")
    print(f"  python: {py[i] if i < len(py) else '(end of trace)'}")
    print(f"  C++   : {cpp[i] if i < len(cpp) else '(end of trace)'}")
    print("--- unified diff (python -> C++) ---")
    for line in difflib.unified_diff(py, cpp, "python", "c++", n=2, lineterm=""):
        print("  " + line)


def has_error(trace):
    return any(line.startswith("!error") for line in trace)


def differs(py, cpp):
    return cpp is None or py != cpp


def run_both(py_cmd, cpp_cmd, scripts, workdir, name):
    path = os.path.join(workdir, name)
    py = run_runner(py_cmd, scripts, path, max_restarts=0)
    cpp = run_runner(cpp_cmd, scripts, path)
    return py, cpp


TOOLBOX_TASK_OPS = ("task", "wait", "ascomp", "shield")
LOCK_TASK_OPS = ("acquirer", "holder", "stubborn", "waitacq", "waiter", "waitfor", "notifier",
                 "notifyall", "producer", "barrier", "resetter", "aborter")


def candidates(script):
    """Smaller variants of a script: drop a task with every line naming it, drop
    chunks of lines, drop single lines (the header is kept)."""
    head, body = script[0], script[1:]
    out = []
    ids = []
    for line in body:
        words = line.split()
        if words[0] in gen.TASK_OPS or words[0] in LOCK_TASK_OPS or words[0] in TOOLBOX_TASK_OPS:
            ids.append(words[1])
    for tid in ids:
        out.append([head] + [l for l in body if tid not in l.split()[1:]])
    k = len(body) // 2
    while k >= 1:
        for s in range(0, len(body), k):
            out.append([head] + body[:s] + body[s + k:])
        k //= 2
    seen, uniq = set(), []
    for c in out:
        key = tuple(c)
        if len(c) < len(script) and key not in seen:
            seen.add(key)
            uniq.append(c)
    return uniq


def minimize(py_cmd, cpp_cmd, script, workdir):
    cur = script
    while True:
        cands = candidates(cur)
        if not cands:
            return cur
        (pyb, _, _), (cb, crashes, _) = run_both(py_cmd, cpp_cmd, cands, workdir,
                                                  "minimize.txt")
        nxt = None
        for i, c in enumerate(cands):
            py = pyb.get(i)
            if py is None or has_error(py):
                continue
            cpp = cb.get(i)
            if cpp is None and i not in crashes:
                continue  # not run: the C++ runner gave up before it
            if differs(py, cpp):
                nxt = c
                break
        if nxt is None:
            return cur
        cur = nxt


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runner", required=True, help="the C++ runner executable")
    ap.add_argument("--python", help="Python >= 3.13 (default: searched, see above)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--max-ops", type=int, default=60)
    ap.add_argument("--file")
    ap.add_argument("--family", choices=("queue", "locks", "toolbox"), default="queue",
                    help="the scripts to generate: queue (gen.py), locks (gen_locks.py) "
                         "or toolbox (gen_toolbox.py)")
    ap.add_argument("--keep")
    ap.add_argument("--minimize", action="store_true")
    ap.add_argument("--max-reports", type=int, default=3)
    ap.add_argument("--exclude", action="append", default=[],
                    help="triage only: leave this operation out of the generated "
                         "scripts (repeatable; 'waitget 0' for zero timeouts)")
    a = ap.parse_args()

    py = a.python or find_python313()
    if not py:
        print("SKIPPED: Python 3.13 not found (looked in $ASYNCIO_DIFF_PYTHON and "
              "$(pyenv root)/versions/3.13*/bin/python3); the differential test "
              "against CPython's asyncio did NOT run.", flush=True)
        return SKIP
    if not os.access(a.runner, os.X_OK):
        print(f"FAIL: C++ runner {a.runner!r} is not an executable")
        return 1
    py_cmd = [py, os.path.join(HERE, "runner.py")]
    cpp_cmd = [a.runner]

    if a.file:
        with open(a.file, encoding="utf-8") as f:
            scripts = gen_split(f.read())
        label = a.file
    else:
        if a.family == "locks":
            scripts = gen_locks.generate(a.seed, a.count, a.max_ops)
            label = f"locks seed {a.seed}"
        elif a.family == "toolbox":
            scripts = gen_toolbox.generate(a.seed, a.count, min(a.max_ops, gen_toolbox.MAX_OPS))
            label = f"toolbox seed {a.seed}"
        else:
            scripts = gen.generate(a.seed, a.count, a.max_ops, exclude=a.exclude)
            label = f"seed {a.seed}" + "".join(f", without {x!r}" for x in a.exclude)

    workdir = a.keep or tempfile.mkdtemp(prefix="asyncio-diff-")
    os.makedirs(workdir, exist_ok=True)
    try:
        (pyb, pycrash, pyt), (cb, crashes, ct) = run_both(
            py_cmd, cpp_cmd, scripts, workdir, "scripts.txt")
        if a.keep:
            for name, blocks in (("python.out", pyb), ("cpp.out", cb)):
                with open(os.path.join(workdir, name), "w", encoding="utf-8") as f:
                    for n in sorted(blocks):
                        f.write(f"=== {n}\n" + "".join(l + "\n" for l in blocks[n]))
        if pycrash or len(pyb) != len(scripts):
            n, (rc, err) = next(iter(pycrash.items()), (len(pyb), ("?", "")))
            print(f"FAIL: the Python runner ({py}) exited with {rc} in script {n}, "
                  f"after {len(pyb)} of {len(scripts)} scripts:\n{err}")
            return 1
        bad = [n for n in range(len(scripts)) if has_error(pyb[n])]
        if bad:
            print(f"FAIL: script {bad[0]} is malformed (a generator or runner bug):")
            show("script", scripts[bad[0]])
            show("Python 3.13 trace", pyb[bad[0]])
            return 1

        mismatches = [n for n in range(len(scripts)) if differs(pyb[n], cb.get(n))]
        lines = sum(len(t) for t in pyb.values())
        for n in mismatches[:a.max_reports]:
            report(n, scripts[n], pyb[n], cb.get(n), label)
        for n, (rc, err) in sorted(crashes.items())[:a.max_reports]:
            print(f"\nFAIL: the C++ runner exited with {rc} in script {n}:\n{err[-2000:]}")
        if len(crashes) > MAX_RESTARTS:
            print(f"\nFAIL: the C++ runner died in {len(crashes)} scripts: the scripts "
                  f"after script {max(crashes)} were not run")
        if mismatches and a.minimize:
            small = minimize(py_cmd, cpp_cmd, scripts[mismatches[0]], workdir)
            (pyb2, _, _), (cb2, _, _) = run_both(py_cmd, cpp_cmd, [small], workdir,
                                                 "minimal.txt")
            report(0, small, pyb2.get(0, []), cb2.get(0), "minimized")
        summary = (f"{len(scripts)} scripts ({label}), {lines} Python trace lines; "
                   f"Python {pyt:.2f} s, C++ {ct:.2f} s")
        if mismatches or crashes:
            print(f"\nFAIL: {len(mismatches)} of {len(scripts)} traces differ "
                  f"(the C++ runner died in {len(crashes)} of them); {summary}")
            print(f"(scripts and outputs kept in {workdir})" if a.keep else
                  "(re-run with --keep DIR to keep the files, --minimize to shrink the "
                  "first mismatch):\n  " + " ".join(
                      [os.path.basename(sys.executable), os.path.abspath(__file__)]
                      + sys.argv[1:] + ["--minimize"]))
            return 1
        print(f"OK: all traces identical; {summary}")
        return 0
    finally:
        if not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def gen_split(text):
    scripts, cur = [], []
    for raw in text.splitlines():
        line = raw.strip()
        if line == "---":
            if cur:
                scripts.append(cur)
            cur = []
        elif line and not line.startswith("#"):
            cur.append(line)
    if cur:
        scripts.append(cur)
    return scripts


if __name__ == "__main__":
    sys.exit(main())
