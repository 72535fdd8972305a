// Tests for <asyncio/redis.hpp>, part 2: shutdown, leases and redelivery, cancellation,
// batches, idempotent puts, faults of the server (SIGSTOP, restart, lost connections,
// functions flushed) and bad input, each against a real redis-server of its own.
//
// Inside coroutines only EXPECT_* is used (ASSERT_* expands to `return`). Coroutine lambdas
// given to create_task are named first, so that their captures outlive their tasks.

#include <asyncio/asyncio.hpp>
#include <asyncio/redis.hpp>

#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using asyncio::Task;
using asyncio::redis::Queue;
using asyncio_test::RedisServer;

asyncio::redis::Options quick_options(double visibility = 0.5, double command = 2.0) {
    asyncio::redis::Options o;
    o.visibility_timeout = visibility;
    o.connect_timeout = 1.0;
    o.command_timeout = command;
    return o;
}

template <class E, class Aw>
Task<std::string> error_of(Aw aw) {
    std::string what = "(no exception)";
    try {
        co_await std::move(aw);
    } catch (const E& e) {
        what = e.what();
    }
    co_return what;
}

// ---- shutdown ---------------------------------------------------------------------------------

TEST(RedisShutdown, GetsDrainThenRaiseAndPutsRaise) {
    RedisServer server;
    const std::string url = server.url();
    std::vector<int> got;
    std::string put_error, get_error, new_handle_error;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "sd");
        co_await q.put(1);
        co_await q.put(2);
        co_await q.shutdown();
        put_error = co_await error_of<asyncio::QueueShutDown>(q.put(3));
        got.push_back(co_await q.get());  // 3.13: items still waiting are got
        got.push_back(co_await q.get());
        get_error = co_await error_of<asyncio::QueueShutDown>(q.get());
        co_await q.task_done();
        co_await q.task_done();
        co_await q.join();
        // persistent: a new handle (another process would be the same) sees it shut down
        auto later = co_await Queue<int>::connect(url, "sd");
        new_handle_error = co_await error_of<asyncio::QueueShutDown>(later.put(4));
        co_await Queue<int>::destroy(url, "sd");
        auto fresh = co_await Queue<int>::connect(url, "sd");
        co_await fresh.put(5);  // destroy() ended the shutdown
        EXPECT_EQ(co_await fresh.get(), 5);
    }());
    EXPECT_EQ(got, (std::vector<int>{1, 2}));
    EXPECT_EQ(put_error, "queue is shut down");
    EXPECT_EQ(get_error, "queue is shut down");
    EXPECT_EQ(new_handle_error, "queue is shut down");
}

TEST(RedisShutdown, ImmediateDropsWaitingItemsAndWakesWaiters) {
    RedisServer server;
    const std::string url = server.url();
    std::string getter_error, putter_error;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "sdi", 2);
        auto other = co_await Queue<int>::connect(url, "sdi", 2);
        co_await q.put(1);
        co_await q.put(2);
        (void)co_await q.get();  // leased: stays unfinished
        co_await q.put(3);
        auto putter = asyncio::create_task(error_of<asyncio::QueueShutDown>(q.put(4)));  // waits: full
        auto empty_q = co_await Queue<int>::connect(url, "sdi-empty");
        auto getter = asyncio::create_task(error_of<asyncio::QueueShutDown>(empty_q.get()));
        co_await asyncio::sleep(0.05);
        co_await other.shutdown(true);
        co_await empty_q.shutdown(true);
        putter_error = co_await putter;
        getter_error = co_await getter;
        EXPECT_EQ(co_await q.qsize(), 0u);
        auto joiner = asyncio::create_task(q.join());
        co_await asyncio::sleep(0.05);
        EXPECT_FALSE(joiner.done());  // the leased item is still unfinished
        co_await q.task_done();
        co_await joiner;
    }());
    EXPECT_EQ(putter_error, "queue is shut down");
    EXPECT_EQ(getter_error, "queue is shut down");
}

// ---- leases -------------------------------------------------------------------------------------

