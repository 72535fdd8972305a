// asyncio/detail/wait_list.hpp - FIFO lists of tasks waiting on a condition
// (queue getters, putters and joiners; event waiters).
#pragma once

#include <asyncio/detail/intrusive_list.hpp>
#include <asyncio/detail/promise.hpp>

#include <coroutine>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace asyncio::detail {

/// One waiting task; lives inside the awaiter (no allocation per wait).
///
/// Python keeps a cancelled waiter's future in its deque until the task runs
/// (so `_getters[n]` counts it) and drops it when it is skipped by a wake-up;
/// the node does the same, so `str(q)` matches CPython at every step.
struct WaitNode : NativeAwaiter, Waiter, ListNode {
    /// idle      - not waiting (not yet suspended, or resumed);
    /// waiting   - in the list, its task suspended;
    /// woken     - taken off the list, its task's step scheduled;
    /// cancelled - its task was cancelled while waiting; the step is
    ///             scheduled; it may still be in the list.
    enum class State : std::uint8_t { idle, waiting, woken, cancelled };

    WaitNode() noexcept : Waiter(&plain_ops) {}
    /// For awaiters that re-check on wake-up: `ops` names their rewait and
    /// this class's cancel_wait and detach_wait.
    explicit WaitNode(const WaiterOps* ops) noexcept : Waiter(ops) {}
    WaitNode(const WaitNode& o) noexcept : Waiter(o), ListNode() {}  // copy before waiting only
    WaitNode& operator=(const WaitNode&) = delete;
    ~WaitNode() { leave(); }

    PromiseBase* task = nullptr;
    State state = State::idle;

    void wait_on(IntrusiveList& l, PromiseBase& t, std::coroutine_handle<> h) noexcept {
        task = &t;
        state = State::waiting;
        l.push_back(this);
        task->suspend_on(h, this);
    }

    /// Leaves the list if still in it.
    void leave() noexcept {
        if (linked()) unlink();
    }

    /// Takes the node off its list (it is in one) and schedules its task.
    /// Scheduling may throw (the ready queue grows): it comes first, so that
    /// a failure leaves the waiter waiting rather than losing its wake-up.
    void wake() {
        task->schedule_step();
        unlink();
        state = State::woken;
    }

    /// For await_cancelled(): the task resumes to raise CancelledError. Leaves
    /// the list; returns true if it had been woken first (the caller then has
    /// a wake-up to pass on).
    bool cancelled_after_wake() noexcept {
        const bool woken = state == State::woken;
        leave();
        state = State::idle;
        return woken;
    }

protected:
    static void detach_wait(Waiter* w) {
        auto* self = static_cast<WaitNode*>(w);
        self->leave();
        self->state = State::cancelled;
    }
    static bool cancel_wait(Waiter* w) {
        auto* self = static_cast<WaitNode*>(w);
        if (self->state != State::waiting) return false;
        self->task->schedule_step();
        self->state = State::cancelled;
        self->task->throw_cancel = true;
        return true;
    }

private:
    static constexpr WaiterOps plain_ops{&cancel_wait, nullptr, &detach_wait};
};

/// A list of WaitNodes and the loop they belong to while any waits.
class WaitList {
public:
    WaitList() = default;
    WaitList(const WaitList&) = delete;
    WaitList& operator=(const WaitList&) = delete;
    ~WaitList() { list_.clear(); }

    bool empty() const noexcept { return list_.empty(); }
    /// Waiters in the list, counting cancelled ones whose task has not run yet.
    std::size_t size() const noexcept { return list_.size(); }
    IntrusiveList& list() noexcept { return list_; }

    /// Checks that `task` runs on the loop of the tasks already waiting.
    /// `what` names the owner in the error message.
    void check_loop(const PromiseBase& task, std::string_view what) const {
        if (auto* n = static_cast<WaitNode*>(list_.front()); n && n->task->loop != task.loop)
            throw std::runtime_error("<" + std::string(what) + "> is bound to a different event loop");
    }

    /// Wakes the first waiter that is still waiting, dropping cancelled ones
    /// on the way (Python's _wakeup_next). Returns false if there was none.
    bool wake_one() {
        for (ListNode* l = list_.first(); l != list_.end(); l = list_.first()) {
            auto* n = static_cast<WaitNode*>(l);
            if (n->state == WaitNode::State::waiting) [[likely]] {
                n->wake();
                return true;
            }
            list_.erase(n);
        }
        return false;
    }

    /// Wakes every waiter, in order.
    void wake_all() {
        while (wake_one()) {
        }
    }

private:
    IntrusiveList list_;
};

}  // namespace asyncio::detail
