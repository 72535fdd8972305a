// Tests for <asyncio/threadsafe.hpp> (issue 11), part 2:
// - linearizability: several threads (plain ones and one running a loop) record the call
//   and return instants and the outcome of each operation; the history must match some
//   sequential run of the model queue (Wing & Gong's check), for FIFO, LIFO and priority;
// - no lost wake-up: 8 threads (4 blocking, 4 each running its own loop) move a bounded
//   number of items, with random cancellation of async waiters and random timeouts of
//   blocking ones: every item is delivered exactly once, the counts are right, every
//   join() returns. ASYNCIO_TSQ_STRESS_ITEMS overrides the number of items (default
//   200,000, which runs in seconds; the 1,000,000 is a manual run).
// Part 1 (each semantic on its own) is tests/test_threadsafe_queue.cpp.

#include <asyncio/threadsafe.hpp>
#include <asyncio/asyncio.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace ts = asyncio::threadsafe;
using asyncio::Task;

// ---------------------------------------------------------------------------------------
// Linearizability
// ---------------------------------------------------------------------------------------

struct Op {
    enum Kind : std::uint8_t { put, get, size } kind;
    bool ok = true;    // put: the item went in; get: an item came out (value)
    int value = 0;     // put: the item; get: what came out; size: qsize()
    std::uint64_t call = 0, ret = 0;
};

std::atomic<std::uint64_t> stamp{0};

enum class Order { fifo, lifo, priority };

// The sequential model: a bounded queue of distinct ints.
struct Model {
    std::vector<int> items;
    bool apply(const Op& op, Order order, std::size_t maxsize) {
        switch (op.kind) {
        case Op::put:
            if (!op.ok) return items.size() == maxsize;
            if (items.size() == maxsize) return false;
            items.push_back(op.value);
            return true;
        case Op::get: {
            if (!op.ok) return items.empty();
            if (items.empty()) return false;
            auto it = order == Order::fifo ? items.begin()
                      : order == Order::lifo ? items.end() - 1
                                             : std::min_element(items.begin(), items.end());
            if (*it != op.value) return false;
            items.erase(it);
            return true;
        }
        case Op::size:
            return items.size() == static_cast<std::size_t>(op.value);
        }
        return false;
    }
};

// Wing & Gong: some op whose call precedes every pending op's return takes effect next.
bool linearizable(const std::vector<Op>& ops, Order order, std::size_t maxsize, std::uint32_t done, const Model& m,
                  std::set<std::pair<std::uint32_t, std::vector<int>>>& seen) {
    if (done == (std::uint32_t{1} << ops.size()) - 1) return true;
    if (!seen.insert({done, m.items}).second) return false;
    std::uint64_t min_ret = UINT64_MAX;
    for (std::size_t i = 0; i < ops.size(); ++i)
        if (!(done & (1u << i))) min_ret = std::min(min_ret, ops[i].ret);
    for (std::size_t i = 0; i < ops.size(); ++i) {
        if ((done & (1u << i)) || ops[i].call > min_ret) continue;
        Model next = m;
        if (next.apply(ops[i], order, maxsize) && linearizable(ops, order, maxsize, done | (1u << i), next, seen))
            return true;
    }
    return false;
}

template <class Q>
void record_sync(Q& q, std::mt19937& rng, int base, std::vector<Op>& log) {
    for (int i = 0; i < 5; ++i) {
        Op op{};
        op.call = stamp.fetch_add(1);
        switch (rng() % 5) {
        case 0:
        case 1:
            op.kind = Op::put;
            op.value = base + i;
            try {
                if (rng() % 2)
                    q.sync_q().put_nowait(op.value);
                else
                    q.sync_q().put(op.value, true, 0.0005);
            } catch (const asyncio::QueueFull&) {
                op.ok = false;
            }
            break;
        case 2:
        case 3:
            op.kind = Op::get;
            try {
                op.value = rng() % 2 ? q.sync_q().get_nowait() : q.sync_q().get(true, 0.0005);
            } catch (const asyncio::QueueEmpty&) {
                op.ok = false;
            }
            break;
        default:
            op.kind = Op::size;
            op.value = static_cast<int>(q.sync_q().qsize());
        }
        op.ret = stamp.fetch_add(1);
        log.push_back(op);
    }
}

