// Tests for <asyncio/futures.hpp>: Future, and the done-callbacks of Futures and Tasks.
// Every ordering and message asserted here was first observed on CPython 3.13 (quoted).
#include <asyncio/futures.hpp>

#include <gtest/gtest.h>

#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>

#include "support/text.hpp"

#include <memory>
#include <stdexcept>
#include <string>

namespace {

using asyncio_test::Log;

TEST(Future, IsPendingUntilSetThenDoneForGood) {
    asyncio::EventLoop loop;
    asyncio::Future<int> f = loop.create_future<int>();
    EXPECT_FALSE(f.done());
    EXPECT_FALSE(f.cancelled());
    // Python: f.result() -> InvalidStateError('Result is not set.')
    try {
        (void)f.result();
        ADD_FAILURE() << "result() of a pending future did not throw";
    } catch (const asyncio::InvalidStateError& e) {
        EXPECT_STREQ(e.what(), "Result is not set.");
    }
    EXPECT_THROW((void)f.exception(), asyncio::InvalidStateError);
    f.set_result(7);
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.result(), 7);
    EXPECT_EQ(f.exception(), nullptr);
    // Python: f.set_result(2) -> InvalidStateError('invalid state')
    try {
        f.set_result(8);
        ADD_FAILURE() << "a second set_result did not throw";
    } catch (const asyncio::InvalidStateError& e) {
        EXPECT_STREQ(e.what(), "invalid state");
    }
    EXPECT_THROW(f.set_exception(std::make_exception_ptr(std::runtime_error("x"))), asyncio::InvalidStateError);
    EXPECT_FALSE(f.cancel());
    EXPECT_EQ(f.result(), 7);
}

TEST(Future, ExceptionAndCancellation) {
    asyncio::EventLoop loop;
    auto f = loop.create_future<std::string>();
    f.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
    EXPECT_THROW((void)f.result(), std::runtime_error);
    ASSERT_NE(f.exception(), nullptr);
    EXPECT_THROW(std::rethrow_exception(f.exception()), std::runtime_error);
    EXPECT_THROW(f.set_exception(nullptr), std::invalid_argument);

    auto g = loop.create_future<void>();
    EXPECT_TRUE(g.cancel());
    EXPECT_TRUE(g.cancelled());
    EXPECT_FALSE(g.cancel());  // Python: True, then False
    EXPECT_THROW(g.result(), asyncio::CancelledError);
    EXPECT_THROW((void)g.exception(), asyncio::CancelledError);
    EXPECT_THROW(g.set_result(), asyncio::InvalidStateError);
}

TEST(Future, DefaultConstructorNeedsARunningLoop) {
    EXPECT_THROW(asyncio::Future<int>(), std::runtime_error);
    asyncio::run([]() -> asyncio::Task<> {
        asyncio::Future<int> f;
        EXPECT_EQ(f.get_loop(), &asyncio::get_running_loop());
        co_return;
    }());
}

// Python:
//   f.add_done_callback(cb1); loop.call_soon(soon1); f.set_result(1)
//   f.add_done_callback(cb2); loop.call_soon(soon2)      -> soon1, cb1, cb2, soon2
// Callbacks are queued when the future completes, behind what is already queued; one added
// to a done future is queued at once.
TEST(Future, CallbacksRunThroughTheReadyQueueInOrder) {
    asyncio::EventLoop loop;
    Log log;
    auto f = loop.create_future<int>();
    f.add_done_callback([&](const asyncio::Future<int>& fut) { log.push_back("cb1 " + std::to_string(fut.result())); });
    loop.call_soon([&] { log.push_back("soon1"); });
    f.set_result(1);
    EXPECT_TRUE(log.empty()) << "a done-callback ran inline";
    f.add_done_callback([&](const asyncio::Future<int>&) { log.push_back("cb2"); });
    loop.call_soon([&] { log.push_back("soon2"); });
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(log, (Log{"soon1", "cb1 1", "cb2", "soon2"}));
}

// Python: remove_done_callback returns how many were removed; 0 once done.
TEST(Future, RemoveDoneCallbackByIdCountsAndStopsAtDone) {
    asyncio::EventLoop loop;
    int runs = 0;
    auto f = loop.create_future<void>();
    EXPECT_EQ(f.remove_done_callback(12345), 0u);
    const auto id1 = f.add_done_callback([&](const asyncio::Future<void>&) { ++runs; });
    const auto id2 = f.add_done_callback([&](const asyncio::Future<void>&) { runs += 10; });
    EXPECT_NE(id1, id2);
    EXPECT_EQ(f.remove_done_callback(id1), 1u);
    EXPECT_EQ(f.remove_done_callback(id1), 0u);
    f.set_result();
    EXPECT_EQ(f.remove_done_callback(id2), 0u);  // already queued: it still runs, as in Python
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(runs, 10);
}

TEST(Future, ACallbackThatThrowsDoesNotStopTheOthers) {
    asyncio::EventLoop loop;
    Log log;
    auto f = loop.create_future<int>();
    f.add_done_callback([&](const asyncio::Future<int>&) { throw std::runtime_error("callback failed"); });
    f.add_done_callback([&](const asyncio::Future<int>&) { log.push_back("second"); });
    f.set_result(3);
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(log, (Log{"second"}));
}

