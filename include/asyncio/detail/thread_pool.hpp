// asyncio/detail/thread_pool.hpp - the machinery of ThreadPoolExecutor (executors.hpp): a
// move-only unit of work and a pool of worker threads started as work arrives (Python's
// concurrent.futures.thread).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio::detail {

/// One unit of work, run at most once. It is its own node in the pool's queue, so queueing
/// allocates nothing. Exactly one of run() and discard() is called, once; each lets go of the
/// object (a plain item deletes itself; a job shared with a loop drops its reference).
class Work {
public:
    Work() noexcept = default;
    Work(const Work&) = delete;
    Work& operator=(const Work&) = delete;

    /// Runs the work, on the executor's thread. Must not throw.
    virtual void run() noexcept = 0;
    /// Lets go of the work without running it (shut down with cancel_futures, or dropped).
    virtual void discard() noexcept = 0;

    Work* next = nullptr;  // in ThreadPool's queue

protected:
    ~Work() = default;
};

/// A Work that calls `fn()` and deletes itself. An exception escaping `fn` is reported on
/// stderr and swallowed, as Python's thread pool stores it in a future nobody may read.
template <class F>
class FunctionWork final : public Work {
public:
    template <class G>
    explicit FunctionWork(G&& g) : fn_(std::forward<G>(g)) {}

    void run() noexcept override {
        try {
            fn_();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "asyncio: exception in executor work item: %s\n", e.what());
        } catch (...) {
            std::fprintf(stderr, "asyncio: non-standard exception in executor work item\n");
        }
        delete this;
    }
    void discard() noexcept override { delete this; }

private:
    ~FunctionWork() = default;
    F fn_;
};

/// A move-only, run-once, type-erased `void()` callable: what an Executor runs. Made from any
/// callable (one allocation) or by adopting a Work. Destroying an item that was not run
/// discards its work.
///
/// Thread safety: an item is moved from thread to thread, never shared. Distinct objects:
/// safe. Shared objects: unsafe.
class WorkItem {
public:
    WorkItem() noexcept = default;
    template <class F>
        requires(!std::is_same_v<std::decay_t<F>, WorkItem> && std::is_invocable_v<std::decay_t<F>&>)
    WorkItem(F&& fn) : w_(new FunctionWork<std::decay_t<F>>(std::forward<F>(fn))) {}  // NOLINT: implicit, like std::function
    /// Adopts `w` (which must not be null).
    explicit WorkItem(Work* w) noexcept : w_(w) {}

    WorkItem(WorkItem&& o) noexcept : w_(std::exchange(o.w_, nullptr)) {}
    WorkItem& operator=(WorkItem&& o) noexcept {
        if (this != &o) {
            reset();
            w_ = std::exchange(o.w_, nullptr);
        }
        return *this;
    }
    ~WorkItem() { reset(); }

    explicit operator bool() const noexcept { return w_ != nullptr; }

    /// Runs the work; the item is empty afterwards. Throws std::logic_error if it is empty.
    void operator()() {
        if (!w_) throw std::logic_error("WorkItem: empty");
        std::exchange(w_, nullptr)->run();
    }

    /// Gives up ownership: the caller must call run() or discard() on the result.
    Work* release() noexcept { return std::exchange(w_, nullptr); }

private:
    void reset() noexcept {
        if (w_) std::exchange(w_, nullptr)->discard();
    }
    Work* w_ = nullptr;
};

/// A pool of up to `max_workers` threads running WorkItems in FIFO order (Python's
/// ThreadPoolExecutor). Threads start lazily: a submission starts a new one only when no idle
/// thread is waiting for it. After shutdown() nothing can be submitted; queued work still runs
/// (unless shutdown was asked to cancel it) and the threads then exit.
///
/// The destructor shuts down and joins the threads (as std::jthread does), after the queued
/// work has run. Destroyed from one of its own threads (a work item held the last reference),
/// that thread is detached instead and exits after its item.
///
/// Thread safety: every member may be called from any thread. Distinct objects: safe. Shared
/// objects: safe.
class ThreadPool {
public:
    explicit ThreadPool(std::size_t max_workers) : s_(std::make_shared<State>()) {
        if (max_workers == 0) throw std::invalid_argument("max_workers must be greater than 0");
        s_->max_workers = max_workers;
    }
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    ~ThreadPool() { shutdown(true, false); }