// The loop's operations; an awaiting one that times out (wait_for) had no effect and is
// left out of the history.
template <class Q>
Task<> record_async(Q& q, std::mt19937& rng, int base, std::vector<Op>& log) {
    for (int i = 0; i < 5; ++i) {
        Op op{};
        bool keep = true;
        op.call = stamp.fetch_add(1);
        switch (rng() % 5) {
        case 0:
        case 1:
            op.kind = Op::put;
            op.value = base + i;
            if (rng() % 2) {
                try {
                    q.async_q().put_nowait(op.value);
                } catch (const asyncio::QueueFull&) {
                    op.ok = false;
                }
            } else {
                try {
                    co_await asyncio::wait_for(q.async_q().put(op.value), 0.0005);
                } catch (const asyncio::TimeoutError&) {
                    keep = false;
                }
            }
            break;
        case 2:
        case 3:
            op.kind = Op::get;
            if (rng() % 2) {
                try {
                    op.value = q.async_q().get_nowait();
                } catch (const asyncio::QueueEmpty&) {
                    op.ok = false;
                }
            } else {
                try {
                    op.value = co_await asyncio::wait_for(q.async_q().get(), 0.0005);
                } catch (const asyncio::TimeoutError&) {
                    keep = false;
                }
            }
            break;
        default:
            op.kind = Op::size;
            op.value = static_cast<int>(q.async_q().qsize());
        }
        op.ret = stamp.fetch_add(1);
        if (keep) log.push_back(op);
    }
}

template <class Q>
void check_histories(Order order, int rounds) {
    constexpr std::size_t maxsize = 2;
    int checked_ops = 0;
    for (int round = 0; round < rounds; ++round) {
        Q q(maxsize);
        std::vector<Op> logs[3];
        std::atomic<int> ready{0};
        auto gate = [&ready] {
            ++ready;
            for (int spin = 0; ready.load() < 3 && spin < 10'000'000; ++spin) std::this_thread::yield();
        };
        std::thread t0([&] {
            std::mt19937 rng(round * 3 + 0);
            gate();
            record_sync(q, rng, round * 1000 + 0, logs[0]);
        });
        std::thread t1([&] {
            std::mt19937 rng(round * 3 + 1);
            gate();
            record_sync(q, rng, round * 1000 + 100, logs[1]);
        });
        std::thread t2([&] {
            std::mt19937 rng(round * 3 + 2);
            asyncio::run([&]() -> Task<> {
                gate();
                co_await record_async(q, rng, round * 1000 + 200, logs[2]);
            }());
        });
        t0.join();
        t1.join();
        t2.join();
        std::vector<Op> history;
        for (auto& l : logs) history.insert(history.end(), l.begin(), l.end());
        while (!q.empty()) {  // what is left comes out last, in the queue's order
            Op op{Op::get, true, 0, stamp.fetch_add(1), 0};
            op.value = q.sync_q().get_nowait();
            op.ret = stamp.fetch_add(1);
            history.push_back(op);
        }
        ASSERT_LT(history.size(), 32u);
        std::set<std::pair<std::uint32_t, std::vector<int>>> seen;
        ASSERT_TRUE(linearizable(history, order, maxsize, 0, Model{}, seen)) << "round " << round;
        checked_ops += static_cast<int>(history.size());
    }
    EXPECT_GT(checked_ops, rounds * 10);
}

TEST(ThreadsafeQueueHistory, FifoIsLinearizable) { check_histories<ts::Queue<int>>(Order::fifo, 150); }
TEST(ThreadsafeQueueHistory, LifoIsLinearizable) { check_histories<ts::LifoQueue<int>>(Order::lifo, 100); }
TEST(ThreadsafeQueueHistory, PriorityIsLinearizable) { check_histories<ts::PriorityQueue<int>>(Order::priority, 100); }

TEST(ThreadsafeQueueHistory, TheCheckerRejectsABadHistory) {
    // 1 then 2 put by one thread, and 2 got before 1 by one other: not FIFO.
    std::vector<Op> h{{Op::put, true, 1, 0, 1}, {Op::put, true, 2, 2, 3}, {Op::get, true, 2, 4, 5}, {Op::get, true, 1, 6, 7}};
    std::set<std::pair<std::uint32_t, std::vector<int>>> seen;
    EXPECT_FALSE(linearizable(h, Order::fifo, 2, 0, Model{}, seen));
    seen.clear();
    EXPECT_TRUE(linearizable(h, Order::lifo, 2, 0, Model{}, seen));
}

// ---------------------------------------------------------------------------------------
// Stress: 4 blocking threads and 4 loops, random cancellations and timeouts
// ---------------------------------------------------------------------------------------

int stress_items() {
    if (const char* s = std::getenv("ASYNCIO_TSQ_STRESS_ITEMS")) return std::max(8, std::atoi(s) / 8 * 8);
    return 200'000;
}

struct Stress {
    explicit Stress(int n) : items(n) {}
    const int items;
    ts::Queue<int> q{64};
    std::atomic<int> produced{0};
    std::atomic<int> cancels{0}, timeouts{0}, async_joins{0};
    std::atomic<bool> stop{false};
    std::mutex m;
    std::vector<int> delivered;

    void deliver(std::vector<int>& mine) {
        const std::lock_guard lk(m);
        delivered.insert(delivered.end(), mine.begin(), mine.end());
    }
};

Task<> async_producer(Stress& s, int first, int count) {
    for (int v = first; v < first + count; ++v) {
        for (;;) {
            try {
                co_await s.q.async_q().put(v);
                break;
            } catch (const asyncio::CancelledError&) {
                ++s.cancels;  // the put had no effect: put the same item again
            }
        }
        ++s.produced;
    }
}

