// asyncio/tasks.hpp - coroutines and tasks (Python's asyncio.tasks):
// Task, create_task, sleep, gather.
#pragma once

#include <asyncio/detail/awaitable_traits.hpp>
#include <asyncio/detail/promise.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace asyncio {

template <class T>
class Task;

namespace detail {

template <class T>
struct is_task : std::false_type {};
template <class T>
struct is_task<Task<T>> : std::true_type {};

template <class T>
class Promise final : public PromiseBase {
public:
    Task<T> get_return_object() noexcept;
    std::suspend_always initial_suspend() const noexcept { return {}; }
    FinalAwaiter final_suspend() const noexcept { return {}; }
    template <class U = T>
    void return_value(U&& v) {
        value.emplace(std::forward<U>(v));
        outcome = Outcome::value;
    }
    void unhandled_exception() noexcept { store_exception(); }

    std::optional<T> value;
};

template <>
class Promise<void> final : public PromiseBase {
public:
    Task<void> get_return_object() noexcept;
    std::suspend_always initial_suspend() const noexcept { return {}; }
    FinalAwaiter final_suspend() const noexcept { return {}; }
    void return_void() noexcept { outcome = Outcome::value; }
    void unhandled_exception() noexcept { store_exception(); }
};

template <class T>
class TaskAwaiter;

/// The promise behind a task handle.
template <class U>
PromiseBase* promise_of(const Task<U>& t) noexcept;

}  // namespace detail

/// The return type of every coroutine of this library, and Python's Task.
///
/// `Task<int> f() { co_return 1; }` — calling `f()` runs nothing (lazy).
/// `co_await f()` runs the coroutine inline in the awaiting task, as Python's
/// `await f()`; `create_task(f())` schedules it as a task of its own, as
/// Python's `asyncio.create_task(f())`. A Task is a cheap handle with shared
/// ownership: copies refer to the same coroutine, and the loop keeps a
/// scheduled task alive until it is done, so dropping every handle neither
/// cancels nor leaks it.
///
/// Ordering: a task's steps run from its loop's ready queue; the tasks
/// awaiting a task are woken through the ready queue when it is done.
///
/// Thread safety: a Task belongs to its loop's thread. Distinct objects: safe.
/// Shared objects: unsafe.
template <class T = void>
class [[nodiscard]] Task {
    static_assert(!std::is_reference_v<T>, "Task<T&> is not supported; return a pointer or std::reference_wrapper");

public:
    using promise_type = detail::Promise<T>;
    using value_type = T;

