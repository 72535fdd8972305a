// Exception safety of the queues (issue 5): an item whose copy or move throws on the N-th
// call, and a Compare that throws on the N-th comparison.
//
// Each scenario is swept over every call position N: the scenario runs with the N-th counted
// operation throwing, for N = 1, 2, ... until a run completes without reaching N. After a
// run that threw, the queue must be exactly as it was before the operation (same str(q):
// items in storage order, waiters, `tasks=` count), and after a run that completed, exactly
// as a reference queue that did the same operation with nothing armed. Then the queue is
// drained (nothing armed) and every item must be a live, distinct item (no moved-from value,
// none duplicated), and once everything is destroyed no Item is alive.
//
// The guarantee asked for (complete, or leave the queue exactly as it was) is the strong
// guarantee. It holds for every operation whose element moves cannot throw, and for Queue
// and LifoQueue even when they can. PriorityQueue's heap reordering moves elements in place
// (heapq's sift): when a move *assignment* throws half-way the heap is already permuted and
// undoing it would need more moves that may throw, so no in-place O(log n) heap can give the
// strong guarantee there. For that case (Item<false> in a PriorityQueue) the tests check the
// basic guarantee only: no crash, no leak, qsize() matches what draining yields.
//
// A blocked put()/get() that is woken and then fails (its item's move throws when the woken
// task takes the slot or the item) must also pass its wake-up on, as CPython's put()/get()
// do when the woken task is cancelled: otherwise the next waiter sleeps while the queue has
// a free slot / an item (Blocked*WokenThenItemThrows).
//
// Inside coroutines only EXPECT_* is used: ASSERT_* expands to `return`.

#include <asyncio/asyncio.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/text.hpp"