Task<> async_consumer(Stress& s, bool timed) {
    std::vector<int> mine;
    for (;;) {
        int v;
        try {
            if (timed)
                v = co_await asyncio::wait_for(s.q.async_q().get(), 0.001);
            else
                v = co_await s.q.async_q().get();
        } catch (const asyncio::CancelledError&) {
            ++s.cancels;
            continue;
        } catch (const asyncio::TimeoutError&) {
            ++s.timeouts;
            continue;
        } catch (const asyncio::QueueShutDown&) {
            break;
        }
        mine.push_back(v);
        s.q.async_q().task_done();
    }
    s.deliver(mine);
}

Task<> async_joiner(Stress& s) {
    while (s.produced.load() < s.items) co_await asyncio::sleep(0.001);
    co_await s.q.async_q().join();
    ++s.async_joins;
}

Task<> canceller(Stress& s, std::vector<Task<>>& victims, unsigned seed) {
    std::mt19937 rng(seed);
    while (!s.stop.load()) {
        co_await asyncio::sleep(0.0005);
        victims[rng() % victims.size()].cancel();
    }
}

Task<> loop_main(Stress& s, int index) {
    const int per_loop = s.items / 8;
    std::vector<Task<>> victims;
    victims.push_back(asyncio::create_task(async_producer(s, s.items / 2 + index * per_loop, per_loop)));
    victims.push_back(asyncio::create_task(async_consumer(s, false)));
    victims.push_back(asyncio::create_task(async_consumer(s, index % 2 == 1)));
    Task<> joiner = asyncio::create_task(async_joiner(s));
    Task<> c = asyncio::create_task(canceller(s, victims, 1234u + static_cast<unsigned>(index)));
    // A task cancelled after its last await ends cancelled: gather takes that as a result.
    co_await asyncio::gather(asyncio::return_exceptions, victims[0], victims[1], victims[2]);
    co_await joiner;
    co_await c;
}

TEST(ThreadsafeQueueStress, EightThreadsEveryItemExactlyOnce) {
    Stress s(stress_items());
    std::vector<std::thread> threads;
    for (int p = 0; p < 2; ++p) {
        threads.emplace_back([&s, p] {  // blocking producers, sometimes with a timeout
            std::mt19937 rng(77 + p);
            const int per = s.items / 4;
            for (int v = p * per; v < (p + 1) * per; ++v) {
                if (rng() % 4 == 0) {
                    for (;;) {
                        try {
                            s.q.sync_q().put(v, true, 0.0002);
                            break;
                        } catch (const asyncio::QueueFull&) {
                            ++s.timeouts;
                        }
                    }
                } else {
                    s.q.sync_q().put(v);
                }
                ++s.produced;
            }
        });
    }
    for (int c = 0; c < 2; ++c) {
        threads.emplace_back([&s, c] {  // blocking consumers with random timeouts
            std::mt19937 rng(99 + c);
            const double timeouts[] = {0.0, 0.0001, 0.0005, 0.002};
            std::vector<int> mine;
            for (;;) {
                try {
                    mine.push_back(s.q.sync_q().get(true, timeouts[rng() % 4]));
                } catch (const asyncio::QueueEmpty&) {
                    ++s.timeouts;
                    continue;
                } catch (const asyncio::QueueShutDown&) {
                    break;
                }
                s.q.sync_q().task_done();
            }
            s.deliver(mine);
        });
    }
    for (int l = 0; l < 4; ++l) threads.emplace_back([&s, l] { asyncio::run(loop_main(s, l)); });

    // Every item put, then every one done: join() returns; so must the loops' joins.
    for (int i = 0; i < 600'000 && s.produced.load() < s.items; ++i) std::this_thread::sleep_for(std::chrono::microseconds(100));
    ASSERT_EQ(s.produced.load(), s.items);
    s.q.sync_q().join();
    for (int i = 0; i < 100'000 && s.async_joins.load() < 4; ++i) std::this_thread::sleep_for(std::chrono::microseconds(100));
    EXPECT_EQ(s.async_joins.load(), 4);
    s.stop = true;
    s.q.shutdown();
    for (auto& t : threads) t.join();

    std::sort(s.delivered.begin(), s.delivered.end());
    ASSERT_EQ(s.delivered.size(), static_cast<std::size_t>(s.items));
    for (int i = 0; i < s.items; ++i) ASSERT_EQ(s.delivered[i], i);
    std::ostringstream os;
    os << s.q;
    EXPECT_EQ(os.str(), "<Queue maxsize=64 shutdown>");
    EXPECT_GT(s.cancels.load(), 0);
    EXPECT_GT(s.timeouts.load(), 0);
    std::printf("items %d, cancellations %d, timeouts %d\n", s.items, s.cancels.load(), s.timeouts.load());
}

}  // namespace
