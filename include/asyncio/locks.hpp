// asyncio/locks.hpp - synchronization primitives (Python's asyncio.locks):
// Event, Lock, Semaphore, BoundedSemaphore, Condition, Barrier, and
// LockGuard, the RAII form of `async with`.
#pragma once

#include <asyncio/detail/wait_list.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/tasks.hpp>

#include <cassert>
#include <climits>
#include <coroutine>
#include <exception>
#include <ostream>
#include <stdexcept>
#include <utility>

namespace asyncio {

/// Python's asyncio.Event: a flag that tasks can wait for.
///
/// Ordering: set() wakes every waiting task, in the order they started
/// waiting, through the ready queue (never inline).
///
/// Thread safety: single loop. Distinct objects: safe. Shared objects: unsafe
/// (from one loop's thread only). Destroying an Event while tasks wait on it
/// leaves them waiting forever (asserted in debug builds).
class Event {
public:
    Event() = default;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    ~Event() { assert(waiters_.empty() && "asyncio::Event destroyed while tasks wait on it"); }

    bool is_set() const noexcept { return value_; }

    /// Sets the flag and wakes every waiter.
    void set() {
        if (value_) return;
        value_ = true;
        waiters_.wake_all();
    }

    void clear() noexcept { value_ = false; }

    class WaitAwaiter : detail::WaitNode {
    public:
        explicit WaitAwaiter(Event& e) noexcept : ev_(&e) {}
        bool await_ready() const noexcept { return ev_->value_; }
        void await_suspend(std::coroutine_handle<> h, detail::PromiseBase& task) {
            ev_->waiters_.check_loop(task, "Event");
            wait_on(ev_->waiters_.list(), task, h);
        }
        /// Always true, as Python's Event.wait().
        bool await_resume() noexcept {
            state = State::idle;
            return true;
        }
        void await_cancelled() noexcept { cancelled_after_wake(); }

    private:
        Event* ev_;
    };

    /// Waits until the flag is set; returns true at once if it is.
    WaitAwaiter wait() noexcept { return WaitAwaiter(*this); }

private:
    bool value_ = false;
    detail::WaitList waiters_;
};

namespace detail {

/// A waiter of a Lock, Semaphore or Condition. Unlike a queue's waiter, it
/// stays in its list until its task runs, woken or cancelled, as Python keeps
/// a done future in the deque until the coroutine removes it in `finally`:
/// Lock's "first waiter", Semaphore's locked() and the `waiters:N` of
/// operator<< all see it, exactly as in CPython.
///
/// State (WaitNode::State) read as Python's future: waiting = not done;
/// woken = done with a result; cancelled = cancelled.
struct LockWaitNode : WaitNode {
    /// Python's fut.set_result(): schedules the task (through the ready
    /// queue, never inline); the node stays in the list.
    void notify() {
        task->schedule_step();  // may throw (the ready queue grows): first
        state = State::woken;
    }

