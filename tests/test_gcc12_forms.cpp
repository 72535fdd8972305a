// The forms that are safe with g++ 12 (docs/GCC12.md): an item with a std::string member put
// into and got from a queue, written as the workarounds say, must arrive intact. These tests
// run under every compiler of the CI, g++ 12 with AddressSanitizer among them.
//
// g++ 12 miscompiles an aggregate temporary with a non-trivial member inside a co_await
// expression: `co_await q.put(Job{1, "job"})` frees a pointer that was never allocated (or
// frees it twice). The unsafe forms are NOT in this file, since they crash; docs/GCC12.md has
// the ten-line reproducer. What is tested here, for each workaround:
//   - the value named first, then moved:   Job j{1, "job"}; co_await q.put(std::move(j));
//   - a type with a constructor:           co_await q.put(JobC(2, "job"));
//   - a function returning the value:      co_await q.put(make_job(3, "job"));
// each with a short name (in the std::string's own buffer) and a long one (on the heap), with a
// put that does not wait and one that waits for room (the item then sits in the put's awaiter
// across the suspension). Two relatives: a braced list (std::vector{...}) named before the
// co_await, and an if/else instead of a co_await inside ?:.
//
// Inside coroutines only EXPECT_* is used: ASSERT_* expands to `return`.

#include <asyncio/queues.hpp>
#include <asyncio/asyncio.hpp>

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "support/fd_check.hpp"

namespace {

// An aggregate holding a std::string: the kind of item the g++ 12 bug breaks.
struct Job {
    int id;
    std::string name;
};

// The same with a constructor: not an aggregate, so the bug does not apply.
struct JobC {
    JobC(int i, std::string n) : id(i), name(std::move(n)) {}
    int id;
    std::string name;
};

Job make_job(int id, std::string name) {
    Job j{id, std::move(name)};
    return j;
}

const std::string kShort = "job";                                             // fits the SSO buffer
const std::string kLong = "a job whose name is too long for the small-string buffer";  // on the heap

class Gcc12SafeForms : public asyncio_test::FdCheckedTest {};

TEST_F(Gcc12SafeForms, NamedValueThenMove) {
    asyncio::Queue<Job> q;
    asyncio::run([&]() -> asyncio::Task<> {
        Job a{1, kShort};
        co_await q.put(std::move(a));
        Job b{2, kLong};
        co_await q.put(std::move(b));
        Job got_a = co_await q.get();
        Job got_b = co_await q.get();
        EXPECT_EQ(got_a.id, 1);
        EXPECT_EQ(got_a.name, kShort);
        EXPECT_EQ(got_b.id, 2);
        EXPECT_EQ(got_b.name, kLong);
    }());
    EXPECT_TRUE(q.empty());
}

TEST_F(Gcc12SafeForms, Constructor) {
    asyncio::Queue<JobC> q;
    asyncio::run([&]() -> asyncio::Task<> {
        co_await q.put(JobC(1, kShort));
        co_await q.put(JobC(2, kLong));
        JobC got_a = co_await q.get();
        JobC got_b = co_await q.get();
        EXPECT_EQ(got_a.id, 1);
        EXPECT_EQ(got_a.name, kShort);
        EXPECT_EQ(got_b.id, 2);
        EXPECT_EQ(got_b.name, kLong);
    }());
    EXPECT_TRUE(q.empty());
}

TEST_F(Gcc12SafeForms, FunctionReturningTheValue) {
    asyncio::Queue<Job> q;
    asyncio::run([&]() -> asyncio::Task<> {
        co_await q.put(make_job(1, kShort));
        co_await q.put(make_job(2, kLong));
        Job got_a = co_await q.get();
        Job got_b = co_await q.get();
        EXPECT_EQ(got_a.id, 1);
        EXPECT_EQ(got_a.name, kShort);
        EXPECT_EQ(got_b.id, 2);
        EXPECT_EQ(got_b.name, kLong);
    }());
    EXPECT_TRUE(q.empty());
}

// maxsize 1: every put but the first waits for a get, holding its item across the suspension.
asyncio::Task<> producer(asyncio::Queue<Job>& q, int count) {
    for (int i = 0; i < count; ++i) {
        if (i % 3 == 0) {
            Job j{i, kLong + std::to_string(i)};
            co_await q.put(std::move(j));
        } else if (i % 3 == 1) {
            co_await q.put(make_job(i, kLong + std::to_string(i)));
        } else {
            Job j{i, std::to_string(i)};  // short
            co_await q.put(std::move(j));
        }
    }
}

asyncio::Task<> consumer(asyncio::Queue<Job>& q, int count, std::vector<Job>& got) {
    for (int i = 0; i < count; ++i) {
        Job j = co_await q.get();
        got.push_back(std::move(j));
        co_await asyncio::sleep(0);  // let the producer block on the full queue again
    }
}

TEST_F(Gcc12SafeForms, PutsThatWaitForRoomKeepTheirItemIntact) {
    constexpr int kCount = 30;
    asyncio::Queue<Job> q(1);
    std::vector<Job> got;
    asyncio::run([&]() -> asyncio::Task<> {
        auto p = asyncio::create_task(producer(q, kCount));
        auto c = asyncio::create_task(consumer(q, kCount, got));
        co_await p;
        co_await c;
    }());
    ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
    for (int i = 0; i < kCount; ++i) {
        const Job& j = got[static_cast<std::size_t>(i)];
        EXPECT_EQ(j.id, i);
        EXPECT_EQ(j.name, i % 3 == 2 ? std::to_string(i) : kLong + std::to_string(i));
    }
}

// Relative 1: g++ 12 rejects a braced list inside a co_await expression
// (`co_await q.put(std::vector<int>{1, 2, 3})`: "array used as initializer"). Named first, it
// compiles and works.
TEST_F(Gcc12SafeForms, BracedListNamedFirst) {
    asyncio::Queue<std::vector<int>> q;
    asyncio::run([&]() -> asyncio::Task<> {
        std::vector<int> v{1, 2, 3};
        co_await q.put(std::move(v));
        std::vector<int> got = co_await q.get();
        EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
    }());
}

// Relative 2: `cond ? co_await q.get() : fallback` crashes at run time with g++ 12; an if/else
// does the same safely.
TEST_F(Gcc12SafeForms, IfElseInsteadOfCoAwaitInsideTheConditionalOperator) {
    asyncio::Queue<std::string> q;
    asyncio::run([&]() -> asyncio::Task<> {
        q.put_nowait(kLong);
        for (bool wanted : {true, false}) {
            std::string s;
            if (wanted) {
                s = co_await q.get();
            } else {
                s = "none";
            }
            EXPECT_EQ(s, wanted ? kLong : std::string("none"));
        }
    }());
}

}  // namespace
