// asyncio/tasks.hpp - coroutines and tasks (Python's asyncio.tasks): Task,
// create_task, current_task, all_tasks, sleep, gather, and (from
// detail/task_waits.hpp) wait, as_completed, shield. The machinery is in
// detail/: promise.hpp (a task's state and its step), await.hpp (the awaiter
// protocol), task_awaiters.hpp, sleep.hpp, gather.hpp.
#pragma once

#include <asyncio/detail/await.hpp>
#include <asyncio/detail/awaitable_traits.hpp>
#include <asyncio/detail/gather.hpp>
#include <asyncio/detail/promise.hpp>
#include <asyncio/detail/sleep.hpp>
#include <asyncio/detail/task_awaiters.hpp>
#include <asyncio/detail/task_waits.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
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
    template <class Aw>
    auto await_transform(Aw&& aw) {
        return transform_awaitable(*this, std::forward<Aw>(aw));
    }
    std::optional<T>& value_slot() noexcept { return value; }

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
    template <class Aw>
    auto await_transform(Aw&& aw) {
        return transform_awaitable(*this, std::forward<Aw>(aw));
    }
    std::nullptr_t value_slot() noexcept { return nullptr; }
};

}  // namespace detail

/// The return type of every coroutine of this library, and Python's Task.
///
/// `Task<int> f() { co_return 1; }` — calling `f()` runs nothing (lazy).
/// `co_await f()` runs the coroutine inline in the awaiting task, as Python's
/// `await f()`; `create_task(f())` schedules it as a task of its own, as
/// Python's `asyncio.create_task(f())`. A Task is a cheap handle with shared
/// ownership: copies refer to the same coroutine, and the loop keeps a
/// scheduled task alive until it is done, so dropping every handle neither
/// cancels nor leaks it. Limit: a task whose result (or a local kept to its
/// end) holds a handle of itself keeps itself alive (a reference cycle; no
/// garbage collector breaks it, as Python's would).
///
/// Ordering: a task's steps run from its loop's ready queue; the tasks and
/// done-callbacks waiting for a task are woken through the ready queue when
/// it is done.
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
    bool cancelled() const noexcept { return p_ && p_->is_cancelled(); }

    /// Requests cancellation: CancelledError is raised at the task's current
    /// co_await (at its first step if it has not started: it then never runs).
    /// Returns false if the task is already done.
    bool cancel() noexcept { return p_ && p_->cancel_task(); }

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
        return p_->get_exception();
    }

    /// Calls `fn(const Task&)` once the task is done, through the ready queue
    /// (at once, through the ready queue, if it is done). Returns an id for
    /// remove_done_callback. The task must have been scheduled.
    template <class F>
    std::uint64_t add_done_callback(F fn) {
        check();
        if (!p_->loop) throw InvalidStateError("add_done_callback() on a task that was never scheduled");
        using Node = detail::UserDoneCallback<Task, std::decay_t<F>>;
        auto* n = new Node(p_, std::move(fn));
        const std::uint64_t id = n->id;
        if (p_->is_done()) {
            try {
                p_->loop->call_soon([n] { Node::call(n, true); });
            } catch (...) {
                Node::call(n, false);
                throw;
            }
        } else {
            p_->callbacks.push_back(n);
        }
        return id;
    }
    /// Removes the callbacks added with this id; returns how many.
    std::size_t remove_done_callback(std::uint64_t id) noexcept { return p_ ? p_->remove_callback(id) : 0; }

    /// Python's get_name(): "Task-N" unless set_name() gave one.
    std::string get_name() const {
        check();
        return p_->get_name();
    }
    void set_name(std::string name) {
        check();
        p_->set_name(std::move(name));
    }

    /// Waits for the task (or runs it inline if it was never scheduled) and
    /// returns its value or rethrows its exception.
    detail::TaskAwaiter<T> operator co_await() const& noexcept { return detail::TaskAwaiter<T>(p_, false); }
    detail::TaskAwaiter<T> operator co_await() && noexcept { return detail::TaskAwaiter<T>(p_, true); }

    /// The loop that runs this task, or null if it was never scheduled.
    EventLoop* get_loop() const noexcept { return p_ ? p_->loop : nullptr; }

    friend bool operator==(const Task& a, const Task& b) noexcept { return a.p_ == b.p_; }

    /// A handle on the same task (for done-callbacks).
    static Task from_core(detail::FutureCore* c) noexcept { return Task(static_cast<detail::Promise<T>*>(c)); }

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

