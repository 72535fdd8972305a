"""The `toolbox` scripts of the differential test, on CPython's asyncio (imported by
runner.py, which hands it every script whose first line is `toolbox`).

A `toolbox` script runs TaskGroup, timeout / timeout_at, wait, as_completed and shield
with cancellations at every point; the language is in README.md ("Toolbox scripts").
runner_toolbox.hpp implements the same thing against the C++ library and must print
the same bytes. Only loop iterations order things (sleep(0)); the deadlines are 0
(already due) or 1000 s (never due in a run).
"""

import asyncio

END_ROUNDS = 3
END_SLEEP_LIMIT = 10
TASK_OPS = {"task", "wait", "ascomp", "shield"}
MODES = {"all": asyncio.ALL_COMPLETED, "first": asyncio.FIRST_COMPLETED,
         "exc": asyncio.FIRST_EXCEPTION}


class _OrderedSet(dict):
    """The set of a TaskGroup's tasks, iterated in insertion order."""
    def add(self, x):
        self[x] = None

    def discard(self, x):
        self.pop(x, None)


class OrderedTaskGroup(asyncio.TaskGroup):
    """asyncio.TaskGroup whose _abort() cancels the tasks in creation order. CPython
    iterates a set of tasks (an order that depends on the tasks' addresses, so a
    trace would depend on the allocator); the C++ TaskGroup cancels in creation
    order, one of the orders CPython may take. Nothing else is changed."""
    def __init__(self):
        super().__init__()
        self._tasks = _OrderedSet()


class ScriptError(Exception):
    pass


def int_arg(word):
    try:
        return int(word)
    except ValueError:
        raise ScriptError(f"not an integer: {word!r}") from None


def exc_name(e):
    if isinstance(e, BaseExceptionGroup):
        return f"{type(e).__name__}({e.message})[{', '.join(exc_name(x) for x in e.exceptions)}]"
    if isinstance(e, (ValueError, RuntimeError)):
        return f"{type(e).__name__}: {e}"
    return type(e).__name__


# ---- work: the tree of one token list -------------------------------------
# K:V          K sleep(0)s, then return V (an int) or raise ValueError (V = x), or,
#              V = c, return K and catch one CancelledError (then one sleep(0), return -1)
# [ B E W... | W2... ] a TaskGroup: the body creates a task per W, sleeps B times,
#              creates a task per W2 (RuntimeError if the group is shutting down by then),
#              E = c: the body swallows one CancelledError during its sleeps,
#              returns (E = ok) or raises ValueError (E = x); the work's value is the
#              sum of the children's results
# { D W }      async with asyncio.timeout(D): W     (D: 0 or 1000)
# { @ D W }    async with asyncio.timeout_at(loop.time() + D): W
# { ~ K W }    async with asyncio.timeout(None): W, and a helper task that reschedules
#              the timeout to loop.time() after K sleep(0)s if the block still runs
# < W >        await asyncio.shield(W as a task)
def parse(words, i):
    if i >= len(words):
        raise ScriptError("work expected")
    w = words[i]
    if w == "[":
        if i + 2 >= len(words) or words[i + 2] not in ("ok", "x", "c"):
            raise ScriptError("bad group")
        node = ("group", int_arg(words[i + 1]), words[i + 2], [], [])
        i += 3
        kids = node[3]
        while i < len(words) and words[i] != "]":
            if words[i] == "|" and kids is node[3]:
                kids = node[4]
                i += 1
                continue
            child, i = parse(words, i)
            kids.append(child)
        if i >= len(words):
            raise ScriptError("unclosed group")
        return node, i + 1
    if w == "{":
        at = words[i + 1] if i + 1 < len(words) and words[i + 1] in ("@", "~") else ""
        j = i + 2 if at else i + 1
        if j >= len(words):
            raise ScriptError("bad timeout")
        d = int_arg(words[j])
        inner, k = parse(words, j + 1)
        if k >= len(words) or words[k] != "}":
            raise ScriptError("unclosed timeout")
        return ("timeout", at, d, inner), k + 1
    if w == "<":
        inner, k = parse(words, i + 1)
        if k >= len(words) or words[k] != ">":
            raise ScriptError("unclosed shield")
        return ("shield", inner), k + 1
    k, sep, v = w.partition(":")
    if not sep:
        raise ScriptError(f"bad work {w!r}")
    if v not in ("x", "c"):
        int_arg(v)
    return ("leaf", int_arg(k), v), i + 1


