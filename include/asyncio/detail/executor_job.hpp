// asyncio/detail/executor_job.hpp - a call run by an executor for a loop: the machinery of
// loop.run_in_executor() (base_events.hpp), Python's concurrent Future and wrap_future in one.
#pragma once

#include <asyncio/detail/thread_pool.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/tasks.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace asyncio::detail {

// Futures and tasks are single-threaded, so a worker thread never touches one. What crosses
// threads is an ExecutorJob: the call, a slot for its value or exception, and an atomic
// reference count shared by the loop side (the task awaiting it, through JobRef) and the
// worker side (the WorkItem, then the completion it posts). The worker runs the call and
// posts ONE completion through the loop's gate (call_soon_threadsafe); the completion, on the
// loop thread, wakes the awaiting task through a Future only that thread knows of. If the loop
// is closed or gone, the completion is dropped on the worker, with its reference.

/// The one door from worker threads back into a loop: posts through call_soon_threadsafe
/// until close()d (when the loop closes: LoopExecutors in base_events.hpp), then nothing, so
/// a worker never touches a loop that is closed or destroyed. A post the loop refuses is
/// dropped.
///
/// Thread safety: Distinct objects: safe. Shared objects: safe.
class LoopGate {
public:
    explicit LoopGate(EventLoop* loop) noexcept : loop_(loop) {}

    template <class F>
    void post(F fn) noexcept {
        std::lock_guard lock(mutex_);
        if (!loop_) return;
        try {
            loop_->call_soon_threadsafe(std::move(fn));
        } catch (...) {  // "Event loop is closed" (or out of memory): the result is dropped
        }
    }

    /// After this returns no post is running or will run.
    void close() noexcept {
        std::lock_guard lock(mutex_);
        loop_ = nullptr;
    }

private:
    std::mutex mutex_;
    EventLoop* loop_;  // null once closed
};

/// The part of a job that does not depend on its types. See the comment above.
class ExecutorJob : public Work {
public:
    /// pending -> running -> finished (the call ran), or pending -> cancelled (the awaiting
    /// task was cancelled before the call started, or the executor discarded the work).
    enum class State : std::uint8_t { pending, running, finished, cancelled };

    explicit ExecutorJob(std::shared_ptr<LoopGate> gate) noexcept : gate_(std::move(gate)) {}

    void run() noexcept final {
        State expected = State::pending;
        if (state_.compare_exchange_strong(expected, State::running, std::memory_order_acq_rel)) {
            call();
            state_.store(State::finished, std::memory_order_release);
        }
        post_completion();
    }
    void discard() noexcept final {
        State expected = State::pending;
        state_.compare_exchange_strong(expected, State::cancelled, std::memory_order_acq_rel);
        post_completion();
    }

    /// Loop thread: Python's concurrent Future.cancel(), which succeeds only before the call
    /// starts. A call already running runs on; its result will be dropped.
    void cancel_if_pending() noexcept {
        State expected = State::pending;
        state_.compare_exchange_strong(expected, State::cancelled, std::memory_order_acq_rel);
    }
    State state() const noexcept { return state_.load(std::memory_order_acquire); }

    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

    // Loop thread only:
    Future<void>* waiter = nullptr;  // what the awaiting task waits on, or null (not awaiting)
    bool completed = false;          // the completion has run: value or error are final

    std::exception_ptr error;  // written by the worker before it posts, read on the loop after

protected:
    virtual ~ExecutorJob() = default;
    /// Runs the call, storing its value or exception (worker thread).
    virtual void call() noexcept = 0;

private:
    /// Posted to the loop: carries the worker's reference. Move-only.
    struct Completion {
        ExecutorJob* job;
        explicit Completion(ExecutorJob* j) noexcept : job(j) {}
        Completion(Completion&& o) noexcept : job(std::exchange(o.job, nullptr)) {}
        Completion& operator=(Completion&&) = delete;
        ~Completion() {
            if (job) job->release();
        }
        void operator()() {
            ExecutorJob* j = std::exchange(job, nullptr);
            j->completed = true;
            if (j->waiter && !j->waiter->done()) j->waiter->set_result();
            j->release();
        }
    };

    void post_completion() noexcept {
        // The gate leaves the job first: the completion may free the job while post() runs.
        std::shared_ptr<LoopGate> gate = std::move(gate_);
        gate->post(Completion(this));
    }

    std::atomic<int> refs_{2};  // the loop side's and the worker side's
    std::atomic<State> state_{State::pending};
    std::shared_ptr<LoopGate> gate_;
};

/// A job whose call returns R: the slot for its value.
template <class R>
class ResultJob : public ExecutorJob {
public:
    using ExecutorJob::ExecutorJob;
    R take() { return std::move(*value); }

protected:
    std::optional<R> value;
};

template <>
class ResultJob<void> : public ExecutorJob {
public:
    using ExecutorJob::ExecutorJob;
    void take() noexcept {}
};

/// A job calling `fn()`. The callable (and the arguments it holds) is destroyed on the worker
/// right after the call, or with the job if it never ran.
template <class R, class F>
class CallJob final : public ResultJob<R> {
public:
    CallJob(std::shared_ptr<LoopGate> gate, F fn) : ResultJob<R>(std::move(gate)), fn_(std::move(fn)) {}

private:
    void call() noexcept override {
        try {
            if constexpr (std::is_void_v<R>) {
                (*fn_)();
            } else {
                this->value.emplace((*fn_)());
            }
        } catch (...) {
            this->error = std::current_exception();
        }
        fn_.reset();
    }
    std::optional<F> fn_;
};

/// The loop side's reference to a job (loop thread only). Move-only.
template <class R>
class JobRef {
public:
    explicit JobRef(ResultJob<R>* job) noexcept : job_(job) {}
    JobRef(JobRef&& o) noexcept : job_(std::exchange(o.job_, nullptr)) {}
    JobRef& operator=(JobRef&&) = delete;
    ~JobRef() {
        if (job_) job_->release();
    }
    ResultJob<R>* operator->() const noexcept { return job_; }

private:
    ResultJob<R>* job_;
};

/// Waits for the job's completion and returns its value or rethrows its exception (Python's
/// wrap_future + await). Cancelled while waiting: cancels the call if it has not started,
/// and ends cancelled at once; a call already running runs on, its result dropped.
template <class R>
Task<R> await_job(JobRef<R> job) {
    if (!job->completed) {
        Future<void> done;
        job->waiter = &done;
        struct Unhook {
            ExecutorJob* job;
            ~Unhook() { job->waiter = nullptr; }
        } unhook{job.operator->()};
        try {
            co_await done;
        } catch (const CancelledError&) {
            job->cancel_if_pending();
            throw;
        }
    }
    if (job->state() == ExecutorJob::State::cancelled) throw CancelledError();  // discarded by the executor
    if (job->error) std::rethrow_exception(job->error);
    if constexpr (std::is_void_v<R>) {
        co_return;
    } else {
        co_return job->take();
    }
}

}  // namespace asyncio::detail
