// asyncio/threads.hpp - to_thread and run_coroutine_threadsafe (Python's asyncio.threads and
// asyncio.tasks.run_coroutine_threadsafe): calls between a loop and other threads.
#pragma once

#include <asyncio/base_events.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/tasks.hpp>

#include <exception>
#include <future>
#include <type_traits>
#include <utility>

namespace asyncio {

/// Python's asyncio.to_thread(fn, *args): runs `fn(args...)` in the default executor of the
/// running loop and returns a task of its value, which rethrows its exception:
///
///     std::string text = co_await asyncio::to_thread(read_file, path);
///
/// `fn` and `args` are moved into the job and destroyed on the worker thread after the call.
/// The call is submitted at once (Python: when awaited); the loop is the one running now
/// (std::runtime_error if none). Cancelling the awaiting task ends it cancelled at once; a
/// call already running runs on in its thread and its result is dropped (as Python).
template <class F, class... A>
auto to_thread(F fn, A... args) -> Task<std::invoke_result_t<F, A...>> {
    return get_running_loop().run_in_executor(nullptr, std::move(fn), std::move(args)...);
}

namespace detail {

/// run_coroutine_threadsafe's task: runs `coro` inline and fulfils `promise` with its value,
/// its exception, or a CancelledError. If the loop is closed first, the frame is destroyed
/// and the future reports std::future_errc::broken_promise.
template <class T>
Task<void> fulfil_promise(Task<T> coro, std::promise<T> promise) {
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(coro);
            promise.set_value();
        } else {
            T value = co_await std::move(coro);
            promise.set_value(std::move(value));
        }
    } catch (const CancelledError&) {
        promise.set_exception(std::make_exception_ptr(CancelledError()));
        throw;
    } catch (...) {
        promise.set_exception(std::current_exception());
    }
}

}  // namespace detail

/// Python's asyncio.run_coroutine_threadsafe(coro, loop), for a thread that is not the
/// loop's: schedules `coro` as a task of `loop` (through call_soon_threadsafe) and returns a
/// std::future of its value or exception (CancelledError if the task is cancelled). For
/// example, from a worker thread:
///
///     int n = asyncio::run_coroutine_threadsafe(count_items(), loop).get();
///
/// `coro` must not be started, and the caller must keep no other handle of it: the task
/// belongs to the loop's thread from now on. Throws std::runtime_error("Event loop is
/// closed") if the loop is closed. Unlike Python's, the future cannot cancel the task.
///
/// Thread safety: may be called from any thread.
template <class T>
std::future<T> run_coroutine_threadsafe(Task<T> coro, EventLoop& loop) {
    std::promise<T> promise;
    std::future<T> future = promise.get_future();
    Task<void> task = detail::fulfil_promise(std::move(coro), std::move(promise));  // lazy: runs nothing here
    EventLoop* target = &loop;
    loop.call_soon_threadsafe([task = std::move(task), target]() mutable {
        Task<void> scheduled = target->create_task(std::move(task));
        (void)scheduled;  // the loop keeps it alive until done
    });
    return future;
}

}  // namespace asyncio
