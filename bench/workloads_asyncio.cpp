// The benchmark workloads W1-W7 on this library (see bench/README.md for what each one is).
//
// Usage: workloads_asyncio [W1 W2 ...]             timing workloads (default: all, in order)
//        workloads_asyncio --mem queue|getters     one memory workload (run in its own process)
//
// Prints "RESULT <name> <value> <unit>" (ns per item, allocations per item, bytes) and
// "CHECK <name> <sum>" lines; bench/run compares the checks across implementations.
// Heap allocations are counted by the replacement operator new of alloc_counter.hpp.
#include <asyncio/asyncio.hpp>

#include <string>
#include <type_traits>
#include <vector>

#include "alloc_counter.hpp"
#include "common.hpp"

namespace {

using asyncio::Queue;
using asyncio::Task;

struct AllocWindow {
    unsigned long long start = bench::allocation_count();
    void report(const char* name, long long items) const {
        bench::report_value(name, double(bench::allocation_count() - start) / double(items), "allocs/item");
    }
};

// W1: put_nowait + get_nowait pairs on one Queue(maxsize=1024).
Task<void> w1() {
    Queue<int> q(bench::bounded);
    long long s = 0;
    AllocWindow allocs;
    bench::Stopwatch sw;
    for (int i = 0; i < bench::n; ++i) {
        q.put_nowait(i);
        s += q.get_nowait();
        bench::escape(&q);
    }
    sw.stop();
    bench::report("W1", sw, bench::n, s);
    allocs.report("W1_allocs", bench::n);
    co_return;
}

Task<void> producer(Queue<int>& q, int count) {
    for (int i = 0; i < count; ++i) co_await q.put(i);
}

Task<void> consumer(Queue<int>& q, int count, long long& s) {
    for (int i = 0; i < count; ++i) {
        int v = co_await q.get();
        s += v;
    }
}

// W2: ping-pong through Queue(maxsize=1): every item a wait on both sides.
Task<void> w2() {
    Queue<int> q(1);
    long long s = 0;
    AllocWindow allocs;
    bench::Stopwatch sw;
    auto p = asyncio::create_task(producer(q, bench::n));
    auto c = asyncio::create_task(consumer(q, bench::n, s));
    co_await p;
    co_await c;
    sw.stop();
    bench::report("W2", sw, bench::n, s);
    allocs.report("W2_allocs", bench::n);
}

Task<void> w3_consumer(Queue<int>& q, long long& s) {
    for (;;) {
        int v = co_await q.get();
        s += v;
        q.task_done();
    }
}

// W3: 4 producers, 4 consumers calling task_done, Queue(maxsize=1024), main awaits join().
Task<void> w3() {
    Queue<int> q(bench::bounded);
    const int per = bench::n / bench::producers;
    long long s = 0;
    AllocWindow allocs;
    bench::Stopwatch sw;
    std::vector<Task<void>> consumers, producers;
    for (int c = 0; c < bench::consumers; ++c) consumers.push_back(asyncio::create_task(w3_consumer(q, s)));
    for (int p = 0; p < bench::producers; ++p) producers.push_back(asyncio::create_task(producer(q, per)));
    for (auto& p : producers) co_await p;
    co_await q.join();
    sw.stop();
    const long long items = static_cast<long long>(per) * bench::producers;
    bench::report("W3", sw, items, s);
    allocs.report("W3_allocs", items);
    for (auto& c : consumers) c.cancel();
    for (auto& c : consumers) {
        try {
            co_await c;
        } catch (const asyncio::CancelledError&) {
        }
    }
}

Task<void> w4_producer(Queue<int>& q) {
    for (int i = 0; i < bench::n; ++i) {
        q.put_nowait(i);
        co_await asyncio::sleep(0);
    }
}

// W4: one producer, one consumer, unbounded queue, the producer yields after every put.
Task<void> w4() {
    Queue<int> q;
    long long s = 0;
    bench::Stopwatch sw;
    auto p = asyncio::create_task(w4_producer(q));
    auto c = asyncio::create_task(consumer(q, bench::n, s));
    co_await p;
    co_await c;
    sw.stop();
    bench::report("W4", sw, bench::n, s);
}

// W5: `waiters` tasks blocked in get() on one unbounded queue; w5_waiters items put one by
// one, each followed by sleep(0), until every item was taken. With 1 waiter, one task loops.
Task<void> w5(int waiters, const char* name) {
    Queue<int> q;
    long long s = 0;
    const int per_task = bench::w5_waiters / waiters;
    std::vector<Task<void>> tasks;
    tasks.reserve(static_cast<std::size_t>(waiters));
    for (int g = 0; g < waiters; ++g) tasks.push_back(asyncio::create_task(consumer(q, per_task, s)));
    co_await asyncio::sleep(0); // every getter runs to its get() and blocks
    bench::Stopwatch sw;
    for (int i = 0; i < bench::w5_waiters; ++i) {
        q.put_nowait(i);
        co_await asyncio::sleep(0);
    }
    for (auto& t : tasks) co_await t;
    sw.stop();
    bench::report(name, sw, bench::w5_waiters, s);
}

// W6: PriorityQueue, 1,000,000 pseudo-random ints put, then got.
Task<void> w6() {
    auto values = bench::lcg_values(bench::n);
    long long s = 0;
    int prev = -1;
    long long ordered = 1;
    bench::Stopwatch sw;
    asyncio::PriorityQueue<int> q;
    for (int v : values) q.put_nowait(v);
    for (int i = 0; i < bench::n; ++i) {
        int v = q.get_nowait();
        if (v < prev) ordered = 0;
        prev = v;
        s += v;
    }
    sw.stop();
    bench::report("W6", sw, bench::n, s * ordered);
    co_return;
}

// W7: peak RSS growth for 1,000,000 ints queued in an unbounded Queue.
Task<void> mem_queue() {
    Queue<int> q;
    auto before = bench::maxrss_bytes();
    for (int i = 0; i < bench::n; ++i) q.put_nowait(i);
    auto after = bench::maxrss_bytes();
    bench::report_value("W7_queue", double(after - before) / bench::n, "bytes/item");
    bench::report_value("W7_queue_peak_rss", double(after), "bytes");
    co_return;
}

// W7: peak RSS growth per task blocked in get() (create_task(q.get()), 100,000 of them).
Task<void> mem_getters() {
    Queue<int> q;
    std::vector<Task<int>> tasks;
    tasks.reserve(bench::w5_waiters);
    auto before = bench::maxrss_bytes();
    for (int g = 0; g < bench::w5_waiters; ++g) tasks.push_back(asyncio::create_task(q.get()));
    co_await asyncio::sleep(0);
    auto after = bench::maxrss_bytes();
    bench::report_value("W7_getter", double(after - before) / bench::w5_waiters, "bytes/task");
    for (int i = 0; i < bench::w5_waiters; ++i) q.put_nowait(i);
    for (auto& t : tasks) co_await t;
}

// W1-W3 as a user writes them, for Queue<long> and Queue<std::string> (short strings, in the
// small-string buffer: a move, no allocation): generic producer and consumer coroutines, the
// queue a local of the coroutine that runs the workload. The same shapes as W1-W3 on ints.
template <class T>
T make_item(int i) {
    if constexpr (std::is_same_v<T, std::string>) {
        static const std::string names[4] = {"alpha", "beta", "gamma", "delta"};
        return names[i & 3];
    } else {
        return static_cast<T>(i);
    }
}
template <class T>
long long weigh(const T& v) {
    if constexpr (std::is_same_v<T, std::string>)
        return static_cast<long long>(v.size());
    else
        return static_cast<long long>(v);
}

template <class T>
Task<void> user_producer(Queue<T>& q, int count) {
    for (int i = 0; i < count; ++i) {
        T item = make_item<T>(i);
        co_await q.put(std::move(item));
    }
}

template <class T>
Task<void> user_consumer(Queue<T>& q, int count, long long& s) {
    for (int i = 0; i < count; ++i) {
        T v = co_await q.get();
        s += weigh(v);
    }
}

template <class T>
Task<void> user_worker(Queue<T>& q, long long& s) {
    for (;;) {
        T v = co_await q.get();
        s += weigh(v);
        q.task_done();
    }
}

template <class T>
Task<void> user_w1(const char* name) {
    Queue<T> q(bench::bounded);
    long long s = 0;
    bench::Stopwatch sw;
    for (int i = 0; i < bench::n; ++i) {
        q.put_nowait(make_item<T>(i));
        T v = q.get_nowait();
        s += weigh(v);
    }
    sw.stop();
    bench::report(name, sw, bench::n, s);
    co_return;
}

template <class T>
Task<void> user_w2(const char* name) {
    Queue<T> q(1);
    long long s = 0;
    bench::Stopwatch sw;
    auto p = asyncio::create_task(user_producer(q, bench::n));
    auto c = asyncio::create_task(user_consumer(q, bench::n, s));
    co_await p;
    co_await c;
    sw.stop();
    bench::report(name, sw, bench::n, s);
}

template <class T>
Task<void> user_w3(const char* name) {
    Queue<T> q(bench::bounded);
    const int per = bench::n / bench::producers;
    long long s = 0;
    bench::Stopwatch sw;
    std::vector<Task<void>> workers, producers;
    for (int c = 0; c < bench::consumers; ++c) workers.push_back(asyncio::create_task(user_worker(q, s)));
    for (int p = 0; p < bench::producers; ++p) producers.push_back(asyncio::create_task(user_producer(q, per)));
    for (auto& p : producers) co_await p;
    co_await q.join();
    sw.stop();
    bench::report(name, sw, static_cast<long long>(per) * bench::producers, s);
    for (auto& w : workers) w.cancel();
    for (auto& w : workers) {
        try {
            co_await w;
        } catch (const asyncio::CancelledError&) {
        }
    }
}

template <class F>
std::function<void()> in_loop(F f) {
    return [f] { asyncio::run(f()); };
}

} // namespace

int main(int argc, char** argv) {
    return bench::dispatch(argc, argv,
                           {{"W1", in_loop(w1)},
                            {"W2", in_loop(w2)},
                            {"W3", in_loop(w3)},
                            {"W4", in_loop(w4)},
                            {"W5", in_loop([] { return w5(bench::w5_waiters, "W5_100k"); })},
                            {"W5_1", in_loop([] { return w5(1, "W5_1"); })},
                            {"W6", in_loop(w6)},
                            {"W1_long", in_loop([] { return user_w1<long>("W1_long"); })},
                            {"W2_long", in_loop([] { return user_w2<long>("W2_long"); })},
                            {"W3_long", in_loop([] { return user_w3<long>("W3_long"); })},
                            {"W1_str", in_loop([] { return user_w1<std::string>("W1_str"); })},
                            {"W2_str", in_loop([] { return user_w2<std::string>("W2_str"); })},
                            {"W3_str", in_loop([] { return user_w3<std::string>("W3_str"); })}},
                           {{"queue", in_loop(mem_queue)}, {"getters", in_loop(mem_getters)}});
}
