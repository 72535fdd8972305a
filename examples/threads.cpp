// A thread pool and an event loop talking through asyncio::threadsafe queues: the
// workers send requests through the blocking face (sync_q) and wait for their answers;
// the loop serves them through the awaitable face (async_q).
#include <asyncio/asyncio.hpp>
#include <asyncio/threadsafe.hpp>

#include <array>
#include <iostream>
#include <map>
#include <thread>
#include <utility>
#include <vector>

namespace ts = asyncio::threadsafe;

struct Request {
    int worker;
    int n;
};

// The loop's side: answers every request on the asking worker's own reply queue.
asyncio::Task<> server(ts::Queue<Request>& requests, std::array<ts::Queue<int>, 4>& replies) {
    while (true) {
        Request r{};
        try {
            r = co_await requests.async_q().get();
        } catch (const asyncio::QueueShutDown&) {
            co_return;
        }
        co_await replies[r.worker].async_q().put(r.n * r.n);
        requests.async_q().task_done();
    }
}

asyncio::Task<> main_task(ts::Queue<Request>& requests, std::array<ts::Queue<int>, 4>& replies,
                          ts::Queue<std::pair<int, int>>& totals) {
    asyncio::Task<> serving = asyncio::create_task(server(requests, replies));
    std::map<int, int> by_worker;
    for (int i = 0; i < 4; ++i) {
        const std::pair<int, int> total = co_await totals.async_q().get();
        by_worker[total.first] = total.second;
    }
    for (const auto& [worker, total] : by_worker)
        std::cout << "worker " << worker << ": sum of squares " << total << '\n';
    requests.shutdown();  // the server's get() raises QueueShutDown: it ends
    co_await serving;
    std::cout << requests << '\n';
}

int main() {
    ts::Queue<Request> requests(2);         // built before any loop runs, shared by all threads
    std::array<ts::Queue<int>, 4> replies;  // one per worker
    ts::Queue<std::pair<int, int>> totals;

    std::vector<std::thread> pool;
    for (int w = 0; w < 4; ++w) {
        pool.emplace_back([&, w] {
            int total = 0;
            for (int i = 1; i <= 3; ++i) {
                requests.sync_q().put(Request{w, w * 10 + i});  // blocks while the queue is full
                total += replies[w].sync_q().get();             // blocks until the loop answers
            }
            totals.sync_q().put({w, total});
        });
    }
    asyncio::run(main_task(requests, replies, totals));
    for (std::thread& t : pool) t.join();
}

// Output:
// worker 0: sum of squares 14
// worker 1: sum of squares 434
// worker 2: sum of squares 1454
// worker 3: sum of squares 3074
// <Queue maxsize=2 shutdown>
