// asyncio/detail/threadsafe_core.hpp - the shared state of a threadsafe
// queue (asyncio/threadsafe.hpp): the items, the counters, and one FIFO list
// per kind of waiter, where blocked threads and suspended tasks of any loop
// wait side by side; and how each kind of waiter is woken.
#pragma once

#include <asyncio/detail/intrusive_list.hpp>
#include <asyncio/detail/promise.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>

#include <atomic>
#include <cassert>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

namespace asyncio::detail::tsq {

/// One waiter in one of the Core's lists: a thread blocked in a sync_q() call
/// (ThreadNode) or a task suspended in an async_q() awaiter (TaskNode). Every
/// field is guarded by the Core's mutex.
struct Node : ListNode {
    /// idle      - not waiting (not yet, or no longer);
    /// waiting   - in the list; its thread sleeps or its task is suspended;
    /// woken     - taken off the list by a wake-up, told to re-check; a task's
    ///             step is scheduled on its own loop;
    /// cancelled - (tasks) cancelled while waiting, its step scheduled; it may
    ///             still be in the list (Python counts it in `_getters[n]`
    ///             until the task runs), and wake-ups skip it;
    /// gone      - (tasks) its loop was closed: it will never run again.
    enum class State : std::uint8_t { idle, waiting, woken, cancelled, gone };

    explicit Node(bool task_node) noexcept : is_task(task_node) {}
    Node(const Node& o) noexcept : ListNode(), is_task(o.is_task) {}  // copy before waiting only
    Node& operator=(const Node&) = delete;

    State state = State::idle;
    const bool is_task;

    /// For a task's awaiter whose wait ended without a use (cancelled, or its loop closed),
    /// under the Core's mutex: leaves the list if still in it and becomes idle. Returns true
    /// if it had been woken first: the caller then has a wake-up to pass on. (The same as
    /// WaitNode::cancelled_after_wake of the single-threaded lists, which this node cannot
    /// reuse: it has the `gone` state, and every field is guarded by the Core's mutex.)
    bool cancelled_after_wake() noexcept {
        const bool woken = state == State::woken;
        if (linked()) unlink();
        state = State::idle;
        return woken;
    }
};

/// A blocked thread: it sleeps on its own condition variable (with the Core's
/// mutex) until a wake-up sets `state` to woken or its timeout passes.
struct ThreadNode : Node {
    ThreadNode() noexcept : Node(false) {}
    std::condition_variable cv;
};

/// A suspended task (the awaiter itself is the node: no allocation per wait).
struct TaskNode : Node, NativeAwaiter, Waiter {
    TaskNode(const WaiterOps* ops, std::mutex* m) noexcept : Node(true), Waiter(ops), mutex(m) {}
    TaskNode(const TaskNode& o) noexcept : Node(o), NativeAwaiter(), Waiter(o), mutex(o.mutex) {}
    ~TaskNode() { assert(!linked() && "threadsafe queue awaiter destroyed while waiting"); }

    PromiseBase* task = nullptr;
    std::mutex* mutex;  // the Core's

