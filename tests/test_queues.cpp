// Tests for <asyncio/queues.hpp>, part 1: Queue, LifoQueue, PriorityQueue.
//
// This file ports every test of CPython 3.13's Lib/test/test_asyncio/test_queues.py.
// Suites and test names follow the Python classes and methods
// (QueueGetTests.test_get_cancelled_race -> QueueGetTests.GetCancelledRace;
// the mixin classes _QueueJoinTestMixin and _QueueShutdownTestMixin become typed test
// suites QueueJoinTests/<Queue|LifoQueue|PriorityQueue> and QueueShutdownTests/<...>).
//
// Python tests that do not apply, or apply only in adapted form:
// - QueueBasicTests.test_repr: C++ has no repr() and no object id; operator<< is Python's
//   str(q) and is covered by QueueBasicTests.Str and the QueueFormat suite.
// - QueueBasicTests.test_generic_alias: asyncio.Queue[int] is a typing construct. The C++
//   analogue (the element type is the template argument) is checked at compile time in
//   QueueBasicTests.GenericAlias.
// - QueuePutTests.test_float_maxsize: maxsize is std::ptrdiff_t; a fractional maxsize such as
//   1.3 (which lets Python hold 2 items) cannot be expressed.
// - Tests that read or write private members (q._putters, q._getters, q._format(),
//   q._unfinished_tasks) observe the same state through operator<< (Python's str(q)), whose
//   parts are exactly those members. test_get_with_putters appends a bare future to
//   q._putters; here a real task blocked in put() plays that waiter.
// - asyncio.TaskGroup blocks become explicit co_await of each task.
// - Timeouts and call_later delays are shortened to 0.01 s (the Python tests use 0.01-0.1 s).
//
// The "Semantics" section of issue 3 and the rest of its API contract are tested in
// tests/test_queues_semantics.cpp.
//
// Inside coroutines only EXPECT_* is used: ASSERT_* expands to `return`, which a coroutine
// cannot contain. Objects that tasks refer to (queues, logs, helper closures) are declared
// in the test body, outside asyncio::run(), so that they outlive every task, including the
// ones run() cancels after main returns.

#include <asyncio/queues.hpp>
#include <asyncio/asyncio.hpp>

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/queue_kinds.hpp"
#include "support/text.hpp"

namespace {

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

// Python's str(q) (tests/support/text.hpp).
using asyncio_test::str;

// The three classes, for typed tests (tests/support/queue_kinds.hpp).
using asyncio_test::fmt;
using asyncio_test::KindNames;
using asyncio_test::Kinds;

}  // namespace

// =======================================================================================
// CPython 3.13 Lib/test/test_asyncio/test_queues.py
// =======================================================================================

// ---- QueueBasicTests -------------------------------------------------------------------

// test_str (via _test_repr_or_str(str, False)).
TEST(QueueBasicTests, Str) {
    asyncio::Queue<int> q0;
    EXPECT_EQ(str(q0).rfind("<Queue", 0), 0u) << str(q0);

    asyncio::Queue<int> q1;
    asyncio::Queue<int> q2(1);
    asyncio::run([&]() -> asyncio::Task<> {
        // getters
        auto getter = asyncio::create_task(q1.get());
        co_await asyncio::sleep(0);  // let it start waiting
        EXPECT_NE(str(q1).find("_getters[1]"), std::string::npos) << str(q1);
        q1.put_nowait(0);
        EXPECT_EQ(co_await getter, 0);

        // putters
        q2.put_nowait(1);
        auto putter = asyncio::create_task(q2.put(2));
        co_await asyncio::sleep(0);
        EXPECT_NE(str(q2).find("_putters[1]"), std::string::npos) << str(q2);
        EXPECT_EQ(q2.get_nowait(), 1);
        co_await putter;
        EXPECT_TRUE(putter.done());
    }());

    asyncio::Queue<int> q3;
    q3.put_nowait(1);
    EXPECT_NE(str(q3).find("_queue=[1]"), std::string::npos) << str(q3);
}

// test_generic_alias: the C++ analogue is that the element type is the template argument.
TEST(QueueBasicTests, GenericAlias) {
    static_assert(std::is_same_v<decltype(std::declval<asyncio::Queue<int>&>().get_nowait()), int>);
    static_assert(std::is_same_v<
                  decltype(std::declval<asyncio::LifoQueue<std::string>&>().get_nowait()),
                  std::string>);
    static_assert(std::is_same_v<
                  decltype(std::declval<asyncio::PriorityQueue<double>&>().get_nowait()), double>);
    asyncio::Queue<int> q;
    q.put_nowait(7);
    EXPECT_EQ(q.get_nowait(), 7);
}

