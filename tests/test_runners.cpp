// Tests for <asyncio/runners.hpp>: run(), Python's asyncio.run. Orderings were first observed
// on CPython 3.13; the Python experiment is quoted next to each test.
#include <asyncio/runners.hpp>

#include <gtest/gtest.h>

#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/locks.hpp>
#include <asyncio/tasks.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/text.hpp"

namespace {

using asyncio_test::Log;

/// Counts the objects alive, to prove every coroutine frame is destroyed.
struct Tracked {
    static inline int alive = 0;
    static inline int constructed = 0;
    Tracked() { ++alive, ++constructed; }
    Tracked(const Tracked&) { ++alive, ++constructed; }
    Tracked& operator=(const Tracked&) = default;
    ~Tracked() { --alive; }
    static void reset() { alive = constructed = 0; }
};

asyncio::Task<int> forty_two() {
    co_await asyncio::sleep(0);
    co_return 42;
}

asyncio::Task<> void_main(bool& ran) {
    co_await asyncio::sleep(0);
    ran = true;
}

TEST(Run, ReturnsTheValueOfMain) { EXPECT_EQ(asyncio::run(forty_two()), 42); }

TEST(Run, RunsAVoidMain) {
    bool ran = false;
    asyncio::run(void_main(ran));
    EXPECT_TRUE(ran);
}

asyncio::Task<std::unique_ptr<int>> move_only_main() {
    co_await asyncio::sleep(0);
    co_return std::make_unique<int>(5);
}

TEST(Run, ReturnsAMoveOnlyValue) {
    auto p = asyncio::run(move_only_main());
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, 5);
}

asyncio::Task<int> throwing_main() {
    co_await asyncio::sleep(0);
    throw std::out_of_range("main failed");
}

TEST(Run, RethrowsTheExceptionOfMainWithItsType) {
    try {
        (void)asyncio::run(throwing_main());
        FAIL() << "run() returned";
    } catch (const std::out_of_range& e) {
        EXPECT_STREQ(e.what(), "main failed");
    }
}

asyncio::Task<> cancels_itself() {
    auto self = asyncio::create_task(asyncio::sleep(3600));
    co_await asyncio::sleep(0);
    self.cancel();
    co_await self;  // CancelledError propagates out of main
}

// Python: asyncio.run(main) where main ends with CancelledError -> run raises CancelledError.
TEST(Run, ThrowsCancelledErrorWhenMainEndsCancelled) {
    bool caught = false;
    try {
        asyncio::run(cancels_itself());
    } catch (const asyncio::CancelledError&) {
        caught = true;
    }
    EXPECT_TRUE(caught);
}

asyncio::Task<int> inner_main() { co_return 1; }

asyncio::Task<> nested_run(Log& log) {
    try {
        (void)asyncio::run(inner_main());
        log.push_back("nested run returned");
    } catch (const std::runtime_error& e) {
        log.push_back(std::string("runtime_error: ") + e.what());
    }
    co_return;
}

// Python: RuntimeError('asyncio.run() cannot be called from a running event loop')
TEST(Run, InsideARunningLoopThrowsRuntimeError) {
    Log log;
    asyncio::run(nested_run(log));
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].rfind("runtime_error: ", 0), 0u) << log[0];
    EXPECT_NE(log[0].find("running event loop"), std::string::npos) << log[0];
}

asyncio::Task<int> tracked_main(Tracked) { co_return 1; }

asyncio::Task<> nested_run_tracked() {
    EXPECT_THROW((void)asyncio::run(tracked_main(Tracked{})), std::runtime_error);
    co_return;
}

TEST(Run, InsideARunningLoopDestroysTheMainItWasGiven) {
    Tracked::reset();
    asyncio::run(nested_run_tracked());
    EXPECT_GT(Tracked::constructed, 0);
    EXPECT_EQ(Tracked::alive, 0);
}

TEST(Run, LeavesNoRunningLoopAndCanBeCalledAgain) {
    EXPECT_EQ(asyncio::run(forty_two()), 42);
    EXPECT_THROW((void)asyncio::get_running_loop(), std::runtime_error);
    EXPECT_EQ(asyncio::run(forty_two()), 42);
}

asyncio::Task<int> run_in_other_thread() {
    int from_thread = 0;
    std::thread t([&from_thread] { from_thread = asyncio::run(forty_two()); });
    t.join();  // blocks this loop briefly; the other thread runs its own loop
    co_return from_thread;
}

