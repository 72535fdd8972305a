// libFuzzer harness for the rest of asyncio's toolbox (issue 13): Lock, Semaphore,
// BoundedSemaphore, Condition, Event, Barrier, timeout() / wait_for, TaskGroup, wait,
// as_completed and shield, with cancellation at random points.
//
// The input decodes into a sequence of operations run by one asyncio::run() main coroutine
// on one set of primitives: spawn a task that uses one of them (holding a lock or a unit for
// k loop iterations, waiting on the Condition or the Event, passing the Barrier, a block under
// timeout(), wait_for(acquire), a TaskGroup whose children may fail, wait(), as_completed(),
// shield()), cancel the k-th task not done (children of groups and of wait/as_completed/shield
// included), sleep(0), Event set/clear, Condition notify(n) / notify_all, Barrier reset/abort
// (each in a task of its own), releases by hand (Lock released while free, the Semaphores
// released above what they hold). The tasks keep a reference model of what they hold and wait
// for (who holds the Lock, how many units each Semaphore has given out, who is inside the
// Barrier, which tasks were cancelled by the harness), and after every operation the harness
// checks the invariants that model implies:
//   - a Lock (and the Condition's lock) is held by at most one task, and locked() says so;
//   - a Semaphore's value() >= 0, and value + holders == the units it has (initial value +
//     releases by hand - releases refused) when no task waits for it; with waiters, the
//     difference (units reserved for woken waiters) is at most the number of waiters;
//     a BoundedSemaphore's value exceeds its initial value only after releases by hand
//     (as CPython's: a woken waiter cancelled gives its unit back unchecked), release() raises
//     ValueError exactly when value() == the initial value; Lock.release() of a free Lock
//     raises "Lock is not acquired.", notify() on a free Condition raises RuntimeError;
//   - Condition.wait() holds the lock again when it returns or raises CancelledError;
//   - Barrier: wait() returns an index in [0, parties), n_waiting() < parties and at most the
//     tasks inside wait(), broken() exactly when the last of abort()/reset() to finish was
//     abort(), BrokenBarrierError otherwise only;
//   - Event: a waiter waiting when set() is called is done after the next sleep(0)
//     (wake-ups go through the ready queue and are never lost);
//   - timeout(): the block raises TimeoutError only if it had a deadline that it did not take
//     back (reschedule(None)), and then expired() is true; a task the harness never cancelled
//     never sees CancelledError out of a timeout and its cancelling() is back to 0 afterwards;
//     wait_for returns true (the unit is held) or raises TimeoutError;
//   - TaskGroup: returns only if no child and not the body failed; ExceptionGroup holds
//     exactly the failures (one per failing child, plus the body's), each the child's own
//     exception; CancelledError only when the harness cancelled the parent and nothing failed;
//     every child is done when the group returns or raises; cancelling() back to 0 when the
//     harness did not cancel the parent;
//   - wait(): done + pending is the input, done tasks are done, pending ones are not;
//     ALL_COMPLETED without timeout leaves nothing pending, FIRST_COMPLETED returns one done
//     at least, FIRST_EXCEPTION returns when all are done or one failed;
//   - as_completed(): every element resolves once, to a child's value or its exception, the
//     values are distinct and each from a child;
//   - shield(): CancelledError only if the harness cancelled the awaiting task or the inner
//     one; the inner task is not cancelled by the outer task's cancellation;
//   - every exception any task sees is one of the exceptions asyncio documents for that
//     operation (anything else fails);
// and at the end it sets the Event, notifies the Condition, aborts the Barrier, releases the
// Semaphore for every task still waiting for a unit, runs the loop until every task is done
// (bounded: a task still waiting after that lost a wake-up) and checks that nothing is held,
// every unit is back, and all_tasks() holds only the main task.
//
// Input layout: byte 0: Semaphore value (% 4) and BoundedSemaphore value (1 + (b >> 2) % 3);
// byte 1: Barrier parties (1 + % 4); then one byte per operation (% 20), followed by up to
// two argument bytes.
//
// Any violation prints the operation log and aborts (libFuzzer reports it as a crash).

#include <asyncio/asyncio.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using asyncio::Task;

/// What a failing child throws: not an asyncio exception, so never confused with one.
struct FuzzError {
    int child;
};

constexpr std::size_t kMaxOps = 200;
constexpr std::size_t kMaxTasks = 48;  // tasks the harness spawns (children not counted)
constexpr int kEndIterations = 4000;