namespace {

struct Boom : std::runtime_error {
    Boom() : std::runtime_error("boom") {}
};

// The global countdown: the N-th counted call throws. 0 means disarmed.
struct Countdown {
    static inline long left = 0;
    static inline long calls = 0;  // counted calls since arm()
    static void arm(long n) { left = n; calls = 0; }
    static void disarm() { left = 0; }
    static void tick() {
        ++calls;
        if (left > 0 && --left == 0) throw Boom();
    }
};

// An item whose copy constructor and copy assignment count (and may throw); when
// NoexceptMove is false its move constructor and move assignment count (and may throw) too.
// Moved-from items hold -1, so a moved-from item surfacing from the queue is detected.
template <bool NoexceptMove>
struct Item {
    static inline long live = 0;
    int v;
    explicit Item(int x) noexcept : v(x) { ++live; }
    Item(const Item& o) : v(o.v) {
        Countdown::tick();
        ++live;
    }
    Item(Item&& o) noexcept(NoexceptMove) : v(o.v) {
        if constexpr (!NoexceptMove) Countdown::tick();
        o.v = -1;
        ++live;
    }
    Item& operator=(const Item& o) {
        Countdown::tick();
        v = o.v;
        return *this;
    }
    Item& operator=(Item&& o) noexcept(NoexceptMove) {
        if constexpr (!NoexceptMove) Countdown::tick();
        v = o.v;
        o.v = -1;
        return *this;
    }
    ~Item() { --live; }
    friend bool operator<(const Item& a, const Item& b) { return a.v < b.v; }
    friend std::ostream& operator<<(std::ostream& os, const Item& x) { return os << x.v; }
};

using CopyThrows = Item<true>;   // copies may throw, moves are noexcept
using AnyThrows = Item<false>;   // copies and moves may throw

using asyncio_test::str;

// Drains q with nothing armed; returns the values.
template <class Q>
std::vector<int> drain(Q& q) {
    std::vector<int> out;
    while (!q.empty()) out.push_back(q.get_nowait().v);
    return out;
}

// Values that are valid items: no moved-from (-1), none duplicated.
bool all_distinct_live(std::vector<int> v) {
    std::sort(v.begin(), v.end());
    if (!v.empty() && v.front() < 0) return false;
    return std::adjacent_find(v.begin(), v.end()) == v.end();
}

enum class Guarantee { strong, basic };

// Sweeps `op` over every call position. `setup` fills a fresh queue (nothing armed); `op`
// runs the operation under test and returns a value that must match the reference run's
// (e.g. the item got), or 0. `strong`: a throwing run leaves str(q) as before the op.
template <class Q, class I>
void sweep(const std::string& what, const std::function<void(Q&)>& setup, const std::function<int(Q&)>& op,
           Guarantee guarantee) {
    SCOPED_TRACE(what);
    // The reference: the same operation with nothing armed.
    std::string ref_after;
    int ref_result;
    {
        Countdown::disarm();
        Q ref;
        setup(ref);
        ref_result = op(ref);
        ref_after = str(ref);
        drain(ref);
    }
    ASSERT_EQ(I::live, 0) << "reference run leaked items";
    bool completed = false;
    for (long n = 1; !completed; ++n) {
        ASSERT_LT(n, 100000) << "the operation never completed";
        {
            Q q;
            Countdown::disarm();
            setup(q);
            const std::string before = str(q);
            const std::size_t size_before = q.qsize();
            Countdown::arm(n);
            int result = 0;
            bool threw = false;
            try {
                result = op(q);
            } catch (const Boom&) {
                threw = true;
            }
            Countdown::disarm();
            if (!threw) {
                completed = true;
                EXPECT_EQ(str(q), ref_after) << "N=" << n << ": completed, but not as the reference";
                EXPECT_EQ(result, ref_result) << "N=" << n;
            } else if (guarantee == Guarantee::strong) {
                EXPECT_EQ(str(q), before) << "N=" << n << ": threw, and the queue changed";
                EXPECT_EQ(q.qsize(), size_before) << "N=" << n;
            }
            const std::size_t size = q.qsize();
            std::vector<int> items = drain(q);
            EXPECT_EQ(items.size(), size) << "N=" << n;
            if (guarantee == Guarantee::strong || !threw) {
                EXPECT_TRUE(all_distinct_live(items)) << "N=" << n << ": " << ::testing::PrintToString(items);
            }
        }
        EXPECT_EQ(I::live, 0) << "N=" << n << ": items leaked or destroyed twice";
        if (::testing::Test::HasFailure()) return;  // one precise failure per scenario
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------

template <class Q>
using ItemOf = typename Q::value_type;

template <class Q>
void fill(Q& q, int n) {
    using I = ItemOf<Q>;
    // A permutation so that the priority heap has to reorder.
    for (int i = 0; i < n; ++i) q.put_nowait(I((i * 37 + 11) % 101 + 100));  // distinct for n <= 101
}

// put_nowait of an lvalue (copied into the parameter, then moved in), and of an rvalue,
// into queues of every size up to 17 (crossing the ring buffer's and vector's growth).
template <class Q>
void put_nowait_scenarios(Guarantee g) {
    using I = ItemOf<Q>;
    for (int size = 0; size <= 17; ++size) {
        sweep<Q, I>("put_nowait(lvalue) into " + std::to_string(size) + " items",
                    [size](Q& q) { fill(q, size); },
                    [](Q& q) {
                        I x(50);
                        q.put_nowait(x);
                        return 0;
                    },
                    g);
        sweep<Q, I>("put_nowait(rvalue) into " + std::to_string(size) + " items",
                    [size](Q& q) { fill(q, size); },
                    [](Q& q) {
                        q.put_nowait(I(50));
                        return 0;
                    },
                    g);
    }
}

template <class Q>
void get_nowait_scenarios(Guarantee g) {
    using I = ItemOf<Q>;
    for (int size = 1; size <= 17; ++size) {
        sweep<Q, I>("get_nowait from " + std::to_string(size) + " items",
                    [size](Q& q) { fill(q, size); },
                    [](Q& q) { return q.get_nowait().v; }, g);
    }
}

// Awaited put and get that do not block.
template <class Q>
asyncio::Task<> await_put(Q& q, int v) {
    ItemOf<Q> x(v);
    co_await q.put(x);
}

template <class Q>
asyncio::Task<int> await_get(Q& q) {
    auto x = co_await q.get();
    co_return x.v;
}

template <class Q>
void awaited_scenarios(Guarantee g) {
    using I = ItemOf<Q>;
    for (int size = 0; size <= 9; ++size) {
        sweep<Q, I>("co_await put() into " + std::to_string(size) + " items",
                    [size](Q& q) { fill(q, size); },
                    [](Q& q) {
                        asyncio::run(await_put(q, 50));
                        return 0;
                    },
                    g);
        if (size > 0)
            sweep<Q, I>("co_await get() from " + std::to_string(size) + " items",
                        [size](Q& q) { fill(q, size); },
                        [](Q& q) { return asyncio::run(await_get(q)); }, g);
    }
}

// ---------------------------------------------------------------------------------------
// Blocked put/get woken, then the item's move throws in the woken task: the queue must be
// as it was, and the wake-up must not be lost (the next waiter must run).
// ---------------------------------------------------------------------------------------

struct BlockedResult {
    bool a_threw = false;
    bool a_done = false;
    bool b_done = false;        // B finished before anything else touched the queue
    bool b_done_late = false;   // B finished at all (after the queue was drained)
    int taken = -2;             // the item main took to wake A
    int b_got = -2;
    std::vector<int> left;  // the queue's items at the end, drained
    std::string str_end;
};

template <class Q>
asyncio::Task<> blocked_put_main(Q& q, long n, BlockedResult& r) {
    using I = ItemOf<Q>;
    q.put_nowait(I(1));
    q.put_nowait(I(2));  // maxsize 2: full
    auto a = asyncio::create_task(await_put(q, 10));
    co_await asyncio::sleep(0);
    auto b = asyncio::create_task(await_put(q, 11));
    co_await asyncio::sleep(0);  // A and B blocked, in that order
    r.taken = q.get_nowait().v;  // wakes A
    Countdown::arm(n);
    co_await asyncio::sleep(0);  // A runs its put: the armed moves happen here
    Countdown::disarm();
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
    r.a_done = a.done();
    r.a_threw = a.done() && a.exception() != nullptr;
    r.b_done = b.done();
    r.str_end = str(q);
    while (!q.empty()) r.left.push_back(q.get_nowait().v);
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);  // lets a blocked B finish
    r.b_done_late = b.done();
    while (!q.empty()) r.left.push_back(q.get_nowait().v);
}

template <class Q>
asyncio::Task<> blocked_get_main(Q& q, long n, BlockedResult& r) {
    using I = ItemOf<Q>;
    auto a = asyncio::create_task(await_get(q));
    co_await asyncio::sleep(0);
    auto b = asyncio::create_task(await_get(q));
    co_await asyncio::sleep(0);  // A and B blocked, in that order
    q.put_nowait(I(10));         // wakes A
    Countdown::arm(n);
    co_await asyncio::sleep(0);  // A runs its get: the armed moves happen here
    Countdown::disarm();
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
    r.a_done = a.done();
    r.a_threw = a.done() && a.exception() != nullptr;
    r.b_done = b.done();
    if (b.done() && !b.exception()) r.b_got = b.result();
    r.str_end = str(q);
    if (!b.done()) b.cancel();
    try {
        co_await b;
    } catch (const asyncio::CancelledError&) {
    }
    while (!q.empty()) r.left.push_back(q.get_nowait().v);
}

template <class Q>
void blocked_put_sweep() {
    using I = ItemOf<Q>;
    for (long n = 1; n < 1000; ++n) {
        BlockedResult r;
        {
            Q q(2);
            asyncio::run(blocked_put_main(q, n, r));
        }
        EXPECT_EQ(I::live, 0) << "N=" << n;
        EXPECT_TRUE(r.a_done) << "N=" << n;
        std::sort(r.left.begin(), r.left.end());
        const int kept = r.taken == 1 ? 2 : 1;  // of the initial items 1 and 2
        EXPECT_TRUE(r.taken == 1 || r.taken == 2) << "N=" << n;
        EXPECT_TRUE(r.b_done_late) << "N=" << n;
        if (r.a_threw) {
            // A's item never entered the queue; the slot it was woken for goes to B.
            EXPECT_TRUE(r.b_done) << "N=" << n << ": A's put threw after its wake-up and B, "
                                  << "blocked behind it, was never woken although the queue "
                                  << "has a free slot (lost wake-up); str(q) = " << r.str_end;
            EXPECT_EQ(r.left, (std::vector<int>{kept, 11})) << "N=" << n;
        } else {
            EXPECT_FALSE(r.b_done) << "N=" << n;  // the queue was full again
            EXPECT_EQ(r.left, (std::vector<int>{kept, 10, 11})) << "N=" << n;
            return;  // completed: the sweep is over
        }
        if (::testing::Test::HasFailure()) return;
    }
    ADD_FAILURE() << "the put never completed";
}

template <class Q>
void blocked_get_sweep() {
    using I = ItemOf<Q>;
    for (long n = 1; n < 1000; ++n) {
        BlockedResult r;
        {
            Q q;
            asyncio::run(blocked_get_main(q, n, r));
        }
        EXPECT_EQ(I::live, 0) << "N=" << n;
        EXPECT_TRUE(r.a_done) << "N=" << n;
        if (r.a_threw) {
            // The item stays in the queue and the wake-up passes to B, which gets it.
            EXPECT_TRUE(r.b_done) << "N=" << n << ": A's get threw after its wake-up and B, "
                                  << "blocked behind it, was never woken although the queue "
                                  << "holds an item (lost wake-up); str(q) = " << r.str_end;
            EXPECT_EQ(r.b_got, 10) << "N=" << n;
            EXPECT_TRUE(r.left.empty()) << "N=" << n;
        } else {
            EXPECT_FALSE(r.b_done) << "N=" << n;
            EXPECT_TRUE(r.left.empty()) << "N=" << n;
            return;
        }
        if (::testing::Test::HasFailure()) return;
    }
    ADD_FAILURE() << "the get never completed";
}

// ---------------------------------------------------------------------------------------
// Tests: every queue kind x both item kinds.
// ---------------------------------------------------------------------------------------

template <class Q>
class ExceptionSafety : public ::testing::Test {};

template <class Q, Guarantee Reorder>
struct Case {
    using Queue = Q;
    static constexpr Guarantee reorder = Reorder;  // the guarantee checked for this queue kind
};

using Cases = ::testing::Types<
    Case<asyncio::Queue<CopyThrows>, Guarantee::strong>,
    Case<asyncio::Queue<AnyThrows>, Guarantee::strong>,
    Case<asyncio::LifoQueue<CopyThrows>, Guarantee::strong>,
    Case<asyncio::LifoQueue<AnyThrows>, Guarantee::strong>,
    Case<asyncio::PriorityQueue<CopyThrows>, Guarantee::strong>,
    // A throwing move assignment inside the heap's sift: only the basic guarantee is possible.
    Case<asyncio::PriorityQueue<AnyThrows>, Guarantee::basic>>;

class CaseNames {
public:
    template <class C>
    static std::string GetName(int) {
        using Q = typename C::Queue;
        std::string item = std::is_same_v<typename Q::value_type, CopyThrows> ? "CopyThrows" : "AnyThrows";
        std::ostringstream os;
        Q q;
        os << q;
        std::string s = os.str();
        return s.substr(1, s.find(' ') - 1) + "_" + item;
    }
};
TYPED_TEST_SUITE(ExceptionSafety, Cases, CaseNames);

TYPED_TEST(ExceptionSafety, PutNowait) {
    put_nowait_scenarios<typename TypeParam::Queue>(TypeParam::reorder);
}

TYPED_TEST(ExceptionSafety, GetNowait) {
    get_nowait_scenarios<typename TypeParam::Queue>(TypeParam::reorder);
}

TYPED_TEST(ExceptionSafety, AwaitedPutAndGet) {
    awaited_scenarios<typename TypeParam::Queue>(TypeParam::reorder);
}

TYPED_TEST(ExceptionSafety, BlockedPutWokenThenItemThrows) {
    blocked_put_sweep<typename TypeParam::Queue>();
}

TYPED_TEST(ExceptionSafety, BlockedGetWokenThenItemThrows) {
    blocked_get_sweep<typename TypeParam::Queue>();
}

// PriorityQueue with throwing moves, where no heap reordering happens (a put into an empty
// queue, a get from a one-item queue): nothing makes the strong guarantee impossible here,
// so it is checked in full.
using PqAny = asyncio::PriorityQueue<AnyThrows>;

TEST(ExceptionSafetyPriorityNoReorder, PutNowaitIntoEmptyQueue) {
    sweep<PqAny, AnyThrows>("put_nowait(lvalue) into 0 items", [](PqAny&) {},
                            [](PqAny& q) {
                                AnyThrows x(50);
                                q.put_nowait(x);
                                return 0;
                            },
                            Guarantee::strong);
}

TEST(ExceptionSafetyPriorityNoReorder, GetNowaitFromOneItemQueue) {
    sweep<PqAny, AnyThrows>("get_nowait from 1 item", [](PqAny& q) { fill(q, 1); },
                            [](PqAny& q) { return q.get_nowait().v; }, Guarantee::strong);
}

// ---------------------------------------------------------------------------------------
// A Compare that throws on the N-th comparison: PriorityQueue documents that every
// comparison is made before anything moves, so the heap is left exactly as it was.
// ---------------------------------------------------------------------------------------

struct ThrowingLess {
    bool operator()(int a, int b) const {
        Countdown::tick();
        return a < b;
    }
};

using CmpQueue = asyncio::PriorityQueue<int, ThrowingLess>;

template <class F>
void compare_sweep(const std::string& what, int size, F op) {
    SCOPED_TRACE(what + " with " + std::to_string(size) + " items");
    auto setup = [size](CmpQueue& q) {
        for (int i = 0; i < size; ++i) q.put_nowait((i * 37 + 11) % 101);
    };
    std::string ref_after;
    int ref_result;
    {
        Countdown::disarm();
        CmpQueue ref;
        setup(ref);
        ref_result = op(ref);
        ref_after = str(ref);
    }
    for (long n = 1;; ++n) {
        ASSERT_LT(n, 100000);
        CmpQueue q;
        setup(q);
        const std::string before = str(q);
        Countdown::arm(n);
        int result = 0;
        bool threw = false;
        try {
            result = op(q);
        } catch (const Boom&) {
            threw = true;
        }
        Countdown::disarm();
        if (threw) {
            ASSERT_EQ(str(q), before) << "N=" << n << ": the comparison threw and the heap changed";
        } else {
            EXPECT_EQ(str(q), ref_after) << "N=" << n;
            EXPECT_EQ(result, ref_result) << "N=" << n;
            EXPECT_GT(n, 1) << "no comparison was made: the sweep tested nothing";
            // Drain: the heap is still a heap (items come out sorted).
            std::vector<int> out;
            while (!q.empty()) out.push_back(q.get_nowait());
            EXPECT_TRUE(std::is_sorted(out.begin(), out.end()));
            return;
        }
    }
}

TEST(ExceptionSafetyCompare, PutNowaitWithThrowingCompareLeavesHeapUnchanged) {
    for (int size = 1; size <= 20; ++size)
        compare_sweep("put_nowait(-1)", size, [](CmpQueue& q) {
            q.put_nowait(-1);
            return 0;
        });
}

TEST(ExceptionSafetyCompare, GetNowaitWithThrowingCompareLeavesHeapUnchanged) {
    for (int size = 3; size <= 20; ++size)
        compare_sweep("get_nowait()", size, [](CmpQueue& q) { return q.get_nowait(); });
}

asyncio::Task<> cmp_put(CmpQueue& q) { co_await q.put(-5); }
asyncio::Task<int> cmp_get(CmpQueue& q) { co_return co_await q.get(); }

TEST(ExceptionSafetyCompare, AwaitedPutAndGetWithThrowingCompare) {
    // (A get from 2 items makes no comparison: start at 3.)
    for (int size = 3; size <= 12; ++size) {
        compare_sweep("co_await put(-5)", size, [](CmpQueue& q) {
            asyncio::run(cmp_put(q));
            return 0;
        });
        compare_sweep("co_await get()", size, [](CmpQueue& q) { return asyncio::run(cmp_get(q)); });
    }
}

}  // namespace
