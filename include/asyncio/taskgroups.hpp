// asyncio/taskgroups.hpp - TaskGroup (Python 3.13's asyncio.taskgroups):
// run tasks as a group, wait for all of them, cancel the rest on the first
// failure, raise the failures together as an ExceptionGroup.
#pragma once

#include <asyncio/detail/intrusive_list.hpp>
#include <asyncio/detail/promise.hpp>
#include <asyncio/detail/wait_list.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/tasks.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio {

class TaskGroup;

/// What TaskGroup::create_task returns: the task, as a Task<T> that may be
/// discarded (the group keeps it and waits for it, so dropping the handle
/// loses nothing; Task<T> itself is [[nodiscard]]).
template <class T>
class GroupTask : public Task<T> {
public:
    explicit GroupTask(Task<T> t) noexcept : Task<T>(std::move(t)) {}
};

namespace detail {
template <class R, class F>
Task<R> run_task_group(F body);
}

/// Python's asyncio.TaskGroup. C++ has no asynchronous destructor, so the
/// group exists only as the argument of its body, and the body is awaited
/// through task_group(), which then waits for the group (Python's
/// `__aexit__`): forgetting to wait is impossible.
///
/// For example:
///
///     co_await asyncio::task_group([&](asyncio::TaskGroup& tg) -> asyncio::Task<> {
///         tg.create_task(fetch(1));
///         tg.create_task(fetch(2));
///         co_return;
///     });  // both tasks are done here
///
/// Semantics (Python 3.13's, including gh-95289 and gh-116720): the body runs
/// inline in the awaiting task (the "parent"). The first task that fails with
/// an exception other than CancelledError cancels the other tasks and the
/// parent (once); once every task is done, the failures are raised as one
/// ExceptionGroup ("unhandled errors in a TaskGroup"), in the order they
/// happened, followed by the body's own exception if it failed. A
/// cancellation of the parent from outside cancels the tasks and is raised as
/// CancelledError when there are no failures; the group's own cancellation of
/// the parent is taken back with uncancel(), so nested groups and timeouts
/// count correctly.
///
/// Ordering: the tasks start in the order they are created; the group learns
/// that a task is done from its done-callback (through the ready queue) and
/// wakes the parent through the ready queue. On a failure, the tasks still
/// running are cancelled in creation order (Python: the order of a set).
///
/// Limit: the TaskGroup& must not be used once task_group() has returned
/// (the group then no longer exists); the tasks of the group may use it, as
/// the group outlives them.
///
/// Thread safety: a TaskGroup belongs to its loop's thread. Distinct objects:
/// safe. Shared objects: unsafe.
class TaskGroup {
public:
    TaskGroup(const TaskGroup&) = delete;
    TaskGroup& operator=(const TaskGroup&) = delete;
    ~TaskGroup() {
        // Only if the parent's frame is destroyed while it waits (its loop closed).
        while (auto* l = static_cast<Link*>(tasks_.pop_front())) {
            Member* m = l->owner;
            if (m->linked()) m->unlink();
        }
    }

    /// Python's tg.create_task(coro, name=...): schedules `aw` on the loop and
    /// adds the task to the group. std::runtime_error if the group is shutting
    /// down (a task failed, or the parent was cancelled) or finished.
    template <class Aw>
    auto create_task(Aw&& aw) -> GroupTask<detail::await_result_t<Aw>> {
        check_open();
        auto t = loop_->create_task(std::forward<Aw>(aw));
        add(detail::promise_of(t));
        return GroupTask<detail::await_result_t<Aw>>(std::move(t));
    }
    template <class Aw>
    auto create_task(Aw&& aw, std::string name) -> GroupTask<detail::await_result_t<Aw>> {
        check_open();
        auto t = loop_->create_task(std::forward<Aw>(aw));
        t.set_name(std::move(name));
        add(detail::promise_of(t));
        return GroupTask<detail::await_result_t<Aw>>(std::move(t));
    }

    /// Python's repr(tg): "<TaskGroup tasks=2 errors=1 cancelling>".
    std::string repr() const {
        std::string s = "<TaskGroup";
        if (n_tasks_) s += " tasks=" + std::to_string(n_tasks_);
        if (!errors_.empty()) s += " errors=" + std::to_string(errors_.size());
        if (aborting_)
            s += " cancelling";
        else
            s += " entered";
        return s + '>';
    }

private:
    template <class R, class F>
    friend Task<R> detail::run_task_group(F body);

    // One task of the group: a done-callback in the task, and a link in the
    // group's list of tasks not done yet (Python's _tasks).
    struct Member;
    struct Link : detail::ListNode {
        Member* owner;
    };
    struct Member : detail::DoneCallback {
        TaskGroup* group = nullptr;
        detail::PromiseBase* task = nullptr;
        Link link{};
        Member* next_free = nullptr;
    };

    // Members come from blocks owned by the group (16, 32, ... up to 1024 at a time) and go
    // back to a free list when their task is done: about one allocation per 1024 tasks.
    Member* new_member() {
        if (!free_) {
            const std::size_t n = blocks_.empty() ? 16 : std::min<std::size_t>(1024, 2 * block_size_);
            blocks_.push_back(std::make_unique<Member[]>(n));
            block_size_ = n;
            Member* b = blocks_.back().get();
            for (std::size_t i = n; i-- > 0;) {
                b[i].next_free = free_;
                free_ = &b[i];
            }
        }
        Member* m = free_;
        free_ = m->next_free;
        return m;
    }
    void free_member(Member* m) noexcept {
        m->next_free = free_;
        free_ = m;
    }

