// Tests for <asyncio/detail/timer_heap.hpp>: the loop's timers on their own, for what the
// loop-level tests (sleep, call_later, timeouts) cannot reach directly: the order of many
// timers, ties, removal from any slot, take_all, and the node's bookkeeping (state, index).
//
// The heap orders by (when, seq); the loop gives every timer the next value of a counter as
// its seq, so timers due at the same time fire in the order they were scheduled. The tests
// do the same through schedule().
#include <asyncio/detail/timer_heap.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using asyncio::detail::TimerHeap;
using asyncio::detail::TimerNode;
using State = TimerNode::State;

// A timer with a name, as the loop's owners embed one.
struct Timer {
    TimerNode node;
    int id = 0;
};
static_assert(std::is_standard_layout_v<Timer>);

Timer* owner(TimerNode* n) {
    // node is Timer's first member: the address of the node is the address of the Timer.
    return reinterpret_cast<Timer*>(n);
}

// The loop's part: number the timers in scheduling order, then push.
struct Scheduler {
    TimerHeap heap;
    std::uint64_t seq = 0;

    void schedule(Timer& t, double when) {
        t.node.when = when;
        t.node.seq = seq++;
        heap.push(&t.node);
    }

    // Pops everything; returns the ids in the order they came out.
    std::vector<int> drain() {
        std::vector<int> ids;
        while (!heap.empty()) ids.push_back(owner(heap.pop())->id);
        return ids;
    }
};

// Timers with ids 0..n-1 (a deque: the nodes must not move while in the heap).
std::deque<Timer> make_timers(int n) {
    std::deque<Timer> timers(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) timers[static_cast<std::size_t>(i)].id = i;
    return timers;
}

// Every node in the heap knows its slot: the indexes are exactly 0..size-1.
::testing::AssertionResult indexes_are_slots(const std::vector<const TimerNode*>& live, const TimerHeap& heap) {
    if (live.size() != heap.size()) {
        return ::testing::AssertionFailure() << live.size() << " live nodes, heap size " << heap.size();
    }
    std::vector<std::size_t> indexes;
    for (const TimerNode* n : live) {
        if (n->state != State::in_heap) return ::testing::AssertionFailure() << "a live node is not in_heap";
        indexes.push_back(n->index);
    }
    std::sort(indexes.begin(), indexes.end());
    for (std::size_t i = 0; i < indexes.size(); ++i) {
        if (indexes[i] != i) return ::testing::AssertionFailure() << "slot " << i << " is missing or doubled";
    }
    return ::testing::AssertionSuccess();
}

TEST(TimerHeap, StartsEmpty) {
    TimerHeap heap;
    EXPECT_TRUE(heap.empty());
    EXPECT_EQ(heap.size(), 0u);
    EXPECT_TRUE(heap.take_all().empty());
}

TEST(TimerHeap, PopsByDueTime) {
    Scheduler s;
    auto t = make_timers(7);
    const double when[] = {5.0, 1.0, 4.0, 0.5, 3.0, 2.0, 6.0};
    for (int i = 0; i < 7; ++i) s.schedule(t[static_cast<std::size_t>(i)], when[i]);
    EXPECT_FALSE(s.heap.empty());
    EXPECT_EQ(s.heap.size(), 7u);
    EXPECT_EQ(owner(s.heap.top())->id, 3);  // when 0.5
    EXPECT_EQ(s.drain(), (std::vector<int>{3, 1, 5, 4, 2, 0, 6}));
    EXPECT_TRUE(s.heap.empty());
}

TEST(TimerHeap, TimersDueAtTheSameTimeFireInSchedulingOrder) {
    Scheduler s;
    auto t = make_timers(12);
    // Three groups of ties, scheduled interleaved: 1.0, 2.0, 1.0, 0.0, 2.0, 1.0, ...
    const double when[] = {1.0, 2.0, 1.0, 0.0, 2.0, 1.0, 0.0, 2.0, 1.0, 0.0, 0.0, 2.0};
    for (int i = 0; i < 12; ++i) s.schedule(t[static_cast<std::size_t>(i)], when[i]);
    EXPECT_EQ(s.drain(), (std::vector<int>{3, 6, 9, 10, 0, 2, 5, 8, 1, 4, 7, 11}));
}

