// bench/redis/redis_queue_bench.cpp - one client process of the Redis queue benchmarks R1-R3
// (bench/redis/run starts the producers and consumers as processes of their own, all on one
// asyncio::redis::Queue<std::int64_t> in one redis-server on loopback).
//
//   redis_queue_bench producer URL NAME COUNT BATCH
//       puts COUNT items: put() one at a time (BATCH 1) or put_many() of BATCH items.
//   redis_queue_bench consumer URL NAME COUNT BATCH
//       gets COUNT items and acknowledges each: get() + task_done() one at a time (BATCH 1), or
//       get_many(BATCH) and then one task_done() per item got, all of them at once from as
//       many tasks (they are pipelined on the handle's connection).
//
// Each prints one line after the work:
//   ROLE <role> items <n> cpu_ns <CPU time of the work> start_ns <t0> end_ns <t1> sum <checksum>
// with t0/t1 on CLOCK_MONOTONIC (shared by the processes of the machine): the run script takes
// items / (last end - first start) as the rate, and the sum of the processes' CPU time per
// item as the client CPU per item. The timing starts after connect().
#include <asyncio/redis.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Queue = asyncio::redis::Queue<std::int64_t>;

std::int64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Span {
    std::int64_t cpu0 = 0, wall0 = 0, cpu1 = 0, wall1 = 0;
    void start() {
        wall0 = clock_ns(CLOCK_MONOTONIC);
        cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    }
    void stop() {
        cpu1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
        wall1 = clock_ns(CLOCK_MONOTONIC);
    }
};

void print(const char* role, std::int64_t items, const Span& s, std::int64_t sum) {
    std::printf("ROLE %s items %lld cpu_ns %lld start_ns %lld end_ns %lld sum %lld\n", role, static_cast<long long>(items),
                static_cast<long long>(s.cpu1 - s.cpu0), static_cast<long long>(s.wall0),
                static_cast<long long>(s.wall1), static_cast<long long>(sum));
    std::fflush(stdout);
}

asyncio::Task<> producer(std::string url, std::string name, std::int64_t count, std::int64_t batch) {
    Queue q = co_await Queue::connect(url, name);
    Span span;
    span.start();
    std::int64_t sum = 0;
    if (batch <= 1) {
        for (std::int64_t i = 1; i <= count; ++i) {
            co_await q.put(i);
            sum += i;
        }
    } else {
        std::vector<std::int64_t> items;
        for (std::int64_t i = 1; i <= count; i += batch) {
            items.clear();
            for (std::int64_t j = i; j <= count && j < i + batch; ++j) {
                items.push_back(j);
                sum += j;
            }
            co_await q.put_many(items);
        }
    }
    span.stop();
    co_await q.close();
    print("producer", count, span, sum);
}

asyncio::Task<> ack(Queue& q) { co_await q.task_done(); }

asyncio::Task<> consumer(std::string url, std::string name, std::int64_t count, std::int64_t batch) {
    Queue q = co_await Queue::connect(url, name);
    Span span;
    span.start();
    std::int64_t sum = 0, got = 0;
    if (batch <= 1) {
        for (; got < count; ++got) {
            sum += co_await q.get();
            co_await q.task_done();
        }
    } else {
        while (got < count) {
            const auto want = static_cast<std::size_t>(std::min<std::int64_t>(batch, count - got));
            std::vector<std::int64_t> items = co_await q.get_many(want);
            std::vector<asyncio::Task<>> acks;
            for (std::int64_t v : items) {
                sum += v;
                acks.push_back(asyncio::create_task(ack(q)));
            }
            got += static_cast<std::int64_t>(items.size());
            for (auto& a : acks) co_await a;
        }
    }
    span.stop();
    co_await q.close();
    print("consumer", got, span, sum);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6 || (std::strcmp(argv[1], "producer") != 0 && std::strcmp(argv[1], "consumer") != 0)) {
        std::fprintf(stderr, "usage: redis_queue_bench producer|consumer URL NAME COUNT BATCH\n");
        return 2;
    }
    try {
        const std::int64_t count = std::atoll(argv[4]), batch = std::atoll(argv[5]);
        if (count < 1 || batch < 1) throw std::invalid_argument("COUNT and BATCH must be >= 1");
        if (std::strcmp(argv[1], "producer") == 0) asyncio::run(producer(argv[2], argv[3], count, batch));
        else asyncio::run(consumer(argv[2], argv[3], count, batch));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "redis_queue_bench %s: %s\n", argv[1], e.what());
        return 1;
    }
    return 0;
}
