// asyncio/detail/as_completed.hpp - asyncio::as_completed (Python 3.13's
// _AsCompletedIterator): a range of awaitables that give the tasks' results
// in the order the tasks complete.
#pragma once

#include <asyncio/detail/await.hpp>
#include <asyncio/detail/future_core.hpp>
#include <asyncio/detail/promise.hpp>
#include <asyncio/detail/task_awaiters.hpp>
#include <asyncio/detail/timer_heap.hpp>
#include <asyncio/detail/wait.hpp>
#include <asyncio/detail/wait_list.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace asyncio::detail {

/// What the range and its elements share (Python's _AsCompletedIterator):
/// the tasks, a done-callback node per task, a queue of completions (Python's
/// self._done, an asyncio.Queue), its waiting getters and the timeout timer.
template <class T>
class AsCompletedState {
public:
    static constexpr std::size_t timed_out = static_cast<std::size_t>(-1);

    explicit AsCompletedState(std::vector<Task<T>> tasks)
        : tasks_(unique_scheduled(std::move(tasks), "as_completed")) {
        todo_ = tasks_.size();
        if (todo_ == 0) return;
        loop_ = &get_running_loop();
        nodes_ = std::make_unique<Node[]>(todo_);
        for (std::size_t i = 0; i < todo_; ++i) {
            PromiseBase* p = promise_of(tasks_[i]);
            if (p->loop != loop_) throw std::runtime_error("as_completed() of a task attached to a different loop");
            nodes_[i].owner = this;
            nodes_[i].index = i;
            nodes_[i].fn = &on_done;
        }
    }

    /// Registers the done-callbacks and the timer (Python's __init__, after
    /// the set is built). `self` is this state: a task already done is
    /// queued at once (Python's add_done_callback), and the queued entry
    /// holds a reference, so the state outlives it.
    static void start(const std::shared_ptr<AsCompletedState>& self, std::optional<double> timeout) {
        for (std::size_t i = 0; i < self->todo_; ++i) {
            PromiseBase* p = promise_of(self->tasks_[i]);
            if (p->is_done()) {
                auto* d = new DoneNow{self, i};
                try {
                    LoopAccess::push_ready(*self->loop_, &done_now, d);
                } catch (...) {
                    delete d;
                    throw;
                }
            } else {
                p->callbacks.push_back(&self->nodes_[i]);
            }
        }
        if (timeout && self->todo_ > 0) {
            self->timer_.fire = &fire;
            self->timer_.owner = self.get();
            LoopAccess::add_timer(*self->loop_, &self->timer_, self->loop_->time() + *timeout);
        }
    }
    AsCompletedState(const AsCompletedState&) = delete;
    AsCompletedState& operator=(const AsCompletedState&) = delete;
    ~AsCompletedState() {
        for (std::size_t i = 0; nodes_ && i < tasks_.size(); ++i)
            if (nodes_[i].linked()) nodes_[i].unlink();
        using S = TimerNode::State;
        if (timer_.state == S::in_heap || timer_.state == S::due) LoopAccess::remove_timer(*loop_, &timer_);
    }

    /// Elements not handed out yet (Python's _todo_left).
    std::size_t left() const noexcept { return tasks_.size() - handed_out_; }
    void hand_out() {
        if (left() == 0) throw std::out_of_range("as_completed(): no element left");
        ++handed_out_;
    }

    /// Awaiting one element (Python's _wait_for_one(resolve=True)): the
    /// result of the next task to complete, its exception, or TimeoutError.
    class GetAwaiter : WaitNode {
    public:
        explicit GetAwaiter(AsCompletedState* s) noexcept : WaitNode(&get_ops), s_(s) {}
        bool await_ready() const noexcept { return !s_->done_.empty(); }
        void await_suspend(std::coroutine_handle<> h, PromiseBase& task) {
            if (task.loop != s_->loop_) throw std::runtime_error("as_completed() awaited from a different loop");
            wait_on(s_->getters_.list(), task, h);
        }
        T await_resume() {
            state = State::idle;
            const std::size_t i = s_->done_.front();
            s_->done_.pop_front();
            if (i == timed_out) throw TimeoutError();
            Task<T>& t = s_->tasks_[i];
            auto* p = static_cast<Promise<T>*>(promise_of(t));
            return take_value<T>(*p, p->value_slot(), true);
        }
        void await_cancelled() noexcept {
            // Woken, then cancelled before it ran: pass the wake-up on (Python's Queue.get).
            if (cancelled_after_wake() && !s_->done_.empty()) s_->getters_.wake_one();
        }

