// asyncio/detail/sleep.hpp - the awaiter behind asyncio::sleep.
#pragma once

#include <asyncio/detail/promise.hpp>
#include <asyncio/detail/timer_heap.hpp>
#include <asyncio/events.hpp>

#include <coroutine>

namespace asyncio::detail {

/// `co_await sleep(d)`. d <= 0 (and NaN) yields for exactly one loop
/// iteration (a bare yield, like Python's sleep(0)); otherwise a timer wakes
/// the task.
class SleepAwaiter final : public NativeAwaiter, Waiter {
public:
    explicit SleepAwaiter(double delay) noexcept : Waiter(&ops), delay_(delay) {
        timer_.fire = &fire;
        timer_.owner = this;
    }
    SleepAwaiter(const SleepAwaiter& o) noexcept : SleepAwaiter(o.delay_) {}  // copy before waiting only
    SleepAwaiter& operator=(const SleepAwaiter&) = delete;
    // Touches neither the task nor the loop unless the timer is pending: a
    // frame can be destroyed after its root task's (a child awaited inline
    // whose parent owned its handle), or after its loop closed (which detached
    // the timer).
    ~SleepAwaiter() {
        if (timer_.state == TimerNode::State::in_heap || timer_.state == TimerNode::State::due)
            LoopAccess::remove_timer(*loop_, &timer_);
    }

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
        if (!(delay_ > 0)) {
            task.schedule_step();
            task.suspend_on(h, nullptr);
            task_ = &task;
            return;
        }
        LoopAccess::add_timer(*task.loop, &timer_, task.loop->time() + delay_);
        loop_ = task.loop;
        task_ = &task;
        task.suspend_on(h, this);
    }
    void await_resume() const noexcept {}

private:
    struct Timer : TimerNode {
        SleepAwaiter* owner;
    };
    static void fire(TimerNode* n) { static_cast<Timer*>(n)->owner->task_->schedule_step(); }
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
    PromiseBase* task_ = nullptr;
    EventLoop* loop_ = nullptr;  // while the timer is pending
    Timer timer_;
};

}  // namespace asyncio::detail
