// asyncio/executors.hpp - Executor and ThreadPoolExecutor (Python's concurrent.futures), what
// loop.run_in_executor() and asyncio::to_thread() run their calls in.
#pragma once

#include <asyncio/detail/thread_pool.hpp>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <future>
#include <thread>
#include <type_traits>
#include <utility>

namespace asyncio {

/// The unit of work an Executor runs: a move-only, run-once `void()` callable.
using WorkItem = detail::WorkItem;

/// Something that runs calls on other threads (Python's concurrent.futures.Executor).
/// Implement execute() and do_shutdown() to plug your own into loop.run_in_executor().
///
/// Ordering: as the implementation defines (ThreadPoolExecutor: started in FIFO order).
///
/// Thread safety: execute(), submit() and shutdown() may be called from any thread, also
/// concurrently: implementations must allow it. Distinct objects: safe. Shared objects: safe.
class Executor {
public:
    Executor() = default;
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;
    virtual ~Executor() = default;

    /// Runs `work` later on a thread of the executor. Must run or destroy it exactly once
    /// (destroying it unrun cancels it: a run_in_executor() task then ends cancelled).
    /// Throws std::runtime_error("cannot schedule new futures after shutdown") once shut down.
    virtual void execute(WorkItem work) = 0;

    /// Python's Executor.shutdown(wait=True, *, cancel_futures=False): no new work is accepted;
    /// `cancel_futures` discards the work not started yet; `wait` returns once all work has run.
    void shutdown(bool wait = true, bool cancel_futures = false) { do_shutdown(wait, cancel_futures); }

    /// Python's Executor.submit(fn, *args): runs `fn(args...)` (arguments moved in, called as
    /// rvalues) and returns a std::future of its value or exception. If the work is discarded
    /// (cancel_futures) the future holds std::future_error(broken_promise).
    template <class F, class... A>
    auto submit(F fn, A... args) -> std::future<std::invoke_result_t<F, A...>> {
        using R = std::invoke_result_t<F, A...>;
        std::promise<R> promise;
        std::future<R> future = promise.get_future();
        execute(WorkItem([promise = std::move(promise), fn = std::move(fn), ... args = std::move(args)]() mutable {
            try {
                if constexpr (std::is_void_v<R>) {
                    std::move(fn)(std::move(args)...);
                    promise.set_value();
                } else {
                    promise.set_value(std::move(fn)(std::move(args)...));
                }
            } catch (...) {
                promise.set_exception(std::current_exception());
            }
        }));
        return future;
    }

protected:
    virtual void do_shutdown(bool wait, bool cancel_futures) = 0;
};

/// Python's concurrent.futures.ThreadPoolExecutor: up to `max_workers` threads (default
/// min(32, hardware threads + 4)), started lazily as work arrives, a new one only when no idle
/// thread is there to take the work. For example:
///
///     asyncio::ThreadPoolExecutor pool(4);
///     std::future<int> f = pool.submit([](int x) { return x * 2; }, 21);
///     f.get();  // 42
///
/// Ordering: work starts in submission order (FIFO); with several threads it may finish in
/// any order.
///
/// The destructor is shutdown(wait = true): it returns once the queued work has run and the
/// threads are joined, as std::jthread (Python joins them at interpreter exit).
///
/// Thread safety: every member may be called from any thread. Distinct objects: safe. Shared
/// objects: safe.
class ThreadPoolExecutor final : public Executor {
public:
    /// Python's default: min(32, os.process_cpu_count() + 4).
    static std::size_t default_max_workers() noexcept {
        return std::min<std::size_t>(32, std::size_t{std::thread::hardware_concurrency()} + 4);
    }

    /// Throws std::invalid_argument("max_workers must be greater than 0") for 0.
    explicit ThreadPoolExecutor(std::size_t max_workers = default_max_workers()) : pool_(max_workers) {}
    ~ThreadPoolExecutor() override { pool_.shutdown(true, false); }

    void execute(WorkItem work) override { pool_.submit(std::move(work)); }

    std::size_t max_workers() const noexcept { return pool_.max_workers(); }
    /// Threads started and not yet joined (Python's len(executor._threads)).
    std::size_t thread_count() const { return pool_.thread_count(); }
    /// Threads waiting for work right now.
    std::size_t idle_count() const { return pool_.idle_count(); }

protected:
    void do_shutdown(bool wait, bool cancel_futures) override { pool_.shutdown(wait, cancel_futures); }

private:
    detail::ThreadPool pool_;
};

}  // namespace asyncio
