#!/usr/bin/env python3
"""Random script generator of the differential test (any Python >= 3.8).

Usage: gen.py SEED COUNT [--max-ops N] [--no-waitget]
Prints COUNT scripts separated by '---' lines. The same SEED always gives the same
scripts (random.Random with an int seed is stable across Python versions).

The scripts are built to hit the interleavings where a queue implementation goes
wrong: many blocked getters and putters, bursts of puts that wake several waiters
in one step, a waiter woken and then cancelled before it runs (the wakeup must be
passed on), a woken waiter robbed by a *_nowait call before it runs (barging),
cancellation of tasks that have not started, shutdowns in the middle, task_done and
join, and tasks queried and cancelled at the end. Item values are distinct within a
script, so a PriorityQueue's heap order is fully determined.
"""

import random
import sys

KINDS = ("Queue", "LifoQueue", "PriorityQueue")


class Gen:
    def __init__(self, rng, max_ops, waitget=True):
        self.rng = rng
        self.max_ops = max_ops
        self.waitget = waitget
        self.lines = []
        self.items = iter(rng.sample(range(1, 1000), 600))
        self.n = 0
        self.getters = []   # ids of tasks that get (oldest first), not yet cancelled
        self.putters = []   # ids of tasks that put, not yet cancelled
        self.all = []       # every task id
        self.int_tasks = []  # ids of the tasks whose result is an int (gatherer's)
        self.shut = False

    def item(self):
        return next(self.items)

    def new_id(self, prefix):
        self.n += 1
        tid = f"{prefix}{self.n}"
        self.all.append(tid)
        return tid

    def emit(self, line):
        self.lines.append(line)

    # ---- single operations -------------------------------------------------
    def getter(self):
        r = self.rng.random()
        if r < 0.64:
            tid = self.new_id("g")
            self.emit(f"getter {tid}")
        elif r < 0.78:
            tid = self.new_id("t")
            self.emit(f"gettask {tid}")
        elif r < 0.85:
            tid = self.new_id("s")
            self.emit(f"stubborn {tid}")
        elif r < 0.92 or not self.waitget:
            tid = self.new_id("w")
            self.emit(f"worker {tid} {self.rng.randint(1, 3)}")
        else:
            tid = self.new_id("a")
            self.emit(f"waitget {tid} {self.rng.choice((0, 3600, 3600))}")
        self.getters.append(tid)
        if not tid.startswith("w"):  # a worker returns None
            self.int_tasks.append(tid)

    def putter(self):
        r = self.rng.random()
        if r < 0.70:
            tid = self.new_id("p")
            self.emit(f"putter {tid} {self.item()}")
        elif r < 0.85:
            tid = self.new_id("u")
            self.emit(f"puttask {tid} {self.item()}")
        else:
            tid = self.new_id("r")
            items = " ".join(str(self.item()) for _ in range(self.rng.randint(2, 4)))
            self.emit(f"producer {tid} {items}")
        self.putters.append(tid)

    def joiner(self):
        if self.rng.random() < 0.7:
            self.emit(f"joiner {self.new_id('j')}")
        else:
            self.emit(f"jointask {self.new_id('k')}")

    def awaiter(self):
        """A task awaiting another task (cancelling it cancels the awaited one)."""
        if not self.all:
            return
        target = self.rng.choice(self.all[-4:])
        tid = self.new_id("x")
        self.emit(f"awaiter {tid} {target}")
        if self.rng.random() < 0.3:
            self.emit("sleep0")
            self.emit(f"cancel {self.rng.choice((tid, target))}")

    def gatherer(self):
        """A task gathering 1-3 getter tasks (cancelling it cancels them)."""
        recent = self.int_tasks[-6:]
        if not recent:
            return
        targets = self.rng.sample(recent, self.rng.randint(1, min(3, len(recent))))
        tid = self.new_id("y")
        self.emit(f"gatherer {tid} {' '.join(targets)}")
        if self.rng.random() < 0.3:
            self.emit("sleep0")
            self.emit(f"cancel {self.rng.choice([tid] + targets)}")

    def cancel(self, pool=None):
        pool = pool if pool is not None else self.all
        if not pool:
            return
        # Prefer the oldest waiters: they are the ones a put/get has just woken.
        idx = min(int(self.rng.expovariate(0.8)), len(pool) - 1)
        tid = pool[idx]
        self.emit(f"cancel {tid}")
        for lst in (self.getters, self.putters):
            if tid in lst and self.rng.random() < 0.8:
                lst.remove(tid)

    def probe(self):
        r = self.rng.random()
        if r < 0.55:
            self.emit("str")
        elif r < 0.70:
            self.emit("qsize")
        elif r < 0.80:
            self.emit("empty")
        elif r < 0.88:
            self.emit("full")
        elif self.all:
            self.emit(f"state {self.rng.choice(self.all)}")
        else:
            self.emit("str")

    # ---- patterns: short sequences that provoke the tricky interleavings ---
    def fill(self):
        """put_nowait until the queue is (probably) full, so that putters block."""
        for _ in range(max(self.maxsize, 0)):
            self.emit(f"put_nowait {self.item()}")

    def p_wake_cancel(self):
        """put_nowait wakes the first blocked getter; cancel it before it runs."""
        self.emit(f"put_nowait {self.item()}")
        self.cancel(self.getters)
        if self.rng.random() < 0.5:
            self.probe()
        self.emit("sleep0")

    def p_wake_cancel_putter(self):
        self.emit("get_nowait")
        self.cancel(self.putters)
        self.emit("sleep0")

    def p_pass_on(self):
        """Two or more getters block; a put wakes the first, which is cancelled before
        it runs: the wakeup must go to the next one."""
        first = len(self.all)
        for _ in range(self.rng.randint(2, 3)):
            self.getter()
        self.emit("sleep0")
        for _ in range(self.rng.randint(1, 2)):
            self.emit(f"put_nowait {self.item()}")
        self.emit(f"cancel {self.all[first]}")
        if self.rng.random() < 0.3:
            self.emit(f"cancel {self.all[first + 1]}")
        if self.rng.random() < 0.5:
            self.probe()
        self.emit("sleep0")
        self.emit("str")

    def p_pass_on_put(self):
        """The same for putters blocked on a full queue."""
        self.fill()
        first = len(self.all)
        for _ in range(self.rng.randint(2, 3)):
            self.putter()
        self.emit("sleep0")
        for _ in range(self.rng.randint(1, 2)):
            self.emit("get_nowait")
        self.emit(f"cancel {self.all[first]}")
        if self.rng.random() < 0.5:
            self.probe()
        self.emit("sleep0")
        self.emit("str")

    def p_barge(self):
        """A woken getter is robbed by get_nowait before it runs (or a putter's slot
        is taken by put_nowait)."""
        if self.rng.random() < 0.5:
            self.emit(f"put_nowait {self.item()}")
            self.emit("get_nowait")
        else:
            self.emit("get_nowait")
            self.emit(f"put_nowait {self.item()}")
        self.emit("sleep0")

    def p_burst_put(self):
        for _ in range(self.rng.randint(2, 4)):
            self.emit(f"put_nowait {self.item()}")
        if self.rng.random() < 0.5:
            self.probe()
        self.emit("sleep0")

    def p_burst_get(self):
        for _ in range(self.rng.randint(2, 4)):
            self.emit("get_nowait")
        self.emit("sleep0")

    def p_waiters(self):
        for _ in range(self.rng.randint(2, 4)):
            if self.rng.random() < 0.6:
                self.getter()
            else:
                self.putter()
        self.emit("sleep0")

    def p_cancel_unstarted(self):
        if self.rng.random() < 0.5:
            self.getter()
        else:
            self.putter()
        self.cancel([self.all[-1]])
        if self.rng.random() < 0.3:
            self.emit(f"cancel {self.all[-1]}")
        self.emit("sleep0")

    def p_double_cancel(self):
        """A waiting task cancelled twice before it runs: one CancelledError."""
        if not self.all:
            return
        tid = self.rng.choice(self.all[-5:])
        self.emit(f"cancel {tid}")
        if self.rng.random() < 0.3:
            self.probe()
        self.emit(f"cancel {tid}")
        self.emit("sleep0")

    def p_join_cycle(self):
        """task_done down to zero wakes joiners; a put before they run re-arms."""
        self.joiner()
        self.emit("sleep0")
        for _ in range(self.rng.randint(1, 3)):
            self.emit("task_done")
        if self.rng.random() < 0.5:
            self.emit(f"put_nowait {self.item()}")
        self.emit("sleep0")

    def p_shutdown(self):
        if self.rng.random() < 0.5:
            # Blocked putters and getters at the moment of the shutdown.
            self.fill()
            for _ in range(self.rng.randint(1, 3)):
                self.putter() if self.rng.random() < 0.5 else self.getter()
            self.emit("sleep0")
        self.emit("shutdown_immediate" if self.rng.random() < 0.4 else "shutdown")
        self.shut = True
        if self.rng.random() < 0.5:
            self.probe()
        if self.rng.random() < 0.5:
            self.emit("sleep0")

    def script(self):
        rng = self.rng
        kind = rng.choice(KINDS)
        maxsize = rng.choice((0, 1, 1, 2, 2, 3, -1)) if rng.random() < 0.97 else 5
        self.maxsize = maxsize
        self.emit(f"queue {kind} {maxsize}")
        target = rng.randint(5, self.max_ops)
        single = [
            (12, self.getter), (9, self.putter), (3, self.joiner), (2, self.awaiter),
            (1, self.gatherer),
            (10, lambda: self.emit(f"put_nowait {self.item()}")),
            (6, lambda: self.emit("get_nowait")),
            (18, lambda: self.emit("sleep0")),
            (5, self.cancel), (4, lambda: self.emit("task_done")),
            (8, self.probe),
            (5, self.p_wake_cancel), (3, self.p_wake_cancel_putter),
            (3, self.p_barge), (3, self.p_burst_put), (2, self.p_burst_get),
            (4, self.p_waiters), (2, self.p_cancel_unstarted), (2, self.p_join_cycle),
            (3, self.p_pass_on), (2, self.p_pass_on_put), (1, self.p_shutdown),
            (1, self.p_double_cancel),
        ]
        weights = [w for w, _ in single]
        actions = [a for _, a in single]
        while len(self.lines) - 1 < target:
            action = rng.choices(actions, weights)[0]
            if action == self.p_shutdown and self.shut and rng.random() < 0.8:
                continue
            action()
        if rng.random() < 0.5:
            self.emit("str")
        return self.lines


