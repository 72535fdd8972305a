"""CPython peer of the thread-safe queue workloads T1-T5 (see bench/threads/README.md).

The standard library has no queue with both faces, so this is what a CPython program does
without janus: a queue.Queue (its own lock and conditions) holds the items and blocks the
threads; a task of a loop uses its non-blocking calls and, when it must wait, parks on a Future
of its loop that the other side resolves with loop.call_soon_threadsafe (the only thread-safe
door into a loop). Every put and every get looks, after acting, for a parked task on the other
side and wakes it (once per parking: a flag in the waiter). Under the GIL the order "publish the
waiter, then re-check the queue" on the waiting side and "act, then look for a waiter" on the
other cannot lose a wake-up; only the waiting task clears its own slot.

  T1  one thread -> one loop, maxsize 1024      T2  one loop -> one thread
  T3  thread -> thread (queue.Queue only)       T4  two loops on two threads, ping-pong, maxsize 1
  T5  4 producer threads -> 1 loop

CPython needs microseconds per item: it moves 100,000 items (T4: 10,000 round trips); results
are per item, and the checks carry the count.

Usage: python3 python_threads.py [T1 T2 T3 T4 T5]. Prints "RESULT" and "CHECK" lines.
"""

import asyncio
import queue
import sys
import threading
import time

N = 100_000
T4_N = 10_000
CAPACITY = 1024
T5_PRODUCERS = 4


def _wake(fut):
    if not fut.done():
        fut.set_result(None)


class Bridge:
    """queue.Queue plus one parked getter task and one parked putter task."""

    def __init__(self, maxsize):
        self.q = queue.Queue(maxsize)
        self.getter = None  # [loop, future, posted] of a task waiting for an item
        self.putter = None  # [loop, future, posted] of a task waiting for a free slot

    @staticmethod
    def _post(w):
        if w is not None and not w[2]:
            w[2] = True  # two wakers may both post: harmless, _wake checks
            w[0].call_soon_threadsafe(_wake, w[1])

    def _wake_getter(self):
        self._post(self.getter)

    def _wake_putter(self):
        self._post(self.putter)

    # the blocking face
    def put(self, item):
        self.q.put(item)
        self._wake_getter()

    def get(self):
        item = self.q.get()
        self._wake_putter()
        return item

    # the awaitable face
    async def async_put(self, item):
        while True:
            try:
                self.q.put_nowait(item)
            except queue.Full:
                loop = asyncio.get_running_loop()
                fut = loop.create_future()
                self.putter = [loop, fut, False]
                if not self.q.full():
                    self.putter = None
                    continue
                await fut
                self.putter = None
                continue
            self._wake_getter()
            return

    async def async_get(self):
        while True:
            try:
                item = self.q.get_nowait()
            except queue.Empty:
                loop = asyncio.get_running_loop()
                fut = loop.create_future()
                self.getter = [loop, fut, False]
                if not self.q.empty():
                    self.getter = None
                    continue
                await fut
                self.getter = None
                continue
            self._wake_putter()
            return item


class Stopwatch:
    def __init__(self):
        self.cpu0 = time.process_time_ns()
        self.wall0 = time.perf_counter_ns()

    def report(self, name, items, check):
        wall = time.perf_counter_ns() - self.wall0
        cpu = time.process_time_ns() - self.cpu0
        print(f"RESULT {name} {cpu / items:.3f} ns/item")
        print(f"RESULT {name}_wall {wall / items:.3f} ns/item")
        print(f"CHECK {name}/n={items} {check}", flush=True)


def t1():
    sw = Stopwatch()
    b = Bridge(CAPACITY)

    def produce():
        for i in range(N):
            b.put(i)

    async def consume():
        s = 0
        for _ in range(N):
            s += await b.async_get()
        return s

    t = threading.Thread(target=produce)
    t.start()
    s = asyncio.run(consume())
    t.join()
    sw.report("T1", N, s)


def t2():
    sw = Stopwatch()
    b = Bridge(CAPACITY)
    result = []

    def consume():
        s = 0
        for _ in range(N):
            s += b.get()
        result.append(s)

    async def produce():
        for i in range(N):
            await b.async_put(i)

    t = threading.Thread(target=consume)
    t.start()
    asyncio.run(produce())
    t.join()
    sw.report("T2", N, result[0])


def t3():
    sw = Stopwatch()
    q = queue.Queue(CAPACITY)
    result = []

    def consume():
        s = 0
        for _ in range(N):
            s += q.get()
        result.append(s)

    t = threading.Thread(target=consume)
    t.start()
    for i in range(N):
        q.put(i)
    t.join()
    sw.report("T3", N, result[0])


def t4():
    sw = Stopwatch()
    ping, pong = Bridge(1), Bridge(1)

    async def ponger():
        for _ in range(T4_N):
            v = await ping.async_get()
            await pong.async_put(v)

    async def pinger():
        s = 0
        for i in range(T4_N):
            await ping.async_put(i)
            v = await pong.async_get()
            if v != i:
                raise RuntimeError("T4: wrong item")
            s += v
        return s

    t = threading.Thread(target=lambda: asyncio.run(ponger()))
    t.start()
    s = asyncio.run(pinger())
    t.join()
    sw.report("T4", T4_N, s)


def t5():
    sw = Stopwatch()
    b = Bridge(CAPACITY)

    def produce(p):
        for i in range(p, N, T5_PRODUCERS):
            b.put(i)

    async def consume():
        s = 0
        for _ in range(N):
            s += await b.async_get()
        return s

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(T5_PRODUCERS)]
    for t in threads:
        t.start()
    s = asyncio.run(consume())
    for t in threads:
        t.join()
    sw.report("T5", N, s)


WORKLOADS = {"T1": t1, "T2": t2, "T3": t3, "T4": t4, "T5": t5}

if __name__ == "__main__":
    names = sys.argv[1:] or list(WORKLOADS)
    for name in names:
        if name not in WORKLOADS:
            sys.exit(f"unknown workload {name}")
        WORKLOADS[name]()