TEST(QueueBasicTests, Empty) {
    asyncio::Queue<int> q;
    asyncio::run([&]() -> asyncio::Task<> {
        EXPECT_TRUE(q.empty());
        co_await q.put(1);
        EXPECT_FALSE(q.empty());
        EXPECT_EQ(1, co_await q.get());
        EXPECT_TRUE(q.empty());
    }());
}

TEST(QueueBasicTests, Full) {
    asyncio::Queue<int> q;
    EXPECT_FALSE(q.full());
    asyncio::Queue<int> q1(1);
    asyncio::run([&]() -> asyncio::Task<> {
        co_await q1.put(1);
        EXPECT_TRUE(q1.full());
    }());
}

TEST(QueueBasicTests, Order) {
    asyncio::Queue<int> q;
    std::vector<int> items;
    asyncio::run([&]() -> asyncio::Task<> {
        for (int i : {1, 3, 2}) co_await q.put(i);
        for (int n = 0; n < 3; ++n) items.push_back(co_await q.get());
    }());
    EXPECT_EQ(items, (std::vector<int>{1, 3, 2}));
}

TEST(QueueBasicTests, Maxsize) {
    asyncio::Queue<int> q(2);
    EXPECT_EQ(q.maxsize(), 2);
    std::vector<int> have_been_put;
    auto putter = [&]() -> asyncio::Task<bool> {
        for (int i = 0; i < 3; ++i) {
            co_await q.put(i);
            have_been_put.push_back(i);
        }
        co_return true;
    };
    asyncio::run([&]() -> asyncio::Task<> {
        auto t = asyncio::create_task(putter());
        for (int i = 0; i < 2; ++i) co_await asyncio::sleep(0);

        // The putter is blocked after putting two items.
        EXPECT_EQ(have_been_put, (std::vector<int>{0, 1}));
        EXPECT_EQ(0, co_await q.get());

        // Let the putter resume and put the last item.
        co_await asyncio::sleep(0);
        EXPECT_EQ(have_been_put, (std::vector<int>{0, 1, 2}));
        EXPECT_EQ(1, co_await q.get());
        EXPECT_EQ(2, co_await q.get());

        EXPECT_TRUE(t.done());
        EXPECT_TRUE(t.result());
    }());
}

// ---- QueueGetTests ---------------------------------------------------------------------

TEST(QueueGetTests, BlockingGet) {
    asyncio::Queue<int> q;
    asyncio::run([&]() -> asyncio::Task<> {
        q.put_nowait(1);
        EXPECT_EQ(1, co_await q.get());
    }());
}

// test_get_with_putters: Python appends a bare future to q._putters and checks that get()
// resolves it. Here a real putter task is that waiter: get() removes it from the wait list
// at once (str shows no _putters, Python's waiter.done()), and it completes on its next step.
TEST(QueueGetTests, GetWithPutters) {
    asyncio::Queue<int> q(1);
    asyncio::run([&]() -> asyncio::Task<> {
        co_await q.put(1);
        auto waiter = asyncio::create_task(q.put(2));
        co_await asyncio::sleep(0);
        EXPECT_EQ(str(q), "<Queue maxsize=1 _queue=[1] _putters[1] tasks=1>");

        EXPECT_EQ(1, co_await q.get());
        // Python 3.13 prints: <Queue maxsize=1 tasks=1>
        EXPECT_EQ(str(q), "<Queue maxsize=1 tasks=1>");
        co_await asyncio::sleep(0);
        EXPECT_TRUE(waiter.done());
        EXPECT_NO_THROW(waiter.result());
        EXPECT_EQ(str(q), "<Queue maxsize=1 _queue=[2] tasks=2>");
    }());
}

TEST(QueueGetTests, BlockingGetWait) {
    asyncio::Queue<int> q;
    asyncio::Event started;
    bool finished = false;
    auto queue_get = [&]() -> asyncio::Task<int> {
        started.set();
        int res = co_await q.get();
        finished = true;
        co_return res;
    };
    asyncio::run([&]() -> asyncio::Task<> {
        auto queue_get_task = asyncio::create_task(queue_get());
        co_await started.wait();
        EXPECT_FALSE(finished);
        asyncio::get_running_loop().call_later(0.01, [&q] { q.put_nowait(1); });
        int res = co_await queue_get_task;
        EXPECT_TRUE(finished);
        EXPECT_EQ(1, res);
    }());
}

