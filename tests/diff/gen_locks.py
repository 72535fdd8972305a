#!/usr/bin/env python3
"""Random `locks` scripts for the differential test (any Python >= 3.8).

Usage: gen_locks.py SEED COUNT [--max-ops=N]
Prints COUNT scripts separated by '---' lines; the same SEED gives the same scripts.

The scripts aim at the interleavings CPython fixed bugs in: a waiter woken by
release() and cancelled before it runs (bpo-27585, gh-90155), a Condition waiter
notified and cancelled before it runs or while it re-acquires the lock (gh-112202,
gh-111693), tasks cancelled twice, cancelled before their first step, barriers filled,
drained, reset and aborted with tasks cancelled among them, releases of what is not
held, and probes (locked, value, repr) everywhere.

The condition's lock is only ever held by tasks that release it (acquirer, stubborn):
Condition.wait() re-acquires the lock even when cancelled, so a lock held for good
would leave its waiters unfinishable and the end of the script (and asyncio.run's
clean-up, in both runners) would hang.
"""

import random
import sys

PRIMS = ("L", "S", "B", "C")


class Gen:
    def __init__(self, rng, max_ops):
        self.rng = rng
        self.max_ops = max_ops
        self.lines = []
        self.n = 0
        self.all = []
        self.on = {p: [] for p in PRIMS}   # tasks that acquire each primitive
        self.cond = []                      # tasks that wait on the condition
        self.barrier = []                   # tasks that wait at the barrier

    def new_id(self, prefix):
        self.n += 1
        tid = f"{prefix}{self.n}"
        self.all.append(tid)
        return tid

    def emit(self, line):
        self.lines.append(line)

    def prim(self):
        return self.rng.choice(PRIMS)

    # ---- single operations -------------------------------------------------
    def acquirer(self, p=None):
        p = p or self.prim()
        r = self.rng.random()
        if p == "C" and r >= 0.55:
            # Nothing keeps the condition's lock for good (a holder or waitacq task
            # would): a cancelled wait() re-acquires it before it raises, so a lock
            # that is never released would hang the script's end in both runners.
            r = 0.8
        if r < 0.55:
            tid = self.new_id("a")
            self.emit(f"acquirer {tid} {p} {self.rng.choice((0, 1, 1, 2))}")
        elif r < 0.75:
            tid = self.new_id("h")
            self.emit(f"holder {tid} {p}")
        elif r < 0.9:
            tid = self.new_id("s")
            self.emit(f"stubborn {tid} {p}")
        else:
            tid = self.new_id("q")
            self.emit(f"waitacq {tid} {p} {self.rng.choice((0, 3600, 3600))}")
        self.on[p].append(tid)

    def cond_task(self):
        r = self.rng.random()
        if r < 0.3:
            tid = self.new_id("w")
            self.emit(f"waiter {tid}")
            self.cond.append(tid)
        elif r < 0.55:
            tid = self.new_id("f")
            self.emit(f"waitfor {tid}")
            self.cond.append(tid)
        elif r < 0.75:
            self.emit(f"producer {self.new_id('p')}")
        elif r < 0.92:
            self.emit(f"notifier {self.new_id('n')} {self.rng.choice((-1, 0, 1, 1, 2, 3))}")
        else:
            self.emit(f"notifyall {self.new_id('m')}")

    def barrier_task(self):
        r = self.rng.random()
        if r < 0.85:
            tid = self.new_id("b")
            self.emit(f"barrier {tid}")
            self.barrier.append(tid)
        elif r < 0.95:
            self.emit(f"resetter {self.new_id('r')}")
        else:
            self.emit(f"aborter {self.new_id('x')}")

    def cancel(self, pool=None):
        pool = pool if pool is not None else self.all
        if not pool:
            return
        idx = min(int(self.rng.expovariate(0.8)), len(pool) - 1)
        tid = pool[idx] if self.rng.random() < 0.7 else pool[-1 - idx]
        self.emit(f"cancel {tid}")

    def probe(self):
        r = self.rng.random()
        if r < 0.45:
            self.emit(f"repr {self.rng.choice(PRIMS + ('R',))}")
        elif r < 0.65:
            self.emit(f"locked {self.prim()}")
        elif r < 0.8:
            self.emit(f"value {self.rng.choice(('S', 'B'))}")
        elif r < 0.87:
            self.emit("n_waiting")
        elif r < 0.9:
            self.emit("broken")
        elif self.all:
            self.emit(f"state {self.rng.choice(self.all)}")
        else:
            self.emit("repr L")

    def driver_release(self):
        self.emit(f"release {self.prim()}")

    def driver_notify(self):
        if self.rng.random() < 0.7:
            self.emit(f"notify {self.rng.choice((0, 1, 2))}")
        else:
            self.emit("notify_all")

    # ---- patterns ----------------------------------------------------------
    def p_wake_cancel(self):
        """Waiters on one primitive; release wakes the first; cancel it before it runs
        (or just before the release): the wake-up must go on (bpo-27585, gh-90155)."""
        p = self.rng.choice(("L", "S", "B", "C"))
        if p == "C":
            self.emit(f"acquirer {self.new_id('a')} C 1")
        else:
            self.emit(f"holder {self.new_id('h')} {p}")
        for _ in range(self.rng.randint(2, 3)):
            self.acquirer(p)
        self.emit("sleep0")
        if self.rng.random() < 0.5:
            self.emit(f"release {p}")
            self.cancel(self.on[p][-3:])
        else:
            self.cancel(self.on[p][-3:])
            self.emit(f"release {p}")
        if self.rng.random() < 0.5:
            self.emit(f"repr {p}")
        self.emit("sleep0")
        if self.rng.random() < 0.5:
            self.emit(f"repr {p}")

    def p_sem_burst(self):
        """Several releases at once wake several semaphore waiters; some cancelled."""
        p = self.rng.choice(("S", "B"))
        for _ in range(self.rng.randint(2, 4)):
            self.acquirer(p)
        self.emit("sleep0")
        for _ in range(self.rng.randint(1, 3)):
            self.emit(f"release {p}")
        if self.rng.random() < 0.6:
            self.cancel(self.on[p][-4:])
        self.emit(f"value {p}")
        self.emit("sleep0")
        self.emit(f"repr {p}")

    def p_sem_fifo(self):
        """A waiter is woken by a release; more releases and new acquirers come before
        it runs: they queue behind it (FIFO), and its successful acquire must wake as
        many of them as there are units (test_acquire_fifo_order_4)."""
        p = self.rng.choice(("S", "B"))
        for _ in range(self.rng.randint(2, 4)):   # take the units; the last ones wait
            tid = self.new_id("h")
            self.emit(f"holder {tid} {p}")
            self.on[p].append(tid)
        self.emit("sleep0")
        for _ in range(self.rng.randint(1, 3)):
            self.emit(f"release {p}")
        for _ in range(self.rng.randint(1, 3)):
            self.acquirer(p)
        if self.rng.random() < 0.5:
            self.emit(f"locked {p}")
        self.emit("sleep0")
        self.emit(f"value {p}")
        self.emit(f"repr {p}")
        self.emit("sleep0")

    def p_notify_cancel(self):
        """Condition waiters; a notify wakes one; it is cancelled before it runs
        (gh-112202) or while it re-acquires the lock (gh-111693)."""
        for _ in range(self.rng.randint(1, 3)):
            tid = self.new_id(self.rng.choice("wf"))
            self.emit(("waiter " if tid[0] == "w" else "waitfor ") + tid)
            self.cond.append(tid)
        self.emit("sleep0")
        if self.rng.random() < 0.5:
            self.emit(f"producer {self.new_id('p')}")
        else:
            self.emit(f"notifier {self.new_id('n')} {self.rng.choice((1, 2))}")
        if self.rng.random() < 0.5:
            # Hold the lock for a while so that the notified task has to wait for it.
            self.emit(f"acquirer {self.new_id('a')} C {self.rng.randint(1, 2)}")
        self.emit("sleep0")
        self.cancel(self.cond[-3:])
        if self.rng.random() < 0.4:
            self.emit("sleep0")
            self.cancel(self.cond[-3:])
        self.emit("repr C")
        self.emit("sleep0")

    def p_barrier(self, parties):
        """Fill the barrier (with sleeps between arrivals), cancel or reset among them."""
        for _ in range(self.rng.randint(1, parties + 1)):
            tid = self.new_id("b")
            self.emit(f"barrier {tid}")
            self.barrier.append(tid)
            if self.rng.random() < 0.5:
                self.emit("sleep0")
        r = self.rng.random()
        if r < 0.3:
            self.cancel(self.barrier[-3:])
        elif r < 0.45:
            self.emit(f"resetter {self.new_id('r')}")
        elif r < 0.5:
            self.emit(f"aborter {self.new_id('x')}")
        self.emit("n_waiting")
        self.emit("sleep0")
        self.emit("repr R")

    def p_double_cancel(self):
        if not self.all:
            return
        tid = self.rng.choice(self.all[-5:])
        self.emit(f"cancel {tid}")
        if self.rng.random() < 0.3:
            self.emit("sleep0")
        self.emit(f"cancel {tid}")
        self.emit("sleep0")

    def p_cancel_unstarted(self):
        if self.rng.random() < 0.5:
            self.acquirer()
        else:
            self.cond_task()
        self.emit(f"cancel {self.all[-1]}")
        self.emit("sleep0")

    def script(self):
        rng = self.rng
        sem = rng.choice((0, 1, 1, 2, 3))
        bsem = rng.choice((0, 1, 1, 2, 3))
        parties = rng.choice((1, 2, 2, 3, 3, 4))
        self.emit(f"locks {sem} {bsem} {parties}")
        target = rng.randint(5, self.max_ops)
        single = [
            (12, self.acquirer), (8, self.cond_task), (4, self.barrier_task),
            (16, lambda: self.emit("sleep0")), (6, self.cancel), (5, self.driver_release),
            (2, self.driver_notify), (8, self.probe),
            (5, self.p_wake_cancel), (2, self.p_sem_burst), (2, self.p_sem_fifo),
            (4, self.p_notify_cancel),
            (2, lambda: self.p_barrier(parties)), (1, self.p_double_cancel),
            (1, self.p_cancel_unstarted),
        ]
        weights = [w for w, _ in single]
        actions = [a for _, a in single]
        while len(self.lines) - 1 < target:
            rng.choices(actions, weights)[0]()
        return self.lines


def generate(seed, count, max_ops=60):
    rng = random.Random(seed)
    return [Gen(rng, max_ops).script() for _ in range(count)]


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
    sys.stdout.write(render(generate(int(args[0]), int(args[1]), max_ops)))


if __name__ == "__main__":
    main(sys.argv)
