// Tests for <asyncio/redis.hpp>, part 1: the queue in one process, as asyncio.Queue (FIFO,
// maxsize, waiting puts and gets, the nowait errors, task_done/join, shutdown, batches,
// codecs), against a real redis-server started by each test (tests/support/redis_server.hpp).
//
// Inside coroutines only EXPECT_* is used (ASSERT_* expands to `return`). Waits are short:
// visibility_timeout 0.5 s where leases matter, command_timeout 1-2 s where timeouts matter.

#include <asyncio/asyncio.hpp>
#include <asyncio/redis.hpp>

#include "support/fd_check.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using asyncio::Task;
using asyncio::redis::Queue;
using asyncio_test::RedisServer;

asyncio::redis::Options quick_options() {
    asyncio::redis::Options o;
    o.visibility_timeout = 0.5;
    o.connect_timeout = 2.0;
    o.command_timeout = 2.0;
    return o;
}

struct Job {
    int id = 0;
    std::string name;
    friend void to_json(nlohmann::json& j, const Job& x) { j = nlohmann::json{{"id", x.id}, {"name", x.name}}; }
    friend void from_json(const nlohmann::json& j, Job& x) {
        j.at("id").get_to(x.id);
        j.at("name").get_to(x.name);
    }
};

TEST(RedisQueue, PutGetFifo) {
    RedisServer server;
    asyncio_test::FdLeakCheck fds;
    const std::string url = server.url();
    std::vector<int> got;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "fifo", 0, quick_options());
        for (int i = 0; i < 5; ++i) co_await q.put(i);
        EXPECT_EQ(co_await q.qsize(), 5u);
        for (int i = 0; i < 5; ++i) got.push_back(co_await q.get());
        EXPECT_EQ(co_await q.qsize(), 0u);  // got, not acknowledged: not counted
        for (int i = 0; i < 5; ++i) co_await q.task_done();
        co_await q.join();
        co_await q.close();
    }());
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(server.command({"HGET", "{fifo}:meta", "unfinished"}), "0");
    EXPECT_EQ(server.command({"HLEN", "{fifo}:data"}), "0");
}

TEST(RedisQueue, GetWaitsForAPutFromAnotherHandle) {
    RedisServer server;
    const std::string url = server.url();
    std::string got;
    asyncio::run([&]() -> Task<> {
        auto consumer = co_await Queue<std::string>::connect(url, "q");
        auto producer = co_await Queue<std::string>::connect(url, "q");
        auto getter = asyncio::create_task(consumer.get());
        co_await asyncio::sleep(0.05);
        EXPECT_FALSE(getter.done());
        co_await producer.put("hello");
        got = co_await getter;
        co_await consumer.task_done();
        co_await producer.join();
    }());
    EXPECT_EQ(got, "hello");
}

// A get() waiting on a handle does not hold up a put() of the same handle: the wait runs on a
// connection of its own.
TEST(RedisQueue, WaitingGetDoesNotHoldUpAPutOfTheSameHandle) {
    RedisServer server;
    const std::string url = server.url();
    int got = 0;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "one-handle");
        auto getter = asyncio::create_task(q.get());
        co_await asyncio::sleep(0.05);
        co_await asyncio::wait_for(q.put(9), 1.0);
        got = co_await asyncio::wait_for(std::move(getter), 1.0);
        co_await q.task_done();
        co_await q.join();
    }());
    EXPECT_EQ(got, 9);
}

TEST(RedisQueue, NowaitErrors) {
    RedisServer server;
    const std::string url = server.url();
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "q", 1);
        bool empty = false, full = false;
        try {
            (void)co_await q.get_nowait();
        } catch (const asyncio::QueueEmpty&) {
            empty = true;
        }
        EXPECT_TRUE(empty);
        co_await q.put_nowait(1);
        EXPECT_TRUE(co_await q.full());
        try {
            co_await q.put_nowait(2);
        } catch (const asyncio::QueueFull&) {
            full = true;
        }
        EXPECT_TRUE(full);
        EXPECT_EQ(co_await q.get_nowait(), 1);
        EXPECT_TRUE(co_await q.empty());
        EXPECT_FALSE(co_await q.full());  // the item got is leased, not waiting
        co_await q.task_done();
    }());
}

TEST(RedisQueue, PutWaitsWhileFull) {
    RedisServer server;
    const std::string url = server.url();
    std::vector<int> got;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "bounded", 2);
        EXPECT_EQ(q.maxsize(), 2);
        co_await q.put(1);
        co_await q.put(2);
        auto putter = asyncio::create_task(q.put(3));
        co_await asyncio::sleep(0.1);
        EXPECT_FALSE(putter.done());
        EXPECT_EQ(co_await q.qsize(), 2u);
        got.push_back(co_await q.get());  // room for one: the waiting put goes in
        co_await putter;
        EXPECT_EQ(co_await q.qsize(), 2u);
        got.push_back(co_await q.get());
        got.push_back(co_await q.get());
        for (int i = 0; i < 3; ++i) co_await q.task_done();
        co_await q.join();
    }());
    EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
}

TEST(RedisQueue, TaskDoneTooManyTimes) {
    RedisServer server;
    const std::string url = server.url();
    std::string message;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "q");
        co_await q.put(1);
        (void)co_await q.get();
        co_await q.task_done();
        try {
            co_await q.task_done();
        } catch (const asyncio::ValueError& e) {
            message = e.what();
        }
    }());
    EXPECT_EQ(message, "task_done() called too many times");
}

