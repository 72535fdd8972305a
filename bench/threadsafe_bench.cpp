// Benchmarks of asyncio::threadsafe::Queue (issue 11), standalone:
//   T1 thread -> loop, maxsize 1024, items/s
//   T2 loop -> thread, maxsize 1024, items/s
//   T3 thread -> thread through the sync face, maxsize 1024, items/s
//   T4 loop <-> loop on two threads, ping-pong through two queues of maxsize 1, round trips/s
//   T5 4 producer threads -> 1 loop, maxsize 1024, items/s
// and the floor: a mutex + condition variable bounded queue (T3's and T4's shapes on threads).
// For each: the median of BENCH_TSQ_ROUNDS runs (default 5) of wall time, CPU time (every
// thread), eventfd writes per item (the loop's wake-ups; counted by interposing write()),
// and heap allocations per item (a counting operator new).
//
// Build: g++ -std=c++20 -O3 -DNDEBUG -Iinclude bench/threadsafe_bench.cpp -o threadsafe_bench -pthread
// Run:   ./threadsafe_bench [items]   (default 1,000,000; T4 does items / 10 round trips)
#include <asyncio/asyncio.hpp>
#include <asyncio/threadsafe.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <functional>
#include <mutex>
#include <new>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

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

// The loop's self-pipe writes 8 bytes to its eventfd; nothing else here writes 8 bytes to an
// fd above 2.
extern "C" ssize_t write(int fd, const void* buf, size_t n) {
    if (n == 8 && fd > 2) eventfd_writes.fetch_add(1, std::memory_order_relaxed);
    return syscall(SYS_write, fd, buf, n);
}