TEST(RedisLeases, ExpiredLeaseIsDeliveredToAnotherHandleAndAckedOnlyOnce) {
    RedisServer server;
    const std::string url = server.url();
    int redelivered = 0;
    std::string unfinished_after;
    asyncio::run([&]() -> Task<> {
        auto slow = co_await Queue<int>::connect(url, "lease", 0, quick_options(0.3));
        auto other = co_await Queue<int>::connect(url, "lease", 0, quick_options(5.0));
        co_await slow.put(42);
        EXPECT_EQ(co_await slow.get(), 42);  // leased for 0.3 s, never acknowledged in time
        EXPECT_EQ(co_await other.qsize(), 0u);
        redelivered = co_await other.get();  // waits for the lease to expire
        co_await other.task_done();
        co_await slow.task_done();  // late: already acknowledged by the other, not counted twice
        co_await other.join();
        unfinished_after = server.command({"HGET", "{lease}:meta", "unfinished"});
    }());
    EXPECT_EQ(redelivered, 42);
    EXPECT_EQ(unfinished_after, "0");
}

TEST(RedisLeases, AcknowledgedItemIsNeverDeliveredAgain) {
    RedisServer server;
    const std::string url = server.url();
    std::string empty_error;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "acked", 0, quick_options(0.2));
        co_await q.put(1);
        (void)co_await q.get();
        co_await q.task_done();
        co_await asyncio::sleep(0.4);  // past the lease
        empty_error = co_await error_of<asyncio::QueueEmpty>(q.get_nowait());
        EXPECT_EQ(co_await q.qsize(), 0u);
    }());
    EXPECT_EQ(empty_error, "queue is empty");
    EXPECT_EQ(server.command({"ZCARD", "{acked}:leases"}), "0");
}

// ---- cancellation -------------------------------------------------------------------------------

TEST(RedisCancel, CancelledWaitingGetLosesNoItem) {
    RedisServer server;
    const std::string url = server.url();
    int got = 0;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "cg", 0, quick_options(30.0));
        auto waiting = asyncio::create_task(q.get());
        co_await asyncio::sleep(0.05);
        waiting.cancel();
        bool cancelled = false;
        try {
            (void)co_await waiting;
        } catch (const asyncio::CancelledError&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        co_await q.put(7);
        got = co_await q.get();  // the same handle still works, and the item is there
        co_await q.task_done();
    }());
    EXPECT_EQ(got, 7);
}

// A get() cancelled while its round trip is in flight (the server leased it the item): the item
// goes back to the head at once, long before its 30 s lease would expire.
TEST(RedisCancel, CancelledInFlightGetGivesTheItemBack) {
    RedisServer server;
    const std::string url = server.url();
    std::vector<int> got;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "cgi", 0, quick_options(30.0));
        for (int i = 0; i < 20; ++i) co_await q.put(i);
        for (int round = 0; round < 10; ++round) {
            auto t = asyncio::create_task(q.get());
            co_await asyncio::sleep(0);  // its FCALL is sent; the reply is not read yet
            t.cancel();
            try {
                got.push_back(co_await t);
                co_await q.task_done();
            } catch (const asyncio::CancelledError&) {
            }
        }
        // The items the cancelled gets were leased come back at once: well within 5 s, when
        // their leases would last 30 s.
        while (got.size() < 20) got.push_back(co_await asyncio::wait_for(q.get(), 5.0));
    }());
    std::set<int> distinct(got.begin(), got.end());
    EXPECT_EQ(got.size(), 20u);
    EXPECT_EQ(distinct.size(), 20u);
    EXPECT_EQ(server.command({"LLEN", "{cgi}:items"}), "0");
}

