// Tests for the selector loop of <asyncio/events.hpp>: add_reader / add_writer, the loop's
// sleep, and call_soon_threadsafe. Orderings were first observed on CPython 3.13 (quoted).
#include <asyncio/events.hpp>

#include <gtest/gtest.h>

#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>

#include "support/fd_check.hpp"
#include "support/text.hpp"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using asyncio_test::Log;

class Selector : public asyncio_test::FdCheckedTest {};

struct Pair {
    int fd[2] = {-1, -1};
    Pair() {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) < 0)
            throw std::system_error(errno, std::system_category(), "socketpair");
    }
    ~Pair() {
        ::close(fd[0]);
        ::close(fd[1]);
    }
};

double cpu_seconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// Python:
//   w.send(b'x'); loop.call_soon(a); loop.add_reader(r, rd); loop.call_soon(b)
//   loop.call_soon(c: call_soon(d)); loop.call_soon(loop.stop); loop.run_forever()
//   -> ['a', 'b', 'c', 'r']; the next run starts with 'd'
// The readiness callback is appended behind the callbacks already ready, in the same
// iteration; what those callbacks schedule comes in the next one.
TEST_F(Selector, AReadinessCallbackRunsBehindTheCallbacksAlreadyReady) {
    Pair p;
    ASSERT_EQ(::write(p.fd[1], "x", 1), 1);
    asyncio::EventLoop loop;
    Log log;
    loop.call_soon([&] { log.push_back("a"); });
    loop.add_reader(p.fd[0], [&] {
        log.push_back("r");
        loop.remove_reader(p.fd[0]);
    });
    loop.call_soon([&] { log.push_back("b"); });
    loop.call_soon([&] {
        log.push_back("c");
        loop.call_soon([&] { log.push_back("d"); });
    });
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(log, (Log{"a", "b", "c", "r"}));
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(log, (Log{"a", "b", "c", "r", "d"}));
}

// A reader and a writer of one fd are independent: removing one keeps the other.
TEST_F(Selector, ReaderAndWriterOfOneFdAreIndependent) {
    Pair p;
    asyncio::EventLoop loop;
    int reads = 0, writes = 0;
    loop.add_reader(p.fd[0], [&] {
        char buf[16];
        while (::read(p.fd[0], buf, sizeof buf) > 0) {
        }
        ++reads;
        loop.stop();
    });
    loop.add_writer(p.fd[0], [&] {
        ++writes;
        EXPECT_TRUE(loop.remove_writer(p.fd[0]));
        ASSERT_EQ(::write(p.fd[1], "y", 1), 1);  // now the reader has something
    });
    loop.run_forever();
    EXPECT_EQ(writes, 1);
    EXPECT_EQ(reads, 1);
    EXPECT_FALSE(loop.remove_writer(p.fd[0]));
    EXPECT_TRUE(loop.remove_reader(p.fd[0]));
    EXPECT_FALSE(loop.remove_reader(p.fd[0]));
}

// Python: a second add_reader for the same fd replaces the callback.
TEST_F(Selector, ASecondAddReplacesTheCallback) {
    Pair p;
    ASSERT_EQ(::write(p.fd[1], "x", 1), 1);
    asyncio::EventLoop loop;
    Log log;
    loop.add_reader(p.fd[0], [&] { log.push_back("first"); });
    loop.add_reader(p.fd[0], [&] {
        log.push_back("second");
        loop.remove_reader(p.fd[0]);
        loop.stop();
    });
    loop.run_forever();
    EXPECT_EQ(log, (Log{"second"}));
}

// Level-triggered, as Python's selector: the callback runs in each iteration while ready.
TEST_F(Selector, LevelTriggered) {
    Pair p;
    ASSERT_EQ(::write(p.fd[1], "x", 1), 1);
    asyncio::EventLoop loop;
    int runs = 0;
    loop.add_reader(p.fd[0], [&] {
        if (++runs == 3) loop.stop();
    });
    loop.run_forever();
    EXPECT_EQ(runs, 3);
    loop.remove_reader(p.fd[0]);
}

TEST_F(Selector, RemovingAReaderWhoseCallbackIsQueuedCancelsIt) {
    Pair p;
    ASSERT_EQ(::write(p.fd[1], "x", 1), 1);
    ASSERT_EQ(::write(p.fd[0], "x", 1), 1);
    asyncio::EventLoop loop;
    Log log;
    // Both fds are ready in the same iteration; the first callback removes the second.
    loop.add_reader(p.fd[1], [&] {
        log.push_back("one");
        loop.remove_reader(p.fd[0]);
        loop.remove_reader(p.fd[1]);
        loop.call_soon([&] { loop.stop(); });
    });
    loop.add_reader(p.fd[0], [&] {
        log.push_back("zero");
        loop.remove_reader(p.fd[0]);
        loop.remove_reader(p.fd[1]);
        loop.call_soon([&] { loop.stop(); });
    });
    loop.run_forever();
    EXPECT_EQ(log.size(), 1u);
}

