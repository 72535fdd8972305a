// asyncio/detail/promise.hpp - the state every Task coroutine frame carries
// (Python's Task: a Future that drives a coroutine) and Python's Task.__step.
//
// A frame is either a *root* (scheduled with create_task: Python's Task) or a
// *child* (run inline by `co_await f()`: Python's `await coro()`). Both use
// the same promise; the root-only fields are simply unused in children, which
// saves an allocation per task.
#pragma once

#include <asyncio/detail/future_core.hpp>
#include <asyncio/detail/intrusive_list.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>

#include <atomic>
#include <cassert>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>

namespace asyncio::detail {

struct Waiter;

/// The operations of one kind of Waiter: one static table per awaiter type,
/// so an awaiter carries a single pointer, set with a single store.
struct WaiterOps {
    /// Cancels the wait. Returns true if the waiter took the cancellation: it
    /// then schedules the task's step, and either sets the task's
    /// `throw_cancel` (CancelledError is raised at the co_await) or lets what
    /// it waited for deliver the outcome (a cancelled task or future). Returns
    /// false if the wait is already over (woken, step scheduled): the task
    /// then remembers it must cancel (`must_cancel`).
    bool (*cancel)(Waiter*);
    /// Called by the task's step just before resuming the coroutine. Returns
    /// true if the waiter re-queued itself because what woke it was taken by
    /// someone else meanwhile (the re-check loop of Python's Queue.get/put);
    /// the task then stays suspended. May be null.
    bool (*rewait)(Waiter*);
    /// Called when the task's loop is closed while it waits: the waiter leaves
    /// whatever list outlives the loop (a queue's, an event's). May be null.
    void (*detach)(Waiter*);
};

/// What a suspended root task waits on (Python's Task._fut_waiter). Every
/// awaiter of this library that suspends a task derives from it.
struct Waiter {
    explicit Waiter(const WaiterOps* o) noexcept : ops(o) {}
    const WaiterOps* ops;
};

/// Tag base of this library's own awaiters. The promise's await_transform
/// wraps them (see await.hpp); they are written as
///     bool await_ready();
///     bool-or-void await_suspend(std::coroutine_handle<> h, PromiseBase& task);
///     T await_resume();               // the normal path only
///     void await_cancelled() noexcept // optional: the task resumes to raise
///                                     // CancelledError instead (pass a wake-up on)
struct NativeAwaiter {};

class PromiseBase;

/// The task whose step is running on this thread (Python's current_task()).
inline thread_local PromiseBase* current_task = nullptr;

/// Names "Task-N" (Python's _task_name_counter), across threads.
std::uint64_t next_task_number() noexcept;

/// A root task's entry in its loop's list of what the loop keeps alive.
struct TaskLink : LoopResource {};

class PromiseBase : public FutureCore, private TaskLink {
public:
    PromiseBase() noexcept : FutureCore(&task_ops, State::lazy) { on_close = &abandon; }
    ~PromiseBase() {
        drop_callbacks();
        delete name;
    }

    /// Python's Task.cancel() (without a message).
    bool cancel_task() noexcept {
        if (state == State::done) return false;
        if (state == State::child) return root->cancel_task();
        ++num_cancels;
        if (state == State::pending && fut_waiter && fut_waiter->ops->cancel(fut_waiter)) return true;
        must_cancel = true;
        return true;
    }

    /// Python's Task.uncancel().
    int uncancel() noexcept {
        if (num_cancels > 0 && --num_cancels == 0) must_cancel = false;
        return static_cast<int>(num_cancels);
    }

    /// Suspends this task (a root) on `w`: the step will resume `h`.
    void suspend_on(std::coroutine_handle<> h, Waiter* w) noexcept {
        resume_at = h;
        fut_waiter = w;
    }

    /// Schedules this task's next step through the loop's ready queue.
    void schedule_step() { LoopAccess::push_ready(*loop, &step_thunk, this); }

    /// Makes this lazy frame a task of `l` and schedules its first step.
    void start_task(EventLoop* l) {
        assert(state == State::lazy);
        LoopAccess::check_closed(*l);
        LoopAccess::push_ready(*l, &step_thunk, this);  // may throw (allocation): do it first
        state = State::pending;
        loop = l;
        root = this;
        resume_at = self;
        number = next_task_number();
        add_ref();  // the loop's reference, dropped when the task is done
        LoopAccess::keep(*l, static_cast<TaskLink*>(this));
    }

    /// Python's Task.__step.
    void step() {
        assert(state == State::pending);
        Waiter* w = std::exchange(fut_waiter, nullptr);
        // The common path: started, no cancellation; then the waiter's re-check.
        if (must_cancel | throw_cancel | unstarted) [[unlikely]] {
            if (!first_or_cancelled_step(w)) return;
        } else if (w && w->ops->rewait && w->ops->rewait(w)) {
            fut_waiter = w;
            return;
        }
        add_ref();
        PromiseBase* prev = std::exchange(current_task, this);
        resume_at.resume();
        current_task = prev;
        // The coroutine asked to cancel itself while running: cancel what it now waits on.
        if (must_cancel && state == State::pending && fut_waiter && fut_waiter->ops->cancel(fut_waiter))
            must_cancel = false;
        release();
    }

