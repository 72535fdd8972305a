"""CPython asyncio (and uvloop) peer for the loop workloads W9-W11 (see bench/README.md).

Usage: python3 python_io.py [--uvloop] [W9 W10 W11]   (default: all three)

  W9   call_soon_threadsafe from a second thread: it posts N callbacks, each checks its index
       and counts; the loop runs until the count reaches N.
  W10  to_thread round trips: N sequential `await asyncio.to_thread(fn, i)` (one warm-up call
       first, outside the timing: the executor starts its thread).
  W11  ping-pong of one byte over a socketpair through add_reader: a reader on each end reads
       the byte and writes it back; one round trip is a -> b -> a.

--uvloop runs the same code on uvloop's loop (uvloop.new_event_loop()).
Prints "RESULT <name> <CPU ns per item> ns/item", "RESULT <name>_wall ...", and
"CHECK <name>/n=<N> <sum>": the counts differ between the C++ programs and Python (CPython
needs a microsecond or more per item), so checks compare like with like.
"""

import asyncio
import socket
import sys
import threading
import time

W9_N = 100_000    # the C++ programs post 1,000,000
W10_N = 10_000    # the C++ programs make 100,000 round trips
W11_N = 100_000   # the same count as the C++ programs


class Stopwatch:
    """CPU time of the process, every thread (what the table reports), and wall time."""

    def __init__(self):
        self.start()

    def start(self):
        self.cpu0, self.wall0 = time.process_time_ns(), time.perf_counter_ns()

    def stop(self):
        self.wall1, self.cpu1 = time.perf_counter_ns(), time.process_time_ns()


def report(name, sw, items, check):
    print(f"RESULT {name} {(sw.cpu1 - sw.cpu0) / items:.3f} ns/item", flush=True)
    print(f"RESULT {name}_wall {(sw.wall1 - sw.wall0) / items:.3f} ns/item", flush=True)
    print(f"CHECK {name}/n={items} {check}", flush=True)


async def w9():
    n = W9_N
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    count = 0
    total = 0
    ordered = 1

    def callback(i):
        nonlocal count, total, ordered
        if i != count:
            ordered = 0
        count += 1
        total += i
        if count == n:
            done.set_result(None)

    def poster():
        post = loop.call_soon_threadsafe
        for i in range(n):
            post(callback, i)

    sw = Stopwatch()
    thread = threading.Thread(target=poster)
    thread.start()
    await done
    sw.stop()
    thread.join()
    report("W9", sw, n, total * ordered)


def plus_one(i):
    return i + 1


async def w10():
    n = W10_N
    await asyncio.to_thread(plus_one, -1)  # warm-up: the default executor starts its thread
    total = 0
    sw = Stopwatch()
    for i in range(n):
        total += await asyncio.to_thread(plus_one, i)
    sw.stop()
    report("W10", sw, n, total)


async def w11():
    n = W11_N
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    trips = 0
    total = 0

    def on_b():
        b.send(b.recv(1))

    def on_a():
        nonlocal trips, total
        v = a.recv(1)[0]
        if v != trips & 255:
            raise RuntimeError(f"W11: byte {v} at round trip {trips}")
        total += v
        trips += 1
        if trips == n:
            loop.remove_reader(a.fileno())
            loop.remove_reader(b.fileno())
            done.set_result(None)
        else:
            a.send(bytes([trips & 255]))

    sw = Stopwatch()
    loop.add_reader(b.fileno(), on_b)
    loop.add_reader(a.fileno(), on_a)
    a.send(bytes([0]))
    await done
    sw.stop()
    a.close()
    b.close()
    report("W11", sw, n, total)


WORKLOADS = {"W9": w9, "W10": w10, "W11": w11}


def main(argv):
    use_uvloop = bool(argv) and argv[0] == "--uvloop"
    if use_uvloop:
        argv = argv[1:]
        import uvloop  # Debian: python3-uvloop, for the system Python
        new_loop = uvloop.new_event_loop
    else:
        new_loop = asyncio.new_event_loop
    for name in argv or list(WORKLOADS):
        with asyncio.Runner(loop_factory=new_loop) as runner:
            runner.run(WORKLOADS[name]())


if __name__ == "__main__":
    main(sys.argv[1:])