    Task() noexcept = default;
    Task(const Task& o) noexcept : p_(o.p_) { if (p_) p_->add_ref(); }
    Task(Task&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    Task& operator=(Task o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~Task() { if (p_) p_->release(); }

    /// True if this handle refers to a coroutine.
    explicit operator bool() const noexcept { return p_ != nullptr; }

    bool done() const noexcept { return p_ && p_->is_done(); }
    bool cancelled() const noexcept { return done() && p_->outcome == detail::PromiseBase::Outcome::cancelled; }

    /// Requests cancellation: CancelledError is raised at the task's current
    /// co_await (at its first step if it has not started: it then never runs).
    /// Returns false if the task is already done.
    bool cancel() noexcept { return p_ && p_->cancel(); }

    /// Number of pending cancellation requests (Python's cancelling()).
    int cancelling() const noexcept { return p_ ? static_cast<int>(p_->num_cancels) : 0; }
    /// Python's uncancel(): decrements the count of cancellation requests.
    int uncancel() noexcept { return p_ ? p_->uncancel() : 0; }

    /// The task's value; rethrows its exception; CancelledError if cancelled;
    /// InvalidStateError if not done.
    T result() const
        requires(std::is_void_v<T> || std::is_copy_constructible_v<T>)
    {
        check();
        p_->check_result();
        if constexpr (!std::is_void_v<T>) return *p_->value;
    }

    /// The task's exception, or null if it returned a value; CancelledError if
    /// cancelled; InvalidStateError if not done.
    std::exception_ptr exception() const {
        check();
        if (!p_->is_done()) throw InvalidStateError("Exception is not set.");
        if (p_->outcome == detail::PromiseBase::Outcome::cancelled) p_->check_result();
        return p_->outcome == detail::PromiseBase::Outcome::exception ? p_->exception : nullptr;
    }

    /// Waits for the task (or runs it inline if it was never scheduled) and
    /// returns its value or rethrows its exception.
    detail::TaskAwaiter<T> operator co_await() const& noexcept { return detail::TaskAwaiter<T>(p_, false); }
    detail::TaskAwaiter<T> operator co_await() && noexcept { return detail::TaskAwaiter<T>(p_, true); }

    /// The loop that runs this task, or null if it was never scheduled.
    EventLoop* get_loop() const noexcept { return p_ ? p_->loop : nullptr; }

private:
    friend class detail::Promise<T>;
    friend class EventLoop;
    template <class U>
    friend class Task;
    template <class U>
    friend detail::PromiseBase* detail::promise_of(const Task<U>&) noexcept;

    explicit Task(detail::Promise<T>* p) noexcept : p_(p) { p_->add_ref(); }

    void check() const {
        if (!p_) throw InvalidStateError("Task handle is empty");
    }

    detail::Promise<T>* p_ = nullptr;
};

namespace detail {

template <class U>
PromiseBase* promise_of(const Task<U>& t) noexcept {
    return t.p_;
}

template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
    self = std::coroutine_handle<Promise>::from_promise(*this);
    return Task<T>(this);
}

inline Task<void> Promise<void>::get_return_object() noexcept {
    self = std::coroutine_handle<Promise>::from_promise(*this);
    return Task<void>(this);
}

/// Moves (or copies, if `copy`) the value out of a finished promise.
template <class T>
T take_value(Promise<T>* p, bool copy) {
    p->check_result();
    if constexpr (std::is_void_v<T>) {
        return;
    } else if constexpr (std::is_copy_constructible_v<T>) {
        if (copy) return *p->value;
        return std::move(*p->value);
    } else {
        return std::move(*p->value);
    }
}

/// `co_await task`: runs a lazy task inline as a child (symmetric transfer,
/// so a million synchronous completions do not grow the stack), or waits for a
/// scheduled one through its done-callbacks (the awaiter is the callback node).
template <class T>
class TaskAwaiter final : Waiter, DoneCallback {
public:
    TaskAwaiter(Promise<T>* p, bool rvalue) noexcept : Waiter(&ops), p_(p), rvalue_(rvalue) {
        DoneCallback::fn = &on_done;
    }
    TaskAwaiter(const TaskAwaiter&) = delete;
    TaskAwaiter& operator=(const TaskAwaiter&) = delete;
    ~TaskAwaiter() {
        if (DoneCallback::linked()) p_->callbacks.erase(static_cast<DoneCallback*>(this));
    }

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

    // Runs a lazy child with a plain call rather than a symmetric transfer:
    // g++ does not turn symmetric transfer into a tail call at -O0 or under
    // sanitizers, and a loop of a million `co_await f()` that complete at
    // once must not grow the stack. A child that finishes at once returns
    // here and the parent goes on without suspending.
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        static_assert(std::is_base_of_v<PromiseBase, P>, "asyncio awaitables can only be awaited inside an asyncio::Task coroutine");
        PromiseBase& caller = h.promise();
        if (p_->state == PromiseBase::State::lazy) {
            p_->state = PromiseBase::State::child;
            p_->root = caller.root;
            p_->loop = caller.root->loop;
            p_->continuation = h;
            p_->sync_start = true;
            p_->self.resume();
            if (p_->state == PromiseBase::State::done) return false;
            p_->sync_start = false;
            return true;
        }
        PromiseBase* task = caller.root;
        if (p_ == task) throw std::runtime_error("Task cannot await on itself");
        if (p_->loop != task->loop) throw std::runtime_error("Task awaits a task attached to a different loop");
        task_ = task;
        p_->callbacks.push_back(static_cast<DoneCallback*>(this));
        task->suspend_on(h, this);
        return true;
    }

    T await_resume() {
        if (task_ && task_->take_cancel()) throw CancelledError();
        if (p_->state == PromiseBase::State::lazy) throw CancelledError();  // cancelled before it ran
        return take_value(p_, !rvalue_ || task_ != nullptr);
    }

private:
    static void on_done(DoneCallback* cb) {
        // Python's Task.__wakeup: the waiting task's step runs right here,
        // in the done-callback that the ready queue is running.
        static_cast<TaskAwaiter*>(cb)->task_->step();
    }
    static bool cancel_wait(Waiter* w) {
        // Cancelling a task that awaits another cancels the other (Python).
        return static_cast<TaskAwaiter*>(w)->p_->cancel();
    }
    static constexpr WaiterOps ops{&cancel_wait, nullptr, nullptr};

    Promise<T>* p_;
    PromiseBase* task_ = nullptr;  // the waiting task, when waiting for a scheduled one
    bool rvalue_;
};

/// Wraps any awaitable of this library into a coroutine.
template <class R, class Aw>
Task<R> wrap_awaitable(Aw aw) {
    if constexpr (std::is_void_v<R>)
        co_await std::move(aw);
    else
        co_return co_await std::move(aw);
}

/// Waits until a task is done, without retrieving its result and without
/// passing the waiter's cancellation on (Python's _cancel_and_wait pattern).
class WaitDone final : Waiter, DoneCallback {
public:
    explicit WaitDone(PromiseBase* p) noexcept : Waiter(&ops), p_(p) {
        DoneCallback::fn = &on_done;
    }
    WaitDone(const WaitDone&) = delete;
    ~WaitDone() {
        if (DoneCallback::linked()) p_->callbacks.erase(static_cast<DoneCallback*>(this));
    }
    bool await_ready() const noexcept { return p_->is_done(); }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        task_ = h.promise().root;
        p_->callbacks.push_back(static_cast<DoneCallback*>(this));
        task_->suspend_on(h, this);
    }
    void await_resume() {
        const bool must = task_ && task_->take_cancel();  // always consume it
        if (cancelled_ || must) throw CancelledError();
    }

private:
    static void on_done(DoneCallback* cb) { static_cast<WaitDone*>(cb)->task_->schedule_step(); }
    static bool cancel_wait(Waiter* w) {
        auto* self = static_cast<WaitDone*>(w);
        if (!self->DoneCallback::linked()) return false;  // fired or cancelled already
        self->p_->callbacks.erase(static_cast<DoneCallback*>(self));
        self->cancelled_ = true;
        self->task_->schedule_step();
        return true;
    }
    static constexpr WaiterOps ops{&cancel_wait, nullptr, nullptr};

