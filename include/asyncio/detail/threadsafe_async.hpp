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

    class GetAwaiter : TaskNode {
    public:
        explicit GetAwaiter(CoreT& q) noexcept : TaskNode(&ops, &q.mutex), q_(&q) {}
        GetAwaiter(GetAwaiter&& o) noexcept : TaskNode(o), q_(o.q_) {}  // before waiting only

        bool await_ready() {
            lock_ = std::unique_lock(q_->mutex);  // held for await_resume or await_suspend
            return !q_->empty_locked() || q_->shutdown;
        }
        void await_suspend(std::coroutine_handle<> h, PromiseBase& t) noexcept {
            const std::unique_lock lk = std::move(lock_);
            task = &t;
            state = State::waiting;
            q_->getters.push_back(this);
            t.suspend_on(h, this);
        }
        T await_resume() {
            const std::unique_lock lk = std::move(lock_);  // from await_ready or rewait
            if (q_->empty_locked()) throw QueueShutDown();
            if (!woken_) return q_->get_locked();
            try {
                return q_->get_locked();
            } catch (...) {  // the item's move threw: it stays, for the next getter
                q_->pass_on_get_locked();
                throw;
            }
        }
        void await_cancelled() {
            // Woken, then cancelled before it ran: pass the wake-up on.
            const std::unique_lock lk = relock();
            const bool was_woken = state == State::woken;
            if (linked()) unlink();
            state = State::idle;
            if (was_woken) q_->pass_on_get_locked();
        }

    private:
        // The mutex, or the hold await_ready kept (a cancellation raised at a co_await
        // that did not suspend: nothing was taken, nothing to pass on).
        std::unique_lock<std::mutex> relock() {
            if (lock_.owns_lock()) return std::move(lock_);
            return std::unique_lock(q_->mutex);
        }
        // Woken: take the item now, or, if another getter took it first,
        // wait again at the back (Python's `while self.empty()`).
        static bool rewait(Waiter* w) {
            auto* self = static_cast<GetAwaiter*>(w);
            std::unique_lock lk(self->q_->mutex);
            if (self->q_->empty_locked() && !self->q_->shutdown) {
                self->state = State::waiting;
                self->q_->getters.push_back(self);
                return true;
            }
            self->state = State::idle;
            self->woken_ = true;
            self->lock_ = std::move(lk);
            return false;
        }
        // The task's loop was closed: a wake-up it had not used yet goes on.
        static void detach(Waiter* w) {
            auto* self = static_cast<GetAwaiter*>(w);
            const std::lock_guard lk(self->q_->mutex);
            const bool was_woken = self->state == State::woken;
            if (self->linked()) self->unlink();
            self->state = State::gone;
            if (was_woken) self->q_->pass_on_get_locked();
        }
        static constexpr WaiterOps ops{&cancel_wait, &rewait, &detach};

        CoreT* q_;
        std::unique_lock<std::mutex> lock_;
        bool woken_ = false;  // it waited and was woken: a failure passes the wake-up on
    };

    class PutAwaiter : TaskNode {
    public:
        PutAwaiter(CoreT& q, T&& item) noexcept(std::is_nothrow_move_constructible_v<T>)
            : TaskNode(&ops, &q.mutex), q_(&q), item_(std::move(item)) {}
        PutAwaiter(PutAwaiter&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
            : TaskNode(o), q_(o.q_), item_(std::move(o.item_)) {}

        bool await_ready() {
            lock_ = std::unique_lock(q_->mutex);
            return !q_->full_locked() || q_->shutdown;
        }
        void await_suspend(std::coroutine_handle<> h, PromiseBase& t) noexcept {
            const std::unique_lock lk = std::move(lock_);
            task = &t;
            state = State::waiting;
            q_->putters.push_back(this);
            t.suspend_on(h, this);
        }
        void await_resume() {
            const std::unique_lock lk = std::move(lock_);
            if (q_->shutdown) throw QueueShutDown();
            if (!woken_) return q_->put_locked(std::move(item_));
            try {
                q_->put_locked(std::move(item_));
            } catch (...) {  // the item's move threw: the free slot goes to the next putter
                q_->pass_on_put_locked();
                throw;
            }
        }
        void await_cancelled() {
            const std::unique_lock lk = relock();
            const bool was_woken = state == State::woken;
            if (linked()) unlink();
            state = State::idle;
            if (was_woken) q_->pass_on_put_locked();
        }

    private:
        std::unique_lock<std::mutex> relock() {
            if (lock_.owns_lock()) return std::move(lock_);
            return std::unique_lock(q_->mutex);
        }
        static bool rewait(Waiter* w) {
            auto* self = static_cast<PutAwaiter*>(w);
            std::unique_lock lk(self->q_->mutex);
            if (self->q_->full_locked() && !self->q_->shutdown) {
                self->state = State::waiting;
                self->q_->putters.push_back(self);
                return true;
            }
            self->state = State::idle;
            self->woken_ = true;
            self->lock_ = std::move(lk);
            return false;
        }
        static void detach(Waiter* w) {
            auto* self = static_cast<PutAwaiter*>(w);
            const std::lock_guard lk(self->q_->mutex);
            const bool was_woken = self->state == State::woken;
            if (self->linked()) self->unlink();
            self->state = State::gone;
            if (was_woken) self->q_->pass_on_put_locked();
        }
        static constexpr WaiterOps ops{&cancel_wait, &rewait, &detach};

        CoreT* q_;
        std::unique_lock<std::mutex> lock_;
        bool woken_ = false;
        T item_;
    };

    class JoinAwaiter : TaskNode {
    public:
        explicit JoinAwaiter(CoreT& q) noexcept : TaskNode(&ops, &q.mutex), q_(&q) {}
        JoinAwaiter(JoinAwaiter&& o) noexcept : TaskNode(o), q_(o.q_) {}

        bool await_ready() {
            lock_ = std::unique_lock(q_->mutex);
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
            if (linked()) unlink();
            state = State::idle;
        }

    private:
        static void detach(Waiter* w) {
            auto* self = static_cast<JoinAwaiter*>(w);
            const std::lock_guard lk(self->q_->mutex);
            if (self->linked()) self->unlink();
            self->state = State::gone;
        }
        static constexpr WaiterOps ops{&cancel_wait, nullptr, &detach};

        CoreT* q_;
        std::unique_lock<std::mutex> lock_;
    };
};

}  // namespace asyncio::detail::tsq