struct Entry {
    asyncio::TaskRef ref;
    bool hit = false;          // cancelled by the harness (or by its parent's logic)
    bool event_waiting = false;
};

struct SemBook {
    int initial = 0;
    bool bounded = false;
    int holders = 0;
    int waiting = 0;  // tasks inside acquire() (or wait_for(acquire()))
    int units = 0;    // initial + releases by hand - releases refused
};

struct World {
    asyncio::Lock lock;
    asyncio::Semaphore sem;
    asyncio::BoundedSemaphore bsem;
    asyncio::Condition cond;
    asyncio::Event ev;
    asyncio::Barrier barrier;

    int lock_holders = 0;
    int cond_holders = 0;
    SemBook sb, bb;
    long cond_tokens = 0;       // items the Condition's wait_for waiters consume
    int barrier_inside = 0;
    bool barrier_broken = false;  // the last abort()/reset() to finish was abort()
    int value_serial = 0;
    std::deque<Entry> reg;      // every task, stable addresses
    std::string log;

    World(int sem_value, int bsem_value, int parties)
        : sem(sem_value), bsem(bsem_value), barrier(parties) {
        sb.initial = sb.units = sem_value;
        bb.initial = bb.units = bsem_value;
        bb.bounded = true;
    }

    [[noreturn]] void fail(const std::string& what) const {
        std::fprintf(stderr, "fuzz_toolbox: VIOLATION: %s\noperations:\n%s\n", what.c_str(), log.c_str());
        std::abort();
    }

    SemBook& book(bool bounded) { return bounded ? bb : sb; }
    asyncio::Semaphore& semaphore(bool bounded) { return bounded ? static_cast<asyncio::Semaphore&>(bsem) : sem; }

    int add(const asyncio::TaskRef& r) {
        reg.push_back(Entry{r});
        return static_cast<int>(reg.size()) - 1;
    }
    bool hit(int id) const { return reg[static_cast<std::size_t>(id)].hit; }

    void check_sem(const char* name, const asyncio::Semaphore& s, const SemBook& b, const std::string& where) const {
        const int v = s.value();
        if (v < 0) fail(std::string(name) + " value " + std::to_string(v) + " < 0" + where);
        if (b.holders < 0) fail(std::string(name) + " holders < 0" + where);
        // Above its bound only after releases by hand while units were out (a woken waiter
        // cancelled before it ran gives its unit back unchecked, as in CPython).
        if (b.bounded && v > b.initial && b.units <= b.initial) fail(std::string(name) + " value above its bound" + where);
        const int reserved = b.units - v - b.holders;
        if (reserved < 0 || reserved > b.waiting || (b.waiting == 0 && reserved != 0))
            fail(std::string(name) + ": value " + std::to_string(v) + " + holders " + std::to_string(b.holders) +
                 " against units " + std::to_string(b.units) + " with " + std::to_string(b.waiting) + " waiting" +
                 where);
    }

    void check(const std::string& where) const {
        if (lock_holders < 0 || lock_holders > 1) fail("Lock held by " + std::to_string(lock_holders) + " tasks" + where);
        if (lock.locked() != (lock_holders == 1)) fail("Lock.locked() disagrees with its holders" + where);
        if (cond_holders < 0 || cond_holders > 1)
            fail("Condition's lock held by " + std::to_string(cond_holders) + " tasks" + where);
        if (cond.locked() != (cond_holders == 1)) fail("Condition.locked() disagrees with its holders" + where);
        check_sem("Semaphore", sem, sb, where);
        check_sem("BoundedSemaphore", bsem, bb, where);
        const int nw = barrier.n_waiting();
        if (nw < 0 || nw >= barrier.parties() || nw > barrier_inside)
            fail("Barrier n_waiting " + std::to_string(nw) + " with " + std::to_string(barrier_inside) + " inside" + where);
        if (barrier.broken() != barrier_broken) fail("Barrier.broken() is " + std::to_string(barrier.broken()) + where);
    }
};

/// Counts a holder while alive (declared after a guard: gone before the guard releases).
struct Count {
    int& c;
    explicit Count(int& x) : c(x) { ++c; }
    Count(const Count&) = delete;
    Count& operator=(const Count&) = delete;
    ~Count() { --c; }
};

// ---- pieces the tasks are made of ------------------------------------------------------

Task<> sleeps(int k) {
    for (int i = 0; i < k; ++i) co_await asyncio::sleep(0);
}

