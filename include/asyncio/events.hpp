// asyncio/events.hpp - the event loop (Python's asyncio.events / base_events).
#pragma once

#include <asyncio/detail/awaitable_traits.hpp>
#include <asyncio/detail/intrusive_list.hpp>
#include <asyncio/detail/ring_buffer.hpp>
#include <asyncio/detail/timer_heap.hpp>
#include <asyncio/exceptions.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio {

template <class T>
class Task;
class EventLoop;

namespace detail {

/// One entry of the ready queue: a plain function and its argument. `run` is
/// false when the loop is closed with the entry still queued: the function
/// must then only release what it holds.
struct ReadyItem {
    void (*fn)(void* arg, bool run);
    void* arg;
};

/// The loop's handle on a task it keeps alive (see tasks.hpp). `abandon` is
/// called when the loop is closed while the task is still pending.
struct TaskLink : ListNode {
    void (*abandon)(TaskLink*) = nullptr;
};

/// The state behind a Handle / TimerHandle: the callback, a cancelled flag
/// and, for call_later/call_at, the timer. Reference-counted (handles and the
/// loop), single-threaded.
struct HandleState {
    virtual ~HandleState() = default;
    virtual void invoke() = 0;

    void add_ref() noexcept { ++refs; }
    void release() noexcept {
        if (--refs == 0) delete this;
    }

    /// Runs the callback; an exception escaping it is reported on stderr and
    /// swallowed, as Python's loop does with its exception handler.
    void run() noexcept {
        try {
            invoke();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "asyncio: exception in callback: %s\n", e.what());
        } catch (...) {
            std::fprintf(stderr, "asyncio: non-standard exception in callback\n");
        }
    }

    struct Timer : TimerNode {
        HandleState* owner = nullptr;
    };

    int refs = 1;
    bool cancelled = false;
    EventLoop* loop = nullptr;
    Timer timer;
};

template <class F>
struct HandleImpl final : HandleState {
    explicit HandleImpl(F f) : fn(std::move(f)) {}
    void invoke() override { fn(); }
    F fn;
};

inline thread_local EventLoop* running_loop = nullptr;

}  // namespace detail

/// A callback scheduled with call_soon (Python's asyncio.Handle). Copies share
/// the same callback. Not thread-safe.
class Handle {
public:
    Handle() noexcept = default;
    Handle(const Handle& o) noexcept : s_(o.s_) { if (s_) s_->add_ref(); }
    Handle(Handle&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Handle& operator=(Handle o) noexcept {
        std::swap(s_, o.s_);
        return *this;
    }
    ~Handle() { if (s_) s_->release(); }

    /// Cancels the callback: it will not run. No effect if it already ran.
    inline void cancel() noexcept;
    bool cancelled() const noexcept { return s_ && s_->cancelled; }

protected:
    friend class EventLoop;
    explicit Handle(detail::HandleState* s) noexcept : s_(s) {}
    detail::HandleState* s_ = nullptr;
};

/// A callback scheduled with call_later / call_at (Python's TimerHandle).
class TimerHandle : public Handle {
public:
    TimerHandle() noexcept = default;
    /// The absolute loop time at which the callback is scheduled.
    double when() const noexcept { return s_ ? s_->timer.when : 0.0; }

private:
    friend class EventLoop;
    using Handle::Handle;
};

/// An asyncio event loop: one thread runs it; callbacks and task steps run one
/// at a time, in order.
///
/// Ordering: the ready queue is FIFO. Each iteration runs exactly the
/// callbacks that were ready when it began, then the timers that fell due
/// (ordered by due time, ties in scheduling order); anything scheduled meanwhile
/// runs in the next iteration. Coroutines are only ever resumed from here,
/// never inline from set(), put(), cancel() or a completion.
///
/// Thread safety: an EventLoop belongs to the thread that runs it. The only
/// member that may be called from other threads is call_soon_threadsafe().
class EventLoop {
public:
    EventLoop() = default;
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;
    ~EventLoop() {
        if (!closed_.load(std::memory_order_relaxed)) close_now();
    }

    /// Monotonic clock, in seconds.
    double time() const noexcept {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }

    /// Schedules `fn()` to run in a later iteration, after everything already
    /// scheduled.
    template <class F>
    Handle call_soon(F fn) {
        check_closed();
        auto* s = new detail::HandleImpl<std::decay_t<F>>(std::move(fn));
        s->loop = this;
        s->add_ref();  // the handle's reference; the loop owns the first one
        push_ready(&run_handle, s);
        return Handle(s);
    }