    PromiseBase* p_;
    PromiseBase* task_ = nullptr;
    bool cancelled_ = false;
};

}  // namespace detail

// ---- EventLoop members that need Task -------------------------------------

template <class Aw>
auto EventLoop::create_task(Aw&& aw) -> Task<detail::await_result_t<Aw>> {
    using R = detail::await_result_t<Aw>;
    if constexpr (detail::is_task<std::remove_cvref_t<Aw>>::value) {
        Task<R> t = std::forward<Aw>(aw);
        if (!t.p_) throw InvalidStateError("create_task() of an empty Task handle");
        switch (t.p_->state) {
            case detail::PromiseBase::State::lazy: t.p_->start_task(this); break;
            case detail::PromiseBase::State::child: throw std::runtime_error("cannot reuse already awaited coroutine");
            default:  // already a task (Python's ensure_future returns it)
                if (t.p_->loop != this) throw std::runtime_error("The task belongs to a different event loop");
        }
        return t;
    } else {
        check_closed();
        return create_task(detail::wrap_awaitable<R>(std::forward<Aw>(aw)));
    }
}

template <class Aw>
auto EventLoop::run_until_complete(Aw&& aw) -> detail::await_result_t<Aw> {
    using R = detail::await_result_t<Aw>;
    Task<R> t = create_task(std::forward<Aw>(aw));
    struct StopWhenDone : detail::DoneCallback {
        EventLoop* loop;
    } stopper;
    stopper.loop = this;
    stopper.fn = [](detail::DoneCallback* cb) { static_cast<StopWhenDone*>(cb)->loop->stop(); };
    if (!t.done()) t.p_->callbacks.push_back(&stopper);
    struct Unlink {
        detail::DoneCallback* cb;
        detail::PromiseBase* p;
        ~Unlink() {
            if (cb->linked()) p->callbacks.erase(cb);
        }
    } unlink{&stopper, t.p_};
    if (!t.done()) run_forever();
    if (!t.done()) throw std::runtime_error("Event loop stopped before Future completed.");
    return detail::take_value(t.p_, false);
}

// ---- free functions ---------------------------------------------------------