TEST(RedisCancel, CancelledPutEitherPutOrNotAndQsizeTells) {
    RedisServer server;
    const std::string url = server.url();
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "cp", 1);
        co_await q.put(1);
        auto waiting = asyncio::create_task(q.put(2));  // waits: full
        co_await asyncio::sleep(0.05);
        waiting.cancel();
        try {
            co_await waiting;
        } catch (const asyncio::CancelledError&) {
        }
        EXPECT_EQ(co_await q.qsize(), 1u);  // not put
        EXPECT_EQ(co_await q.get(), 1);
        co_await q.task_done();
        auto in_flight = asyncio::create_task(q.put(3));
        co_await asyncio::sleep(0);
        in_flight.cancel();
        bool put = true;
        try {
            co_await in_flight;
        } catch (const asyncio::CancelledError&) {
            put = false;
        }
        co_await asyncio::sleep(0.05);
        const std::size_t n = co_await q.qsize();
        EXPECT_LE(n, 1u);
        if (put) {
            EXPECT_EQ(n, 1u);
        }
    }());
}

// ---- batches ------------------------------------------------------------------------------------

TEST(RedisBatches, PutManyGetManyInOrder) {
    RedisServer server;
    const std::string url = server.url();
    std::vector<int> got;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "batch", 0, quick_options());
        std::vector<int> items;
        for (int i = 0; i < 1000; ++i) items.push_back(i);
        co_await q.put_many(items);
        EXPECT_EQ(co_await q.qsize(), 1000u);
        while (got.size() < 1000) {
            std::vector<int> part = co_await q.get_many(300);
            EXPECT_GE(part.size(), 1u);
            EXPECT_LE(part.size(), 300u);
            got.insert(got.end(), part.begin(), part.end());
        }
        for (int i = 0; i < 1000; ++i) co_await q.task_done();
        co_await q.join();
    }());
    std::vector<int> expected;
    for (int i = 0; i < 1000; ++i) expected.push_back(i);
    EXPECT_EQ(got, expected);
}

TEST(RedisBatches, PutManyWaitsWhileFullAndStopsAtShutdown) {
    RedisServer server;
    const std::string url = server.url();
    std::string error;
    std::vector<int> got;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "bsd", 3);
        std::vector<int> items{1, 2, 3, 4, 5, 6, 7, 8};
        auto putter = asyncio::create_task(error_of<asyncio::QueueShutDown>(q.put_many(items)));
        co_await asyncio::sleep(0.1);
        EXPECT_FALSE(putter.done());
        EXPECT_EQ(co_await q.qsize(), 3u);
        std::vector<int> first = co_await q.get_many(2);  // room for 2 more
        got.insert(got.end(), first.begin(), first.end());
        co_await asyncio::sleep(0.1);
        EXPECT_EQ(co_await q.qsize(), 3u);  // 3, 4, 5
        co_await q.shutdown();
        error = co_await putter;
        while (true) {
            std::vector<int> rest;
            try {
                rest = co_await q.get_many(10);
            } catch (const asyncio::QueueShutDown&) {
                break;
            }
            got.insert(got.end(), rest.begin(), rest.end());
        }
    }());
    EXPECT_EQ(error, "queue is shut down");
    EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 4, 5}));  // the prefix put, in order
}

// ---- idempotent puts ----------------------------------------------------------------------------

TEST(RedisIdempotence, PutRetriedAfterItsReplyWasLostIsNotDuplicated) {
    RedisServer server;
    const std::string url = server.url();
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "idem", 0, quick_options());
        asyncio::detail::redis::lose_put_replies = 3;  // the server applies the put, the reply is lost
        co_await q.put(1);
        std::vector<int> many{2, 3, 4};
        asyncio::detail::redis::lose_put_replies = 1;
        co_await q.put_many(many);
        EXPECT_EQ(asyncio::detail::redis::lose_put_replies, 0);
        EXPECT_EQ(co_await q.qsize(), 4u);
    }());
    EXPECT_EQ(server.command({"LRANGE", "{idem}:items", "0", "-1"}).size(), 4u * 33u - 1u);
    EXPECT_EQ(server.command({"HGET", "{idem}:meta", "unfinished"}), "4");
}

