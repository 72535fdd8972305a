// asyncio/detail/handles.hpp - what the loop runs: ready-queue entries and the
// reference-counted callbacks behind Handle / TimerHandle (Python's
// events.Handle). The bottom of the events layer: it knows nothing of the loop.
#pragma once

#include <asyncio/detail/timer_heap.hpp>

#include <cstdio>
#include <exception>
#include <utility>

namespace asyncio {
class EventLoop;
}

namespace asyncio::detail {

/// One entry of the ready queue: a plain function and its argument. `run` is
/// false when the loop is closed with the entry still queued: the function
/// must then only release what it holds.
struct ReadyItem {
    void (*fn)(void* arg, bool run);
    void* arg;
};

/// Reports an exception that escaped a callback on stderr, as Python's loop
/// does through its default exception handler. Call inside a catch block.
inline void report_callback_exception() noexcept {
    try {
        throw;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "asyncio: exception in callback: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "asyncio: non-standard exception in callback\n");
    }
}

/// The state behind a Handle / TimerHandle, and behind every callback the loop
/// holds (call_soon, call_at, readers, writers, signal handlers): the callable,
/// a cancelled flag and, for call_later / call_at, the timer. Reference-counted
/// by the handles and the loop; single-threaded.
struct HandleState {
    virtual ~HandleState() = default;
    virtual void invoke() = 0;

    void add_ref() noexcept { ++refs; }
    void release() noexcept {
        if (--refs == 0) delete this;
    }

    /// Runs the callback unless cancelled; an exception escaping it is
    /// reported and swallowed.
    void run() noexcept {
        if (cancelled) return;
        try {
            invoke();
        } catch (...) {
            report_callback_exception();
        }
    }

    struct Timer : TimerNode {
        HandleState* owner = nullptr;
    };

    int refs = 1;
    bool cancelled = false;
    EventLoop* loop = nullptr;
    HandleState* next_posted = nullptr;  // in the loop's list of call_soon_threadsafe posts
    Timer timer;
};

template <class F>
struct HandleImpl final : HandleState {
    explicit HandleImpl(F f) : fn(std::move(f)) {}
    void invoke() override { fn(); }
    F fn;
};

/// A ready-queue function that runs a HandleState and drops the queue's
/// reference to it.
inline void run_handle(void* arg, bool run) {
    auto* s = static_cast<HandleState*>(arg);
    if (run) s->run();
    s->release();
}

}  // namespace asyncio::detail