    /// Queues `item`. Throws std::runtime_error after shutdown, or std::system_error if no
    /// thread can be started while none runs (the item is then discarded).
    void submit(WorkItem item) {
        State& s = *s_;
        bool notify = false;
        {
            std::lock_guard lock(s.mutex);
            if (s.shut_down) throw std::runtime_error("cannot schedule new futures after shutdown");
            // Python's _adjust_thread_count: a new thread unless an idle one is there for this item.
            if (s.queued + 1 > s.waiting && s.threads.size() < s.max_workers) {
                try {
                    s.threads.emplace_back(&State::worker, s_);
                } catch (...) {
                    if (s.threads.empty()) throw;  // nobody would ever run it
                }
            }
            Work* w = item.release();
            if (s.tail) {
                s.tail->next = w;
            } else {
                s.head = w;
            }
            s.tail = w;
            ++s.queued;
            notify = s.waiting > 0;
        }
        // After unlocking: a worker woken while the mutex is still held would only block on
        // it again (3.7 context switches per to_thread round trip instead of 2, bench W10).
        // The state outlives this call: the pool holds it.
        if (notify) s.wake.notify_one();
    }

    /// Refuses new work from now on. With `cancel_pending`, the work not started yet is
    /// discarded (Python's cancel_futures). With `wait`, returns when every thread has exited
    /// (so all the work has run); a second caller waits as well.
    void shutdown(bool wait = true, bool cancel_pending = false) noexcept {
        State& s = *s_;
        Work* dropped = nullptr;
        {
            std::lock_guard lock(s.mutex);
            s.shut_down = true;
            if (cancel_pending) {
                dropped = std::exchange(s.head, nullptr);
                s.tail = nullptr;
                s.queued = 0;
            }
            s.wake.notify_all();
        }
        while (Work* w = dropped) {  // outside the lock: discarding may post to a loop
            dropped = w->next;
            w->discard();
        }
        if (!wait) return;
        std::lock_guard join_lock(s.join_mutex);  // one joiner at a time; the next finds them joined
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(s.mutex);
            threads.swap(s.threads);  // no thread starts after shutdown
        }
        for (std::thread& t : threads) {
            if (t.get_id() == std::this_thread::get_id()) {
                t.detach();  // destroyed by its own item: it exits when that returns
            } else {
                t.join();
            }
        }
    }

    std::size_t max_workers() const noexcept { return s_->max_workers; }

    /// Threads started and not yet joined.
    std::size_t thread_count() const {
        std::lock_guard lock(s_->mutex);
        return s_->threads.size();
    }

    /// Threads waiting for work right now.
    std::size_t idle_count() const {
        std::lock_guard lock(s_->mutex);
        return s_->waiting;
    }

private:
    // Shared with the worker threads, so that a thread detached by the destructor (see above)
    // still has its queue and mutex.
    struct State {
        std::mutex mutex;                  // guards everything below but join_mutex
        std::condition_variable wake;      // work queued, or shut down
        Work* head = nullptr;              // FIFO of queued work, linked through Work::next
        Work* tail = nullptr;
        std::size_t queued = 0;            // items in the queue
        std::size_t waiting = 0;           // threads blocked on `wake`
        std::size_t max_workers = 1;
        bool shut_down = false;
        std::vector<std::thread> threads;  // started, not yet joined
        std::mutex join_mutex;             // held by the shutdown(wait) that joins

        static void worker(std::shared_ptr<State> self) noexcept {
            State& s = *self;
            std::unique_lock lock(s.mutex);
            for (;;) {
                while (!s.head && !s.shut_down) {
                    ++s.waiting;
                    s.wake.wait(lock);
                    --s.waiting;
                }
                Work* w = s.head;
                if (!w) return;  // shut down and nothing left
                s.head = w->next;
                if (!s.head) s.tail = nullptr;
                --s.queued;
                lock.unlock();
                w->run();
                lock.lock();
            }
        }
    };
    std::shared_ptr<State> s_;
};

}  // namespace asyncio::detail