    /// Waiter op shared by every awaiter: cancel() of the task while it waits
    /// (on the task's own thread). A waiter already woken refuses: the task
    /// then raises CancelledError when its step runs, and the awaiter's
    /// await_cancelled passes the wake-up on.
    static bool cancel_wait(Waiter* w) {
        auto* self = static_cast<TaskNode*>(w);
        std::lock_guard lk(*self->mutex);
        if (self->state != State::waiting) return false;
        self->task->schedule_step();  // first: if it throws, nothing changed
        self->state = State::cancelled;
        self->task->throw_cancel = true;
        return true;
    }
};

/// One step of a spin-wait: the CPU's pause hint.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

/// Locks `m`, spinning a little first. The critical sections of a queue are a few tens of
/// nanoseconds, while a std::mutex found locked puts its caller to sleep in the kernel (two
/// system calls and a context switch, several microseconds here): a short spin with try_lock
/// (every fourth pause, so as not to pull the mutex's cache line from its owner at every step)
/// usually gets it first.
inline std::unique_lock<std::mutex> lock_spinning(std::mutex& m) {
    for (int i = 0; i < 16; ++i) {
        if (m.try_lock()) return std::unique_lock<std::mutex>(m, std::adopt_lock);
        for (int j = 0; j < 4; ++j) cpu_relax();
    }
    return std::unique_lock<std::mutex>(m);
}

/// How a wake-up reaches a task of another loop: the step runs from that
/// loop's ready queue, like a step scheduled there.
struct RunStep {
    PromiseBase* task;
    void operator()() const { task->step(); }
};

/// Wakes `n`, the front of its list and waiting: takes it off and tells it
/// to re-check. A thread is notified (under the mutex: once the mutex is
/// released the node may be gone); a task's step is scheduled directly when
/// its loop is the one running on this thread (as asyncio.Queue does), else
/// with its loop's call_soon_threadsafe, which coalesces eventfd writes. The
/// node is marked woken before the post: the step may run on the other
/// thread at once (and end the awaiter's life) while this one still holds
/// the mutex. Returns false if the task's loop is closed (the node is then
/// gone, and the wake-up must go to the next waiter). Throws only
/// std::bad_alloc, with `n` still waiting at its place.
inline bool wake(Node* n) {
    if (!n->is_task) {
        n->unlink();
        n->state = Node::State::woken;
        static_cast<ThreadNode*>(n)->cv.notify_one();
        return true;
    }
    PromiseBase* t = static_cast<TaskNode*>(n)->task;
    if (t->loop == running_loop) {
        t->schedule_step();  // may throw: nothing changed yet
        n->unlink();
        n->state = Node::State::woken;
        return true;
    }
    ListNode* const next = n->next;
    n->unlink();
    n->state = Node::State::woken;
    try {
        t->loop->call_soon_threadsafe(RunStep{t});
    } catch (const std::bad_alloc&) {  // back to its place, still waiting
        n->state = Node::State::waiting;
        n->prev = next->prev;
        n->next = next;
        next->prev->next = n;
        next->prev = n;
        throw;
    } catch (const std::runtime_error&) {  // "Event loop is closed": it is being closed
        n->state = Node::State::gone;
        return false;
    }
    return true;
}

/// Wakes the first waiter of `l` that is still waiting, dropping cancelled
/// ones on the way (Python's _wakeup_next). False if there was none.
inline bool wake_one(IntrusiveList& l) {
    while (auto* n = static_cast<Node*>(l.front())) {
        if (n->state == Node::State::waiting && wake(n)) return true;
        if (n->linked()) l.erase(n);
    }
    return false;
}

inline void wake_all(IntrusiveList& l) {
    while (wake_one(l)) {
    }
}

/// The state of one threadsafe queue: Python's Queue attributes, and the
/// mutex that guards them all. The `*_locked` members need the mutex held.
/// `Storage` is one of queues.hpp's policies (FifoStorage, LifoStorage,
/// PriorityStorage): it decides only the order.
template <class T, class Storage>
class Core {
public:
    Core(std::ptrdiff_t maxsize, Storage storage) : items(std::move(storage)), maxsize(maxsize) {}
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;
    ~Core() {
        assert(getters.empty() && putters.empty() && joiners.empty() &&
               "threadsafe queue destroyed while threads or tasks wait on it");
    }

    bool empty_locked() const noexcept { return items.size() == 0; }
    bool full_locked() const noexcept {
        return maxsize > 0 && items.size() >= static_cast<std::size_t>(maxsize);
    }

    /// put_nowait's checks (Python 3.13: shut down first, then full).
    void check_put_locked() const {
        if (shutdown) throw QueueShutDown();
        if (full_locked()) throw QueueFull();
    }
    /// get_nowait's checks.
    void check_get_locked() const {
        if (empty_locked()) {
            if (shutdown) throw QueueShutDown();
            throw QueueEmpty();
        }
    }

    /// Puts (the checks passed): if the item's move throws, nothing changed.
    template <class U>
    void put_locked(U&& item) {
        items.push(std::forward<U>(item));
        size_hint.store(items.size(), std::memory_order_relaxed);
        ++unfinished;
        if (!getters.empty()) wake_one(getters);
    }
    /// Gets (the queue is not empty): if the item's move throws, nothing changed.
    T get_locked() {
        T item = items.pop();
        size_hint.store(items.size(), std::memory_order_relaxed);
        if (!putters.empty()) wake_one(putters);
        return item;
    }

    /// A woken getter did not take an item: the next one may.
    void pass_on_get_locked() {
        if (!empty_locked()) wake_one(getters);
    }
    /// A woken putter did not use the free slot: the next one may.
    void pass_on_put_locked() {
        if (!full_locked()) wake_one(putters);
    }

    void task_done_locked() {
        if (unfinished == 0) throw ValueError("task_done() called too many times");
        if (--unfinished == 0) wake_all(joiners);
    }

