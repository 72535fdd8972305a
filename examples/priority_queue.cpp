#include <asyncio/asyncio.hpp>

#include <iostream>
#include <string>
#include <utility>

using Job = std::pair<int, std::string>;  // (priority, name): smallest first, like Python's tuples

asyncio::Task<> worker(asyncio::PriorityQueue<Job>& jobs) {
    try {
        while (true) {
            auto [priority, name] = co_await jobs.get();
            std::cout << priority << ' ' << name << '\n';
            jobs.task_done();
        }
    } catch (const asyncio::QueueShutDown&) {  // shut down and empty
        std::cout << "QueueShutDown " << jobs << '\n';
    }
}

asyncio::Task<> main_task() {
    asyncio::PriorityQueue<Job> jobs;
    jobs.put_nowait({2, "write the code"});
    jobs.put_nowait({3, "ship it"});
    jobs.put_nowait({1, "read the issue"});
    jobs.shutdown();  // no more puts; get() returns what is left, then raises QueueShutDown
    co_await worker(jobs);
}

int main() {
    asyncio::run(main_task());
}

// Output:
// 1 read the issue
// 2 write the code
// 3 ship it
// QueueShutDown <PriorityQueue maxsize=0 shutdown>