TEST(RedisQueue, JoinWaitsForEveryAcknowledgement) {
    RedisServer server;
    const std::string url = server.url();
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "q");
        auto worker_q = co_await Queue<int>::connect(url, "q");
        for (int i = 0; i < 3; ++i) co_await q.put(i);
        auto joiner = asyncio::create_task(q.join());
        for (int i = 0; i < 3; ++i) {
            (void)co_await worker_q.get();
            co_await asyncio::sleep(0.02);
            EXPECT_FALSE(joiner.done());
            co_await worker_q.task_done();
        }
        co_await joiner;
    }());
}

// Several worker tasks share one handle: each task_done() acknowledges the item its own task
// got, so a slow worker's item is not acknowledged by a fast one.
TEST(RedisQueue, TaskDoneAcknowledgesTheCallingTasksItem) {
    RedisServer server;
    const std::string url = server.url();
    std::set<int> acked_by_fast;
    std::string slow_leased_after_fast_ack;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "shared");
        co_await q.put(1);
        co_await q.put(2);
        asyncio::Event slow_got;
        asyncio::Event fast_done;
        auto slow_body = [&]() -> Task<> {
            (void)co_await q.get();  // item 1
            slow_got.set();
            co_await fast_done.wait();
            co_await q.task_done();
        };
        auto fast_body = [&]() -> Task<> {
            (void)co_await q.get();  // item 2
            co_await q.task_done();  // must acknowledge item 2, not the older item 1
            fast_done.set();
        };
        auto slow = asyncio::create_task(slow_body());
        co_await slow_got.wait();
        auto fast = asyncio::create_task(fast_body());
        co_await fast;
        slow_leased_after_fast_ack = server.command({"ZCARD", "{shared}:leases"});
        co_await slow;
        co_await q.join();
    }());
    EXPECT_EQ(slow_leased_after_fast_ack, "1");
}

// task_done() from a task that got nothing acknowledges the oldest item the handle holds.
TEST(RedisQueue, TaskDoneFromAnotherTaskAcknowledgesTheHandlesOldest) {
    RedisServer server;
    const std::string url = server.url();
    std::string after_first, after_second;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "fallback");
        co_await q.put(1);
        co_await q.put(2);
        int a = co_await asyncio::create_task(q.get());  // got by other tasks
        int b = co_await asyncio::create_task(q.get());
        EXPECT_EQ(a, 1);
        EXPECT_EQ(b, 2);
        co_await q.task_done();
        after_first = server.command({"ZRANGE", "{fallback}:leases", "0", "-1"});
        EXPECT_EQ(server.command({"HGET", "{fallback}:data", after_first}), "2");  // 1, the oldest, went
        co_await q.task_done();
        after_second = server.command({"ZCARD", "{fallback}:leases"});
        co_await q.join();
    }());
    EXPECT_EQ(after_first.size(), 32u);  // one id left leased
    EXPECT_EQ(after_second, "0");
}

// The worker pattern of asyncio.Queue's documentation on one handle: workers get and
// acknowledge; join() returns once all are done, and every item was got exactly once.
TEST(RedisQueue, WorkersSharingOneHandle) {
    RedisServer server;
    const std::string url = server.url();
    std::vector<int> got;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "workers", 10);
        auto worker = [&]() -> Task<> {
            for (;;) {
                int x = 0;
                try {
                    x = co_await q.get();
                } catch (const asyncio::QueueShutDown&) {
                    co_return;
                }
                got.push_back(x);
                co_await asyncio::sleep(0.001);
                co_await q.task_done();
            }
        };
        std::vector<Task<>> workers;
        for (int i = 0; i < 4; ++i) workers.push_back(asyncio::create_task(worker()));
        for (int i = 0; i < 60; ++i) co_await q.put(i);
        co_await q.join();
        co_await q.shutdown();
        for (Task<>& w : workers) co_await w;
    }());
    std::set<int> distinct(got.begin(), got.end());
    EXPECT_EQ(got.size(), 60u);
    EXPECT_EQ(distinct.size(), 60u);
}

TEST(RedisQueue, CodecsStringNumbersJson) {
    RedisServer server;
    const std::string url = server.url();
    asyncio::run([&]() -> Task<> {
        auto s = co_await Queue<std::string>::connect(url, "s");
        std::string bytes("a\0b\r\n", 5);
        co_await s.put(bytes);
        EXPECT_EQ(co_await s.get(), bytes);
        co_await s.task_done();

        auto d = co_await Queue<double>::connect(url, "d");
        co_await d.put(0.1);
        co_await d.put(-1e300);
        EXPECT_EQ(co_await d.get(), 0.1);
        EXPECT_EQ(co_await d.get(), -1e300);

        auto j = co_await Queue<Job>::connect(url, "jobs");
        Job job;
        job.id = 7;
        job.name = std::string(100, 'x');
        co_await j.put(job);
        Job back = co_await j.get();
        EXPECT_EQ(back.id, 7);
        EXPECT_EQ(back.name, job.name);
    }());
    EXPECT_EQ(asyncio::redis::codec<long long>::decode("-42"), -42);
    EXPECT_EQ(asyncio::redis::codec<bool>::encode(true), "1");
    EXPECT_THROW(asyncio::redis::codec<int>::decode("12x"), asyncio::redis::DecodeError);
    EXPECT_THROW(asyncio::redis::codec<Job>::decode("{"), asyncio::redis::DecodeError);
}

}  // namespace
