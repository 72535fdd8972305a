// Tests for <asyncio/detail/ring_buffer.hpp>: the FIFO under Queue's items and the event loop's
// ready queue, on its own, for what the queue- and loop-level tests cannot reach (growth while
// the ring wraps around, an element whose construction throws).
#include <asyncio/detail/ring_buffer.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace {

using asyncio::detail::RingBuffer;

std::vector<int> drain(RingBuffer<int>& b) {
    std::vector<int> out;
    while (!b.empty()) {
        out.push_back(b.front());
        b.pop_front();
    }
    return out;
}

TEST(RingBuffer, GrowsWhileWrappedAroundAndKeepsTheOrder) {
    RingBuffer<int> b;
    for (int i = 0; i < 8; ++i) b.emplace_back(i);  // the first capacity is 8
    ASSERT_EQ(b.capacity(), 8u);
    for (int i = 0; i < 5; ++i) b.pop_front();      // the front is now in the middle
    for (int i = 8; i < 13; ++i) b.emplace_back(i); // these wrap around the end
    ASSERT_EQ(b.capacity(), 8u);
    for (int i = 13; i < 100; ++i) b.emplace_back(i);  // grows several times while wrapped
    EXPECT_EQ(b.size(), 95u);
    EXPECT_EQ(b.back(), 99);
    std::vector<int> expected;
    for (int i = 5; i < 100; ++i) expected.push_back(i);
    EXPECT_EQ(drain(b), expected);
}

TEST(RingBuffer, EmptiedItKeepsItsCapacityAndStartsAgainAtSlotZero) {
    RingBuffer<int> b;
    for (int i = 0; i < 100; ++i) b.emplace_back(i);
    const std::size_t cap = b.capacity();
    (void)drain(b);
    EXPECT_EQ(b.capacity(), cap);  // never shrinks: a steady state does not allocate
    b.emplace_back(7);
    b.emplace_back(8);
    EXPECT_EQ(b[0], 7);
    EXPECT_EQ(b[1], 8);
    EXPECT_EQ(drain(b), (std::vector<int>{7, 8}));
}

TEST(RingBuffer, HoldsMoveOnlyElements) {
    RingBuffer<std::unique_ptr<int>> b;
    for (int i = 0; i < 20; ++i) b.emplace_back(std::make_unique<int>(i));
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(b.front());
        EXPECT_EQ(*b.front(), i);
        b.pop_front();
    }
    EXPECT_TRUE(b.empty());
}

// Throws from its constructor when asked to.
struct Fragile {
    explicit Fragile(int v, bool fail = false) : value(v) {
        if (fail) throw std::runtime_error("construction failed");
    }
    int value;
};

TEST(RingBuffer, AConstructionThatThrowsLeavesItUnchanged) {
    RingBuffer<Fragile> b;
    for (int i = 0; i < 8; ++i) b.emplace_back(i);  // full: the next one grows first
    EXPECT_THROW(b.emplace_back(8, true), std::runtime_error);
    ASSERT_EQ(b.size(), 8u);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(b[static_cast<std::size_t>(i)].value, i);
    b.emplace_back(8);
    EXPECT_EQ(b.back().value, 8);
    EXPECT_EQ(b.size(), 9u);
}

}  // namespace