// Connections killed by the server (CLIENT KILL) while puts are in flight: every put lands once.
TEST(RedisIdempotence, ClientKillDuringPutsNeitherLosesNorDuplicates) {
    RedisServer server;
    const std::string url = server.url();
    std::vector<int> got;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "kill", 0, quick_options(30.0, 5.0));
        auto producer_body = [&](int base) -> Task<> {
            for (int i = 0; i < 100; ++i) co_await q.put(base + i);
        };
        std::vector<Task<>> producers;
        for (int p = 0; p < 4; ++p) producers.push_back(asyncio::create_task(producer_body(p * 1000)));
        for (int k = 0; k < 5; ++k) {
            co_await asyncio::sleep(0.01);
            (void)server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
        }
        for (Task<>& t : producers) co_await t;
        const std::size_t n = co_await q.qsize();
        for (std::size_t i = 0; i < n; ++i) got.push_back(co_await q.get_nowait());
    }());
    std::set<int> distinct(got.begin(), got.end());
    EXPECT_EQ(got.size(), 400u);
    EXPECT_EQ(distinct.size(), 400u);
}

// ---- server faults ------------------------------------------------------------------------------

TEST(RedisFaults, StoppedServerTimesOutThenWorkResumes) {
    RedisServer server;
    const std::string url = server.url();
    std::string put_error, qsize_error;
    int got = 0;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "stop", 0, quick_options(30.0, 0.5));
        auto consumer = co_await Queue<int>::connect(url, "stop", 0, quick_options(30.0, 0.5));
        auto getter = asyncio::create_task(consumer.get());  // keeps waiting through the stop
        co_await asyncio::sleep(0.05);
        server.pause();
        put_error = co_await error_of<asyncio::TimeoutError>(q.put(1));
        qsize_error = co_await error_of<asyncio::TimeoutError>(q.qsize());
        EXPECT_FALSE(getter.done());
        server.resume();
        co_await q.put(2);
        got = co_await getter;
        co_await consumer.task_done();
    }());
    EXPECT_NE(put_error, "(no exception)");
    EXPECT_NE(qsize_error, "(no exception)");
    // the put that timed out may or may not have landed (the server got it before it stopped
    // answering): the waiting get got the first item that did
    EXPECT_TRUE(got == 1 || got == 2) << got;
}

TEST(RedisFaults, RestartWithAppendOnlyKeepsAcknowledgedPutsAndClientsReconnect) {
    RedisServer::Config config;
    config.appendonly = true;
    RedisServer server(config);
    const std::string url = server.url();
    std::vector<int> got;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "aof", 0, quick_options(30.0, 5.0));
        for (int i = 0; i < 10; ++i) co_await q.put(i);
        (void)co_await q.get();
        co_await q.task_done();  // 0 acknowledged
        server.restart();
        EXPECT_EQ(co_await q.qsize(), 9u);  // reconnects by itself
        for (int i = 0; i < 9; ++i) got.push_back(co_await q.get());
        for (int i = 0; i < 9; ++i) co_await q.task_done();
        co_await q.join();
    }());
    EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

// The server lost the queue's functions (a restart without persistence, FUNCTION FLUSH): the
// client loads them again by itself.
TEST(RedisFaults, FunctionsFlushedAreLoadedAgain) {
    RedisServer server;
    const std::string url = server.url();
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "flush");
        co_await q.put(1);
        EXPECT_EQ(server.command({"FUNCTION", "FLUSH"}), "OK");
        co_await q.put(2);
        EXPECT_EQ(co_await q.qsize(), 2u);
    }());
}

TEST(RedisFaults, KilledServerWaitingGetReconnectsFunctionsReload) {
    RedisServer server;
    const std::string url = server.url();
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "nopersist", 0, quick_options(30.0, 5.0));
        auto consumer = co_await Queue<int>::connect(url, "nopersist", 0, quick_options(30.0, 5.0));
        co_await q.put(1);
        EXPECT_EQ(co_await consumer.get(), 1);
        auto waiting = asyncio::create_task(consumer.get());  // waits across the restart
        co_await asyncio::sleep(0.05);
        server.kill();  // data and functions gone
        co_await asyncio::sleep(0.2);  // the waiting get() meets a refused connection meanwhile
        EXPECT_FALSE(waiting.done());
        server.start();
        co_await q.put(2);
        EXPECT_EQ(co_await asyncio::wait_for(std::move(waiting), 5.0), 2);
    }());
}

