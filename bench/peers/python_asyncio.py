"""CPython asyncio.Queue peer for the benchmark workloads (see bench/README.md).

Usage: python3 python_asyncio.py [W1 W2 ...]       timing workloads (default: all)
       python3 python_asyncio.py --mem queue|getters  one memory workload (own process)

Prints one line per metric: "RESULT <name> <value> <unit>", and "CHECK <name> <sum>"
so that the runner can compare the work done with the other implementations.
"""

import asyncio
import resource
import sys
import time

N = 1_000_000            # W1, W2, W3 (total), W4, W6, W7 queued ints
W5_WAITERS = 100_000     # W5 and W7 getters
BOUNDED = 1024           # W1, W3 maxsize
PRODUCERS = CONSUMERS = 4
MASK64 = (1 << 64) - 1


def lcg_values(n):
    """The same pseudo-random ints as every other implementation (64-bit LCG, top 31 bits)."""
    x = 42
    out = [0] * n
    for i in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK64
        out[i] = x >> 33
    return out


class Stopwatch:
    """CPU time of the process (what the table reports: on a shared machine the wall clock also
    counts other jobs' turns on the core) and wall time."""

    def __init__(self):
        self.start()

    def start(self):
        self.cpu0, self.wall0 = time.process_time_ns(), time.perf_counter_ns()

    def stop(self):
        self.wall1, self.cpu1 = time.perf_counter_ns(), time.process_time_ns()


def report(name, sw, items, check):
    print(f"RESULT {name} {(sw.cpu1 - sw.cpu0) / items:.3f} ns/item", flush=True)
    print(f"RESULT {name}_wall {(sw.wall1 - sw.wall0) / items:.3f} ns/item", flush=True)
    print(f"CHECK {name} {check}", flush=True)


async def w1():
    q = asyncio.Queue(BOUNDED)
    s = 0
    sw = Stopwatch()
    for i in range(N):
        q.put_nowait(i)
        s += q.get_nowait()
    sw.stop()
    report("W1", sw, N, s)


async def w2():
    q = asyncio.Queue(1)
    s = 0

    async def producer():
        for i in range(N):
            await q.put(i)

    async def consumer():
        nonlocal s
        for _ in range(N):
            v = await q.get()
            s += v

    sw = Stopwatch()
    p = asyncio.create_task(producer())
    c = asyncio.create_task(consumer())
    await p
    await c
    sw.stop()
    report("W2", sw, N, s)


async def w3():
    q = asyncio.Queue(BOUNDED)
    per = N // PRODUCERS
    s = 0

    async def producer():
        for i in range(per):
            await q.put(i)

    async def consumer():
        nonlocal s
        while True:
            v = await q.get()
            s += v
            q.task_done()

    sw = Stopwatch()
    consumers = [asyncio.create_task(consumer()) for _ in range(CONSUMERS)]
    producers = [asyncio.create_task(producer()) for _ in range(PRODUCERS)]
    for p in producers:
        await p
    await q.join()
    sw.stop()
    for c in consumers:
        c.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    report("W3", sw, per * PRODUCERS, s)


async def w4():
    q = asyncio.Queue()
    s = 0

    async def producer():
        for i in range(N):
            q.put_nowait(i)
            await asyncio.sleep(0)

    async def consumer():
        nonlocal s
        for _ in range(N):
            v = await q.get()
            s += v

    sw = Stopwatch()
    p = asyncio.create_task(producer())
    c = asyncio.create_task(consumer())
    await p
    await c
    sw.stop()
    report("W4", sw, N, s)


async def w5(waiters, name):
    """W5: `waiters` tasks blocked in get(); W5_WAITERS items put one by one, each followed
    by sleep(0), until every item was taken. With 1 waiter, one task loops on get()."""
    q = asyncio.Queue()
    s = 0
    per_task = W5_WAITERS // waiters

    async def getter():
        nonlocal s
        for _ in range(per_task):
            v = await q.get()
            s += v

    tasks = [asyncio.create_task(getter()) for _ in range(waiters)]
    await asyncio.sleep(0)  # every getter runs to its get() and blocks
    sw = Stopwatch()
    for i in range(W5_WAITERS):
        q.put_nowait(i)
        await asyncio.sleep(0)
    for t in tasks:
        await t
    sw.stop()
    report(name, sw, W5_WAITERS, s)


async def w6():
    values = lcg_values(N)
    q = asyncio.PriorityQueue()
    s = 0
    prev = -1
    ordered = 1
    sw = Stopwatch()
    for v in values:
        q.put_nowait(v)
    for _ in range(N):
        v = q.get_nowait()
        if v < prev:
            ordered = 0
        prev = v
        s += v
    sw.stop()
    report("W6", sw, N, s * ordered)


def maxrss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def mem_queue():
    q = asyncio.Queue()
    before = maxrss_bytes()
    for i in range(N):
        q.put_nowait(i)
    after = maxrss_bytes()
    print(f"RESULT W7_queue {(after - before) / N:.3f} bytes/item", flush=True)
    print(f"RESULT W7_queue_peak_rss {after} bytes", flush=True)


async def mem_getters():
    q = asyncio.Queue()
    before = maxrss_bytes()
    tasks = [asyncio.create_task(q.get()) for _ in range(W5_WAITERS)]
    await asyncio.sleep(0)
    after = maxrss_bytes()
    print(f"RESULT W7_getter {(after - before) / W5_WAITERS:.3f} bytes/task", flush=True)
    for i in range(W5_WAITERS):
        q.put_nowait(i)
    await asyncio.gather(*tasks)


WORKLOADS = {
    "W1": w1,
    "W2": w2,
    "W3": w3,
    "W4": w4,
    "W5": lambda: w5(W5_WAITERS, "W5_100k"),
    "W5_1": lambda: w5(1, "W5_1"),
    "W6": w6,
}


def main(argv):
    if len(argv) >= 2 and argv[0] == "--mem":
        asyncio.run({"queue": mem_queue, "getters": mem_getters}[argv[1]]())
        return
    for name in argv or list(WORKLOADS):
        asyncio.run(WORKLOADS[name]())


if __name__ == "__main__":
    main(sys.argv[1:])
