// Tests for <asyncio/executors.hpp>: ThreadPoolExecutor alone, without a loop (Python's
// concurrent.futures.ThreadPoolExecutor), and the WorkItem it runs.
#include <asyncio/executors.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

/// Polls `pred` every millisecond for at most 10 s; true once it holds.
template <class P>
bool eventually(P pred) {
    for (int i = 0; i < 10'000; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(1ms);
    }
    return pred();
}

/// A gate work items wait at until the test opens it (waits are bounded: 10 s).
struct Gate {
    std::atomic<bool> open{false};
    bool wait() const {
        return eventually([this] { return open.load(); });
    }
};

TEST(WorkItem, RunsItsCallableOnceAndIsEmptyAfterwards) {
    int calls = 0;
    asyncio::WorkItem item([&calls] { ++calls; });
    ASSERT_TRUE(item);
    item();
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(item);
    EXPECT_THROW(item(), std::logic_error);
}

TEST(WorkItem, HoldsAMoveOnlyCallableAndDestroysItUnrun) {
    auto p = std::make_shared<int>(7);
    std::weak_ptr<int> w = p;
    {
        asyncio::WorkItem item([q = std::make_unique<std::shared_ptr<int>>(std::move(p))] { (void)q; });
        asyncio::WorkItem moved = std::move(item);
        EXPECT_FALSE(item);  // NOLINT(bugprone-use-after-move): a moved-from item is empty
        EXPECT_TRUE(moved);
        EXPECT_FALSE(w.expired());
    }
    EXPECT_TRUE(w.expired());
}

TEST(ThreadPoolExecutor, SubmitReturnsTheValue) {
    asyncio::ThreadPoolExecutor pool(2);
    std::future<int> f = pool.submit([](int a, int b) { return a * b; }, 6, 7);
    EXPECT_EQ(f.get(), 42);
}

TEST(ThreadPoolExecutor, SubmitPassesMoveOnlyArgumentsAndReturnsMoveOnlyValues) {
    asyncio::ThreadPoolExecutor pool(1);
    auto f = pool.submit([](std::unique_ptr<int> p) { return std::make_unique<int>(*p + 1); }, std::make_unique<int>(1));
    EXPECT_EQ(*f.get(), 2);
}

TEST(ThreadPoolExecutor, SubmitCarriesTheExceptionWithItsType) {
    asyncio::ThreadPoolExecutor pool(1);
    // A shared_future, and the pool joined before it goes: the exception is freed on this
    // thread. (If the worker dropped the last reference, ThreadSanitizer would report a false
    // race: libstdc++ counts exception_ptr references in uninstrumented code.)
    std::shared_future<void> f = pool.submit([] { throw std::out_of_range("bad index"); }).share();
    try {
        f.get();
        FAIL() << "no exception";
    } catch (const std::out_of_range& e) {
        EXPECT_STREQ(e.what(), "bad index");
    }
    pool.shutdown();
}

TEST(ThreadPoolExecutor, RunsTheCallOnAnotherThread) {
    asyncio::ThreadPoolExecutor pool(1);
    auto id = pool.submit([] { return std::this_thread::get_id(); }).get();
    EXPECT_NE(id, std::this_thread::get_id());
}

TEST(ThreadPoolExecutor, DefaultMaxWorkersIsPythons) {
    const std::size_t expected = std::min<std::size_t>(32, std::thread::hardware_concurrency() + 4);
    EXPECT_EQ(asyncio::ThreadPoolExecutor::default_max_workers(), expected);
    asyncio::ThreadPoolExecutor pool;
    EXPECT_EQ(pool.max_workers(), expected);
}

TEST(ThreadPoolExecutor, ZeroWorkersIsRefused) {
    try {
        asyncio::ThreadPoolExecutor pool(0);
        FAIL() << "constructed";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "max_workers must be greater than 0");
    }
}

TEST(ThreadPoolExecutor, StartsNoThreadUntilWorkArrives) {
    asyncio::ThreadPoolExecutor pool(8);
    EXPECT_EQ(pool.thread_count(), 0u);
    pool.submit([] {}).get();
    EXPECT_EQ(pool.thread_count(), 1u);
}

TEST(ThreadPoolExecutor, AnIdleThreadTakesTheNextItemInsteadOfANewThread) {
    asyncio::ThreadPoolExecutor pool(8);
    pool.submit([] {}).get();
    ASSERT_TRUE(eventually([&] { return pool.idle_count() == 1; }));
    pool.submit([] {}).get();
    EXPECT_EQ(pool.thread_count(), 1u);
}

TEST(ThreadPoolExecutor, StartsAThreadPerBusyItemUpToMaxWorkers) {
    asyncio::ThreadPoolExecutor pool(3);
    Gate gate;
    std::atomic<int> started{0};
    std::vector<std::future<bool>> fs;
    for (int i = 0; i < 10; ++i)
        fs.push_back(pool.submit([&] {
            ++started;
            return gate.wait();
        }));
    EXPECT_TRUE(eventually([&] { return started.load() == 3; }));
    EXPECT_EQ(pool.thread_count(), 3u);
    gate.open = true;
    for (auto& f : fs) EXPECT_TRUE(f.get());
    EXPECT_EQ(started.load(), 10);
    EXPECT_EQ(pool.thread_count(), 3u);
}

