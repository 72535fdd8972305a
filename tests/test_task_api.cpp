// Tests for current_task(), all_tasks() and awaiting foreign awaitables in a Task. Checked
// against CPython 3.13: current_task() names the running task; all_tasks() lists the
// pending tasks of the running loop (2 with a child pending, 1 after it is done).
#include <asyncio/tasks.hpp>

#include <gtest/gtest.h>

#include <asyncio/runners.hpp>

#include <coroutine>
#include <string>
#include <vector>

namespace {

TEST(CurrentTask, NamesTheTaskWhoseStepRuns) {
    EXPECT_FALSE(asyncio::current_task());
    asyncio::run([]() -> asyncio::Task<> {
        asyncio::TaskRef me = asyncio::current_task();
        EXPECT_TRUE(me);
        EXPECT_FALSE(me.done());
        EXPECT_EQ(me.get_name().rfind("Task-", 0), 0u);
        // The child reports the name of the task it runs in (a TaskRef to itself in its own
        // result would be a reference cycle: the task would keep itself alive).
        auto child = []() -> asyncio::Task<std::string> { co_return asyncio::current_task().get_name(); };
        // Awaited inline, a coroutine runs in the awaiting task (as Python's await coro()).
        const std::string inline_name = co_await child();
        EXPECT_EQ(inline_name, me.get_name());
        auto t = asyncio::create_task(child());
        t.set_name("the child task");
        const std::string own_name = co_await t;
        EXPECT_EQ(own_name, "the child task");
        EXPECT_EQ(asyncio::current_task(), me);
    }());
    EXPECT_FALSE(asyncio::current_task());
}

TEST(AllTasks, ListsThePendingTasksOfTheRunningLoop) {
    EXPECT_THROW(asyncio::all_tasks(), std::runtime_error);
    asyncio::run([]() -> asyncio::Task<> {
        EXPECT_EQ(asyncio::all_tasks().size(), 1u);
        auto t = asyncio::create_task(asyncio::sleep(0.01));
        t.set_name("sleeper");
        std::vector<asyncio::TaskRef> all = asyncio::all_tasks();
        EXPECT_EQ(all.size(), 2u);
        if (all.size() == 2) {
            EXPECT_EQ(all[0], asyncio::current_task());
            EXPECT_EQ(all[1].get_name(), "sleeper");
        }
        co_await t;
        EXPECT_EQ(asyncio::all_tasks().size(), 1u);
        // A TaskRef can cancel.
        auto u = asyncio::create_task(asyncio::sleep(10));
        co_await asyncio::sleep(0);
        asyncio::TaskRef ref = asyncio::all_tasks()[1];
        EXPECT_TRUE(ref.cancel());
        EXPECT_EQ(ref.cancelling(), 1);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(u.cancelled());
        EXPECT_TRUE(ref.cancelled());
    }());
}

// An awaitable that is not of this library: it keeps the coroutine handle and resumes it
// itself, from a loop callback, some time later.
struct LaterAwaitable {
    double delay;
    int value;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const {
        asyncio::get_running_loop().call_later(delay, [h] { h.resume(); });
    }
    int await_resume() const noexcept { return value; }
};

TEST(ForeignAwaitables, AreAwaitedAsTheyAre) {
    const int r = asyncio::run([]() -> asyncio::Task<int> { co_return co_await LaterAwaitable{0.01, 7}; }());
    EXPECT_EQ(r, 7);
}

// CPython delivers a cancellation at the await the task is suspended in; so do we, when
// the foreign awaitable resumes the task.
TEST(ForeignAwaitables, ACancelWhileSuspendedIsRaisedAtThatAwait) {
    asyncio::run([]() -> asyncio::Task<> {
        bool raised_there = false;
        bool reached_next = false;
        auto body = [&]() -> asyncio::Task<> {
            try {
                (void)co_await LaterAwaitable{0.02, 1};
            } catch (const asyncio::CancelledError&) {
                raised_there = true;
                throw;
            }
            reached_next = true;
            co_await asyncio::sleep(0);
        };
        auto t = asyncio::create_task(body());
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.cancel());
        co_await asyncio::sleep(0.05);
        EXPECT_TRUE(raised_there);
        EXPECT_FALSE(reached_next);
        EXPECT_TRUE(t.cancelled());
    }());
}

}  // namespace

namespace {

asyncio::Task<> sleep_forever() { co_await asyncio::sleep(3600); }
asyncio::Task<> owns_and_awaits(asyncio::Task<> child) { co_await std::move(child); }

// A parent that owns the handle of the child it awaits inline is destroyed first when the
// loop closes; the child's sleep must then touch neither the freed root task nor the loop
// (found by AddressSanitizer: heap-use-after-free in the sleep awaiter's destructor).
TEST(LoopClose, DestroysAParentBeforeTheChildItAwaitsInline) {
    asyncio::EventLoop loop;
    auto t = loop.create_task(owns_and_awaits(sleep_forever()));
    loop.run_until_complete(asyncio::sleep(0.01));
    EXPECT_FALSE(t.done());
    t = {};
    loop.close();
    EXPECT_TRUE(loop.is_closed());
}

}  // namespace
