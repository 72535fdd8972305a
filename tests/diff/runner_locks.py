"""The `locks` scripts of the differential test, on CPython's asyncio (imported by
runner.py, which hands it every script whose first line starts with `locks`).

A `locks` script exercises asyncio.Lock, Semaphore, BoundedSemaphore, Condition and
Barrier at once; the language is described in README.md ("Lock scripts").
runner_locks.hpp implements the same thing against the C++ library and must print the
same bytes.
"""

import asyncio

END_ROUNDS = 3
END_SLEEP_LIMIT = 10
PRIMS = ("L", "S", "B", "C")   # what acquirer / holder / stubborn / waitacq / release take
REPRS = ("L", "S", "B", "C", "R")
TASK_OPS = {"acquirer", "holder", "stubborn", "waitacq", "waiter", "waitfor", "notifier",
            "notifyall", "producer", "barrier", "resetter", "aborter"}


class ScriptError(Exception):
    pass


def int_arg(word):
    try:
        return int(word)
    except ValueError:
        raise ScriptError(f"not an integer: {word!r}") from None


def exc_name(e):
    if isinstance(e, asyncio.BrokenBarrierError):
        return "BrokenBarrierError"
    if isinstance(e, (ValueError, RuntimeError)) and not isinstance(e, asyncio.CancelledError):
        return f"{type(e).__name__}: {e}"
    return type(e).__name__


def fmt(value):
    return str(value)


def brackets(obj):
    """repr(obj) without the class and the address: '[locked, waiters:1]'."""
    r = repr(obj)
    return r[r.rindex("["):-1]