    private:
        // Woken, but another element took the completion first: wait again, at the back.
        static bool rewait_fn(Waiter* w) {
            auto* self = static_cast<GetAwaiter*>(w);
            if (self->state != State::woken || !self->s_->done_.empty()) return false;
            self->state = State::waiting;
            self->s_->getters_.list().push_back(self);
            return true;
        }
        static constexpr WaiterOps get_ops{&cancel_wait, &rewait_fn, &detach_wait};
        AsCompletedState* s_;
    };

private:
    struct Node : DoneCallback {
        AsCompletedState* owner = nullptr;
        std::size_t index = 0;
    };
    struct Timer : TimerNode {
        AsCompletedState* owner;
    };

    static void on_done(DoneCallback* cb, bool run) {
        if (run) static_cast<Node*>(cb)->owner->completed(static_cast<Node*>(cb)->index);
    }
    struct DoneNow {
        std::shared_ptr<AsCompletedState> state;
        std::size_t index;
    };
    static void done_now(void* p, bool run) {
        auto* d = static_cast<DoneNow*>(p);
        if (run) {
            try {
                d->state->completed(d->index);
            } catch (...) {
                delete d;
                throw;
            }
        }
        delete d;
    }

    // Python's _handle_completion.
    void completed(std::size_t i) {
        if (todo_ == 0) return;
        --todo_;
        put(i);
        if (todo_ == 0) {
            using S = TimerNode::State;
            if (timer_.state == S::in_heap || timer_.state == S::due) LoopAccess::remove_timer(*loop_, &timer_);
        }
    }
    // Python's _handle_timeout: every task not completed yet gives a TimeoutError.
    static void fire(TimerNode* t) {
        AsCompletedState* self = static_cast<Timer*>(t)->owner;
        for (std::size_t i = 0; i < self->tasks_.size(); ++i) {
            if (self->nodes_[i].linked()) self->nodes_[i].unlink();
        }
        for (; self->todo_ > 0; --self->todo_) self->put(timed_out);
    }
    void put(std::size_t i) {
        done_.push_back(i);
        getters_.wake_one();
    }

    std::vector<Task<T>> tasks_;
    std::unique_ptr<Node[]> nodes_;
    std::size_t todo_ = 0;         // tasks not completed yet (Python's len(self._todo))
    std::size_t handed_out_ = 0;   // elements handed out by the range
    std::deque<std::size_t> done_; // completions not taken yet: task indexes, or timed_out
    WaitList getters_;
    EventLoop* loop_ = nullptr;
    Timer timer_;
};

}  // namespace asyncio::detail

namespace asyncio {

/// One element of as_completed(): awaiting it gives the result of the next
/// task to complete (the first element awaited gets the first completion),
/// rethrows that task's exception, or raises TimeoutError past the deadline.
/// Movable, not copyable; awaited once.
template <class T>
class AsCompletedNext {
public:
    explicit AsCompletedNext(std::shared_ptr<detail::AsCompletedState<T>> s) noexcept : s_(std::move(s)) {}
    AsCompletedNext(AsCompletedNext&&) noexcept = default;
    AsCompletedNext& operator=(AsCompletedNext&&) noexcept = default;

    typename detail::AsCompletedState<T>::GetAwaiter operator co_await() {
        if (!s_) throw std::runtime_error("cannot reuse already awaited coroutine");
        auto* s = s_.get();
        used_ = std::move(s_);  // keeps the state alive until this element is gone
        return typename detail::AsCompletedState<T>::GetAwaiter(s);
    }

private:
    std::shared_ptr<detail::AsCompletedState<T>> s_;
    std::shared_ptr<detail::AsCompletedState<T>> used_;
};

/// The range that as_completed() returns: as many elements as distinct tasks.
/// Like Python's iterator, it is consumed as it goes: each dereference hands
/// out the next element, and iterating again (after a `break`) goes on with
/// the elements not handed out yet.
template <class T>
class AsCompleted {
public:
    explicit AsCompleted(std::shared_ptr<detail::AsCompletedState<T>> s) noexcept : s_(std::move(s)) {}

    struct sentinel {};
    class iterator {
    public:
        using value_type = AsCompletedNext<T>;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        explicit iterator(const std::shared_ptr<detail::AsCompletedState<T>>* s) noexcept : s_(s) {}
        /// Python's next(): hands out the next element.
        AsCompletedNext<T> operator*() const {
            (*s_)->hand_out();
            return AsCompletedNext<T>(*s_);
        }
        iterator& operator++() noexcept { return *this; }
        void operator++(int) noexcept {}
        friend bool operator==(const iterator& it, sentinel) noexcept { return (*it.s_)->left() == 0; }

    private:
        const std::shared_ptr<detail::AsCompletedState<T>>* s_ = nullptr;
    };

    iterator begin() const noexcept { return iterator(&s_); }
    sentinel end() const noexcept { return {}; }
    /// The number of elements not handed out yet.
    std::size_t size() const noexcept { return s_->left(); }

private:
    std::shared_ptr<detail::AsCompletedState<T>> s_;
};

}  // namespace asyncio
