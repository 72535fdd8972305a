// asyncio/detail/ready_queue.hpp - the event loop's ready queue (Python's
// loop._ready).
//
// A ring buffer of plain entries (a function and its argument). Each
// iteration of the loop runs the entries that were queued when it began;
// entries they queue wait for the next iteration, exactly as Python's
// `for _ in range(len(self._ready))`. The capacity doubles when full and
// never shrinks, so a loop in steady state does not allocate, and the ring
// goes back to slot 0 whenever a batch leaves it empty, so a queue that once
// grew large (100,000 create_task calls) then runs in a few cache lines.
//
// Single-threaded: only the loop's own thread touches it.
#pragma once

#include <cstddef>
#include <new>

namespace asyncio::detail {

/// One entry of the ready queue: a plain function and its argument. `run` is
/// false when the loop is closed with the entry still queued: the function
/// must then only release what it holds, and not throw.
struct ReadyItem {
    void (*fn)(void* arg, bool run);
    void* arg;
};

class ReadyQueue {
public:
    ReadyQueue() noexcept = default;
    ReadyQueue(const ReadyQueue&) = delete;
    ReadyQueue& operator=(const ReadyQueue&) = delete;
    ~ReadyQueue() { ::operator delete(static_cast<void*>(data_)); }

    bool empty() const noexcept { return head_ == tail_; }

    /// Strong guarantee: if growing throws, nothing is queued.
    void push(ReadyItem item) {
        if (tail_ - head_ == cap_) [[unlikely]]
            grow();
        data_[tail_ & mask_] = item;
        ++tail_;
    }

    /// Runs, in order, every entry queued before the call (not those they
    /// queue). Each entry leaves the queue before it runs, so if one throws
    /// (only an allocation failure can) the rest stay queued.
    void run_batch() {
        for (std::size_t todo = tail_ - head_; todo > 0; --todo) {
            const ReadyItem item = data_[head_ & mask_];
            ++head_;
            item.fn(item.arg, true);
        }
        if (head_ == tail_) head_ = tail_ = 0;
    }

    /// Calls every entry with run = false (the loop is closing), including
    /// entries those calls queue, until none is left.
    void discard_all() noexcept {
        while (head_ != tail_) {
            const ReadyItem item = data_[head_ & mask_];
            ++head_;
            item.fn(item.arg, false);
        }
        head_ = tail_ = 0;
    }

private:
    [[gnu::noinline]] void grow() {
        const std::size_t cap = cap_ ? cap_ * 2 : 16;
        auto* fresh = static_cast<ReadyItem*>(::operator new(cap * sizeof(ReadyItem)));
        const std::size_t n = tail_ - head_;
        for (std::size_t i = 0; i < n; ++i) fresh[i] = data_[(head_ + i) & mask_];
        ::operator delete(static_cast<void*>(data_));
        data_ = fresh;
        cap_ = cap;
        mask_ = cap - 1;
        head_ = 0;
        tail_ = n;
    }

    ReadyItem* data_ = nullptr;
    std::size_t cap_ = 0;   // a power of two, or 0 while unallocated
    std::size_t mask_ = 0;  // cap_ - 1
    std::size_t head_ = 0;  // index of the front entry (monotonic until reset)
    std::size_t tail_ = 0;  // one past the back entry
};

}  // namespace asyncio::detail
