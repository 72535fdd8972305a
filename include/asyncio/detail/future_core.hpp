// asyncio/detail/future_core.hpp - what every Future and every Task is made of
// (Python's futures.Future): a state, an outcome, done-callbacks, a loop.
//
// Waiting for a future is one mechanism for the whole library: a DoneCallback
// node linked into `callbacks`, run through the loop's ready queue when the
// future completes (never inline), behind what is already queued. Tasks,
// gather, wait_for, run() and every I/O operation wait that way.
#pragma once

#include <asyncio/detail/intrusive_list.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>

#include <cstdint>
#include <exception>
#include <utility>

namespace asyncio::detail {

class FutureCore;

/// A callback run when a future is done. Embedded in whoever waits (an
/// awaiter, gather's per-child node: no allocation) or allocated by
/// add_done_callback (`id` != 0). `fn(node, run)` is called once: with run =
/// true from the ready queue, or with run = false when the future is
/// destroyed or its loop closes first (then it only releases what it holds).
struct DoneCallback : ListNode {
    void (*fn)(DoneCallback*, bool run) = nullptr;
    std::uint64_t id = 0;
};

/// What differs between a plain Future and a Task: how it is destroyed and
/// how it is cancelled.
struct FutureOps {
    void (*destroy)(FutureCore*) noexcept;
    bool (*cancel)(FutureCore*) noexcept;
};

class FutureCore {
public:
    /// lazy    - a task created and not started (calling a coroutine runs nothing);
    /// child   - a task running inline inside another task's `co_await`;
    /// pending - a future not done, a task scheduled and not done;
    /// done    - finished, see `outcome`.
    /// Plain futures are only ever pending or done.
    enum class State : std::uint8_t { lazy, child, pending, done };
    enum class Outcome : std::uint8_t { none, value, exception, cancelled };

    FutureCore(const FutureOps* o, State s) noexcept : ops(o), state(s) {}
    FutureCore(const FutureCore&) = delete;
    FutureCore& operator=(const FutureCore&) = delete;

    void add_ref() noexcept { ++refs; }
    void release() noexcept {
        if (--refs == 0) ops->destroy(this);
    }

    bool is_done() const noexcept { return state == State::done; }
    bool is_cancelled() const noexcept { return state == State::done && outcome == Outcome::cancelled; }
    bool cancel() noexcept { return ops->cancel(this); }

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

    /// Python's Future.exception(): null if it has a value.
    std::exception_ptr get_exception() const {
        if (state != State::done) throw InvalidStateError("Exception is not set.");
        if (outcome == Outcome::cancelled) check_result();
        return outcome == Outcome::exception ? exception : nullptr;
    }

    /// Marks the future done and queues its callbacks, in the order they were
    /// added, as one ready-queue entry (Python queues one call_soon each; the
    /// order is the same, as nothing can come between them).
    void mark_done() noexcept {
        state = State::done;
        if (callbacks.empty()) return;
        add_ref();
        try {
            LoopAccess::push_ready(*loop, &run_callbacks, this);
        } catch (...) {  // out of memory: run them now rather than never
            run_callbacks(this, true);
        }
    }

    /// Removes the callbacks added by add_done_callback with this id; 0 once
    /// done (the callbacks are queued then, as in Python).
    std::size_t remove_callback(std::uint64_t id) noexcept {
        if (state == State::done) return 0;
        std::size_t n = 0;
        IntrusiveList keep;
        while (auto* cb = static_cast<DoneCallback*>(callbacks.pop_front())) {
            if (cb->id == id) {
                cb->fn(cb, false);
                ++n;
            } else {
                keep.push_back(cb);
            }
        }
        while (ListNode* cb = keep.pop_front()) callbacks.push_back(cb);
        return n;
    }

    /// Lets go of callbacks that will never run (destruction, loop closed).
    void drop_callbacks() noexcept {
        while (auto* cb = static_cast<DoneCallback*>(callbacks.pop_front())) cb->fn(cb, false);
    }

    const FutureOps* ops;
    std::uint32_t refs = 0;
    State state;
    Outcome outcome = Outcome::none;
    EventLoop* loop = nullptr;
    std::exception_ptr exception;
    IntrusiveList callbacks;  // DoneCallbacks to run when done

private:
    static void run_callbacks(void* p, bool run) {
        auto* self = static_cast<FutureCore*>(p);
        while (auto* cb = static_cast<DoneCallback*>(self->callbacks.pop_front())) cb->fn(cb, run);
        self->release();
    }
};

/// A next id for add_done_callback (unique on this thread; never 0).
inline std::uint64_t next_callback_id() noexcept {
    static thread_local std::uint64_t last = 0;
    return ++last;
}

/// The node behind add_done_callback(fn): calls fn(Handle) once, from the ready queue.
template <class Handle, class F>
struct UserDoneCallback final : DoneCallback {
    UserDoneCallback(FutureCore* c, F f) : core(c), fn_(std::move(f)) {
        fn = &call;
        id = next_callback_id();
    }
    static void call(DoneCallback* cb, bool run) {
        auto* self = static_cast<UserDoneCallback*>(cb);
        if (run) {
            try {
                self->fn_(Handle::from_core(self->core));
            } catch (...) {
                report_callback_exception();
            }
        }
        delete self;
    }
    FutureCore* core;
    F fn_;
};

}  // namespace asyncio::detail