    /// Python 3.13's shutdown (see Queue::shutdown in threadsafe.hpp).
    void shutdown_locked(bool immediate) {
        shutdown = true;
        shutdown_hint.store(true, std::memory_order_relaxed);
        if (immediate) {
            while (!empty_locked()) {
                items.discard();
                if (unfinished > 0) --unfinished;
            }
            size_hint.store(0, std::memory_order_relaxed);
            if (unfinished == 0) wake_all(joiners);
        }
        wake_all(getters);
        wake_all(putters);
    }

    mutable std::mutex mutex;  // guards everything below, and every Node in the lists
    Storage items;
    const std::ptrdiff_t maxsize;  // <= 0: unbounded
    std::size_t unfinished = 0;    // Python's _unfinished_tasks
    bool shutdown = false;
    IntrusiveList getters;  // Nodes waiting for an item, oldest first, threads and tasks alike
    IntrusiveList putters;  // Nodes waiting for a free slot
    IntrusiveList joiners;  // Nodes waiting for unfinished == 0
    // Copies of items.size() and shutdown, stored under the mutex and read without it by a
    // blocking call that spins a little before it sleeps (spin_until).
    std::atomic<std::size_t> size_hint{0};
    std::atomic<bool> shutdown_hint{false};

    /// Before a blocking call sleeps (the mutex held by `lk`): releases the mutex and spins
    /// until `done(size_hint)` or shutdown, at most `spin_limit` pauses, then locks again.
    /// Going to sleep and being woken cost two system calls and two context switches on each
    /// side; a producer and a consumer running at about the same speed on two cores find the
    /// queue empty (or full) for less time than that.
    template <class Done>
    void spin_until(std::unique_lock<std::mutex>& lk, Done done) {
        lk.unlock();
        for (int i = 0; i < spin_limit; ++i) {
            if (done(size_hint.load(std::memory_order_relaxed)) || shutdown_hint.load(std::memory_order_relaxed)) break;
            cpu_relax();
        }
        lk = lock_spinning(mutex);
    }
    static constexpr int spin_limit = 256;
};

/// What both faces share: the non-blocking calls and the queries, usable on
/// any thread, with or without a loop. Each takes the mutex once.
template <class T, class Storage>
class FaceBase {
public:
    explicit FaceBase(Core<T, Storage>& q) noexcept : q_(&q) {}
    FaceBase(const FaceBase&) = delete;
    FaceBase& operator=(const FaceBase&) = delete;

    std::ptrdiff_t maxsize() const noexcept { return q_->maxsize; }
    std::size_t qsize() const {
        std::lock_guard lk(q_->mutex);
        return q_->items.size();
    }
    bool empty() const {
        std::lock_guard lk(q_->mutex);
        return q_->empty_locked();
    }
    bool full() const {
        std::lock_guard lk(q_->mutex);
        return q_->full_locked();
    }

    /// Puts without waiting: QueueShutDown after shutdown(), QueueFull when
    /// full. Wakes the first waiting getter, of either face.
    void put_nowait(T item) {
        const std::unique_lock lk = lock_spinning(q_->mutex);
        q_->check_put_locked();
        q_->put_locked(std::move(item));
    }
    /// Gets without waiting: QueueEmpty when empty, QueueShutDown when empty
    /// and shut down. Wakes the first waiting putter, of either face.
    T get_nowait() {
        const std::unique_lock lk = lock_spinning(q_->mutex);
        q_->check_get_locked();
        return q_->get_locked();
    }
    /// Marks one item as processed; ValueError if called more times than
    /// items were put. Wakes every joiner of both faces when none is left.
    void task_done() {
        std::lock_guard lk(q_->mutex);
        q_->task_done_locked();
    }
    /// Shuts down both faces (Python 3.13's rules; see threadsafe::Queue).
    void shutdown(bool immediate = false) {
        std::lock_guard lk(q_->mutex);
        q_->shutdown_locked(immediate);
    }

protected:
    Core<T, Storage>* q_;
};

/// For tests: what str(q) does not show.
struct Access {
    /// Threads and tasks waiting in join(), over both faces.
    template <class Q>
    static std::size_t joiners(const Q& q) {
        const std::lock_guard lk(q.core_.mutex);
        return q.core_.joiners.size();
    }
};

/// Throws if this thread runs an event loop: a blocking call would freeze it.
inline void check_may_block(const char* what) {
    if (running_loop)
        throw std::runtime_error(std::string("threadsafe queue: blocking sync_q().") + what +
                                 "() called on a thread running an event loop (use async_q())");
}

}  // namespace asyncio::detail::tsq
