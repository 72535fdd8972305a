// Tests for <asyncio/tasks.hpp>: Task, create_task, sleep, gather. Every ordering asserted
// here was first observed on CPython 3.13; the Python experiment is quoted next to the test.
//
// Note: GoogleTest's ASSERT_* macros `return`, which a coroutine cannot do, so coroutine
// bodies use EXPECT_* and the TEST bodies re-check what matters.
#include <asyncio/tasks.hpp>

#include <gtest/gtest.h>

#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/locks.hpp>
#include <asyncio/runners.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "support/text.hpp"

namespace {

using asyncio_test::Log;

/// Counts the objects alive, to prove coroutine frames are destroyed.
struct Tracked {
    static inline int alive = 0;
    static inline int constructed = 0;
    Tracked() { ++alive, ++constructed; }
    Tracked(const Tracked&) { ++alive, ++constructed; }
    Tracked& operator=(const Tracked&) = default;
    ~Tracked() { --alive; }
    static void reset() { alive = constructed = 0; }
};

asyncio::Task<int> value(int v) { co_return v; }

asyncio::Task<> push(Log& log, std::string what) {
    log.push_back(std::move(what));
    co_return;
}

asyncio::Task<> wait_event(asyncio::Event& ev) { co_await ev.wait(); }

// --- laziness and scheduling ------------------------------------------------------------------

asyncio::Task<> lazy_body(bool& ran) {
    ran = true;
    co_return;
}

TEST(Task, CallingACoroutineFunctionRunsNothing) {
    bool ran = false;
    {
        auto task = lazy_body(ran);
        EXPECT_FALSE(ran);
        EXPECT_FALSE(task.done());
    }
    EXPECT_FALSE(ran);
}

asyncio::Task<int> body_logs(Log& log) {
    log.push_back("body");
    co_return 7;
}

// Python: loop.call_soon(marker); await coro()  -> the coroutine runs inside the awaiting task
// without a loop iteration: ['body', 'after', 'marker'].
asyncio::Task<> co_await_runs_inline(Log& log) {
    asyncio::get_running_loop().call_soon([&log] { log.push_back("marker"); });
    const int v = co_await body_logs(log);
    log.push_back("after " + std::to_string(v));
    co_await asyncio::sleep(0);
}

TEST(Task, CoAwaitOfACoroutineRunsItInlineWithoutALoopIteration) {
    Log log;
    asyncio::run(co_await_runs_inline(log));
    EXPECT_EQ(log, (Log{"body", "after 7", "marker"}));
}

// Python: t = asyncio.create_task(w()); log('created'); ... -> the task has not run yet.
asyncio::Task<> creator_does_not_yield(Log& log) {
    auto loop_marker = [&log] { log.push_back("marker"); };
    asyncio::get_running_loop().call_soon(loop_marker);
    auto task = asyncio::create_task(push(log, "task"));
    log.push_back("created");
    EXPECT_FALSE(task.done());
    log.push_back("creator still running");
    co_await asyncio::sleep(0);
    log.push_back("creator resumed");
    EXPECT_TRUE(task.done());
}

TEST(CreateTask, TheTaskDoesNotRunUntilItsCreatorYieldsAndStartsThroughCallSoon) {
    Log log;
    asyncio::run(creator_does_not_yield(log));
    // marker was call_soon'd before create_task: the task's first step is queued behind it.
    EXPECT_EQ(log, (Log{"created", "creator still running", "marker", "task", "creator resumed"}));
}

asyncio::Task<> two_steps(Log& log, std::string name) {
    log.push_back(name + "1");
    co_await asyncio::sleep(0);
    log.push_back(name + "2");
}

// Python 3.13: ['created', 'A1', 'B1', 'A2', 'B2']
asyncio::Task<> interleave(Log& log) {
    auto a = asyncio::create_task(two_steps(log, "A"));
    auto b = asyncio::create_task(two_steps(log, "B"));
    log.push_back("created");
    co_await a;
    co_await b;
}

TEST(CreateTask, TwoTasksThatSleepZeroInterleaveA1B1A2B2) {
    Log log;
    asyncio::run(interleave(log));
    EXPECT_EQ(log, (Log{"created", "A1", "B1", "A2", "B2"}));
}

TEST(CreateTask, WithoutARunningLoopThrowsRuntimeError) {
    Tracked::reset();
    bool ran = false;
    {
        auto lazy = [](Tracked, bool& r) -> asyncio::Task<> {
            r = true;
            co_return;
        }(Tracked{}, ran);
        EXPECT_THROW((void)asyncio::create_task(lazy), std::runtime_error);
    }
    EXPECT_FALSE(ran);
    EXPECT_GT(Tracked::constructed, 0);
    EXPECT_EQ(Tracked::alive, 0) << "the rejected task's frame was not destroyed";
}

TEST(CreateTask, WithoutARunningLoopSaysSo) {
    try {
        (void)asyncio::create_task(value(1));
        FAIL() << "create_task returned without a running loop";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("no running event loop"), std::string::npos) << e.what();
    }
}

asyncio::Task<> create_task_of_library_awaitables(Log& log) {
    asyncio::Event ev;
    auto sleeper = asyncio::create_task(asyncio::sleep(0));
    auto waiter = asyncio::create_task(ev.wait());
    EXPECT_FALSE(sleeper.done());
    EXPECT_FALSE(waiter.done());
    co_await sleeper;
    log.push_back("sleep task done");
    ev.set();
    co_await waiter;
    log.push_back("event.wait task done");
    EXPECT_TRUE(waiter.done());
}

