// asyncio/detail/threadsafe_async.hpp - the awaitable face of a threadsafe
// queue (asyncio.Queue's API): threadsafe::Queue<T>::async_q().
//
// The awaiters decide and act under one holding of the queue's mutex, so an
// item moves exactly once, from the queue into the result (a throwing move
// then leaves the queue as it was). To do so the lock taken by await_ready
// (or by the rewait op of a woken task) is handed, in the `lock_` member, to
// the await_suspend or await_resume that the language calls right after it,
// with nothing in between; a std::unique_lock owns it throughout.
#pragma once

#include <asyncio/detail/threadsafe_core.hpp>

#include <coroutine>
#include <mutex>
#include <type_traits>
#include <utility>

namespace asyncio::detail::tsq {

/// The awaitable face: asyncio.Queue's API, from tasks of any number of
/// loops on any threads at once. Each waiting task resumes on its own loop.
template <class T, class Storage>
class AsyncFace : public FaceBase<T, Storage> {
    using FaceBase<T, Storage>::q_;
    using CoreT = Core<T, Storage>;

public:
    using FaceBase<T, Storage>::FaceBase;

    class GetAwaiter;
    class PutAwaiter;
    class JoinAwaiter;

    /// Awaitable: removes and returns an item, waiting while the queue is
    /// empty. Raises QueueShutDown when shut down and empty.
    [[nodiscard]] GetAwaiter get() noexcept { return GetAwaiter(*q_); }
    /// Awaitable: puts an item, waiting while the queue is full. Raises
    /// QueueShutDown when shut down.
    [[nodiscard]] PutAwaiter put(T item) noexcept(std::is_nothrow_move_constructible_v<T>) {
        return PutAwaiter(*q_, std::move(item));
    }
    /// Awaitable: waits until every item put has been marked done.
    [[nodiscard]] JoinAwaiter join() noexcept { return JoinAwaiter(*q_); }

    /// What GetAwaiter and PutAwaiter share; `Kind` says which list the task waits in, when
    /// it must wait, and how a wake-up it does not use passes on.
    template <class Kind>
    class ItemAwaiter : protected TaskNode {
    public:
        explicit ItemAwaiter(CoreT& q) noexcept : TaskNode(&ops, &q.mutex), q_(&q) {}
        ItemAwaiter(const ItemAwaiter& o) noexcept : TaskNode(o), q_(o.q_) {}  // before waiting only

        bool await_ready() {
            lock_ = lock_spinning(q_->mutex);  // held for await_resume or await_suspend
            return !Kind::must_wait(*q_);
        }
        void await_suspend(std::coroutine_handle<> h, PromiseBase& t) noexcept {
            const std::unique_lock lk = std::move(lock_);
            task = &t;
            state = State::waiting;
            Kind::list(*q_).push_back(this);
            t.suspend_on(h, this);
        }
        void await_cancelled() {
            // Woken, then cancelled before it ran: pass the wake-up on.
            const std::unique_lock lk = relock();
            if (cancelled_after_wake()) Kind::pass_on(*q_);
        }

    protected:
        /// The hold of the mutex that await_ready or rewait passed on (await_resume takes it).
        std::unique_lock<std::mutex> take_lock() noexcept { return std::move(lock_); }
        /// Runs `act` (the get or the put, under the mutex); if it throws after a wake-up,
        /// the wake-up passes on (the item stays for the next getter; the free slot goes to
        /// the next putter).
        template <class Act>
        decltype(auto) act_woken(Act act) {
            if (!woken_) return act();
            try {
                return act();
            } catch (...) {
                Kind::pass_on(*q_);
                throw;
            }
        }

        CoreT* q_;

