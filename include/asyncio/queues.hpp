// asyncio/queues.hpp - Python's asyncio.queues: Queue, LifoQueue,
// PriorityQueue and their exceptions.
#pragma once

#include <asyncio/detail/repr.hpp>
#include <asyncio/detail/ring_buffer.hpp>
#include <asyncio/detail/wait_list.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/tasks.hpp>

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio {

namespace detail {

/// FIFO storage (Python's Queue: a deque).
template <class T>
class FifoStorage {
public:
    static constexpr std::string_view name = "Queue";
    std::size_t size() const noexcept { return buf_.size(); }
    template <class U>
    void push(U&& x) { buf_.emplace_back(std::forward<U>(x)); }
    T pop() {
        T x(std::move(buf_.front()));
        buf_.pop_front();
        return x;
    }
    void discard() noexcept { buf_.pop_front(); }
    template <class F>
    void for_each(F&& f) const {
        for (std::size_t i = 0; i < buf_.size(); ++i) f(buf_[i]);
    }

private:
    RingBuffer<T> buf_;
};

/// LIFO storage (Python's LifoQueue: a list used as a stack).
template <class T>
class LifoStorage {
public:
    static constexpr std::string_view name = "LifoQueue";
    std::size_t size() const noexcept { return v_.size(); }
    template <class U>
    void push(U&& x) { v_.emplace_back(std::forward<U>(x)); }
    T pop() {
        T x(std::move(v_.back()));
        v_.pop_back();
        return x;
    }
    void discard() noexcept { v_.pop_back(); }
    template <class F>
    void for_each(F&& f) const {
        for (const T& x : v_) f(x);
    }

private:
    std::vector<T> v_;
};

/// True when two values that compare equal under `Compare` cannot be told
/// apart (integers, enums and pointers under std::less / std::greater): the
/// order among equal items is then unobservable, and PriorityStorage stores
/// the bare values, with no insertion number.
template <class T, class Compare>
inline constexpr bool equal_means_identical =
    (std::is_integral_v<T> || std::is_enum_v<T> || std::is_pointer_v<T>) &&
    (std::is_same_v<Compare, std::less<T>> || std::is_same_v<Compare, std::greater<T>> ||
     std::is_same_v<Compare, std::less<>> || std::is_same_v<Compare, std::greater<>>);

/// Priority storage: Python's heapq (heappush/heappop, same sift
/// algorithms), with ties between equal items broken by insertion order (a
/// stable priority queue). Where equal items are indistinguishable
/// (equal_means_identical) it stores bare values and compares exactly as
/// heapq, so even the array order printed by str(q) is CPython's.
///
/// Every comparison is made before anything moves, so a throwing Compare
/// leaves the heap exactly as it was.
template <class T, class Compare>
class PriorityStorage {
    static constexpr bool bare = equal_means_identical<T, Compare>;
    struct Stamped {
        T value;
        std::uint64_t seq;
    };
    using Entry = std::conditional_t<bare, T, Stamped>;

public:
    static constexpr std::string_view name = "PriorityQueue";
    explicit PriorityStorage(Compare comp = Compare()) : comp_(std::move(comp)) {}

    std::size_t size() const noexcept { return heap_.size(); }

    template <class U>
    void push(U&& x) {
        if constexpr (bare) {
            push_bare(T(std::forward<U>(x)));
            return;
        }
        Entry e = make_entry(std::forward<U>(x));
        // heapq._siftdown(heap, 0, len(heap) - 1), positions first.
        std::size_t pos = heap_.size();
        while (pos > 0) {
            std::size_t parent = (pos - 1) >> 1;
            if (!less(e, heap_[parent])) break;
            pos = parent;
        }
        heap_.push_back(std::move(e));
        if constexpr (!bare) ++seq_;
        std::size_t hole = heap_.size() - 1;
        if (hole == pos) return;
        Entry item = std::move(heap_[hole]);
        while (hole != pos) {
            std::size_t parent = (hole - 1) >> 1;
            heap_[hole] = std::move(heap_[parent]);
            hole = parent;
        }
        heap_[pos] = std::move(item);
    }

    T pop() {
        // Each path its own function returning a prvalue: a second return
        // statement here would cost pop_stamped's named return value its
        // elision (clang 14 then moved the result out after the heap had
        // changed, and an item whose move throws was lost).
        if constexpr (bare)
            return pop_bare();
        else
            return pop_stamped();
    }

    void discard() { (void)pop(); }

    template <class F>
    void for_each(F&& f) const {
        for (const Entry& e : heap_) f(value_of(e));
    }

private:
    T pop_stamped() {
        // Every comparison first (heap_[0] is never compared), then the one
        // move that builds the result, then the moves that cannot be undone.
        // One named result, so the return is elided (g++ does not elide when
        // two different variables are returned).
        const std::size_t n = heap_.size() - 1;  // size after popping the last element
        std::size_t path[sizeof(std::size_t) * 8 + 1];
        const std::size_t m = plan_pop(n, path);
        T result(std::move(value_of(heap_[0])));
        if (n > 0) {
            for (std::size_t i = 0; i < m; ++i) heap_[path[i]] = std::move(heap_[path[i + 1]]);
            heap_[path[m]] = std::move(heap_[n]);
        }
        heap_.pop_back();
        return result;
    }

    // Bare values (integers, pointers, enums under std::less/greater): nothing
    // can throw, so heapq's algorithms move as they compare, in one pass over
    // the path, as std::push_heap/pop_heap do (the same moves as heapq, so the
    // same array). The two-pass versions (push's general path, pop_stamped)
    // re-read the path: twice the data references of std::priority_queue (W6).
    void push_bare(T x) {
        // heappush: append, then _siftdown(heap, 0, n).
        std::size_t pos = heap_.size();
        heap_.push_back(x);
        T* h = heap_.data();
        while (pos > 0) {
            const std::size_t parent = (pos - 1) >> 1;
            if (!comp_(x, h[parent])) break;
            h[pos] = h[parent];
            pos = parent;
        }
        h[pos] = x;
    }
    T pop_bare() {
        // heappop: the last element replaces the root, _siftup(heap, 0)
        // descends along the smaller children to a leaf, _siftdown climbs back.
        T* h = heap_.data();
        const std::size_t n = heap_.size() - 1;
        const T result = h[0];
        const T last = h[n];
        heap_.pop_back();
        if (n == 0) return result;
        std::size_t pos = 0;
        for (std::size_t child = 1; child < n; child = 2 * pos + 1) {
            if (child + 1 < n && !comp_(h[child], h[child + 1])) ++child;
            h[pos] = h[child];
            pos = child;
        }
        while (pos > 0) {
            const std::size_t parent = (pos - 1) >> 1;
            if (!comp_(last, h[parent])) break;
            h[pos] = h[parent];
            pos = parent;
        }
        h[pos] = last;
        return result;
    }

    template <class U>
    Entry make_entry(U&& x) {
        if constexpr (bare)
            return T(std::forward<U>(x));
        else
            return Stamped{T(std::forward<U>(x)), seq_};
    }
    static T& value_of(Entry& e) noexcept {
        if constexpr (bare)
            return e;
        else
            return e.value;
    }
    static const T& value_of(const Entry& e) noexcept {
        if constexpr (bare)
            return e;
        else
            return e.value;
    }

    // heapq.heappop: the last element replaces the root, then _siftup(heap, 0)
    // descends along the smaller children to a leaf and _siftdown climbs back.
    // Fills `path` with the positions visited (path[0] = 0) and returns the
    // index in `path` where the last element settles. Compares only.
    std::size_t plan_pop(std::size_t n, std::size_t* path) const {
        if (n == 0) return 0;
        const Entry& last = heap_[n];
        std::size_t k = 0;
        path[0] = 0;
        for (std::size_t child = 1; child < n; child = 2 * path[k] + 1) {
            std::size_t right = child + 1;
            if (right < n && !less(heap_[child], heap_[right])) child = right;
            path[++k] = child;
        }
        std::size_t m = k;
        while (m > 0 && less(last, heap_[path[m]])) --m;
        return m;
    }
    bool less(const Entry& a, const Entry& b) const {
        if constexpr (bare) {
            return comp_(a, b);
        } else {
            if (comp_(a.value, b.value)) return true;
            if (comp_(b.value, a.value)) return false;
            return a.seq < b.seq;
        }
    }

    std::vector<Entry> heap_;
    Compare comp_;
    std::uint64_t seq_ = 0;
};

/// The logic shared by Queue, LifoQueue and PriorityQueue (Python's Queue
/// with its _init/_put/_get hooks): `Storage` decides only the order.
template <class T, class Storage>
class BasicQueue {
public:
    using value_type = T;

    explicit BasicQueue(std::ptrdiff_t maxsize = 0, Storage storage = Storage())
        : items_(std::move(storage)),
          maxsize_(maxsize),
          limit_(maxsize > 0 ? static_cast<std::size_t>(maxsize) : static_cast<std::size_t>(-1)) {}
    BasicQueue(const BasicQueue&) = delete;
    BasicQueue& operator=(const BasicQueue&) = delete;
    ~BasicQueue() {
        assert(getters_.empty() && putters_.empty() && joiners_.empty() &&
               "asyncio queue destroyed while tasks wait on it");
    }

    /// The maxsize given to the constructor (<= 0: unbounded).
    std::ptrdiff_t maxsize() const noexcept { return maxsize_; }
    std::size_t qsize() const noexcept { return items_.size(); }
    bool empty() const noexcept { return items_.size() == 0; }
    /// True if maxsize > 0 and the queue holds maxsize items (maxsize is
    /// fixed at construction).
    bool full() const noexcept { return items_.size() >= limit_; }

    /// Puts without waiting. Throws QueueShutDown after shutdown(), QueueFull
    /// when full. Wakes the first waiting getter.
    void put_nowait(const T& item) { put_now(item); }
    void put_nowait(T&& item) { put_now(std::move(item)); }

    /// Gets without waiting. Throws QueueEmpty when empty, or QueueShutDown
    /// when empty and shut down. Wakes the first waiting putter.
    T get_nowait() {
        if (empty()) [[unlikely]]
            throw_cannot_get();
        T item = items_.pop();
        if (!putters_.empty()) putters_.wake_one();
        return item;
    }

    /// Marks one item put as processed. Throws ValueError when called more
    /// times than items were put. Wakes every join() when none is left.
    void task_done() {
        if (unfinished_ == 0) throw ValueError("task_done() called too many times");
        if (--unfinished_ == 0) joiners_.wake_all();
    }

    /// Python 3.13's shutdown(): puts raise QueueShutDown from now on; gets
    /// return what is left, then raise QueueShutDown; every blocked getter and
    /// putter wakes. `immediate` also discards the items, counting each as
    /// done (never below zero).
    void shutdown(bool immediate = false) {
        shutdown_ = true;
        if (immediate) {
            while (!empty()) {
                items_.discard();
                if (unfinished_ > 0) --unfinished_;
            }
            if (unfinished_ == 0) joiners_.wake_all();
        }
        getters_.wake_all();
        putters_.wake_all();
    }

    class GetAwaiter;
    class PutAwaiter;
    class JoinAwaiter;

    // What get(), put() and join() return: awaitables that name their awaiter,
    // which the task builds in place when it awaits them (detail/await.hpp).
    // Classes with constructors, not aggregates (see docs/GCC12.md).
    using GetOp = AwaitOp<BasicQueue, GetAwaiter>;
    using JoinOp = AwaitOp<BasicQueue, JoinAwaiter>;
    class PutOp {
    public:
        using awaiter_type = PutAwaiter;
        PutOp(BasicQueue& q, T&& item) noexcept(std::is_nothrow_move_constructible_v<T>) : q_(&q), item_(std::move(item)) {}
        PutOp(BasicQueue& q, const T& item) : q_(&q), item_(item) {}

    private:
        friend class PutAwaiter;
        BasicQueue* q_;
        T item_;
    };

    /// Awaitable: removes and returns an item, waiting while the queue is
    /// empty. Raises QueueShutDown when shut down and empty.
    [[nodiscard]] GetOp get() noexcept { return GetOp(*this); }
    /// Awaitable: puts an item, waiting while the queue is full. Raises
    /// QueueShutDown when shut down.
    [[nodiscard]] PutOp put(const T& item) { return PutOp(*this, item); }
    [[nodiscard]] PutOp put(T&& item) noexcept(std::is_nothrow_move_constructible_v<T>) { return PutOp(*this, std::move(item)); }
    /// Awaitable: waits until every item put has been marked done.
    [[nodiscard]] JoinOp join() noexcept { return JoinOp(*this); }

    /// Python's str(q): `<Queue maxsize=1 _queue=[1, 2] _getters[1] _putters[1] tasks=2 shutdown>`.
    friend std::ostream& operator<<(std::ostream& os, const BasicQueue& q) {
        os << '<' << Storage::name << " maxsize=" << q.maxsize_;
        if constexpr (is_reprable<T>()) {
            if (!q.empty()) {
                os << " _queue=[";
                bool first = true;
                q.items_.for_each([&](const T& x) {
                    if (!first) os << ", ";
                    first = false;
                    repr(os, x);
                });
                os << ']';
            }
        }
        if (!q.getters_.empty()) os << " _getters[" << q.getters_.size() << ']';
        if (!q.putters_.empty()) os << " _putters[" << q.putters_.size() << ']';
        if (q.unfinished_) os << " tasks=" << q.unfinished_;
        if (q.shutdown_) os << " shutdown";
        return os << '>';
    }

    // ---- awaiters: each is its own wait-list node ----

    class GetAwaiter : WaitNode {
    public:
        explicit GetAwaiter(const GetOp& op) noexcept : WaitNode(&get_ops), q_(&op.owner()) {}
        bool await_ready() const noexcept { return !q_->empty() || q_->shutdown_; }
        void await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
            q_->check_loop(task);
            wait_on(q_->getters_.list(), task, h);
        }
        T await_resume() {
            if (state == State::idle) return q_->get_nowait();  // did not wait
            state = State::idle;
            try {
                return q_->get_nowait();
            } catch (...) {  // the item's move threw: the wake-up must not be lost
                if (!q_->empty()) q_->getters_.wake_one();
                throw;
            }
        }
        void await_cancelled() {
            // Woken, then cancelled before it ran: pass the wake-up on.
            if (cancelled_after_wake() && !q_->empty()) q_->getters_.wake_one();
        }

    private:
        // Woken, but another task took the item first: wait again, at the back.
        static bool rewait_fn(Waiter* w) {
            auto* self = static_cast<GetAwaiter*>(w);
            if (self->state != State::woken || !self->q_->empty() || self->q_->shutdown_) return false;
            self->state = State::waiting;
            self->q_->getters_.list().push_back(self);
            return true;
        }
        static constexpr WaiterOps get_ops{&cancel_wait, &rewait_fn, &detach_wait};
        BasicQueue* q_;
    };

    class PutAwaiter : WaitNode {
    public:
        explicit PutAwaiter(PutOp&& op) noexcept(std::is_nothrow_move_constructible_v<T>)
            : WaitNode(&put_ops), q_(op.q_), item_(std::move(op.item_)) {}
        PutAwaiter(const PutAwaiter&) = delete;
        bool await_ready() const noexcept { return !q_->full() || q_->shutdown_; }
        void await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
            q_->check_loop(task);
            wait_on(q_->putters_.list(), task, h);
        }
        void await_resume() {
            if (state == State::idle) return q_->put_now(std::move(item_));  // did not wait
            state = State::idle;
            try {
                q_->put_now(std::move(item_));
            } catch (...) {  // the item's move threw: the wake-up must not be lost
                if (!q_->full() && !q_->shutdown_) q_->putters_.wake_one();
                throw;
            }
        }
        void await_cancelled() {
            if (cancelled_after_wake() && !q_->full()) q_->putters_.wake_one();
        }

    private:
        static bool rewait_fn(Waiter* w) {
            auto* self = static_cast<PutAwaiter*>(w);
            if (self->state != State::woken || !self->q_->full() || self->q_->shutdown_) return false;
            self->state = State::waiting;
            self->q_->putters_.list().push_back(self);
            return true;
        }
        static constexpr WaiterOps put_ops{&cancel_wait, &rewait_fn, &detach_wait};
        BasicQueue* q_;
        T item_;
    };

    class JoinAwaiter : WaitNode {
    public:
        explicit JoinAwaiter(const JoinOp& op) noexcept : q_(&op.owner()) {}
        bool await_ready() const noexcept { return q_->unfinished_ == 0; }
        void await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
            q_->check_loop(task);
            wait_on(q_->joiners_.list(), task, h);
        }
        void await_resume() noexcept { state = State::idle; }
        void await_cancelled() noexcept { cancelled_after_wake(); }

    private:
        BasicQueue* q_;
    };

