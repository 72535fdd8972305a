"""L4 (issue 13), CPython's twin of bench/l4_taskgroup.cpp: a TaskGroup of 100,000 tasks, each
returning its index; the group waits for all of them. One warm-up group, then the measured one.

Usage: python3 bench/l4_taskgroup.py   ->  "RESULT L4 <CPU ns per task> ns/item", "RESULT L4_wall
...", "CHECK L4 <sum>" (the format of bench/peers/python_asyncio.py).
"""

import asyncio
import time

TASKS = 100_000


async def work(i):
    return i


async def one_group():
    async with asyncio.TaskGroup() as tg:
        handles = [tg.create_task(work(i)) for i in range(TASKS)]
    return sum(t.result() for t in handles)


async def l4():
    await one_group()  # warm-up
    cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
    s = await one_group()
    wall1, cpu1 = time.perf_counter_ns(), time.process_time_ns()
    print(f"RESULT L4 {(cpu1 - cpu0) / TASKS:.3f} ns/item", flush=True)
    print(f"RESULT L4_wall {(wall1 - wall0) / TASKS:.3f} ns/item", flush=True)
    print(f"CHECK L4 {s}", flush=True)


if __name__ == "__main__":
    asyncio.run(l4())
