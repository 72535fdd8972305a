#include <asyncio/asyncio.hpp>

#include <iostream>

asyncio::Task<> main_task() {
    asyncio::LifoQueue<int> stack;  // maxsize=0: unbounded
    for (int i = 1; i <= 3; ++i) {
        stack.put_nowait(i);
    }
    std::cout << stack << '\n';
    while (!stack.empty()) {
        std::cout << co_await stack.get() << '\n';  // last in, first out
    }
    try {
        co_await asyncio::wait_for(stack.get(), 0.01);
    } catch (const asyncio::TimeoutError&) {
        std::cout << "TimeoutError: " << stack << '\n';  // the cancelled get() left no waiter
    }
}

int main() {
    asyncio::run(main_task());
}

// Output:
// <LifoQueue maxsize=0 _queue=[1, 2, 3] tasks=3>
// 3
// 2
// 1
// TimeoutError: <LifoQueue maxsize=0 tasks=3>
