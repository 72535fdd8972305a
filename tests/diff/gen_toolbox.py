#!/usr/bin/env python3
"""Random `toolbox` scripts for the differential test (any Python >= 3.8).

Usage: gen_toolbox.py SEED COUNT [--max-ops=N]
Prints COUNT scripts separated by '---' lines; the same SEED gives the same scripts.

The scripts nest TaskGroups, timeouts (0: due at once, 1000: never due in a run) and
shields, with children that return, raise or swallow one cancellation after a number
of sleep(0)s, and top-level tasks that wait / as_completed / shield others; the
driver cancels tasks after k loop iterations. Nothing depends on the machine's speed.
"""

import random
import sys

MAX_OPS = 25


class Gen:
    def __init__(self, rng, max_ops):
        self.rng = rng
        self.max_ops = max_ops
        self.lines = []
        self.n = 0
        self.all = []

    def new_id(self, prefix):
        self.n += 1
        tid = f"{prefix}{self.n}"
        self.all.append(tid)
        return tid

    def leaf(self):
        r = self.rng.random()
        k = self.rng.choice((0, 1, 1, 2, 3))
        if r < 0.6:
            return f"{k}:{self.rng.randint(1, 9)}"
        if r < 0.85:
            return f"{k}:x"
        return f"{max(k, 1)}:c"

    def work(self, depth=0):
        r = self.rng.random()
        if depth >= 3 or r < 0.4:
            return self.leaf()
        if r < 0.7:
            kids = " ".join(self.work(depth + 1) for _ in range(self.rng.randint(0, 3)))
            if self.rng.random() < 0.2:   # children created after the body's sleeps
                kids += " | " + " ".join(self.work(depth + 1) for _ in range(self.rng.randint(1, 2)))
            r = self.rng.random()
            end = "x" if r < 0.2 else "c" if r < 0.35 else "ok"
            return f"[ {self.rng.choice((0, 0, 1, 2, 3))} {end} {kids} ]".replace("  ", " ")
        if r < 0.9:
            r = self.rng.random()
            if r < 0.3:
                return f"{{ ~ {self.rng.choice((0, 1, 2, 3))} {self.work(depth + 1)} }}"
            at = "@ " if r < 0.5 else ""
            return f"{{ {at}{self.rng.choice((0, 1000))} {self.work(depth + 1)} }}"
        return f"< {self.work(depth + 1)} >"

    def targets(self, pool, lo=1):
        k = min(len(pool), self.rng.randint(lo, 3))
        return self.rng.sample(pool, k)

    def step(self):
        r = self.rng.random()
        tops = [t for t in self.all]
        if r < 0.3 or not tops:
            self.lines.append(f"task {self.new_id('t')} {self.work()}")
        elif r < 0.4:
            mode = self.rng.choice(("all", "first", "exc"))
            tmo = self.rng.choice(("none", "none", "0", "1000"))
            tg = " ".join(self.targets(tops))
            self.lines.append(f"wait {self.new_id('w')} {tmo} {mode} {tg}")
        elif r < 0.47:
            tmo = self.rng.choice(("none", "none", "0", "1000"))
            tg = " ".join(self.targets(tops))
            self.lines.append(f"ascomp {self.new_id('a')} {tmo} {tg}")
        elif r < 0.52:
            self.lines.append(f"shield {self.new_id('s')} {self.rng.choice(tops)}")
        elif r < 0.75:
            self.lines.append("sleep0")
        elif r < 0.9:
            idx = min(int(self.rng.expovariate(0.7)), len(tops) - 1)
            self.lines.append(f"cancel {tops[-1 - idx]}")
        elif r < 0.96:
            self.lines.append(f"state {self.rng.choice(tops)}")
        else:
            self.lines.append(f"cancelling {self.rng.choice(tops)}")

    def script(self):
        self.lines.append("toolbox")
        for _ in range(self.rng.randint(3, self.max_ops)):
            self.step()
        return self.lines


def generate(seed, count, max_ops=MAX_OPS):
    rng = random.Random(seed * 1000003 + 7)
    return [Gen(rng, max_ops).script() for _ in range(count)]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    max_ops = 25
    for a in sys.argv[1:]:
        if a.startswith("--max-ops="):
            max_ops = int(a.split("=", 1)[1])
    if len(args) != 2:
        sys.exit(__doc__)
    scripts = generate(int(args[0]), int(args[1]), max_ops)
    print("\n---\n".join("\n".join(s) for s in scripts))


if __name__ == "__main__":
    main()