/// Python's asyncio.create_task: schedules `aw` on the running loop.
/// Throws std::runtime_error("no running event loop") outside a loop.
template <class Aw>
auto create_task(Aw&& aw) -> Task<detail::await_result_t<Aw>> {
    return get_running_loop().create_task(std::forward<Aw>(aw));
}

namespace detail {

/// `co_await sleep(d)`. d <= 0 yields for exactly one loop iteration (a bare
/// yield, like Python's sleep(0)); otherwise a timer wakes the task.
class SleepAwaiter final : Waiter {
public:
    explicit SleepAwaiter(double delay) noexcept : Waiter(&ops), delay_(delay) {
        timer_.fire = &fire;
        timer_.owner = this;
    }
    SleepAwaiter(const SleepAwaiter& o) noexcept : SleepAwaiter(o.delay_) {}  // copy before waiting only
    SleepAwaiter& operator=(const SleepAwaiter&) = delete;
    ~SleepAwaiter() {
        if (task_ && task_->loop) task_->loop->remove_timer(&timer_);
    }

    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        static_assert(std::is_base_of_v<PromiseBase, P>, "asyncio awaitables can only be awaited inside an asyncio::Task coroutine");
        PromiseBase* task = h.promise().root;
        if (!(delay_ > 0)) {  // also NaN and negative: a bare yield
            task->schedule_step();
            task->suspend_on(h, nullptr);
            task_ = task;
            return;
        }
        task->loop->add_timer(&timer_, task->loop->time() + delay_);
        task_ = task;
        waiting_ = true;
        task->suspend_on(h, this);
    }
    void await_resume() {
        if (task_->take_cancel() || cancelled_) throw CancelledError();
    }

private:
    struct Timer : TimerNode {
        SleepAwaiter* owner;
    };
    static void fire(TimerNode* n) {
        SleepAwaiter* self = static_cast<Timer*>(n)->owner;
        self->waiting_ = false;
        self->task_->schedule_step();
    }
    static bool cancel_wait(Waiter* w) {
        auto* self = static_cast<SleepAwaiter*>(w);
        if (!self->waiting_) return false;
        self->task_->loop->remove_timer(&self->timer_);
        self->waiting_ = false;
        self->cancelled_ = true;
        self->task_->schedule_step();
        return true;
    }
    static constexpr WaiterOps ops{&cancel_wait, nullptr, nullptr};

    double delay_;
    PromiseBase* task_ = nullptr;
    bool waiting_ = false;
    bool cancelled_ = false;
    Timer timer_;
};

}  // namespace detail

/// Python's asyncio.sleep(seconds). `sleep(0)` yields for exactly one loop
/// iteration.
inline detail::SleepAwaiter sleep(double seconds) noexcept { return detail::SleepAwaiter(seconds); }

template <class Rep, class Period>
detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> d) noexcept {
    return detail::SleepAwaiter(std::chrono::duration<double>(d).count());
}

// ---- gather -----------------------------------------------------------------

/// Tag for gather(): return exceptions as results (Python's
/// `gather(..., return_exceptions=True)`).
struct return_exceptions_t {
    explicit return_exceptions_t() = default;
};
inline constexpr return_exceptions_t return_exceptions{};

namespace detail {

template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// The type-independent part of gather(): counts children as they finish
/// (through their done-callbacks, from the ready queue, as Python's
/// _done_callback) and wakes the awaiting task when the outer result is set.
class GatherBase : Waiter {
public:
    struct Child : DoneCallback {
        GatherBase* owner = nullptr;
        PromiseBase* p = nullptr;
    };

    GatherBase(const GatherBase&) = delete;
    GatherBase& operator=(const GatherBase&) = delete;

protected:
    explicit GatherBase(bool return_exceptions) noexcept : Waiter(&ops), return_exceptions_(return_exceptions) {}
    ~GatherBase() = default;

    void unlink_all(Child* children, std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; ++i)
            if (children[i].linked()) children[i].p->callbacks.erase(&children[i]);
    }

    static void schedule_all(PromiseBase* const* ps, std::size_t n) {
        EventLoop* loop = nullptr;
        for (std::size_t i = 0; i < n; ++i) {
            if (!ps[i]) throw InvalidStateError("gather() of an empty Task handle");
            if (ps[i]->state == PromiseBase::State::lazy) {
                if (!loop) loop = &get_running_loop();
                ps[i]->start_task(loop);
            } else if (ps[i]->state == PromiseBase::State::child) {
                throw std::runtime_error("cannot reuse already awaited coroutine");
            }
        }
    }

