// asyncio/detail/shield.hpp - the awaiter behind asyncio::shield (Python's
// asyncio.shield): wait for a task without passing a cancellation on to it.
#pragma once

#include <asyncio/detail/await.hpp>
#include <asyncio/detail/future_core.hpp>
#include <asyncio/detail/promise.hpp>
#include <asyncio/detail/task_awaiters.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>

#include <coroutine>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace asyncio {
template <class T>
class Task;
}

namespace asyncio::detail {

template <class U>
PromiseBase* promise_of(const Task<U>& t) noexcept;

/// `co_await shield(t)`: the inner task's result or exception (CancelledError
/// if the inner task was cancelled). Cancelling the awaiting task raises
/// CancelledError in it at once and leaves the inner task running.
///
/// Python wraps the inner task in an outer future: the inner task's
/// done-callback completes the outer future, whose done-callback wakes the
/// awaiting task. The wake-up here takes the same two trips through the ready
/// queue (the inner task's done-callback, then the task's step).
template <class T>
class ShieldAwaiter final : public NativeAwaiter, Waiter, DoneCallback {
public:
    explicit ShieldAwaiter(Task<T> inner) : Waiter(&ops), inner_(std::move(inner)) { DoneCallback::fn = &on_done; }
    ShieldAwaiter(ShieldAwaiter&& o) noexcept : NativeAwaiter(), Waiter(&ops), DoneCallback(), inner_(std::move(o.inner_)) {
        DoneCallback::fn = &on_done;
    }
    ShieldAwaiter& operator=(const ShieldAwaiter&) = delete;
    ~ShieldAwaiter() {
        if (DoneCallback::linked()) DoneCallback::unlink();
    }

    /// Python's shield() returns the inner task itself when it is done.
    bool await_ready() const noexcept { return inner_.done(); }
    void await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
        PromiseBase* p = promise_of(inner_);
        if (p == &task) throw std::runtime_error("Task cannot await on itself");
        if (p->loop != task.loop) throw std::runtime_error("shield() of a task attached to a different loop");
        task_ = &task;
        p->callbacks.push_back(static_cast<DoneCallback*>(this));
        task.suspend_on(h, this);
    }
    T await_resume() {
        auto* p = static_cast<Promise<T>*>(promise_of(inner_));
        return take_value<T>(*p, p->value_slot(), true);
    }

private:
    static void on_done(DoneCallback* cb, bool run) {
        if (run) static_cast<ShieldAwaiter*>(cb)->task_->schedule_step();
    }
    // The outer future is cancelled, the inner task is not.
    static bool cancel_wait(Waiter* w) {
        auto* self = static_cast<ShieldAwaiter*>(w);
        if (!self->DoneCallback::linked()) return false;  // the inner task is done: the wake-up is on its way
        self->DoneCallback::unlink();
        self->task_->throw_cancel = true;
        self->task_->schedule_step();
        return true;
    }
    static constexpr WaiterOps ops{&cancel_wait, nullptr, nullptr};

    Task<T> inner_;
    PromiseBase* task_ = nullptr;
};

/// `co_await shield(fut)` for a Future (Python shields the future itself):
/// as ShieldAwaiter, through the future's public done-callbacks; the value
/// is copied, as every awaiter of a future gets it.
template <class T>
class ShieldFutureAwaiter final : public NativeAwaiter, Waiter {
public:
    explicit ShieldFutureAwaiter(Future<T> inner) noexcept : Waiter(&ops), inner_(std::move(inner)) {}
    ShieldFutureAwaiter(ShieldFutureAwaiter&& o) noexcept : NativeAwaiter(), Waiter(&ops), inner_(o.inner_) {}
    ShieldFutureAwaiter& operator=(const ShieldFutureAwaiter&) = delete;
    ~ShieldFutureAwaiter() {
        if (id_) inner_.remove_done_callback(id_);
    }

    bool await_ready() const noexcept { return inner_.done(); }
    void await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
        if (inner_.get_loop() != task.loop) throw std::runtime_error("shield() of a future attached to a different loop");
        task_ = &task;
        PromiseBase* t = &task;
        id_ = inner_.add_done_callback([t](const Future<T>&) { t->schedule_step(); });
        task.suspend_on(h, this);
    }
    T await_resume() {
        id_ = 0;
        return inner_.result();
    }
    void await_cancelled() noexcept { id_ = 0; }

private:
    // The outer future is cancelled, the inner one is not.
    static bool cancel_wait(Waiter* w) {
        auto* self = static_cast<ShieldFutureAwaiter*>(w);
        if (self->inner_.remove_done_callback(std::exchange(self->id_, 0)) == 0) return false;  // done: the wake-up is queued
        self->task_->throw_cancel = true;
        self->task_->schedule_step();
        return true;
    }
    static constexpr WaiterOps ops{&cancel_wait, nullptr, nullptr};

    Future<T> inner_;
    PromiseBase* task_ = nullptr;
    std::uint64_t id_ = 0;  // the done-callback while waiting
};

}  // namespace asyncio::detail