private:
    // put_nowait and the end of put(): the item moves (or is copied) once, into the storage.
    template <class U>
    void put_now(U&& item) {
        if (shutdown_ || full()) [[unlikely]]
            throw_cannot_put();
        items_.push(std::forward<U>(item));
        ++unfinished_;
        if (!getters_.empty()) getters_.wake_one();
    }

    // Out of line, so the fast paths of put_nowait/get_nowait inline.
    [[noreturn, gnu::noinline, gnu::cold]] void throw_cannot_put() const {
        if (shutdown_) throw QueueShutDown();
        throw QueueFull();
    }
    [[noreturn, gnu::noinline, gnu::cold]] void throw_cannot_get() const {
        if (shutdown_) throw QueueShutDown();
        throw QueueEmpty();
    }

    // Python binds a queue to the loop of its first blocking call; here a
    // queue is bound only while tasks wait on it, so it can serve one loop
    // after another. Every task in the wait lists belongs to `loop_`, so the
    // common case is one comparison.
    void check_loop(const PromiseBase& task) {
        if (task.loop != loop_) [[unlikely]]
            rebind(task);
    }
    [[gnu::noinline, gnu::cold]] void rebind(const PromiseBase& task) {
        for (const WaitList* l : {&getters_, &putters_, &joiners_})
            l->check_loop(task, Storage::name);  // throws if a task of another loop waits
        loop_ = task.loop;
    }

    Storage items_;
    std::ptrdiff_t maxsize_;
    std::size_t limit_;  // maxsize_ if positive, else SIZE_MAX: full() is one comparison
    std::size_t unfinished_ = 0;  // Python's _unfinished_tasks
    bool shutdown_ = false;
    const EventLoop* loop_ = nullptr;  // the loop of the waiting tasks, if any
    WaitList getters_;
    WaitList putters_;
    WaitList joiners_;
};

}  // namespace detail

