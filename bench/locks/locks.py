"""The locks family (issue 13) in CPython's asyncio: the twin of bench/locks/locks.cpp.

  L1  Lock acquire + release, uncontended, in one task                       ns per acquire+release
  L2  two tasks contending for one Lock, each looping `async with lock: await sleep(0)`
      (strict alternation: every acquire waits for the other's release)     ns per handover
  L3  Semaphore(10) bounding 1,000 tasks, each `async with sem: await sleep(0)`, gathered;
      repeated                                                              ns per task
  L4  a TaskGroup of 100,000 tasks, each returning its index (one warm-up group first)  ns per task

Usage: python3 bench/locks/locks.py [L1|L2|L3|L4 ...]  ->  "RESULT <L> <CPU ns per item> ns/item",
"RESULT <L>_wall ...", "CHECK <L> <value>" (the format of bench/peers/python_asyncio.py). The
repetition counts are a tenth of the C++ programs' (bench/locks/locks_common.hpp); results are per
item and the CHECK values do not depend on them.
"""

import asyncio
import sys
import time

L1_OPS = 1_000_000
L2_LOOPS = 100_000
L3_BOUND = 10
L3_TASKS = 1_000
L3_REPS = 20
L4_TASKS = 100_000


class Stopwatch:
    def __init__(self):
        self.cpu0, self.wall0 = time.process_time_ns(), time.perf_counter_ns()

    def stop(self):
        self.wall1, self.cpu1 = time.perf_counter_ns(), time.process_time_ns()


def report(name, sw, items, check):
    print(f"RESULT {name} {(sw.cpu1 - sw.cpu0) / items:.3f} ns/item", flush=True)
    print(f"RESULT {name}_wall {(sw.wall1 - sw.wall0) / items:.3f} ns/item", flush=True)
    print(f"CHECK {name} {check}", flush=True)


async def l1():
    lock = asyncio.Lock()
    for _ in range(1000):  # warm-up
        await lock.acquire()
        lock.release()
    ok = 0
    sw = Stopwatch()
    for _ in range(L1_OPS):
        ok += await lock.acquire()
        lock.release()
    sw.stop()
    report("L1", sw, L1_OPS, 1 if ok == L1_OPS and not lock.locked() else 0)


async def l2():
    lock = asyncio.Lock()
    state = {"last": -1, "alternations": 0}

    async def task(me):
        for _ in range(L2_LOOPS):
            async with lock:
                if state["last"] != me:
                    state["alternations"] += 1
                state["last"] = me
                await asyncio.sleep(0)

    sw = Stopwatch()
    await asyncio.gather(asyncio.create_task(task(0)), asyncio.create_task(task(1)))
    sw.stop()
    handovers = 2 * L2_LOOPS
    report("L2", sw, handovers, 1 if state["alternations"] == handovers else 0)


async def l3():
    sem = asyncio.Semaphore(L3_BOUND)
    state = {"inside": 0, "max_inside": 0, "done": 0}

    async def task():
        async with sem:
            state["inside"] += 1
            if state["inside"] > state["max_inside"]:
                state["max_inside"] = state["inside"]
            await asyncio.sleep(0)
            state["inside"] -= 1
            state["done"] += 1

    async def one_round():
        await asyncio.gather(*[asyncio.create_task(task()) for _ in range(L3_TASKS)])

    await one_round()  # warm-up
    state["done"] = 0
    sw = Stopwatch()
    for _ in range(L3_REPS):
        await one_round()
    sw.stop()
    n = L3_TASKS * L3_REPS
    report("L3", sw, n, 1000 * L3_TASKS + state["max_inside"] if state["done"] == n else 0)


async def work(i):
    return i


async def one_group():
    async with asyncio.TaskGroup() as tg:
        handles = [tg.create_task(work(i)) for i in range(L4_TASKS)]
    return sum(t.result() for t in handles)


async def l4():
    await one_group()  # warm-up
    sw = Stopwatch()
    s = await one_group()
    sw.stop()
    report("L4", sw, L4_TASKS, s)


WORKLOADS = {"L1": l1, "L2": l2, "L3": l3, "L4": l4}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(WORKLOADS):
        if name not in WORKLOADS:
            sys.exit(f"unknown workload {name}")
        asyncio.run(WORKLOADS[name]())