    /// Python's `finally: waiters.remove(fut)` when the task resumes from a
    /// wait normally (await_cancelled() uses cancelled_after_wake()).
    void end_wait() noexcept {
        leave();
        state = State::idle;
    }
};

/// The first node of `list` for which pred(node) is true, or null.
template <class Pred>
LockWaitNode* find_waiter(const WaitList& waiters, Pred pred) {
    const ListNode* first = waiters.empty() ? nullptr : const_cast<WaitList&>(waiters).list().front();
    if (!first) return nullptr;
    const ListNode* const end = first->prev;  // the list's sentinel
    for (const ListNode* n = first; n != end; n = n->next) {
        auto* w = static_cast<LockWaitNode*>(const_cast<ListNode*>(n));
        if (pred(*w)) return w;
    }
    return nullptr;
}

}  // namespace detail

/// An acquired Lock, Semaphore, BoundedSemaphore or Condition, released when
/// the guard goes out of scope by any path: the return, an exception, a
/// CancelledError. It is the C++ form of Python's `async with lock:`
///
///     {
///         auto guard = co_await lock.scoped_acquire();   // async with lock:
///         ...                                            //     ...
///     }                                                  // released here
///
/// `co_await x.scoped_acquire()` waits exactly as `co_await x.acquire()`;
/// if that raises (CancelledError), there is no guard and nothing to release.
/// Movable, not copyable; `release()` releases early, a moved-from or
/// released guard releases nothing.
///
/// Misuse raises as in Python, where `__aexit__` raises: if the primitive
/// was released by hand under the guard, the release at the end of the scope
/// throws std::runtime_error("Lock is not acquired.") (or a
/// BoundedSemaphore's ValueError) out of the destructor, so the task gets
/// it. Limit: when the guard is destroyed while an exception is in flight
/// (the scope is left by one), that exception goes on and the failed release
/// is dropped (Python would replace it); and since the destructor may throw,
/// keep guards out of containers.
///
/// Thread safety: as the primitive's (one loop's thread).
template <class Primitive>
class [[nodiscard]] LockGuard {
public:
    LockGuard() noexcept = default;
    /// Adopts `p`, which the caller has acquired.
    explicit LockGuard(Primitive& p) noexcept : p_(&p) {}
    LockGuard(LockGuard&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    /// Releases what this guard held first (which may throw, as release()).
    LockGuard& operator=(LockGuard&& o) {
        if (this != &o) {
            release();
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    ~LockGuard() noexcept(false) {
        Primitive* p = std::exchange(p_, nullptr);
        if (!p) return;
        // Misuse only (release() would throw): raise it, unless the scope is
        // being left by an exception, which then wins. The check keeps the
        // common path free of std::uncaught_exceptions().
        if (!p->releasable()) [[unlikely]] {
            if (std::uncaught_exceptions() > 0) return;
        }
        p->release();
    }

    /// True while the guard holds the primitive.
    bool owns_lock() const noexcept { return p_ != nullptr; }
    explicit operator bool() const noexcept { return owns_lock(); }
    Primitive* get() const noexcept { return p_; }

    /// Releases now (Python leaving the `async with` block); then does nothing.
    void release() {
        if (Primitive* p = std::exchange(p_, nullptr)) p->release();
    }

private:
    Primitive* p_ = nullptr;
};

namespace detail {

template <class Primitive, class Acquire, class Target>
class ScopedAcquireAwaiter;

/// What scoped_acquire() returns: an awaitable naming its awaiter, which the
/// task builds in place when it awaits it (detail/await.hpp), so the wait-list
/// node is never copied. A class with a constructor, not an aggregate
/// (docs/GCC12.md).
template <class Primitive, class Acquire, class Target>
class ScopedAcquireOp {
public:
    using awaiter_type = ScopedAcquireAwaiter<Primitive, Acquire, Target>;
    ScopedAcquireOp(Primitive& p, Target& target) noexcept : p_(&p), target_(&target) {}

private:
    friend awaiter_type;
    Primitive* p_;
    Target* target_;
};

/// `co_await x.scoped_acquire()`: the acquire awaiter `Acquire` (of `Target`,
/// the Lock or Semaphore that does the work), returning a LockGuard instead
/// of `true`.
template <class Primitive, class Acquire, class Target>
class ScopedAcquireAwaiter : public Acquire {
public:
    ScopedAcquireAwaiter(Primitive& p, Target& target) noexcept : Acquire(target), p_(&p) {}
    explicit ScopedAcquireAwaiter(const ScopedAcquireOp<Primitive, Acquire, Target>& op) noexcept
        : Acquire(*op.target_), p_(op.p_) {}
    LockGuard<Primitive> await_resume() {
        (void)Acquire::await_resume();
        return LockGuard<Primitive>(*p_);
    }

private:
    Primitive* p_;
};

}  // namespace detail

/// Python's asyncio.Lock: a mutual-exclusion lock that tasks acquire by
/// waiting. Not owned by a task: any task may release it.
///
///     asyncio::Lock lock;
///     co_await lock.acquire();          // or: auto guard = co_await lock.scoped_acquire();
///     ... lock.release();
///
/// Ordering (CPython 3.13): FIFO. acquire() takes the lock at once only if it
/// is free and every task waiting for it was cancelled; otherwise the task
/// waits at the back. release() wakes the first waiter, through the ready
/// queue; the lock stays free until that task runs and takes it, and no one
/// can jump the queue meanwhile. A woken waiter that is cancelled before it
/// runs passes the wake-up to the next one (bpo-27585).
///
/// Complexity: an uncontended acquire is one test, no allocation; a wait
/// allocates nothing (the awaiter is the wait-list node).
///
/// Thread safety: single loop. Distinct objects: safe. Shared objects:
/// unsafe; use from the thread of the loop running its tasks (locked() and
/// release() also work with no running loop). Destroying a Lock while tasks
/// wait on it is a bug (asserted in debug builds).
class Lock {
public:
    Lock() = default;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    ~Lock() { assert(waiters_.empty() && "asyncio::Lock destroyed while tasks wait on it"); }

    /// True if the lock is held.
    bool locked() const noexcept { return locked_; }

    class AcquireAwaiter;
    /// What acquire() returns: an awaitable naming its awaiter, which the task
    /// builds in place when it awaits it (detail/await.hpp): the uncontended
    /// acquire neither copies nor moves a wait-list node.
    using AcquireOp = detail::AwaitOp<Lock, AcquireAwaiter>;

    class AcquireAwaiter : detail::LockWaitNode {
    public:
        explicit AcquireAwaiter(Lock& l) noexcept : lock_(&l) {}
        explicit AcquireAwaiter(const AcquireOp& op) noexcept : lock_(&op.owner()) {}
        bool await_ready() noexcept { return lock_->try_acquire(); }
        void await_suspend(std::coroutine_handle<> h, detail::PromiseBase& task) {
            lock_->waiters_.check_loop(task, "Lock");
            wait_on(lock_->waiters_.list(), task, h);
        }
        /// Always true, as Python's Lock.acquire().
        bool await_resume() noexcept {
            if (state != State::idle) {  // woken: the lock was left free for this task
                end_wait();
                lock_->locked_ = true;
            }
            return true;
        }
        // Cancelled, woken or not: if the lock is free, make sure the first
        // waiter runs (the wake-up may have been ours; bpo-27585).
        void await_cancelled() {
            (void)cancelled_after_wake();
            if (!lock_->locked_) lock_->wake_up_first();
        }

    private:
        Lock* lock_;
    };

    /// Awaitable: takes the lock, waiting while it is held; returns true.
    [[nodiscard]] AcquireOp acquire() noexcept { return AcquireOp(*this); }
    /// Awaitable: as acquire(), returning a LockGuard that releases the lock.
    [[nodiscard]] detail::ScopedAcquireOp<Lock, AcquireAwaiter, Lock> scoped_acquire() noexcept {
        return detail::ScopedAcquireOp<Lock, AcquireAwaiter, Lock>(*this, *this);
    }

    /// Frees the lock and wakes the first waiter. Throws
    /// std::runtime_error("Lock is not acquired.") if the lock is free.
    void release() {
        if (!locked_) [[unlikely]]
            not_acquired();
        locked_ = false;
        if (!waiters_.empty()) [[unlikely]]
            wake_up_first();
    }

    /// Python's repr without the address: `<Lock [locked, waiters:2]>`.
    friend std::ostream& operator<<(std::ostream& os, const Lock& l) {
        os << "<Lock [" << (l.locked_ ? "locked" : "unlocked");
        if (!l.waiters_.empty()) os << ", waiters:" << l.waiters_.size();
        return os << "]>";
    }

private:
    template <class>
    friend class LockGuard;
    friend class Condition;
    bool releasable() const noexcept { return locked_; }  // release() would not throw
    [[noreturn, gnu::noinline, gnu::cold]] static void not_acquired() {
        throw std::runtime_error("Lock is not acquired.");
    }

    // The fast path: free, and no waiter that is not cancelled (jumping the
    // queue when all waiters are cancelled is Python's optimization).
    bool try_acquire() noexcept {
        if (locked_) return false;
        if (!waiters_.empty() && detail::find_waiter(waiters_, [](const detail::LockWaitNode& w) {
                return w.state != detail::WaitNode::State::cancelled;
            }))
            return false;
        locked_ = true;
        return true;
    }
    // Python's _wake_up_first: wakes the first waiter unless it is done
    // (woken already, or cancelled: it will call this itself when it runs).
    void wake_up_first() {
        if (waiters_.empty()) return;
        auto* first = static_cast<detail::LockWaitNode*>(waiters_.list().front());
        if (first->state == detail::WaitNode::State::waiting) first->notify();
    }

    bool locked_ = false;
    detail::WaitList waiters_;  // LockWaitNodes (AcquireAwaiters)
};

/// Python's asyncio.Semaphore: a counter that acquire() decrements, waiting
/// while it is 0, and release() increments.
///
///     asyncio::Semaphore sem(10);   // at most 10 tasks at a time
///     auto guard = co_await sem.scoped_acquire();
///
/// Ordering (CPython 3.13, with the gh-90155 fix): FIFO. acquire() decrements
/// at once only if locked() is false: the value is above 0 and no waiter that
/// is not cancelled is ahead. release() increments and wakes the first
/// waiter still waiting, reserving the unit for it (the value is decremented
/// for it at once); the woken task wakes further waiters while units are
/// left. A woken waiter cancelled before it runs gives its unit back and
/// passes it on. Wake-ups go through the ready queue, never inline.
///
/// Complexity and thread safety: as Lock. release(), locked() and value()
/// also work with no running loop.
class Semaphore {
public:
    /// Throws ValueError if value < 0.
    explicit Semaphore(int value = 1) : Semaphore(value, -1) {}
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;
    ~Semaphore() { assert(waiters_.empty() && "asyncio::Semaphore destroyed while tasks wait on it"); }

    /// True if acquire() would wait: the value is 0, or a task waits that is
    /// not cancelled (FIFO: it must go first). Python 3.13's locked().
    bool locked() const noexcept {
        return value_ == 0 || detail::find_waiter(waiters_, [](const detail::LockWaitNode& w) {
                   return w.state != detail::WaitNode::State::cancelled;
               }) != nullptr;
    }

    /// The counter (Python's `_value`): units neither acquired nor reserved
    /// for a woken waiter.
    int value() const noexcept { return value_; }

    class AcquireAwaiter;
    /// What acquire() returns: an awaitable naming its awaiter, built in place
    /// when awaited (as Lock::AcquireOp).
    using AcquireOp = detail::AwaitOp<Semaphore, AcquireAwaiter>;

    class AcquireAwaiter : detail::LockWaitNode {
    public:
        explicit AcquireAwaiter(Semaphore& s) noexcept : sem_(&s) {}
        explicit AcquireAwaiter(const AcquireOp& op) noexcept : sem_(&op.owner()) {}
        bool await_ready() noexcept {
            if (sem_->locked()) return false;
            --sem_->value_;
            return true;
        }
        void await_suspend(std::coroutine_handle<> h, detail::PromiseBase& task) {
            sem_->waiters_.check_loop(task, sem_->name());
            wait_on(sem_->waiters_.list(), task, h);
        }
        /// Always true, as Python's Semaphore.acquire().
        bool await_resume() {
            if (state != State::idle) {  // woken: the unit was reserved by the wake-up
                end_wait();
                sem_->wake_up_allowed();
            }
            return true;
        }
        // Cancelled: a woken waiter gives back the unit reserved for it; then,
        // as on success, wake as many waiters as units allow (gh-90155).
        void await_cancelled() {
            if (cancelled_after_wake()) ++sem_->value_;
            sem_->wake_up_allowed();
        }

    private:
        Semaphore* sem_;
    };

    /// Awaitable: decrements the counter, waiting while locked(); returns true.
    [[nodiscard]] AcquireOp acquire() noexcept { return AcquireOp(*this); }
    /// Awaitable: as acquire(), returning a LockGuard that releases.
    [[nodiscard]] detail::ScopedAcquireOp<Semaphore, AcquireAwaiter, Semaphore> scoped_acquire() noexcept {
        return detail::ScopedAcquireOp<Semaphore, AcquireAwaiter, Semaphore>(*this, *this);
    }

    /// Increments the counter and wakes the first waiter still waiting.
    /// A BoundedSemaphore throws ValueError("BoundedSemaphore released too
    /// many times") instead if the counter is at its initial value.
    void release() {
        if (bound_ >= 0 && value_ >= bound_) throw ValueError("BoundedSemaphore released too many times");
        ++value_;
        wake_up_next();
    }

    /// Python's repr without the address:
    /// `<Semaphore [unlocked, value:2]>`, `<BoundedSemaphore [locked, waiters:1]>`.
    friend std::ostream& operator<<(std::ostream& os, const Semaphore& s) {
        os << '<' << s.name() << " [";
        if (s.locked())
            os << "locked";
        else
            os << "unlocked, value:" << s.value_;
        if (!s.waiters_.empty()) os << ", waiters:" << s.waiters_.size();
        return os << "]>";
    }

protected:
    // bound < 0: unbounded (Semaphore); otherwise BoundedSemaphore's bound.
    Semaphore(int value, int bound) : value_(value), bound_(bound) {
        if (value < 0) throw ValueError("Semaphore initial value must be >= 0");
    }

private:
    template <class>
    friend class LockGuard;
    bool releasable() const noexcept { return bound_ < 0 || value_ < bound_; }

    const char* name() const noexcept { return bound_ < 0 ? "Semaphore" : "BoundedSemaphore"; }

    // Python's _wake_up_next: wakes the first waiter not done, reserving a
    // unit for it. Returns false if there was none.
    bool wake_up_next() {
        auto* w = detail::find_waiter(waiters_, [](const detail::LockWaitNode& n) {
            return n.state == detail::WaitNode::State::waiting;
        });
        if (!w) return false;
        w->notify();  // may throw: before the decrement, so nothing is lost
        --value_;
        return true;
    }
    // New waiters may have queued behind a woken one (FIFO): wake as many as
    // there are units.
    void wake_up_allowed() {
        while (value_ > 0 && wake_up_next()) {
        }
    }

    int value_;
    int bound_;
    detail::WaitList waiters_;  // LockWaitNodes (AcquireAwaiters)
};

/// Python's asyncio.BoundedSemaphore: a Semaphore whose release() throws
/// ValueError("BoundedSemaphore released too many times") rather than raise
/// the counter above its initial value. Same ordering and thread safety.
class BoundedSemaphore : public Semaphore {
public:
    /// Throws ValueError if value < 0.
    explicit BoundedSemaphore(int value = 1) : Semaphore(value, value) {}

    /// Awaitable: as acquire(), returning a LockGuard that releases.
    [[nodiscard]] detail::ScopedAcquireOp<BoundedSemaphore, AcquireAwaiter, Semaphore> scoped_acquire() noexcept {
        return detail::ScopedAcquireOp<BoundedSemaphore, AcquireAwaiter, Semaphore>(*this, *this);
    }
};

/// Python's asyncio.Condition: tasks wait() until another task notifies
/// them, under a Lock (its own, or one given and possibly shared).
///
///     auto guard = co_await cond.scoped_acquire();
///     co_await cond.wait_for([&] { return !items.empty(); });
///
/// Ordering (CPython 3.13): notify(n) wakes the first n tasks still waiting,
/// in the order they started waiting, through the ready queue; each then
/// re-acquires the lock (FIFO among the lock's waiters) before wait()
/// returns. wait() re-acquires the lock even when cancelled, and then raises
/// the CancelledError; a wait that ends by an exception passes one
/// notification on (gh-112202: a notified task cancelled before it ran does
/// not lose the wake-up; the next waiter may see a spurious wake-up, which
/// the condition-variable protocol allows).
///
/// wait() and wait_for() are coroutines (one frame each per call); acquire
/// allocates nothing.
///
/// Thread safety: as Lock. Destroying a Condition while tasks wait on it is a
/// bug (asserted in debug builds); a given Lock must outlive the Condition.
class Condition {
public:
    /// With a Lock of its own.
    Condition() noexcept : lock_(&own_) {}
    /// With `lock`, which other Conditions may share.
    explicit Condition(Lock& lock) noexcept : lock_(&lock) {}
    Condition(const Condition&) = delete;
    Condition& operator=(const Condition&) = delete;
    ~Condition() { assert(waiters_.empty() && "asyncio::Condition destroyed while tasks wait on it"); }

    /// The lock's locked(), acquire() and release(), as Python exports them.
    bool locked() const noexcept { return lock_->locked(); }
    [[nodiscard]] Lock::AcquireOp acquire() noexcept { return lock_->acquire(); }
    void release() { lock_->release(); }
    /// Awaitable: acquires the lock, returning a LockGuard that releases it.
    [[nodiscard]] detail::ScopedAcquireOp<Condition, Lock::AcquireAwaiter, Lock> scoped_acquire() noexcept {
        return detail::ScopedAcquireOp<Condition, Lock::AcquireAwaiter, Lock>(*this, *lock_);
    }

    /// Releases the lock, waits until notified, re-acquires the lock;
    /// returns true. Throws std::runtime_error("cannot wait on un-acquired
    /// lock") if the lock is free. See the class comment for cancellation.
    Task<bool> wait();

    /// Waits until pred() is true (calling it first, then after each
    /// wake-up); returns its last result. Throws as wait() when it must wait.
    template <class Pred>
    Task<bool> wait_for(Pred pred) {
        bool result = static_cast<bool>(pred());
        while (!result) {
            co_await wait();
            result = static_cast<bool>(pred());
        }
        co_return result;
    }

    /// Wakes the first n tasks still waiting (fewer if fewer wait). Throws
    /// std::runtime_error("cannot notify on un-acquired lock") if the lock
    /// is free (Python checks locked(), not which task holds it).
    void notify(int n = 1) {
        if (!locked()) throw std::runtime_error("cannot notify on un-acquired lock");
        notify_waiters(n);
    }
    /// Wakes every task waiting. Throws as notify().
    void notify_all() { notify(INT_MAX); }

    /// Python's repr without the address: `<Condition [locked, waiters:1]>`.
    friend std::ostream& operator<<(std::ostream& os, const Condition& c) {
        os << "<Condition [" << (c.locked() ? "locked" : "unlocked");
        if (!c.waiters_.empty()) os << ", waiters:" << c.waiters_.size();
        return os << "]>";
    }

private:
    template <class>
    friend class LockGuard;
    bool releasable() const noexcept { return lock_->releasable(); }

    // Releases the lock and waits for a notification (Python's `await fut`
    // in wait()). Sets `released` once the lock is released: a failure
    // before that (another loop's waiters) leaves the lock held.
    class NotifiedAwaiter : detail::LockWaitNode {
    public:
        NotifiedAwaiter(Condition& c, bool& released) noexcept : cond_(&c), released_(&released) {}
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h, detail::PromiseBase& task) {
            cond_->waiters_.check_loop(task, "Condition");
            *released_ = true;
            cond_->lock_->release();
            wait_on(cond_->waiters_.list(), task, h);
        }
        void await_resume() noexcept { end_wait(); }
        // Nothing to undo here: wait() re-acquires and passes a notification on.
        void await_cancelled() noexcept { (void)cancelled_after_wake(); }

    private:
        Condition* cond_;
        bool* released_;
    };

    // Python's _notify: wakes the first n waiters not done.
    void notify_waiters(int n) {
        int woken = 0;
        while (woken < n) {
            auto* w = detail::find_waiter(waiters_, [](const detail::LockWaitNode& x) {
                return x.state == detail::WaitNode::State::waiting;
            });
            if (!w) return;
            w->notify();
            ++woken;
        }
    }

    Lock own_;    // used when no Lock is given
    Lock* lock_;  // &own_ or the given Lock
    detail::WaitList waiters_;  // LockWaitNodes (NotifiedAwaiters)
};

inline Task<bool> Condition::wait() {
    if (!locked()) throw std::runtime_error("cannot wait on un-acquired lock");
    std::exception_ptr failure;  // what the wait raised; the latest one wins
    bool released = false;
    try {
        co_await NotifiedAwaiter(*this, released);
    } catch (...) {
        if (!released) throw;  // raised before anything changed
        failure = std::current_exception();
    }
    try {
        // Re-acquire the lock even if cancelled (Python's `finally`): each
        // CancelledError replaces `failure` and the acquire starts again.
        for (;;) {
            try {
                co_await lock_->acquire();
                break;
            } catch (const CancelledError&) {
                failure = std::current_exception();
            }
        }
    } catch (...) {  // anything else: the lock is not held
        notify_waiters(1);
        throw;
    }
    if (failure) {
        // We may have been notified before the failure: notify another
        // task instead (gh-112202), then raise.
        notify_waiters(1);
        std::rethrow_exception(failure);
    }
    co_return true;
}

/// Python's asyncio.Barrier: `parties` tasks wait() until all of them have
/// arrived, then all go on together.
///
///     asyncio::Barrier barrier(3);
///     int index = co_await barrier.wait();   // 0 .. parties-1, unique per round
///
/// Ordering (CPython 3.13): the task that arrives last returns first; the
/// others are woken in the order they arrived, each re-acquiring the
/// barrier's internal Condition. While the barrier drains (or resets) newly
/// arriving tasks wait for it to fill again. reset() makes the tasks waiting
/// raise BrokenBarrierError and the barrier usable again once they have left;
/// abort() breaks it: every wait(), present and future, raises
/// BrokenBarrierError until reset(). A task cancelled in wait() leaves the
/// barrier (n_waiting() drops) and raises CancelledError.
///
/// wait(), reset() and abort() are coroutines (one frame each per call).
///
/// Thread safety: as Lock. Destroying a Barrier while tasks wait on it is a
/// bug (asserted in debug builds).
class Barrier {
public:
    /// Throws ValueError if parties < 1.
    explicit Barrier(int parties) : parties_(parties) {
        if (parties < 1) throw ValueError("parties must be > 0");
    }
    Barrier(const Barrier&) = delete;
    Barrier& operator=(const Barrier&) = delete;

    /// Waits for the barrier; returns this task's index, 0 .. parties()-1.
    /// Throws BrokenBarrierError if the barrier is broken, reset or aborted.
    Task<int> wait();
    /// Returns the barrier to its initial state; the tasks waiting in it
    /// raise BrokenBarrierError.
    Task<> reset();
    /// Breaks the barrier: waiting and future wait() raise BrokenBarrierError.
    Task<> abort();

    int parties() const noexcept { return parties_; }
    /// Tasks waiting for the barrier to fill (0 while draining or resetting).
    int n_waiting() const noexcept { return state_ == State::filling ? count_ : 0; }
    bool broken() const noexcept { return state_ == State::broken; }

    /// Python's repr without the address: `<Barrier [filling, waiters:1/3]>`,
    /// `<Barrier [broken]>`.
    friend std::ostream& operator<<(std::ostream& os, const Barrier& b) {
        static constexpr const char* names[] = {"filling", "draining", "resetting", "broken"};
        os << "<Barrier [" << names[static_cast<int>(b.state_)];
        if (!b.broken()) os << ", waiters:" << b.n_waiting() << '/' << b.parties_;
        return os << "]>";
    }

private:
    /// filling   - tasks arrive and wait for the last one;
    /// draining  - the last one arrived: the waiters leave, arrivals wait;
    /// resetting - reset() while tasks were inside: they leave raising
    ///             BrokenBarrierError, arrivals wait;
    /// broken    - abort(): every wait raises BrokenBarrierError.
    enum class State : unsigned char { filling, draining, resetting, broken };

    // Python's _exit: the last task out lets the barrier fill again.
    void exit_one() {
        if (count_ == 0) {
            if (state_ == State::resetting || state_ == State::draining) state_ = State::filling;
            cond_.notify_all();
        }
    }

    Condition cond_;  // notifies every task when the state changes
    int parties_;
    State state_ = State::filling;
    int count_ = 0;  // tasks inside wait(), past the entrance
};

inline Task<int> Barrier::wait() {
    auto guard = co_await cond_.scoped_acquire();
    // Wait while the barrier drains or resets (Python's _block).
    auto may_enter = [this] { return state_ != State::draining && state_ != State::resetting; };
    co_await cond_.wait_for(may_enter);
    if (state_ == State::broken) throw BrokenBarrierError("Barrier aborted");
    const int index = count_++;
    try {
        if (index + 1 == parties_) {
            state_ = State::draining;  // the last one: release the others
            cond_.notify_all();
        } else {
            auto released = [this] { return state_ != State::filling; };
            co_await cond_.wait_for(released);
            if (state_ == State::broken || state_ == State::resetting)
                throw BrokenBarrierError("Abort or reset of barrier");
        }
    } catch (...) {
        --count_;
        exit_one();
        throw;
    }
    --count_;
    exit_one();
    co_return index;
}

inline Task<> Barrier::reset() {
    auto guard = co_await cond_.scoped_acquire();
    if (count_ > 0)
        state_ = State::resetting;
    else
        state_ = State::filling;
    cond_.notify_all();
}

inline Task<> Barrier::abort() {
    auto guard = co_await cond_.scoped_acquire();
    state_ = State::broken;
    cond_.notify_all();
}

}  // namespace asyncio
