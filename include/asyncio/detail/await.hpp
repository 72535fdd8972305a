// asyncio/detail/await.hpp - the awaiter protocol, written once: every
// `co_await x` inside a Task goes through the promise's await_transform,
// which wraps the awaiter here.
//
// - This library's awaiters (derived from NativeAwaiter) get the task they
//   suspend, and never deal with cancellation on resumption: when the step
//   that resumes the task must raise CancelledError (`throw_cancel`), the
//   wrapper calls the awaiter's optional await_cancelled() and raises it.
// - Any other awaitable (a "foreign" one, which resumes the coroutine itself,
//   later) is awaited as it is; a cancel() that arrived meanwhile is raised
//   as CancelledError at that very co_await once it resumes, as CPython does.
//   Limit: while a foreign awaitable resumes the task directly, that stretch
//   of the coroutine runs outside a step (current_task() does not name it).
#pragma once

#include <asyncio/detail/awaitable_traits.hpp>
#include <asyncio/detail/promise.hpp>
#include <asyncio/exceptions.hpp>

#include <coroutine>
#include <type_traits>
#include <utility>

namespace asyncio {
template <class T>
class Future;
}

namespace asyncio::detail {

template <class T>
class FutureAwaiter;

template <class T>
struct is_future : std::false_type {};
template <class T>
struct is_future<Future<T>> : std::true_type {};

/// A native awaiter `A` (a value, or a reference to the awaitable itself,
/// which lives until the end of the full co_await expression).
template <class A>
class NativeAwait {
public:
    NativeAwait(A&& a, PromiseBase* task) noexcept(std::is_nothrow_move_constructible_v<A> || std::is_reference_v<A>)
        : aw_(std::forward<A>(a)), task_(task) {}
    /// Builds the awaiter in place from an awaitable that names it (see below).
    template <class Op>
    NativeAwait(std::in_place_t, Op&& op, PromiseBase* task) : aw_(std::forward<Op>(op)), task_(task) {}

    bool await_ready() { return aw_.await_ready(); }
    auto await_suspend(std::coroutine_handle<> h) { return aw_.await_suspend(h, *task_); }
    decltype(auto) await_resume() {
        if (task_->throw_cancel) [[unlikely]]
            raise_cancelled();
        return aw_.await_resume();
    }

private:
    [[noreturn, gnu::noinline]] void raise_cancelled() {
        task_->throw_cancel = false;
        if constexpr (requires { aw_.await_cancelled(); }) aw_.await_cancelled();
        throw CancelledError();
    }

    A aw_;
    PromiseBase* task_;
};

/// Any other awaiter: suspends the task with no Waiter (cancel() can then only
/// remember the request), and raises CancelledError once it resumes if a
/// cancel() came meanwhile.
template <class A>
class ForeignAwait {
public:
    ForeignAwait(A&& a, PromiseBase* task) : aw_(std::forward<A>(a)), task_(task) {}

    bool await_ready() { return aw_.await_ready(); }
    template <class P>
    auto await_suspend(std::coroutine_handle<P> h) {
        task_->suspend_on(h, nullptr);
        using R = decltype(aw_.await_suspend(h));
        if constexpr (std::is_same_v<R, bool>) {
            suspended_ = aw_.await_suspend(h);
            return suspended_;
        } else {
            suspended_ = true;
            return aw_.await_suspend(h);
        }
    }
    decltype(auto) await_resume() {
        if (suspended_ && task_->must_cancel) [[unlikely]] {
            task_->must_cancel = false;
            (void)aw_.await_resume();  // its own exception, if any, wins
            throw CancelledError();
        }
        return aw_.await_resume();
    }

private:
    A aw_;
    PromiseBase* task_;
    bool suspended_ = false;
};

template <class Aw>
decltype(auto) member_co_await(Aw&& aw) {
    return std::forward<Aw>(aw).operator co_await();
}

/// An awaitable of this library that is not itself an awaiter but names the
/// one to build from it (`awaiter_type`): the wrapper constructs that awaiter
/// in place, with no copy (the queues' get/put/join, on the hot path).
template <class Raw>
concept names_its_awaiter = requires { typename Raw::awaiter_type; };

/// What an operation returns when its awaiter needs only the object it acts
/// on (a queue's get() and join(), a Lock's or Semaphore's acquire()): an
/// awaitable naming its awaiter, which the task builds in place when it
/// awaits, so the wait-list node is never copied. A class with a
/// constructor, not an aggregate (docs/GCC12.md).
template <class Owner, class Awaiter>
class AwaitOp {
public:
    using awaiter_type = Awaiter;
    explicit AwaitOp(Owner& o) noexcept : owner_(&o) {}
    Owner& owner() const noexcept { return *owner_; }

private:
    Owner* owner_;
};

/// The promise's await_transform.
template <class Aw>
auto transform_awaitable(PromiseBase& frame, Aw&& aw) {
    PromiseBase* task = frame.root;
    using Raw = std::remove_cvref_t<Aw>;
    if constexpr (names_its_awaiter<Raw>) {
        return NativeAwait<typename Raw::awaiter_type>(std::in_place, std::forward<Aw>(aw), task);
    } else if constexpr (is_future<Raw>::value) {
        using A = FutureAwaiter<typename Raw::value_type>;
        return NativeAwait<A>(A(aw), task);
    } else if constexpr (requires { std::forward<Aw>(aw).operator co_await(); }) {
        using A = decltype(std::forward<Aw>(aw).operator co_await());
        if constexpr (std::is_base_of_v<NativeAwaiter, std::remove_cvref_t<A>>)
            return NativeAwait<A>(std::forward<Aw>(aw).operator co_await(), task);
        else
            return ForeignAwait<A>(std::forward<Aw>(aw).operator co_await(), task);
    } else if constexpr (std::is_base_of_v<NativeAwaiter, Raw>) {
        // By value: g++ 12 at -O3 loses temporaries that a co_await expression's
        // awaiter refers to (an item put with `co_await q.put(Job{...})` came out wrong).
        if constexpr (std::is_lvalue_reference_v<Aw>)
            return NativeAwait<Raw&>(aw, task);
        else
            return NativeAwait<Raw>(std::move(aw), task);
    } else {
        return ForeignAwait<Raw&>(aw, task);
    }
}

template <class Aw>
struct await_result {
    using type = decltype(transform_awaitable(std::declval<PromiseBase&>(), std::declval<Aw>()).await_resume());
};

}  // namespace asyncio::detail
