#include <asyncio/asyncio.hpp>

#include <iostream>

asyncio::Task<> consumer(asyncio::Queue<int>& queue) {
    while (true) {
        const int item = co_await queue.get();
        std::cout << "got " << item << '\n';
        queue.task_done();
    }
}

asyncio::Task<> main_task() {
    asyncio::Queue<int> queue(2);  // maxsize=2: put() waits while the queue is full
    auto task = asyncio::create_task(consumer(queue));
    for (int i = 1; i <= 5; ++i) {
        co_await queue.put(i);
        std::cout << "put " << i << ' ' << queue << '\n';
    }
    co_await queue.join();  // until every item put has been marked task_done()
    std::cout << "joined " << queue << '\n';
    task.cancel();
    co_await asyncio::gather(asyncio::return_exceptions, task);  // it ends before the queue does
}

int main() {
    asyncio::run(main_task());
}

// Output:
// put 1 <Queue maxsize=2 _queue=[1] tasks=1>
// put 2 <Queue maxsize=2 _queue=[1, 2] tasks=2>
// got 1
// got 2
// put 3 <Queue maxsize=2 _queue=[3] tasks=1>
// put 4 <Queue maxsize=2 _queue=[3, 4] tasks=2>
// got 3
// got 4
// put 5 <Queue maxsize=2 _queue=[5] tasks=1>
// got 5
// joined <Queue maxsize=2 _getters[1]>
