// L4 (issue 13): a TaskGroup of 100,000 tasks, each returning its index; the group waits for all
// of them. Python twin: bench/l4_taskgroup.py. Standalone (the lead wires it into bench/run):
//
//     g++ -std=c++20 -O3 -DNDEBUG -Iinclude bench/l4_taskgroup.cpp -o l4_taskgroup && ./l4_taskgroup
//
// Prints "RESULT L4 <CPU ns per task>", "RESULT L4_wall ...", "RESULT L4_allocs <allocations per
// task>" and "CHECK L4 <sum of the results>", as the other workload programs do. One warm-up
// group first (the allocator's free lists), then the measured one.
#include <asyncio/runners.hpp>
#include <asyncio/taskgroups.hpp>
#include <asyncio/tasks.hpp>

#include <vector>

#include "alloc_counter.hpp"
#include "common.hpp"

namespace {

constexpr int tasks = 100'000;

asyncio::Task<long long> work(int i) { co_return i; }

asyncio::Task<long long> one_group() {
    std::vector<asyncio::Task<long long>> handles;
    handles.reserve(tasks);
    co_await asyncio::task_group([&](asyncio::TaskGroup& tg) -> asyncio::Task<> {
        for (int i = 0; i < tasks; ++i) handles.push_back(tg.create_task(work(i)));
        co_return;
    });
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
    bench::report("L4", sw, tasks, s);
    bench::report_value("L4_allocs", double(bench::allocation_count() - a0) / tasks, "allocs/item");
}

}  // namespace

int main() {
    asyncio::run(l4());
    return 0;
}