TEST(CreateTask, AcceptsTheLibrarysAwaitables) {
    Log log;
    asyncio::run(create_task_of_library_awaitables(log));
    EXPECT_EQ(log, (Log{"sleep task done", "event.wait task done"}));
}

// --- the Task handle --------------------------------------------------------------------------

asyncio::Task<> copies_share_state(Log& log) {
    auto task = asyncio::create_task(value(5));
    auto copy = task;
    co_await asyncio::sleep(0);
    EXPECT_TRUE(task.done());
    EXPECT_TRUE(copy.done());
    EXPECT_EQ(copy.result(), 5);
    EXPECT_EQ(co_await copy, 5);
    EXPECT_EQ(co_await task, 5);

    asyncio::Event never;
    auto waiting = asyncio::create_task(wait_event(never));
    auto other = waiting;
    co_await asyncio::sleep(0);
    EXPECT_TRUE(other.cancel());
    try {
        co_await waiting;
    } catch (const asyncio::CancelledError&) {
        log.push_back("cancelled through a copy");
    }
    EXPECT_TRUE(waiting.cancelled());
}

TEST(Task, IsACopyableHandleSharingOneTask) {
    EXPECT_TRUE(std::is_copy_constructible_v<asyncio::Task<int>>);
    Log log;
    asyncio::run(copies_share_state(log));
    EXPECT_EQ(log, (Log{"cancelled through a copy"}));
}

asyncio::Task<> background(Tracked, Log& log, asyncio::Event& ev) {
    co_await ev.wait();
    log.push_back("background finished");
}

asyncio::Task<> drop_every_handle(Log& log) {
    asyncio::Event ev;
    {
        auto task = asyncio::create_task(background(Tracked{}, log, ev));
    }  // the only handle is gone
    co_await asyncio::sleep(0);
    EXPECT_EQ(Tracked::alive, 1) << "the loop must keep a scheduled task alive";
    ev.set();
    for (int i = 0; i < 10 && Tracked::alive != 0; ++i) co_await asyncio::sleep(0);
    EXPECT_EQ(log, (Log{"background finished"}));
    EXPECT_EQ(Tracked::alive, 0) << "the finished task's frame was not destroyed";
}

TEST(Task, DroppingEveryHandleToAScheduledTaskNeitherCancelsNorLeaksIt) {
    Tracked::reset();
    Log log;
    asyncio::run(drop_every_handle(log));
    EXPECT_EQ(log, (Log{"background finished"}));
    EXPECT_EQ(Tracked::alive, 0);
}

// --- awaiting tasks: no suspension when done, wake-ups through the ready queue ----------------

// Python: t done; loop.call_soon(marker); await t; log('after')  -> ['after', 'marker']
asyncio::Task<> await_done_task(Log& log) {
    auto task = asyncio::create_task(value(7));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(task.done());
    asyncio::get_running_loop().call_soon([&log] { log.push_back("marker"); });
    const int v = co_await task;
    log.push_back("after " + std::to_string(v));
    co_await asyncio::sleep(0);
}

TEST(Task, AwaitingACompletedTaskDoesNotSuspend) {
    Log log;
    asyncio::run(await_done_task(log));
    EXPECT_EQ(log, (Log{"after 7", "marker"}));
}

asyncio::Task<int> b_ends(Log& log, asyncio::Event& ev) {
    co_await ev.wait();
    asyncio::get_running_loop().call_soon([&log] { log.push_back("marker from B"); });
    log.push_back("B ends");
    co_return 3;
}

asyncio::Task<> a_awaits(Log& log, asyncio::Task<int> b) {
    const int v = co_await b;
    log.push_back("A resumed with " + std::to_string(v));
}

// Python: B calls loop.call_soon(marker) and returns; A awaits B
//   -> ['B ends', 'marker-from-B', 'A-resumed']
asyncio::Task<> waiters_woken_through_ready_queue(Log& log) {
    asyncio::Event ev;
    auto b = asyncio::create_task(b_ends(log, ev));
    auto a = asyncio::create_task(a_awaits(log, b));
    co_await asyncio::sleep(0);
    ev.set();
    co_await a;
}

TEST(Task, WaitersOfAFinishedTaskAreWokenThroughTheReadyQueue) {
    Log log;
    asyncio::run(waiters_woken_through_ready_queue(log));
    EXPECT_EQ(log, (Log{"B ends", "marker from B", "A resumed with 3"}));
}

asyncio::Task<> awaiter_logs(Log& log, std::string name, asyncio::Task<int> t) {
    const int v = co_await t;
    log.push_back(name + "=" + std::to_string(v));
}

asyncio::Task<int> value_after_event(asyncio::Event& ev, int v) {
    co_await ev.wait();
    co_return v;
}

// Python: done callbacks run in registration order.
asyncio::Task<> many_awaiters(Log& log) {
    asyncio::Event ev;
    auto t = asyncio::create_task(value_after_event(ev, 9));
    std::vector<asyncio::Task<>> waiters;
    for (const char* name : {"w1", "w2", "w3", "w4"}) waiters.push_back(asyncio::create_task(awaiter_logs(log, name, t)));
    co_await asyncio::sleep(0);
    ev.set();
    for (auto& w : waiters) co_await w;
}

TEST(Task, EveryAwaiterOfATaskGetsTheResultInTheOrderTheyStartedWaiting) {
    Log log;
    asyncio::run(many_awaiters(log));
    EXPECT_EQ(log, (Log{"w1=9", "w2=9", "w3=9", "w4=9"}));
}