// ---- bad input ----------------------------------------------------------------------------------

TEST(RedisBadInput, MalformedUrls) {
    using asyncio::detail::redis::parse_url;
    for (const char* bad : {"", "http://x", "redis://", "redis://:6379", "redis://h:", "redis://h:0", "redis://h:70000",
                            "redis://h:12ab", "redis://h/x", "redis://pw@h", "redis://:p%zz@h", "redis://:p%4@h",
                            "unix://relative", "unix:///s?dbx=1", "rediss://h", "redis://[::1"}) {
        EXPECT_THROW(parse_url(bad), asyncio::ValueError) << bad;
    }
    auto ep = parse_url("redis://user:p%40ss%3Aw@example.com:6380/3");
    EXPECT_EQ(ep.host, "example.com");
    EXPECT_EQ(ep.port, 6380);
    EXPECT_EQ(ep.db, 3);
    EXPECT_EQ(ep.user.value_or(""), "user");
    EXPECT_EQ(ep.password.value_or(""), "p@ss:w");
    auto defaults = parse_url("redis://h");
    EXPECT_EQ(defaults.port, 6379);
    EXPECT_EQ(defaults.db, 0);
    EXPECT_FALSE(defaults.password);
    auto v6 = parse_url("redis://[::1]:7000");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 7000);
    auto u = parse_url("unix:///tmp/r.sock?db=2");
    EXPECT_TRUE(u.unix_socket);
    EXPECT_EQ(u.path, "/tmp/r.sock");
    EXPECT_EQ(u.db, 2);
    std::string error;
    asyncio::run([&]() -> Task<> {
        error = co_await error_of<asyncio::ValueError>(Queue<int>::connect("redis//127.0.0.1", "q"));
    }());
    EXPECT_NE(error.find("redis url"), std::string::npos) << error;
}

TEST(RedisBadInput, UnreachableServer) {
    std::string tcp, unix_error;
    // a loopback port bound (so that no other test takes it) and not listening
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    const int port = ntohs(a.sin_port);
    asyncio::run([&]() -> Task<> {
        tcp = co_await error_of<asyncio::redis::ConnectionError>(
            Queue<int>::connect("redis://127.0.0.1:" + std::to_string(port), "q"));
        unix_error = co_await error_of<asyncio::redis::ConnectionError>(
            Queue<int>::connect("unix:///nonexistent/redis.sock", "q"));
    }());
    ::close(fd);
    EXPECT_NE(tcp.find("refused"), std::string::npos) << tcp;
    EXPECT_NE(unix_error, "(no exception)");
}

TEST(RedisBadInput, KeysOfAnotherType) {
    RedisServer server;
    const std::string url = server.url();
    EXPECT_EQ(server.command({"SET", "{taken}:items", "x"}), "OK");
    std::string error;
    asyncio::run([&]() -> Task<> {
        error = co_await error_of<asyncio::redis::ConnectionError>(Queue<int>::connect(url, "taken"));
    }());
    EXPECT_NE(error.find("WRONGTYPE"), std::string::npos) << error;
    EXPECT_NE(error.find("{taken}:items"), std::string::npos) << error;
}

TEST(RedisBadInput, DecodeFailureGoesToTheDeadLetterListAndCountsAsDone) {
    RedisServer server;
    const std::string url = server.url();
    std::string error;
    asyncio::run([&]() -> Task<> {
        auto text = co_await Queue<std::string>::connect(url, "dl");
        auto numbers = co_await Queue<int>::connect(url, "dl");
        EXPECT_EQ(numbers.dead_letter_key(), "{dl}:dead");
        co_await text.put("not a number");
        co_await text.put("5");
        error = co_await error_of<asyncio::redis::DecodeError>(numbers.get());
        EXPECT_EQ(co_await numbers.get(), 5);
        co_await numbers.task_done();
        co_await text.join();  // the bad item counted as done
    }());
    EXPECT_NE(error.find("{dl}:dead"), std::string::npos) << error;
    EXPECT_EQ(server.command({"LRANGE", "{dl}:dead", "0", "-1"}), "not a number");
}

