// Misuse gets a clear error (the reliability issue): blocking calls with no
// running loop, a queue used from a second loop while tasks of the first wait
// on it, a queue destroyed while tasks wait on it.
#include <asyncio/queues.hpp>

#include <asyncio/asyncio.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <string>

namespace {

template <class F>
std::string runtime_error_of(F&& f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(no std::runtime_error)";
}

TEST(Misuse, BlockingCallsWithNoRunningLoopThrowRuntimeError) {
    asyncio::Queue<int> q(1);
    EXPECT_EQ(runtime_error_of([&] { (void)asyncio::create_task(q.get()); }), "no running event loop");
    EXPECT_EQ(runtime_error_of([&] { (void)asyncio::create_task(q.put(1)); }), "no running event loop");
    EXPECT_EQ(runtime_error_of([&] { (void)asyncio::create_task(q.join()); }), "no running event loop");
    // Nothing was put and nothing waits.
    std::ostringstream s;
    s << q;
    EXPECT_EQ(s.str(), "<Queue maxsize=1>");
}

asyncio::Task<int> getter(asyncio::Queue<int>& q) { co_return co_await q.get(); }

TEST(Misuse, QueueUsedFromASecondLoopWhileTasksOfTheFirstWaitThrows) {
    asyncio::Queue<int> q;
    asyncio::EventLoop first;
    auto blocked = first.create_task(getter(q));
    first.run_until_complete(asyncio::sleep(0));  // the getter now waits on q, in the first loop
    ASSERT_FALSE(blocked.done());

    asyncio::EventLoop second;
    EXPECT_EQ(runtime_error_of([&] { second.run_until_complete(getter(q)); }),
              "<Queue> is bound to a different event loop");
    EXPECT_NO_THROW(second.run_until_complete(q.join()));  // join() does not wait (nothing unfinished), so it binds nothing
    q.put_nowait(7);  // wakes the first loop's getter
    EXPECT_EQ(first.run_until_complete(blocked), 7);
    // No task waits any more: the second loop may use the queue now.
    q.put_nowait(8);
    EXPECT_EQ(second.run_until_complete(getter(q)), 8);
}

TEST(Misuse, QueueOutlivingAClosedLoopForgetsItsWaiters) {
    asyncio::Queue<int> q;
    asyncio::Task<int> kept;
    {
        asyncio::EventLoop loop;
        kept = loop.create_task(getter(q));
        loop.run_until_complete(asyncio::sleep(0));
    }
    std::ostringstream s;
    s << q;
    EXPECT_EQ(s.str(), "<Queue maxsize=0>");  // the dead loop's getter left the list
    q.put_nowait(1);                           // and wakes nobody
    EXPECT_EQ(q.qsize(), 1u);
}

#ifndef NDEBUG
asyncio::Task<> destroys_queue_under_a_waiter() {
    auto* q = new asyncio::Queue<int>;
    auto t = asyncio::create_task(getter(*q));
    co_await asyncio::sleep(0);
    delete q;  // a task still waits on it: asserted in debug builds
}

TEST(MisuseDeathTest, QueueDestroyedWhileTasksWaitAssertsInDebugBuilds) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(asyncio::run(destroys_queue_under_a_waiter()), "destroyed while tasks wait on it");
}
#else
TEST(MisuseDeathTest, QueueDestroyedWhileTasksWaitAssertsInDebugBuilds) {
    GTEST_SKIP() << "SKIPPED: this build defines NDEBUG, so the debug-build assertion that a queue "
                    "is not destroyed while tasks wait on it is compiled out; the Debug+ASan build "
                    "of scripts/test runs this test";
}
#endif

}  // namespace
