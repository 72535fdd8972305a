// A replacement global operator new that counts heap allocations (W7).
// Include in exactly ONE translation unit of a program: replacement allocation functions
// may be defined only once. Every C++ workload program is one translation unit.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace bench {

// Plain load + store rather than fetch_add: no locked instruction on the hot path. The
// workload programs allocate from one thread only, so no update is lost.
inline std::atomic<unsigned long long> allocations{0};

inline unsigned long long allocation_count() { return allocations.load(std::memory_order_relaxed); }

inline void count_allocation() {
    allocations.store(allocations.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

} // namespace bench

// Array and nothrow forms of the standard library forward to these two.
void* operator new(std::size_t size) {
    bench::count_allocation();
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}

void* operator new(std::size_t size, std::align_val_t align) {
    bench::count_allocation();
    auto a = static_cast<std::size_t>(align);
    if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
    throw std::bad_alloc();
}

// g++ 12 takes free() of what the (replaced) operator new returned for a mismatch once
// inlined into a caller; it is the matching pair here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
