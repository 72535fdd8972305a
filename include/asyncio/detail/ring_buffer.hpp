// asyncio/detail/ring_buffer.hpp - a growable FIFO ring buffer.
//
// Capacity is a power of two; it doubles when full and never shrinks, so a
// queue in steady state does not allocate. Elements are constructed in place
// in raw storage: T need not be default-constructible, and may be move-only.
#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace asyncio::detail {

template <class T>
class RingBuffer {
public:
    RingBuffer() noexcept = default;
    RingBuffer(const RingBuffer&) = delete;
    RingBuffer& operator=(const RingBuffer&) = delete;
    RingBuffer(RingBuffer&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)),
          cap_(std::exchange(o.cap_, 0)),
          mask_(std::exchange(o.mask_, 0)),
          head_(std::exchange(o.head_, 0)),
          tail_(std::exchange(o.tail_, 0)) {}
    ~RingBuffer() {
        clear();
        ::operator delete(static_cast<void*>(data_));
    }

    std::size_t size() const noexcept { return tail_ - head_; }
    bool empty() const noexcept { return tail_ == head_; }
    std::size_t capacity() const noexcept { return cap_; }

    T& front() noexcept { assert(!empty()); return data_[head_ & mask_]; }
    T& back() noexcept { assert(!empty()); return data_[(tail_ - 1) & mask_]; }
    /// i-th element from the front.
    const T& operator[](std::size_t i) const noexcept { return data_[(head_ + i) & mask_]; }

    /// Strong guarantee: if constructing the element (or growing) throws,
    /// the buffer is unchanged.
    template <class... Args>
    void emplace_back(Args&&... args) {
        if (size() == cap_) [[unlikely]]
            grow();
        ::new (static_cast<void*>(data_ + (tail_ & mask_))) T(std::forward<Args>(args)...);
        ++tail_;
    }

    void pop_front() noexcept {
        assert(!empty());
        data_[head_ & mask_].~T();
        // Back to slot 0 when empty: a buffer that once grew large (the ready
        // queue after 100,000 create_task calls) then stays in a few cache lines.
        if (++head_ == tail_) head_ = tail_ = 0;
    }

    /// Moves the front element out and drops it, without going back to slot
    /// 0 when that empties the buffer (the caller calls rewind_if_empty()
    /// after a batch: the loop's ready queue).
    T take_front() noexcept(std::is_nothrow_move_constructible_v<T>) {
        assert(!empty());
        T& slot = data_[head_ & mask_];
        T x(std::move(slot));
        slot.~T();
        ++head_;
        return x;
    }
    void rewind_if_empty() noexcept {
        if (head_ == tail_) head_ = tail_ = 0;
    }

    void clear() noexcept {
        while (!empty()) pop_front();
    }

    void reserve(std::size_t n) {
        while (capacity() < n) grow();
    }

private:
    [[gnu::noinline, gnu::cold]] void grow() {
        std::size_t cap = capacity();
        std::size_t new_cap = cap ? cap * 2 : 8;
        T* fresh = static_cast<T*>(::operator new(new_cap * sizeof(T)));
        std::size_t n = size();
        std::size_t i = 0;
        try {
            for (; i < n; ++i)
                ::new (static_cast<void*>(fresh + i)) T(std::move_if_noexcept(data_[(head_ + i) & mask_]));
        } catch (...) {
            for (std::size_t j = 0; j < i; ++j) fresh[j].~T();
            ::operator delete(static_cast<void*>(fresh));
            throw;
        }
        clear();
        ::operator delete(static_cast<void*>(data_));
        data_ = fresh;
        cap_ = new_cap;
        mask_ = new_cap - 1;
        head_ = 0;
        tail_ = n;
    }

    T* data_ = nullptr;
    std::size_t cap_ = 0;    // a power of two, or 0 while unallocated
    std::size_t mask_ = 0;   // cap_ - 1 (0 while unallocated)
    std::size_t head_ = 0;   // index of the front element (monotonic)
    std::size_t tail_ = 0;   // one past the back element (monotonic)
};

}  // namespace asyncio::detail