class LocksRun:
    def __init__(self, lines):
        self.lines = lines
        self.trace = []
        self.tasks = {}
        self.items = 0   # the counter that producer / waitfor share under C

    def rec(self, line):
        self.trace.append(line)

    async def guard(self, tid, body, *args):
        self.rec(f"{tid} start")
        try:
            return await body(*args)
        except BaseException as e:
            self.rec(f"{tid} raise {exc_name(e)}")
            raise

    # ---- task bodies ------------------------------------------------------
    async def acquirer(self, tid, p, k):
        async with p:
            self.rec(f"{tid} acquired")
            for _ in range(k):
                await asyncio.sleep(0)
            self.rec(f"{tid} releasing")

    async def holder(self, tid, p):
        r = await p.acquire()
        self.rec(f"{tid} acquired {fmt(r)}")

    async def stubborn(self, tid, p):
        try:
            await p.acquire()
        except asyncio.CancelledError:
            self.rec(f"{tid} caught CancelledError")
            await p.acquire()
        self.rec(f"{tid} acquired")
        p.release()
        self.rec(f"{tid} released")

    async def waitacq(self, tid, p, timeout):
        r = await asyncio.wait_for(p.acquire(), timeout)
        self.rec(f"{tid} acquired {fmt(r)}")

    async def waiter(self, tid, c):
        async with c:
            r = await c.wait()
            self.rec(f"{tid} waited {fmt(r)}")

    async def waitfor(self, tid, c):
        async with c:
            r = await c.wait_for(lambda: self.items > 0)
            self.items -= 1
            self.rec(f"{tid} consumed {fmt(r)} items={self.items}")

    async def notifier(self, tid, c, n):
        async with c:
            c.notify(n)
            self.rec(f"{tid} notified {n}")

    async def notifyall(self, tid, c):
        async with c:
            c.notify_all()
            self.rec(f"{tid} notified all")

    async def producer(self, tid, c):
        async with c:
            self.items += 1
            c.notify()
            self.rec(f"{tid} produced items={self.items}")

    async def barrier(self, tid, b):
        i = await b.wait()
        self.rec(f"{tid} passed {i}")
        return i

    async def resetter(self, tid, b):
        await b.reset()
        self.rec(f"{tid} reset")

    async def aborter(self, tid, b):
        await b.abort()
        self.rec(f"{tid} aborted")

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

    def prim(self, word, allowed=PRIMS):
        if word not in allowed:
            raise ScriptError(f"unknown primitive {word!r}")
        return self.p[word]

    def spawn(self, op, args):
        if not args:
            raise ScriptError(f"{op} needs an id")
        tid, rest = args[0], args[1:]
        if tid in self.tasks:
            raise ScriptError(f"duplicate task id {tid}")
        need = {"acquirer": 2, "holder": 1, "stubborn": 1, "waitacq": 2, "waiter": 0,
                "waitfor": 0, "notifier": 1, "notifyall": 0, "producer": 0, "barrier": 0,
                "resetter": 0, "aborter": 0}
        if len(rest) != need[op]:
            raise ScriptError(f"{op} takes {need[op]} argument(s) after the id")
        c, b = self.p["C"], self.p["R"]
        if op == "acquirer":
            coro = self.guard(tid, self.acquirer, tid, self.prim(rest[0]), int_arg(rest[1]))
        elif op == "holder":
            coro = self.guard(tid, self.holder, tid, self.prim(rest[0]))
        elif op == "stubborn":
            coro = self.guard(tid, self.stubborn, tid, self.prim(rest[0]))
        elif op == "waitacq":
            coro = self.guard(tid, self.waitacq, tid, self.prim(rest[0]), int_arg(rest[1]))
        elif op == "waiter":
            coro = self.guard(tid, self.waiter, tid, c)
        elif op == "waitfor":
            coro = self.guard(tid, self.waitfor, tid, c)
        elif op == "notifier":
            coro = self.guard(tid, self.notifier, tid, c, int_arg(rest[0]))
        elif op == "notifyall":
            coro = self.guard(tid, self.notifyall, tid, c)
        elif op == "producer":
            coro = self.guard(tid, self.producer, tid, c)
        elif op == "barrier":
            coro = self.guard(tid, self.barrier, tid, b)
        elif op == "resetter":
            coro = self.guard(tid, self.resetter, tid, b)
        else:
            coro = self.guard(tid, self.aborter, tid, b)
        self.tasks[tid] = asyncio.create_task(coro)

    def task(self, args):
        if len(args) != 1 or args[0] not in self.tasks:
            raise ScriptError(f"unknown task {' '.join(args)!r}")
        return self.tasks[args[0]]

    async def main(self):
        head = self.lines[0].split()
        if len(head) != 4 or head[0] != "locks":
            raise ScriptError(f"bad header {self.lines[0]!r}")
        sem, bsem, parties = (int_arg(w) for w in head[1:])
        lock = asyncio.Lock()
        self.p = {"L": lock, "S": asyncio.Semaphore(sem), "B": asyncio.BoundedSemaphore(bsem),
                  "C": asyncio.Condition(), "R": asyncio.Barrier(parties)}
        self.rec(f"> {' '.join(head)}")
        for line in self.lines[1:]:
            op, *args = line.split()
            text = " ".join([op, *args])
            if op in TASK_OPS:
                self.spawn(op, args)
                self.rec(f"> {text}")
                continue
            if op == "sleep0":
                if args:
                    raise ScriptError("sleep0 takes no argument")
                self.rec(f"> {text}")
                await asyncio.sleep(0)
                continue
            if op == "cancel":
                result = fmt(self.task(args).cancel())
            elif op == "state":
                result = self.state(self.task(args))
            elif op == "release":
                if len(args) != 1:
                    raise ScriptError("release takes a primitive")
                p = self.prim(args[0])
                try:
                    p.release()
                    result = "ok"
                except (RuntimeError, ValueError) as e:
                    result = exc_name(e)
            elif op == "notify":
                if len(args) != 1:
                    raise ScriptError("notify takes a count")
                try:
                    self.p["C"].notify(int_arg(args[0]))
                    result = "ok"
                except RuntimeError as e:
                    result = exc_name(e)
            elif op == "notify_all":
                try:
                    self.p["C"].notify_all()
                    result = "ok"
                except RuntimeError as e:
                    result = exc_name(e)
            elif op == "locked":
                if len(args) != 1:
                    raise ScriptError("locked takes a primitive")
                result = fmt(self.prim(args[0]).locked())
            elif op == "value":
                if len(args) != 1:
                    raise ScriptError("value takes a primitive")
                result = fmt(self.prim(args[0], ("S", "B"))._value)
            elif op == "repr":
                if len(args) != 1:
                    raise ScriptError("repr takes a primitive")
                result = brackets(self.prim(args[0], REPRS))
            elif op == "n_waiting":
                result = fmt(self.p["R"].n_waiting)
            elif op == "broken":
                result = fmt(self.p["R"].broken)
            else:
                raise ScriptError(f"unknown operation {op!r}")
            if args and op in ("notify_all", "n_waiting", "broken"):
                raise ScriptError(f"{op} takes no argument")
            self.rec(f"> {text} => {result}")

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
        for name in REPRS:
            self.rec(f"> repr {name} => {brackets(self.p[name])}")


def run_script(lines):
    r = LocksRun(lines)
    try:
        asyncio.run(r.main())
    except ScriptError as e:
        r.rec(f"!error {e}")
    return r.trace
