// asyncio/futures.hpp - Future (Python's asyncio.Future): a result that will
// be set later, with done-callbacks. The basic awaitable; a Task is a Future
// that drives a coroutine (tasks.hpp), and `co_await fut` inside a Task is
// defined there, as Python's Task.__step is what waits for a future.
#pragma once

#include <asyncio/detail/future_core.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace asyncio {

namespace detail {

/// Python's Future.cancel().
inline bool cancel_future(FutureCore* c) noexcept {
    if (c->state == FutureCore::State::done) return false;
    c->outcome = FutureCore::Outcome::cancelled;
    c->mark_done();
    return true;
}

template <class T>
struct FutureValue {
    std::optional<T> value;
};
template <>
struct FutureValue<void> {};

/// A Future's shared state: the core and, unless T is void, the value.
template <class T>
struct FutureState final : FutureCore, FutureValue<T> {
    FutureState() noexcept : FutureCore(&future_ops, State::pending) {}
    ~FutureState() { drop_callbacks(); }

    static void destroy(FutureCore* c) noexcept { delete static_cast<FutureState*>(c); }
    static constexpr FutureOps future_ops{&destroy, &cancel_future};
};

template <class T>
class FutureAwaiter;

}  // namespace detail

/// Python's asyncio.Future: pending until set_result, set_exception or
/// cancel; then done for good. A copyable handle with shared ownership, like
/// Task.
///
/// Ordering: done-callbacks run through the loop's ready queue, in the order
/// they were added, queued when the future completes (behind what is already
/// queued); one added to a done future is queued at once. A task awaiting a
/// future resumes the same way.
///
/// For example:
///
///     asyncio::Future<int> fut = loop.create_future<int>();
///     loop.call_later(0.1, [fut]() mutable { fut.set_result(42); });
///     int v = co_await fut;  // inside a Task: 42
///
/// Thread safety: a Future belongs to its loop's thread; distinct objects:
/// safe; shared objects: unsafe. From another thread, complete it through
/// loop.call_soon_threadsafe.
template <class T = void>
class Future {
    static_assert(!std::is_reference_v<T>, "Future<T&> is not supported; use a pointer or std::reference_wrapper");

public:
    using value_type = T;

    /// A pending future of the running loop. Throws std::runtime_error when
    /// no loop runs on this thread.
    Future() : Future(get_running_loop()) {}
    explicit Future(EventLoop& loop) : s_(new detail::FutureState<T>()) {
        s_->loop = &loop;
        s_->add_ref();
    }
    Future(const Future& o) noexcept : s_(o.s_) { s_->add_ref(); }
    Future(Future&& o) noexcept : s_(o.s_) { s_->add_ref(); }  // never empty
    Future& operator=(Future o) noexcept {
        std::swap(s_, o.s_);
        return *this;
    }
    ~Future() { s_->release(); }

    bool done() const noexcept { return s_->is_done(); }
    bool cancelled() const noexcept { return s_->is_cancelled(); }

    /// Cancels the future and queues its callbacks. False if already done.
    bool cancel() noexcept { return s_->cancel(); }

    /// Sets the value and queues the callbacks. InvalidStateError if done.
    template <class U = T>
        requires(!std::is_void_v<T> && std::is_constructible_v<T, U &&>)
    void set_result(U&& v) {
        check_pending();
        s_->value.emplace(std::forward<U>(v));
        s_->outcome = detail::FutureCore::Outcome::value;
        s_->mark_done();
    }
    void set_result()
        requires std::is_void_v<T>
    {
        check_pending();
        s_->outcome = detail::FutureCore::Outcome::value;
        s_->mark_done();
    }

    /// Sets the exception and queues the callbacks. InvalidStateError if done;
    /// std::invalid_argument for a null exception_ptr.
    void set_exception(std::exception_ptr e) {
        if (!e) throw std::invalid_argument("set_exception() needs an exception");
        check_pending();
        s_->exception = std::move(e);
        s_->outcome = detail::FutureCore::Outcome::exception;
        s_->mark_done();
    }

    /// The value (a copy); rethrows the exception; CancelledError if
    /// cancelled; InvalidStateError("Result is not set.") if not done.
    T result() const
        requires(std::is_void_v<T> || std::is_copy_constructible_v<T>)
    {
        s_->check_result();
        if constexpr (!std::is_void_v<T>) return *s_->value;
    }

    /// The exception, or null if a value was set; CancelledError if
    /// cancelled; InvalidStateError if not done.
    std::exception_ptr exception() const { return s_->get_exception(); }

    /// Calls `fn(const Future&)` once the future is done, through the ready
    /// queue. Returns an id for remove_done_callback.
    template <class F>
    std::uint64_t add_done_callback(F fn) {
        using Node = detail::UserDoneCallback<Future, std::decay_t<F>>;
        auto* n = new Node(s_, std::move(fn));
        const std::uint64_t id = n->id;
        if (s_->is_done()) {
            try {
                s_->loop->call_soon([n] { Node::call(n, true); });
            } catch (...) {
                Node::call(n, false);
                throw;
            }
        } else {
            s_->callbacks.push_back(n);
        }
        return id;
    }

    /// Removes the callbacks added with this id; returns how many (0 once the
    /// future is done: its callbacks are already queued, as in Python).
    std::size_t remove_done_callback(std::uint64_t id) noexcept { return s_->remove_callback(id); }

    EventLoop* get_loop() const noexcept { return s_->loop; }

    friend bool operator==(const Future& a, const Future& b) noexcept { return a.s_ == b.s_; }

    /// A handle on the same state (for done-callbacks).
    static Future from_core(detail::FutureCore* c) noexcept { return Future(static_cast<detail::FutureState<T>*>(c)); }

private:
    template <class U>
    friend class detail::FutureAwaiter;

    explicit Future(detail::FutureState<T>* s) noexcept : s_(s) { s_->add_ref(); }

    void check_pending() const {
        if (s_->is_done()) throw InvalidStateError("invalid state");
    }

    detail::FutureState<T>* s_;
};

template <class T>
Future<T> EventLoop::create_future() {
    check_closed();
    return Future<T>(*this);
}

}  // namespace asyncio