TEST(ThreadPoolExecutor, RunsMaxWorkersCallsAtOnce) {
    asyncio::ThreadPoolExecutor pool(4);
    std::atomic<int> inside{0};
    std::vector<std::future<bool>> fs;
    for (int i = 0; i < 4; ++i)
        fs.push_back(pool.submit([&] {
            ++inside;
            return eventually([&] { return inside.load() == 4; });  // all four at the same time
        }));
    for (auto& f : fs) EXPECT_TRUE(f.get());
}

TEST(ThreadPoolExecutor, StartsWorkInSubmissionOrder) {
    asyncio::ThreadPoolExecutor pool(1);
    std::vector<int> order;  // one thread: no race
    for (int i = 0; i < 100; ++i) pool.execute([&order, i] { order.push_back(i); });
    pool.shutdown();
    ASSERT_EQ(order.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(ThreadPoolExecutor, ShutdownWaitRunsTheQueuedWorkAndJoinsTheThreads) {
    asyncio::ThreadPoolExecutor pool(2);
    std::atomic<int> done{0};
    for (int i = 0; i < 1000; ++i) pool.execute([&done] { ++done; });
    pool.shutdown(true);
    EXPECT_EQ(done.load(), 1000);
    EXPECT_EQ(pool.thread_count(), 0u);
}

TEST(ThreadPoolExecutor, SubmitAfterShutdownThrows) {
    asyncio::ThreadPoolExecutor pool(1);
    pool.submit([] {}).get();
    pool.shutdown();
    try {
        (void)pool.submit([] {});
        FAIL() << "submitted";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "cannot schedule new futures after shutdown");
    }
    EXPECT_THROW(pool.execute([] {}), std::runtime_error);
}

TEST(ThreadPoolExecutor, ShutdownWithoutWaitReturnsWhileWorkRunsAndTheWorkStillRuns) {
    Gate gate;
    std::atomic<int> done{0};
    std::future<bool> first;
    {
        asyncio::ThreadPoolExecutor pool(1);
        first = pool.submit([&] {
            bool ok = gate.wait();
            ++done;
            return ok;
        });
        for (int i = 0; i < 5; ++i) pool.execute([&done] { ++done; });
        pool.shutdown(false);  // returns at once: the first call is still blocked at the gate
        EXPECT_EQ(done.load(), 0);
        EXPECT_THROW(pool.execute([] {}), std::runtime_error);
        gate.open = true;
    }  // the destructor joins after the queued work has run
    EXPECT_TRUE(first.get());
    EXPECT_EQ(done.load(), 6);
}

TEST(ThreadPoolExecutor, CancelFuturesDiscardsTheWorkNotStarted) {
    asyncio::ThreadPoolExecutor pool(1);
    Gate gate;
    std::atomic<bool> running{false};
    auto first = pool.submit([&] {
        running = true;
        return gate.wait();
    });
    ASSERT_TRUE(eventually([&] { return running.load(); }));
    std::vector<std::future<int>> queued;
    for (int i = 0; i < 5; ++i) queued.push_back(pool.submit([i] { return i; }));
    pool.shutdown(false, true);
    for (auto& f : queued) {
        try {
            (void)f.get();
            FAIL() << "a cancelled call ran";
        } catch (const std::future_error& e) {
            EXPECT_EQ(e.code(), std::future_errc::broken_promise);
        }
    }
    gate.open = true;
    EXPECT_TRUE(first.get());
}

TEST(ThreadPoolExecutor, ConcurrentShutdownWaitsBothReturnAfterTheWork) {
    asyncio::ThreadPoolExecutor pool(2);
    Gate gate;
    std::atomic<int> done{0};
    for (int i = 0; i < 2; ++i) pool.execute([&] { done += gate.wait() ? 1 : 100; });
    std::atomic<int> returned{0};
    std::thread a([&] { pool.shutdown(true); ++returned; });
    std::thread b([&] { pool.shutdown(true); ++returned; });
    gate.open = true;
    a.join();
    b.join();
    EXPECT_EQ(returned.load(), 2);
    EXPECT_EQ(done.load(), 2);
}

TEST(ThreadPoolExecutor, SubmitFromManyThreadsAtOnce) {
    asyncio::ThreadPoolExecutor pool(4);
    std::atomic<int> done{0};
    std::vector<std::thread> producers;
    for (int t = 0; t < 4; ++t)
        producers.emplace_back([&] {
            for (int i = 0; i < 2500; ++i) pool.execute([&done] { ++done; });
        });
    for (auto& t : producers) t.join();
    pool.shutdown();
    EXPECT_EQ(done.load(), 10'000);
    EXPECT_LE(pool.max_workers(), 4u);
}

TEST(ThreadPoolExecutor, AnExceptionEscapingAPlainWorkItemDoesNotKillTheThread) {
    asyncio::ThreadPoolExecutor pool(1);
    pool.execute([] { throw std::runtime_error("lost"); });  // reported on stderr
    EXPECT_EQ(pool.submit([] { return 5; }).get(), 5);
    EXPECT_EQ(pool.thread_count(), 1u);
}

TEST(ThreadPoolExecutor, MayBeDestroyedByItsOwnWorkItem) {
    auto pool = std::make_shared<asyncio::ThreadPoolExecutor>(1);
    std::weak_ptr<asyncio::ThreadPoolExecutor> weak = pool;
    std::atomic<bool> ran{false};
    pool->execute([p = pool, &ran] { ran = true; });
    pool.reset();  // the item holds the last reference: its thread destroys the pool
    EXPECT_TRUE(eventually([&] { return weak.expired(); }));
    EXPECT_TRUE(ran.load());
}

}  // namespace