    private:
        // The mutex, or the hold await_ready kept (a cancellation raised at a co_await that
        // did not suspend: nothing was taken, nothing to pass on).
        std::unique_lock<std::mutex> relock() {
            if (lock_.owns_lock()) return std::move(lock_);
            return lock_spinning(q_->mutex);
        }
        // Woken: act now, or, if another task or thread took the item (the slot) first, wait
        // again at the back (Python's `while self.empty()` / `while self.full()`).
        static bool rewait(Waiter* w) {
            auto* self = static_cast<ItemAwaiter*>(w);
            std::unique_lock lk = lock_spinning(self->q_->mutex);
            if (Kind::must_wait(*self->q_)) {
                self->state = State::waiting;
                Kind::list(*self->q_).push_back(self);
                return true;
            }
            self->state = State::idle;
            self->woken_ = true;
            self->lock_ = std::move(lk);
            return false;
        }
        // The task's loop was closed: a wake-up it had not used yet goes on.
        static void detach(Waiter* w) {
            auto* self = static_cast<ItemAwaiter*>(w);
            const std::lock_guard lk(self->q_->mutex);
            const bool was_woken = self->cancelled_after_wake();
            self->state = State::gone;
            if (was_woken) Kind::pass_on(*self->q_);
        }
        static constexpr WaiterOps ops{&cancel_wait, &rewait, &detach};

        std::unique_lock<std::mutex> lock_;
        bool woken_ = false;  // it waited and was woken: a failure passes the wake-up on
    };

    struct GetKind {
        static bool must_wait(const CoreT& q) noexcept { return q.empty_locked() && !q.shutdown; }
        static IntrusiveList& list(CoreT& q) noexcept { return q.getters; }
        static void pass_on(CoreT& q) { q.pass_on_get_locked(); }
    };
    struct PutKind {
        static bool must_wait(const CoreT& q) noexcept { return q.full_locked() && !q.shutdown; }
        static IntrusiveList& list(CoreT& q) noexcept { return q.putters; }
        static void pass_on(CoreT& q) { q.pass_on_put_locked(); }
    };

    class GetAwaiter : public ItemAwaiter<GetKind> {
        using Base = ItemAwaiter<GetKind>;

    public:
        explicit GetAwaiter(CoreT& q) noexcept : Base(q) {}
        GetAwaiter(GetAwaiter&& o) noexcept : Base(o) {}  // before waiting only

        T await_resume() {
            const std::unique_lock lk = this->take_lock();  // from await_ready or rewait
            if (this->q_->empty_locked()) throw QueueShutDown();
            return this->act_woken([this]() -> T { return this->q_->get_locked(); });
        }
    };

    class PutAwaiter : public ItemAwaiter<PutKind> {
        using Base = ItemAwaiter<PutKind>;

    public:
        PutAwaiter(CoreT& q, T&& item) noexcept(std::is_nothrow_move_constructible_v<T>)
            : Base(q), item_(std::move(item)) {}
        PutAwaiter(PutAwaiter&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
            : Base(o), item_(std::move(o.item_)) {}

        void await_resume() {
            const std::unique_lock lk = this->take_lock();
            if (this->q_->shutdown) throw QueueShutDown();
            this->act_woken([this] { this->q_->put_locked(std::move(item_)); });
        }

    private:
        T item_;
    };

    class JoinAwaiter : TaskNode {
    public:
        explicit JoinAwaiter(CoreT& q) noexcept : TaskNode(&ops, &q.mutex), q_(&q) {}
        JoinAwaiter(JoinAwaiter&& o) noexcept : TaskNode(o), q_(o.q_) {}

        bool await_ready() {
            lock_ = lock_spinning(q_->mutex);
            if (q_->unfinished != 0) return false;
            lock_.unlock();
            return true;
        }
        void await_suspend(std::coroutine_handle<> h, PromiseBase& t) noexcept {
            const std::unique_lock lk = std::move(lock_);
            task = &t;
            state = State::waiting;
            q_->joiners.push_back(this);
            t.suspend_on(h, this);
        }
        // Woken when the count reached zero: done, even if items were put
        // since (asyncio's join waits on an Event).
        void await_resume() const noexcept {}
        void await_cancelled() {
            const std::lock_guard lk(q_->mutex);
            (void)cancelled_after_wake();  // a joiner's wake-up is for all: nothing to pass on
        }

    private:
        static void detach(Waiter* w) {
            auto* self = static_cast<JoinAwaiter*>(w);
            const std::lock_guard lk(self->q_->mutex);
            (void)self->cancelled_after_wake();
            self->state = State::gone;
        }
        static constexpr WaiterOps ops{&cancel_wait, nullptr, &detach};

        CoreT* q_;
        std::unique_lock<std::mutex> lock_;
    };
};

}  // namespace asyncio::detail::tsq
