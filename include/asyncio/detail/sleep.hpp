// asyncio/detail/sleep.hpp - the awaiter behind asyncio::sleep.
#pragma once

#include <asyncio/detail/promise.hpp>
#include <asyncio/detail/timer_heap.hpp>
#include <asyncio/events.hpp>

#include <coroutine>
#include <new>

namespace asyncio::detail {

/// `co_await sleep(d)`. d <= 0 (and NaN) yields for exactly one loop
/// iteration (a bare yield, like Python's sleep(0)); otherwise a timer wakes
/// the task.
class SleepAwaiter final : public NativeAwaiter, Waiter {
public:
    explicit SleepAwaiter(double delay) noexcept : Waiter(&ops), delay_(delay) {}
    SleepAwaiter(const SleepAwaiter& o) noexcept : SleepAwaiter(o.delay_) {}  // copy before waiting only
    SleepAwaiter& operator=(const SleepAwaiter&) = delete;
    // Touches neither the task nor the loop unless the timer is pending: a
    // frame can be destroyed after its root task's (a child awaited inline
    // whose parent owned its handle), or after its loop closed (which detached
    // the timer).
    ~SleepAwaiter() {
        if (armed_) [[unlikely]]  // else sleep(0), or never awaited: no timer was made
            disarm();
    }

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
        if (delay_ > 0) [[unlikely]]
            return arm(h, task);
        // sleep(0) (and NaN), the yield of every busy loop: a handful of
        // stores; the timer is built only for a real sleep.
        task.schedule_step();
        task.suspend_on(h, nullptr);
    }
    void await_resume() const noexcept {}

private:
    [[gnu::noinline]] void arm(std::coroutine_handle<> h, PromiseBase& task) {
        ::new (static_cast<void*>(&timer_)) Timer(this);
        armed_ = true;
        LoopAccess::add_timer(*task.loop, &timer_, task.loop->time() + delay_);
        loop_ = task.loop;
        task_ = &task;
        task.suspend_on(h, this);
    }
    [[gnu::noinline]] void disarm() noexcept {
        if (timer_.state == TimerNode::State::in_heap || timer_.state == TimerNode::State::due)
            LoopAccess::remove_timer(*loop_, &timer_);
        timer_.~Timer();
    }

    struct Timer : TimerNode {
        explicit Timer(SleepAwaiter* o) noexcept : owner(o) { fire = &fire_fn; }
        SleepAwaiter* owner;
    };
    static void fire_fn(TimerNode* n) { static_cast<Timer*>(n)->owner->task_->schedule_step(); }
    static bool cancel_wait(Waiter* w) {
        auto* self = static_cast<SleepAwaiter*>(w);
        if (self->timer_.state != TimerNode::State::in_heap && self->timer_.state != TimerNode::State::due) return false;
        LoopAccess::remove_timer(*self->loop_, &self->timer_);
        self->task_->throw_cancel = true;
        self->task_->schedule_step();
        return true;
    }
    static constexpr WaiterOps ops{&cancel_wait, nullptr, nullptr};

    double delay_;
    bool armed_ = false;         // timer_ was constructed (a sleep with delay > 0 was awaited)
    PromiseBase* task_ = nullptr;
    EventLoop* loop_ = nullptr;  // while the timer is pending
    union {
        Timer timer_;  // constructed by await_suspend when delay > 0
    };
};

}  // namespace asyncio::detail