// Python allows asyncio.run() in another thread while a loop runs in this one.
TEST(Run, InAnotherThreadWhileALoopRunsHere) { EXPECT_EQ(asyncio::run(run_in_other_thread()), 42); }

// --- cleaning up the leftovers -----------------------------------------------------------------

asyncio::Task<> leftover(Log& log) {
    bool cancelled = false;
    try {
        co_await asyncio::sleep(100);
    } catch (const asyncio::CancelledError&) {
        cancelled = true;
        log.push_back("leftover caught CancelledError");
    }
    if (cancelled) {
        co_await asyncio::sleep(0);  // cleanup that needs the loop
        log.push_back("leftover cleanup done");
        throw asyncio::CancelledError();
    }
}

asyncio::Task<> unstarted(Log& log) {
    log.push_back("unstarted ran");
    co_return;
}

// Python 3.13:
//   async def main():
//       create_task(leftover()); create_task(unstarted()); await sleep(0)
//       create_task(unstarted()); return 'main-result'
//   -> 'main-result', ['unstarted-ran', 'unstarted-ran', 'leftover-caught', 'leftover-cleanup-done']
// The task created just before main returns still runs its first step: run_until_complete
// stops the loop through main's done-callback, at the end of the next iteration.
asyncio::Task<std::string> main_with_leftovers(Log& log) {
    (void)asyncio::create_task(leftover(log));
    (void)asyncio::create_task(unstarted(log));
    co_await asyncio::sleep(0);
    (void)asyncio::create_task(unstarted(log));
    co_return "main result";
}

TEST(Run, CancelsLeftoverTasksAndLetsThemFinish) {
    Log log;
    EXPECT_EQ(asyncio::run(main_with_leftovers(log)), "main result");
    EXPECT_EQ(log, (Log{"unstarted ran", "unstarted ran", "leftover caught CancelledError", "leftover cleanup done"}));
}

asyncio::Task<int> main_throws_with_leftover(Log& log) {
    (void)asyncio::create_task(leftover(log));
    co_await asyncio::sleep(0);
    throw std::logic_error("main failed");
}

TEST(Run, CleansUpLeftoversWhenMainThrowsToo) {
    Log log;
    EXPECT_THROW((void)asyncio::run(main_throws_with_leftover(log)), std::logic_error);
    EXPECT_EQ(log, (Log{"leftover caught CancelledError", "leftover cleanup done"}));
}

asyncio::Task<int> swallows_then_finishes(Log& log) {
    try {
        co_await asyncio::sleep(100);
    } catch (const asyncio::CancelledError&) {
        log.push_back("swallowed");
    }
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
    log.push_back("finished after 3 more iterations");
    co_return 1;
}

asyncio::Task<> main_with_stubborn_leftover(Log& log) {
    (void)asyncio::create_task(swallows_then_finishes(log));
    co_await asyncio::sleep(0);
}

TEST(Run, WaitsForALeftoverThatSwallowsTheCancellation) {
    Log log;
    asyncio::run(main_with_stubborn_leftover(log));
    EXPECT_EQ(log, (Log{"swallowed", "finished after 3 more iterations"}));
}

asyncio::Task<> stops_the_loop_when_cancelled(Log& log) {
    try {
        co_await asyncio::sleep(100);
    } catch (const asyncio::CancelledError&) {
        log.push_back("cancelled: stopping the loop");
        asyncio::get_running_loop().stop();
    }
    co_await asyncio::sleep(0);
    log.push_back("never: the loop is closed first");
}

asyncio::Task<int> main_with_stopping_leftover(Log& log) {
    (void)asyncio::create_task(stops_the_loop_when_cancelled(log));
    co_await asyncio::sleep(0);
    co_return 1;
}

// CPython 3.13: a leftover that calls loop.stop() while it is being cancelled makes
// asyncio.run() raise RuntimeError("Event loop stopped before Future completed."); the
// leftover is then destroyed with the loop.
TEST(Run, ALeftoverThatStopsTheLoopMakesRunThrow) {
    Log log;
    try {
        (void)asyncio::run(main_with_stopping_leftover(log));
        ADD_FAILURE() << "run() returned";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "Event loop stopped before Future completed.");
    }
    EXPECT_EQ(log, (Log{"cancelled: stopping the loop"}));
}