TEST(QueueGetTests, NonblockingGet) {
    asyncio::Queue<int> q;
    q.put_nowait(1);
    EXPECT_EQ(1, q.get_nowait());
}

TEST(QueueGetTests, NonblockingGetException) {
    asyncio::Queue<int> q;
    EXPECT_THROW((void)q.get_nowait(), asyncio::QueueEmpty);
}

TEST(QueueGetTests, GetCancelledRace) {
    asyncio::Queue<std::string> q;
    asyncio::run([&]() -> asyncio::Task<> {
        auto t1 = asyncio::create_task(q.get());
        auto t2 = asyncio::create_task(q.get());

        co_await asyncio::sleep(0);
        t1.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t1.done());
        co_await q.put("a");
        co_await asyncio::sleep(0);
        std::string v = co_await t2;
        EXPECT_EQ(v, "a");
    }());
}

TEST(QueueGetTests, GetWithWaitingPutters) {
    asyncio::Queue<std::string> q(1);
    asyncio::run([&]() -> asyncio::Task<> {
        (void)asyncio::create_task(q.put("a"));
        (void)asyncio::create_task(q.put("b"));
        std::string a = co_await q.get();
        EXPECT_EQ(a, "a");
        std::string b = co_await q.get();
        EXPECT_EQ(b, "b");
    }());
}

