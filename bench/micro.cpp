// Google Benchmark micro-benchmarks of the library's hot paths. The side-by-side comparison
// with the peers is bench/run (workloads_asyncio.cpp); these isolate single operations for
// profiling and for before/after comparisons of a change:
//   build-bench/cpp/micro --benchmark_filter=PingPong --benchmark_repetitions=5
#include <asyncio/asyncio.hpp>
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace {

using asyncio::Queue;
using asyncio::Task;

// One put_nowait + get_nowait pair on a queue that is never full (W1's operation).
template <class Q>
void put_get_nowait(benchmark::State& state, Q& q) {
    int i = 0;
    for (auto _ : state) {
        q.put_nowait(i++);
        benchmark::DoNotOptimize(q.get_nowait());
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_PutGetNowait_Bounded(benchmark::State& state) {
    Queue<int> q(1024);
    put_get_nowait(state, q);
}
BENCHMARK(BM_PutGetNowait_Bounded);

void BM_PutGetNowait_Unbounded(benchmark::State& state) {
    Queue<int> q;
    put_get_nowait(state, q);
}
BENCHMARK(BM_PutGetNowait_Unbounded);

void BM_PutGetNowait_Lifo(benchmark::State& state) {
    asyncio::LifoQueue<int> q;
    put_get_nowait(state, q);
}
BENCHMARK(BM_PutGetNowait_Lifo);

// Fill to state.range(0) items, then drain: the storage's cost without waiters.
void BM_FillDrain_Unbounded(benchmark::State& state) {
    const auto count = static_cast<int>(state.range(0));
    Queue<int> q;
    for (auto _ : state) {
        for (int i = 0; i < count; ++i) q.put_nowait(i);
        for (int i = 0; i < count; ++i) benchmark::DoNotOptimize(q.get_nowait());
    }
    state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_FillDrain_Unbounded)->Arg(1024)->Arg(1 << 20);

// PriorityQueue: state.range(0) pseudo-random ints put, then got (W6's operation).
void BM_PriorityFillDrain(benchmark::State& state) {
    const auto count = static_cast<int>(state.range(0));
    std::vector<int> values(static_cast<std::size_t>(count));
    std::uint64_t x = 42;
    for (auto& v : values) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        v = static_cast<int>(x >> 33);
    }
    asyncio::PriorityQueue<int> q;
    for (auto _ : state) {
        for (int v : values) q.put_nowait(v);
        for (int i = 0; i < count; ++i) benchmark::DoNotOptimize(q.get_nowait());
    }
    state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_PriorityFillDrain)->Arg(1024)->Arg(1 << 20);

// Ping-pong through Queue(maxsize=1) (W2's operation): each iteration is one item, and a
// wait on both sides.
Task<void> pingpong_consumer(Queue<int>& q, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) benchmark::DoNotOptimize(co_await q.get());
}

Task<void> pingpong(benchmark::State& state) {
    Queue<int> q(1);
    auto c = asyncio::create_task(pingpong_consumer(q, static_cast<std::int64_t>(state.max_iterations)));
    int i = 0;
    for (auto _ : state) co_await q.put(i++);
    co_await c;
}

void BM_PingPong(benchmark::State& state) {
    asyncio::run(pingpong(state));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PingPong);

// One sleep(0): a round trip through the ready queue with no other task.
Task<void> yields(benchmark::State& state) {
    for (auto _ : state) co_await asyncio::sleep(0);
}

void BM_Sleep0(benchmark::State& state) { asyncio::run(yields(state)); }
BENCHMARK(BM_Sleep0);

// Create a task and await it (it runs on the next loop iteration).
Task<int> one() { co_return 1; }

Task<void> create_and_await(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(co_await asyncio::create_task(one()));
}

void BM_CreateTaskAwait(benchmark::State& state) { asyncio::run(create_and_await(state)); }
BENCHMARK(BM_CreateTaskAwait);

// co_await of a lazy Task inside the current task (no scheduling).
Task<void> await_inline(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(co_await one());
}

void BM_AwaitCoroutine(benchmark::State& state) { asyncio::run(await_inline(state)); }
BENCHMARK(BM_AwaitCoroutine);

// put_nowait waking one blocked getter, which takes the item (W5's operation at 1 waiter).
Task<void> wake_one(benchmark::State& state) {
    Queue<int> q;
    auto c = asyncio::create_task(pingpong_consumer(q, static_cast<std::int64_t>(state.max_iterations)));
    co_await asyncio::sleep(0);
    int i = 0;
    for (auto _ : state) {
        q.put_nowait(i++);
        co_await asyncio::sleep(0);
    }
    co_await c;
}

void BM_PutWakeGetter(benchmark::State& state) { asyncio::run(wake_one(state)); }
BENCHMARK(BM_PutWakeGetter);

} // namespace

BENCHMARK_MAIN();
