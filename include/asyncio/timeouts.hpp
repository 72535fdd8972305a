// asyncio/timeouts.hpp - wait_for (Python's asyncio.wait_for, which since
// 3.12 is built on asyncio.timeouts).
#pragma once

#include <asyncio/tasks.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

namespace asyncio {

namespace detail {

/// Python's asyncio.Timeout: cancels the current task when the deadline
/// passes; on exit, a CancelledError caused by it becomes TimeoutError.
class TimeoutScope {
public:
    TimeoutScope(PromiseBase* task, double when) : task_(task), cancelling_(task->num_cancels) {
        timer_.fire = &fire;
        timer_.owner = this;
        LoopAccess::add_timer(*task->loop, &timer_, when);
    }
    TimeoutScope(const TimeoutScope&) = delete;
    TimeoutScope& operator=(const TimeoutScope&) = delete;
    ~TimeoutScope() { disarm(); }

    /// Leaving the scope (Python's __aexit__). Returns true if the exception
    /// being handled, a CancelledError, must become TimeoutError.
    bool exit() noexcept {
        disarm();
        if (!expired_) return false;
        expired_ = false;
        return static_cast<std::uint32_t>(task_->uncancel()) <= cancelling_;
    }

private:
    struct Timer : TimerNode {
        TimeoutScope* owner;
    };
    static void fire(TimerNode* n) {
        TimeoutScope* self = static_cast<Timer*>(n)->owner;
        self->task_->cancel_task();
        self->expired_ = true;
    }
    void disarm() noexcept {
        if (task_->loop) LoopAccess::remove_timer(*task_->loop, &timer_);
    }

    PromiseBase* task_;
    std::uint32_t cancelling_;
    bool expired_ = false;
    Timer timer_;
};

template <class R, class Aw>
Task<R> wait_for(Aw aw, double timeout) {
    PromiseBase* task = co_await CurrentTaskAwaiter{};
    if (!(timeout > 0)) {
        // Python: run it as a task, cancel it at once, wait for it to finish.
        Task<R> t = task->loop->create_task(std::move(aw));
        if (!t.done()) {
            t.cancel();
            co_await WaitDone(promise_of(t));
        }
        if (t.cancelled()) throw TimeoutError();
        auto* p = static_cast<Promise<R>*>(promise_of(t));
        co_return take_value<R>(*p, p->value_slot(), false);
    }
    std::optional<std::conditional_t<std::is_void_v<R>, char, R>> result;
    {
        TimeoutScope scope(task, task->loop->time() + timeout);
        try {
            if constexpr (std::is_void_v<R>) {
                co_await std::move(aw);
                result.emplace();
            } else {
                result.emplace(co_await std::move(aw));
            }
        } catch (const CancelledError&) {
            if (scope.exit()) throw TimeoutError();
            throw;
        } catch (...) {
            scope.exit();
            throw;
        }
        scope.exit();
    }
    if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}

}  // namespace detail

/// Python's asyncio.wait_for(aw, timeout): the result of `aw`, or
/// TimeoutError once `aw` has been cancelled and has finished. `aw` runs in
/// the awaiting task (a Task already scheduled is awaited, and cancelled on
/// timeout). A timeout <= 0 cancels `aw` before it runs (Python 3.12+).
///
/// Never loses an item: as in CPython 3.13, when a getter was woken by a put
/// but the deadline fell due before it ran, `wait_for(q.get(), t)` raises
/// TimeoutError and the item stays in the queue (the wake-up passes to the
/// next getter); once `q.get()` has returned the item, its value is returned.
template <class Aw>
auto wait_for(Aw&& aw, double timeout) -> Task<detail::await_result_t<Aw>> {
    return detail::wait_for<detail::await_result_t<Aw>>(std::forward<Aw>(aw), timeout);
}

template <class Aw, class Rep, class Period>
auto wait_for(Aw&& aw, std::chrono::duration<Rep, Period> timeout) -> Task<detail::await_result_t<Aw>> {
    return wait_for(std::forward<Aw>(aw), std::chrono::duration<double>(timeout).count());
}

}  // namespace asyncio