// --- no stack growth --------------------------------------------------------------------------

asyncio::Task<long> await_child_a_million_times() {
    long sum = 0;
    for (int i = 0; i < 1'000'000; ++i) sum += co_await value(1);
    co_return sum;
}

TEST(Task, AMillionSynchronouslyCompletingChildrenDoNotGrowTheStack) {
    EXPECT_EQ(asyncio::run(await_child_a_million_times()), 1'000'000);
}

asyncio::Task<long> await_done_task_a_million_times() {
    auto done = asyncio::create_task(value(1));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(done.done());
    long sum = 0;
    for (int i = 0; i < 1'000'000; ++i) sum += co_await done;
    co_return sum;
}

TEST(Task, AMillionAwaitsOfADoneTaskDoNotGrowTheStack) {
    EXPECT_EQ(asyncio::run(await_done_task_a_million_times()), 1'000'000);
}

asyncio::Task<int> link(asyncio::Task<int> previous) { co_return co_await previous + 1; }

// 100,000 tasks, each awaiting the previous one; the first waits for an event. set() then
// completes them one after the other: each completion must wake the next through the ready
// queue, never by resuming it inline. Each frame holds the handle of the previous task, so
// dropping the last handle must not free the chain by recursion either (CPython 3.13 runs
// this chain with 1,000,000 tasks).
asyncio::Task<int> chain_of_tasks(int n) {
    asyncio::Event start;
    asyncio::Task<int> last = asyncio::create_task(value_after_event(start, 0));
    for (int i = 0; i < n; ++i) last = asyncio::create_task(link(last));
    co_await asyncio::sleep(0);  // every link now waits for the previous one
    start.set();
    co_return co_await last;
}

