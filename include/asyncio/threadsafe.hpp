// asyncio/threadsafe.hpp - thread-safe queues (as Python's janus / culsans):
// one queue with a blocking face for threads (queue.Queue's API) and an
// awaitable face for tasks of any loop (asyncio.Queue's API).
#pragma once

#include <asyncio/detail/repr.hpp>
#include <asyncio/detail/threadsafe_async.hpp>
#include <asyncio/detail/threadsafe_core.hpp>
#include <asyncio/detail/threadsafe_sync.hpp>
#include <asyncio/queues.hpp>  // the storage policies: detail::FifoStorage, LifoStorage, PriorityStorage

#include <cstddef>
#include <functional>
#include <mutex>
#include <ostream>
#include <utility>

namespace asyncio::threadsafe {

namespace detail {

/// The logic shared by Queue, LifoQueue and PriorityQueue: `Storage` (one of
/// asyncio::Queue's policies) decides only the order.
template <class T, class Storage>
class BasicQueue {
public:
    using value_type = T;
    using sync_type = asyncio::detail::tsq::SyncFace<T, Storage>;
    using async_type = asyncio::detail::tsq::AsyncFace<T, Storage>;

    explicit BasicQueue(std::ptrdiff_t maxsize = 0, Storage storage = Storage())
        : core_(maxsize, std::move(storage)) {}
    BasicQueue(const BasicQueue&) = delete;
    BasicQueue& operator=(const BasicQueue&) = delete;

    /// The blocking face (Python's queue.Queue).
    sync_type& sync_q() noexcept { return sync_; }
    /// The awaitable face (asyncio.Queue).
    async_type& async_q() noexcept { return async_; }

    /// The maxsize given to the constructor (<= 0: unbounded).
    std::ptrdiff_t maxsize() const noexcept { return core_.maxsize; }
    std::size_t qsize() const { return sync_.qsize(); }
    bool empty() const { return sync_.empty(); }
    bool full() const { return sync_.full(); }

    /// Python 3.13's shutdown(), for both faces: puts raise QueueShutDown
    /// from now on; gets return what is left, then raise QueueShutDown; every
    /// blocked getter and putter of either face wakes (putters raise at once,
    /// getters once the queue is empty). `immediate` also discards the items,
    /// counting each as done (never below zero), so joiners return when the
    /// count reaches zero, never before.
    void shutdown(bool immediate = false) { sync_.shutdown(immediate); }

    /// asyncio's str(q), waiters counted over both faces:
    /// `<Queue maxsize=1 _queue=[1] _getters[2] _putters[1] tasks=1 shutdown>`.
    friend std::ostream& operator<<(std::ostream& os, const BasicQueue& q) {
        const std::lock_guard lk(q.core_.mutex);
        const auto& c = q.core_;
        os << '<' << Storage::name << " maxsize=" << c.maxsize;
        if constexpr (asyncio::detail::is_reprable<T>()) {
            if (!c.empty_locked()) {
                os << " _queue=[";
                bool first = true;
                c.items.for_each([&](const T& x) {
                    if (!first) os << ", ";
                    first = false;
                    asyncio::detail::repr(os, x);
                });
                os << ']';
            }
        }
        if (!c.getters.empty()) os << " _getters[" << c.getters.size() << ']';
        if (!c.putters.empty()) os << " _putters[" << c.putters.size() << ']';
        if (c.unfinished) os << " tasks=" << c.unfinished;
        if (c.shutdown) os << " shutdown";
        return os << '>';
    }

private:
    friend struct asyncio::detail::tsq::Access;
    mutable asyncio::detail::tsq::Core<T, Storage> core_;
    sync_type sync_{core_};
    async_type async_{core_};
};

}  // namespace detail

/// A FIFO queue shared by threads and by tasks of any number of event loops:
/// Python's janus.Queue / culsans.Queue, with asyncio.Queue's semantics on
/// each face. For example:
///
///     asyncio::threadsafe::Queue<int> q(1024);   // any thread, no loop needed
///     std::thread producer([&] { for (int i = 0; i < 10; ++i) q.sync_q().put(i); });
///     // in a task of some loop:
///     int x = co_await q.async_q().get();
///
/// - sync_q(): Python's queue.Queue (put / get with block and timeout,
///   put_nowait, get_nowait, task_done, join, qsize, empty, full, maxsize,
///   shutdown). Its blocking calls throw std::runtime_error at once on a
///   thread running an event loop (they would freeze it).
/// - async_q(): asyncio.Queue (get, put and join are awaitables of this
///   library; get_nowait, put_nowait, task_done, ...), from tasks of any loop.
/// Items put on either face come out of either; task_done() on either counts
/// for join() on both; shutdown() on either shuts down both.
///
/// Ordering: linearizable (each call takes effect at one instant, under one
/// mutex), items in FIFO order across all threads. Waiters of both faces
/// wait in one FIFO list per kind (getters, putters, joiners) and are woken
/// one at a time, in the order they started waiting: a thread through its
/// own condition variable, a task through its own loop (directly when the
/// waker runs that loop, else with call_soon_threadsafe, whose eventfd
/// writes coalesce). As asyncio.Queue, waking is a hint: the item stays in
/// the queue until the woken waiter runs; a call that finds an item takes it;
/// a woken waiter that finds none waits again at the back; a woken task
/// cancelled before it runs (or whose loop is closed) passes the wake-up on.
///
/// Complexity: put / get O(1) amortized; no allocation per wait (the
/// awaiters and the blocked calls' stack frames are the list nodes); waking a
/// task of another loop allocates one callback (call_soon_threadsafe).
///
/// Thread safety: everything, on any thread. Distinct objects: safe. Shared
/// objects: safe. Limits: destroying the queue while a thread or a task waits
/// on it is a bug (asserted in debug builds); a loop whose tasks wait on the
/// queue must not be destroyed before it is closed (close() detaches them).
template <class T>
class Queue : public detail::BasicQueue<T, asyncio::detail::FifoStorage<T>> {
public:
    explicit Queue(std::ptrdiff_t maxsize = 0) : detail::BasicQueue<T, asyncio::detail::FifoStorage<T>>(maxsize) {}
};

/// As threadsafe::Queue, but the last item put comes out first (Python's
/// LifoQueue). Same waiters' order, same thread safety.
template <class T>
class LifoQueue : public detail::BasicQueue<T, asyncio::detail::LifoStorage<T>> {
public:
    explicit LifoQueue(std::ptrdiff_t maxsize = 0) : detail::BasicQueue<T, asyncio::detail::LifoStorage<T>>(maxsize) {}
};

/// As threadsafe::Queue, but the smallest item under `Compare` comes out
/// first, equal items in insertion order (as asyncio::PriorityQueue). Same
/// waiters' order, same thread safety.
template <class T, class Compare = std::less<T>>
class PriorityQueue : public detail::BasicQueue<T, asyncio::detail::PriorityStorage<T, Compare>> {
    using Storage = asyncio::detail::PriorityStorage<T, Compare>;

public:
    explicit PriorityQueue(std::ptrdiff_t maxsize = 0, Compare comp = Compare())
        : detail::BasicQueue<T, Storage>(maxsize, Storage(std::move(comp))) {}
};

}  // namespace asyncio::threadsafe