TEST(QueueGetTests, WhyAreGettersWaiting) {
    constexpr int producer_num_items = 5;
    asyncio::Queue<int> q(1);
    std::vector<int> consumed;
    auto consumer = [&](int num_expected) -> asyncio::Task<> {
        for (int i = 0; i < num_expected; ++i) consumed.push_back(co_await q.get());
    };
    auto producer = [&](int num_items) -> asyncio::Task<> {
        for (int i = 0; i < num_items; ++i) co_await q.put(i);
    };
    asyncio::run([&]() -> asyncio::Task<> {
        auto p = asyncio::create_task(producer(producer_num_items));
        auto c = asyncio::create_task(consumer(producer_num_items));
        co_await p;
        co_await c;
    }());
    EXPECT_EQ(consumed, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_TRUE(q.empty());
}

TEST(QueueGetTests, CancelledGettersNotBeingHeldInSelfGetters) {
    asyncio::Queue<int> queue(5);
    asyncio::run([&]() -> asyncio::Task<> {
        EXPECT_THROW(co_await asyncio::wait_for(queue.get(), 0.01), asyncio::TimeoutError);
        // len(queue._getters) == 0
        EXPECT_EQ(str(queue), "<Queue maxsize=5>");
    }());
}

// ---- QueuePutTests ---------------------------------------------------------------------

TEST(QueuePutTests, BlockingPut) {
    asyncio::Queue<int> q;
    asyncio::run([&]() -> asyncio::Task<> {
        // No maxsize, won't block.
        co_await q.put(1);
        EXPECT_EQ(1, co_await q.get());
    }());
}

TEST(QueuePutTests, BlockingPutWait) {
    asyncio::Queue<int> q(1);
    asyncio::Event started;
    bool finished = false;
    auto queue_put = [&]() -> asyncio::Task<> {
        started.set();
        co_await q.put(1);
        co_await q.put(2);
        finished = true;
    };
    asyncio::run([&]() -> asyncio::Task<> {
        asyncio::get_running_loop().call_later(0.01, [&q] { (void)q.get_nowait(); });
        auto queue_put_task = asyncio::create_task(queue_put());
        co_await started.wait();
        EXPECT_FALSE(finished);
        co_await queue_put_task;
        EXPECT_TRUE(finished);
    }());
}

TEST(QueuePutTests, NonblockingPut) {
    asyncio::Queue<int> q;
    q.put_nowait(1);
    EXPECT_EQ(1, q.get_nowait());
}

TEST(QueuePutTests, GetCancelDropOnePendingReader) {
    asyncio::Queue<int> q;
    asyncio::run([&]() -> asyncio::Task<> {
        auto reader = asyncio::create_task(q.get());
        co_await asyncio::sleep(0);

        q.put_nowait(1);
        q.put_nowait(2);
        reader.cancel();

        bool cancelled = false;
        try {
            (void)co_await reader;
        } catch (const asyncio::CancelledError&) {
            cancelled = true;
        }
        if (cancelled) {
            // try again (co_await is not allowed inside a handler)
            reader = asyncio::create_task(q.get());
            (void)co_await reader;
        }
        // if we get 2, it means 1 got dropped!
        EXPECT_EQ(1, reader.result());
    }());
}

TEST(QueuePutTests, GetCancelDropManyPendingReaders) {
    asyncio::Queue<int> q;
    asyncio::run([&]() -> asyncio::Task<> {
        auto reader1 = asyncio::create_task(q.get());
        auto reader2 = asyncio::create_task(q.get());
        auto reader3 = asyncio::create_task(q.get());

        co_await asyncio::sleep(0);

        q.put_nowait(1);
        q.put_nowait(2);
        reader1.cancel();

        EXPECT_THROW((void)co_await reader1, asyncio::CancelledError);
        (void)co_await reader3;
        (void)co_await reader2;  // the end of Python's TaskGroup block

        // It is undefined in which order concurrent readers receive results.
        EXPECT_EQ((std::set<int>{reader2.result(), reader3.result()}), (std::set<int>{1, 2}));
    }());
}

TEST(QueuePutTests, PutCancelDrop) {
    asyncio::Queue<int> q(1);
    asyncio::run([&]() -> asyncio::Task<> {
        q.put_nowait(1);

        // putting a second item in the queue has to block (qsize=1)
        auto writer = asyncio::create_task(q.put(2));
        co_await asyncio::sleep(0);

        int value1 = q.get_nowait();
        EXPECT_EQ(value1, 1);

        writer.cancel();
        bool cancelled = false;
        try {
            co_await writer;
        } catch (const asyncio::CancelledError&) {
            cancelled = true;
        }
        if (cancelled) {
            // try again
            writer = asyncio::create_task(q.put(2));
            co_await writer;
        }

        int value2 = q.get_nowait();
        EXPECT_EQ(value2, 2);
        EXPECT_EQ(q.qsize(), 0u);
    }());
}

TEST(QueuePutTests, NonblockingPutException) {
    asyncio::Queue<int> q(1);
    q.put_nowait(1);
    EXPECT_THROW(q.put_nowait(2), asyncio::QueueFull);
}

// test_put_cancelled (despite its name, a put() that completes while a get() waits).
TEST(QueuePutTests, PutCancelled) {
    asyncio::Queue<int> q;
    auto queue_put = [&]() -> asyncio::Task<bool> {
        co_await q.put(1);
        co_return true;
    };
    asyncio::run([&]() -> asyncio::Task<> {
        auto t = asyncio::create_task(queue_put());
        EXPECT_EQ(1, co_await q.get());
        EXPECT_TRUE(t.done());
        EXPECT_TRUE(t.result());
    }());
}

TEST(QueuePutTests, PutCancelledRace) {
    asyncio::Queue<std::string> q(1);
    asyncio::run([&]() -> asyncio::Task<> {
        auto put_a = asyncio::create_task(q.put("a"));
        auto put_b = asyncio::create_task(q.put("b"));
        auto put_c = asyncio::create_task(q.put("X"));

        co_await asyncio::sleep(0);
        EXPECT_TRUE(put_a.done());
        EXPECT_FALSE(put_b.done());

        put_c.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(put_c.done());
        EXPECT_EQ(q.get_nowait(), "a");
        co_await asyncio::sleep(0);
        EXPECT_EQ(q.get_nowait(), "b");

        co_await put_b;
    }());
}

TEST(QueuePutTests, PutWithWaitingGetters) {
    asyncio::Queue<std::string> q;
    asyncio::run([&]() -> asyncio::Task<> {
        auto t = asyncio::create_task(q.get());
        co_await asyncio::sleep(0);
        co_await q.put("a");
        std::string v = co_await t;
        EXPECT_EQ(v, "a");
    }());
}

TEST(QueuePutTests, WhyArePuttersWaiting) {
    asyncio::Queue<int> queue(2);
    std::vector<int> got;
    auto putter = [&](int item) -> asyncio::Task<> { co_await queue.put(item); };
    auto getter = [&]() -> asyncio::Task<> {
        co_await asyncio::sleep(0);
        const std::size_t num = queue.qsize();
        for (std::size_t i = 0; i < num; ++i) got.push_back(queue.get_nowait());
    };
    asyncio::run([&]() -> asyncio::Task<> {
        std::vector<asyncio::Task<>> tasks;
        tasks.push_back(asyncio::create_task(getter()));
        for (int i = 0; i < 4; ++i) tasks.push_back(asyncio::create_task(putter(i)));
        for (auto& t : tasks) co_await t;
    }());
    // Python 3.13 ends with got == [0, 1] and <Queue maxsize=2 _queue=[2, 3] tasks=4>.
    EXPECT_EQ(got, (std::vector<int>{0, 1}));
    EXPECT_EQ(str(queue), "<Queue maxsize=2 _queue=[2, 3] tasks=4>");
}

TEST(QueuePutTests, CancelledPutsNotBeingHeldInSelfPutters) {
    // Full queue.
    asyncio::Queue<int> queue(1);
    asyncio::run([&]() -> asyncio::Task<> {
        queue.put_nowait(1);

        // Task waiting for space to put an item in the queue.
        auto put_task = asyncio::create_task(queue.put(1));
        co_await asyncio::sleep(0);

        // len(queue._putters) == 1, then 0 once the cancelled task has run.
        EXPECT_EQ(str(queue), "<Queue maxsize=1 _queue=[1] _putters[1] tasks=1>");
        put_task.cancel();
        EXPECT_THROW(co_await put_task, asyncio::CancelledError);
        EXPECT_EQ(str(queue), "<Queue maxsize=1 _queue=[1] tasks=1>");
    }());
}

TEST(QueuePutTests, CancelledPutSilenceValueErrorException) {
    // Full Queue.
    asyncio::Queue<int> queue(1);
    asyncio::run([&]() -> asyncio::Task<> {
        queue.put_nowait(1);

        // Task waiting for space to put an item in the queue.
        auto put_task = asyncio::create_task(queue.put(1));
        co_await asyncio::sleep(0);

        // get_nowait() removes put_task's waiter from the wait list; cancelling it
        // afterwards must still end in CancelledError and nothing else.
        (void)queue.get_nowait();
        put_task.cancel();
        EXPECT_THROW(co_await put_task, asyncio::CancelledError);
        // Python 3.13 prints: <Queue maxsize=1 tasks=1>
        EXPECT_EQ(str(queue), "<Queue maxsize=1 tasks=1>");
    }());
}

// ---- LifoQueueTests / PriorityQueueTests -----------------------------------------------

TEST(LifoQueueTests, Order) {
    asyncio::LifoQueue<int> q;
    std::vector<int> items;
    asyncio::run([&]() -> asyncio::Task<> {
        for (int i : {1, 3, 2}) co_await q.put(i);
        for (int n = 0; n < 3; ++n) items.push_back(co_await q.get());
    }());
    EXPECT_EQ(items, (std::vector<int>{2, 3, 1}));
}

TEST(PriorityQueueTests, Order) {
    asyncio::PriorityQueue<int> q;
    std::vector<int> items;
    asyncio::run([&]() -> asyncio::Task<> {
        for (int i : {1, 3, 2}) co_await q.put(i);
        for (int n = 0; n < 3; ++n) items.push_back(co_await q.get());
    }());
    EXPECT_EQ(items, (std::vector<int>{1, 2, 3}));
}

// Equal ints cannot be told apart, so the queue keeps bare ints and compares exactly as heapq:
// even the heap's array order, which str(q) prints, is CPython's when items repeat.
// CPython 3.13: q = PriorityQueue(); for x in [2, 1, 1, 2, 1, 0, 1]: q.put_nowait(x)
TEST(PriorityQueueTests, RepeatedItemsKeepHeapqArrayOrder) {
    asyncio::PriorityQueue<int> q;
    for (int x : {2, 1, 1, 2, 1, 0, 1}) q.put_nowait(x);
    EXPECT_EQ(str(q), "<PriorityQueue maxsize=0 _queue=[0, 1, 1, 2, 2, 1, 1] tasks=7>");
    EXPECT_EQ(q.get_nowait(), 0);
    EXPECT_EQ(str(q), "<PriorityQueue maxsize=0 _queue=[1, 1, 1, 2, 2, 1] tasks=7>");
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_EQ(str(q), "<PriorityQueue maxsize=0 _queue=[1, 1, 1, 2, 2] tasks=7>");
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_EQ(str(q), "<PriorityQueue maxsize=0 _queue=[1, 1, 2, 2] tasks=7>");
}

// ---- _QueueJoinTestMixin × {Queue, LifoQueue, PriorityQueue} ---------------------------

template <class K>
class QueueJoinTests : public ::testing::Test {};
TYPED_TEST_SUITE(QueueJoinTests, Kinds, KindNames);

TYPED_TEST(QueueJoinTests, TaskDoneUnderflow) {
    typename TypeParam::template Q<int> q;
    EXPECT_THROW(q.task_done(), asyncio::ValueError);
}

TYPED_TEST(QueueJoinTests, TaskDone) {
    using Q = typename TypeParam::template Q<int>;
    Q q;
    for (int i = 0; i < 100; ++i) q.put_nowait(i);

    int accumulator = 0;
    // Two workers get items from the queue and call task_done after each.
    // Join the queue and check that all items have been processed.
    bool running = true;
    auto worker = [&]() -> asyncio::Task<> {
        while (running) {
            int item = co_await q.get();
            accumulator += item;
            q.task_done();
        }
    };
    asyncio::run([&]() -> asyncio::Task<> {
        std::vector<asyncio::Task<>> tasks;
        for (int i = 0; i < 2; ++i) tasks.push_back(asyncio::create_task(worker()));

        co_await q.join();
        EXPECT_EQ(accumulator, 4950);  // sum(range(100))

        // close running workers
        running = false;
        for (std::size_t i = 0; i < tasks.size(); ++i) q.put_nowait(0);
        for (auto& t : tasks) co_await t;
    }());
}

TYPED_TEST(QueueJoinTests, JoinEmptyQueue) {
    typename TypeParam::template Q<int> q;
    bool joined = false;
    asyncio::run([&]() -> asyncio::Task<> {
        // A queue join()s successfully, and before anything else (twice for insurance).
        co_await q.join();
        co_await q.join();
        joined = true;
    }());
    EXPECT_TRUE(joined);
}

// test_format: q._format() == 'maxsize=0', and 'maxsize=0 tasks=2' with 2 unfinished tasks
// (reached here by putting and getting two items instead of assigning the private field).
TYPED_TEST(QueueJoinTests, Format) {
    typename TypeParam::template Q<int> q;
    EXPECT_EQ(str(q), fmt<TypeParam>("maxsize=0"));
    q.put_nowait(1);
    q.put_nowait(2);
    (void)q.get_nowait();
    (void)q.get_nowait();
    EXPECT_EQ(str(q), fmt<TypeParam>("maxsize=0 tasks=2"));
}

// ---- _QueueShutdownTestMixin × {Queue, LifoQueue, PriorityQueue} -----------------------

template <class K>
class QueueShutdownTests : public ::testing::Test {};
TYPED_TEST_SUITE(QueueShutdownTests, Kinds, KindNames);

TYPED_TEST(QueueShutdownTests, Format) {
    typename TypeParam::template Q<std::string> q;
    q.shutdown();
    EXPECT_EQ(str(q), fmt<TypeParam>("maxsize=0 shutdown"));
}

TYPED_TEST(QueueShutdownTests, ShutdownEmpty) {
    // Set up an empty queue, and join() and get() tasks.
    typename TypeParam::template Q<std::string> q;
    asyncio::run([&]() -> asyncio::Task<> {
        auto get_task = asyncio::create_task(q.get());
        co_await asyncio::sleep(0);  // want the get task pending before shutdown

        q.shutdown(false);  // unfinished tasks: 0 -> 0
        EXPECT_EQ(q.qsize(), 0u);

        // join() finishes.
        co_await q.join();

        // The get() task is finished, and raised QueueShutDown.
        co_await asyncio::sleep(0);
        EXPECT_TRUE(get_task.done());
        EXPECT_THROW((void)co_await get_task, asyncio::QueueShutDown);

        // put() and get() raise QueueShutDown.
        EXPECT_THROW(co_await q.put("data"), asyncio::QueueShutDown);
        EXPECT_THROW(q.put_nowait("data"), asyncio::QueueShutDown);
        EXPECT_THROW((void)co_await q.get(), asyncio::QueueShutDown);
        EXPECT_THROW((void)q.get_nowait(), asyncio::QueueShutDown);
    }());
}

TYPED_TEST(QueueShutdownTests, ShutdownNonempty) {
    // Set up a full queue with 1 item, and join() and put() tasks.
    typename TypeParam::template Q<std::string> q(1);
    asyncio::run([&]() -> asyncio::Task<> {
        q.put_nowait("data");
        auto join_task = asyncio::create_task(q.join());
        auto put_task = asyncio::create_task(q.put("data2"));

        // The put() task is not finished.
        co_await asyncio::sleep(0);
        EXPECT_FALSE(put_task.done());

        q.shutdown(false);  // unfinished tasks: 1 -> 1
        EXPECT_EQ(q.qsize(), 1u);

        // The put() task is finished, and raised QueueShutDown.
        co_await asyncio::sleep(0);
        EXPECT_TRUE(put_task.done());
        EXPECT_THROW(co_await put_task, asyncio::QueueShutDown);

        // get() succeeds on the enqueued item.
        std::string item = co_await q.get();
        EXPECT_EQ(item, "data");

        // The join() task is not finished.
        co_await asyncio::sleep(0);
        EXPECT_FALSE(join_task.done());

        // put() and get() raise QueueShutDown.
        EXPECT_THROW(co_await q.put("data"), asyncio::QueueShutDown);
        EXPECT_THROW(q.put_nowait("data"), asyncio::QueueShutDown);
        EXPECT_THROW((void)co_await q.get(), asyncio::QueueShutDown);
        EXPECT_THROW((void)q.get_nowait(), asyncio::QueueShutDown);

        // There is 1 unfinished task, and the join() task succeeds.
        q.task_done();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(join_task.done());
        co_await join_task;

        EXPECT_THROW(q.task_done(), asyncio::ValueError) << "Didn't appear to mark all tasks done";
    }());
}

TYPED_TEST(QueueShutdownTests, ShutdownImmediate) {
    // Set up a queue with 1 item, and a join() task.
    typename TypeParam::template Q<std::string> q;
    asyncio::run([&]() -> asyncio::Task<> {
        q.put_nowait("data");
        auto join_task = asyncio::create_task(q.join());

        q.shutdown(true);  // unfinished tasks: 1 -> 0
        EXPECT_EQ(q.qsize(), 0u);

        // The join() task has finished.
        co_await asyncio::sleep(0);
        EXPECT_TRUE(join_task.done());
        co_await join_task;

        // put() and get() raise QueueShutDown.
        EXPECT_THROW(co_await q.put("data"), asyncio::QueueShutDown);
        EXPECT_THROW(q.put_nowait("data"), asyncio::QueueShutDown);
        EXPECT_THROW((void)co_await q.get(), asyncio::QueueShutDown);
        EXPECT_THROW((void)q.get_nowait(), asyncio::QueueShutDown);

        // There are no unfinished tasks.
        EXPECT_THROW(q.task_done(), asyncio::ValueError) << "Didn't appear to mark all tasks done";
    }());
}

TYPED_TEST(QueueShutdownTests, ShutdownImmediateWithUnfinished) {
    // Set up a queue with 2 items (1 retrieved), and a join() task.
    typename TypeParam::template Q<std::string> q;
    asyncio::run([&]() -> asyncio::Task<> {
        q.put_nowait("data");
        q.put_nowait("data");
        auto join_task = asyncio::create_task(q.join());
        std::string item = co_await q.get();
        EXPECT_EQ(item, "data");

        q.shutdown(true);  // unfinished tasks: 2 -> 1
        EXPECT_EQ(q.qsize(), 0u);

        // The join() task is not finished.
        co_await asyncio::sleep(0);
        EXPECT_FALSE(join_task.done());

        // put() and get() raise QueueShutDown.
        EXPECT_THROW(co_await q.put("data"), asyncio::QueueShutDown);
        EXPECT_THROW(q.put_nowait("data"), asyncio::QueueShutDown);
        EXPECT_THROW((void)co_await q.get(), asyncio::QueueShutDown);
        EXPECT_THROW((void)q.get_nowait(), asyncio::QueueShutDown);

        // There is 1 unfinished task.
        q.task_done();
        EXPECT_THROW(q.task_done(), asyncio::ValueError) << "Didn't appear to mark all tasks done";

        // The join() task has finished.
        co_await asyncio::sleep(0);
        EXPECT_TRUE(join_task.done());
        co_await join_task;
    }());
}