class ToolboxRun:
    def __init__(self, lines):
        self.lines = lines
        self.trace = []
        self.tasks = {}
        self.order = {}
        self.helpers = []
        self.live = 0   # work nodes running (a shielded one may outlive its task)

    def rec(self, line):
        self.trace.append(line)

    async def work(self, node, path):
        self.live += 1
        try:
            r = await self.work_body(node, path)
        except BaseException as e:
            self.rec(f"{path} raise {exc_name(e)}")
            raise
        finally:
            self.live -= 1
        self.rec(f"{path} ok {r}")
        return r

    async def work_body(self, node, path):
        kind = node[0]
        if kind == "leaf":
            _, k, v = node
            self.rec(f"{path} start")
            if v == "c":
                try:
                    for _ in range(k):
                        await asyncio.sleep(0)
                except asyncio.CancelledError:
                    self.rec(f"{path} caught CancelledError")
                    await asyncio.sleep(0)
                    return -1
                return k
            for _ in range(k):
                await asyncio.sleep(0)
            if v == "x":
                raise ValueError("boom")
            return int(v)
        if kind == "group":
            _, b, end, children, late = node
            kids = []
            try:
                async with OrderedTaskGroup() as tg:
                    for n, child in enumerate(children):
                        kids.append(tg.create_task(self.work(child, f"{path}.{n}")))
                    caught = False
                    try:
                        for _ in range(b):
                            await asyncio.sleep(0)
                    except asyncio.CancelledError:
                        if end != "c":
                            raise
                        caught = True
                    if caught:
                        self.rec(f"{path} body caught CancelledError")
                    for n, child in enumerate(late, len(children)):
                        kids.append(tg.create_task(self.work(child, f"{path}.{n}")))
                    self.rec(f"{path} body done")
                    if end == "x":
                        raise ValueError("boom")
            finally:
                self.rec(f"{path} left cancelling={asyncio.current_task().cancelling()}")
            return sum(t.result() for t in kids if not t.cancelled() and t.exception() is None)
        if kind == "timeout":
            _, at, d, inner = node
            loop = asyncio.get_running_loop()
            if at == "@":
                cm = asyncio.timeout_at(loop.time() + d)
            elif at == "~":
                cm = asyncio.timeout(None)
            else:
                cm = asyncio.timeout(d)
            inside = [False]
            try:
                async with cm:
                    if at == "~":
                        inside[0] = True
                        self.helpers.append(asyncio.create_task(self.resched(cm, d, path, inside)))
                    r = await self.work(inner, path + ".t")
            finally:
                inside[0] = False
                self.rec(f"{path} expired {cm.expired()} "
                         f"cancelling={asyncio.current_task().cancelling()}")
            return r
        inner = node[1]
        return await asyncio.shield(self.work(inner, path + ".s"))

    async def resched(self, cm, k, path, inside):
        """`{ ~ K W }`: after K sleep(0)s, reschedule the block's timeout to now (it
        expires through call_soon), if the block is still running."""
        self.live += 1
        try:
            for _ in range(k):
                await asyncio.sleep(0)
            if inside[0]:
                cm.reschedule(asyncio.get_running_loop().time())
                self.rec(f"{path} rescheduled")
        finally:
            self.live -= 1

    async def top(self, tid, coro):
        self.rec(f"{tid} start")
        try:
            r = await coro
        except BaseException as e:
            self.rec(f"{tid} raise {exc_name(e)}")
            raise
        self.rec(f"{tid} result {r}")
        return r

    def names(self, tasks):
        return "[" + " ".join(sorted((self.order[t] for t in tasks),
                                     key=lambda tid: list(self.tasks).index(tid))) + "]"

    async def waiter(self, tid, timeout, mode, targets):
        done, pending = await asyncio.wait(targets, timeout=timeout, return_when=mode)
        self.rec(f"{tid} waited done={self.names(done)} pending={self.names(pending)}")
        return len(done)

    async def ascomp(self, tid, timeout, targets):
        # Each `next` line shows when a result came; the results themselves are
        # recorded sorted at the end: CPython takes the targets done before the call
        # in the order of a set (of the tasks' addresses), so those are left out.
        n, got = 0, []
        todo = [t for t in targets if not t.done()]
        self.rec(f"{tid} skipped {len(targets) - len(todo)}")
        targets = todo
        for f in asyncio.as_completed(targets, timeout=timeout):
            try:
                got.append(str(await f))
                n += 1
            except (ValueError, TimeoutError) as e:
                got.append(exc_name(e))
            self.rec(f"{tid} next")
        self.rec(f"{tid} got [{', '.join(sorted(got))}]")
        return n

    async def shielder(self, tid, target):
        return await asyncio.shield(target)

    # ---- driver -----------------------------------------------------------
    def state(self, t):
        if not t.done():
            return "pending"
        if t.cancelled():
            return "cancelled"
        e = t.exception()
        if e is not None:
            return f"exception {exc_name(e)}"
        return f"result {t.result()}"

    def task(self, args):
        if len(args) != 1 or args[0] not in self.tasks:
            raise ScriptError(f"unknown task {' '.join(args)!r}")
        return self.tasks[args[0]]

    def timeout_arg(self, w):
        return None if w == "none" else int_arg(w)

    def spawn(self, op, args):
        if not args:
            raise ScriptError(f"{op} needs an id")
        tid, rest = args[0], args[1:]
        if tid in self.tasks:
            raise ScriptError(f"duplicate task id {tid}")
        if op == "task":
            node, i = parse(rest, 0)
            if i != len(rest):
                raise ScriptError("trailing words")
            coro = self.work(node, tid)
        elif op == "wait":
            if len(rest) < 3 or rest[1] not in MODES:
                raise ScriptError("wait takes TIMEOUT MODE TASK...")
            coro = self.top(tid, self.waiter(tid, self.timeout_arg(rest[0]), MODES[rest[1]],
                               [self.task([w]) for w in rest[2:]]))
        elif op == "ascomp":
            if len(rest) < 2:
                raise ScriptError("ascomp takes TIMEOUT TASK...")
            coro = self.top(tid, self.ascomp(tid, self.timeout_arg(rest[0]),
                                             [self.task([w]) for w in rest[1:]]))
        else:
            if len(rest) != 1:
                raise ScriptError("shield takes a task")
            coro = self.top(tid, self.shielder(tid, self.task(rest)))
        t = asyncio.create_task(coro)
        self.tasks[tid] = t
        self.order[t] = tid

    async def main(self):
        if self.lines[0].split() != ["toolbox"]:
            raise ScriptError(f"bad header {self.lines[0]!r}")
        self.rec("> toolbox")
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
                result = str(self.task(args).cancel())
            elif op == "state":
                result = self.state(self.task(args))
            elif op == "cancelling":
                result = str(self.task(args).cancelling())
            else:
                raise ScriptError(f"unknown operation {op!r}")
            self.rec(f"> {text} => {result}")

        self.rec("> end")
        for _ in range(END_ROUNDS):
            if all(t.done() for t in self.tasks.values()):
                break
            for tid, t in self.tasks.items():
                if not t.done():
                    self.rec(f"> cancel {tid} => {t.cancel()}")
            for _ in range(END_SLEEP_LIMIT):
                if all(t.done() for t in self.tasks.values()):
                    break
                self.rec("> sleep0")
                await asyncio.sleep(0)
        for _ in range(3 * END_SLEEP_LIMIT):   # shielded work left running
            if self.live == 0:
                break
            self.rec("> sleep0")
            await asyncio.sleep(0)
        for tid, t in self.tasks.items():
            self.rec(f"= {tid} {self.state(t)}")


def run_script(lines):
    r = ToolboxRun(lines)
    try:
        asyncio.run(r.main())
    except ScriptError as e:
        r.rec(f"!error {e}")
    return r.trace