TEST(Future, CallbacksThatNeverRunAreFreedWhenTheLoopCloses) {
    auto token = std::make_shared<int>(0);
    {
        asyncio::EventLoop loop;
        auto f = loop.create_future<int>();
        f.add_done_callback([token](const asyncio::Future<int>&) {});
        f.set_result(1);  // queued, never run
        auto g = loop.create_future<int>();
        g.add_done_callback([token](const asyncio::Future<int>&) {});  // never done
        EXPECT_EQ(token.use_count(), 3);
        loop.close();
    }
    EXPECT_EQ(token.use_count(), 1);
}

TEST(Future, AwaitingAFutureGivesItsValueToEveryAwaiter) {
    auto r = asyncio::run([]() -> asyncio::Task<int> {
        asyncio::Future<int> f;
        auto waiter = [](asyncio::Future<int> fut) -> asyncio::Task<int> { co_return co_await fut; };
        auto a = asyncio::create_task(waiter(f));
        auto b = asyncio::create_task(waiter(f));
        asyncio::get_running_loop().call_later(0.01, [f]() mutable { f.set_result(21); });
        int x = co_await a;
        int y = co_await b;
        co_return x + y;
    }());
    EXPECT_EQ(r, 42);
}

TEST(Future, AwaitingRaisesTheFuturesException) {
    asyncio::run([]() -> asyncio::Task<> {
        asyncio::Future<void> f;
        f.set_exception(std::make_exception_ptr(std::logic_error("nope")));
        EXPECT_THROW(co_await f, std::logic_error);
    }());
}

// Python: cancelling a task that awaits a future cancels the future; the task ends cancelled.
TEST(Future, CancellingTheAwaitingTaskCancelsTheFuture) {
    asyncio::run([]() -> asyncio::Task<> {
        asyncio::Future<int> f;
        auto waiter = [](asyncio::Future<int> fut) -> asyncio::Task<int> { co_return co_await fut; };
        auto t = asyncio::create_task(waiter(f));
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.cancel());
        co_await asyncio::sleep(0);
        EXPECT_TRUE(f.cancelled());
        EXPECT_TRUE(t.done());
        EXPECT_TRUE(t.cancelled());
    }());
}

// Python: the future's own cancellation raises CancelledError in its awaiter.
TEST(Future, ACancelledFutureRaisesCancelledErrorInItsAwaiter) {
    asyncio::run([]() -> asyncio::Task<> {
        asyncio::Future<int> f;
        asyncio::get_running_loop().call_soon([f]() mutable { f.cancel(); });
        bool raised = false;
        try {
            (void)co_await f;
        } catch (const asyncio::CancelledError&) {
            raised = true;
        }
        EXPECT_TRUE(raised);
    }());
}

// A value set while the awaiting task is being cancelled: Python delivers the cancellation.
TEST(Future, CancelAfterTheResultWasSetStillCancelsTheTask) {
    asyncio::run([]() -> asyncio::Task<> {
        asyncio::Future<int> f;
        auto waiter = [](asyncio::Future<int> fut) -> asyncio::Task<int> { co_return co_await fut; };
        auto t = asyncio::create_task(waiter(f));
        co_await asyncio::sleep(0);
        f.set_result(5);
        t.cancel();
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(f.result(), 5);
    }());
}

TEST(Future, MoveOnlyValuesAreMovedToTheAwaiter) {
    auto r = asyncio::run([]() -> asyncio::Task<int> {
        asyncio::Future<std::unique_ptr<int>> f;
        f.set_result(std::make_unique<int>(9));
        std::unique_ptr<int> p = co_await f;
        co_return *p;
    }());
    EXPECT_EQ(r, 9);
}

// ---- Task's done-callbacks, names ---------------------------------------------------------

TEST(TaskCallbacks, RunAfterTheTaskIsDoneWithTheTask) {
    Log log;
    asyncio::run([&]() -> asyncio::Task<> {
        auto body = []() -> asyncio::Task<int> { co_return 4; };
        auto t = asyncio::create_task(body());
        t.add_done_callback([&](const asyncio::Task<int>& done) { log.push_back("done " + std::to_string(done.result())); });
        const auto id = t.add_done_callback([&](const asyncio::Task<int>&) { log.push_back("removed"); });
        EXPECT_EQ(t.remove_done_callback(id), 1u);
        co_await t;  // Python: the callback was added first, so it ran before this task woke
        EXPECT_EQ(log, (Log{"done 4"}));
        t.add_done_callback([&](const asyncio::Task<int>&) { log.push_back("late"); });
        co_await asyncio::sleep(0);
        EXPECT_EQ(log, (Log{"done 4", "late"}));
    }());
}

TEST(TaskCallbacks, NeedAScheduledTask) {
    auto body = []() -> asyncio::Task<> { co_return; };
    auto t = body();
    EXPECT_THROW(t.add_done_callback([](const asyncio::Task<>&) {}), asyncio::InvalidStateError);
}

// Python: tasks are named "Task-N" with a process-wide counter; set_name replaces it.
TEST(TaskNames, DefaultNamesCountUpAndSetNameReplacesThem) {
    asyncio::run([]() -> asyncio::Task<> {
        auto body = []() -> asyncio::Task<> { co_return; };
        auto a = asyncio::create_task(body());
        auto b = asyncio::create_task(body());
        const std::string na = a.get_name(), nb = b.get_name();
        EXPECT_EQ(na.rfind("Task-", 0), 0u);
        EXPECT_EQ(nb.rfind("Task-", 0), 0u);
        EXPECT_EQ(std::stoul(nb.substr(5)), std::stoul(na.substr(5)) + 1);
        b.set_name("worker");
        EXPECT_EQ(b.get_name(), "worker");
        co_await a;
        co_await b;
    }());
}

}  // namespace