namespace {

namespace ts = asyncio::threadsafe;
using asyncio::Task;

double cpu_now() {
    timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
double wall_now() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

struct Sample {
    double wall, cpu, writes_per_item, allocs_per_item;
};

// Runs `body` (which moves `items` items) and measures it.
Sample measure(long items, const std::function<void()>& body) {
    const auto w0 = eventfd_writes.load(), a0 = allocations.load();
    const double c0 = cpu_now(), t0 = wall_now();
    body();
    const double t1 = wall_now(), c1 = cpu_now();
    return {t1 - t0, c1 - c0, double(eventfd_writes.load() - w0) / items, double(allocations.load() - a0) / items};
}

// ---- the workloads ----

Task<> consume(ts::Queue<long>& q, long n, long& sum) {
    for (long i = 0; i < n; ++i) sum += co_await q.async_q().get();
}
Task<> produce(ts::Queue<long>& q, long n) {
    for (long i = 0; i < n; ++i) co_await q.async_q().put(i);
}

void t1(long n) {  // thread -> loop
    ts::Queue<long> q(1024);
    long sum = 0;
    std::thread producer([&] {
        for (long i = 0; i < n; ++i) q.sync_q().put(i);
    });
    asyncio::run(consume(q, n, sum));
    producer.join();
    if (sum != n * (n - 1) / 2) std::abort();
}

void t2(long n) {  // loop -> thread
    ts::Queue<long> q(1024);
    long sum = 0;
    std::thread consumer([&] {
        for (long i = 0; i < n; ++i) sum += q.sync_q().get();
    });
    asyncio::run(produce(q, n));
    consumer.join();
    if (sum != n * (n - 1) / 2) std::abort();
}

void t3(long n) {  // thread -> thread, sync face
    ts::Queue<long> q(1024);
    long sum = 0;
    std::thread consumer([&] {
        for (long i = 0; i < n; ++i) sum += q.sync_q().get();
    });
    for (long i = 0; i < n; ++i) q.sync_q().put(i);
    consumer.join();
    if (sum != n * (n - 1) / 2) std::abort();
}

Task<> pinger(ts::Queue<long>& ping, ts::Queue<long>& pong, long n) {
    for (long i = 0; i < n; ++i) {
        co_await ping.async_q().put(i);
        if (co_await pong.async_q().get() != i) std::abort();
    }
}
Task<> ponger(ts::Queue<long>& ping, ts::Queue<long>& pong, long n) {
    for (long i = 0; i < n; ++i) {
        const long v = co_await ping.async_q().get();
        co_await pong.async_q().put(v);
    }
}

void t4(long n) {  // loop <-> loop, maxsize 1
    ts::Queue<long> ping(1), pong(1);
    std::thread other([&] { asyncio::run(ponger(ping, pong, n)); });
    asyncio::run(pinger(ping, pong, n));
    other.join();
}

void t5(long n) {  // 4 producer threads -> 1 loop
    ts::Queue<long> q(1024);
    long sum = 0;
    std::vector<std::thread> producers;
    for (int p = 0; p < 4; ++p)
        producers.emplace_back([&q, n, p] {
            for (long i = p; i < n; i += 4) q.sync_q().put(i);
        });
    asyncio::run(consume(q, n, sum));
    for (auto& t : producers) t.join();
    if (sum != n * (n - 1) / 2) std::abort();
}

// ---- the floor: a bounded mutex + condition variable queue ----

class FloorQueue {
public:
    explicit FloorQueue(std::size_t maxsize) : max_(maxsize) {}
    void put(long v) {
        std::unique_lock lk(m_);
        not_full_.wait(lk, [&] { return items_.size() < max_; });
        items_.push_back(v);
        not_empty_.notify_one();
    }
    long get() {
        std::unique_lock lk(m_);
        not_empty_.wait(lk, [&] { return !items_.empty(); });
        const long v = items_.front();
        items_.pop_front();
        not_full_.notify_one();
        return v;
    }

private:
    std::mutex m_;
    std::condition_variable not_empty_, not_full_;
    std::deque<long> items_;
    std::size_t max_;
};

void floor3(long n) {
    FloorQueue q(1024);
    long sum = 0;
    std::thread consumer([&] {
        for (long i = 0; i < n; ++i) sum += q.get();
    });
    for (long i = 0; i < n; ++i) q.put(i);
    consumer.join();
    if (sum != n * (n - 1) / 2) std::abort();
}

void floor4(long n) {
    FloorQueue ping(1), pong(1);
    std::thread other([&] {
        for (long i = 0; i < n; ++i) pong.put(ping.get());
    });
    for (long i = 0; i < n; ++i) {
        ping.put(i);
        if (pong.get() != i) std::abort();
    }
    other.join();
}

}  // namespace

int main(int argc, char** argv) {
    const long n = argc > 1 ? std::atol(argv[1]) : 1'000'000;
    const char* r = std::getenv("BENCH_TSQ_ROUNDS");
    const int rounds = r ? std::max(1, std::atoi(r)) : 5;
    struct Workload {
        const char* name;
        const char* unit;
        long items;
        void (*fn)(long);
    };
    const Workload workloads[] = {
        {"T1 thread->loop", "items/s", n, t1},
        {"T2 loop->thread", "items/s", n, t2},
        {"T3 thread->thread (sync face)", "items/s", n, t3},
        {"T3 floor: mutex+condvar", "items/s", n, floor3},
        {"T4 loop<->loop ping-pong", "round trips/s", n / 10, t4},
        {"T4 floor: mutex+condvar threads", "round trips/s", n / 10, floor4},
        {"T5 4 threads->1 loop", "items/s", n, t5},
    };
    std::printf("| workload | median rate (wall) | rate (CPU) | eventfd writes/item | allocations/item |\n");
    std::printf("|---|---|---|---|---|\n");
    for (const Workload& w : workloads) {
        std::vector<Sample> samples;
        for (int i = 0; i < rounds; ++i) samples.push_back(measure(w.items, [&] { w.fn(w.items); }));
        std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.wall < b.wall; });
        std::vector<double> cpus;
        for (const Sample& s : samples) cpus.push_back(s.cpu);
        std::sort(cpus.begin(), cpus.end());
        const Sample& m = samples[samples.size() / 2];
        std::printf("| %s | %.3g %s | %.3g %s | %.4f | %.4f |\n", w.name, w.items / m.wall, w.unit,
                    w.items / cpus[cpus.size() / 2], w.unit, m.writes_per_item, m.allocs_per_item);
    }
}
