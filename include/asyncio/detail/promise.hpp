// asyncio/detail/promise.hpp - the state every Task coroutine frame carries.
//
// A frame is either a *root* (scheduled with create_task: Python's Task) or a
// *child* (run inline by `co_await f()`: Python's `await coro()`). Both use
// the same promise; the root-only fields are simply unused in children, which
// saves an allocation per task.
#pragma once

#include <asyncio/detail/intrusive_list.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>

#include <cassert>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace asyncio::detail {

struct Waiter;

/// The operations of one kind of Waiter: one static table per awaiter type,
/// so an awaiter carries a single pointer, set with a single store.
struct WaiterOps {
    /// Cancels the wait. Returns true if the waiter took the cancellation: it
    /// then schedules the task's step, which raises CancelledError at the
    /// co_await. Returns false if the wait is already over (woken, step
    /// scheduled): the task then remembers it must cancel (`must_cancel`).
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
/// awaiter that suspends a task derives from it and is its own wait-list node.
struct Waiter {
    explicit Waiter(const WaiterOps* o) noexcept : ops(o) {}
    const WaiterOps* ops;
};

/// A callback run when a task is done, from the ready queue (never inline).
struct DoneCallback : ListNode {
    void (*fn)(DoneCallback*) = nullptr;
};

class PromiseBase {
public:
    /// lazy    - created, not started (calling a coroutine runs nothing);
    /// child   - running inline inside another task's `co_await`;
    /// pending - scheduled as a task of its own, not done;
    /// done    - finished (child or task), see `outcome`.
    enum class State : std::uint8_t { lazy, child, pending, done };
    enum class Outcome : std::uint8_t { none, value, exception, cancelled };

    PromiseBase() noexcept {
        link.abandon = &abandon;
        link.owner = this;
    }
    PromiseBase(const PromiseBase&) = delete;
    PromiseBase& operator=(const PromiseBase&) = delete;

    void add_ref() noexcept { ++refs; }
    /// Drops a reference; the last one destroys the frame. A frame destroyed
    /// while another is being destroyed (a task holding the handle of the one
    /// it awaited, a chain of 100,000 of them) is queued and destroyed after
    /// it, so freeing a chain never recurses.
    void release() noexcept {
        if (--refs != 0) return;
        static thread_local PromiseBase* queued = nullptr;
        static thread_local bool destroying = false;
        if (destroying) {
            next_to_destroy = queued;
            queued = this;
            return;
        }
        destroying = true;
        self.destroy();
        while (PromiseBase* p = queued) {
            queued = p->next_to_destroy;
            p->self.destroy();
        }
        destroying = false;
    }

    bool is_done() const noexcept { return state == State::done; }

    static PromiseBase* from_link(TaskLink* l) noexcept { return static_cast<Link*>(l)->owner; }