    /// Takes in the children already done, as Python's gather() does when it
    /// is called; returns true if that decides the outcome (all done, or a
    /// failure), in which case the awaiting task does not suspend.
    bool prepare(Child* children, std::size_t n) {
        children_ = children;
        n_ = n;
        if (n == 0) outer_done_ = true;
        for (std::size_t i = 0; i < n && !outer_done_; ++i) {
            children[i].owner = this;
            children[i].fn = &on_child_done;
            if (children[i].p->is_done()) child_done(children[i].p);
        }
        return outer_done_;
    }

    void suspend(PromiseBase& frame, std::coroutine_handle<> h) {
        for (std::size_t i = 0; i < n_; ++i)
            if (children_[i].p->loop != frame.root->loop && !children_[i].p->is_done())
                throw std::runtime_error("gather() of a task attached to a different loop");
        task_ = frame.root;
        task_->suspend_on(h, this);
        for (std::size_t i = 0; i < n_; ++i)
            if (!children_[i].p->is_done()) children_[i].p->callbacks.push_back(&children_[i]);
    }

    /// Raises what the awaiting task must see instead of the results, if anything.
    void check_outcome() {
        if (task_ && task_->take_cancel()) throw CancelledError();
        if (outer_exc_) std::rethrow_exception(outer_exc_);
    }

private:
    static void on_child_done(DoneCallback* cb) {
        auto* c = static_cast<Child*>(cb);
        c->owner->child_done(c->p);
    }

    void child_done(PromiseBase* p) {
        if (outer_done_) return;
        if (!return_exceptions_) {
            if (p->outcome == PromiseBase::Outcome::cancelled) {
                outer_exc_ = std::make_exception_ptr(CancelledError());
                return set_outer_done();
            }
            if (p->outcome == PromiseBase::Outcome::exception) {
                outer_exc_ = p->exception;
                return set_outer_done();
            }
        }
        if (++finished_ == n_) {
            if (cancel_requested_) outer_exc_ = std::make_exception_ptr(CancelledError());
            set_outer_done();
        }
    }

    void set_outer_done() {
        outer_done_ = true;
        if (task_) task_->schedule_step();  // null while still in prepare()
    }

    // Python's _GatheringFuture.cancel: cancels every child still running.
    static bool cancel_wait(Waiter* w) {
        auto* self = static_cast<GatherBase*>(w);
        if (self->outer_done_) return false;
        bool any = false;
        for (std::size_t i = 0; i < self->n_; ++i)
            if (self->children_[i].p->cancel()) any = true;
        if (any) self->cancel_requested_ = true;
        return any;
    }
    static constexpr WaiterOps ops{&cancel_wait, nullptr, nullptr};

    Child* children_ = nullptr;
    std::size_t n_ = 0;
    std::size_t finished_ = 0;
    PromiseBase* task_ = nullptr;
    std::exception_ptr outer_exc_;
    bool return_exceptions_;
    bool outer_done_ = false;
    bool cancel_requested_ = false;
};

template <class T>
gather_value_t<T> gather_value(Task<T>& t) {
    auto* p = static_cast<Promise<T>*>(promise_of(t));
    if constexpr (std::is_void_v<T>) {
        p->check_result();
        return {};
    } else {
        return take_value(p, true);
    }
}

template <class T>
std::variant<gather_value_t<T>, std::exception_ptr> gather_outcome(Task<T>& t) {
    PromiseBase* p = promise_of(t);
    if (p->outcome == PromiseBase::Outcome::cancelled) return std::make_exception_ptr(CancelledError());
    if (p->outcome == PromiseBase::Outcome::exception) return p->exception;
    return gather_value(t);
}

template <bool ReturnExceptions, class... Ts>
class GatherTuple final : GatherBase {
public:
    using result_type = std::conditional_t<ReturnExceptions,
                                           std::tuple<std::variant<gather_value_t<Ts>, std::exception_ptr>...>,
                                           std::tuple<gather_value_t<Ts>...>>;

