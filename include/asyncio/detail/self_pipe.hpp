// asyncio/detail/self_pipe.hpp - the only door into a loop from other threads
// (Python's self-pipe and its _write_to_self): call_soon_threadsafe posts and
// the wake-up of a sleeping loop, with an eventfd.
//
// Everything else in the loop is single-threaded. This file is the whole of
// the thread-safe part, small enough to check by reading:
//   - posters push HandleStates onto a lock-free stack (one CAS; no lock, no
//     allocation besides the HandleState itself); the loop takes the whole
//     stack at once and reverses it, so each thread's posts run in its order;
//   - the loop says it is about to sleep (`sleeping`) before it looks at the
//     stack a last time; a poster that finds the stack empty (the first of a
//     burst) and the loop sleeping writes the eventfd, once (`notified`). A
//     busy loop is never written to, and a burst costs at most one write per
//     drain. Both sides use sequentially consistent operations on the stack
//     head and the state word, so one of them always sees the other (no lost
//     wake-up);
//   - close() refuses new posts and waits until no poster is inside post(),
//     so a loop that closes and is destroyed while a thread posts is never
//     touched after its destruction (the poster gets "Event loop is closed").
#pragma once

#include <asyncio/detail/handles.hpp>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <sched.h>
#include <stdexcept>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace asyncio::detail {

class SelfPipe {
public:
    SelfPipe() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        if (fd_ < 0) throw std::system_error(errno, std::system_category(), "eventfd");
    }
    SelfPipe(const SelfPipe&) = delete;
    SelfPipe& operator=(const SelfPipe&) = delete;
    ~SelfPipe() {
        close();
        ::close(fd_);
    }

    /// The eventfd, registered for reading in the loop's selector.
    int fd() const noexcept { return fd_; }

    // ---- any thread ----

    /// Queues `h` for the loop (which takes over the caller's reference) and
    /// wakes it if it sleeps. Throws std::runtime_error once closed; `h` is
    /// then still the caller's.
    void post(HandleState* h) {
        posters_.fetch_add(1);
        if (closed_.load()) {
            posters_.fetch_sub(1);
            throw std::runtime_error("Event loop is closed");
        }
        HandleState* old = head_.load(std::memory_order_relaxed);
        do {
            h->next_posted = old;
        } while (!head_.compare_exchange_weak(old, h));
        if (old == nullptr && (state_.load() & sleeping) && !(state_.fetch_or(notified) & notified)) notify();
        posters_.fetch_sub(1);
    }

    /// Writes the eventfd: async-signal-safe (used by signal handlers too).
    void notify() const noexcept {
        const std::uint64_t one = 1;
        const int saved = errno;
        [[maybe_unused]] ssize_t r = ::write(fd_, &one, sizeof one);  // EAGAIN: already readable, fine
        errno = saved;
    }

    // ---- the loop's thread ----

    bool has_posts() const noexcept { return head_.load(std::memory_order_relaxed) != nullptr; }

    /// Announces a blocking wait. Returns false if something was posted
    /// meanwhile: then the loop must not block.
    bool prepare_to_sleep() noexcept {
        state_.store(sleeping);
        return head_.load() == nullptr;
    }
    /// The wait is over (however it ended).
    void awake() noexcept { state_.store(0, std::memory_order_relaxed); }

    /// Empties the eventfd after the selector reported it readable.
    void drain_fd() noexcept {
        std::uint64_t n;
        while (::read(fd_, &n, sizeof n) < 0 && errno == EINTR) {
        }
    }

    /// Takes every post, oldest first, as a list linked through next_posted.
    HandleState* take_all() noexcept {
        HandleState* h = head_.exchange(nullptr, std::memory_order_acquire);
        HandleState* fifo = nullptr;
        while (h) {
            HandleState* next = h->next_posted;
            h->next_posted = fifo;
            fifo = h;
            h = next;
        }
        return fifo;
    }

    /// Refuses new posts, waits for the posters inside post(), and drops what
    /// was posted and not taken. Idempotent.
    void close() noexcept {
        closed_.store(true);
        while (posters_.load() != 0) sched_yield();
        for (HandleState* h = take_all(); h;) {
            HandleState* next = h->next_posted;
            h->release();
            h = next;
        }
    }

private:
    static constexpr unsigned sleeping = 1;  // the loop is in (or entering) a blocking wait
    static constexpr unsigned notified = 2;  // a poster wrote the eventfd during this wait

    int fd_;
    std::atomic<HandleState*> head_{nullptr};
    std::atomic<unsigned> state_{0};
    std::atomic<int> posters_{0};
    std::atomic<bool> closed_{false};
};

}  // namespace asyncio::detail
