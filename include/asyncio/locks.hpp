// asyncio/locks.hpp - synchronization primitives (Python's asyncio.locks).
#pragma once

#include <asyncio/detail/wait_list.hpp>
#include <asyncio/tasks.hpp>

#include <cassert>
#include <coroutine>

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

}  // namespace asyncio