TEST(Task, AChainOfAHundredThousandTasksAwaitingEachOtherDoesNotGrowTheStack) {
    EXPECT_EQ(asyncio::run(chain_of_tasks(100'000)), 100'000);
}

// --- cancel() -------------------------------------------------------------------------------

asyncio::Task<> sleeps_and_logs_cancel(Log& log) {
    try {
        co_await asyncio::sleep(3600);
        log.push_back("sleep returned");
    } catch (const asyncio::CancelledError&) {
        log.push_back("CancelledError at the sleep");
        throw;
    }
}

asyncio::Task<> cancel_at_current_await(Log& log) {
    auto t = asyncio::create_task(sleeps_and_logs_cancel(log));
    co_await asyncio::sleep(0);
    EXPECT_FALSE(t.done());
    EXPECT_TRUE(t.cancel());
    EXPECT_FALSE(t.done()) << "cancel() must not resume the task inline";
    EXPECT_TRUE(log.empty()) << "cancel() must not resume the task inline";
    try {
        co_await t;
        log.push_back("co_await returned");
    } catch (const asyncio::CancelledError&) {
        log.push_back("co_await threw CancelledError");
    }
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
}

TEST(Cancel, ThrowsCancelledErrorAtTheCurrentCoAwait) {
    Log log;
    asyncio::run(cancel_at_current_await(log));
    EXPECT_EQ(log, (Log{"CancelledError at the sleep", "co_await threw CancelledError"}));
}

asyncio::Task<> waits_event_logs(Log& log, asyncio::Event& ev) {
    try {
        co_await ev.wait();
        log.push_back("woke normally");
    } catch (const asyncio::CancelledError&) {
        log.push_back("CancelledError at the wait");
        throw;
    }
}

// Python's _must_cancel: what the task awaited has completed (ev.set() scheduled its wake-up)
// but the task has not resumed yet when cancel() comes. Python 3.13:
//   ev.set(); r = t.cancel()  -> r is True, the task sees CancelledError, ends cancelled.
asyncio::Task<> must_cancel(Log& log) {
    asyncio::Event ev;
    auto t = asyncio::create_task(waits_event_logs(log, ev));
    co_await asyncio::sleep(0);
    ev.set();
    const bool r = t.cancel();
    log.push_back(r ? "cancel returned true" : "cancel returned false");
    try {
        co_await t;
    } catch (const asyncio::CancelledError&) {
        log.push_back("task cancelled");
    }
    EXPECT_TRUE(t.cancelled());
    EXPECT_EQ(t.cancelling(), 1);
}

TEST(Cancel, AfterWhatTheTaskAwaitedCompletedButBeforeItResumedStillCancels) {
    Log log;
    asyncio::run(must_cancel(log));
    EXPECT_EQ(log, (Log{"cancel returned true", "CancelledError at the wait", "task cancelled"}));
}

asyncio::Task<> logs_if_run(Tracked, bool& ran) {
    ran = true;
    co_return;
}

// Python: t = create_task(body()); t.cancel()  -> body never runs, t.cancelled().
asyncio::Task<> cancel_before_first_step(bool& ran) {
    auto t = asyncio::create_task(logs_if_run(Tracked{}, ran));
    EXPECT_TRUE(t.cancel());
    try {
        co_await t;
    } catch (const asyncio::CancelledError&) {
    }
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
}

TEST(Cancel, BeforeTheFirstStepTheBodyNeverRunsAndTheTaskEndsCancelled) {
    Tracked::reset();
    bool ran = false;
    asyncio::run(cancel_before_first_step(ran));
    EXPECT_FALSE(ran);
    EXPECT_EQ(Tracked::alive, 0);
}

asyncio::Task<> level3(Log& log) {
    try {
        co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
        log.push_back("level3");
        throw;
    }
}
asyncio::Task<> level2(Log& log) {
    try {
        co_await level3(log);
    } catch (const asyncio::CancelledError&) {
        log.push_back("level2");
        throw;
    }
}
asyncio::Task<> level1(Log& log) {
    try {
        co_await level2(log);
    } catch (const asyncio::CancelledError&) {
        log.push_back("level1");
        throw;
    }
}

asyncio::Task<> cancel_nested(Log& log) {
    auto t = asyncio::create_task(level1(log));
    co_await asyncio::sleep(0);
    t.cancel();
    try {
        co_await t;
    } catch (const asyncio::CancelledError&) {
        log.push_back("task");
    }
    EXPECT_TRUE(t.cancelled());
}

TEST(Cancel, ReachesTheInnermostAwaitThroughNestedCoAwaits) {
    Log log;
    asyncio::run(cancel_nested(log));
    EXPECT_EQ(log, (Log{"level3", "level2", "level1", "task"}));
}

asyncio::Task<> awaits_task(asyncio::Task<> inner) { co_await inner; }

// Python: outer awaits inner task; outer.cancel()  -> both end cancelled.
asyncio::Task<> cancel_propagates_to_awaited_task() {
    asyncio::Event never;
    auto inner = asyncio::create_task(wait_event(never));
    auto outer = asyncio::create_task(awaits_task(inner));
    co_await asyncio::sleep(0);
    outer.cancel();
    try {
        co_await outer;
    } catch (const asyncio::CancelledError&) {
    }
    EXPECT_TRUE(outer.cancelled());
    EXPECT_TRUE(inner.cancelled());
}

TEST(Cancel, OfATaskAwaitingAnotherTaskCancelsThatTaskToo) { asyncio::run(cancel_propagates_to_awaited_task()); }

asyncio::Task<int> catches_and_returns(Log& log) {
    try {
        co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
        log.push_back("caught");
        co_return 42;
    }
    co_return 0;
}

// Python 3.13: r = await t  -> 42, t.cancelled() False, t.cancelling() 1, t.cancel() False
asyncio::Task<> catch_and_return(Log& log) {
    auto t = asyncio::create_task(catches_and_returns(log));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(t.cancel());
    const int r = co_await t;
    log.push_back("result " + std::to_string(r));
    EXPECT_FALSE(t.cancelled());
    EXPECT_EQ(t.result(), 42);
    EXPECT_EQ(t.cancelling(), 1);
    EXPECT_FALSE(t.cancel()) << "cancel() of a done task returns false";
}

TEST(Cancel, ACoroutineThatCatchesCancelledErrorAndReturnsEndsWithItsValue) {
    Log log;
    asyncio::run(catch_and_return(log));
    EXPECT_EQ(log, (Log{"caught", "result 42"}));
}

asyncio::Task<int> keeps_going_after_cancel(Log& log) {
    try {
        co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
        log.push_back("caught");
    }
    co_await asyncio::sleep(0);  // the swallowed cancellation does not come back
    log.push_back("slept after cancel");
    co_return 1;
}

asyncio::Task<> swallowed_cancel_is_not_repeated(Log& log) {
    auto t = asyncio::create_task(keeps_going_after_cancel(log));
    co_await asyncio::sleep(0);
    t.cancel();
    EXPECT_EQ(co_await t, 1);
    EXPECT_FALSE(t.cancelled());
}

TEST(Cancel, ASwallowedCancellationDoesNotComeBackAtTheNextAwait) {
    Log log;
    asyncio::run(swallowed_cancel_is_not_repeated(log));
    EXPECT_EQ(log, (Log{"caught", "slept after cancel"}));
}

asyncio::Task<> cancel_returns(Log& log) {
    auto done = asyncio::create_task(value(1));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(done.done());
    EXPECT_FALSE(done.cancel());
    EXPECT_FALSE(done.cancelled());
    EXPECT_EQ(done.cancelling(), 0);
    EXPECT_EQ(done.result(), 1);

    // Python 3.13: t.cancel(), t.cancel() -> True, True; cancelling() 2, still 2 once cancelled.
    auto t = asyncio::create_task(asyncio::sleep(3600));
    co_await asyncio::sleep(0);
    EXPECT_EQ(t.cancelling(), 0);
    EXPECT_TRUE(t.cancel());
    EXPECT_TRUE(t.cancel());
    EXPECT_EQ(t.cancelling(), 2);
    try {
        co_await t;
    } catch (const asyncio::CancelledError&) {
        log.push_back("cancelled");
    }
    EXPECT_TRUE(t.cancelled());
    EXPECT_EQ(t.cancelling(), 2);
    EXPECT_FALSE(t.cancel());
}

TEST(Cancel, ReturnsFalseWhenDoneAndCancellingCountsRequests) {
    Log log;
    asyncio::run(cancel_returns(log));
    EXPECT_EQ(log, (Log{"cancelled"}));
}

// Python 3.13: t = create_task(body()); t.cancel(); t.uncancel() -> 0; uncancel() again -> 0;
// the body then runs normally and the task is not cancelled (uncancel() reaching 0 clears
// _must_cancel in 3.13).
asyncio::Task<> uncancel_before_first_step(Log& log) {
    bool ran = false;
    auto t = asyncio::create_task(logs_if_run(Tracked{}, ran));
    t.cancel();
    EXPECT_EQ(t.cancelling(), 1);
    EXPECT_EQ(t.uncancel(), 0);
    EXPECT_EQ(t.uncancel(), 0);
    co_await t;
    EXPECT_TRUE(ran);
    EXPECT_FALSE(t.cancelled());
    log.push_back(ran ? "body ran" : "body did not run");
}

TEST(Cancel, UncancelBeforeTheFirstStepWithdrawsTheCancellation) {
    Log log;
    asyncio::run(uncancel_before_first_step(log));
    EXPECT_EQ(log, (Log{"body ran"}));
}

asyncio::Task<int> sleep_catch_return_5(Log& log) {
    try {
        co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
        log.push_back("got CancelledError");
        co_return 5;
    }
    co_return 0;
}

// Python 3.13: the task is suspended in sleep; t.cancel(); t.uncancel() -> 0. The sleep was
// already cancelled, so the task still sees CancelledError: ('c', 1, 0, 0), result 5.
asyncio::Task<> uncancel_while_suspended(Log& log) {
    auto t = asyncio::create_task(sleep_catch_return_5(log));
    co_await asyncio::sleep(0);
    t.cancel();
    EXPECT_EQ(t.cancelling(), 1);
    EXPECT_EQ(t.uncancel(), 0);
    EXPECT_EQ(t.cancelling(), 0);
    EXPECT_EQ(co_await t, 5);
    EXPECT_FALSE(t.cancelled());
}

TEST(Cancel, UncancelAfterTheAwaitWasCancelledDoesNotUndoIt) {
    Log log;
    asyncio::run(uncancel_while_suspended(log));
    EXPECT_EQ(log, (Log{"got CancelledError"}));
}

// --- result(), exception() ----------------------------------------------------------------------

asyncio::Task<> result_states(Log& log) {
    asyncio::Event ev;
    auto pending = asyncio::create_task(value_after_event(ev, 3));
    EXPECT_THROW((void)pending.result(), asyncio::InvalidStateError);
    EXPECT_THROW((void)pending.exception(), asyncio::InvalidStateError);
    co_await asyncio::sleep(0);
    EXPECT_THROW((void)pending.result(), asyncio::InvalidStateError);
    ev.set();
    co_await pending;
    EXPECT_EQ(pending.result(), 3);
    EXPECT_EQ(pending.exception(), nullptr);

    auto cancelled = asyncio::create_task(asyncio::sleep(3600));
    co_await asyncio::sleep(0);
    cancelled.cancel();
    try {
        co_await cancelled;
    } catch (const asyncio::CancelledError&) {
    }
    try {
        cancelled.result();
        log.push_back("result() of a cancelled task returned");
    } catch (const asyncio::CancelledError&) {
        log.push_back("result() threw CancelledError");
    }
    try {
        (void)cancelled.exception();
        log.push_back("exception() of a cancelled task returned");
    } catch (const asyncio::CancelledError&) {
        log.push_back("exception() threw CancelledError");
    }
}

TEST(Task, ResultBeforeDoneThrowsInvalidStateErrorAndOfACancelledTaskCancelledError) {
    Log log;
    asyncio::run(result_states(log));
    EXPECT_EQ(log, (Log{"result() threw CancelledError", "exception() threw CancelledError"}));
}

asyncio::Task<int> fails(std::string what) {
    co_await asyncio::sleep(0);
    throw std::out_of_range(what);
}

asyncio::Task<> thrower_of_int() {
    co_await asyncio::sleep(0);
    throw 17;
}

asyncio::Task<> exceptions_propagate(Log& log) {
    auto t = asyncio::create_task(fails("boom"));
    try {
        (void)co_await t;
    } catch (const std::out_of_range& e) {
        log.push_back(std::string("co_await: ") + e.what());
    }
    try {
        (void)t.result();
    } catch (const std::out_of_range& e) {
        log.push_back(std::string("result(): ") + e.what());
    }
    const std::exception_ptr ep = t.exception();
    EXPECT_NE(ep, nullptr);
    try {
        std::rethrow_exception(ep);
    } catch (const std::out_of_range& e) {
        log.push_back(std::string("exception(): ") + e.what());
    }
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(t.cancelled());

    try {
        co_await fails("inline");
    } catch (const std::out_of_range& e) {
        log.push_back(std::string("inline co_await: ") + e.what());
    }

    auto odd = asyncio::create_task(thrower_of_int());
    try {
        co_await odd;
    } catch (int v) {
        log.push_back("int " + std::to_string(v));
    }
}

TEST(Task, AnExceptionIsRethrownByCoAwaitAndByResultWithItsType) {
    Log log;
    asyncio::run(exceptions_propagate(log));
    EXPECT_EQ(log, (Log{"co_await: boom", "result(): boom", "exception(): boom", "inline co_await: inline",
                        "int 17"}));
}

asyncio::Task<> void_result() {
    auto t = asyncio::create_task(asyncio::sleep(0));
    co_await t;
    EXPECT_TRUE(t.done());
    EXPECT_NO_THROW(t.result());
    EXPECT_EQ(t.exception(), nullptr);
}

TEST(Task, OfVoidHasAResultThatReturns) { asyncio::run(void_result()); }

// --- a task of another loop ---------------------------------------------------------------

asyncio::Task<> await_foreign(asyncio::Task<> foreign) { co_await foreign; }

// Python: l2.run_until_complete(aw()) where aw awaits a pending task of l1
//   -> RuntimeError('Task ... got Future ... attached to a different loop')
TEST(Task, AwaitingAPendingTaskOfAnotherLoopThrowsRuntimeError) {
    asyncio::Event ev;
    asyncio::EventLoop loop1;
    auto foreign = loop1.create_task(wait_event(ev));
    loop1.run_until_complete(asyncio::sleep(0));  // foreign now waits for ev
    ASSERT_FALSE(foreign.done());
    {
        asyncio::EventLoop loop2;
        try {
            loop2.run_until_complete(await_foreign(foreign));
            ADD_FAILURE() << "awaiting a task of another loop did not throw";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("different"), std::string::npos) << e.what();
        }
        loop2.close();
    }
    // The failed await left nothing behind on the foreign task: it still finishes on its loop.
    EXPECT_FALSE(foreign.done());
    ev.set();
    loop1.run_until_complete(foreign);
    EXPECT_TRUE(foreign.done());
    EXPECT_FALSE(foreign.cancelled());
    loop1.close();
}

// --- sleep ------------------------------------------------------------------------------------

// Python: loop.call_soon(cb1) where cb1 call_soon's cb2; await sleep(0); log('A');
//   await sleep(0); log('A2')  -> ['cb1', 'A', 'cb2', 'A2']
asyncio::Task<> sleep_zero_one_iteration(Log& log) {
    auto& loop = asyncio::get_running_loop();
    loop.call_soon([&log, &loop] {
        log.push_back("cb1");
        loop.call_soon([&log] { log.push_back("cb2"); });
    });
    co_await asyncio::sleep(0);
    log.push_back("A");
    co_await asyncio::sleep(0);
    log.push_back("A2");
}

TEST(Sleep, ZeroYieldsForExactlyOneLoopIteration) {
    Log log;
    asyncio::run(sleep_zero_one_iteration(log));
    EXPECT_EQ(log, (Log{"cb1", "A", "cb2", "A2"}));
}

asyncio::Task<> sleep_zero_duration_one_iteration(Log& log) {
    auto& loop = asyncio::get_running_loop();
    loop.call_soon([&log, &loop] {
        log.push_back("cb1");
        loop.call_soon([&log] { log.push_back("cb2"); });
    });
    co_await asyncio::sleep(std::chrono::seconds(0));
    log.push_back("A");
    co_await asyncio::sleep(std::chrono::milliseconds(0));
    log.push_back("A2");
}

TEST(Sleep, AZeroDurationAlsoYieldsForExactlyOneLoopIteration) {
    Log log;
    asyncio::run(sleep_zero_duration_one_iteration(log));
    EXPECT_EQ(log, (Log{"cb1", "A", "cb2", "A2"}));
}

asyncio::Task<> sleep_negative(Log& log) {
    auto& loop = asyncio::get_running_loop();
    loop.call_soon([&log] { log.push_back("cb"); });
    co_await asyncio::sleep(-1);
    log.push_back("after sleep(-1)");
}

TEST(Sleep, NegativeBehavesLikeZero) {
    Log log;
    asyncio::run(sleep_negative(log));
    EXPECT_EQ(log, (Log{"cb", "after sleep(-1)"}));
}

asyncio::Task<double> sleep_duration(std::chrono::milliseconds d) {
    auto& loop = asyncio::get_running_loop();
    const double start = loop.time();
    co_await asyncio::sleep(d);
    co_return loop.time() - start;
}

asyncio::Task<double> sleep_seconds(double s) {
    auto& loop = asyncio::get_running_loop();
    const double start = loop.time();
    co_await asyncio::sleep(s);
    co_return loop.time() - start;
}

// Lower bounds only: a sleep never ends early (1 ms allowance for clock granularity).
TEST(Sleep, AcceptsChronoDurationsAndSecondsAndNeverEndsEarly) {
    EXPECT_GE(asyncio::run(sleep_duration(std::chrono::milliseconds(30))), 0.029);
    EXPECT_GE(asyncio::run(sleep_seconds(0.03)), 0.029);
}

asyncio::Task<> sleeper(Log& log, std::string name, std::chrono::microseconds d) {
    co_await asyncio::sleep(d);
    log.push_back(name);
}

asyncio::Task<> sleeps_in_order(Log& log) {
    // Each later-created sleeper has a much shorter sleep, so it is due earlier (only a stall
    // of 200 ms between two consecutive steps of one iteration could change that).
    auto hour = asyncio::create_task(sleeper(log, "1h", std::chrono::hours(1)));
    auto b = asyncio::create_task(sleeper(log, "200ms", std::chrono::milliseconds(200)));
    auto c = asyncio::create_task(sleeper(log, "10us", std::chrono::microseconds(10)));
    co_await b;
    co_await c;
    EXPECT_FALSE(hour.done());
    hour.cancel();
}

TEST(Sleep, ShorterSleepsStartedTogetherEndFirst) {
    Log log;
    asyncio::run(sleeps_in_order(log));
    EXPECT_EQ(log, (Log{"10us", "200ms"}));
}

// --- gather -----------------------------------------------------------------------------------

asyncio::Task<std::string> after_iterations(Log& log, std::string name, int iterations) {
    for (int i = 0; i < iterations; ++i) co_await asyncio::sleep(0);
    log.push_back(name);
    co_return name;
}

asyncio::Task<> nothing() { co_return; }

// Python: gather(d('x',3), d('y',1), d('z',2)) -> ['x','y','z'], completion order y, z, x.
asyncio::Task<> gather_tuple(Log& log) {
    auto [x, y, z, i, v] = co_await asyncio::gather(after_iterations(log, "x", 3), after_iterations(log, "y", 1),
                                                    after_iterations(log, "z", 2), value(4), nothing());
    static_assert(std::is_same_v<decltype(v), std::monostate>);
    log.push_back(x + y + z + std::to_string(i));
}

TEST(Gather, OfTasksGivesATupleInArgumentOrderWithMonostateForVoid) {
    Log log;
    asyncio::run(gather_tuple(log));
    EXPECT_EQ(log, (Log{"y", "z", "x", "xyz4"}));
}

asyncio::Task<> gather_vector(Log& log) {
    std::vector<asyncio::Task<std::string>> tasks;
    tasks.push_back(after_iterations(log, "a", 4));
    tasks.push_back(asyncio::create_task(after_iterations(log, "b", 2)));  // scheduled already
    tasks.push_back(after_iterations(log, "c", 0));
    const std::vector<std::string> r = co_await asyncio::gather(tasks);
    std::string all;
    for (const auto& s : r) all += s;
    log.push_back(all);
    for (auto& t : tasks) EXPECT_TRUE(t.done()) << "gather must schedule the tasks it was given";
}

TEST(Gather, OfAVectorGivesAVectorInArgumentOrderAndSchedulesUnscheduledTasks) {
    Log log;
    asyncio::run(gather_vector(log));
    EXPECT_EQ(log, (Log{"c", "b", "a", "abc"}));
}

asyncio::Task<> mark(Log& log, std::string name, int iterations) {
    for (int i = 0; i < iterations; ++i) co_await asyncio::sleep(0);
    log.push_back(name);
}

asyncio::Task<> gather_void_vector(Log& log) {
    std::vector<asyncio::Task<>> tasks;
    tasks.push_back(mark(log, "slow", 2));
    tasks.push_back(mark(log, "fast", 0));
    co_await asyncio::gather(tasks);
    log.push_back("gathered");
}

TEST(Gather, OfAVectorOfVoidTasksYieldsVoid) {
    Log log;
    asyncio::run(gather_void_vector(log));
    EXPECT_EQ(log, (Log{"fast", "slow", "gathered"}));
}

asyncio::Task<> gather_empty(Log& log) {
    const std::vector<int> r = co_await asyncio::gather(std::vector<asyncio::Task<int>>{});
    EXPECT_TRUE(r.empty());
    log.push_back("empty gathered");
}

TEST(Gather, OfNothingGivesAnEmptyVector) {
    Log log;
    asyncio::run(gather_empty(log));
    EXPECT_EQ(log, (Log{"empty gathered"}));
}

asyncio::Task<int> fails_after_sleep(std::string what) {
    co_await asyncio::sleep(0);
    throw std::invalid_argument(what);
}

// Python: the first exception propagates out of gather; the other children keep running.
asyncio::Task<> gather_first_exception(Log& log) {
    asyncio::Event release;
    auto slow = asyncio::create_task(value_after_event(release, 8));
    try {
        (void)co_await asyncio::gather(fails_after_sleep("first"), slow);
        log.push_back("gather returned");
    } catch (const std::invalid_argument& e) {
        log.push_back(std::string("caught ") + e.what());
    }
    EXPECT_FALSE(slow.done()) << "the other child must keep running";
    EXPECT_FALSE(slow.cancelled());
    release.set();
    log.push_back("slow gave " + std::to_string(co_await slow));
}

TEST(Gather, TheFirstExceptionPropagatesWhileTheOthersKeepRunning) {
    Log log;
    asyncio::run(gather_first_exception(log));
    EXPECT_EQ(log, (Log{"caught first", "slow gave 8"}));
}

asyncio::Task<> gather_vector_exception(Log& log) {
    std::vector<asyncio::Task<int>> tasks;
    tasks.push_back(value(1));
    tasks.push_back(fails_after_sleep("in vector"));
    try {
        (void)co_await asyncio::gather(tasks);
    } catch (const std::invalid_argument& e) {
        log.push_back(std::string("caught ") + e.what());
    }
}

TEST(Gather, OfAVectorPropagatesTheFirstException) {
    Log log;
    asyncio::run(gather_vector_exception(log));
    EXPECT_EQ(log, (Log{"caught in vector"}));
}

// Python: gather(d('x',1), a(), return_exceptions=True) -> ['x', ValueError('a-fail')]
asyncio::Task<> gather_return_exceptions(Log& log) {
    auto [ok, bad] =
        co_await asyncio::gather(asyncio::return_exceptions, after_iterations(log, "x", 1), fails_after_sleep("a-fail"));
    static_assert(std::is_same_v<decltype(ok), std::variant<std::string, std::exception_ptr>>);
    EXPECT_EQ(ok.index(), 0u);
    if (ok.index() == 0) log.push_back("ok " + std::get<0>(ok));
    EXPECT_EQ(bad.index(), 1u);
    if (bad.index() == 1) {
        try {
            std::rethrow_exception(std::get<1>(bad));
        } catch (const std::invalid_argument& e) {
            log.push_back(std::string("bad ") + e.what());
        }
    }
}

TEST(Gather, WithReturnExceptionsGivesExceptionsAsResults) {
    Log log;
    asyncio::run(gather_return_exceptions(log));
    EXPECT_EQ(log, (Log{"x", "ok x", "bad a-fail"}));
}

asyncio::Task<> gather_return_exceptions_vector(Log& log) {
    std::vector<asyncio::Task<>> tasks;
    tasks.push_back(mark(log, "ok", 1));
    tasks.push_back([]() -> asyncio::Task<> {
        co_await asyncio::sleep(0);
        throw std::range_error("void failed");
    }());
    const std::vector<std::variant<std::monostate, std::exception_ptr>> r =
        co_await asyncio::gather(asyncio::return_exceptions, tasks);
    EXPECT_EQ(r.size(), 2u);
    if (r.size() != 2) co_return;
    EXPECT_EQ(r[0].index(), 0u);
    EXPECT_EQ(r[1].index(), 1u);
    if (r[1].index() == 1) {
        try {
            std::rethrow_exception(std::get<1>(r[1]));
        } catch (const std::range_error& e) {
            log.push_back(e.what());
        }
    }
}

TEST(Gather, WithReturnExceptionsOfAVectorOfVoidTasksGivesMonostateOrTheException) {
    Log log;
    asyncio::run(gather_return_exceptions_vector(log));
    EXPECT_EQ(log, (Log{"ok", "void failed"}));
}

asyncio::Task<int> cancels_other_then_returns(asyncio::Task<> other) {
    co_await asyncio::sleep(0);
    other.cancel();
    co_return 1;
}

// Python: t = create_task(sleep(10)); gather(t, cs(), return_exceptions=True) where cs cancels t
//   -> [CancelledError(''), 1]
asyncio::Task<> gather_return_exceptions_with_cancelled(Log& log) {
    auto sleeper_task = asyncio::create_task(asyncio::sleep(3600));
    auto [first, second] =
        co_await asyncio::gather(asyncio::return_exceptions, sleeper_task, cancels_other_then_returns(sleeper_task));
    EXPECT_EQ(first.index(), 1u);
    if (first.index() == 1) {
        try {
            std::rethrow_exception(std::get<1>(first));
        } catch (const asyncio::CancelledError&) {
            log.push_back("first: CancelledError");
        }
    }
    EXPECT_EQ(second.index(), 0u);
    if (second.index() == 0) log.push_back("second: " + std::to_string(std::get<0>(second)));
}

TEST(Gather, WithReturnExceptionsGivesACancelledChildsCancelledError) {
    Log log;
    asyncio::run(gather_return_exceptions_with_cancelled(log));
    EXPECT_EQ(log, (Log{"first: CancelledError", "second: 1"}));
}

// Python: a child cancelled by someone else, without return_exceptions -> gather raises
// CancelledError.
asyncio::Task<> gather_child_cancelled(Log& log) {
    auto sleeper_task = asyncio::create_task(asyncio::sleep(3600));
    try {
        (void)co_await asyncio::gather(sleeper_task, cancels_other_then_returns(sleeper_task));
        log.push_back("gather returned");
    } catch (const asyncio::CancelledError&) {
        log.push_back("gather threw CancelledError");
    }
}

TEST(Gather, AChildCancelledByAnotherTaskMakesGatherThrowCancelledError) {
    Log log;
    asyncio::run(gather_child_cancelled(log));
    EXPECT_EQ(log, (Log{"gather threw CancelledError"}));
}

asyncio::Task<> child_logs_cancel(Log& log, std::string name) {
    try {
        co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
        log.push_back(name + " cancelled");
        throw;
    }
}

asyncio::Task<> gathers(asyncio::Task<> c1, asyncio::Task<> c2) { (void)co_await asyncio::gather(c1, c2); }

// Python: cancelling the task that awaits gather cancels every child:
//   ['1-cancelled', '2-cancelled', 'g-cancelled'], both children cancelled().
asyncio::Task<> cancel_gathering_task(Log& log) {
    auto c1 = asyncio::create_task(child_logs_cancel(log, "c1"));
    auto c2 = asyncio::create_task(child_logs_cancel(log, "c2"));
    auto g = asyncio::create_task(gathers(c1, c2));
    co_await asyncio::sleep(0);
    g.cancel();
    try {
        co_await g;
    } catch (const asyncio::CancelledError&) {
        log.push_back("g cancelled");
    }
    EXPECT_TRUE(g.cancelled());
    EXPECT_TRUE(c1.cancelled());
    EXPECT_TRUE(c2.cancelled());
}

TEST(Gather, CancellingTheGatheringTaskCancelsTheChildren) {
    Log log;
    asyncio::run(cancel_gathering_task(log));
    EXPECT_EQ(log, (Log{"c1 cancelled", "c2 cancelled", "g cancelled"}));
}

asyncio::Task<> gathers_unscheduled(Log& log) {
    co_await asyncio::gather(child_logs_cancel(log, "u1"), child_logs_cancel(log, "u2"));
}

asyncio::Task<> cancel_gathering_task_of_unscheduled(Log& log) {
    auto g = asyncio::create_task(gathers_unscheduled(log));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);  // the children have started
    g.cancel();
    try {
        co_await g;
    } catch (const asyncio::CancelledError&) {
        log.push_back("g cancelled");
    }
}

TEST(Gather, CancellingTheGatheringTaskCancelsChildrenItScheduledItself) {
    Log log;
    asyncio::run(cancel_gathering_task_of_unscheduled(log));
    EXPECT_EQ(log, (Log{"u1 cancelled", "u2 cancelled", "g cancelled"}));
}

// Python 3.13: gather() of children that are all done completes eagerly: no suspension.
asyncio::Task<> gather_of_done_tasks(Log& log) {
    auto t = asyncio::create_task(value(1));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(t.done());
    asyncio::get_running_loop().call_soon([&log] { log.push_back("marker"); });
    auto [v] = co_await asyncio::gather(t);
    log.push_back("after gather " + std::to_string(v));
    co_await asyncio::sleep(0);
}

TEST(Gather, OfTasksAlreadyDoneDoesNotSuspend) {
    Log log;
    asyncio::run(gather_of_done_tasks(log));
    EXPECT_EQ(log, (Log{"after gather 1", "marker"}));
}

}  // namespace
