#!/usr/bin/env python3
"""Reference runner of the differential test: runs queue scripts on CPython's asyncio.

Usage: runner.py [FILE]    (FILE holds one script or many separated by '---' lines;
                            standard input when FILE is absent or '-')

For every script it prints '=== <n>' (n counts from 0), the trace, then '=== end <n>'.
A script that is malformed prints '!error <reason>' inside its block.
The script language and the trace format are described in README.md; runner.cpp
implements the same thing against the C++ library and must print the same bytes.
"""

import asyncio
import sys

if sys.version_info < (3, 13):
    sys.exit("runner.py needs Python >= 3.13 (asyncio.Queue.shutdown); this is "
             + sys.version.split()[0])

KINDS = {
    "Queue": asyncio.Queue,
    "LifoQueue": asyncio.LifoQueue,
    "PriorityQueue": asyncio.PriorityQueue,
}
TASK_OPS = {"getter", "putter", "joiner", "worker", "producer", "waitget",
            "stubborn", "awaiter", "gatherer", "gettask", "puttask", "jointask"}
END_ROUNDS = 3         # rounds of cancelling what is left at the end
END_SLEEP_LIMIT = 10   # sleep(0)s per round granted to the cancelled tasks to finish


class ScriptError(Exception):
    pass


def split_scripts(text):
    """Splits a batch into scripts: lists of (stripped, non-comment) lines."""
    scripts, cur = [], []
    for raw in text.splitlines():
        line = raw.strip()
        if line == "---":
            scripts.append(cur)
            cur = []
        elif line and not line.startswith("#"):
            cur.append(line)
    if cur or not scripts:
        scripts.append(cur)
    return [s for s in scripts if s]


def int_arg(word):
    try:
        return int(word)
    except ValueError:
        raise ScriptError(f"not an integer: {word!r}") from None


def exc_name(e):
    if isinstance(e, ValueError):
        return f"ValueError: {e}"
    return type(e).__name__


def fmt(value):
    return str(value)   # ints, True/False, None as Python prints them


