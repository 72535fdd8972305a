// The thread-safe queue workloads T1-T5 on Boost.Asio's experimental::concurrent_channel (see
// bench/threads/README.md): the channel's own mutex, capacity 1024 (1 for T4).
//
// The loop side is an io_context run on its thread with an awaitable<> coroutine awaiting
// deferred operations (as bench/peers/boost_asio_channel.cpp). Asio has no blocking face: the
// thread side tries first (try_send / try_receive) and, when the channel is full or empty,
// blocks on a std::future (async_send / async_receive with asio::use_future), which is what a
// thread does to wait on Asio. A future's completion runs on the channel's io_context, so T3
// (no loop at all) runs that io_context on a third thread, kept alive by a work guard.
//
// Usage: boost_concurrent_channel [T1 T2 T3 T4 T5]   Prints the lines of threads_common.hpp.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <thread>
#include <vector>

#include "threads_common.hpp"

namespace asio = boost::asio;
using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code, int)>;
using asio::awaitable;
constexpr auto token = asio::deferred;

namespace {

const boost::system::error_code no_error{};

// The blocking faces.
void send_blocking(Channel& ch, int v) {
    if (!ch.try_send(no_error, v)) ch.async_send(no_error, v, asio::use_future).get();
}
int receive_blocking(Channel& ch) {
    int got = 0;
    if (ch.try_receive([&got](boost::system::error_code, int v) { got = v; })) return got;
    return ch.async_receive(asio::use_future).get();
}

awaitable<void> consume(Channel& ch, int count, long long& sum) {
    for (int i = 0; i < count; ++i) sum += co_await ch.async_receive(token);
}
awaitable<void> produce(Channel& ch, int count) {
    for (int i = 0; i < count; ++i) co_await ch.async_send(no_error, i, token);
}

void t1() {
    const int n = tbench::n;
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        asio::io_context ctx;
        Channel ch(ctx, tbench::capacity);
        std::thread producer([&ch, n] {
            for (int i = 0; i < n; ++i) send_blocking(ch, i);
        });
        asio::co_spawn(ctx, consume(ch, n, sum), asio::detached);
        ctx.run();
        producer.join();
    }
    sw.stop();
    tbench::report("T1", sw, n, sum);
}

void t2() {
    const int n = tbench::n;
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        asio::io_context ctx;
        Channel ch(ctx, tbench::capacity);
        std::thread consumer([&ch, &sum, n] {
            for (int i = 0; i < n; ++i) sum += receive_blocking(ch);
        });
        asio::co_spawn(ctx, produce(ch, n), asio::detached);
        ctx.run();
        consumer.join();
    }
    sw.stop();
    tbench::report("T2", sw, n, sum);
}

void t3() {
    const int n = tbench::n;
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        asio::io_context ctx;
        auto guard = asio::make_work_guard(ctx);
        std::thread runner([&ctx] { ctx.run(); });
        Channel ch(ctx, tbench::capacity);
        std::thread consumer([&ch, &sum, n] {
            for (int i = 0; i < n; ++i) sum += receive_blocking(ch);
        });
        for (int i = 0; i < n; ++i) send_blocking(ch, i);
        consumer.join();
        guard.reset();
        runner.join();
    }
    sw.stop();
    tbench::report("T3", sw, n, sum);
}

awaitable<void> pinger(Channel& ping, Channel& pong, int count, long long& sum) {
    for (int i = 0; i < count; ++i) {
        co_await ping.async_send(no_error, i, token);
        const int v = co_await pong.async_receive(token);
        if (v != i) throw std::runtime_error("T4: wrong item");
        sum += v;
    }
}
awaitable<void> ponger(Channel& ping, Channel& pong, int count) {
    for (int i = 0; i < count; ++i) {
        const int v = co_await ping.async_receive(token);
        co_await pong.async_send(no_error, v, token);
    }
}

void t4() {
    const int n = tbench::t4_n;
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        asio::io_context a, b;
        Channel ping(a, 1), pong(a, 1);
        asio::co_spawn(b, ponger(ping, pong, n), asio::detached);
        std::thread other([&b] { b.run(); });
        asio::co_spawn(a, pinger(ping, pong, n, sum), asio::detached);
        a.run();
        other.join();
    }
    sw.stop();
    tbench::report("T4", sw, n, sum);
}

void t5() {
    const int n = tbench::n;
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        asio::io_context ctx;
        Channel ch(ctx, tbench::capacity);
        std::vector<std::thread> producers;
        for (int p = 0; p < tbench::t5_producers; ++p)
            producers.emplace_back([&ch, n, p] {
                for (int i = p; i < n; i += tbench::t5_producers) send_blocking(ch, i);
            });
        asio::co_spawn(ctx, consume(ch, n, sum), asio::detached);
        ctx.run();
        for (auto& t : producers) t.join();
    }
    sw.stop();
    tbench::report("T5", sw, n, sum);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return tbench::dispatch(argc, argv, {{"T1", t1}, {"T2", t2}, {"T3", t3}, {"T4", t4}, {"T5", t5}});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "boost_concurrent_channel: %s\n", e.what());
        return 1;
    }
}
