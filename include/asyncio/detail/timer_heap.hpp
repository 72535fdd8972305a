// asyncio/detail/timer_heap.hpp - the loop's timers: an indexed binary min-heap
// of intrusive nodes ordered by (due time, scheduling sequence), so timers due
// at the same time fire in the order they were scheduled, and any timer can be
// removed in O(log n) when its owner is cancelled or destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace asyncio::detail {

/// A timer. Embedded in its owner (a sleep awaiter, a timeout scope, a
/// call_later handle); the loop never allocates one.
struct TimerNode {
    /// Where the node is:
    ///   idle     - in no container (never scheduled, fired, or removed);
    ///   in_heap  - waiting in the heap, `index` is its heap slot;
    ///   due      - taken from the heap this iteration and waiting in the
    ///              loop's due list to run, `index` is its slot there;
    ///   detached - its loop was closed before it fired; it will never fire.
    enum class State : std::uint8_t { idle, in_heap, due, detached };

    double when = 0;
    std::uint64_t seq = 0;
    std::size_t index = 0;
    State state = State::idle;
    /// Called when the timer fires (from the loop's run_once).
    void (*fire)(TimerNode*) = nullptr;
    /// Called when the loop is closed with the timer still pending (may be null).
    void (*detach)(TimerNode*) = nullptr;
};

class TimerHeap {
public:
    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }
    TimerNode* top() const noexcept { return heap_.front(); }

    void push(TimerNode* n) {
        heap_.push_back(n);
        n->state = TimerNode::State::in_heap;
        sift_up(heap_.size() - 1);
    }

    TimerNode* pop() noexcept {
        TimerNode* n = heap_.front();
        remove_at(0);
        return n;
    }

    void remove(TimerNode* n) noexcept { remove_at(n->index); }

    /// Empties the heap, returning the nodes (in no particular order).
    std::vector<TimerNode*> take_all() noexcept {
        std::vector<TimerNode*> all;
        all.swap(heap_);
        return all;
    }

private:
    static bool less(const TimerNode* a, const TimerNode* b) noexcept {
        return a->when < b->when || (a->when == b->when && a->seq < b->seq);
    }

    void place(TimerNode* n, std::size_t i) noexcept {
        heap_[i] = n;
        n->index = i;
    }

    void remove_at(std::size_t i) noexcept {
        TimerNode* gone = heap_[i];
        gone->state = TimerNode::State::idle;
        TimerNode* last = heap_.back();
        heap_.pop_back();
        if (i < heap_.size()) {
            place(last, i);
            sift_down(i);
            sift_up(i);
        }
    }

    void sift_up(std::size_t i) noexcept {
        TimerNode* n = heap_[i];
        while (i > 0) {
            std::size_t parent = (i - 1) / 2;
            if (!less(n, heap_[parent])) break;
            place(heap_[parent], i);
            i = parent;
        }
        place(n, i);
    }

    void sift_down(std::size_t i) noexcept {
        TimerNode* n = heap_[i];
        std::size_t size = heap_.size();
        for (;;) {
            std::size_t child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && less(heap_[child + 1], heap_[child])) ++child;
            if (!less(heap_[child], n)) break;
            place(heap_[child], i);
            i = child;
        }
        place(n, i);
    }

    std::vector<TimerNode*> heap_;
};

}  // namespace asyncio::detail
