// The locks family (issue 13) on this library: L1-L4. Twins: locks.py (CPython 3.13 asyncio)
// and floor.cpp (plain C++). Run by bench/locks/run; by hand:
//
//     build-bench/locks/cpp/locks_asyncio [L1|L2|L3|L4 ...]      (no argument: all four)
//
//   L1  Lock acquire + release, uncontended, in one task                   ns per acquire+release
//   L2  two tasks contending for one Lock: each loops `async with lock: await sleep(0)`, so
//       every acquire waits for the other task's release (strict alternation)   ns per handover
//   L3  Semaphore(10) bounding 1,000 tasks, each `async with sem: await sleep(0)`, gathered
//       (create_task + gather included); repeated                             ns per task
//   L4  a TaskGroup of 100,000 tasks, each returning its index; the group waits for all
//       of them (one warm-up group first)                                     ns per task
//
// Prints "RESULT <L> <CPU ns per item> ns/item", "RESULT <L>_wall ...", "CHECK <L> <value>"
// (the same value in every implementation: it does not depend on the repetitions) and, for
// ours, "RESULT <L>_allocs <heap allocations per item> allocs/item" (alloc_counter.hpp).
#include <asyncio/locks.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/taskgroups.hpp>
#include <asyncio/tasks.hpp>

#include <cstring>
#include <vector>

#include "alloc_counter.hpp"
#include "common.hpp"
#include "locks_common.hpp"

namespace {

using namespace bench::locks;

asyncio::Task<> l1() {
    asyncio::Lock lock;
    long long ok = 0;
    for (int i = 0; i < 1000; ++i) {  // warm-up
        co_await lock.acquire();
        lock.release();
    }
    const unsigned long long a0 = bench::allocation_count();
    bench::Stopwatch sw;
    for (int i = 0; i < l1_ops_cpp; ++i) {
        const bool r = co_await lock.acquire();
        ok += r;
        lock.release();
    }
    sw.stop();
    const unsigned long long a1 = bench::allocation_count();
    bench::report("L1", sw, l1_ops_cpp, ok == l1_ops_cpp && !lock.locked() ? 1 : 0);
    bench::report_value("L1_allocs", double(a1 - a0) / l1_ops_cpp, "allocs/item");
}

struct L2State {
    asyncio::Lock lock;
    int last = -1;
    long long alternations = 0;
};

asyncio::Task<> l2_task(L2State& s, int me, int loops) {
    for (int i = 0; i < loops; ++i) {
        auto guard = co_await s.lock.scoped_acquire();
        if (s.last != me) ++s.alternations;
        s.last = me;
        co_await asyncio::sleep(0);
    }
}

asyncio::Task<> l2() {
    L2State s;
    const unsigned long long a0 = bench::allocation_count();
    bench::Stopwatch sw;
    auto a = asyncio::create_task(l2_task(s, 0, l2_loops_cpp));
    auto b = asyncio::create_task(l2_task(s, 1, l2_loops_cpp));
    co_await asyncio::gather(std::move(a), std::move(b));
    sw.stop();
    const unsigned long long a1 = bench::allocation_count();
    const long long handovers = 2LL * l2_loops_cpp;
    bench::report("L2", sw, handovers, s.alternations == handovers ? 1 : 0);
    bench::report_value("L2_allocs", double(a1 - a0) / double(handovers), "allocs/item");
}

struct L3State {
    asyncio::Semaphore sem{l3_bound};
    int inside = 0;
    int max_inside = 0;
    long long done = 0;
};

asyncio::Task<> l3_task(L3State& s) {
    auto guard = co_await s.sem.scoped_acquire();
    if (++s.inside > s.max_inside) s.max_inside = s.inside;
    co_await asyncio::sleep(0);
    --s.inside;
    ++s.done;
}

asyncio::Task<> l3_round(L3State& s) {
    std::vector<asyncio::Task<>> tasks;
    tasks.reserve(l3_tasks);
    for (int i = 0; i < l3_tasks; ++i) tasks.push_back(asyncio::create_task(l3_task(s)));
    co_await asyncio::gather(std::move(tasks));
}

asyncio::Task<> l3() {
    L3State s;
    co_await l3_round(s);  // warm-up
    s.done = 0;
    const unsigned long long a0 = bench::allocation_count();
    bench::Stopwatch sw;
    for (int r = 0; r < l3_reps_cpp; ++r) co_await l3_round(s);
    sw.stop();
    const unsigned long long a1 = bench::allocation_count();
    const long long n = 1LL * l3_tasks * l3_reps_cpp;
    bench::report("L3", sw, n, s.done == n ? l3_check(s.max_inside) : 0);
    bench::report_value("L3_allocs", double(a1 - a0) / double(n), "allocs/item");
}

asyncio::Task<long long> work(int i) { co_return i; }

asyncio::Task<long long> one_group() {
    std::vector<asyncio::Task<long long>> handles;
    handles.reserve(l4_tasks);
    auto body = [&](asyncio::TaskGroup& tg) -> asyncio::Task<> {
        for (int i = 0; i < l4_tasks; ++i) handles.push_back(tg.create_task(work(i)));
        co_return;
    };
    co_await asyncio::task_group(body);
    long long s = 0;
    for (auto& t : handles) s += t.result();
    co_return s;
}

asyncio::Task<> l4() {
    co_await one_group();  // warm-up
    const unsigned long long a0 = bench::allocation_count();
    bench::Stopwatch sw;
    const long long s = co_await one_group();
    sw.stop();
    bench::report("L4", sw, l4_tasks, s);
    bench::report_value("L4_allocs", double(bench::allocation_count() - a0) / l4_tasks, "allocs/item");
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<bench::Workload> timing = {
        {"L1", [] { asyncio::run(l1()); }},
        {"L2", [] { asyncio::run(l2()); }},
        {"L3", [] { asyncio::run(l3()); }},
        {"L4", [] { asyncio::run(l4()); }},
    };
    return bench::dispatch(argc, argv, timing, {});
}