/// Holds the Lock for `hold` iterations (RAII guard, or acquire/release by hand).
Task<> hold_lock(World& w, int hold, bool scoped) {
    if (scoped) {
        auto guard = co_await w.lock.scoped_acquire();
        Count c(w.lock_holders);
        if (w.lock_holders != 1) w.fail("two tasks hold the Lock");
        co_await sleeps(hold);
        co_return;
    }
    const bool r = co_await w.lock.acquire();
    if (!r) w.fail("Lock.acquire() returned false");
    ++w.lock_holders;
    if (w.lock_holders != 1) w.fail("two tasks hold the Lock");
    try {
        co_await sleeps(hold);
    } catch (...) {
        --w.lock_holders;
        w.lock.release();
        throw;
    }
    --w.lock_holders;
    w.lock.release();
}

/// Releases a unit held by this task: a BoundedSemaphore over-released by hand may refuse.
void give_back(World& w, bool bounded) {
    SemBook& b = w.book(bounded);
    asyncio::Semaphore& s = w.semaphore(bounded);
    --b.holders;
    const bool expect_refusal = b.bounded && s.value() >= b.initial;
    try {
        s.release();
    } catch (const asyncio::ValueError&) {
        if (!expect_refusal) w.fail("BoundedSemaphore.release() refused below its bound");
        --b.units;
        return;
    }
    if (expect_refusal) w.fail("BoundedSemaphore.release() accepted at its bound");
}

/// Holds a unit of a Semaphore for `hold` iterations.
Task<> hold_unit(World& w, bool bounded, int hold) {
    SemBook& b = w.book(bounded);
    ++b.waiting;
    try {
        const bool r = co_await w.semaphore(bounded).acquire();
        if (!r) w.fail("Semaphore.acquire() returned false");
    } catch (...) {
        --b.waiting;
        throw;
    }
    --b.waiting;
    ++b.holders;
    try {
        co_await sleeps(hold);
    } catch (...) {
        give_back(w, bounded);
        throw;
    }
    give_back(w, bounded);
}

/// The harness's own exceptions for a task: CancelledError passes, anything else fails.
#define FUZZ_OTHERS(w, msg)                                                                \
    catch (const std::exception& e) {                                                      \
        (w).fail(std::string(msg) + ": unexpected exception: " + e.what());                \
    }                                                                                      \
    catch (...) {                                                                          \
        (w).fail(std::string(msg) + ": unexpected exception of an unknown type");          \
    }
#define FUZZ_UNEXPECTED(w, msg)                                                            \
    catch (const asyncio::CancelledError&) {                                               \
        throw;                                                                             \
    }                                                                                      \
    FUZZ_OTHERS(w, msg)

// ---- the tasks -----------------------------------------------------------------------------

Task<> lock_user(World& w, int hold, bool scoped) {
    try {
        co_await hold_lock(w, hold, scoped);
    }
    FUZZ_UNEXPECTED(w, "lock user")
}

Task<> sem_user(World& w, bool bounded, int hold) {
    try {
        co_await hold_unit(w, bounded, hold);
    }
    FUZZ_UNEXPECTED(w, "semaphore user")
}

/// Waits on the Condition, then holds its lock for `hold` iterations (so that a notified
/// waiter may have to wait to re-acquire it, and be cancelled there).
Task<> cond_waiter(World& w, bool with_pred, int hold) {
    try {
        const bool got = co_await w.cond.acquire();
        if (!got) w.fail("Condition.acquire() returned false");
        ++w.cond_holders;
        if (w.cond_holders != 1) w.fail("two tasks hold the Condition's lock");
        try {
            --w.cond_holders;  // wait() releases the lock
            if (with_pred) {
                auto pred = [&w] { return w.cond_tokens > 0; };
                const bool r = co_await w.cond.wait_for(pred);
                if (!r) w.fail("Condition.wait_for() returned false");
                --w.cond_tokens;
            } else {
                const bool r = co_await w.cond.wait();
                if (!r) w.fail("Condition.wait() returned false");
            }
            ++w.cond_holders;
        } catch (const asyncio::CancelledError&) {
            ++w.cond_holders;
            if (!w.cond.locked()) w.fail("Condition.wait() raised CancelledError without the lock");
            if (w.cond_holders != 1) w.fail("two tasks hold the Condition's lock");
            --w.cond_holders;
            w.cond.release();
            throw;
        }
        if (!w.cond.locked() || w.cond_holders != 1) w.fail("Condition.wait() returned without the lock");
        try {
            co_await sleeps(hold);
        } catch (...) {
            --w.cond_holders;
            w.cond.release();
            throw;
        }
        --w.cond_holders;
        w.cond.release();
    }
    FUZZ_UNEXPECTED(w, "condition waiter")
}

