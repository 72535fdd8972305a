// asyncio/detail/task_awaiters.hpp - how a task waits for a future or for
// another task (Python's Task.__step yielding a future, and __wakeup): one
// done-callback node in the awaited future, which runs the waiting task's
// step when it completes.
#pragma once

#include <asyncio/detail/await.hpp>
#include <asyncio/detail/future_core.hpp>
#include <asyncio/detail/promise.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>

#include <coroutine>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace asyncio::detail {

template <class T>
class Promise;

/// Moves (or copies, if `copy`) the value out of a finished future or task
/// whose value lives in `slot` (a std::optional<T>); rethrows otherwise.
template <class T, class Slot>
T take_value(const FutureCore& core, Slot&& slot, bool copy) {
    core.check_result();
    if constexpr (std::is_void_v<T>) {
        return;
    } else if constexpr (std::is_copy_constructible_v<T>) {
        if (copy) return *slot;
        return std::move(*slot);
    } else {
        return std::move(*slot);
    }
}

/// Waits until `core` is done, then runs the waiting task's step from the
/// done-callback (Python's __wakeup). Cancelling the waiting task cancels
/// `core` (Python's Task.cancel → _fut_waiter.cancel()); the outcome then
/// comes from it.
class CoreWaiter : public NativeAwaiter, protected Waiter, protected DoneCallback {
protected:
    explicit CoreWaiter(FutureCore* core) noexcept : Waiter(&ops), core_(core) { DoneCallback::fn = &on_done; }
    CoreWaiter(const CoreWaiter& o) noexcept : NativeAwaiter(), Waiter(&ops), DoneCallback(), core_(o.core_) { DoneCallback::fn = &on_done; }
    CoreWaiter& operator=(const CoreWaiter&) = delete;
    ~CoreWaiter() {
        if (DoneCallback::linked()) DoneCallback::unlink();
    }

    void wait(std::coroutine_handle<> h, PromiseBase& task) {
        if (core_ == &task) throw std::runtime_error("Task cannot await on itself");
        if (core_->loop != task.loop) throw std::runtime_error("Task awaits a future attached to a different loop");
        task_ = &task;
        core_->callbacks.push_back(static_cast<DoneCallback*>(this));
        task.suspend_on(h, this);
    }

    FutureCore* core_;
    PromiseBase* task_ = nullptr;  // the waiting task, once it waits

private:
    static void on_done(DoneCallback* cb, bool run) {
        if (run) static_cast<CoreWaiter*>(cb)->task_->step();
    }
    static bool cancel_wait(Waiter* w) { return static_cast<CoreWaiter*>(w)->core_->cancel(); }
    static constexpr WaiterOps ops{&cancel_wait, nullptr, nullptr};
};

/// `co_await fut`: the value (copied, so every awaiter gets it; moved if T
/// cannot be copied), or the exception.
template <class T>
class FutureAwaiter final : public CoreWaiter {
public:
    explicit FutureAwaiter(const Future<T>& f) noexcept : CoreWaiter(f.s_), fut_(f) {}
    bool await_ready() const noexcept { return core_->is_done(); }
    void await_suspend(std::coroutine_handle<> h, PromiseBase& task) { wait(h, task); }
    T await_resume() {
        if constexpr (std::is_void_v<T>)
            core_->check_result();
        else
            return take_value<T>(*core_, fut_.s_->value, true);
    }

private:
    Future<T> fut_;  // keeps the state alive while waiting
};

/// `co_await task`: runs a lazy task inline as a child, or waits for a
/// scheduled one through its done-callbacks.
///
/// Limit: a child runs with a plain resume() inside await_suspend, not with
/// symmetric transfer (g++ does not make symmetric transfer a tail call at
/// -O0 or under sanitizers); a child that finishes at once returns there and
/// the parent goes on without suspending, so a million synchronous
/// completions do not grow the stack, but a child that suspends resumes its
/// parent from the FinalAwaiter, one frame deeper than the step.
template <class T>
class TaskAwaiter final : public CoreWaiter {
public:
    TaskAwaiter(Promise<T>* p, bool rvalue) noexcept : CoreWaiter(p), p_(p), rvalue_(rvalue) {}

    bool await_ready() const {
        if (!p_) throw InvalidStateError("co_await on an empty Task handle");
        switch (p_->state) {
            case PromiseBase::State::done: return true;
            case PromiseBase::State::lazy: return p_->must_cancel;  // cancelled before it ran: never runs
            case PromiseBase::State::child: throw std::runtime_error("cannot reuse already awaited coroutine");
            case PromiseBase::State::pending: return false;
        }
        return false;
    }

    bool await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
        if (p_->state == PromiseBase::State::lazy) {
            p_->state = PromiseBase::State::child;
            p_->root = &task;
            p_->loop = task.loop;
            p_->resume_at = h;  // a child's continuation
            p_->sync_start = true;
            p_->self.resume();
            if (p_->state == PromiseBase::State::done) return false;
            p_->sync_start = false;
            return true;
        }
        wait(h, task);
        return true;
    }

    T await_resume() {
        if (p_->state == PromiseBase::State::lazy) throw CancelledError();  // cancelled before it ran
        return take_value<T>(*p_, p_->value_slot(), !rvalue_ || task_ != nullptr);
    }

private:
    Promise<T>* p_;
    bool rvalue_;
};

/// Waits until a future or task is done, without retrieving its result and
/// without passing the waiter's cancellation on (Python's pattern of
/// awaiting a task after cancelling it, in wait_for and run()).
class WaitDone final : public NativeAwaiter, Waiter, DoneCallback {
public:
    explicit WaitDone(FutureCore* c) noexcept : Waiter(&ops), core_(c) { DoneCallback::fn = &on_done; }
    WaitDone(const WaitDone& o) noexcept : WaitDone(o.core_) {}  // copy before waiting only
    WaitDone& operator=(const WaitDone&) = delete;
    ~WaitDone() {
        if (DoneCallback::linked()) DoneCallback::unlink();
    }
    bool await_ready() const noexcept { return core_->is_done(); }
    void await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
        task_ = &task;
        core_->callbacks.push_back(static_cast<DoneCallback*>(this));
        task.suspend_on(h, this);
    }
    void await_resume() const noexcept {}

private:
    static void on_done(DoneCallback* cb, bool run) {
        if (run) static_cast<WaitDone*>(cb)->task_->schedule_step();
    }
    static bool cancel_wait(Waiter* w) {
        auto* self = static_cast<WaitDone*>(w);
        if (!self->DoneCallback::linked()) return false;  // fired already
        self->DoneCallback::unlink();
        self->task_->throw_cancel = true;
        self->task_->schedule_step();
        return true;
    }
    static constexpr WaiterOps ops{&cancel_wait, nullptr, nullptr};

    FutureCore* core_;
    PromiseBase* task_ = nullptr;
};

}  // namespace asyncio::detail
