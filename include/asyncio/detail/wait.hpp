// asyncio/detail/wait.hpp - asyncio::wait (Python's asyncio.wait and its
// _wait): wait for a set of tasks until all, the first, or the first failing
// one is done, or until a timeout, and return them as (done, pending).
#pragma once

#include <asyncio/detail/await.hpp>
#include <asyncio/detail/future_core.hpp>
#include <asyncio/detail/promise.hpp>
#include <asyncio/detail/timer_heap.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace asyncio {

template <class T>
class Task;

/// When asyncio::wait returns (Python's asyncio.FIRST_COMPLETED etc.).
enum class ReturnWhen : std::uint8_t { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

namespace detail {

template <class U>
PromiseBase* promise_of(const Task<U>& t) noexcept;

/// Keeps the first handle of every task (Python's set(fs)) and schedules the
/// tasks not yet scheduled, on the running loop. `what` names the caller.
template <class T>
std::vector<Task<T>> unique_scheduled(std::vector<Task<T>> tasks, const char* what) {
    std::vector<Task<T>> out;
    out.reserve(tasks.size());
    EventLoop* loop = nullptr;
    for (auto& t : tasks) {
        PromiseBase* p = promise_of(t);
        if (!p) throw InvalidStateError(std::string(what) + "() of an empty Task handle");
        if (p->state == PromiseBase::State::child) throw std::runtime_error("cannot reuse already awaited coroutine");
        bool seen = false;
        for (auto& o : out) seen = seen || promise_of(o) == p;
        if (seen) continue;
        if (p->state == PromiseBase::State::lazy) {
            if (!loop) loop = &get_running_loop();
            p->start_task(loop);
        }
        out.push_back(std::move(t));
    }
    return out;
}

/// The type-independent part of wait(): a done-callback node per task, a
/// timer, and the waiting task.
///
/// As in Python, the task always suspends: tasks already done count at
/// once, and the wake-up then still goes through the ready queue twice
/// (Python: their done-callbacks are queued, then the waiter's).
class WaitBase : public NativeAwaiter, Waiter {
protected:
    struct Node : DoneCallback {
        WaitBase* owner = nullptr;
        PromiseBase* p = nullptr;
    };

    WaitBase(std::optional<double> timeout, ReturnWhen rw) : Waiter(&ops), timeout_(timeout), rw_(rw) {
        if (rw != FIRST_COMPLETED && rw != FIRST_EXCEPTION && rw != ALL_COMPLETED)
            throw ValueError("Invalid return_when value");
        timer_.fire = &fire;
        timer_.owner = this;
    }
    WaitBase(const WaitBase& o) : WaitBase(o.timeout_, o.rw_) {}  // before waiting only
    WaitBase& operator=(const WaitBase&) = delete;
    ~WaitBase() { stop_waiting(); }

    void start(PromiseBase* const* ps, std::size_t n, PromiseBase& task, std::coroutine_handle<> h) {
        for (std::size_t i = 0; i < n; ++i)
            if (ps[i]->loop != task.loop) throw std::runtime_error("wait() of a task attached to a different loop");
        nodes_ = std::make_unique<Node[]>(n);
        n_ = n;
        counter_ = n;
        task_ = &task;
        bool decided = false;
        for (std::size_t i = 0; i < n; ++i) {
            nodes_[i].owner = this;
            nodes_[i].p = ps[i];
            nodes_[i].fn = &on_done;
            if (ps[i]->is_done())
                decided = completed(ps[i]) || decided;
            else
                ps[i]->callbacks.push_back(&nodes_[i]);
        }
        if (decided) {
            // This entry runs before any later step of the task (FIFO): the
            // awaiter, in the suspended task's frame, is alive when it runs.
            LoopAccess::push_ready(*task.loop, &hop, this);
        } else if (timeout_) {
            LoopAccess::add_timer(*task.loop, &timer_, task.loop->time() + *timeout_);
        }
        waiting_ = true;
        task.suspend_on(h, this);
    }

    void stop_waiting() noexcept {
        if (nodes_)
            for (std::size_t i = 0; i < n_; ++i)
                if (nodes_[i].linked()) nodes_[i].unlink();
        using S = TimerNode::State;
        if (timer_.state == S::in_heap || timer_.state == S::due) LoopAccess::remove_timer(*task_->loop, &timer_);
    }

private:
    struct Timer : TimerNode {
        WaitBase* owner;
    };

    // Python's _on_completion: true once the wait is over.
    bool completed(PromiseBase* p) noexcept {
        --counter_;
        return counter_ == 0 || rw_ == FIRST_COMPLETED ||
               (rw_ == FIRST_EXCEPTION && p->outcome == FutureCore::Outcome::exception);
    }
    void wake() {
        if (!waiting_) return;
        waiting_ = false;
        stop_waiting();
        task_->schedule_step();
    }
    static void on_done(DoneCallback* cb, bool run) {
        if (!run) return;
        auto* n = static_cast<Node*>(cb);
        if (n->owner->completed(n->p)) n->owner->wake();
    }
    static void hop(void* p, bool run) {
        if (run) static_cast<WaitBase*>(p)->wake();
    }
    static void fire(TimerNode* t) { static_cast<Timer*>(t)->owner->wake(); }
    static bool cancel_wait(Waiter* w) {
        auto* self = static_cast<WaitBase*>(w);
        if (!self->waiting_) return false;
        self->waiting_ = false;
        self->stop_waiting();
        self->task_->throw_cancel = true;
        self->task_->schedule_step();
        return true;
    }
    static constexpr WaiterOps ops{&cancel_wait, nullptr, nullptr};

    std::optional<double> timeout_;
    ReturnWhen rw_;
    std::unique_ptr<Node[]> nodes_;
    std::size_t n_ = 0;
    std::size_t counter_ = 0;
    PromiseBase* task_ = nullptr;
    bool waiting_ = false;  // suspended, no wake-up scheduled yet
    Timer timer_;
};

template <class T>
class WaitAwaiter final : WaitBase {
public:
    using result_type = std::pair<std::vector<Task<T>>, std::vector<Task<T>>>;

    WaitAwaiter(std::vector<Task<T>> tasks, std::optional<double> timeout, ReturnWhen rw)
        : WaitBase(timeout, rw), tasks_(std::move(tasks)) {
        if (tasks_.empty()) throw ValueError("Set of Tasks/Futures is empty.");
        tasks_ = unique_scheduled(std::move(tasks_), "wait");
    }
    WaitAwaiter(WaitAwaiter&& o) : WaitBase(o), tasks_(std::move(o.tasks_)) {}

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
        std::vector<PromiseBase*> ps;
        ps.reserve(tasks_.size());
        for (auto& t : tasks_) ps.push_back(promise_of(t));
        start(ps.data(), ps.size(), task, h);
    }
    result_type await_resume() {
        stop_waiting();
        result_type out;
        for (auto& t : tasks_) (t.done() ? out.first : out.second).push_back(std::move(t));
        return out;
    }
    void await_cancelled() noexcept { stop_waiting(); }

private:
    std::vector<Task<T>> tasks_;
};

}  // namespace detail
}  // namespace asyncio