    /// Schedules `fn()` to run `delay` seconds from now.
    template <class F>
    TimerHandle call_later(double delay, F fn) {
        return call_at(time() + delay, std::move(fn));
    }

    /// Schedules `fn()` to run at loop time `when` (see time()).
    template <class F>
    TimerHandle call_at(double when, F fn) {
        check_closed();
        auto* s = new detail::HandleImpl<std::decay_t<F>>(std::move(fn));
        s->loop = this;
        s->timer.owner = s;
        s->timer.fire = &fire_handle;
        s->timer.detach = &detach_handle;
        s->add_ref();
        add_timer(&s->timer, when);
        return TimerHandle(s);
    }

    /// Thread-safe: schedules `fn()` from any thread and wakes the loop if it
    /// is sleeping, waiting for a timer or for nothing.
    template <class F>
    void call_soon_threadsafe(F fn) {
        {
            std::lock_guard lock(ts_mutex_);
            if (closed_.load(std::memory_order_relaxed)) throw std::runtime_error("Event loop is closed");
            ts_pending_.emplace_back(std::move(fn));
            ts_flag_.store(true, std::memory_order_release);
        }
        ts_cv_.notify_one();
    }

    /// Wraps `aw` (a Task or any awaitable of this library) in a task of this
    /// loop and schedules its first step with call_soon. Defined in tasks.hpp.
    template <class Aw>
    auto create_task(Aw&& aw) -> Task<detail::await_result_t<Aw>>;

    /// Runs the loop until `aw` (wrapped in a task) is done; returns its
    /// result or rethrows its exception. Defined in tasks.hpp.
    template <class Aw>
    auto run_until_complete(Aw&& aw) -> detail::await_result_t<Aw>;

    /// Runs until stop() is called.
    void run_forever() {
        check_closed();
        if (running_) throw std::runtime_error("This event loop is already running");
        if (detail::running_loop) throw std::runtime_error("Cannot run the event loop while another loop is running");
        running_ = true;
        detail::running_loop = this;
        struct Reset {
            EventLoop* self;
            ~Reset() {
                self->stopping_ = false;
                self->running_ = false;
                detail::running_loop = nullptr;
            }
        } reset{this};
        for (;;) {
            run_once();
            if (stopping_) break;
        }
    }

    /// Stops run_forever() after the current iteration (or, when called while
    /// not running, after the next run's first iteration).
    void stop() noexcept { stopping_ = true; }

    bool is_running() const noexcept { return running_; }
    bool is_closed() const noexcept { return closed_.load(std::memory_order_relaxed); }

    /// Closes the loop: pending callbacks and timers are dropped, and the loop
    /// lets go of every task it still keeps alive (a task nobody else holds is
    /// destroyed, frames and all). Throws if the loop is running.
    void close() {
        if (running_) throw std::runtime_error("Cannot close a running event loop");
        if (!is_closed()) close_now();
    }

    // ---- internals used by the rest of the library (not part of the API) ----

    void push_ready(void (*fn)(void*, bool), void* arg) { ready_.emplace_back(detail::ReadyItem{fn, arg}); }

    void add_timer(detail::TimerNode* n, double when) {
        n->when = when;
        n->seq = timer_seq_++;
        timers_.push(n);
    }

    /// Removes a timer that has not fired yet. No effect otherwise.
    void remove_timer(detail::TimerNode* n) noexcept {
        using S = detail::TimerNode::State;
        if (n->state == S::in_heap) {
            timers_.remove(n);
        } else if (n->state == S::due) {
            due_[n->index] = nullptr;
            n->state = S::idle;
        }
    }

    void add_task(detail::TaskLink* l) noexcept { tasks_.push_back(l); }
    void remove_task(detail::TaskLink* l) noexcept { tasks_.erase(l); }
    /// Every task of this loop that is not done yet, in creation order.
    std::vector<detail::TaskLink*> pending_tasks() const {
        std::vector<detail::TaskLink*> v;
        tasks_.for_each([&](detail::ListNode* n) { v.push_back(static_cast<detail::TaskLink*>(n)); });
        return v;
    }

    /// The task whose step is running, or null (type-erased; see tasks.hpp).
    void* current_task = nullptr;