    explicit GatherTuple(Task<Ts>... ts) : GatherBase(ReturnExceptions), tasks_(std::move(ts)...) {
        std::apply([](auto&... t) {
            PromiseBase* arr[] = {promise_of(t)...};
            schedule_all(arr, sizeof...(Ts));
        }, tasks_);
    }
    GatherTuple(GatherTuple&& o) : GatherBase(ReturnExceptions), tasks_(std::move(o.tasks_)) {}
    ~GatherTuple() { unlink_all(nodes_, sizeof...(Ts)); }

    bool await_ready() {
        std::size_t i = 0;
        std::apply([&](auto&... t) { ((nodes_[i++].p = promise_of(t)), ...); }, tasks_);
        return prepare(nodes_, sizeof...(Ts));
    }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        suspend(h.promise(), h);
    }
    result_type await_resume() {
        check_outcome();
        return std::apply([](auto&... t) {
            if constexpr (ReturnExceptions)
                return result_type{gather_outcome(t)...};
            else
                return result_type{gather_value(t)...};
        }, tasks_);
    }

private:
    std::tuple<Task<Ts>...> tasks_;
    Child nodes_[sizeof...(Ts) > 0 ? sizeof...(Ts) : 1];
};

template <bool ReturnExceptions, class T>
class GatherVector final : GatherBase {
public:
    using element_type = std::conditional_t<ReturnExceptions, std::variant<gather_value_t<T>, std::exception_ptr>, T>;
    using result_type = std::conditional_t<std::is_void_v<element_type>, void, std::vector<element_type>>;

    explicit GatherVector(std::vector<Task<T>> ts) : GatherBase(ReturnExceptions), tasks_(std::move(ts)) {
        std::vector<PromiseBase*> ps;
        ps.reserve(tasks_.size());
        for (auto& t : tasks_) ps.push_back(promise_of(t));
        schedule_all(ps.data(), ps.size());
    }
    GatherVector(GatherVector&& o) : GatherBase(ReturnExceptions), tasks_(std::move(o.tasks_)) {}
    ~GatherVector() {
        if (nodes_) unlink_all(nodes_.get(), tasks_.size());
    }

    bool await_ready() {
        if (tasks_.empty()) return true;
        nodes_ = std::make_unique<Child[]>(tasks_.size());
        for (std::size_t i = 0; i < tasks_.size(); ++i) nodes_[i].p = promise_of(tasks_[i]);
        return prepare(nodes_.get(), tasks_.size());
    }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        suspend(h.promise(), h);
    }
    result_type await_resume() {
        check_outcome();
        if constexpr (std::is_void_v<result_type>) {
            for (auto& t : tasks_) gather_value(t);
        } else {
            result_type out;
            out.reserve(tasks_.size());
            for (auto& t : tasks_) {
                if constexpr (ReturnExceptions)
                    out.push_back(gather_outcome(t));
                else
                    out.push_back(gather_value(t));
            }
            return out;
        }
    }

private:
    std::vector<Task<T>> tasks_;
    std::unique_ptr<Child[]> nodes_;
};

}  // namespace detail

/// Python's asyncio.gather(*tasks): schedules the tasks not yet scheduled,
/// waits for all, and returns their results in argument order (void gives
/// std::monostate). The first exception (or cancellation) of a child is
/// raised at once; the other tasks keep running. Cancelling the awaiting task
/// cancels every child.
template <class... Ts>
detail::GatherTuple<false, Ts...> gather(Task<Ts>... tasks) {
    return detail::GatherTuple<false, Ts...>(std::move(tasks)...);
}

/// gather(return_exceptions, tasks...): every result is a
/// std::variant<value, std::exception_ptr>; a cancelled task gives a
/// CancelledError exception_ptr. Never raises because of a child.
template <class... Ts>
detail::GatherTuple<true, Ts...> gather(return_exceptions_t, Task<Ts>... tasks) {
    return detail::GatherTuple<true, Ts...>(std::move(tasks)...);
}

/// gather over a vector: std::vector<T> of results (void for Task<void>).
template <class T>
detail::GatherVector<false, T> gather(std::vector<Task<T>> tasks) {
    return detail::GatherVector<false, T>(std::move(tasks));
}

/// gather(return_exceptions, vector): std::vector<std::variant<value, std::exception_ptr>>.
template <class T>
detail::GatherVector<true, T> gather(return_exceptions_t, std::vector<Task<T>> tasks) {
    return detail::GatherVector<true, T>(std::move(tasks));
}

}  // namespace asyncio