TEST(TimerHeap, ManyTiesKeepTheirOrderThroughRemovalsAndPushes) {
    Scheduler s;
    auto t = make_timers(100);
    for (auto& timer : t) s.schedule(timer, 1.0);
    for (int i = 0; i < 100; i += 3) s.heap.remove(&t[static_cast<std::size_t>(i)].node);
    std::vector<int> expected;
    for (int i = 0; i < 100; ++i) {
        if (i % 3 != 0) expected.push_back(i);
    }
    EXPECT_EQ(s.drain(), expected);
}

TEST(TimerHeap, PushMarksInHeapAndPopMarksIdle) {
    Scheduler s;
    auto t = make_timers(2);
    EXPECT_EQ(t[0].node.state, State::idle);
    s.schedule(t[0], 1.0);
    s.schedule(t[1], 2.0);
    EXPECT_EQ(t[0].node.state, State::in_heap);
    EXPECT_EQ(t[1].node.state, State::in_heap);
    EXPECT_TRUE(indexes_are_slots({&t[0].node, &t[1].node}, s.heap));
    TimerNode* first = s.heap.pop();
    EXPECT_EQ(first, &t[0].node);
    EXPECT_EQ(first->state, State::idle);
    EXPECT_EQ(t[1].node.state, State::in_heap);
    EXPECT_EQ(t[1].node.index, 0u);  // the only one left is at the top
}

TEST(TimerHeap, RemoveFromTheMiddleKeepsTheRestInOrder) {
    Scheduler s;
    auto t = make_timers(15);
    for (int i = 0; i < 15; ++i) s.schedule(t[static_cast<std::size_t>(i)], double((i * 7) % 15));  // a permutation of 0..14
    // Remove timers due at 7, 3 and 11 (ids 1, 9, 8), wherever they sit in the heap.
    for (int id : {1, 9, 8}) {
        TimerNode& n = t[static_cast<std::size_t>(id)].node;
        s.heap.remove(&n);
        EXPECT_EQ(n.state, State::idle) << "id " << id;
    }
    EXPECT_EQ(s.heap.size(), 12u);
    std::vector<int> got = s.drain();
    std::vector<double> due;
    for (int id : got) due.push_back(t[static_cast<std::size_t>(id)].node.when);
    EXPECT_EQ(due, (std::vector<double>{0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14}));
}

TEST(TimerHeap, RemoveTheTopAndTheLast) {
    Scheduler s;
    auto t = make_timers(5);
    for (int i = 0; i < 5; ++i) s.schedule(t[static_cast<std::size_t>(i)], double(i));
    s.heap.remove(s.heap.top());  // id 0, slot 0
    EXPECT_EQ(owner(s.heap.top())->id, 1);
    // The node in the last slot: removing it moves nothing.
    TimerNode* last = nullptr;
    for (auto& timer : t) {
        if (timer.node.state == State::in_heap && timer.node.index == s.heap.size() - 1) last = &timer.node;
    }
    ASSERT_NE(last, nullptr);
    const int last_id = owner(last)->id;
    s.heap.remove(last);
    std::vector<int> expected;
    for (int i = 1; i < 5; ++i) {
        if (i != last_id) expected.push_back(i);
    }
    EXPECT_EQ(s.drain(), expected);
}

TEST(TimerHeap, RemovingTheOnlyTimerEmptiesTheHeap) {
    Scheduler s;
    auto t = make_timers(1);
    s.schedule(t[0], 3.0);
    s.heap.remove(&t[0].node);
    EXPECT_TRUE(s.heap.empty());
    EXPECT_EQ(t[0].node.state, State::idle);
}

TEST(TimerHeap, APoppedOrRemovedTimerCanBeScheduledAgain) {
    Scheduler s;
    auto t = make_timers(3);
    s.schedule(t[0], 1.0);
    s.schedule(t[1], 2.0);
    s.schedule(t[2], 3.0);
    EXPECT_EQ(s.heap.pop(), &t[0].node);
    s.heap.remove(&t[2].node);
    s.schedule(t[0], 2.0);  // tie with t[1], scheduled later: after it
    s.schedule(t[2], 0.5);
    EXPECT_EQ(s.drain(), (std::vector<int>{2, 1, 0}));
}