Task<> event_waiter(World& w, int id) {
    try {
        w.reg[static_cast<std::size_t>(id)].event_waiting = true;
        bool r = false;
        try {
            r = co_await w.ev.wait();
        } catch (...) {
            w.reg[static_cast<std::size_t>(id)].event_waiting = false;
            throw;
        }
        w.reg[static_cast<std::size_t>(id)].event_waiting = false;
        if (!r) w.fail("Event.wait() returned false");
    }
    FUZZ_UNEXPECTED(w, "event waiter")
}

Task<> barrier_waiter(World& w) {
    try {
        ++w.barrier_inside;
        try {
            const int idx = co_await w.barrier.wait();
            if (idx < 0 || idx >= w.barrier.parties()) w.fail("Barrier.wait() returned " + std::to_string(idx));
        } catch (const asyncio::BrokenBarrierError&) {
        } catch (...) {
            --w.barrier_inside;
            throw;
        }
        --w.barrier_inside;
    }
    FUZZ_UNEXPECTED(w, "barrier waiter")
}

Task<> barrier_control(World& w, bool abort) {
    try {
        if (abort) {
            co_await w.barrier.abort();
            w.barrier_broken = true;
            if (!w.barrier.broken()) w.fail("Barrier not broken after abort()");
        } else {
            co_await w.barrier.reset();
            w.barrier_broken = false;
            if (w.barrier.broken()) w.fail("Barrier broken after reset()");
        }
    }
    FUZZ_UNEXPECTED(w, "barrier abort/reset")
}

std::optional<double> delay_of(int mode) {
    switch (mode % 4) {
    case 0: return std::nullopt;
    case 1: return 0.0;
    case 2: return -1.0;
    default: return 0.0002;
    }
}

Task<> timeout_user(World& w, int id, int dmode, int body_kind, int hold, bool take_back) {
    const std::optional<double> d = delay_of(dmode);
    asyncio::Timeout cm = asyncio::timeout(d);
    try {
        auto body = [&w, body_kind, hold, take_back](asyncio::Timeout& t) -> Task<> {
            if (take_back) t.reschedule(std::nullopt);
            if (body_kind == 0)
                co_await hold_lock(w, hold, true);
            else if (body_kind == 1)
                co_await hold_unit(w, hold % 2 == 0, hold);
            else
                co_await w.ev.wait();
        };
        co_await cm.run(body);
    } catch (const asyncio::TimeoutError&) {
        if (!d || take_back) w.fail("timeout() raised TimeoutError without a deadline");
        if (!cm.expired()) w.fail("timeout() raised TimeoutError but expired() is false");
    } catch (const asyncio::CancelledError&) {
        if (!w.hit(id)) w.fail("timeout() let a CancelledError of its own out");
        throw;
    }
    FUZZ_OTHERS(w, "timeout user")
    if (!w.hit(id)) {
        if (asyncio::current_task().cancelling() != 0)
            w.fail("cancelling() is " + std::to_string(asyncio::current_task().cancelling()) + " after timeout()");
        co_await asyncio::sleep(0);  // a cancellation left pending by the timeout would land here
    }
}

Task<> wait_for_user(World& w, int id, bool bounded, int dmode, int hold) {
    static constexpr double delays[] = {0.0, -1.0, 0.0002, 1000.0};
    const double d = delays[dmode % 4];
    SemBook& b = w.book(bounded);
    try {
        ++b.waiting;
        bool r = false;
        try {
            r = co_await asyncio::wait_for(w.semaphore(bounded).acquire(), d);
        } catch (const asyncio::TimeoutError&) {
            --b.waiting;
            co_return;
        } catch (...) {
            --b.waiting;
            throw;
        }
        --b.waiting;
        if (!r) w.fail("wait_for(acquire()) returned false");
        ++b.holders;
        try {
            co_await sleeps(hold);
        } catch (...) {
            give_back(w, bounded);
            throw;
        }
        give_back(w, bounded);
    } catch (const asyncio::CancelledError&) {
        if (!w.hit(id)) w.fail("wait_for() raised CancelledError in a task nobody cancelled");
        throw;
    }
    FUZZ_OTHERS(w, "wait_for user")
}

