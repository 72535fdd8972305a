// asyncio/detail/threadsafe_sync.hpp - the blocking face of a threadsafe
// queue (Python's queue.Queue API): threadsafe::Queue<T>::sync_q().
#pragma once

#include <asyncio/detail/threadsafe_core.hpp>

#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <utility>

namespace asyncio::detail::tsq {

using Clock = std::chrono::steady_clock;

/// The deadline of a blocking call: none for `timeout = nullopt` (or one so
/// long that it cannot be told from forever). ValueError when negative or NaN.
inline std::optional<Clock::time_point> deadline_after(std::optional<double> timeout) {
    if (!timeout) return std::nullopt;
    if (!(*timeout >= 0)) throw ValueError("'timeout' must be a non-negative number");
    if (*timeout > 1e9) return std::nullopt;  // 31 years: and no overflow of the clock
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*timeout));
}

/// Waits in `l` (at the back) until woken or `deadline`. Returns true if
/// woken; either way the node is out of the list and idle on return.
inline bool wait_in(IntrusiveList& l, ThreadNode& n, std::unique_lock<std::mutex>& lk,
                    const std::optional<Clock::time_point>& deadline) noexcept {
    n.state = Node::State::waiting;
    l.push_back(&n);
    const auto woken = [&n] { return n.state != Node::State::waiting; };
    if (deadline)
        n.cv.wait_until(lk, *deadline, woken);
    else
        n.cv.wait(lk, woken);
    const bool was_woken = n.state == Node::State::woken;
    if (n.linked()) n.unlink();  // timed out
    n.state = Node::State::idle;
    return was_woken;
}

/// The blocking face: Python's queue.Queue. Its blocking calls (put, get,
/// join, with block = true) throw std::runtime_error at once on a thread that
/// runs an event loop; everything else works on any thread.
template <class T, class Storage>
class SyncFace : public FaceBase<T, Storage> {
    using FaceBase<T, Storage>::q_;

public:
    using FaceBase<T, Storage>::FaceBase;

    /// Puts, waiting while the queue is full (forever, or `timeout` seconds:
    /// QueueFull then). `block = false` is put_nowait (the timeout is
    /// ignored). QueueShutDown after shutdown(), also while waiting;
    /// ValueError for a negative timeout (as Python: only when maxsize > 0).
    void put(T item) { put(std::move(item), true); }
    void put(T item, bool block, std::optional<double> timeout = std::nullopt) {
        if (block) check_may_block("put");
        std::unique_lock lk = lock_spinning(q_->mutex);
        if (q_->shutdown) throw QueueShutDown();
        bool woken = false;
        if (q_->maxsize > 0) {
            if (!block) {
                if (q_->full_locked()) throw QueueFull();
            } else {
                const auto deadline = deadline_after(timeout);
                if (q_->full_locked()) woken = wait_not_full(lk, deadline);
            }
        }
        if (!woken) return q_->put_locked(std::move(item));
        try {
            q_->put_locked(std::move(item));
        } catch (...) {  // the item's move threw: the free slot goes to the next putter
            q_->pass_on_put_locked();
            throw;
        }
    }

    /// Removes and returns an item, waiting while the queue is empty (forever,
    /// or `timeout` seconds: QueueEmpty then). `block = false` is get_nowait.
    /// QueueShutDown when shut down and empty, also while waiting;
    /// ValueError for a negative timeout.
    T get() { return get(true); }
    T get(bool block, std::optional<double> timeout = std::nullopt) {
        if (block) check_may_block("get");
        std::unique_lock lk = lock_spinning(q_->mutex);
        if (q_->shutdown && q_->empty_locked()) throw QueueShutDown();
        if (!block) {
            if (q_->empty_locked()) throw QueueEmpty();
            return q_->get_locked();
        }
        const auto deadline = deadline_after(timeout);
        const bool woken = q_->empty_locked() && wait_not_empty(lk, deadline);
        if (!woken) return q_->get_locked();
        try {
            return q_->get_locked();
        } catch (...) {  // the item's move threw: it stays, for the next getter
            q_->pass_on_get_locked();
            throw;
        }
    }

    /// Waits until every item put (on either face) has been marked done. It
    /// returns once the count has been zero at some instant after the call
    /// (asyncio's Event semantics: a put right after does not hold it back).
    void join() {
        check_may_block("join");
        std::unique_lock lk(q_->mutex);
        if (q_->unfinished == 0) return;
        ThreadNode node;
        wait_in(q_->joiners, node, lk, std::nullopt);
    }

private:
    // The slow paths, out of line: the node (and its condition variable, whose construction
    // and destruction cost as much as a whole put) exists only in a call that waits.

    /// Waits (the queue is full) until a slot is free; QueueFull at the deadline,
    /// QueueShutDown on shutdown. Returns whether the last wait ended with a wake-up.
    bool wait_not_full(std::unique_lock<std::mutex>& lk, const std::optional<Clock::time_point>& deadline) {
        q_->spin_until(lk, [max = static_cast<std::size_t>(q_->maxsize)](std::size_t n) { return n < max; });
        ThreadNode node;
        bool woken = false;
        while (q_->full_locked()) {
            if (deadline && Clock::now() >= *deadline) throw QueueFull();
            woken = wait_in(q_->putters, node, lk, deadline);
            if (q_->shutdown) throw QueueShutDown();
        }
        return woken;
    }
    /// Waits (the queue is empty) until an item is there; QueueEmpty at the deadline,
    /// QueueShutDown when shut down and empty.
    bool wait_not_empty(std::unique_lock<std::mutex>& lk, const std::optional<Clock::time_point>& deadline) {
        q_->spin_until(lk, [](std::size_t n) { return n != 0; });
        ThreadNode node;
        bool woken = false;
        while (q_->empty_locked()) {
            if (deadline && Clock::now() >= *deadline) throw QueueEmpty();
            woken = wait_in(q_->getters, node, lk, deadline);
            if (q_->shutdown && q_->empty_locked()) throw QueueShutDown();
        }
        return woken;
    }
};

}  // namespace asyncio::detail::tsq