class Run:
    def __init__(self, lines):
        self.lines = lines
        self.trace = []
        self.tasks = {}   # id -> Task, in creation order

    def rec(self, line):
        self.trace.append(line)

    # ---- task bodies ------------------------------------------------------
    async def guard(self, tid, body, *args):
        """Runs body(*args), records any exception as '<id> raise <Name>' and
        re-raises it (the coroutine is made here, so that a task cancelled before
        its first step leaves no un-awaited coroutine behind)."""
        self.rec(f"{tid} start")
        try:
            return await body(*args)
        except BaseException as e:
            self.rec(f"{tid} raise {exc_name(e)}")
            raise

    async def getter(self, q, tid):
        item = await q.get()
        self.rec(f"{tid} got {item}")
        return item

    async def putter(self, q, tid, items):
        for item in items:
            await q.put(item)
            self.rec(f"{tid} put {item}")

    async def joiner(self, q, tid):
        await q.join()
        self.rec(f"{tid} joined")

    async def worker(self, q, tid, n):
        for _ in range(n):
            item = await q.get()
            self.rec(f"{tid} got {item}")
            await asyncio.sleep(0)
            q.task_done()
            self.rec(f"{tid} task_done")

    async def stubborn(self, q, tid):
        try:
            item = await q.get()
        except asyncio.CancelledError:
            self.rec(f"{tid} caught CancelledError")
            item = await q.get()
        self.rec(f"{tid} got {item}")
        return item

    async def awaiter(self, q, tid, target):
        result = await target
        self.rec(f"{tid} awaited {fmt(result)}")
        return result

    async def gatherer(self, q, tid, targets):
        results = await asyncio.gather(*targets)
        self.rec(f"{tid} gathered {fmt(results)}")

    async def waitget(self, q, tid, timeout):
        item = await asyncio.wait_for(q.get(), timeout)
        self.rec(f"{tid} got {item}")
        return item

    # ---- driver -----------------------------------------------------------
    def state(self, t):
        if not t.done():
            return "pending"
        if t.cancelled():
            return "cancelled"
        e = t.exception()
        if e is not None:
            return f"exception {exc_name(e)}"
        return f"result {fmt(t.result())}"

    def spawn(self, q, op, args):
        if not args:
            raise ScriptError(f"{op} needs an id")
        tid = args[0]
        if tid in self.tasks:
            raise ScriptError(f"duplicate task id {tid}")
        rest = args[1:]
        need = {"getter": 0, "putter": 1, "joiner": 0, "worker": 1, "waitget": 1,
                "stubborn": 0, "awaiter": 1, "gettask": 0, "puttask": 1, "jointask": 0}
        if op in ("producer", "gatherer"):
            if not rest:
                raise ScriptError(f"{op} needs arguments after the id")
        elif len(rest) != need[op]:
            raise ScriptError(f"{op} takes {need[op]} argument(s) after the id")
        if op == "awaiter":
            target = self.task(rest)
            rest = []
        elif op == "gatherer":
            if len(set(rest)) != len(rest):
                raise ScriptError("gatherer takes distinct tasks")
            targets = [self.task([r]) for r in rest]
            rest = []
        nums = [int_arg(w) for w in rest]
        if op == "getter":
            coro = self.guard(tid, self.getter, q, tid)
        elif op == "putter":
            coro = self.guard(tid, self.putter, q, tid, nums)
        elif op == "producer":
            coro = self.guard(tid, self.putter, q, tid, nums)
        elif op == "joiner":
            coro = self.guard(tid, self.joiner, q, tid)
        elif op == "worker":
            coro = self.guard(tid, self.worker, q, tid, nums[0])
        elif op == "waitget":
            coro = self.guard(tid, self.waitget, q, tid, nums[0])
        elif op == "stubborn":
            coro = self.guard(tid, self.stubborn, q, tid)
        elif op == "awaiter":
            coro = self.guard(tid, self.awaiter, q, tid, target)
        elif op == "gatherer":
            coro = self.guard(tid, self.gatherer, q, tid, targets)
        elif op == "gettask":
            coro = q.get()
        elif op == "puttask":
            coro = q.put(nums[0])
        else:  # jointask
            coro = q.join()
        self.tasks[tid] = asyncio.create_task(coro)

    def task(self, args):
        if len(args) != 1 or args[0] not in self.tasks:
            raise ScriptError(f"unknown task {' '.join(args)!r}")
        return self.tasks[args[0]]

    async def main(self):
        head = self.lines[0].split()
        if len(head) != 3 or head[0] != "queue" or head[1] not in KINDS:
            raise ScriptError(f"bad header {self.lines[0]!r}")
        q = KINDS[head[1]](int_arg(head[2]))
        self.rec(f"> {' '.join(head)}")
        for line in self.lines[1:]:
            op, *args = line.split()
            text = " ".join([op, *args])
            if op in TASK_OPS:
                self.spawn(q, op, args)
                self.rec(f"> {text}")
                continue
            if op == "sleep0":
                self.rec(f"> {text}")
                await asyncio.sleep(0)
                continue
            result = None
            if op == "cancel":
                result = fmt(self.task(args).cancel())
            elif op == "state":
                result = self.state(self.task(args))
            elif op in ("put_nowait", "get_nowait", "task_done"):
                try:
                    if op == "put_nowait":
                        if len(args) != 1:
                            raise ScriptError("put_nowait takes one item")
                        q.put_nowait(int_arg(args[0]))
                        result = "ok"
                    elif op == "get_nowait":
                        result = fmt(q.get_nowait())
                    else:
                        q.task_done()
                        result = "ok"
                except ScriptError:
                    raise
                except Exception as e:
                    result = exc_name(e)
            elif op == "shutdown":
                q.shutdown()
                result = "ok"
            elif op == "shutdown_immediate":
                q.shutdown(immediate=True)
                result = "ok"
            elif op == "qsize":
                result = fmt(q.qsize())
            elif op == "empty":
                result = fmt(q.empty())
            elif op == "full":
                result = fmt(q.full())
            elif op == "str":
                result = str(q)
            else:
                raise ScriptError(f"unknown operation {op!r}")
            if args and op not in ("cancel", "state", "put_nowait"):
                raise ScriptError(f"{op} takes no argument")
            self.rec(f"> {text} => {result}")

        # The end: cancel what is left, let it finish, report every task.
        self.rec("> end")
        for _ in range(END_ROUNDS):
            if all(t.done() for t in self.tasks.values()):
                break
            for tid, t in self.tasks.items():
                if not t.done():
                    self.rec(f"> cancel {tid} => {fmt(t.cancel())}")
            for _ in range(END_SLEEP_LIMIT):
                if all(t.done() for t in self.tasks.values()):
                    break
                self.rec("> sleep0")
                await asyncio.sleep(0)
        for tid, t in self.tasks.items():
            self.rec(f"= {tid} {self.state(t)}")
        self.rec(f"> str => {q}")


def run_script(lines):
    if lines and lines[0].split()[:1] == ["locks"]:
        import runner_locks   # the `locks` scripts (README.md, "Lock scripts")
        return runner_locks.run_script(lines)
    if lines and lines[0].split()[:1] == ["toolbox"]:
        import runner_toolbox   # the `toolbox` scripts (README.md, "Toolbox scripts")
        return runner_toolbox.run_script(lines)
    r = Run(lines)
    try:
        asyncio.run(r.main())
    except ScriptError as e:
        r.rec(f"!error {e}")
    return r.trace


def main(argv):
    if len(argv) > 2:
        sys.exit(__doc__)
    if len(argv) == 2 and argv[1] != "-":
        with open(argv[1], encoding="utf-8") as f:
            text = f.read()
    else:
        text = sys.stdin.read()
    out = sys.stdout
    for n, lines in enumerate(split_scripts(text)):
        out.write(f"=== {n}\n")
        for line in run_script(lines):
            out.write(line + "\n")
        out.write(f"=== end {n}\n")
        out.flush()


if __name__ == "__main__":
    main(sys.argv)