/// Python's asyncio.Queue: a FIFO queue for tasks of one event loop.
///
/// Ordering: items come out in the order they were put. Blocked getters and
/// putters are woken one at a time, in the order they started waiting,
/// through the ready queue; a woken task re-checks when it runs and waits
/// again at the back if another task took the item or slot first (as
/// CPython). An item stays in the queue until the woken getter runs.
/// Cancellation never loses an item or a wake-up.
///
/// Complexity: put/get O(1) (amortized; the ring buffer grows, never
/// shrinks), no allocation per wait (awaiters are the wait-list nodes).
///
/// Thread safety: single loop. Distinct objects: safe. Shared objects:
/// unsafe; use from the thread of the loop running its tasks. The *_nowait
/// members, qsize, empty, full, task_done and shutdown also work with no
/// running loop. Destroying a queue while tasks wait on it is a bug
/// (asserted in debug builds).
template <class T>
class Queue : public detail::BasicQueue<T, detail::FifoStorage<T>> {
public:
    explicit Queue(std::ptrdiff_t maxsize = 0) : detail::BasicQueue<T, detail::FifoStorage<T>>(maxsize) {}
};

/// Python's asyncio.LifoQueue: as Queue, but the last item put comes out
/// first. Same ordering of waiters, same thread-safety rules.
template <class T>
class LifoQueue : public detail::BasicQueue<T, detail::LifoStorage<T>> {
public:
    explicit LifoQueue(std::ptrdiff_t maxsize = 0) : detail::BasicQueue<T, detail::LifoStorage<T>>(maxsize) {}
};

/// Python's asyncio.PriorityQueue: as Queue, but the smallest item under
/// `Compare` comes out first (Python's heapq, O(log n)); beyond CPython,
/// equal items come out in insertion order, so a Compare that looks only at a
/// priority field gives a stable priority queue. Same ordering of waiters,
/// same thread-safety rules.
template <class T, class Compare = std::less<T>>
class PriorityQueue : public detail::BasicQueue<T, detail::PriorityStorage<T, Compare>> {
public:
    explicit PriorityQueue(std::ptrdiff_t maxsize = 0, Compare comp = Compare())
        : detail::BasicQueue<T, detail::PriorityStorage<T, Compare>>(maxsize, detail::PriorityStorage<T, Compare>(std::move(comp))) {}
};

}  // namespace asyncio
