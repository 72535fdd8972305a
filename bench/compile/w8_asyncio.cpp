// W8: the compile cost of one asyncio::Queue used by two tasks (compare w8_boost_asio.cpp).
#include <asyncio/queues.hpp>
#include <asyncio/runners.hpp>

asyncio::Task<int> consumer(asyncio::Queue<int>& q) {
    int s = 0;
    for (int i = 0; i < 3; ++i) s += co_await q.get();
    co_return s;
}

asyncio::Task<int> main_task() {
    asyncio::Queue<int> q(1);
    auto c = asyncio::create_task(consumer(q));
    for (int i = 0; i < 3; ++i) co_await q.put(i);
    co_return co_await c;
}

int main() { return asyncio::run(main_task()) == 3 ? 0 : 1; }