    /// The step of a task that has not started or must raise CancelledError:
    /// false if the body must not be resumed (it waits again, or never runs).
    [[gnu::noinline]] bool first_or_cancelled_step(Waiter* w) {
        if (must_cancel) {
            must_cancel = false;
            throw_cancel = true;
        } else if (!throw_cancel && w && w->ops->rewait && w->ops->rewait(w)) {
            fut_waiter = w;  // a first step never has a waiter: this is a later one
            return false;
        }
        if (unstarted && throw_cancel) {  // cancelled before its first step: the body never runs
            throw_cancel = false;
            outcome = Outcome::cancelled;
            finish();
            return false;
        }
        unstarted = false;
        return true;
    }

    /// A root task finished: record it, queue the done-callbacks (the tasks
    /// waiting for it among them) and drop the loop's reference.
    void finish() noexcept {
        if (outcome == Outcome::value && must_cancel) outcome = Outcome::cancelled;  // as Python
        must_cancel = false;
        LoopAccess::let_go(static_cast<TaskLink*>(this));
        mark_done();
        release();
    }

    void store_exception() noexcept {
        exception = std::current_exception();
        outcome = Outcome::exception;
        if (state == State::pending) {
            try {
                throw;
            } catch (const CancelledError&) {
                outcome = Outcome::cancelled;
            } catch (...) {
            }
        }
    }

    /// Python's get_name(): the name given, or "Task-N".
    std::string get_name() const { return name ? *name : "Task-" + std::to_string(number); }
    void set_name(std::string n) {
        if (name)
            *name = std::move(n);
        else
            name = new std::string(std::move(n));
    }

    static PromiseBase* from_link(LoopResource* r) noexcept { return static_cast<PromiseBase*>(static_cast<TaskLink*>(r)); }
    /// Tells tasks from the loop's other resources.
    static auto link_on_close() noexcept { return &abandon; }

    // Ownership: references from Task handles, from the loop while the task
    // is pending, and from a step or callback run in progress.
    bool must_cancel = false;   // root: cancel() arrived when nothing could take it
    bool throw_cancel = false;  // root: the step now resuming must raise CancelledError
    bool unstarted = true;      // root: its first step has not run
    bool sync_start = false;    // child: still inside the parent's await_suspend
    std::uint32_t num_cancels = 0;  // root: Python's _num_cancels_requested
    PromiseBase* root = this;               // the task this frame runs in
    std::coroutine_handle<> self;           // this frame
    union {
        // root: the innermost suspended frame, which the step resumes;
        // child: the frame awaiting it (its continuation).
        std::coroutine_handle<> resume_at{};
        PromiseBase* next_to_destroy;  // once unreferenced: in destroy()'s queue
    };
    Waiter* fut_waiter = nullptr;           // root: what it waits on, or null
    std::uint64_t number = 0;               // root: N of "Task-N"
    std::string* name = nullptr;            // root: set_name()'s, if any

private:
    static void step_thunk(void* p, bool run) {
        if (run) static_cast<PromiseBase*>(p)->step();
    }

    /// The last reference is gone: destroy the frame. A frame destroyed
    /// while another is being destroyed (a task holding the handle of the one
    /// it awaited, a chain of 100,000 of them) is queued and destroyed after
    /// it, so freeing a chain never recurses.
    static void destroy(FutureCore* c) noexcept {
        auto* p = static_cast<PromiseBase*>(c);
        static thread_local PromiseBase* queued = nullptr;
        static thread_local bool destroying = false;
        if (destroying) {
            p->next_to_destroy = queued;
            queued = p;
            return;
        }
        destroying = true;
        p->self.destroy();
        while (PromiseBase* q = queued) {
            queued = q->next_to_destroy;
            q->self.destroy();
        }
        destroying = false;
    }
    static bool cancel_fn(FutureCore* c) noexcept { return static_cast<PromiseBase*>(c)->cancel_task(); }
    static constexpr FutureOps task_ops{&destroy, &cancel_fn};

    // The loop was closed while this task was pending: it will never run again.
    static void abandon(LoopResource* r) noexcept {
        PromiseBase* self = from_link(r);
        if (Waiter* w = std::exchange(self->fut_waiter, nullptr); w && w->ops->detach) w->ops->detach(w);
        self->state = State::done;
        self->outcome = Outcome::cancelled;
        self->drop_callbacks();
        self->loop = nullptr;
        self->release();
    }
};

inline std::uint64_t next_task_number() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// The awaiter returned by final_suspend: a child transfers control back to
/// its awaiting frame; a root finishes the task.
struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
        PromiseBase& p = h.promise();
        if (p.state == PromiseBase::State::child) {
            p.state = PromiseBase::State::done;
            // Finished inside the awaiter's await_suspend: return there, and
            // it continues the parent without suspending it. Otherwise
            // resume the parent, which waited.
            if (p.sync_start) return std::noop_coroutine();
            return p.resume_at;  // the parent's frame
        }
        p.finish();  // may destroy the frame: touch nothing after this
        return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
};

/// Returns the root task of the awaiting frame without suspending.
struct CurrentTaskAwaiter : NativeAwaiter {
    PromiseBase* task = nullptr;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<>, PromiseBase& t) noexcept {
        task = &t;
        return false;
    }
    PromiseBase* await_resume() const noexcept { return task; }
};

}  // namespace asyncio::detail
