// Tests for <asyncio/locks.hpp>: Event. Orderings were first observed on CPython 3.13; the
// Python experiment is quoted next to each test.
#include <asyncio/locks.hpp>

#include <gtest/gtest.h>

#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/timeouts.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/text.hpp"

namespace {

using asyncio_test::Log;

TEST(Event, StartsClearAndSetClearIsSetWorkWithoutALoop) {
    asyncio::Event ev;
    EXPECT_FALSE(ev.is_set());
    ev.set();
    EXPECT_TRUE(ev.is_set());
    ev.set();
    EXPECT_TRUE(ev.is_set());
    ev.clear();
    EXPECT_FALSE(ev.is_set());
    ev.clear();
    EXPECT_FALSE(ev.is_set());
}

asyncio::Task<> waiter(Log& log, asyncio::Event& ev, std::string name) {
    const bool r = co_await ev.wait();
    log.push_back(name + (r ? "" : " (wait returned false)"));
}

// Python 3.13:
//   three waiters; ev.set(); log('set-returned'); loop.call_soon(marker)
//   -> ['set-returned', 'w0', 'w1', 'w2', 'marker']
asyncio::Task<> set_wakes_all_in_order(Log& log) {
    asyncio::Event ev;
    std::vector<asyncio::Task<>> tasks;
    for (const char* name : {"w0", "w1", "w2"}) tasks.push_back(asyncio::create_task(waiter(log, ev, name)));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(log.empty());
    ev.set();
    log.push_back("set returned");
    asyncio::get_running_loop().call_soon([&log] { log.push_back("marker"); });
    for (auto& t : tasks) co_await t;
}

TEST(Event, SetWakesEveryWaiterInFifoOrderThroughTheReadyQueue) {
    Log log;
    asyncio::run(set_wakes_all_in_order(log));
    EXPECT_EQ(log, (Log{"set returned", "w0", "w1", "w2", "marker"}));
}

// Python 3.13: loop.call_soon(marker); ev.set(); r = await ev.wait(); log('after')
//   -> ['after', 'marker'], r is True
asyncio::Task<> wait_on_set_event(Log& log) {
    asyncio::Event ev;
    ev.set();
    asyncio::get_running_loop().call_soon([&log] { log.push_back("marker"); });
    const bool r = co_await ev.wait();
    log.push_back(r ? "after, true" : "after, false");
    co_await asyncio::sleep(0);
}

TEST(Event, WaitOnASetEventReturnsTrueWithoutSuspending) {
    Log log;
    asyncio::run(wait_on_set_event(log));
    EXPECT_EQ(log, (Log{"after, true", "marker"}));
}

// Python 3.13: waiters; ev.set(); ev.clear() before they run -> they all still wake.
asyncio::Task<> set_then_clear(Log& log) {
    asyncio::Event ev;
    auto a = asyncio::create_task(waiter(log, ev, "a"));
    auto b = asyncio::create_task(waiter(log, ev, "b"));
    co_await asyncio::sleep(0);
    ev.set();
    ev.clear();
    EXPECT_FALSE(ev.is_set());
    co_await a;
    co_await b;
}

TEST(Event, WaitersWokenBySetStillWakeWhenClearFollowsAtOnce) {
    Log log;
    asyncio::run(set_then_clear(log));
    EXPECT_EQ(log, (Log{"a", "b"}));
}

asyncio::Task<> clear_makes_wait_block_again(Log& log) {
    asyncio::Event ev;
    ev.set();
    co_await ev.wait();
    ev.clear();
    auto t = asyncio::create_task(waiter(log, ev, "second wait"));
    for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
    EXPECT_FALSE(t.done()) << "wait() after clear() must block";
    log.push_back("setting");
    ev.set();
    co_await t;
}

TEST(Event, WaitAfterClearBlocksUntilTheNextSet) {
    Log log;
    asyncio::run(clear_makes_wait_block_again(log));
    EXPECT_EQ(log, (Log{"setting", "second wait"}));
}

asyncio::Task<> set_twice(Log& log) {
    asyncio::Event ev;
    auto t = asyncio::create_task(waiter(log, ev, "woken"));
    co_await asyncio::sleep(0);
    ev.set();
    ev.set();
    co_await t;
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
}

TEST(Event, SetTwiceWakesAWaiterOnce) {
    Log log;
    asyncio::run(set_twice(log));
    EXPECT_EQ(log, (Log{"woken"}));
}

// Python 3.13: c1, c2 wait; c1.cancel() -> c1 leaves the waiters (len(ev._waiters) == 1);
// ev.set() -> only c2 logs, c1.cancelled().
asyncio::Task<> cancelled_waiter(Log& log) {
    asyncio::Event ev;
    auto c1 = asyncio::create_task(waiter(log, ev, "c1"));
    auto c2 = asyncio::create_task(waiter(log, ev, "c2"));
    co_await asyncio::sleep(0);
    c1.cancel();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(c1.cancelled());
    ev.set();
    co_await c2;
    try {
        co_await c1;
    } catch (const asyncio::CancelledError&) {
        log.push_back("c1 cancelled");
    }
}

TEST(Event, ACancelledWaiterEndsCancelledAndTheOthersStillWake) {
    Log log;
    asyncio::run(cancelled_waiter(log));
    EXPECT_EQ(log, (Log{"c2", "c1 cancelled"}));
}

// Python: ev.set(); t.cancel() in the same step -> the woken waiter still gets CancelledError
// (the _must_cancel case), and the other waiters are unaffected.
asyncio::Task<> cancel_after_set(Log& log) {
    asyncio::Event ev;
    auto a = asyncio::create_task(waiter(log, ev, "a"));
    auto b = asyncio::create_task(waiter(log, ev, "b"));
    co_await asyncio::sleep(0);
    ev.set();
    EXPECT_TRUE(a.cancel());
    co_await b;
    try {
        co_await a;
    } catch (const asyncio::CancelledError&) {
        log.push_back("a cancelled");
    }
}

TEST(Event, AWaiterCancelledAfterSetButBeforeItRanEndsCancelled) {
    Log log;
    asyncio::run(cancel_after_set(log));
    EXPECT_EQ(log, (Log{"b", "a cancelled"}));
}

asyncio::Task<> wait_for_event_times_out(Log& log) {
    asyncio::Event ev;
    try {
        co_await asyncio::wait_for(ev.wait(), 0.001);
        log.push_back("wait returned");
    } catch (const asyncio::TimeoutError&) {
        log.push_back("timeout");
    }
    // The timed-out wait left the event: a later waiter works as usual.
    auto t = asyncio::create_task(waiter(log, ev, "later waiter"));
    co_await asyncio::sleep(0);
    ev.set();
    co_await t;
}

TEST(Event, WaitForOnAnEventTimesOutAndLeavesTheEventUsable) {
    Log log;
    asyncio::run(wait_for_event_times_out(log));
    EXPECT_EQ(log, (Log{"timeout", "later waiter"}));
}

asyncio::Task<> create_task_of_wait(Log& log) {
    asyncio::Event ev;
    auto t = asyncio::create_task(ev.wait());
    co_await asyncio::sleep(0);
    EXPECT_FALSE(t.done());
    ev.set();
    log.push_back(co_await t ? "task of wait() gave true" : "task of wait() gave false");
}

TEST(Event, WaitCanBeACreatedTask) {
    Log log;
    asyncio::run(create_task_of_wait(log));
    EXPECT_EQ(log, (Log{"task of wait() gave true"}));
}

asyncio::Task<> counting_waiter(int& woken, asyncio::Event& ev) {
    co_await ev.wait();
    ++woken;
}

// set() with a hundred thousand waiters wakes them all through the ready queue: no recursion.
asyncio::Task<> many_waiters(int& woken) {
    asyncio::Event ev;
    std::vector<asyncio::Task<>> tasks;
    for (int i = 0; i < 100'000; ++i) tasks.push_back(asyncio::create_task(counting_waiter(woken, ev)));
    co_await asyncio::sleep(0);
    ev.set();
    EXPECT_EQ(woken, 0) << "set() must not resume a waiter inline";
    co_await asyncio::gather(tasks);
}

TEST(Event, SetWithAHundredThousandWaitersWakesThemAll) {
    int woken = 0;
    asyncio::run(many_waiters(woken));
    EXPECT_EQ(woken, 100'000);
}

// An Event created outside any loop can be used inside one (Python 3.10+).
asyncio::Task<> use_outside_event(Log& log, asyncio::Event& ev) {
    auto t = asyncio::create_task(waiter(log, ev, "waited"));
    co_await asyncio::sleep(0);
    ev.set();
    co_await t;
}

TEST(Event, CreatedOutsideALoopWorksInsideOne) {
    asyncio::Event ev;
    Log log;
    asyncio::run(use_outside_event(log, ev));
    EXPECT_EQ(log, (Log{"waited"}));
    EXPECT_TRUE(ev.is_set());
}

// Python: an Event is bound to the loop of its first waiter; waiting on it from another loop
// raises RuntimeError('... is bound to a different event loop').
TEST(Event, WaitingFromAnotherLoopWhileTasksOfTheFirstWaitThrowsRuntimeError) {
    asyncio::Event ev;
    Log log;
    asyncio::EventLoop loop1;
    auto first = loop1.create_task(waiter(log, ev, "first loop's waiter"));
    loop1.run_until_complete(asyncio::sleep(0));
    ASSERT_FALSE(first.done());
    {
        asyncio::EventLoop loop2;
        EXPECT_THROW(loop2.run_until_complete(ev.wait()), std::runtime_error);
        loop2.close();
    }
    ev.set();
    loop1.run_until_complete(first);
    EXPECT_EQ(log, (Log{"first loop's waiter"}));
    loop1.close();
}

}  // namespace
