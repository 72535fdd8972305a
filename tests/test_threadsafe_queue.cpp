// Tests for <asyncio/threadsafe.hpp> (issue 11), part 1: the API contract and each
// semantic, one test each, across threads and loops. Part 2 (the linearizability history
// check and the stress test with random cancellations and timeouts) is
// tests/test_threadsafe_stress.cpp.
//
// Threads wait for each other only through bounded polls (eventually(): 10 s at most, then
// the test fails); nothing asserts a duration. Inside coroutines only EXPECT_* is used.

#include <asyncio/threadsafe.hpp>
#include <asyncio/asyncio.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

namespace ts = asyncio::threadsafe;
using asyncio::Task;

template <class V>
std::string text(const V& v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

// Polls `pred` every millisecond, for 10 s at most.
template <class P>
bool eventually(P pred) {
    for (int i = 0; i < 10000; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return pred();
}

// An event loop on its own thread, running `body` (a callable returning Task<>) with
// asyncio::run. post() runs a callback on that loop's thread.
class LoopThread {
public:
    template <class Body>
    explicit LoopThread(Body body)
        : th_([this, body]() mutable { asyncio::run(main(body)); }) {}
    LoopThread(const LoopThread&) = delete;
    ~LoopThread() { join(); }

    void join() {
        if (th_.joinable()) th_.join();
    }
    bool started() const { return loop_.load() != nullptr; }
    template <class F>
    void post(F fn) {
        EXPECT_TRUE(eventually([&] { return started(); }));
        loop_.load()->call_soon_threadsafe(std::move(fn));
    }

private:
    template <class Body>
    Task<> main(Body& body) {
        loop_ = &asyncio::get_running_loop();
        co_await body();
        loop_ = nullptr;
    }
    std::atomic<asyncio::EventLoop*> loop_{nullptr};
    std::thread th_;
};

// Threads and tasks waiting in join() (str(q) does not show them).
template <class Q>
std::size_t joiners(const Q& q) {
    return asyncio::detail::tsq::Access::joiners(q);
}

template <class Q>
bool shows(const Q& q, const std::string& part) {
    return text(q).find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------
// The contract's types
// ---------------------------------------------------------------------------------------

static_assert(!std::is_copy_constructible_v<ts::Queue<int>> && !std::is_move_constructible_v<ts::Queue<int>>);
static_assert(!std::is_copy_assignable_v<ts::Queue<int>> && !std::is_move_assignable_v<ts::Queue<int>>);
static_assert(!std::is_move_constructible_v<ts::LifoQueue<int>>);
static_assert(!std::is_move_constructible_v<ts::PriorityQueue<int, std::greater<int>>>);
static_assert(std::is_same_v<decltype(std::declval<ts::Queue<int>&>().sync_q().get()), int>);
static_assert(std::is_same_v<decltype(std::declval<ts::Queue<int>&>().sync_q().get(true, 1.0)), int>);
static_assert(std::is_same_v<asyncio::detail::await_result_t<decltype(std::declval<ts::Queue<int>&>().async_q().get())>, int>);
static_assert(std::is_same_v<asyncio::detail::await_result_t<decltype(std::declval<ts::Queue<int>&>().async_q().put(1))>, void>);
static_assert(std::is_same_v<asyncio::detail::await_result_t<decltype(std::declval<ts::Queue<int>&>().async_q().join())>, void>);
static_assert(!std::is_copy_constructible_v<ts::Queue<int>::sync_type> && !std::is_move_constructible_v<ts::Queue<int>::async_type>);

TEST(ThreadsafeQueue, ConstructsWithNoLoopAnywhere_Janus448) {
    // janus #448: the queue could not be created without a running loop. Here it is built
    // on a plain thread, used there, then from two loops on two other threads in turn.
    std::optional<ts::Queue<int>> q;
    std::thread([&] {
        q.emplace(3);
        q->sync_q().put(1);
        q->sync_q().put_nowait(2);
        EXPECT_EQ(q->sync_q().get(), 1);
    }).join();
    EXPECT_EQ(q->maxsize(), 3);
    EXPECT_EQ(q->async_q().maxsize(), 3);
    for (int round = 0; round < 2; ++round) {
        LoopThread lt([&]() -> Task<> {
            EXPECT_EQ(co_await q->async_q().get(), 2 + round);
            co_await q->async_q().put(3 + round);
        });
    }
    EXPECT_EQ(q->sync_q().get_nowait(), 4);
    EXPECT_EQ(text(*q), "<Queue maxsize=3 tasks=4>");
}

TEST(ThreadsafeQueue, SyncFaceNowaitTimeoutsAndErrors) {
    ts::Queue<int> q(2);
    auto& s = q.sync_q();
    EXPECT_THROW(s.get_nowait(), asyncio::QueueEmpty);
    EXPECT_THROW(s.get(false), asyncio::QueueEmpty);
    EXPECT_THROW(s.get(false, -1.0), asyncio::QueueEmpty);  // the timeout is ignored with block = false
    EXPECT_THROW(s.get(true, 0.0), asyncio::QueueEmpty);
    EXPECT_THROW(s.get(true, 0.01), asyncio::QueueEmpty);
    EXPECT_THROW(s.get(true, -0.5), asyncio::ValueError);
    EXPECT_THROW(s.get(true, std::nan("")), asyncio::ValueError);
    s.put(1);
    s.put(2, true, 0.0);
    EXPECT_TRUE(s.full());
    EXPECT_THROW(s.put_nowait(3), asyncio::QueueFull);
    EXPECT_THROW(s.put(3, false, -1.0), asyncio::QueueFull);
    EXPECT_THROW(s.put(3, true, 0.01), asyncio::QueueFull);
    EXPECT_THROW(s.put(3, true, -1.0), asyncio::ValueError);
    EXPECT_EQ(s.qsize(), 2u);
    EXPECT_EQ(s.get(true, -0.0), 1);  // -0.0 is not negative
    EXPECT_EQ(s.get(true, 5.0), 2);
    EXPECT_TRUE(s.empty());
    s.task_done();
    s.task_done();
    EXPECT_THROW(s.task_done(), asyncio::ValueError);
    EXPECT_THROW(q.async_q().task_done(), asyncio::ValueError);
    s.join();  // nothing unfinished: returns at once

    ts::Queue<int> unbounded;  // maxsize 0: put never blocks, and Python ignores its timeout
    unbounded.sync_q().put(1, true, -1.0);
    EXPECT_FALSE(unbounded.full());
    EXPECT_EQ(unbounded.maxsize(), 0);
}

TEST(ThreadsafeQueue, BlockingCallsThrowAtOnceOnALoopThread) {
    ts::Queue<int> q(1);
    asyncio::run([&]() -> Task<> {
        auto& s = q.sync_q();
        q.sync_q().put_nowait(1);  // a nowait call works on any thread
        EXPECT_THROW(s.get(), std::runtime_error);          // would not block: throws anyway
        EXPECT_THROW(s.get(true, 1.0), std::runtime_error);
        EXPECT_THROW(s.put(2), std::runtime_error);
        EXPECT_THROW(s.join(), std::runtime_error);
        EXPECT_EQ(q.qsize(), 1u);
        EXPECT_EQ(s.get(false), 1);
        s.put(2, false);
        EXPECT_EQ(s.get_nowait(), 2);
        s.task_done();
        s.task_done();
        co_return;
    }());
    EXPECT_EQ(text(q), "<Queue maxsize=1>");
}

Task<> get_into(ts::Queue<int>& q, std::vector<int>& out, int n) {
    for (int i = 0; i < n; ++i) out.push_back(co_await q.async_q().get());
}

TEST(ThreadsafeQueue, AsyncFaceIsAsyncioQueue) {
    ts::Queue<int> q(2);
    asyncio::run([&]() -> Task<> {
        auto& a = q.async_q();
        EXPECT_THROW(a.get_nowait(), asyncio::QueueEmpty);
        bool timed_out = false;
        try {
            (void)co_await asyncio::wait_for(a.get(), 0.01);
        } catch (const asyncio::TimeoutError&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
        std::vector<int> got;
        Task<> consumer = asyncio::create_task(get_into(q, got, 3));
        co_await a.put(1);
        co_await a.put(2);
        co_await a.put(3);
        Task<int> t = asyncio::create_task(a.get());  // an awaitable create_task takes
        a.put_nowait(4);
        EXPECT_EQ(co_await t, 4);
        co_await consumer;
        EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
        for (int i = 0; i < 4; ++i) a.task_done();
        co_await a.join();
        EXPECT_THROW(a.task_done(), asyncio::ValueError);
        a.put_nowait(5);
        a.put_nowait(6);
        EXPECT_THROW(a.put_nowait(7), asyncio::QueueFull);
        EXPECT_TRUE(a.full());
        EXPECT_EQ(a.qsize(), 2u);
    }());
}

TEST(ThreadsafeQueue, ItemsCrossFacesInOrder) {
    ts::Queue<int> fifo(4);
    ts::LifoQueue<int> lifo;
    ts::PriorityQueue<int, std::greater<int>> prio;
    std::vector<int> got_fifo, got_lifo, got_prio;
    // thread -> loop through a queue smaller than the number of items
    std::thread producer([&] {
        for (int i = 0; i < 100; ++i) fifo.sync_q().put(i);
        for (int v : {3, 1, 4, 1, 5}) lifo.sync_q().put(v);
        for (int v : {3, 1, 4, 1, 5}) prio.sync_q().put(v);
    });
    {
        LoopThread lt([&]() -> Task<> {
            for (int i = 0; i < 100; ++i) got_fifo.push_back(co_await fifo.async_q().get());
        });
    }
    producer.join();
    for (int i = 0; i < 5; ++i) got_lifo.push_back(lifo.sync_q().get());
    for (int i = 0; i < 5; ++i) got_prio.push_back(prio.async_q().get_nowait());
    std::vector<int> expect(100);
    for (int i = 0; i < 100; ++i) expect[i] = i;
    EXPECT_EQ(got_fifo, expect);
    EXPECT_EQ(got_lifo, (std::vector<int>{5, 1, 4, 1, 3}));
    EXPECT_EQ(got_prio, (std::vector<int>{5, 4, 3, 1, 1}));

    // loop -> thread
    std::vector<int> back;
    std::thread consumer([&] {
        for (int i = 0; i < 100; ++i) back.push_back(fifo.sync_q().get());
    });
    {
        LoopThread lt([&]() -> Task<> {
            for (int i = 0; i < 100; ++i) co_await fifo.async_q().put(i);
        });
    }
    consumer.join();
    EXPECT_EQ(back, expect);
}

Task<> get_and_log(ts::Queue<int>& q, std::vector<std::string>& log) {
    const int v = co_await q.async_q().get();
    log.push_back("getter " + std::to_string(v));
}

TEST(ThreadsafeQueue, SameLoopWakeUpGoesThroughTheReadyQueue) {
    // A waker on the getter's own loop schedules it directly, as asyncio.Queue does: the
    // getter runs before a callback scheduled right after the put. (A call_soon_threadsafe
    // wake-up would be taken in the next iteration, behind that callback.)
    ts::Queue<int> q;
    std::vector<std::string> log;
    asyncio::run([&]() -> Task<> {
        Task<> g = asyncio::create_task(get_and_log(q, log));
        co_await asyncio::sleep(0);
        q.async_q().put_nowait(1);
        asyncio::get_running_loop().call_soon([&] { log.push_back("callback"); });
        co_await g;
    }());
    EXPECT_EQ(log, (std::vector<std::string>{"getter 1", "callback"}));
}

// ---------------------------------------------------------------------------------------
// task_done / join across faces (janus #715)
// ---------------------------------------------------------------------------------------

TEST(ThreadsafeQueue, TaskDoneOnEitherFaceReleasesJoinOnBoth_Janus715) {
    // janus #715: join() hung. Here a blocking join and an awaiting join (on a loop of
    // its own thread) both return once task_done() calls, made on both faces, bring the
    // count to zero, even though an item is put right after that instant.
    ts::Queue<int> q;
    for (int i = 0; i < 3; ++i) q.sync_q().put(i);
    std::atomic<int> joined{0};
    std::thread sync_joiner([&] {
        q.sync_q().join();
        ++joined;
    });
    LoopThread async_joiner([&]() -> Task<> {
        co_await q.async_q().join();
        ++joined;
    });
    EXPECT_EQ(q.sync_q().get(), 0);
    q.sync_q().task_done();
    EXPECT_EQ(q.async_q().get_nowait(), 1);
    q.async_q().task_done();
    EXPECT_EQ(q.sync_q().get(), 2);
    ASSERT_TRUE(eventually([&] { return joiners(q) == 2; }));
    EXPECT_EQ(joined.load(), 0);
    q.sync_q().task_done();  // the count is zero now...
    q.sync_q().put(3);       // ...and not any more: joiners woken at zero return all the same
    sync_joiner.join();
    async_joiner.join();
    EXPECT_EQ(joined.load(), 2);
    EXPECT_EQ(text(q), "<Queue maxsize=0 _queue=[3] tasks=1>");
}

// ---------------------------------------------------------------------------------------
// shutdown (janus #237) and Python 3.13's rules
// ---------------------------------------------------------------------------------------

TEST(ThreadsafeQueue, ShutdownWakesABlockedSyncPut_Janus237) {
    // janus #237: close() left a thread blocked in sync_q.put() forever. shutdown() on the
    // async face wakes it (and an awaiting putter of another loop) with QueueShutDown.
    ts::Queue<int> q(1);
    q.sync_q().put(1);
    std::atomic<int> shut{0};
    std::thread putter([&] {
        try {
            q.sync_q().put(2);
        } catch (const asyncio::QueueShutDown&) {
            ++shut;
        }
    });
    ASSERT_TRUE(eventually([&] { return shows(q, "_putters[1]"); }));
    LoopThread async_putter([&]() -> Task<> {
        try {
            co_await q.async_q().put(3);
        } catch (const asyncio::QueueShutDown&) {
            ++shut;
        }
    });
    ASSERT_TRUE(eventually([&] { return shows(q, "_putters[2]"); }));
    q.async_q().shutdown();
    putter.join();
    async_putter.join();
    EXPECT_EQ(shut.load(), 2);
    EXPECT_EQ(text(q), "<Queue maxsize=1 _queue=[1] tasks=1 shutdown>");
    EXPECT_THROW(q.sync_q().put_nowait(4), asyncio::QueueShutDown);
    EXPECT_THROW(q.async_q().put_nowait(4), asyncio::QueueShutDown);
    EXPECT_THROW(q.sync_q().put(4, false), asyncio::QueueShutDown);
    q.shutdown();  // twice: no effect
    // Not immediate: what is left still comes out, then gets raise.
    EXPECT_EQ(q.sync_q().get(), 1);
    EXPECT_THROW(q.sync_q().get(), asyncio::QueueShutDown);
    EXPECT_THROW(q.sync_q().get_nowait(), asyncio::QueueShutDown);
    EXPECT_THROW(q.async_q().get_nowait(), asyncio::QueueShutDown);
}

TEST(ThreadsafeQueue, ShutdownWakesBlockedGettersOfBothFaces) {
    ts::Queue<int> q;
    std::atomic<int> shut{0};
    std::thread getter([&] {
        try {
            (void)q.sync_q().get();
        } catch (const asyncio::QueueShutDown&) {
            ++shut;
        }
    });
    LoopThread async_getter([&]() -> Task<> {
        try {
            (void)co_await q.async_q().get();
        } catch (const asyncio::QueueShutDown&) {
            ++shut;
        }
    });
    ASSERT_TRUE(eventually([&] { return text(q) == "<Queue maxsize=0 _getters[2]>"; }));
    q.sync_q().shutdown();
    getter.join();
    async_getter.join();
    EXPECT_EQ(shut.load(), 2);
    EXPECT_EQ(text(q), "<Queue maxsize=0 shutdown>");
}

TEST(ThreadsafeQueue, ImmediateShutdownReleasesJoinersWhenTheCountReachesZero) {
    ts::Queue<int> q;
    for (int i = 0; i < 3; ++i) q.sync_q().put(i);
    EXPECT_EQ(q.sync_q().get(), 0);  // taken, not done: the count stays 3
    std::atomic<int> joined{0};
    std::thread sync_joiner([&] {
        q.sync_q().join();
        ++joined;
    });
    LoopThread async_joiner([&]() -> Task<> {
        co_await q.async_q().join();
        ++joined;
    });
    ASSERT_TRUE(eventually([&] { return joiners(q) == 2; }));
    q.shutdown(true);  // discards 1 and 2, counting them done: 1 left
    EXPECT_EQ(text(q), "<Queue maxsize=0 tasks=1 shutdown>");
    EXPECT_THROW(q.sync_q().get(), asyncio::QueueShutDown);
    EXPECT_EQ(joiners(q), 2u);  // not before the count reaches zero
    EXPECT_EQ(joined.load(), 0);
    q.async_q().task_done();
    sync_joiner.join();
    async_joiner.join();
    EXPECT_EQ(joined.load(), 2);
    EXPECT_EQ(text(q), "<Queue maxsize=0 shutdown>");
}

// ---------------------------------------------------------------------------------------
// operator<<
// ---------------------------------------------------------------------------------------

TEST(ThreadsafeQueue, PrintsAsyncioReprWithWaitersOfBothFaces) {
    ts::Queue<int> q(1);
    EXPECT_EQ(text(q), "<Queue maxsize=1>");
    q.sync_q().put(1);
    std::thread putter([&] { EXPECT_THROW(q.sync_q().put(2), asyncio::QueueShutDown); });
    LoopThread async_putter([&]() -> Task<> {
        bool shut = false;
        try {
            co_await q.async_q().put(3);
        } catch (const asyncio::QueueShutDown&) {
            shut = true;
        }
        EXPECT_TRUE(shut);
    });
    EXPECT_TRUE(eventually([&] { return text(q) == "<Queue maxsize=1 _queue=[1] _putters[2] tasks=1>"; })) << text(q);
    q.shutdown();
    putter.join();
    async_putter.join();
    EXPECT_EQ(text(q), "<Queue maxsize=1 _queue=[1] tasks=1 shutdown>");

    ts::LifoQueue<std::string> l;
    l.sync_q().put("a");
    l.async_q().put_nowait("b");
    EXPECT_EQ(text(l), "<LifoQueue maxsize=0 _queue=['a', 'b'] tasks=2>");
    ts::PriorityQueue<int> p(5);
    for (int v : {3, 1, 2}) p.sync_q().put(v);
    EXPECT_EQ(text(p), "<PriorityQueue maxsize=5 _queue=[1, 3, 2] tasks=3>");  // heapq's order
}

// ---------------------------------------------------------------------------------------
// Cancellation after a wake-up from another thread; a loop closed while its tasks wait
// ---------------------------------------------------------------------------------------

Task<> wait_cancelled(Task<int>& t, bool& cancelled) {
    try {
        (void)co_await t;
    } catch (const asyncio::CancelledError&) {
        cancelled = true;
    }
}

TEST(ThreadsafeQueue, WokenByAnotherThreadThenCancelledPassesTheWakeUpOn) {
    // asyncio.Queue's rule, across threads: a getter woken by another thread's put and
    // cancelled before it runs leaves the item in the queue, and the next waiter (a
    // blocked thread here, then a task of another loop) gets it.
    for (int behind = 0; behind < 2; ++behind) {
        ts::Queue<int> q;
        std::atomic<int> got{-1};
        std::optional<std::thread> sync_getter;
        std::optional<LoopThread> async_getter;
        asyncio::run([&]() -> Task<> {
            Task<int> g = asyncio::create_task(q.async_q().get());
            co_await asyncio::sleep(0);  // g waits, first
            if (behind == 0)
                sync_getter.emplace([&] { got = q.sync_q().get(); });
            else
                async_getter.emplace([&]() -> Task<> { got = co_await q.async_q().get(); });
            EXPECT_TRUE(eventually([&] { return shows(q, "_getters[2]"); }));
            std::thread([&] { q.sync_q().put_nowait(5); }).join();  // wakes g through this loop
            EXPECT_EQ(text(q), "<Queue maxsize=0 _queue=[5] _getters[1] tasks=1>");
            g.cancel();  // before g ran
            bool cancelled = false;
            co_await wait_cancelled(g, cancelled);
            EXPECT_TRUE(cancelled);
        }());
        if (sync_getter) sync_getter->join();
        if (async_getter) async_getter->join();
        EXPECT_EQ(got.load(), 5);
        EXPECT_EQ(text(q), "<Queue maxsize=0 tasks=1>");
    }
}

Task<> put_cancelled(Task<>& t, bool& cancelled) {
    try {
        co_await t;
    } catch (const asyncio::CancelledError&) {
        cancelled = true;
    }
}

TEST(ThreadsafeQueue, APutterWokenByAnotherThreadThenCancelledPassesTheSlotOn) {
    ts::Queue<int> q(1);
    q.sync_q().put(0);
    std::optional<std::thread> sync_putter;
    asyncio::run([&]() -> Task<> {
        Task<> p = asyncio::create_task(q.async_q().put(1));
        co_await asyncio::sleep(0);  // p waits, first
        sync_putter.emplace([&] { q.sync_q().put(2); });
        EXPECT_TRUE(eventually([&] { return shows(q, "_putters[2]"); }));
        std::thread([&] { EXPECT_EQ(q.sync_q().get_nowait(), 0); }).join();  // wakes p, through this loop
        p.cancel();  // before p ran: the free slot goes to the thread behind it
        bool cancelled = false;
        co_await put_cancelled(p, cancelled);
        EXPECT_TRUE(cancelled);
        // A joiner cancelled while it waits leaves the list.
        Task<> j = asyncio::create_task(q.async_q().join());
        co_await asyncio::sleep(0);
        EXPECT_EQ(joiners(q), 1u);
        j.cancel();
        cancelled = false;
        co_await put_cancelled(j, cancelled);
        EXPECT_TRUE(cancelled);
        EXPECT_EQ(joiners(q), 0u);
    }());
    sync_putter->join();
    EXPECT_EQ(q.sync_q().get_nowait(), 2);
    EXPECT_EQ(text(q), "<Queue maxsize=1 tasks=2>");
}

TEST(ThreadsafeQueue, CancelledWhileWaitingLeavesNothingBehind) {
    ts::Queue<int> q(1);
    asyncio::run([&]() -> Task<> {
        Task<int> g = asyncio::create_task(q.async_q().get());
        co_await asyncio::sleep(0);
        EXPECT_EQ(text(q), "<Queue maxsize=1 _getters[1]>");
        g.cancel();
        EXPECT_EQ(text(q), "<Queue maxsize=1 _getters[1]>");  // as Python: until the task runs
        bool cancelled = false;
        co_await wait_cancelled(g, cancelled);
        EXPECT_TRUE(cancelled);
        EXPECT_EQ(text(q), "<Queue maxsize=1>");
        bool timed_out = false;
        q.async_q().put_nowait(1);
        try {
            co_await asyncio::wait_for(q.async_q().put(2), 0.01);
        } catch (const asyncio::TimeoutError&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
        EXPECT_EQ(text(q), "<Queue maxsize=1 _queue=[1] tasks=1>");
    }());
}

TEST(ThreadsafeQueue, ALoopClosedWhileItsTasksWaitDetachesThem) {
    ts::Queue<int> q;
    {
        asyncio::EventLoop loop;
        Task<int> t = loop.create_task(q.async_q().get());
        loop.run_until_complete(asyncio::sleep(0.001));
        EXPECT_EQ(text(q), "<Queue maxsize=0 _getters[1]>");
        loop.close();
        EXPECT_EQ(text(q), "<Queue maxsize=0>");
        EXPECT_TRUE(t.done());
    }
    q.sync_q().put(1);
    EXPECT_EQ(q.sync_q().get(), 1);

    // Woken (from this thread, through the loop, which is not running), then closed
    // before it ran: the wake-up goes on to the blocked thread behind it.
    std::atomic<int> got{-1};
    {
        asyncio::EventLoop loop;
        Task<int> t = loop.create_task(q.async_q().get());
        loop.run_until_complete(asyncio::sleep(0.001));
        std::thread getter([&] { got = q.sync_q().get(); });
        ASSERT_TRUE(eventually([&] { return shows(q, "_getters[2]"); }));
        q.sync_q().put_nowait(7);
        EXPECT_EQ(text(q), "<Queue maxsize=0 _queue=[7] _getters[1] tasks=2>");
        loop.close();
        getter.join();
        EXPECT_EQ(got.load(), 7);
    }
    EXPECT_EQ(text(q), "<Queue maxsize=0 tasks=2>");
}

// ---------------------------------------------------------------------------------------
// Fairness across faces
// ---------------------------------------------------------------------------------------

TEST(ThreadsafeQueue, GettersOfBothFacesAreServedInTheOrderTheyStartedWaiting) {
    ts::Queue<int> q;
    std::mutex m;
    std::vector<std::string> log;
    auto record = [&](const std::string& who, int v) {
        const std::lock_guard lk(m);
        log.push_back(who + ":" + std::to_string(v));
    };
    auto count = [&] {
        const std::lock_guard lk(m);
        return log.size();
    };
    LoopThread a1([&]() -> Task<> { record("a1", co_await q.async_q().get()); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_getters[1]"); }));
    std::thread s1([&] { record("s1", q.sync_q().get()); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_getters[2]"); }));
    LoopThread a2([&]() -> Task<> { record("a2", co_await q.async_q().get()); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_getters[3]"); }));
    std::thread s2([&] { record("s2", q.sync_q().get()); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_getters[4]"); }));
    for (int i = 0; i < 4; ++i) {
        q.sync_q().put(i);
        ASSERT_TRUE(eventually([&] { return count() == static_cast<std::size_t>(i + 1); }));
    }
    s1.join();
    s2.join();
    a1.join();
    a2.join();
    EXPECT_EQ(log, (std::vector<std::string>{"a1:0", "s1:1", "a2:2", "s2:3"}));
}

TEST(ThreadsafeQueue, PuttersOfBothFacesAreServedInTheOrderTheyStartedWaiting) {
    ts::Queue<int> q(1);
    q.sync_q().put(0);
    LoopThread a1([&]() -> Task<> { co_await q.async_q().put(1); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_putters[1]"); }));
    std::thread s1([&] { q.sync_q().put(2); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_putters[2]"); }));
    LoopThread a2([&]() -> Task<> { co_await q.async_q().put(3); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_putters[3]"); }));
    std::thread s2([&] { q.sync_q().put(4); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_putters[4]"); }));
    std::vector<int> out;
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(eventually([&] { return q.full(); }));
        out.push_back(q.async_q().get_nowait());
    }
    s1.join();
    s2.join();
    a1.join();
    a2.join();
    EXPECT_EQ(out, (std::vector<int>{0, 1, 2, 3, 4}));
}

// ---------------------------------------------------------------------------------------
// Exception safety: an item whose move throws leaves the queue as it was, on both faces
// ---------------------------------------------------------------------------------------

struct Bomb {
    static inline std::atomic<int> fuse{-1};  // moves left before one throws; -1: none throws
    int v;
    explicit Bomb(int x) : v(x) {}
    Bomb(Bomb&& o) : v(o.v) { tick(); }
    Bomb& operator=(Bomb&& o) {
        tick();
        v = o.v;
        return *this;
    }
    static void tick() {
        int f = fuse.load();
        while (f >= 0 && !fuse.compare_exchange_weak(f, f - 1)) {
        }
        if (f == 0) throw std::runtime_error("boom");
    }
};

template <class Q>
std::vector<int> drain(Q& q) {
    Bomb::fuse = -1;
    std::vector<int> v;
    while (!q.empty()) v.push_back(q.sync_q().get_nowait().v);
    return v;
}

TEST(ThreadsafeQueue, AThrowingMoveLeavesTheQueueAsItWas) {
    // Whichever move throws (the n-th of the call), the queue holds what it held.
    for (int face = 0; face < 2; ++face) {
        for (int n = 0; n < 6; ++n) {
            ts::Queue<Bomb> q(3);
            q.sync_q().put(Bomb(1));
            q.sync_q().put(Bomb(2));
            std::size_t expect = 2;
            Bomb::fuse = n;
            try {
                if (face == 0) {
                    q.sync_q().put(Bomb(3));
                } else {
                    asyncio::run([&]() -> Task<> { co_await q.async_q().put(Bomb(3)); }());
                }
                expect = 3;
            } catch (const std::runtime_error&) {
            }
            Bomb::fuse = -1;
            EXPECT_EQ(q.qsize(), expect);
            std::vector<int> want{1, 2};
            if (expect == 3) want.push_back(3);
            EXPECT_EQ(drain(q), want) << "face " << face << " n " << n;

            q.sync_q().put(Bomb(1));
            q.sync_q().put(Bomb(2));
            Bomb::fuse = n;
            int got = 0;
            try {
                if (face == 0) {
                    got = q.sync_q().get().v;
                } else {
                    got = asyncio::run([&]() -> Task<int> { co_return (co_await q.async_q().get()).v; }());
                }
            } catch (const std::runtime_error&) {
            }
            Bomb::fuse = -1;
            const std::vector<int> left = got == 1 ? std::vector<int>{2} : std::vector<int>{1, 2};
            EXPECT_EQ(drain(q), left) << "face " << face << " n " << n;
        }
    }
}

TEST(ThreadsafeQueue, AWokenGetterWhoseMoveThrowsPassesTheWakeUpOn) {
    for (int first_async = 0; first_async < 2; ++first_async) {
        ts::Queue<Bomb> q;
        std::atomic<int> failed{0}, got{-1};
        std::optional<std::thread> first;
        std::optional<LoopThread> first_loop;
        if (first_async) {
            first_loop.emplace([&]() -> Task<> {
                try {
                    (void)co_await q.async_q().get();
                } catch (const std::runtime_error&) {
                    ++failed;
                }
            });
        } else {
            first.emplace([&] {
                try {
                    (void)q.sync_q().get();
                } catch (const std::runtime_error&) {
                    ++failed;
                }
            });
        }
        ASSERT_TRUE(eventually([&] { return shows(q, "_getters[1]"); }));
        std::thread second([&] { got = q.sync_q().get().v; });
        ASSERT_TRUE(eventually([&] { return shows(q, "_getters[2]"); }));
        Bomb::fuse = 1;  // put_nowait's one move passes; the first getter's throws
        q.sync_q().put_nowait(Bomb(7));
        second.join();
        if (first) first->join();
        if (first_loop) first_loop->join();
        EXPECT_EQ(failed.load(), 1);
        EXPECT_EQ(got.load(), 7);
        Bomb::fuse = -1;
    }
}

// ---------------------------------------------------------------------------------------
// LIFO and priority order with waiters of both faces; destruction while waited on
// ---------------------------------------------------------------------------------------

TEST(ThreadsafeQueue, LifoAndPriorityOrderHoldAcrossFacesAndWaiters) {
    ts::PriorityQueue<int> p(2);
    std::atomic<int> first{-1};
    {
        LoopThread consumer([&]() -> Task<> { first = co_await p.async_q().get(); });
        ASSERT_TRUE(eventually([&] { return shows(p, "_getters[1]"); }));
        p.sync_q().put(9);  // a thread's put wakes a task of another loop
    }
    EXPECT_EQ(first.load(), 9);
    p.sync_q().put(5);
    p.async_q().put_nowait(4);
    EXPECT_EQ(p.sync_q().get(), 4);
    EXPECT_EQ(p.async_q().get_nowait(), 5);

    // LIFO: 1 and 2 in a queue of maxsize 2, a thread waiting to put 3. The loop takes 2
    // (the top), which lets 3 in on top of 1: then 3, then 1.
    ts::LifoQueue<int> l(2);
    l.sync_q().put(1);
    l.async_q().put_nowait(2);
    std::thread producer([&] { l.sync_q().put(3); });
    ASSERT_TRUE(eventually([&] { return shows(l, "_putters[1]"); }));
    std::vector<int> got;
    asyncio::run([&]() -> Task<> {
        got.push_back(co_await l.async_q().get());
        for (int i = 0; i < 10000 && !l.full(); ++i) co_await asyncio::sleep(0.001);
        got.push_back(co_await l.async_q().get());
        got.push_back(co_await l.async_q().get());
    }());
    producer.join();
    EXPECT_EQ(got, (std::vector<int>{2, 3, 1}));
}

#ifndef NDEBUG
TEST(ThreadsafeQueueDeathTest, DestroyedWhileATaskWaitsIsADebugAssertion) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            auto* q = new ts::Queue<int>;
            asyncio::EventLoop loop;
            Task<int> t = loop.create_task(q->async_q().get());
            loop.run_until_complete(asyncio::sleep(0.001));
            delete q;
        },
        "destroyed while");
}
#else
TEST(ThreadsafeQueueDeathTest, DestroyedWhileATaskWaitsIsADebugAssertion) {
    GTEST_SKIP() << "a debug assertion: NDEBUG is defined";
}
#endif

// ---------------------------------------------------------------------------------------
// A port of janus's tests/test_mixed.py (its cases, rewritten from their behaviour)
// ---------------------------------------------------------------------------------------

TEST(ThreadsafeQueueMixed, MaxsizeAndUnfinished) {
    ts::Queue<int> q(5);
    EXPECT_EQ(q.sync_q().maxsize(), 5);
    EXPECT_EQ(q.async_q().maxsize(), 5);
    q.sync_q().put(1);
    EXPECT_EQ(text(q), "<Queue maxsize=5 _queue=[1] tasks=1>");
    EXPECT_EQ(q.async_q().get_nowait(), 1);
    EXPECT_EQ(text(q), "<Queue maxsize=5 tasks=1>");
    q.async_q().task_done();
    EXPECT_EQ(text(q), "<Queue maxsize=5>");
}

TEST(ThreadsafeQueueMixed, SyncPutAsyncGetAndJoin) {
    ts::Queue<int> q;
    std::thread producer([&] {
        for (int i = 0; i < 5; ++i) q.sync_q().put(i);
    });
    std::vector<int> got;
    asyncio::run([&]() -> Task<> {
        for (int i = 0; i < 5; ++i) {
            got.push_back(co_await q.async_q().get());
            q.async_q().task_done();
        }
        co_await q.async_q().join();
    }());
    producer.join();
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(ThreadsafeQueueMixed, AsyncPutSyncGetAndSyncJoin) {
    ts::Queue<int> q(2);
    std::vector<int> got;
    std::thread consumer([&] {
        for (int i = 0; i < 5; ++i) {
            got.push_back(q.sync_q().get());
            q.sync_q().task_done();
        }
    });
    asyncio::run([&]() -> Task<> {
        for (int i = 0; i < 5; ++i) co_await q.async_q().put(i);
    }());
    q.sync_q().join();
    consumer.join();
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(ThreadsafeQueueMixed, SyncJoinAsyncDone) {
    ts::Queue<int> q;
    for (int i = 0; i < 5; ++i) q.sync_q().put(i);
    std::thread joiner([&] { q.sync_q().join(); });
    asyncio::run([&]() -> Task<> {
        for (int i = 0; i < 5; ++i) {
            (void)co_await q.async_q().get();
            co_await asyncio::sleep(0);
            q.async_q().task_done();
        }
    }());
    joiner.join();
    EXPECT_EQ(text(q), "<Queue maxsize=0>");
}

TEST(ThreadsafeQueueMixed, PutNotifiesTheOtherFacesGetter) {
    ts::Queue<int> q;
    std::atomic<int> got{-1};
    std::thread sync_getter([&] { got = q.sync_q().get(); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_getters[1]"); }));
    asyncio::run([&]() -> Task<> { co_await q.async_q().put(1); }());  // async put wakes a thread
    sync_getter.join();
    EXPECT_EQ(got.load(), 1);

    LoopThread async_getter([&]() -> Task<> { got = co_await q.async_q().get(); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_getters[1]"); }));
    q.sync_q().put(2);  // sync put wakes a task
    async_getter.join();
    EXPECT_EQ(got.load(), 2);
}

TEST(ThreadsafeQueueMixed, GetNotifiesTheOtherFacesPutter) {
    ts::Queue<int> q(1);
    q.sync_q().put(0);
    std::thread sync_putter([&] { q.sync_q().put(1); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_putters[1]"); }));
    asyncio::run([&]() -> Task<> { EXPECT_EQ(co_await q.async_q().get(), 0); }());
    sync_putter.join();

    LoopThread async_putter([&]() -> Task<> { co_await q.async_q().put(2); });
    ASSERT_TRUE(eventually([&] { return shows(q, "_putters[1]"); }));
    EXPECT_EQ(q.sync_q().get(), 1);
    async_putter.join();
    EXPECT_EQ(q.sync_q().get(), 2);
}

TEST(ThreadsafeQueueMixed, ShutdownForbidsPutsOnBothFacesAndIsIdempotent) {
    ts::Queue<int> q;
    q.async_q().put_nowait(1);
    q.sync_q().shutdown();
    q.async_q().shutdown();
    EXPECT_THROW(q.sync_q().put(2), asyncio::QueueShutDown);
    asyncio::run([&]() -> Task<> {
        bool shut = false;
        try {
            co_await q.async_q().put(2);
        } catch (const asyncio::QueueShutDown&) {
            shut = true;
        }
        EXPECT_TRUE(shut);
        EXPECT_EQ(co_await q.async_q().get(), 1);
        shut = false;
        try {
            (void)co_await q.async_q().get();
        } catch (const asyncio::QueueShutDown&) {
            shut = true;
        }
        EXPECT_TRUE(shut);
        q.async_q().task_done();
        co_await q.async_q().join();
    }());
    q.sync_q().join();
}

}  // namespace
