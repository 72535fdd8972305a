// asyncio/detail/signals.hpp - signal handlers that run in the loop (Python's
// add_signal_handler, built as CPython builds it on signal.set_wakeup_fd): the
// real handler only marks the signal pending and writes the loop's wake-up
// fd; the loop then queues the callback. Nothing else runs inside the signal
// handler.
//
// Process-wide state, as signal dispositions are: one loop at a time may
// own signal handlers. A pending bit per signal number (1..63).
#pragma once

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unistd.h>

namespace asyncio::detail::signals {

inline std::atomic<std::uint64_t> pending{0};
inline std::atomic<int> wake_fd{-1};

inline void on_signal(int sig) noexcept {
    pending.fetch_or(std::uint64_t{1} << sig);
    const int fd = wake_fd.load();
    if (fd >= 0) {
        const int saved = errno;
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t r = ::write(fd, &one, sizeof one);
        errno = saved;
    }
}

/// Checks a signal number as Python's add_signal_handler does; returns it as
/// an index into a table of 64.
inline std::size_t check(int sig) {
    if (sig < 1 || sig >= 64 || sig >= NSIG) throw std::invalid_argument("sig " + std::to_string(sig) + " out of range(1, " + std::to_string(NSIG) + ")");
    return static_cast<std::size_t>(sig) % 64;
}

/// Makes `sig` call on_signal (SA_RESTART, as Python's siginterrupt(sig, False)).
inline void install(int sig) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = &on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(sig, &sa, nullptr) < 0) {
        if (errno == EINVAL) throw std::runtime_error("sig " + std::to_string(sig) + " cannot be caught");
        throw std::system_error(errno, std::system_category(), "sigaction(" + std::to_string(sig) + ")");
    }
    // A signal that was blocked would never reach us: unblock it, as Python does.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

/// Puts the default disposition back (SIG_DFL) and forgets a pending delivery.
inline void restore_default(int sig) noexcept {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
    pending.fetch_and(~(std::uint64_t{1} << sig));
}

/// True when `sig` has its default disposition.
inline bool has_default_handler(int sig) noexcept {
    struct sigaction old;
    if (::sigaction(sig, nullptr, &old) < 0) return false;
    return !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL;
}

}  // namespace asyncio::detail::signals