TEST_F(Selector, BadFileDescriptorsAreRefusedClearly) {
    asyncio::EventLoop loop;
    EXPECT_THROW(loop.add_reader(-1, [] {}), std::invalid_argument);
    // epoll refuses regular files (EPERM), as Python's selector does.
    char path[] = "/tmp/asyncio-selector-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ::unlink(path);
    try {
        loop.add_reader(fd, [] {});
        ADD_FAILURE() << "add_reader of a regular file did not throw";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
        EXPECT_NE(std::string(e.what()).find("add_reader(fd " + std::to_string(fd) + ")"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(loop.remove_reader(fd));
    ::close(fd);
    // A closed fd: EBADF.
    EXPECT_THROW(loop.add_writer(fd, [] {}), std::system_error);
}

TEST_F(Selector, ClosingTheLoopRemovesReadersAndWritersAndReleasesTheirCallbacks) {
    Pair p;
    auto token = std::make_shared<int>(0);
    {
        asyncio::EventLoop loop;
        loop.add_reader(p.fd[0], [token] {});
        loop.add_writer(p.fd[1], [token] {});
        EXPECT_EQ(token.use_count(), 3);
        loop.close();
        EXPECT_EQ(token.use_count(), 1);
        EXPECT_FALSE(loop.remove_reader(p.fd[0]));
        EXPECT_THROW(loop.add_reader(p.fd[0], [] {}), std::runtime_error);
    }
}

TEST_F(Selector, AReadinessCallbackResumesATaskThroughAFuture) {
    Pair p;
    const std::string got = asyncio::run([&]() -> asyncio::Task<std::string> {
        auto& loop = asyncio::get_running_loop();
        asyncio::Future<void> readable = loop.create_future<void>();
        loop.add_reader(p.fd[0], [readable]() mutable {
            if (!readable.done()) readable.set_result();
        });
        loop.call_later(0.01, [&] { (void)!::write(p.fd[1], "hello", 5); });
        co_await readable;
        loop.remove_reader(p.fd[0]);
        char buf[16];
        const ssize_t n = ::read(p.fd[0], buf, sizeof buf);
        co_return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    }());
    EXPECT_EQ(got, "hello");
}

// ---- the loop's sleep ------------------------------------------------------------------------

// A resource check, not a timing one: waiting half a second for a timer costs (almost) no CPU.
TEST_F(Selector, TheLoopSleepsUntilTheNearestTimerWithoutSpinning) {
    asyncio::EventLoop loop;
    const double before = cpu_seconds();
    loop.call_later(0.5, [&] { loop.stop(); });
    loop.run_forever();
    const double used = cpu_seconds() - before;
    EXPECT_LT(used, 0.020) << "the loop used " << used << " s of CPU to wait 0.5 s";
}

TEST_F(Selector, ALoopAsleepWithNoTimerWakesForCallSoonThreadsafe) {
    asyncio::EventLoop loop;
    std::atomic<bool> ran{false};
    std::thread t([&] {
        ::usleep(20000);  // let the loop go to sleep first (either order is correct)
        loop.call_soon_threadsafe([&] {
            ran = true;
            loop.stop();
        });
    });
    loop.run_forever();
    t.join();
    EXPECT_TRUE(ran.load());
}

// 4 threads x 100,000 callbacks: each runs exactly once, each thread's in its order.
TEST_F(Selector, CallSoonThreadsafeFromFourThreadsRunsEachOnceInEachThreadsOrder) {
    constexpr int threads = 4, per_thread = 100000;
    asyncio::EventLoop loop;
    std::vector<int> last(threads, -1);
    std::vector<int> count(threads, 0);
    bool in_order = true;
    int total = 0;
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                loop.call_soon_threadsafe([&, t, i] {
                    if (i != last[t] + 1) in_order = false;
                    last[t] = i;
                    ++count[t];
                    if (++total == threads * per_thread) loop.stop();
                });
            }
        });
    }
    loop.run_forever();
    for (auto& t : ts) t.join();
    EXPECT_TRUE(in_order);
    for (int t = 0; t < threads; ++t) EXPECT_EQ(count[t], per_thread) << "thread " << t;
    EXPECT_EQ(total, threads * per_thread);
}

// Threads post while the loop closes and is destroyed: each post either is accepted (and
// then dropped by close(), its callable destroyed) or throws "Event loop is closed"; none
// touches the loop after its destruction. Meant for ThreadSanitizer and AddressSanitizer.
TEST_F(Selector, PostingWhileTheLoopClosesIsSafe) {
    for (int round = 0; round < 20; ++round) {
        auto loop = std::make_unique<asyncio::EventLoop>();
        auto token = std::make_shared<int>(0);  // every callable holds a copy
        std::atomic<int> accepted{0}, refused{0}, ran{0}, completed{0};
        std::atomic<bool> go{false};
        std::vector<std::thread> ts;
        for (int t = 0; t < 3; ++t) {
            ts.emplace_back([&, l = loop.get()] {
                while (!go.load()) std::this_thread::yield();
                for (int i = 0; i < 100000; ++i) {
                    try {
                        l->call_soon_threadsafe([&ran, token] { ++ran; });
                        ++accepted;
                    } catch (const std::runtime_error& e) {
                        EXPECT_STREQ(e.what(), "Event loop is closed");
                        ++refused;
                        return;
                    }
                }
                ++completed;
            });
        }
        go = true;
        loop->call_soon([&] { loop->stop(); });
        loop->run_forever();
        loop->close();
        for (auto& t : ts) t.join();  // the posters stop at their first refusal
        loop.reset();
        EXPECT_LE(ran.load(), accepted.load());
        EXPECT_EQ(token.use_count(), 1) << "a posted callable was not destroyed";
        EXPECT_EQ(refused.load() + completed.load(), 3);  // each poster was refused or posted all
    }
}

TEST_F(Selector, CallSoonThreadsafeAfterCloseThrows) {
    asyncio::EventLoop loop;
    loop.close();
    EXPECT_THROW(loop.call_soon_threadsafe([] {}), std::runtime_error);
}

// The loop's own fds (epoll, eventfd) are released with it: FdCheckedTest checks each test.
TEST_F(Selector, ManyLoopsLeakNoFd) {
    for (int i = 0; i < 200; ++i) {
        asyncio::EventLoop loop;
        loop.call_soon([&] { loop.stop(); });
        loop.run_forever();
    }
}

}  // namespace
