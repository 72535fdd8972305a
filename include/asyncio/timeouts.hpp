// asyncio/timeouts.hpp - Timeout, timeout, timeout_at (Python's
// asyncio.timeouts) and wait_for (Python's asyncio.wait_for, which since 3.12
// is built on asyncio.timeouts).
#pragma once

#include <asyncio/tasks.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace asyncio {

namespace detail {

/// Python's asyncio.Timeout: cancels the current task when the deadline
/// passes; on exit, a CancelledError caused by it becomes TimeoutError.
class TimeoutScope {
public:
    TimeoutScope(PromiseBase* task, double when) : task_(task), loop_(task->loop), cancelling_(task->num_cancels) {
        timer_.fire = &fire;
        timer_.owner = this;
        LoopAccess::add_timer(*loop_, &timer_, when);
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
    // Touches the loop only while the timer is pending (the scope's frame may
    // outlive its root task's, or its loop's close, which detached the timer).
    void disarm() noexcept {
        if (timer_.state == TimerNode::State::in_heap || timer_.state == TimerNode::State::due)
            LoopAccess::remove_timer(*loop_, &timer_);
    }

    PromiseBase* task_;
    EventLoop* loop_;
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

// ---- Timeout, timeout, timeout_at (Python's asyncio.timeouts) ------------------

class Timeout;

namespace detail {

template <class F, class = void>
struct timeout_body {
    using type = await_result_t<F>;  // an awaitable, awaited as it is
};
template <class F>
    requires std::is_invocable_v<F&, Timeout&>
struct timeout_body<F> {
    using type = await_result_t<std::invoke_result_t<F&, Timeout&>>;
};
template <class F>
    requires(!std::is_invocable_v<F&, Timeout&> && std::is_invocable_v<F&>)
struct timeout_body<F> {
    using type = await_result_t<std::invoke_result_t<F&>>;
};
template <class F>
using timeout_body_t = typename timeout_body<F>::type;

template <class R, class F>
Task<R> run_with_timeout(std::optional<double> when, F body);

}  // namespace detail

/// Python's asyncio.Timeout, the object of `async with asyncio.timeout(d) as cm:`.
/// C++ has no asynchronous destructor, so the block is a body that run()
/// awaits (Python's __aenter__, the block, __aexit__):
///
///     asyncio::Timeout cm = asyncio::timeout(1.0);
///     int v = co_await cm.run([&]() -> asyncio::Task<int> { co_return co_await work(); });
///     // or, when cm is not needed afterwards:
///     int w = co_await asyncio::timeout(1.0, [&](asyncio::Timeout& cm) -> asyncio::Task<int> {
///         cm.reschedule(cm.when().value() + 1);
///         co_return co_await work();
///     });
///
/// The body is a callable taking Timeout& or nothing and returning an
/// awaitable, or an awaitable itself (a Task not yet awaited); it runs inline
/// in the awaiting task. When the deadline passes, the task is cancelled;
/// if the body then ends with CancelledError, and the cancellation is the
/// timeout's own (the task's cancelling() count, taken back with uncancel(),
/// is back to its value on entry), run() raises TimeoutError instead
/// (Python 3.13, gh-102780). std::nullopt means no deadline.
///
/// Ordering: a deadline already passed when the block starts (or when
/// rescheduled) cancels the task through the ready queue (Python's
/// call_soon); a future one through a loop timer (Python's call_at).
///
/// Thread safety: belongs to its loop's thread. Distinct objects: safe.
/// Shared objects: unsafe.
class Timeout {
public:
    /// A timeout due at loop time `when` (Python's Timeout(when)); use
    /// timeout() or timeout_at().
    explicit Timeout(std::optional<double> when) noexcept : when_(when) {
        timer_.fire = &fire;
        timer_.owner = this;
    }
    Timeout(const Timeout&) = delete;
    Timeout& operator=(const Timeout&) = delete;
    ~Timeout() { disarm(); }

    /// The current deadline (loop time), or nullopt.
    std::optional<double> when() const noexcept { return when_; }

    /// Moves the deadline (nullopt: none). Only inside the block and before it
    /// expired: std::runtime_error otherwise, as Python's RuntimeError.
    void reschedule(std::optional<double> when) {
        if (state_ != State::entered) {
            if (state_ == State::created) throw std::runtime_error("Timeout has not been entered");
            throw std::runtime_error(std::string("Cannot change state of ") + state_name() + " Timeout");
        }
        when_ = when;
        disarm();
        if (!when) return;
        EventLoop& loop = *task_->loop;
        if (*when <= loop.time())
            soon_ = loop.call_soon([this] { on_timeout(); });
        else
            detail::LoopAccess::add_timer(loop, &timer_, *when);
    }

    /// True once the deadline has passed inside the block (Python's expired()).
    bool expired() const noexcept { return state_ == State::expiring || state_ == State::expired; }

    /// Python's repr(): "<Timeout [active] when=12.346>", "<Timeout [expired]>".
    std::string repr() const {
        std::string s = std::string("<Timeout [") + state_name() + "]";
        if (state_ == State::entered) {
            s += " when=";
            if (when_) {
                char buf[64];
                const double r = std::round(*when_ * 1000.0) / 1000.0;
                auto res = std::to_chars(buf, buf + sizeof buf, r);
                s.append(buf, res.ptr);
                if (r == std::floor(r) && std::abs(r) < 1e16) s += ".0";
            } else {
                s += "None";
            }
        }
        return s + '>';
    }

    /// Runs `body` as the block of `async with cm:` and returns its result.
    /// Once only: std::runtime_error("Timeout has already been entered") after.
    template <class F>
    auto run(F body) -> Task<detail::timeout_body_t<F>> {
        return run_body<detail::timeout_body_t<F>>(std::move(body));
    }

private:
    /// created - not entered yet;  entered ("active") - in the block;
    /// expiring - the deadline passed in the block;  expired - left after it;
    /// exited ("finished") - left in time.
    enum class State : std::uint8_t { created, entered, expiring, expired, exited };

    const char* state_name() const noexcept {
        switch (state_) {
            case State::created: return "created";
            case State::entered: return "active";
            case State::expiring: return "expiring";
            case State::expired: return "expired";
            case State::exited: return "finished";
        }
        return "?";
    }

    struct Timer : detail::TimerNode {
        Timeout* owner;
    };
    static void fire(detail::TimerNode* n) { static_cast<Timer*>(n)->owner->on_timeout(); }

    void on_timeout() {
        task_->cancel_task();
        state_ = State::expiring;
    }

    void disarm() noexcept {
        using S = detail::TimerNode::State;
        if (timer_.state == S::in_heap || timer_.state == S::due) detail::LoopAccess::remove_timer(*task_->loop, &timer_);
        soon_.cancel();
        soon_ = Handle();
    }

    // Python's __aenter__.
    void enter(detail::PromiseBase* task) {
        if (state_ != State::created) throw std::runtime_error("Timeout has already been entered");
        state_ = State::entered;
        task_ = task;
        cancelling_ = static_cast<int>(task->num_cancels);
        reschedule(when_);
    }

    // Python's __aexit__: true if the CancelledError the block raised must
    // become TimeoutError.
    bool exit(bool has_exc, bool exc_cancelled) noexcept {
        disarm();
        if (state_ == State::expiring) {
            state_ = State::expired;
            return task_->uncancel() <= cancelling_ && has_exc && exc_cancelled;
        }
        if (state_ == State::entered) state_ = State::exited;
        return false;
    }

    template <class R, class F>
    Task<R> run_body(F body) {
        detail::PromiseBase* task = co_await detail::CurrentTaskAwaiter{};
        enter(task);
        std::optional<std::conditional_t<std::is_void_v<R>, char, R>> result;
        std::exception_ptr exc;
        bool exc_cancelled = false;
        try {
            if constexpr (std::is_void_v<R>) {
                if constexpr (std::is_invocable_v<F&, Timeout&>)
                    co_await std::invoke(body, *this);
                else if constexpr (std::is_invocable_v<F&>)
                    co_await std::invoke(body);
                else
                    co_await std::move(body);
                result.emplace();
            } else {
                if constexpr (std::is_invocable_v<F&, Timeout&>)
                    result.emplace(co_await std::invoke(body, *this));
                else if constexpr (std::is_invocable_v<F&>)
                    result.emplace(co_await std::invoke(body));
                else
                    result.emplace(co_await std::move(body));
            }
        } catch (const CancelledError&) {
            exc = std::current_exception();
            exc_cancelled = true;
        } catch (...) {
            exc = std::current_exception();
        }
        if (exit(exc != nullptr, exc_cancelled)) throw TimeoutError();
        if (exc) std::rethrow_exception(exc);
        if constexpr (!std::is_void_v<R>) co_return std::move(*result);
    }

    std::optional<double> when_;
    State state_ = State::created;
    detail::PromiseBase* task_ = nullptr;  // the task of the block, once entered
    int cancelling_ = 0;                   // the task's cancelling() on entry
    Timer timer_;                          // a future deadline
    Handle soon_;                          // a deadline already passed
};

/// Python's asyncio.timeout(delay): a Timeout due `delay` seconds from now
/// (nullopt: never). Needs a running loop.
inline Timeout timeout(std::optional<double> delay) {
    EventLoop& loop = get_running_loop();
    return Timeout(delay ? std::optional<double>(loop.time() + *delay) : std::nullopt);
}

/// Python's asyncio.timeout_at(when): a Timeout due at loop time `when`.
inline Timeout timeout_at(std::optional<double> when) noexcept { return Timeout(when); }

/// `async with asyncio.timeout(delay): <body>` in one expression: the body's
/// result, or TimeoutError (see Timeout::run for what `body` may be).
template <class F>
auto timeout(std::optional<double> delay, F body) -> Task<detail::timeout_body_t<F>> {
    EventLoop& loop = get_running_loop();
    std::optional<double> when = delay ? std::optional<double>(loop.time() + *delay) : std::nullopt;
    return detail::run_with_timeout<detail::timeout_body_t<F>>(when, std::move(body));
}

/// `async with asyncio.timeout_at(when): <body>` in one expression.
template <class F>
auto timeout_at(std::optional<double> when, F body) -> Task<detail::timeout_body_t<F>> {
    return detail::run_with_timeout<detail::timeout_body_t<F>>(when, std::move(body));
}

namespace detail {

template <class R, class F>
Task<R> run_with_timeout(std::optional<double> when, F body) {
    Timeout cm(when);
    if constexpr (std::is_void_v<R>)
        co_await cm.run(std::move(body));
    else
        co_return co_await cm.run(std::move(body));
}

}  // namespace detail

}  // namespace asyncio