    void check_closed() const {
        if (is_closed()) throw std::runtime_error("Event loop is closed");
    }

private:
    static void run_handle(void* arg, bool run) {
        auto* s = static_cast<detail::HandleState*>(arg);
        if (run && !s->cancelled) s->run();
        s->release();
    }
    static void fire_handle(detail::TimerNode* n) {
        auto* s = container_of(n);
        if (!s->cancelled) s->run();
        s->release();
    }
    static void detach_handle(detail::TimerNode* n) { container_of(n)->release(); }
    static detail::HandleState* container_of(detail::TimerNode* n) {
        return static_cast<detail::HandleState::Timer*>(n)->owner;
    }

    void run_once() {
        if (ready_.empty() && !stopping_) wait_for_work();
        if (ts_flag_.load(std::memory_order_acquire)) drain_threadsafe();

        if (!timers_.empty()) {  // no clock read when no timer is pending
            const double now = time();
            while (!timers_.empty() && timers_.top()->when <= now) {
                detail::TimerNode* n = timers_.pop();
                n->state = detail::TimerNode::State::due;
                n->index = due_.size();
                due_.push_back(n);
            }
        }

        // Only what was ready when this iteration began; the due timers come
        // after it, exactly as if they had been appended to the ready queue.
        for (std::size_t todo = ready_.size(); todo > 0; --todo) {
            detail::ReadyItem item = ready_.front();
            ready_.pop_front();
            item.fn(item.arg, true);
        }
        if (!due_.empty()) {
            for (std::size_t i = 0; i < due_.size(); ++i) {
                if (detail::TimerNode* n = due_[i]) {
                    n->state = detail::TimerNode::State::idle;
                    n->fire(n);
                }
            }
            due_.clear();
        }
    }

    void wait_for_work() {
        std::unique_lock lock(ts_mutex_);
        auto has_work = [this] { return !ts_pending_.empty(); };
        if (timers_.empty()) {
            ts_cv_.wait(lock, has_work);
        } else {
            double delay = timers_.top()->when - time();
            if (delay > 0)
                ts_cv_.wait_for(lock, std::chrono::duration<double>(delay), has_work);
        }
    }

    void drain_threadsafe() {
        std::vector<std::function<void()>> batch;
        {
            std::lock_guard lock(ts_mutex_);
            batch.swap(ts_pending_);
            ts_flag_.store(false, std::memory_order_relaxed);
        }
        for (auto& fn : batch) {
            auto* s = new detail::HandleImpl<std::function<void()>>(std::move(fn));
            s->loop = this;
            push_ready(&run_handle, s);
        }
    }

    void close_now() noexcept {
        {
            std::lock_guard lock(ts_mutex_);
            closed_.store(true, std::memory_order_relaxed);
            ts_pending_.clear();
        }
        // Abandoning tasks destroys coroutine frames, whose destructors may
        // remove timers or (rarely) schedule; repeat until nothing is left.
        do {
            for (detail::TimerNode* n : timers_.take_all()) detach_timer(n);
            for (detail::TimerNode* n : due_)
                if (n) detach_timer(n);
            due_.clear();
            while (!ready_.empty()) {
                detail::ReadyItem item = ready_.front();
                ready_.pop_front();
                item.fn(item.arg, false);
            }
            while (auto* l = static_cast<detail::TaskLink*>(tasks_.pop_front())) l->abandon(l);
        } while (!ready_.empty() || !timers_.empty() || !tasks_.empty());
    }

    static void detach_timer(detail::TimerNode* n) noexcept {
        n->state = detail::TimerNode::State::detached;
        if (n->detach) n->detach(n);
    }

    detail::RingBuffer<detail::ReadyItem> ready_;
    detail::TimerHeap timers_;
    std::vector<detail::TimerNode*> due_;  // timers being fired this iteration (null: removed)
    std::uint64_t timer_seq_ = 0;
    detail::IntrusiveList tasks_;  // tasks scheduled and not done, in creation order
    bool running_ = false;
    bool stopping_ = false;
    std::atomic<bool> closed_{false};

    std::mutex ts_mutex_;
    std::condition_variable ts_cv_;
    std::vector<std::function<void()>> ts_pending_;
    std::atomic<bool> ts_flag_{false};
};

inline void Handle::cancel() noexcept {
    if (!s_ || s_->cancelled) return;
    s_->cancelled = true;
    using S = detail::TimerNode::State;
    if (s_->timer.state == S::in_heap || s_->timer.state == S::due) {
        s_->loop->remove_timer(&s_->timer);
        s_->release();  // the loop's reference
    }
}

/// The loop running on this thread. Throws std::runtime_error when none is.
inline EventLoop& get_running_loop() {
    if (!detail::running_loop) throw std::runtime_error("no running event loop");
    return *detail::running_loop;
}

}  // namespace asyncio