TEST(TimerHeap, TakeAllEmptiesTheHeapAndReturnsEveryTimer) {
    Scheduler s;
    auto t = make_timers(9);
    for (int i = 0; i < 9; ++i) s.schedule(t[static_cast<std::size_t>(i)], double(9 - i));
    s.heap.remove(&t[4].node);
    std::vector<TimerNode*> all = s.heap.take_all();
    EXPECT_TRUE(s.heap.empty());
    EXPECT_EQ(s.heap.size(), 0u);
    std::vector<int> ids;
    for (TimerNode* n : all) ids.push_back(owner(n)->id);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, (std::vector<int>{0, 1, 2, 3, 5, 6, 7, 8}));
    // The heap works again after take_all.
    s.schedule(t[4], 1.0);
    EXPECT_EQ(s.heap.size(), 1u);
    EXPECT_EQ(s.heap.top(), &t[4].node);
}

// Randomized differential test against a model: a std::multimap keyed by the due time keeps
// equal keys in insertion order, which is exactly "ties fire in scheduling order". Bounded:
// a fixed number of seeded operations on at most kTimers timers.
TEST(TimerHeap, RandomOperationsMatchAMultimapModel) {
    constexpr int kTimers = 64;
    constexpr int kOps = 20000;
    for (unsigned seed : {1u, 2u, 3u, 20261202u}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        std::mt19937 rng(seed);
        Scheduler s;
        auto t = make_timers(kTimers);
        std::multimap<double, int> model;
        std::vector<std::multimap<double, int>::iterator> where(kTimers, model.end());
        std::vector<bool> scheduled(kTimers, false);
        auto pick = [&](bool want_scheduled) -> int {
            // A random timer in the wanted state, or -1 (bounded: one pass from a random start).
            const int start = static_cast<int>(rng() % kTimers);
            for (int k = 0; k < kTimers; ++k) {
                const int i = (start + k) % kTimers;
                if (scheduled[static_cast<std::size_t>(i)] == want_scheduled) return i;
            }
            return -1;
        };
        for (int op = 0; op < kOps; ++op) {
            const unsigned kind = rng() % 10;
            if (kind < 5) {  // schedule an idle timer; few distinct due times, so many ties
                const int i = pick(false);
                if (i < 0) continue;
                const double when = double(rng() % 16) / 4.0;
                s.schedule(t[static_cast<std::size_t>(i)], when);
                where[static_cast<std::size_t>(i)] = model.emplace(when, i);  // after equal keys
                scheduled[static_cast<std::size_t>(i)] = true;
            } else if (kind < 8) {  // pop the next due
                if (model.empty()) {
                    ASSERT_TRUE(s.heap.empty());
                    continue;
                }
                const int expected = model.begin()->second;
                ASSERT_EQ(owner(s.heap.top())->id, expected) << "op " << op;
                TimerNode* n = s.heap.pop();
                ASSERT_EQ(owner(n)->id, expected) << "op " << op;
                ASSERT_EQ(n->state, State::idle);
                model.erase(model.begin());
                scheduled[static_cast<std::size_t>(expected)] = false;
            } else {  // remove any scheduled timer (a cancelled sleep)
                const int i = pick(true);
                if (i < 0) continue;
                s.heap.remove(&t[static_cast<std::size_t>(i)].node);
                ASSERT_EQ(t[static_cast<std::size_t>(i)].node.state, State::idle);
                model.erase(where[static_cast<std::size_t>(i)]);
                scheduled[static_cast<std::size_t>(i)] = false;
            }
            ASSERT_EQ(s.heap.size(), model.size()) << "op " << op;
            ASSERT_EQ(s.heap.empty(), model.empty());
            if (op % 97 == 0) {
                std::vector<const TimerNode*> live;
                for (int i = 0; i < kTimers; ++i) {
                    if (scheduled[static_cast<std::size_t>(i)]) live.push_back(&t[static_cast<std::size_t>(i)].node);
                }
                ASSERT_TRUE(indexes_are_slots(live, s.heap)) << "op " << op;
            }
        }
        // What is left comes out in the model's order.
        std::vector<int> expected;
        for (const auto& [when, id] : model) expected.push_back(id);
        EXPECT_EQ(s.drain(), expected);
    }
}

}  // namespace
