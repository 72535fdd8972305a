// A user's program: #include <asyncio/asyncio.hpp>, link asyncio::asyncio, and it works.
// Exits with 0 when a consumer task got 1, 2, 3 through a bounded Queue.
#include <asyncio/asyncio.hpp>

#include <cstdio>

asyncio::Task<int> sum_of(asyncio::Queue<int>& queue, int count) {
    int sum = 0;
    for (int i = 0; i < count; ++i) {
        sum += co_await queue.get();
    }
    co_return sum;
}

asyncio::Task<int> main_task() {
    asyncio::Queue<int> queue(1);
    auto consumer = asyncio::create_task(sum_of(queue, 3));
    for (int i = 1; i <= 3; ++i) {
        co_await queue.put(i);
    }
    co_return co_await consumer;
}

int main() {
    const int sum = asyncio::run(main_task());
    std::printf("asyncio consumer: sum=%d\n", sum);
    return sum == 6 ? 0 : 1;
}