/// A child: `k` iterations, then returns its value, fails, or holds the Lock for k.
Task<int> child(World& w, int k, int action, int value, int* thrown) {
    try {
        if (action == 2) {
            co_await hold_lock(w, k, true);
        } else {
            co_await sleeps(k);
        }
    }
    FUZZ_UNEXPECTED(w, "child")
    if (action == 1) {
        if (thrown) ++*thrown;
        throw FuzzError{value};
    }
    co_return value;
}

bool is_fuzz_error(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const FuzzError&) {
        return true;
    } catch (...) {
        return false;
    }
}

Task<> group_user(World& w, int id, int n, int mask, int hold, bool body_fails) {
    std::vector<asyncio::TaskRef> kids;
    int thrown = 0;
    bool body_threw = false;
    try {
        auto body = [&](asyncio::TaskGroup& tg) -> Task<> {
            for (int i = 0; i < n; ++i) {
                const int action = (mask >> (2 * i)) & 3;  // 3: returns, as 0
                auto t = tg.create_task(child(w, (hold + i) % 4, action == 3 ? 0 : action, i, &thrown));
                kids.emplace_back(t);
                const int cid = w.add(kids.back());
                w.reg[static_cast<std::size_t>(cid)].hit = true;  // the group may cancel it
            }
            co_await asyncio::sleep(0);
            if (body_fails) {
                body_threw = true;
                throw FuzzError{-1};
            }
        };
        co_await asyncio::task_group(body);
        if (thrown != 0 || body_threw) w.fail("task_group() returned although something failed");
    } catch (const asyncio::ExceptionGroup& eg) {
        const std::size_t expect = static_cast<std::size_t>(thrown) + (body_threw ? 1 : 0);
        if (eg.exceptions().size() != expect)
            w.fail("ExceptionGroup of " + std::to_string(eg.exceptions().size()) + ", expected " +
                   std::to_string(expect));
        for (const auto& e : eg.exceptions())
            if (!is_fuzz_error(e)) w.fail("ExceptionGroup holds an exception no child raised");
    } catch (const asyncio::CancelledError&) {
        if (thrown != 0 || body_threw) w.fail("task_group() raised CancelledError over failures");
        if (!w.hit(id)) w.fail("task_group() raised CancelledError in a task nobody cancelled");
        for (const auto& k : kids)
            if (!k.done()) w.fail("task_group() left a child running");
        throw;
    }
    FUZZ_OTHERS(w, "group user")
    for (const auto& k : kids)
        if (!k.done()) w.fail("task_group() left a child running");
    if (!w.hit(id)) {
        if (asyncio::current_task().cancelling() != 0)
            w.fail("cancelling() is " + std::to_string(asyncio::current_task().cancelling()) + " after task_group()");
        co_await asyncio::sleep(0);  // a cancellation left pending by the group would land here
    }
}

std::vector<Task<int>> children(World& w, int n, int mask, int hold, std::vector<int>& values,
                                std::vector<int>& ids) {
    std::vector<Task<int>> ts;
    for (int i = 0; i < n; ++i) {
        const int action = (mask >> (2 * i)) & 3;
        const int v = ++w.value_serial;
        values.push_back(v);
        ts.push_back(asyncio::create_task(child(w, (hold + 3 * i) % 5, action == 3 ? 0 : action, v, nullptr)));
        ids.push_back(w.add(ts.back()));
    }
    return ts;
}