/// A task of any result type, as current_task() and all_tasks() return it
/// (Python's Task object, without its result). Copyable; shares ownership.
class TaskRef {
public:
    TaskRef() noexcept = default;
    template <class T>
    TaskRef(const Task<T>& t) noexcept : TaskRef(detail::promise_of(t)) {}
    explicit TaskRef(detail::PromiseBase* p) noexcept : p_(p) { if (p_) p_->add_ref(); }
    TaskRef(const TaskRef& o) noexcept : TaskRef(o.p_) {}
    TaskRef& operator=(TaskRef o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~TaskRef() { if (p_) p_->release(); }

    explicit operator bool() const noexcept { return p_ != nullptr; }
    bool done() const noexcept { return p_ && p_->is_done(); }
    bool cancelled() const noexcept { return p_ && p_->is_cancelled(); }
    bool cancel() noexcept { return p_ && p_->cancel_task(); }
    int cancelling() const noexcept { return p_ ? static_cast<int>(p_->num_cancels) : 0; }
    int uncancel() noexcept { return p_ ? p_->uncancel() : 0; }
    std::string get_name() const { return p_ ? p_->get_name() : std::string(); }
    EventLoop* get_loop() const noexcept { return p_ ? p_->loop : nullptr; }
    friend bool operator==(const TaskRef& a, const TaskRef& b) noexcept { return a.p_ == b.p_; }

private:
    detail::PromiseBase* p_ = nullptr;
};

namespace detail {

/// The tasks of `loop` that are not done, in the order they were scheduled:
/// the loop's resources that are tasks.
inline std::vector<PromiseBase*> pending_tasks(const EventLoop& loop) {
    std::vector<PromiseBase*> out;
    LoopAccess::resources(loop).for_each([&](ListNode* n) {
        auto* r = static_cast<LoopResource*>(n);
        if (r->on_close == PromiseBase::link_on_close()) out.push_back(PromiseBase::from_link(r));
    });
    return out;
}

}  // namespace detail

/// Python's asyncio.current_task(): the task whose step runs on this thread,
/// or an empty TaskRef.
inline TaskRef current_task() noexcept { return TaskRef(detail::current_task); }

/// Python's asyncio.all_tasks(): the tasks of the running loop that are not
/// done, in the order they were scheduled. Throws when no loop runs.
inline std::vector<TaskRef> all_tasks() {
    std::vector<TaskRef> out;
    for (detail::PromiseBase* p : detail::pending_tasks(get_running_loop())) out.emplace_back(p);
    return out;
}

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

/// Wraps any awaitable of this library into a coroutine.
template <class R, class Aw>
Task<R> wrap_awaitable(Aw aw) {
    if constexpr (std::is_void_v<R>)
        co_await std::move(aw);
    else
        co_return co_await std::move(aw);
}

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
    stopper.fn = [](detail::DoneCallback* cb, bool run) {
        if (run) static_cast<StopWhenDone*>(cb)->loop->stop();
    };
    if (!t.done()) t.p_->callbacks.push_back(&stopper);
    struct Unlink {
        detail::DoneCallback* cb;
        ~Unlink() {
            if (cb->linked()) cb->unlink();
        }
    } unlink{&stopper};
    if (!t.done()) run_forever();
    if (!t.done()) throw std::runtime_error("Event loop stopped before Future completed.");
    return detail::take_value<R>(*t.p_, t.p_->value_slot(), false);
}

// ---- free functions ---------------------------------------------------------

/// Python's asyncio.create_task: schedules `aw` on the running loop.
/// Throws std::runtime_error("no running event loop") outside a loop.
template <class Aw>
auto create_task(Aw&& aw) -> Task<detail::await_result_t<Aw>> {
    return get_running_loop().create_task(std::forward<Aw>(aw));
}

/// Python's asyncio.sleep(seconds). `sleep(0)` yields for exactly one loop
/// iteration.
inline detail::SleepAwaiter sleep(double seconds) noexcept { return detail::SleepAwaiter(seconds); }

template <class Rep, class Period>
detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> d) noexcept {
    return detail::SleepAwaiter(std::chrono::duration<double>(d).count());
}



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