    /// Python's Task.cancel() (without a message).
    bool cancel() noexcept {
        if (state == State::done) return false;
        if (state == State::child) return root->cancel();
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

    /// Throws unless the outcome is a value: InvalidStateError when not done,
    /// CancelledError when cancelled, or the stored exception.
    void check_result() const {
        if (state != State::done) throw InvalidStateError("Result is not set.");
        if (outcome == Outcome::cancelled) {
            if (exception) std::rethrow_exception(exception);
            throw CancelledError();
        }
        if (outcome == Outcome::exception) std::rethrow_exception(exception);
    }

    /// Called by an awaiter's await_resume(): true if the step that resumed
    /// the task was asked to raise CancelledError (Python's _must_cancel).
    bool take_cancel() noexcept { return std::exchange(throw_cancel, false); }

    /// Suspends this task (a root) on `w`: the step will resume `h`.
    void suspend_on(std::coroutine_handle<> h, Waiter* w) noexcept {
        resume_at = h;
        fut_waiter = w;
    }

    /// Schedules this task's next step through the loop's ready queue.
    void schedule_step() { loop->push_ready(&step_thunk, this); }

    /// Makes this lazy frame a task of `l` and schedules its first step.
    void start_task(EventLoop* l) {
        assert(state == State::lazy);
        l->check_closed();
        l->push_ready(&step_thunk, this);  // may throw (allocation): do it first
        state = State::pending;
        loop = l;
        root = this;
        resume_at = self;
        add_ref();  // the loop's reference, dropped when the task is done
        l->add_task(&link);
    }

    /// Python's Task.__step.
    void step() {
        assert(state == State::pending);
        Waiter* w = std::exchange(fut_waiter, nullptr);
        if (must_cancel) {
            must_cancel = false;
            throw_cancel = true;
        } else if (w && w->ops->rewait && w->ops->rewait(w)) {
            fut_waiter = w;
            return;
        }
        if (!started && throw_cancel) {  // cancelled before its first step: the body never runs
            throw_cancel = false;
            outcome = Outcome::cancelled;
            finish();
            return;
        }
        started = true;
        add_ref();
        void* prev = std::exchange(loop->current_task, this);
        resume_at.resume();
        loop->current_task = prev;
        // The coroutine asked to cancel itself while running: cancel what it now waits on.
        if (state == State::pending && must_cancel && fut_waiter && fut_waiter->ops->cancel(fut_waiter))
            must_cancel = false;
        release();
    }

    /// A root task finished: record it, wake the tasks waiting for it (through
    /// the ready queue) and drop the loop's reference.
    void finish() noexcept {
        if (outcome == Outcome::value && must_cancel) outcome = Outcome::cancelled;  // as Python
        must_cancel = false;
        state = State::done;
        loop->remove_task(&link);
        if (!callbacks.empty()) {
            add_ref();
            try {
                loop->push_ready(&run_callbacks, this);
            } catch (...) {  // out of memory: run them now rather than never
                run_callbacks(this, true);
            }
        }
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

    // Ownership: references from Task handles, from the loop while the task
    // is pending, and from a step or callback run in progress.
    std::uint32_t refs = 0;
    State state = State::lazy;
    Outcome outcome = Outcome::none;
    bool must_cancel = false;   // root: cancel() arrived when nothing could take it
    bool throw_cancel = false;  // root: the step now resuming must raise CancelledError
    bool started = false;       // root: its first step ran
    bool sync_start = false;    // child: still inside the parent's await_suspend
    std::uint32_t num_cancels = 0;  // root: Python's _num_cancels_requested
    EventLoop* loop = nullptr;
    PromiseBase* root = this;               // the task this frame runs in
    std::coroutine_handle<> self;           // this frame
    std::coroutine_handle<> continuation;   // child: the frame awaiting it
    std::coroutine_handle<> resume_at;      // root: the innermost suspended frame
    Waiter* fut_waiter = nullptr;           // root: what it waits on, or null
    PromiseBase* next_to_destroy = nullptr; // in release()'s queue of frames to destroy
    std::exception_ptr exception;
    IntrusiveList callbacks;  // DoneCallbacks to run when done
    struct Link : TaskLink {
        PromiseBase* owner = nullptr;
    };
    Link link;  // in the loop's list of pending tasks

private:
    static void step_thunk(void* p, bool run) {
        if (run) static_cast<PromiseBase*>(p)->step();
    }

    static void run_callbacks(void* p, bool run) {
        auto* self = static_cast<PromiseBase*>(p);
        if (run) {
            while (auto* cb = static_cast<DoneCallback*>(self->callbacks.pop_front())) cb->fn(cb);
        }
        self->release();
    }

    // The loop was closed while this task was pending: it will never run again.
    static void abandon(TaskLink* l) noexcept {
        PromiseBase* self = from_link(l);
        if (Waiter* w = std::exchange(self->fut_waiter, nullptr); w && w->ops->detach) w->ops->detach(w);
        self->state = State::done;
        self->outcome = Outcome::cancelled;
        self->callbacks.clear();
        self->loop = nullptr;
        self->release();
    }
};

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
            return p.continuation;
        }
        p.finish();  // may destroy the frame: touch nothing after this
        return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
};

template <class T>
class Promise;

/// Returns the root task of the awaiting frame without suspending.
struct CurrentTaskAwaiter {
    PromiseBase* task = nullptr;
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        static_assert(std::is_base_of_v<PromiseBase, P>, "asyncio awaitables can only be awaited inside an asyncio::Task coroutine");
        task = h.promise().root;
        return false;
    }
    PromiseBase* await_resume() const noexcept { return task; }
};

}  // namespace asyncio::detail