// --- nothing left behind -----------------------------------------------------------------------

asyncio::Task<int> finishes(Tracked) {
    Tracked local;
    co_await asyncio::sleep(0);
    co_return 1;
}

asyncio::Task<> waits_forever(Tracked, asyncio::Event& ev) {
    Tracked local;
    co_await ev.wait();
}

asyncio::Task<> sleeps_forever(Tracked) {
    Tracked local;
    co_await asyncio::sleep(3600);
}

asyncio::Task<> never_awaited(Tracked) { co_return; }

asyncio::Task<> awaits_a_task(Tracked, asyncio::Task<> other) {
    Tracked local;
    co_await other;
}

asyncio::Task<> nested_frames(Tracked, int depth) {
    Tracked local;
    if (depth == 0) {
        co_await asyncio::sleep(3600);
    } else {
        co_await nested_frames(Tracked{}, depth - 1);
    }
}

asyncio::Task<> holds_a_lazy_task(Tracked) {
    auto lazy = never_awaited(Tracked{});
    co_await asyncio::sleep(3600);
}

asyncio::Task<> gathers_forever(Tracked) {
    co_await asyncio::gather(sleeps_forever(Tracked{}), sleeps_forever(Tracked{}));
}

asyncio::Task<int> leaves_things_behind(asyncio::Event& never) {
    // finished: one kept by a handle, one whose handle was dropped
    auto kept = asyncio::create_task(finishes(Tracked{}));
    (void)asyncio::create_task(finishes(Tracked{}));
    // cancelled and done
    auto cancelled = asyncio::create_task(sleeps_forever(Tracked{}));
    // pending at the end: on an event, on a timer, on another task, deep in nested frames,
    // holding a lazy task, in a gather
    auto on_event = asyncio::create_task(waits_forever(Tracked{}, never));
    (void)asyncio::create_task(sleeps_forever(Tracked{}));
    (void)asyncio::create_task(awaits_a_task(Tracked{}, on_event));
    (void)asyncio::create_task(nested_frames(Tracked{}, 10));
    (void)asyncio::create_task(holds_a_lazy_task(Tracked{}));
    (void)asyncio::create_task(gathers_forever(Tracked{}));
    // never awaited, never scheduled
    auto lazy = never_awaited(Tracked{});
    // callbacks still scheduled when the loop closes
    auto& loop = asyncio::get_running_loop();
    loop.call_later(3600, [t = Tracked{}] { (void)t; });
    loop.call_later(3600, [task = never_awaited(Tracked{})] { (void)task; });

    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    cancelled.cancel();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(kept.done());
    EXPECT_TRUE(cancelled.cancelled());
    EXPECT_GT(Tracked::alive, 0);
    co_return 1;
}

TEST(Run, LeavesNothingBehind) {
    Tracked::reset();
    asyncio::Event never;
    EXPECT_EQ(asyncio::run(leaves_things_behind(never)), 1);
    EXPECT_GE(Tracked::constructed, 30);
    EXPECT_EQ(Tracked::alive, 0) << "coroutine frames (or callbacks) outlived run()";
}

asyncio::Task<> cleanup_schedules_more(Log& log) {
    bool cancelled = false;
    try {
        co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
        cancelled = true;
    }
    if (cancelled) {
        // Work scheduled during the cleanup that run() never waits for: it must still be freed.
        auto& loop = asyncio::get_running_loop();
        loop.call_soon([t = Tracked{}] { (void)t; });
        loop.call_later(3600, [t = Tracked{}] { (void)t; });
        (void)asyncio::create_task(sleeps_forever(Tracked{}));
        log.push_back("cleanup scheduled more work");
        throw asyncio::CancelledError();
    }
}

asyncio::Task<> main_whose_leftover_schedules_more(Log& log) {
    (void)asyncio::create_task(cleanup_schedules_more(log));
    co_await asyncio::sleep(0);
}

TEST(Run, FreesWorkScheduledByLeftoversWhileTheyWereCancelled) {
    Tracked::reset();
    Log log;
    asyncio::run(main_whose_leftover_schedules_more(log));
    EXPECT_EQ(log, (Log{"cleanup scheduled more work"}));
    EXPECT_GE(Tracked::constructed, 3);
    EXPECT_EQ(Tracked::alive, 0);
}

}  // namespace
