// Boost.Asio experimental::channel peer for the benchmark workloads (see bench/README.md):
// one io_context run on this one thread, C++20 coroutines (awaitable<>) awaiting deferred operations.
//
// Usage: boost_asio_channel [W1 W2 ...] | --mem queue|getters
// Prints "RESULT <name> <value> <unit>" and "CHECK <name> <sum>" lines.
//
// Mapping of the asyncio operations:
//   put_nowait -> try_send (the channel has no unbounded mode: "unbounded" is a capacity
//                 equal to the item count, which never fills)
//   get_nowait -> try_receive;  put/get -> co_await async_send/async_receive
//   sleep(0)   -> co_await post(executor)
//   join/task_done: none; W3 ends with one sentinel per consumer after the last producer.
//   PriorityQueue: none (W6 is not reported for this peer).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "../alloc_counter.hpp"
#include "../common.hpp"

namespace asio = boost::asio;
using Channel = asio::experimental::channel<void(boost::system::error_code, int)>;
using asio::awaitable;

// asio::deferred rather than asio::use_awaitable: co_await of a deferred operation skips
// use_awaitable's handler machinery and measured 25-35% faster here on W2-W5 (Boost 1.81).
constexpr auto token = asio::deferred;

namespace {

const boost::system::error_code no_error{};

void w1() {
    asio::io_context ctx;
    Channel ch(ctx, bench::bounded);
    long long s = 0;
    auto a0 = bench::allocation_count();
    bench::Stopwatch sw;
    for (int i = 0; i < bench::n; ++i) {
        if (!ch.try_send(no_error, i)) std::abort();
        if (!ch.try_receive([&](boost::system::error_code, int v) { s += v; })) std::abort();
        bench::escape(&ch);
    }
    sw.stop();
    bench::report("W1", sw, bench::n, s);
    bench::report_value("W1_allocs", double(bench::allocation_count() - a0) / bench::n, "allocs/item");
}

awaitable<void> w2_producer(Channel& ch) {
    for (int i = 0; i < bench::n; ++i) co_await ch.async_send(no_error, i, token);
}

awaitable<void> w2_consumer(Channel& ch, long long& s) {
    for (int i = 0; i < bench::n; ++i) s += co_await ch.async_receive(token);
}

void w2() {
    asio::io_context ctx;
    Channel ch(ctx, 1);
    long long s = 0;
    auto a0 = bench::allocation_count();
    bench::Stopwatch sw;
    asio::co_spawn(ctx, w2_producer(ch), asio::detached);
    asio::co_spawn(ctx, w2_consumer(ch, s), asio::detached);
    ctx.run();
    sw.stop();
    bench::report("W2", sw, bench::n, s);
    bench::report_value("W2_allocs", double(bench::allocation_count() - a0) / bench::n, "allocs/item");
}

awaitable<void> w3_producer(Channel& ch, int per, int& producers_left) {
    for (int i = 0; i < per; ++i) co_await ch.async_send(no_error, i, token);
    if (--producers_left == 0)
        for (int c = 0; c < bench::consumers; ++c) co_await ch.async_send(no_error, -1, token);
}

awaitable<void> w3_consumer(Channel& ch, long long& s) {
    for (;;) {
        int v = co_await ch.async_receive(token);
        if (v < 0) co_return;
        s += v;
    }
}

void w3() {
    asio::io_context ctx;
    Channel ch(ctx, bench::bounded);
    const int per = bench::n / bench::producers;
    int producers_left = bench::producers;
    long long s = 0;
    auto a0 = bench::allocation_count();
    bench::Stopwatch sw;
    for (int c = 0; c < bench::consumers; ++c) asio::co_spawn(ctx, w3_consumer(ch, s), asio::detached);
    for (int p = 0; p < bench::producers; ++p)
        asio::co_spawn(ctx, w3_producer(ch, per, producers_left), asio::detached);
    ctx.run();
    sw.stop();
    const long long items = static_cast<long long>(per) * bench::producers;
    bench::report("W3", sw, items, s);
    bench::report_value("W3_allocs", double(bench::allocation_count() - a0) / double(items), "allocs/item");
}

awaitable<void> w4_producer(Channel& ch) {
    auto ex = co_await asio::this_coro::executor;
    for (int i = 0; i < bench::n; ++i) {
        if (!ch.try_send(no_error, i)) std::abort();
        co_await asio::post(ex, token);
    }
}

void w4() {
    asio::io_context ctx;
    Channel ch(ctx, bench::n);
    long long s = 0;
    bench::Stopwatch sw;
    asio::co_spawn(ctx, w4_producer(ch), asio::detached);
    asio::co_spawn(ctx, w2_consumer(ch, s), asio::detached);
    ctx.run();
    sw.stop();
    bench::report("W4", sw, bench::n, s);
}

awaitable<void> w5_getter(Channel& ch, int per_task, int& started, long long& s) {
    ++started;
    for (int i = 0; i < per_task; ++i) s += co_await ch.async_receive(token);
}

awaitable<void> w5_main(Channel& ch, int waiters, int& started, bench::Stopwatch& sw) {
    auto ex = co_await asio::this_coro::executor;
    while (started < waiters) co_await asio::post(ex, token);
    co_await asio::post(ex, token);
    sw.start(); // stopped by w5() once every getter has finished
    for (int i = 0; i < bench::w5_waiters; ++i) {
        if (!ch.try_send(no_error, i)) std::abort();
        co_await asio::post(ex, token);
    }
}

void w5(int waiters, const char* name) {
    asio::io_context ctx;
    Channel ch(ctx, bench::w5_waiters);
    const int per_task = bench::w5_waiters / waiters;
    int started = 0;
    long long s = 0;
    bench::Stopwatch sw;
    for (int g = 0; g < waiters; ++g) asio::co_spawn(ctx, w5_getter(ch, per_task, started, s), asio::detached);
    asio::co_spawn(ctx, w5_main(ch, waiters, started, sw), asio::detached);
    ctx.run();
    sw.stop();
    bench::report(name, sw, bench::w5_waiters, s);
}

void mem_queue() {
    asio::io_context ctx;
    Channel ch(ctx, bench::n);
    auto before = bench::maxrss_bytes();
    for (int i = 0; i < bench::n; ++i)
        if (!ch.try_send(no_error, i)) std::abort();
    auto after = bench::maxrss_bytes();
    bench::report_value("W7_queue", double(after - before) / bench::n, "bytes/item");
    bench::report_value("W7_queue_peak_rss", double(after), "bytes");
}

awaitable<void> mem_getter(Channel& ch, int& started) {
    ++started;
    co_await ch.async_receive(token);
}

awaitable<void> mem_getters_main(Channel& ch, int& started, long long before) {
    auto ex = co_await asio::this_coro::executor;
    while (started < bench::w5_waiters) co_await asio::post(ex, token);
    co_await asio::post(ex, token);
    auto after = bench::maxrss_bytes();
    bench::report_value("W7_getter", double(after - before) / bench::w5_waiters, "bytes/task");
    for (int i = 0; i < bench::w5_waiters; ++i)
        if (!ch.try_send(no_error, i)) std::abort();
}

void mem_getters() {
    asio::io_context ctx;
    Channel ch(ctx, bench::w5_waiters);
    int started = 0;
    auto before = bench::maxrss_bytes();
    for (int g = 0; g < bench::w5_waiters; ++g) asio::co_spawn(ctx, mem_getter(ch, started), asio::detached);
    asio::co_spawn(ctx, mem_getters_main(ch, started, before), asio::detached);
    ctx.run();
}

} // namespace

int main(int argc, char** argv) {
    return bench::dispatch(argc, argv,
                           {{"W1", w1},
                            {"W2", w2},
                            {"W3", w3},
                            {"W4", w4},
                            {"W5", [] { w5(bench::w5_waiters, "W5_100k"); }},
                            {"W5_1", [] { w5(1, "W5_1"); }}},
                           {{"queue", mem_queue}, {"getters", mem_getters}});
}