Task<> wait_user(World& w, int id, int n, int mask, int hold, int how, bool with_timeout) {
    std::vector<int> values, ids;
    std::vector<Task<int>> ts = children(w, n, mask, hold, values, ids);
    static constexpr asyncio::ReturnWhen modes[] = {asyncio::FIRST_COMPLETED, asyncio::FIRST_EXCEPTION,
                                                    asyncio::ALL_COMPLETED};
    const asyncio::ReturnWhen rw = modes[how % 3];
    const std::optional<double> t = with_timeout ? std::optional<double>(0.0) : std::nullopt;
    try {
        auto [done, pending] = co_await asyncio::wait(ts, t, rw);
        if (done.size() + pending.size() != ts.size()) w.fail("wait(): done + pending is not the input");
        bool failed = false;
        std::size_t di = 0, pi = 0;
        for (auto& task : ts) {  // each in the order of the input
            if (di < done.size() && done[di] == task) {
                if (!task.done()) w.fail("wait(): a task in done is not done");
                if (!task.cancelled() && task.exception()) failed = true;
                ++di;
            } else if (pi < pending.size() && pending[pi] == task) {
                if (task.done()) w.fail("wait(): a task in pending is done");
                ++pi;
            } else {
                w.fail("wait(): done and pending are not the input in its order");
            }
        }
        if (!with_timeout) {
            if (rw == asyncio::ALL_COMPLETED && !pending.empty()) w.fail("wait(ALL_COMPLETED) left tasks pending");
            if (rw == asyncio::FIRST_COMPLETED && done.empty()) w.fail("wait(FIRST_COMPLETED) returned none done");
            if (rw == asyncio::FIRST_EXCEPTION && !pending.empty() && !failed)
                w.fail("wait(FIRST_EXCEPTION) returned early with no failure");
        }
        if (!pending.empty()) {
            for (std::size_t i = 0; i < ts.size(); ++i)
                if (!ts[i].done()) w.reg[static_cast<std::size_t>(ids[i])].hit = true;
            for (auto& p : pending) p.cancel();
            auto [d2, p2] = co_await asyncio::wait(pending);
            if (!p2.empty() || d2.size() != pending.size()) w.fail("wait() of cancelled tasks left some pending");
        }
    } catch (const asyncio::CancelledError&) {
        if (!w.hit(id)) w.fail("wait() raised CancelledError in a task nobody cancelled");
        throw;
    }
    FUZZ_OTHERS(w, "wait user")
}

Task<> as_completed_user(World& w, int id, int n, int mask, int hold) {
    std::vector<int> values, ids;
    std::vector<Task<int>> ts = children(w, n, mask, hold, values, ids);
    std::set<int> got;
    int resolved = 0;
    try {
        for (auto next : asyncio::as_completed(ts)) {
            try {
                const int v = co_await next;
                bool known = false;
                for (int x : values) known = known || x == v;
                if (!known) w.fail("as_completed() gave a value no child returned");
                if (!got.insert(v).second) w.fail("as_completed() gave a value twice");
            } catch (const FuzzError&) {
            } catch (const asyncio::CancelledError&) {
                if (asyncio::current_task().cancelling() > 0) throw;  // ours
                // a child cancelled by the harness: its element raises CancelledError
            }
            ++resolved;
        }
        if (resolved != n) w.fail("as_completed() resolved " + std::to_string(resolved) + " of " + std::to_string(n));
        for (auto& t : ts)
            if (!t.done()) w.fail("as_completed() ended before a task was done");
    } catch (const asyncio::CancelledError&) {
        if (!w.hit(id)) w.fail("as_completed() raised CancelledError in a task nobody cancelled");
        throw;
    }
    FUZZ_OTHERS(w, "as_completed user")
}

Task<> shield_user(World& w, int id, int hold, bool inner_fails) {
    const int v = ++w.value_serial;
    Task<int> inner = asyncio::create_task(child(w, hold, inner_fails ? 1 : 0, v, nullptr));
    const int inner_id = w.add(inner);
    try {
        const int r = co_await asyncio::shield(inner);
        if (r != v) w.fail("shield() returned another value");
        if (inner_fails) w.fail("shield() returned a value of a failed task");
    } catch (const FuzzError&) {
        if (!inner_fails) w.fail("shield() raised a failure of no task");
    } catch (const asyncio::CancelledError&) {
        if (!w.hit(id) && !w.hit(inner_id)) w.fail("shield() raised CancelledError, nobody cancelled");
        if (inner.cancelled() && !w.hit(inner_id)) w.fail("shield() let the outer cancellation reach the inner task");
        w.reg[static_cast<std::size_t>(id)].hit = true;  // cancelled through the inner task
        throw;
    }
    FUZZ_OTHERS(w, "shield user")
}

// ---- the main coroutine ----------------------------------------------------------------

struct Harness {
    World& w;
    std::size_t spawned = 0;

    template <class Make>
    void spawn(const char* what, Make make) {
        if (spawned >= kMaxTasks) return;
        ++spawned;
        const int id = static_cast<int>(w.reg.size());
        w.reg.push_back(Entry{});
        Task<> t = asyncio::create_task(make(id));
        w.reg[static_cast<std::size_t>(id)].ref = asyncio::TaskRef(t);
        w.log += "spawn " + std::string(what) + " #" + std::to_string(id) + "\n";
    }

