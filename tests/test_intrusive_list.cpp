// Tests for <asyncio/detail/intrusive_list.hpp>: the list under every wait list (queue getters
// and putters, event waiters, done-callbacks), on its own: order, unlinking from anywhere,
// for_each, clear, and a node's linked() state, which the awaiters rely on to know whether
// they still wait.
#include <asyncio/detail/intrusive_list.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <list>
#include <random>
#include <string>
#include <vector>

namespace {

using asyncio::detail::IntrusiveList;
using asyncio::detail::ListNode;

// A waiter, as the awaiters use the list: the node is a base of the owner.
struct Waiter : ListNode {
    int id = 0;
};

Waiter* owner(ListNode* n) { return static_cast<Waiter*>(n); }

std::vector<int> ids(const IntrusiveList& list) {
    std::vector<int> out;
    list.for_each([&](ListNode* n) { out.push_back(owner(n)->id); });
    return out;
}

// Waiters with ids 0..n-1 (a deque: nodes must not move while linked).
std::deque<Waiter> make_waiters(int n) {
    std::deque<Waiter> w(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) w[static_cast<std::size_t>(i)].id = i;
    return w;
}

TEST(IntrusiveList, StartsEmpty) {
    IntrusiveList list;
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(list.size(), 0u);
    EXPECT_EQ(list.front(), nullptr);
    EXPECT_EQ(list.pop_front(), nullptr);
    EXPECT_TRUE(ids(list).empty());
    list.clear();  // clearing an empty list does nothing
    EXPECT_TRUE(list.empty());
}

TEST(IntrusiveList, ANewNodeIsNotLinked) {
    ListNode n;
    EXPECT_FALSE(n.linked());
}

TEST(IntrusiveList, PushBackKeepsTheOrderAndLinksTheNodes) {
    IntrusiveList list;
    auto w = make_waiters(5);
    for (auto& x : w) list.push_back(&x);
    EXPECT_FALSE(list.empty());
    EXPECT_EQ(list.size(), 5u);
    EXPECT_EQ(owner(list.front())->id, 0);
    EXPECT_EQ(ids(list), (std::vector<int>{0, 1, 2, 3, 4}));
    for (auto& x : w) EXPECT_TRUE(x.linked()) << x.id;
    list.clear();
}

TEST(IntrusiveList, PopFrontIsFifoAndUnlinks) {
    IntrusiveList list;
    auto w = make_waiters(3);
    for (auto& x : w) list.push_back(&x);
    for (int i = 0; i < 3; ++i) {
        ListNode* n = list.pop_front();
        ASSERT_NE(n, nullptr);
        EXPECT_EQ(owner(n)->id, i);
        EXPECT_FALSE(n->linked());
        EXPECT_EQ(list.size(), static_cast<std::size_t>(2 - i));
    }
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(list.pop_front(), nullptr);
}

TEST(IntrusiveList, EraseFromTheMiddleTheFrontAndTheBack) {
    IntrusiveList list;
    auto w = make_waiters(6);
    for (auto& x : w) list.push_back(&x);
    list.erase(&w[2]);  // middle
    EXPECT_FALSE(w[2].linked());
    EXPECT_EQ(ids(list), (std::vector<int>{0, 1, 3, 4, 5}));
    list.erase(&w[0]);  // front
    EXPECT_EQ(owner(list.front())->id, 1);
    EXPECT_EQ(ids(list), (std::vector<int>{1, 3, 4, 5}));
    list.erase(&w[5]);  // back: the next push_back goes after 4
    EXPECT_EQ(ids(list), (std::vector<int>{1, 3, 4}));
    list.push_back(&w[0]);
    EXPECT_EQ(ids(list), (std::vector<int>{1, 3, 4, 0}));
    EXPECT_EQ(list.size(), 4u);
    list.clear();
}

TEST(IntrusiveList, ANodeUnlinksItselfWithoutTheList) {
    // A cancelled awaiter leaves its wait list through its own node.
    IntrusiveList list;
    auto w = make_waiters(4);
    for (auto& x : w) list.push_back(&x);
    w[1].unlink();
    w[3].unlink();  // the last
    EXPECT_FALSE(w[1].linked());
    EXPECT_FALSE(w[3].linked());
    EXPECT_EQ(ids(list), (std::vector<int>{0, 2}));
    w[0].unlink();
    w[2].unlink();
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(list.front(), nullptr);
}

TEST(IntrusiveList, AnUnlinkedNodeCanBeLinkedAgain) {
    IntrusiveList a;
    IntrusiveList b;
    auto w = make_waiters(3);
    for (auto& x : w) a.push_back(&x);
    a.erase(&w[1]);
    b.push_back(&w[1]);  // into another list
    EXPECT_EQ(ids(a), (std::vector<int>{0, 2}));
    EXPECT_EQ(ids(b), (std::vector<int>{1}));
    b.erase(&w[1]);
    a.push_back(&w[1]);  // back into the first, at the end
    EXPECT_EQ(ids(a), (std::vector<int>{0, 2, 1}));
    EXPECT_TRUE(b.empty());
    a.clear();
}

TEST(IntrusiveList, ForEachVisitsFrontToBackAndMayModifyTheOwners) {
    IntrusiveList list;
    auto w = make_waiters(4);
    for (auto& x : w) list.push_back(&x);
    int visits = 0;
    list.for_each([&](ListNode* n) {
        owner(n)->id *= 10;
        ++visits;
    });
    EXPECT_EQ(visits, 4);
    EXPECT_EQ(ids(list), (std::vector<int>{0, 10, 20, 30}));
    list.clear();
}

TEST(IntrusiveList, ClearUnlinksEveryNode) {
    IntrusiveList list;
    auto w = make_waiters(5);
    for (auto& x : w) list.push_back(&x);
    list.clear();
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(list.size(), 0u);
    for (auto& x : w) EXPECT_FALSE(x.linked()) << x.id;
    list.push_back(&w[3]);  // still usable
    EXPECT_EQ(ids(list), (std::vector<int>{3}));
    list.clear();
}

// Randomized differential test against std::list: push_back, pop_front, erase any node (through
// the list or through the node), clear; after each step the same ids in the same order.
// Bounded: a fixed number of seeded operations on at most kNodes nodes.
TEST(IntrusiveList, RandomOperationsMatchAStdListModel) {
    constexpr int kNodes = 48;
    constexpr int kOps = 20000;
    for (unsigned seed : {1u, 2u, 3u, 20261202u}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        std::mt19937 rng(seed);
        IntrusiveList list;
        auto w = make_waiters(kNodes);
        std::list<int> model;
        for (int op = 0; op < kOps; ++op) {
            const unsigned kind = rng() % 20;
            const int i = static_cast<int>(rng() % kNodes);
            Waiter& x = w[static_cast<std::size_t>(i)];
            if (kind < 9) {  // push_back, if not already linked
                if (x.linked()) continue;
                list.push_back(&x);
                model.push_back(i);
            } else if (kind < 13) {  // pop_front
                ListNode* n = list.pop_front();
                if (model.empty()) {
                    ASSERT_EQ(n, nullptr) << "op " << op;
                    continue;
                }
                ASSERT_NE(n, nullptr) << "op " << op;
                ASSERT_EQ(owner(n)->id, model.front()) << "op " << op;
                ASSERT_FALSE(n->linked());
                model.pop_front();
            } else if (kind < 19) {  // erase node i if linked, half through the list, half through the node
                if (!x.linked()) continue;
                if (kind % 2 == 0) {
                    list.erase(&x);
                } else {
                    x.unlink();
                }
                model.remove(i);
                ASSERT_FALSE(x.linked());
            } else if (rng() % 50 == 0) {  // clear, rarely
                list.clear();
                model.clear();
            }
            ASSERT_EQ(list.empty(), model.empty()) << "op " << op;
            if (op % 53 == 0 || model.size() < 4) {
                ASSERT_EQ(list.size(), model.size()) << "op " << op;
                ASSERT_EQ(ids(list), std::vector<int>(model.begin(), model.end())) << "op " << op;
                for (int k = 0; k < kNodes; ++k) {
                    const bool in_model = std::find(model.begin(), model.end(), k) != model.end();
                    ASSERT_EQ(w[static_cast<std::size_t>(k)].linked(), in_model) << "op " << op << " node " << k;
                }
            }
        }
        EXPECT_EQ(ids(list), std::vector<int>(model.begin(), model.end()));
        list.clear();
    }
}

}  // namespace