    // Waits until the group has no task left (Python's _on_completed_fut).
    class EmptyAwaiter : detail::WaitNode {
    public:
        explicit EmptyAwaiter(TaskGroup& g) noexcept : g_(&g) {}
        bool await_ready() const noexcept { return g_->n_tasks_ == 0; }
        void await_suspend(std::coroutine_handle<> h, detail::PromiseBase& task) { wait_on(g_->waiter_.list(), task, h); }
        void await_resume() noexcept { state = State::idle; }
        void await_cancelled() noexcept { cancelled_after_wake(); }

    private:
        TaskGroup* g_;
    };

    explicit TaskGroup(detail::PromiseBase* parent) noexcept : parent_(parent), loop_(parent->loop) {}

    void check_open() const {
        if (exiting_ && n_tasks_ == 0) throw std::runtime_error("TaskGroup " + repr() + " is finished");
        if (aborting_) throw std::runtime_error("TaskGroup " + repr() + " is shutting down");
    }

    void add(detail::PromiseBase* p) {
        if (p->is_done()) return task_done(p);
        Member* m = new_member();
        m->fn = &on_done;
        m->group = this;
        m->task = p;
        m->link.owner = m;
        p->callbacks.push_back(m);
        tasks_.push_back(&m->link);
        ++n_tasks_;
    }

    static void on_done(detail::DoneCallback* cb, bool run) {
        auto* m = static_cast<Member*>(cb);
        TaskGroup* g = m->group;
        detail::PromiseBase* p = m->task;
        m->link.unlink();
        --g->n_tasks_;
        g->free_member(m);
        if (!run) return;  // the loop is closing
        if (g->n_tasks_ == 0) g->waiter_.wake_one();
        g->task_done(p);
    }

    // Python's _on_task_done, after the task left the set.
    void task_done(detail::PromiseBase* p) {
        if (p->outcome != detail::PromiseBase::Outcome::exception) return;
        errors_.push_back(p->exception);
        // (Python reports an error whose parent is already done; here the
        // group lives in the parent's frame, so the parent cannot be done.)
        if (!aborting_ && !parent_cancel_requested_) {
            abort();
            parent_cancel_requested_ = true;
            parent_->cancel_task();
        }
    }

    void abort() noexcept {
        aborting_ = true;
        tasks_.for_each([](detail::ListNode* n) {
            detail::PromiseBase* p = static_cast<Link*>(n)->owner->task;
            if (!p->is_done()) p->cancel_task();
        });
    }

    /// Python's __aexit__: `exc` is what the body raised (null if nothing),
    /// `exc_cancelled` whether it is a CancelledError.
    Task<> exit(std::exception_ptr exc, bool exc_cancelled) {
        exiting_ = true;
        std::exception_ptr propagate_cancel = exc_cancelled ? exc : nullptr;
        if (exc && !aborting_) abort();
        while (n_tasks_ != 0) {
            try {
                co_await EmptyAwaiter(*this);
            } catch (const CancelledError&) {
                if (!aborting_) {
                    propagate_cancel = std::current_exception();
                    abort();
                }
            }
        }
        if (parent_cancel_requested_ && parent_->uncancel() == 0) propagate_cancel = nullptr;
        if (propagate_cancel && errors_.empty()) std::rethrow_exception(propagate_cancel);
        if (exc && !exc_cancelled) errors_.push_back(exc);
        if (!errors_.empty()) {
            if (parent_->num_cancels != 0) {
                // Python: uncancel() then cancel(), so that the cancellation
                // is raised at the parent's next co_await.
                parent_->uncancel();
                parent_->cancel_task();
            }
            throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors_));
        }
    }

    detail::PromiseBase* parent_;
    EventLoop* loop_;
    detail::IntrusiveList tasks_;  // Links of the tasks not done, in creation order
    std::size_t n_tasks_ = 0;
    std::vector<std::exception_ptr> errors_;
    detail::WaitList waiter_;  // the parent, while it waits in exit()
    std::vector<std::unique_ptr<Member[]>> blocks_;
    std::size_t block_size_ = 0;
    Member* free_ = nullptr;
    bool exiting_ = false;
    bool aborting_ = false;
    bool parent_cancel_requested_ = false;
};

namespace detail {

template <class F>
using task_group_result_t = await_result_t<std::invoke_result_t<F&, TaskGroup&>>;

template <class R, class F>
Task<R> run_task_group(F body) {
    PromiseBase* parent = co_await CurrentTaskAwaiter{};
    TaskGroup tg(parent);
    std::optional<std::conditional_t<std::is_void_v<R>, char, R>> result;
    std::exception_ptr exc;
    bool exc_cancelled = false;
    try {
        if constexpr (std::is_void_v<R>) {
            co_await std::invoke(body, tg);
            result.emplace();
        } else {
            result.emplace(co_await std::invoke(body, tg));
        }
    } catch (const CancelledError&) {
        exc = std::current_exception();
        exc_cancelled = true;
    } catch (...) {
        exc = std::current_exception();
    }
    co_await tg.exit(exc, exc_cancelled);
    if (exc) std::rethrow_exception(exc);  // a CancelledError the group let through as it is
    if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}

}  // namespace detail

/// Python's `async with asyncio.TaskGroup() as tg: <body>`: runs
/// `body(TaskGroup&)` (a callable returning an awaitable, usually a
/// coroutine lambda returning Task<R>) in the awaiting task, then waits for
/// every task of the group; returns the body's result. Raises ExceptionGroup
/// if tasks (or the body) failed, CancelledError if the awaiting task was
/// cancelled (see TaskGroup).
template <class F>
auto task_group(F body) -> Task<detail::task_group_result_t<F>> {
    return detail::run_task_group<detail::task_group_result_t<F>>(std::move(body));
}

}  // namespace asyncio
