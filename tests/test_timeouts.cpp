// Tests for <asyncio/timeouts.hpp>: wait_for, with Python 3.13's semantics (wait_for is built
// on asyncio.timeouts since 3.12). Every outcome asserted here was first observed on CPython
// 3.13; the Python experiment is quoted next to each test.
#include <asyncio/timeouts.hpp>

#include <gtest/gtest.h>

#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/locks.hpp>
#include <asyncio/queues.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/text.hpp"

namespace {

using asyncio_test::Log;

asyncio::Task<int> value_after_sleep0(int v) {
    co_await asyncio::sleep(0);
    co_return v;
}

asyncio::Task<int> value_now(Log& log, int v) {
    log.push_back("body ran");
    co_return v;
}

/// Sleeps an hour; when cancelled, logs, cleans up across a loop iteration, logs again and
/// re-raises the cancellation. (No co_await inside a catch block in C++: hence the flag.)
asyncio::Task<int> slow_with_cleanup(Log& log) {
    bool cancelled = false;
    try {
        co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
        cancelled = true;
        log.push_back("inner cleanup start");
    }
    if (cancelled) {
        co_await asyncio::sleep(0);
        log.push_back("inner cleanup done");
        throw asyncio::CancelledError();
    }
    co_return 1;
}

// --- the result --------------------------------------------------------------------------------

asyncio::Task<> returns_results(Log& log) {
    log.push_back(std::to_string(co_await asyncio::wait_for(value_after_sleep0(5), 1.0)));
    log.push_back(std::to_string(co_await asyncio::wait_for(value_after_sleep0(6), std::chrono::seconds(1))));
    auto task = asyncio::create_task(value_after_sleep0(7));
    log.push_back(std::to_string(co_await asyncio::wait_for(task, std::chrono::milliseconds(1000))));
    co_await asyncio::wait_for(asyncio::sleep(0), 1.0);  // void
    log.push_back("void");
}

TEST(WaitFor, ReturnsTheResultWhenTheAwaitableFinishesInTime) {
    Log log;
    asyncio::run(returns_results(log));
    EXPECT_EQ(log, (Log{"5", "6", "7", "void"}));
}

asyncio::Task<int> fails_with_value_error() {
    co_await asyncio::sleep(0);
    throw std::invalid_argument("x");
}

asyncio::Task<> rethrows(Log& log) {
    try {
        co_await asyncio::wait_for(fails_with_value_error(), 1.0);
    } catch (const std::invalid_argument& e) {
        log.push_back(std::string("invalid_argument ") + e.what());
    }
}

TEST(WaitFor, RethrowsTheAwaitablesException) {
    Log log;
    asyncio::run(rethrows(log));
    EXPECT_EQ(log, (Log{"invalid_argument x"}));
}

// --- timing out --------------------------------------------------------------------------------

// Python 3.13: ['inner-cleanup-start', 'inner-cleanup-done', 'timeout']
asyncio::Task<> times_out_after_cleanup(Log& log) {
    try {
        co_await asyncio::wait_for(slow_with_cleanup(log), 0.01);
        log.push_back("returned");
    } catch (const asyncio::TimeoutError&) {
        log.push_back("TimeoutError");
    }
}

TEST(WaitFor, ThrowsTimeoutErrorOnlyAfterTheAwaitableWasCancelledAndFinished) {
    Log log;
    asyncio::run(times_out_after_cleanup(log));
    EXPECT_EQ(log, (Log{"inner cleanup start", "inner cleanup done", "TimeoutError"}));
}

asyncio::Task<> task_times_out(Log& log) {
    auto task = asyncio::create_task(slow_with_cleanup(log));
    try {
        co_await asyncio::wait_for(task, std::chrono::milliseconds(10));
    } catch (const asyncio::TimeoutError&) {
        log.push_back("TimeoutError");
    }
    EXPECT_TRUE(task.done());
    EXPECT_TRUE(task.cancelled());
}

TEST(WaitFor, ATimedOutTaskIsCancelledAndFinishedBeforeTimeoutError) {
    Log log;
    asyncio::run(task_times_out(log));
    EXPECT_EQ(log, (Log{"inner cleanup start", "inner cleanup done", "TimeoutError"}));
}

asyncio::Task<> sleep_times_out(Log& log) {
    try {
        co_await asyncio::wait_for(asyncio::sleep(3600), std::chrono::microseconds(100));
    } catch (const asyncio::TimeoutError&) {
        log.push_back("TimeoutError");
    }
}

TEST(WaitFor, AcceptsAChronoDurationAsTimeout) {
    Log log;
    asyncio::run(sleep_times_out(log));
    EXPECT_EQ(log, (Log{"TimeoutError"}));
}

asyncio::Task<std::string> swallows_cancellation() {
    try {
        co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
        co_return "swallowed";
    }
    co_return "slept";
}

// Python 3.13: an awaitable that swallows the cancellation and returns -> wait_for returns its
// value ('swallowed'), no TimeoutError.
asyncio::Task<> swallowed(Log& log) {
    try {
        log.push_back(co_await asyncio::wait_for(swallows_cancellation(), 0.01));
    } catch (const asyncio::TimeoutError&) {
        log.push_back("TimeoutError");
    }
}

TEST(WaitFor, AnAwaitableThatSwallowsTheCancellationGivesItsValue) {
    Log log;
    asyncio::run(swallowed(log));
    EXPECT_EQ(log, (Log{"swallowed"}));
}

// --- timeout <= 0 (Python 3.13: the awaitable is made a task and cancelled at once) ------------

// Python 3.13: wait_for(body(), 0) and wait_for(body(), -1) -> TimeoutError, body never ran.
asyncio::Task<> zero_timeout_on_coroutine(Log& log) {
    for (double timeout : {0.0, -1.0}) {
        try {
            log.push_back("returned " + std::to_string(co_await asyncio::wait_for(value_now(log, 9), timeout)));
        } catch (const asyncio::TimeoutError&) {
            log.push_back("TimeoutError");
        }
    }
    try {
        (void)co_await asyncio::wait_for(value_now(log, 9), std::chrono::seconds(0));
    } catch (const asyncio::TimeoutError&) {
        log.push_back("TimeoutError");
    }
}

TEST(WaitFor, ATimeoutOfZeroOrLessNeverRunsACoroutine) {
    Log log;
    asyncio::run(zero_timeout_on_coroutine(log));
    EXPECT_EQ(log, (Log{"TimeoutError", "TimeoutError", "TimeoutError"}));
}

// Python 3.13: t done; wait_for(t, 0) -> 9
asyncio::Task<> zero_timeout_on_done_task(Log& log) {
    auto t = asyncio::create_task(value_now(log, 9));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(t.done());
    log.push_back("returned " + std::to_string(co_await asyncio::wait_for(t, 0)));
}

TEST(WaitFor, ATimeoutOfZeroOnADoneTaskReturnsItsResult) {
    Log log;
    asyncio::run(zero_timeout_on_done_task(log));
    EXPECT_EQ(log, (Log{"body ran", "returned 9"}));
}

// Python 3.13: t = create_task(body()); wait_for(t, 0) -> TimeoutError, t.cancelled(), body
// never ran.
asyncio::Task<> zero_timeout_on_unstarted_task(Log& log) {
    auto t = asyncio::create_task(value_now(log, 9));
    try {
        (void)co_await asyncio::wait_for(t, 0);
    } catch (const asyncio::TimeoutError&) {
        log.push_back("TimeoutError");
    }
    EXPECT_TRUE(t.cancelled());
}

TEST(WaitFor, ATimeoutOfZeroCancelsAnUnstartedTaskBeforeItRuns) {
    Log log;
    asyncio::run(zero_timeout_on_unstarted_task(log));
    EXPECT_EQ(log, (Log{"TimeoutError"}));
}

// Python 3.13: a started task that cleans up across two iterations; wait_for(t, 0)
//   -> ['clean', 'clean done', 'timeout'], t.cancelled()
asyncio::Task<> zero_timeout_on_started_task(Log& log) {
    auto t = asyncio::create_task(slow_with_cleanup(log));
    co_await asyncio::sleep(0);
    try {
        (void)co_await asyncio::wait_for(t, 0);
    } catch (const asyncio::TimeoutError&) {
        log.push_back("TimeoutError");
    }
    EXPECT_TRUE(t.cancelled());
}

TEST(WaitFor, ATimeoutOfZeroCancelsAStartedTaskAndWaitsForIt) {
    Log log;
    asyncio::run(zero_timeout_on_started_task(log));
    EXPECT_EQ(log, (Log{"inner cleanup start", "inner cleanup done", "TimeoutError"}));
}

// --- cancellation of the waiting task --------------------------------------------------------

asyncio::Task<> outer_waits(Log& log) {
    try {
        co_await asyncio::wait_for(slow_with_cleanup(log), 3600);
        log.push_back("wait_for returned");
    } catch (const asyncio::CancelledError&) {
        log.push_back("outer CancelledError");
        throw;
    } catch (const asyncio::TimeoutError&) {
        log.push_back("outer TimeoutError");
    }
}

// Python 3.13: ['inner-cleanup-start', 'inner-cleanup-done', 'outer-CE'], outer cancelled.
asyncio::Task<> cancel_outer(Log& log) {
    auto outer = asyncio::create_task(outer_waits(log));
    co_await asyncio::sleep(0);
    outer.cancel();
    try {
        co_await outer;
    } catch (const asyncio::CancelledError&) {
    }
    EXPECT_TRUE(outer.cancelled());
}

TEST(WaitFor, CancellingTheWaitingTaskGivesCancelledErrorNotTimeoutError) {
    Log log;
    asyncio::run(cancel_outer(log));
    EXPECT_EQ(log, (Log{"inner cleanup start", "inner cleanup done", "outer CancelledError"}));
}

asyncio::Task<int> nested_inner_long(Log& log) {
    try {
        co_await asyncio::wait_for(asyncio::sleep(3600), 3600);
    } catch (const asyncio::TimeoutError&) {
        log.push_back("inner TimeoutError");
    } catch (const asyncio::CancelledError&) {
        log.push_back("inner saw CancelledError");
        throw;
    }
    co_return 1;
}

// Python 3.13: the outer deadline passes first: the inner wait_for sees CancelledError (not
// its own timeout), the outer one raises TimeoutError.
asyncio::Task<> nested_outer_expires(Log& log) {
    try {
        co_await asyncio::wait_for(nested_inner_long(log), 0.01);
    } catch (const asyncio::TimeoutError&) {
        log.push_back("outer TimeoutError");
    }
}

TEST(WaitFor, NestedTheOuterDeadlineIsTheOuterTimeout) {
    Log log;
    asyncio::run(nested_outer_expires(log));
    EXPECT_EQ(log, (Log{"inner saw CancelledError", "outer TimeoutError"}));
}

asyncio::Task<int> nested_inner_short(Log& log) {
    try {
        co_await asyncio::wait_for(asyncio::sleep(3600), 0.001);
    } catch (const asyncio::TimeoutError&) {
        log.push_back("inner TimeoutError");
    }
    co_return 7;
}

// Python 3.13: the inner deadline passes first -> the inner TimeoutError, caught; outer gives 7.
asyncio::Task<> nested_inner_expires(Log& log) {
    log.push_back("outer gave " + std::to_string(co_await asyncio::wait_for(nested_inner_short(log), 3600)));
}

TEST(WaitFor, NestedTheInnerDeadlineIsTheInnerTimeout) {
    Log log;
    asyncio::run(nested_inner_expires(log));
    EXPECT_EQ(log, (Log{"inner TimeoutError", "outer gave 7"}));
}

// --- the deadline and a completion in the same loop iteration --------------------------------
//
// Construction (deterministic, no timing assertion): the waiting task W arms a 1 ms deadline;
// then the loop is blocked for 50 ms, so at the next iteration the deadline is overdue, along
// with whatever else was arranged with call_at(). Within one iteration, the ready callbacks
// run first, then the due timers in order of due time.

asyncio::Task<> get_with_timeout(asyncio::Queue<std::string>& q, Log& log) {
    try {
        log.push_back("got " + co_await asyncio::wait_for(q.get(), 0.001));
    } catch (const asyncio::TimeoutError&) {
        log.push_back("TimeoutError");
    }
}

void block_the_loop() { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }

// Python 3.13: put_nowait in the step before the overdue iteration: W's wake-up is ready before
// the deadline fires -> 'got item', qsize 0.
asyncio::Task<> put_then_deadline(Log& log) {
    asyncio::Queue<std::string> q;
    auto w = asyncio::create_task(get_with_timeout(q, log));
    co_await asyncio::sleep(0);  // W waits, its deadline armed
    q.put_nowait("item");
    block_the_loop();
    co_await w;
    log.push_back("qsize " + std::to_string(q.qsize()));
}

TEST(WaitForQueueGet, AnItemPutBeforeTheDeadlineIterationIsReturned) {
    Log log;
    asyncio::run(put_then_deadline(log));
    EXPECT_EQ(log, (Log{"got item", "qsize 0"}));
}

// Python 3.13: the deadline timer and then a put timer fire in the same iteration
//   -> TimeoutError, and the item is still in the queue (qsize 1): nothing lost.
asyncio::Task<> deadline_then_put_same_iteration(Log& log) {
    asyncio::Queue<std::string> q;
    auto w = asyncio::create_task(get_with_timeout(q, log));
    co_await asyncio::sleep(0);
    auto& loop = asyncio::get_running_loop();
    loop.call_at(loop.time() + 0.001, [&q] { q.put_nowait("item"); });  // due after the deadline
    block_the_loop();
    co_await w;
    log.push_back("qsize " + std::to_string(q.qsize()));
    if (q.qsize() == 1) log.push_back("still there: " + q.get_nowait());
}

TEST(WaitForQueueGet, DeadlineThenPutInOneIterationTimesOutAndKeepsTheItem) {
    Log log;
    asyncio::run(deadline_then_put_same_iteration(log));
    EXPECT_EQ(log, (Log{"TimeoutError", "qsize 1", "still there: item"}));
}

// Python 3.13: a put timer and then the deadline fire in the same iteration: the put wakes W,
// the deadline then cancels W before it resumes -> TimeoutError, the item stays (qsize 1).
asyncio::Task<> put_then_deadline_same_iteration(Log& log) {
    asyncio::Queue<std::string> q;
    auto w = asyncio::create_task(get_with_timeout(q, log));
    co_await asyncio::sleep(0);
    auto& loop = asyncio::get_running_loop();
    loop.call_at(loop.time() - 1, [&q] { q.put_nowait("item"); });  // due before the deadline
    block_the_loop();
    co_await w;
    log.push_back("qsize " + std::to_string(q.qsize()));
    if (q.qsize() == 1) log.push_back("still there: " + q.get_nowait());
}

TEST(WaitForQueueGet, PutThenDeadlineInOneIterationTimesOutAndKeepsTheItem) {
    Log log;
    asyncio::run(put_then_deadline_same_iteration(log));
    EXPECT_EQ(log, (Log{"TimeoutError", "qsize 1", "still there: item"}));
}

asyncio::Task<std::string> value_after_event(asyncio::Event& ev) {
    co_await ev.wait();
    co_return "value";
}

asyncio::Task<> wait_for_task(asyncio::Task<std::string> t, Log& log) {
    try {
        log.push_back("got " + co_await asyncio::wait_for(t, 0.001));
    } catch (const asyncio::TimeoutError&) {
        log.push_back("TimeoutError");
    }
}

// Python 3.13: the awaited task completes in the iteration where the deadline fires (its step
// was ready, the deadline is due): the waiting task is cancelled before it resumes, so
// wait_for raises TimeoutError (3.13 does not return the value here); the value is not lost:
// the task holds it, not cancelled. (Python prints: ['TimeoutError'] True False value.)
asyncio::Task<> task_completes_in_deadline_iteration(Log& log) {
    asyncio::Event ev;
    auto inner = asyncio::create_task(value_after_event(ev));
    auto w = asyncio::create_task(wait_for_task(inner, log));
    co_await asyncio::sleep(0);
    ev.set();
    block_the_loop();
    co_await w;
    EXPECT_TRUE(inner.done());
    EXPECT_FALSE(inner.cancelled());
    if (inner.done() && !inner.cancelled()) log.push_back("inner holds " + inner.result());
}

TEST(WaitFor, ATaskCompletingInTheDeadlineIterationKeepsItsValue) {
    Log log;
    asyncio::run(task_completes_in_deadline_iteration(log));
    EXPECT_EQ(log, (Log{"TimeoutError", "inner holds value"}));
}

}  // namespace
