// Tests for <asyncio/detail/ready_queue.hpp>: the event loop's ready queue on its own, for
// what the loop-level tests in test_events.cpp cannot reach (an entry that throws, growth
// across the ring's wrap-around, discarding on close).
#include <asyncio/detail/ready_queue.hpp>

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <vector>

namespace {

using asyncio::detail::ReadyItem;
using asyncio::detail::ReadyQueue;

// An entry's argument: records its id and whether it ran, and may act when it does.
struct Probe {
    std::vector<int>* log;
    int id;
    ReadyQueue* q = nullptr;       // when set, queues `then` when it runs
    Probe* then = nullptr;
    bool throws = false;           // throws std::bad_alloc when it runs
};

void probe_fn(void* arg, bool run) {
    auto* p = static_cast<Probe*>(arg);
    p->log->push_back(run ? p->id : -p->id);
    if (p->q && p->then) p->q->push(ReadyItem{&probe_fn, p->then});
    if (run && p->throws) throw std::bad_alloc();
}

TEST(ReadyQueue, RunsInOrderAndEntriesQueuedMeanwhileWaitForTheNextBatch) {
    std::vector<int> log;
    ReadyQueue q;
    Probe c{&log, 3};
    Probe a{&log, 1, &q, &c};
    Probe b{&log, 2};
    q.push({&probe_fn, &a});
    q.push({&probe_fn, &b});
    q.run_batch();
    EXPECT_EQ(log, (std::vector<int>{1, 2}));
    EXPECT_FALSE(q.empty());  // c was queued by a, for the next batch
    q.run_batch();
    EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
    EXPECT_TRUE(q.empty());
}

TEST(ReadyQueue, GrowsAcrossTheWrapAroundInOrder) {
    std::vector<int> log;
    ReadyQueue q;
    // Ten entries that each queue one more: the ten queued ones wrap around the end of the
    // ring (its first capacity is 16), and its front is left in the middle.
    std::vector<Probe> extra, first, more;
    extra.reserve(10);
    first.reserve(10);
    more.reserve(100);
    for (int i = 0; i < 10; ++i) extra.push_back(Probe{&log, 100 + i});
    for (int i = 0; i < 10; ++i) first.push_back(Probe{&log, 1 + i, &q, &extra[static_cast<std::size_t>(i)]});
    for (auto& p : first) q.push({&probe_fn, &p});
    q.run_batch();
    // Now grow it several times while it wraps.
    for (int i = 0; i < 100; ++i) more.push_back(Probe{&log, 1000 + i});
    for (auto& p : more) q.push({&probe_fn, &p});
    q.run_batch();
    std::vector<int> expected;
    for (int i = 0; i < 10; ++i) expected.push_back(1 + i);
    for (int i = 0; i < 10; ++i) expected.push_back(100 + i);
    for (int i = 0; i < 100; ++i) expected.push_back(1000 + i);
    EXPECT_EQ(log, expected);
    EXPECT_TRUE(q.empty());
}

TEST(ReadyQueue, AThrowingEntryLeavesTheRestQueuedInOrder) {
    std::vector<int> log;
    ReadyQueue q;
    Probe a{&log, 1};
    Probe b{&log, 2};
    b.throws = true;
    Probe c{&log, 3};
    Probe d{&log, 4};
    q.push({&probe_fn, &a});
    q.push({&probe_fn, &b});
    q.push({&probe_fn, &c});
    q.push({&probe_fn, &d});
    EXPECT_THROW(q.run_batch(), std::bad_alloc);
    EXPECT_EQ(log, (std::vector<int>{1, 2}));  // b ran (and threw) once; nothing was lost
    ASSERT_FALSE(q.empty());
    q.run_batch();
    EXPECT_EQ(log, (std::vector<int>{1, 2, 3, 4}));
    EXPECT_TRUE(q.empty());
}

TEST(ReadyQueue, DiscardAllCallsEveryEntryWithRunFalseIncludingWhatTheyQueue) {
    std::vector<int> log;
    ReadyQueue q;
    Probe c{&log, 3};
    Probe a{&log, 1, &q, &c};
    Probe b{&log, 2};
    q.push({&probe_fn, &a});
    q.push({&probe_fn, &b});
    q.discard_all();
    EXPECT_EQ(log, (std::vector<int>{-1, -2, -3}));
    EXPECT_TRUE(q.empty());
    // Usable again afterwards.
    q.push({&probe_fn, &b});
    q.run_batch();
    EXPECT_EQ(log, (std::vector<int>{-1, -2, -3, 2}));
}

}  // namespace
