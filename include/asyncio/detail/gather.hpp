// asyncio/detail/gather.hpp - the awaiters behind asyncio::gather (Python's
// _GatheringFuture): a done-callback node per child, counted as they finish.
#pragma once

#include <asyncio/detail/await.hpp>
#include <asyncio/detail/promise.hpp>
#include <asyncio/detail/task_awaiters.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace asyncio {

template <class T>
class Task;

/// Tag for gather(): return exceptions as results (Python's
/// `gather(..., return_exceptions=True)`).
struct return_exceptions_t {
    explicit return_exceptions_t() = default;
};
inline constexpr return_exceptions_t return_exceptions{};

namespace detail {

template <class U>
PromiseBase* promise_of(const Task<U>& t) noexcept;

template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// The type-independent part of gather(): counts children as they finish
/// (through their done-callbacks, from the ready queue, as Python's
/// _done_callback) and wakes the awaiting task when the outer result is set.
class GatherBase : public NativeAwaiter, Waiter {
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
            if (children[i].linked()) children[i].unlink();
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

    void suspend(PromiseBase& task, std::coroutine_handle<> h) {
        for (std::size_t i = 0; i < n_; ++i)
            if (children_[i].p->loop != task.loop && !children_[i].p->is_done())
                throw std::runtime_error("gather() of a task attached to a different loop");
        task_ = &task;
        task_->suspend_on(h, this);
        for (std::size_t i = 0; i < n_; ++i)
            if (!children_[i].p->is_done()) children_[i].p->callbacks.push_back(&children_[i]);
    }

    /// Raises what the awaiting task must see instead of the results, if anything.
    void check_outcome() {
        if (outer_exc_) std::rethrow_exception(outer_exc_);
    }

private:
    static void on_child_done(DoneCallback* cb, bool run) {
        if (!run) return;
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
        return take_value<T>(*p, p->value_slot(), true);
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
    void await_suspend(std::coroutine_handle<> h, PromiseBase& task) { suspend(task, h); }
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
    void await_suspend(std::coroutine_handle<> h, PromiseBase& task) { suspend(task, h); }
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

}  // namespace asyncio