TASK_OPS = ("getter", "putter", "joiner", "worker", "producer", "waitget",
            "stubborn", "awaiter", "gatherer", "gettask", "puttask", "jointask")


def drop(script, excluded):
    """Removes the lines whose operation (or "waitget 0"-style operation with its
    first argument) is in `excluded`, with every line naming a task they created."""
    gone, out = set(), []
    for line in script:
        w = line.split()
        if w[0] in excluded or " ".join(w[:1] + w[2:3]) in excluded:
            if w[0] in TASK_OPS:
                gone.add(w[1])
            continue
        if (w[0] in ("cancel", "state") and w[1:2] and w[1] in gone
                or w[0] in ("awaiter", "gatherer") and gone.intersection(w[2:])):
            if w[0] in ("awaiter", "gatherer"):
                gone.add(w[1])
            continue
        out.append(line)
    return out


def generate(seed, count, max_ops=60, waitget=True, exclude=()):
    """Returns a list of `count` scripts (each a list of lines) for `seed`.
    `exclude` (operations, or "waitget 0") is for triage only: it narrows what the
    scripts test."""
    rng = random.Random(seed)
    scripts = [Gen(rng, max_ops, waitget).script() for _ in range(count)]
    if exclude:
        scripts = [drop(s, set(exclude)) for s in scripts]
    return scripts


def render(scripts):
    return "---\n".join("\n".join(s) + "\n" for s in scripts)


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    max_ops = 60
    for a in argv[1:]:
        if a.startswith("--max-ops="):
            max_ops = int(a.split("=", 1)[1])
    sys.stdout.write(render(generate(int(args[0]), int(args[1]), max_ops,
                                     "--no-waitget" not in argv)))


if __name__ == "__main__":
    main(sys.argv)
