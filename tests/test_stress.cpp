// Stress tests for the queues (issue 5): many items, many tasks, many cancellations, and
// loops torn down while tasks still wait.
//
// Release builds (NDEBUG) run the full counts of the issue: 1,000,000 items among 1,000
// tasks, 100,000 getters blocked at once. Debug builds (the sanitizer CI build) divide the
// item and getter counts by kScale so that each test stays well under its ctest timeout;
// the number of tasks and the shape of each scenario are the same.
//
// Inside coroutines only EXPECT_* is used: ASSERT_* expands to `return`, which a coroutine
// cannot contain. Objects that tasks refer to (queues, counters) are declared outside
// asyncio::run(), so that they outlive every task.

#include <asyncio/asyncio.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "support/text.hpp"

namespace {

#ifdef NDEBUG
constexpr int kScale = 1;
#else
constexpr int kScale = 4;  // Debug / sanitizer builds: a quarter of the items and getters.
#endif

constexpr int kItems = 1'000'000 / kScale;
constexpr int kProducers = 500;
constexpr int kConsumers = 500;
constexpr int kBlockedGetters = 100'000 / kScale;

using asyncio_test::str;

// ---------------------------------------------------------------------------------------
// 1,000,000 items through one bounded queue among 500 producers and 500 consumers.
// ---------------------------------------------------------------------------------------

struct Tally {
    std::vector<std::uint8_t> seen;  // seen[i]: how many times item i was got
    std::uint64_t sum = 0;
    long got = 0;
};

template <class Q>
asyncio::Task<> produce(Q& q, int first, int last) {
    for (int i = first; i < last; ++i) co_await q.put(i);
}

template <class Q>
asyncio::Task<> consume(Q& q, Tally& t) {
    for (;;) {
        int v;
        try {
            v = co_await q.get();
        } catch (const asyncio::QueueShutDown&) {
            co_return;
        }
        if (v >= 0 && static_cast<std::size_t>(v) < t.seen.size()) ++t.seen[v];
        t.sum += static_cast<std::uint64_t>(v);
        ++t.got;
        q.task_done();
    }
}

template <class Q>
asyncio::Task<> many_items_main(Q& q, Tally& t) {
    std::vector<asyncio::Task<>> consumers;
    for (int c = 0; c < kConsumers; ++c) consumers.push_back(asyncio::create_task(consume(q, t)));
    std::vector<asyncio::Task<>> producers;
    const int per = kItems / kProducers;
    for (int p = 0; p < kProducers; ++p)
        producers.push_back(asyncio::create_task(produce(q, p * per, (p + 1) * per)));
    for (auto& p : producers) co_await p;
    co_await q.join();
    EXPECT_EQ(q.qsize(), 0u);
    q.shutdown();
    for (auto& c : consumers) co_await c;
}

template <class Q>
void check_many_items(Q& q) {
    static_assert(kItems % kProducers == 0);
    Tally t;
    t.seen.assign(kItems, 0);
    asyncio::run(many_items_main(q, t));
    EXPECT_EQ(t.got, kItems);
    const std::uint64_t n = kItems;
    EXPECT_EQ(t.sum, n * (n - 1) / 2);
    long missing = 0, duplicated = 0;
    for (std::uint8_t s : t.seen) {
        if (s == 0) ++missing;
        if (s > 1) ++duplicated;
    }
    EXPECT_EQ(missing, 0);
    EXPECT_EQ(duplicated, 0);
}

TEST(QueueStress, MillionItemsAmongThousandTasks) {
    asyncio::Queue<int> q(64);
    check_many_items(q);
    EXPECT_EQ(str(q), "<Queue maxsize=64 shutdown>");
}

TEST(QueueStress, MillionItemsAmongThousandTasksLifo) {
    asyncio::LifoQueue<int> q(64);
    check_many_items(q);
    EXPECT_EQ(str(q), "<LifoQueue maxsize=64 shutdown>");
}

TEST(QueueStress, MillionItemsAmongThousandTasksPriority) {
    asyncio::PriorityQueue<int> q(64);
    check_many_items(q);
    EXPECT_EQ(str(q), "<PriorityQueue maxsize=64 shutdown>");
}

// FIFO order per producer: a consumer never sees a producer's items out of order... across
// consumers that cannot be checked, but with a single consumer it can, and with 500
// producers interleaving on a bounded queue the global order must still respect each
// producer's own order.
asyncio::Task<> ordered_consume(asyncio::Queue<int>& q, std::vector<int>& last_of, long& bad,
                                long& got) {
    const int per = kItems / kProducers;
    for (;;) {
        int v;
        try {
            v = co_await q.get();
        } catch (const asyncio::QueueShutDown&) {
            co_return;
        }
        int p = v / per;
        if (v <= last_of[p]) ++bad;
        last_of[p] = v;
        ++got;
    }
}

asyncio::Task<> ordered_main(asyncio::Queue<int>& q, std::vector<int>& last_of, long& bad,
                             long& got) {
    auto consumer = asyncio::create_task(ordered_consume(q, last_of, bad, got));
    std::vector<asyncio::Task<>> producers;
    const int per = kItems / kProducers;
    for (int p = 0; p < kProducers; ++p)
        producers.push_back(asyncio::create_task(produce(q, p * per, (p + 1) * per)));
    for (auto& p : producers) co_await p;
    q.shutdown();
    co_await consumer;
}

TEST(QueueStress, FifoOrderPerProducerWithOneConsumer) {
    asyncio::Queue<int> q(64);
    std::vector<int> last_of(kProducers, -1);
    long bad = 0, got = 0;
    asyncio::run(ordered_main(q, last_of, bad, got));
    EXPECT_EQ(got, kItems);
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(str(q), "<Queue maxsize=64 tasks=" + std::to_string(kItems) + " shutdown>");
}

// ---------------------------------------------------------------------------------------
// 100,000 getters blocked at once; half of them cancelled in random order.
// ---------------------------------------------------------------------------------------

asyncio::Task<int> get_one(asyncio::Queue<int>& q) { co_return co_await q.get(); }

struct GetterOutcome {
    long got = 0;
    long cancelled = 0;
    long missing = 0;
    long duplicated = 0;
};

// Checks each getter's end state: the cancelled ones cancelled, the others done with a
// distinct item of 0..n_items-1.
GetterOutcome tally_getters(const std::vector<asyncio::Task<int>>& getters,
                            const std::vector<bool>& should_cancel, int n_items, long& wrong) {
    GetterOutcome o;
    std::vector<std::uint8_t> seen(n_items, 0);
    for (std::size_t i = 0; i < getters.size(); ++i) {
        const auto& g = getters[i];
        if (!g.done()) {
            ++wrong;
            continue;
        }
        if (should_cancel[i]) {
            if (g.cancelled()) ++o.cancelled; else ++wrong;
            continue;
        }
        if (g.cancelled()) {
            ++wrong;
            continue;
        }
        int v = g.result();
        if (v < 0 || v >= n_items) {
            ++wrong;
            continue;
        }
        ++seen[v];
        ++o.got;
    }
    for (std::uint8_t s : seen) {
        if (s == 0) ++o.missing;
        if (s > 1) ++o.duplicated;
    }
    return o;
}

struct BlockedGettersResult {
    std::string str_blocked;          // str(q) with every getter blocked
    std::string str_after_cancel;     // after the cancellations were requested
    std::string str_end;              // after everything finished
    std::vector<asyncio::Task<int>> getters;
};

// mode 0: cancel half the getters, then put the items.
// mode 1: put the items and cancel half the getters interleaved in one random sequence, in
//         the same loop iteration (so some cancelled getters have already been woken and
//         must pass their wake-up on).
asyncio::Task<> blocked_getters_main(asyncio::Queue<int>& q, BlockedGettersResult& r,
                                     const std::vector<bool>& should_cancel, int mode) {
    const int n = kBlockedGetters;
    for (int i = 0; i < n; ++i) r.getters.push_back(asyncio::create_task(get_one(q)));
    co_await asyncio::sleep(0);  // every getter runs to its get() and blocks
    r.str_blocked = str(q);

    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 rng(20261125);
    std::shuffle(order.begin(), order.end(), rng);
    if (mode == 0) {
        for (int i : order)
            if (should_cancel[i]) r.getters[i].cancel();
        r.str_after_cancel = str(q);
        co_await asyncio::sleep(0);
        for (int v = 0; v < n / 2; ++v) q.put_nowait(v);
    } else {
        // A random interleaving of n/2 puts and n/2 cancels.
        std::vector<int> ops;  // -1: put, otherwise cancel getter i
        for (int i : order)
            if (should_cancel[i]) ops.push_back(i);
        ops.insert(ops.end(), n / 2, -1);
        std::shuffle(ops.begin(), ops.end(), rng);
        int next = 0;
        for (int op : ops) {
            if (op < 0) q.put_nowait(next++);
            else r.getters[op].cancel();
        }
        r.str_after_cancel = str(q);
    }
    for (auto& g : r.getters) {
        try {
            co_await g;
        } catch (const asyncio::CancelledError&) {
        }
    }
    r.str_end = str(q);
}

void check_blocked_getters(int mode) {
    const int n = kBlockedGetters;
    std::vector<bool> should_cancel(n, false);
    {
        std::vector<int> idx(n);
        std::iota(idx.begin(), idx.end(), 0);
        std::mt19937 rng(42);
        std::shuffle(idx.begin(), idx.end(), rng);
        for (int i = 0; i < n / 2; ++i) should_cancel[idx[i]] = true;
    }
    asyncio::Queue<int> q;
    BlockedGettersResult r;
    asyncio::run(blocked_getters_main(q, r, should_cancel, mode));
    EXPECT_EQ(r.str_blocked, "<Queue maxsize=0 _getters[" + std::to_string(n) + "]>");
    if (mode == 0) {
        // Python keeps a cancelled waiter in _getters until its task runs.
        EXPECT_EQ(r.str_after_cancel, "<Queue maxsize=0 _getters[" + std::to_string(n) + "]>");
    }
    long wrong = 0;
    GetterOutcome o = tally_getters(r.getters, should_cancel, n / 2, wrong);
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(o.cancelled, n / 2);
    EXPECT_EQ(o.got, n / 2);
    EXPECT_EQ(o.missing, 0);
    EXPECT_EQ(o.duplicated, 0);
    // Every item was got (none left), none marked done, no waiter left behind.
    EXPECT_EQ(r.str_end, "<Queue maxsize=0 tasks=" + std::to_string(n / 2) + ">");
    EXPECT_EQ(str(q), "<Queue maxsize=0 tasks=" + std::to_string(n / 2) + ">");
}

TEST(QueueStress, HundredThousandBlockedGettersHalfCancelledThenPut) { check_blocked_getters(0); }

TEST(QueueStress, HundredThousandBlockedGettersCancelsInterleavedWithPuts) {
    check_blocked_getters(1);
}

// The same with putters: 100,000 putters blocked on a full queue, half cancelled in random
// order, then the queue drained. Every put of a surviving putter lands exactly once; no
// cancelled putter's item lands.
asyncio::Task<> put_one(asyncio::Queue<int>& q, int v) { co_await q.put(v); }

asyncio::Task<> blocked_putters_main(asyncio::Queue<int>& q, std::vector<asyncio::Task<>>& putters,
                                     const std::vector<bool>& should_cancel,
                                     std::vector<int>& drained, std::string& str_blocked,
                                     std::string& str_end) {
    const int n = kBlockedGetters;
    q.put_nowait(-1);  // maxsize 1: full
    for (int i = 0; i < n; ++i) putters.push_back(asyncio::create_task(put_one(q, i)));
    co_await asyncio::sleep(0);
    str_blocked = str(q);
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 rng(7);
    std::shuffle(order.begin(), order.end(), rng);
    for (int i : order)
        if (should_cancel[i]) putters[i].cancel();
    // Drain: each get frees the slot for the next live putter.
    for (int k = 0; k <= n / 2; ++k) drained.push_back(co_await q.get());
    for (auto& p : putters) {
        try {
            co_await p;
        } catch (const asyncio::CancelledError&) {
        }
    }
    str_end = str(q);
}

TEST(QueueStress, HundredThousandBlockedPuttersHalfCancelled) {
    const int n = kBlockedGetters;
    std::vector<bool> should_cancel(n, false);
    {
        std::vector<int> idx(n);
        std::iota(idx.begin(), idx.end(), 0);
        std::mt19937 rng(99);
        std::shuffle(idx.begin(), idx.end(), rng);
        for (int i = 0; i < n - n / 2; ++i) should_cancel[idx[i]] = true;
    }
    const long n_cancel = std::count(should_cancel.begin(), should_cancel.end(), true);
    asyncio::Queue<int> q(1);
    std::vector<asyncio::Task<>> putters;
    std::vector<int> drained;
    std::string str_blocked, str_end;
    // The drain loop gets one item per surviving putter plus the initial one.
    ASSERT_EQ(n_cancel, n - n / 2) << "the drain loop below assumes exactly half are cancelled";
    asyncio::run(blocked_putters_main(q, putters, should_cancel, drained, str_blocked, str_end));
    EXPECT_EQ(str_blocked, "<Queue maxsize=1 _queue=[-1] _putters[" + std::to_string(n) + "] tasks=1>");
    long wrong = 0;
    std::vector<std::uint8_t> seen(n, 0);
    EXPECT_EQ(drained.size(), static_cast<std::size_t>(n / 2 + 1));
    if (!drained.empty()) {
        EXPECT_EQ(drained.front(), -1);
    }
    for (std::size_t k = 1; k < drained.size(); ++k) {
        int v = drained[k];
        if (v < 0 || v >= n || should_cancel[v]) ++wrong;
        else ++seen[v];
    }
    for (int i = 0; i < n; ++i) {
        if (should_cancel[i]) {
            if (!putters[i].cancelled()) ++wrong;
        } else {
            if (!putters[i].done() || putters[i].cancelled() || seen[i] != 1) ++wrong;
        }
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(str_end, "<Queue maxsize=1 tasks=" + std::to_string(n / 2 + 1) + ">");
}

// ---------------------------------------------------------------------------------------
// A loop destroyed while tasks are still blocked on a queue destroys every frame.
// ---------------------------------------------------------------------------------------

// Lives in coroutine frames (and in queue items): counts constructions and destructions.
struct FrameCounter {
    static inline long constructed = 0;
    static inline long destroyed = 0;
    int v = 0;
    FrameCounter() noexcept { ++constructed; }
    explicit FrameCounter(int x) noexcept : v(x) { ++constructed; }
    FrameCounter(const FrameCounter& o) noexcept : v(o.v) { ++constructed; }
    FrameCounter(FrameCounter&& o) noexcept : v(o.v) { ++constructed; }
    FrameCounter& operator=(const FrameCounter&) = default;
    FrameCounter& operator=(FrameCounter&&) = default;
    ~FrameCounter() { ++destroyed; }
    friend bool operator<(const FrameCounter& a, const FrameCounter& b) { return a.v < b.v; }
    static void reset() { constructed = destroyed = 0; }
};

// A child coroutine, awaited inline: its frame lives as long as the parent is blocked in it.
template <class Q>
asyncio::Task<FrameCounter> child_get(Q& q) {
    FrameCounter in_child;
    FrameCounter item = co_await q.get();
    co_return item;
}

template <class Q>
asyncio::Task<> blocked_getter(Q& q, long& finished) {
    FrameCounter in_frame;
    FrameCounter got = co_await child_get(q);
    ++finished;  // never reached: nothing is ever put
}

template <class Q>
asyncio::Task<> blocked_putter(Q& q, long& finished) {
    FrameCounter in_frame;
    co_await q.put(FrameCounter(7));  // the item waits inside the frame's awaiter
    ++finished;
}

template <class Q>
asyncio::Task<> blocked_joiner(Q& q, long& finished) {
    FrameCounter in_frame;
    co_await q.join();
    ++finished;
}

constexpr int kFrameTasks = 1000;

// Spawns getters on `empty_q`, putters and joiners on `full_q`, and lets them block.
template <class Q>
asyncio::Task<> spawn_blocked(Q& empty_q, Q& full_q, long& finished, bool keep_handles,
                              std::vector<asyncio::Task<>>& handles) {
    FrameCounter in_main;
    while (!full_q.full()) full_q.put_nowait(FrameCounter(1));
    for (int i = 0; i < kFrameTasks; ++i) {
        auto g = asyncio::create_task(blocked_getter(empty_q, finished));
        auto p = asyncio::create_task(blocked_putter(full_q, finished));
        auto j = asyncio::create_task(blocked_joiner(full_q, finished));
        if (keep_handles) {
            handles.push_back(std::move(g));
            handles.push_back(std::move(p));
            handles.push_back(std::move(j));
        }
    }
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
}

template <class Q>
void check_loop_destroyed(bool keep_handles) {
    FrameCounter::reset();
    long finished = 0;
    Q empty_q;    // declared before the loop: outlives it
    Q full_q(16);
    std::string str_empty, str_full;
    {
        std::vector<asyncio::Task<>> handles;  // destroyed after the loop (declared before it)
        {
            asyncio::EventLoop loop;
            loop.run_until_complete(spawn_blocked(empty_q, full_q, finished, keep_handles, handles));
            str_empty = str(empty_q);
            str_full = str(full_q);
            EXPECT_GT(FrameCounter::constructed, FrameCounter::destroyed);
        }  // the loop is destroyed with every task still blocked
        // Tasks the loop let go of while still pending count as cancelled; the handles keep
        // their frames alive until the handles go.
        long not_cancelled = 0;
        for (auto& h : handles)
            if (!h.cancelled()) ++not_cancelled;
        EXPECT_EQ(not_cancelled, 0);
        EXPECT_EQ(handles.size(), keep_handles ? 3u * kFrameTasks : 0u);
    }
    EXPECT_EQ(finished, 0);
    const std::string name = str(empty_q).substr(1, str(empty_q).find(' ') - 1);
    EXPECT_EQ(str_empty, "<" + name + " maxsize=0 _getters[" + std::to_string(kFrameTasks) + "]>");
    EXPECT_EQ(str_full.find("_putters[" + std::to_string(kFrameTasks) + "]") != std::string::npos, true)
        << str_full;
    // Every frame destroyed, and every waiter gone from the queues (a queue destroyed with
    // waiters asserts in debug builds).
    EXPECT_EQ(str(empty_q), "<" + name + " maxsize=0>");
    EXPECT_EQ(str(full_q).find("_putters"), std::string::npos) << str(full_q);
    EXPECT_EQ(str(full_q).find("_getters"), std::string::npos) << str(full_q);
    EXPECT_EQ(full_q.qsize(), 16u);
    while (!full_q.empty()) (void)full_q.get_nowait();
    EXPECT_EQ(FrameCounter::constructed, FrameCounter::destroyed);
}

TEST(QueueStress, LoopDestroyedWithBlockedTasksDestroysEveryFrame) {
    check_loop_destroyed<asyncio::Queue<FrameCounter>>(false);
}

TEST(QueueStress, LoopDestroyedWithBlockedTasksDestroysEveryFrameLifo) {
    check_loop_destroyed<asyncio::LifoQueue<FrameCounter>>(false);
}

TEST(QueueStress, LoopDestroyedWithBlockedTasksDestroysEveryFramePriority) {
    check_loop_destroyed<asyncio::PriorityQueue<FrameCounter>>(false);
}

TEST(QueueStress, LoopDestroyedWithBlockedTasksDestroysEveryFrameHandlesKept) {
    check_loop_destroyed<asyncio::Queue<FrameCounter>>(true);
}

// A loop closed while handles keep its blocked tasks alive: the loop reports those tasks
// cancelled, so they must no longer wait on the queue; the queue stays usable. (Python:
// the futures stay in _getters and the next put_nowait raises RuntimeError('Event loop is
// closed'); a crash is never acceptable.) The put is only tried when no waiter is left, so
// a failure here is an EXPECT failure, not a crash of the whole test binary.
asyncio::Task<> spawn_getters(asyncio::Queue<int>& q, std::vector<asyncio::Task<int>>& handles) {
    for (int i = 0; i < 100; ++i) handles.push_back(asyncio::create_task(get_one(q)));
    co_await asyncio::sleep(0);
}

TEST(QueueStress, LoopClosedWhileHandlesKeepBlockedGettersAlive) {
    asyncio::Queue<int> q;
    std::vector<asyncio::Task<int>> handles;
    std::string blocked;
    {
        asyncio::EventLoop loop;
        loop.run_until_complete(spawn_getters(q, handles));
        blocked = str(q);
    }
    EXPECT_EQ(blocked, "<Queue maxsize=0 _getters[100]>");
    long not_cancelled = 0;
    for (auto& h : handles)
        if (!h.cancelled()) ++not_cancelled;
    EXPECT_EQ(not_cancelled, 0);
    EXPECT_EQ(str(q), "<Queue maxsize=0>")
        << "tasks the closed loop let go of still wait on the queue: the next put_nowait() "
           "would wake them through the loop they no longer have (null EventLoop*)";
    if (str(q) == "<Queue maxsize=0>") {
        q.put_nowait(1);
        EXPECT_EQ(q.get_nowait(), 1);
    }
    handles.clear();  // the last handles go: the frames are destroyed and leave the queue
    EXPECT_EQ(str(q).find("_getters"), std::string::npos) << str(q);
}

// asyncio::run returning with tasks still blocked: run cancels them, they unwind, and every
// frame is destroyed.
template <class Q>
asyncio::Task<> run_main(Q& empty_q, Q& full_q, long& finished) {
    std::vector<asyncio::Task<>> none;
    co_await spawn_blocked(empty_q, full_q, finished, false, none);
}

TEST(QueueStress, RunReturningWithBlockedTasksDestroysEveryFrame) {
    FrameCounter::reset();
    long finished = 0;
    asyncio::Queue<FrameCounter> empty_q;
    asyncio::Queue<FrameCounter> full_q(16);
    asyncio::run(run_main(empty_q, full_q, finished));
    EXPECT_EQ(finished, 0);
    EXPECT_EQ(str(empty_q), "<Queue maxsize=0>");
    EXPECT_EQ(str(full_q), "<Queue maxsize=16 tasks=16>");
    while (!full_q.empty()) (void)full_q.get_nowait();
    EXPECT_EQ(FrameCounter::constructed, FrameCounter::destroyed);
}

}  // namespace