    /// Main's notify: with the Condition's lock (main may wait for it; holders are bounded).
    Task<> notify(int n, bool all) {
        if (!w.cond.locked()) {
            bool raised = false;
            try {
                w.cond.notify(1);
            } catch (const std::runtime_error&) {
                raised = true;
            }
            if (!raised) w.fail("notify() on a free Condition did not raise");
        }
        const bool got = co_await w.cond.acquire();
        if (!got) w.fail("Condition.acquire() returned false");
        ++w.cond_holders;
        w.cond_tokens += all ? 1000000 : n;
        if (all)
            w.cond.notify_all();
        else
            w.cond.notify(n);
        --w.cond_holders;
        w.cond.release();
    }

    Task<> sleep0() {
        std::vector<int> must_wake;
        if (w.ev.is_set())
            for (std::size_t i = 0; i < w.reg.size(); ++i)
                if (w.reg[i].event_waiting) must_wake.push_back(static_cast<int>(i));
        co_await asyncio::sleep(0);
        for (int i : must_wake)
            if (!w.reg[static_cast<std::size_t>(i)].ref.done())
                w.fail("event waiter #" + std::to_string(i) + " not done one iteration after set()");
    }

    Task<> run(const std::uint8_t* data, std::size_t size) {
        std::size_t pos = 2;
        auto arg = [&]() -> int { return pos < size ? data[pos++] : 0; };
        std::size_t ops = 0;
        while (pos < size && ops++ < kMaxOps) {
            const int op = data[pos++] % 20;
            switch (op) {
            case 0: {
                const int a = arg();
                spawn("lock user", [&](int) { return lock_user(w, a % 4, (a & 4) != 0); });
                break;
            }
            case 1: {
                const int a = arg();
                spawn("semaphore user", [&](int) { return sem_user(w, (a & 1) != 0, (a >> 1) % 4); });
                break;
            }
            case 2: {
                const int a = arg();
                spawn("condition waiter", [&](int) { return cond_waiter(w, (a & 1) != 0, (a >> 1) % 3); });
                break;
            }
            case 3:
                spawn("event waiter", [&](int id) { return event_waiter(w, id); });
                break;
            case 4:
                spawn("barrier waiter", [&](int) { return barrier_waiter(w); });
                break;
            case 5: {
                const int a = arg();
                spawn("timeout user", [&](int id) {
                    return timeout_user(w, id, a % 4, (a >> 2) % 3, (a >> 4) % 4, (a & 0x40) != 0);
                });
                break;
            }
            case 6: {
                const int a = arg();
                spawn("wait_for user", [&](int id) { return wait_for_user(w, id, (a & 1) != 0, (a >> 1) % 4, (a >> 3) % 3); });
                break;
            }
            case 7: {
                const int a = arg(), b = arg();
                spawn("group user", [&](int id) { return group_user(w, id, 1 + a % 4, b, (a >> 2) % 4, (a & 0x80) != 0); });
                break;
            }
            case 8: {
                const int a = arg(), b = arg();
                spawn("wait user", [&](int id) { return wait_user(w, id, 1 + a % 4, b, (a >> 2) % 4, (a >> 4) % 3, (a & 0x80) != 0); });
                break;
            }
            case 9: {
                const int a = arg(), b = arg();
                spawn("as_completed user", [&](int id) { return as_completed_user(w, id, 1 + a % 4, b, (a >> 2) % 4); });
                break;
            }
            case 10: {
                const int a = arg();
                spawn("shield user", [&](int id) { return shield_user(w, id, a % 4, (a & 4) != 0); });
                break;
            }
            case 11:
            case 12: {
                std::vector<int> live;
                for (std::size_t i = 0; i < w.reg.size(); ++i)
                    if (!w.reg[i].ref.done()) live.push_back(static_cast<int>(i));
                const int k = arg();
                if (live.empty()) break;
                const int t = live[static_cast<std::size_t>(k) % live.size()];
                w.reg[static_cast<std::size_t>(t)].hit = true;
                w.log += "cancel #" + std::to_string(t) + "\n";
                if (!w.reg[static_cast<std::size_t>(t)].ref.cancel()) w.fail("cancel() of a task not done returned false");
                break;
            }
            case 13:
            case 14:
                w.log += "sleep(0)\n";
                co_await sleep0();
                break;
            case 15: {
                const int a = arg();
                if (a & 1) {
                    w.log += "event set\n";
                    w.ev.set();
                } else {
                    w.log += "event clear\n";
                    w.ev.clear();
                }
                break;
            }
            case 16: {
                const int a = arg();
                w.log += "notify(" + std::to_string(a % 3 + 1) + ")" + ((a & 8) ? " all" : "") + "\n";
                co_await notify(a % 3 + 1, (a & 8) != 0);
                break;
            }
            case 17: {
                const int a = arg();
                spawn((a & 1) ? "barrier abort" : "barrier reset", [&](int) { return barrier_control(w, (a & 1) != 0); });
                break;
            }
            case 18: {  // Lock.release() of a free Lock; Condition.wait() without the lock
                if (!w.lock.locked()) {
                    w.log += "release free Lock\n";
                    bool raised = false;
                    try {
                        w.lock.release();
                    } catch (const std::runtime_error& e) {
                        raised = std::string(e.what()) == "Lock is not acquired.";
                    }
                    if (!raised) w.fail("release() of a free Lock did not raise \"Lock is not acquired.\"");
                }
                if (!w.cond.locked()) {
                    bool raised = false;
                    try {
                        co_await w.cond.wait();
                    } catch (const std::runtime_error&) {
                        raised = true;
                    }
                    if (!raised) w.fail("Condition.wait() without the lock did not raise");
                }
                break;
            }
            case 19: {  // release a Semaphore by hand
                const int a = arg();
                const bool bounded = (a & 1) != 0;
                SemBook& b = w.book(bounded);
                asyncio::Semaphore& s = w.semaphore(bounded);
                const bool expect_refusal = bounded && s.value() >= b.initial;
                w.log += std::string("release ") + (bounded ? "BoundedSemaphore" : "Semaphore") + " by hand\n";
                bool refused = false;
                try {
                    s.release();
                } catch (const asyncio::ValueError& e) {
                    refused = true;
                    if (std::string(e.what()) != "BoundedSemaphore released too many times")
                        w.fail(std::string("BoundedSemaphore's ValueError says ") + e.what());
                }
                if (refused != expect_refusal)
                    w.fail(std::string("BoundedSemaphore.release() ") + (refused ? "refused" : "accepted") +
                           " at value " + std::to_string(s.value()));
                if (!refused) ++b.units;
                break;
            }
            }
            w.check(" after operation " + std::to_string(ops));
        }

        // The end: wake everything that waits, and every task must finish by itself.
        w.log += "end\n";
        int it = 0;
        for (;; ++it) {
            bool all_done = true;
            for (const auto& e : w.reg) all_done = all_done && e.ref.done();
            if (all_done) break;
            if (it >= kEndIterations) {
                for (std::size_t i = 0; i < w.reg.size(); ++i)
                    if (!w.reg[i].ref.done()) w.fail("task #" + std::to_string(i) + " never finished (a lost wake-up?)");
            }
            if (it % 8 == 0) {
                w.ev.set();
                co_await notify(1, true);
                if (!w.barrier.broken()) {
                    spawned = 0;
                    spawn("barrier abort", [&](int) { return barrier_control(w, true); });
                }
                for (int i = 0; i < w.sb.waiting; ++i) {  // units for whoever still waits
                    w.sem.release();
                    ++w.sb.units;
                }
            }
            co_await asyncio::sleep(it < 100 ? 0.0 : 0.0001);
            w.check(" at the end");
        }
        w.check(" when every task is done");
        if (w.lock.locked() || w.cond.locked()) w.fail("a lock is still held at the end");
        if (w.sb.holders || w.bb.holders || w.sb.waiting || w.bb.waiting) w.fail("units still held at the end");
        if (w.sem.value() != w.sb.units || w.bsem.value() != w.bb.units) w.fail("units lost at the end");
        if (w.barrier_inside != 0) w.fail("tasks still inside the Barrier at the end");
        for (std::size_t i = 0; i < w.reg.size(); ++i)
            if (!w.reg[i].hit && w.reg[i].ref.cancelled()) w.fail("task #" + std::to_string(i) + " cancelled by nobody");
        // Inner tasks of wait_for(timeout <= 0) and every other task: gone.
        for (int i = 0; i < 4 && asyncio::all_tasks().size() > 1; ++i) co_await asyncio::sleep(0);
        const auto left = asyncio::all_tasks();
        if (left.size() != 1) w.fail(std::to_string(left.size() - 1) + " tasks still pending at the end");
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    World w(data[0] % 4, 1 + (data[0] >> 2) % 3, 1 + data[1] % 4);
    Harness h{w};
    asyncio::run(h.run(data, size));
    return 0;
}