TEST(RedisBadInput, WrongOrMissingPassword) {
    RedisServer::Config config;
    config.password = "s3cr%t";
    RedisServer server(config);
    std::string wrong, missing;
    int got = 0;
    const std::string base = "127.0.0.1:" + std::to_string(server.port());
    asyncio::run([&]() -> Task<> {
        wrong = co_await error_of<asyncio::redis::ConnectionError>(Queue<int>::connect("redis://:nope@" + base, "q"));
        missing = co_await error_of<asyncio::redis::ConnectionError>(Queue<int>::connect("redis://" + base, "q"));
        auto q = co_await Queue<int>::connect("redis://:s3cr%25t@" + base, "q");  // percent-escaped
        co_await q.put(1);
        got = co_await q.get();
    }());
    EXPECT_NE(wrong.find("WRONGPASS"), std::string::npos) << wrong;
    EXPECT_NE(missing.find("NOAUTH"), std::string::npos) << missing;
    EXPECT_EQ(got, 1);
}

TEST(RedisBadInput, MaxsizeMismatch) {
    RedisServer server;
    const std::string url = server.url();
    std::string error;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "m", 5);
        error = co_await error_of<asyncio::ValueError>(Queue<int>::connect(url, "m", 6));
        auto same = co_await Queue<int>::connect(url, "m", 5);
        EXPECT_EQ(same.maxsize(), 5);
    }());
    EXPECT_NE(error.find("maxsize 5"), std::string::npos) << error;
}

TEST(RedisBadInput, BadOptions) {
    asyncio::redis::Options o;
    o.command_timeout = 0;
    std::string error;
    asyncio::run([&]() -> Task<> {
        error = co_await error_of<asyncio::ValueError>(Queue<int>::connect("redis://127.0.0.1", "q", 0, o));
    }());
    EXPECT_NE(error, "(no exception)");
}

// ---- handles ------------------------------------------------------------------------------------

TEST(RedisHandle, UnixSocketAndDb) {
    RedisServer::Config config;
    config.unix_socket = true;
    RedisServer server(config);
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(server.unix_url() + "?db=2", "u");
        co_await q.put(1);
        auto tcp_db2 = co_await Queue<int>::connect(server.url() + "/2", "u");
        auto tcp_db0 = co_await Queue<int>::connect(server.url(), "u");
        EXPECT_EQ(co_await tcp_db2.qsize(), 1u);
        EXPECT_EQ(co_await tcp_db0.qsize(), 0u);
    }());
}

TEST(RedisHandle, CloseWaitsAndLaterCallsRaise) {
    RedisServer server;
    const std::string url = server.url();
    std::string error, waiting_error;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<int>::connect(url, "c");
        auto waiting = asyncio::create_task(error_of<std::runtime_error>(q.get()));
        auto put = asyncio::create_task(q.put(1));
        co_await asyncio::sleep(0);
        co_await q.close();
        EXPECT_TRUE(put.done());
        co_await put;  // it was in flight: it completed
        waiting_error = co_await waiting;
        error = co_await error_of<std::runtime_error>(q.qsize());
        auto moved = std::move(q);
        auto other = co_await Queue<int>::connect(url, "c");
        EXPECT_EQ(co_await other.qsize(), 1u);
    }());
    EXPECT_NE(error.find("closed"), std::string::npos) << error;
    EXPECT_NE(waiting_error, "(no exception)");
}

TEST(RedisHandle, NoSigpipeOnADeadConnection) {
    RedisServer server;
    const std::string url = server.url();
    std::string error;
    asyncio::run([&]() -> Task<> {
        auto q = co_await Queue<std::string>::connect(url, "pipe", 0, quick_options(30.0, 1.0));
        server.kill();
        std::string big(1 << 20, 'x');  // a write to a dead connection
        error = co_await error_of<asyncio::TimeoutError>(q.put(big));
    }());
    struct sigaction sa {};
    ::sigaction(SIGPIPE, nullptr, &sa);
    EXPECT_EQ(sa.sa_handler, SIG_IGN);
    EXPECT_NE(error, "(no exception)");
}

}  // namespace
