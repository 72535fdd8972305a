// The thread-safe queue workloads T1-T5 on this library's asyncio::threadsafe::Queue (issue
// 11; see bench/threads/README.md). One process per workload (bench/threads/run runs them):
//
//   T1  one thread -> one loop: the thread's sync_q().put(), a task's co_await async_q().get();
//       maxsize 1024, n items
//   T2  one loop -> one thread: co_await async_q().put(), sync_q().get()
//   T3  one thread -> another, through the sync face only
//   T4  two loops on two threads, ping-pong through two queues of maxsize 1: a task of loop A
//       puts i on `ping` and awaits it back on `pong`; a task of loop B echoes it; t4_n round
//       trips (every item a cross-thread wake-up)
//   T5  4 producer threads (sync_q().put) -> 1 loop (async_q().get), maxsize 1024, n items
//
// Usage: threads_asyncio [T1 T2 T3 T4 T5]   (default: all, in order)
// Prints "RESULT <name> <CPU ns/item>", "RESULT <name>_wall <wall ns/item>",
// "RESULT <name>_wakeups <eventfd writes per item>", "RESULT <name>_allocs <heap allocations
// per item>" and "CHECK <name>/n=<items> <sum>". The last two are counted in the steady state:
// between the consumer's item n/10 and item 9n/10 (thread start-up, the loops' first
// iterations and the queues' first growth fall outside).
//
// eventfd writes are counted by interposing write(): the loops' self-pipes write 8 bytes to
// their eventfd and nothing else here writes 8 bytes to an fd above 2. Allocations are counted
// by a replacement operator new (an atomic add: several threads allocate).
#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/threadsafe.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include "threads_common.hpp"

namespace {
std::atomic<unsigned long long> allocations{0};
std::atomic<unsigned long long> eventfd_writes{0};
}  // namespace

void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    const auto a = static_cast<std::size_t>(align);
    if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
    throw std::bad_alloc();
}
// The matching pair (g++ 12 warns about free() once the replaced new is inlined).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

extern "C" ssize_t write(int fd, const void* buf, size_t count) {
    if (count == 8 && fd > 2) eventfd_writes.fetch_add(1, std::memory_order_relaxed);
    return syscall(SYS_write, fd, buf, count);
}

namespace {

namespace ts = asyncio::threadsafe;
using asyncio::Task;

// The steady-state window, marked by the consumer (or T4's pinger) at items n/10 and 9n/10.
struct Window {
    long long first = 0, last = 0;
    unsigned long long allocs0 = 0, allocs1 = 0, writes0 = 0, writes1 = 0;
    explicit Window(long long items) : first(items / 10), last(items - items / 10) {}
    void at(long long i) {
        if (i == first) {
            allocs0 = allocations.load();
            writes0 = eventfd_writes.load();
        } else if (i == last) {
            allocs1 = allocations.load();
            writes1 = eventfd_writes.load();
        }
    }
    void report(const char* name) const {
        const double items = static_cast<double>(last - first);
        tbench::report_value(name, "wakeups", static_cast<double>(writes1 - writes0) / items, "writes/item");
        tbench::report_value(name, "allocs", static_cast<double>(allocs1 - allocs0) / items, "allocs/item");
    }
};

Task<void> consume(ts::Queue<int>& q, int count, long long& sum, Window& w) {
    for (int i = 0; i < count; ++i) {
        w.at(i);
        const int v = co_await q.async_q().get();
        sum += v;
    }
}

void t1() {
    const int n = tbench::n;
    Window w(n);
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        ts::Queue<int> q(tbench::capacity);
        std::thread producer([&q, n] {
            for (int i = 0; i < n; ++i) q.sync_q().put(i);
        });
        asyncio::run(consume(q, n, sum, w));
        producer.join();
    }
    sw.stop();
    tbench::report("T1", sw, n, sum);
    w.report("T1");
}

Task<void> produce(ts::Queue<int>& q, int count) {
    for (int i = 0; i < count; ++i) co_await q.async_q().put(i);
}

void t2() {
    const int n = tbench::n;
    Window w(n);
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        ts::Queue<int> q(tbench::capacity);
        std::thread consumer([&q, &sum, &w, n] {
            for (int i = 0; i < n; ++i) {
                w.at(i);
                sum += q.sync_q().get();
            }
        });
        asyncio::run(produce(q, n));
        consumer.join();
    }
    sw.stop();
    tbench::report("T2", sw, n, sum);
    w.report("T2");
}

void t3() {
    const int n = tbench::n;
    Window w(n);
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        ts::Queue<int> q(tbench::capacity);
        std::thread consumer([&q, &sum, &w, n] {
            for (int i = 0; i < n; ++i) {
                w.at(i);
                sum += q.sync_q().get();
            }
        });
        for (int i = 0; i < n; ++i) q.sync_q().put(i);
        consumer.join();
    }
    sw.stop();
    tbench::report("T3", sw, n, sum);
    w.report("T3");
}

Task<void> pinger(ts::Queue<int>& ping, ts::Queue<int>& pong, int count, long long& sum, Window& w) {
    for (int i = 0; i < count; ++i) {
        w.at(i);
        co_await ping.async_q().put(i);
        const int v = co_await pong.async_q().get();
        if (v != i) throw std::runtime_error("T4: wrong item");
        sum += v;
    }
}
Task<void> ponger(ts::Queue<int>& ping, ts::Queue<int>& pong, int count) {
    for (int i = 0; i < count; ++i) {
        const int v = co_await ping.async_q().get();
        co_await pong.async_q().put(v);
    }
}

void t4() {
    const int n = tbench::t4_n;
    Window w(n);
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        ts::Queue<int> ping(1), pong(1);
        std::exception_ptr error;
        std::thread other([&ping, &pong, &error, n] {
            try {
                asyncio::run(ponger(ping, pong, n));
            } catch (...) {
                error = std::current_exception();
            }
        });
        asyncio::run(pinger(ping, pong, n, sum, w));
        other.join();
        if (error) std::rethrow_exception(error);
    }
    sw.stop();
    tbench::report("T4", sw, n, sum);
    w.report("T4");
}

void t5() {
    const int n = tbench::n;
    Window w(n);
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        ts::Queue<int> q(tbench::capacity);
        std::vector<std::thread> producers;
        for (int p = 0; p < tbench::t5_producers; ++p)
            producers.emplace_back([&q, n, p] {
                for (int i = p; i < n; i += tbench::t5_producers) q.sync_q().put(i);
            });
        asyncio::run(consume(q, n, sum, w));
        for (auto& t : producers) t.join();
    }
    sw.stop();
    tbench::report("T5", sw, n, sum);
    w.report("T5");
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return tbench::dispatch(argc, argv, {{"T1", t1}, {"T2", t2}, {"T3", t3}, {"T4", t4}, {"T5", t5}});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "threads_asyncio: %s\n", e.what());
        return 1;
    }
}
