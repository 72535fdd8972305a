// tests/support/queue_kinds.hpp - the three queue classes as GoogleTest type parameters.
//
// For example:
//
//     template <class K>
//     class QueueJoinTests : public ::testing::Test {};
//     TYPED_TEST_SUITE(QueueJoinTests, asyncio_test::Kinds, asyncio_test::KindNames);
//
//     TYPED_TEST(QueueJoinTests, Empty) {
//         typename TypeParam::template Q<int> q;
//         EXPECT_EQ(asyncio_test::str(q), asyncio_test::fmt<TypeParam>("maxsize=0"));
//     }
//
// The suites are then named QueueJoinTests/Queue, QueueJoinTests/LifoQueue and
// QueueJoinTests/PriorityQueue, after the class each one runs on.
#pragma once

#include <asyncio/queues.hpp>

#include <gtest/gtest.h>

#include <string>

namespace asyncio_test {

/// asyncio::Queue as a kind: `K::Q<T>` is the queue of T, `K::name` what operator<< prints.
struct FifoKind {
    template <class T>
    using Q = asyncio::Queue<T>;
    static constexpr const char* name = "Queue";
};

/// asyncio::LifoQueue as a kind (see FifoKind).
struct LifoKind {
    template <class T>
    using Q = asyncio::LifoQueue<T>;
    static constexpr const char* name = "LifoQueue";
};

/// asyncio::PriorityQueue as a kind (see FifoKind).
struct PrioKind {
    template <class T>
    using Q = asyncio::PriorityQueue<T>;
    static constexpr const char* name = "PriorityQueue";
};

/// The three kinds, for TYPED_TEST_SUITE.
using Kinds = ::testing::Types<FifoKind, LifoKind, PrioKind>;

/// Names each typed suite after its class ("Queue", "LifoQueue", "PriorityQueue").
struct KindNames {
    template <class K>
    static std::string GetName(int) {
        return K::name;
    }
};

/// "<Name rest>" for the kind K: what str(q) prints, e.g. fmt<LifoKind>("maxsize=0") is
/// "<LifoQueue maxsize=0>".
template <class K>
std::string fmt(const std::string& rest) {
    return std::string("<") + K::name + " " + rest + ">";
}

}  // namespace asyncio_test
