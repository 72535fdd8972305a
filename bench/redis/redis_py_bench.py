#!/usr/bin/env python3
"""The redis-py peer of bench/redis/redis_queue_bench.cpp: the same queue, driven the same way.

    redis_py_bench.py producer|consumer URL NAME COUNT BATCH LUA_HEADER

redis-py's asyncio client (Debian's python3-redis) on CPython's own event loop, calling the very
server-side functions that asyncio::redis::Queue calls (the FUNCTION library in LUA_HEADER,
include/asyncio/detail/redis/scripts.hpp, loaded when the server does not have it yet), with the
same arguments and the same client-side shape:
  put        FCALL aq1_put 7 <keys> maxsize id payload            (id: 128 random bits, hex)
  put_many   FCALL aq1_put 7 <keys> maxsize id1 p1 ... id100 p100
  get        FCALL aq1_get 7 <keys> count lease_ms; when it answers 'empty', XREAD BLOCK on the
             queue's event stream from the id it returned, on a second connection (as ours: a
             blocking read has its own connection), then FCALL again
  task_done  FCALL aq1_ack 7 <keys> id; after a get_many batch, the acks of the batch are sent
             together in one pipeline (transaction=False), as ours sends them at once
Items are ints as decimal text, as codec<std::int64_t> writes them. Prints the same ROLE line
as the C++ program (CPU time of the work: time.process_time_ns; times on CLOCK_MONOTONIC).
"""
import asyncio
import os
import re
import sys
import time

import redis.asyncio as aioredis

LIBRARY = "asyncio_queue_v1"
LEASE_MS = 30000  # Options::visibility_timeout's default, 30 s


def keys_of(name):
    return [f"{{{name}}}:{part}" for part in ("items", "data", "leases", "meta", "dead", "ids", "events")]


def library_code(header):
    text = open(header).read()
    m = re.search(r'R"LUA\((.*?)\)LUA"', text, re.S)
    if not m:
        sys.exit(f"{header}: no R\"LUA(...)LUA\" library found")
    return m.group(1)


async def connect(url, name, header):
    r = aioredis.Redis.from_url(url)
    blocking = aioredis.Redis.from_url(url)
    if not await r.function_list(library=LIBRARY):
        try:
            await r.function_load(library_code(header), replace=False)
        except aioredis.ResponseError as e:  # another process loaded it meanwhile
            if "already exists" not in str(e):
                raise
    keys = keys_of(name)
    await r.fcall("aq1_init", 7, *keys, 0)
    return r, blocking, keys


async def producer(url, name, count, batch, header):
    r, blocking, keys = await connect(url, name, header)
    t0, c0 = time.monotonic_ns(), time.process_time_ns()
    total = 0
    if batch <= 1:
        for i in range(1, count + 1):
            reply = await r.fcall("aq1_put", 7, *keys, 0, os.urandom(16).hex(), str(i))
            if reply[0] != b"ok":
                raise RuntimeError(f"put: {reply}")
            total += i
    else:
        for first in range(1, count + 1, batch):
            args = []
            for i in range(first, min(count, first + batch - 1) + 1):
                args += [os.urandom(16).hex(), str(i)]
                total += i
            reply = await r.fcall("aq1_put", 7, *keys, 0, *args)
            if reply[0] != b"ok" or reply[1] != len(args) // 2:
                raise RuntimeError(f"put_many: {reply}")
    c1, t1 = time.process_time_ns(), time.monotonic_ns()
    await r.close()
    await blocking.close()
    print(f"ROLE producer items {count} cpu_ns {c1 - c0} start_ns {t0} end_ns {t1} sum {total}", flush=True)


async def get_batch(r, blocking, keys, count):
    while True:
        reply = await r.fcall("aq1_get", 7, *keys, count, LEASE_MS)
        status = reply[0]
        if status == b"ok":
            flat = reply[1]
            return [(flat[i], int(flat[i + 1])) for i in range(0, len(flat), 2)]
        if status == b"shutdown":
            raise RuntimeError("queue shut down")
        last, deadline = reply[1], int(reply[2])
        block = deadline if deadline > 0 else 1000
        await blocking.xread({keys[6]: last}, count=1, block=block)


async def consumer(url, name, count, batch, header):
    r, blocking, keys = await connect(url, name, header)
    t0, c0 = time.monotonic_ns(), time.process_time_ns()
    total = got = 0
    if batch <= 1:
        while got < count:
            [(item_id, value)] = await get_batch(r, blocking, keys, 1)
            total += value
            got += 1
            await r.fcall("aq1_ack", 7, *keys, item_id)
    else:
        while got < count:
            items = await get_batch(r, blocking, keys, min(batch, count - got))
            pipe = r.pipeline(transaction=False)
            for item_id, value in items:
                total += value
                pipe.fcall("aq1_ack", 7, *keys, item_id)
            await pipe.execute()
            got += len(items)
    c1, t1 = time.process_time_ns(), time.monotonic_ns()
    await r.close()
    await blocking.close()
    print(f"ROLE consumer items {got} cpu_ns {c1 - c0} start_ns {t0} end_ns {t1} sum {total}", flush=True)


def main():
    if len(sys.argv) != 7 or sys.argv[1] not in ("producer", "consumer"):
        sys.exit(__doc__)
    role, url, name, count, batch, header = sys.argv[1:]
    run = producer if role == "producer" else consumer
    asyncio.run(run(url, name, int(count), int(batch), header))


if __name__ == "__main__":
    main()
