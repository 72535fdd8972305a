// asyncio/detail/selector.hpp - the loop's selector (Python's selectors.
// EpollSelector as selector_events uses it): which file descriptors have a
// reader or a writer callback, and one epoll_wait to learn which are ready.
// Level-triggered, as Python's: a callback runs in every iteration while its
// fd stays ready. Single-threaded.
#pragma once

#include <asyncio/detail/handles.hpp>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <sys/epoll.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace asyncio::detail {

class Selector {
public:
    enum Kind : int { reader = 0, writer = 1 };

    Selector() : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
        if (epfd_ < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
    }
    Selector(const Selector&) = delete;
    Selector& operator=(const Selector&) = delete;
    ~Selector() {
        clear();
        ::close(epfd_);
    }

    /// Number of fds with a reader or a writer (the wake-up fd not counted).
    std::size_t size() const noexcept { return count_; }

    /// Registers the loop's own wake-up fd (no callback: select() reports it).
    void add_wakeup(int fd) {
        wake_fd_ = fd;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0)
            throw std::system_error(errno, std::system_category(), "epoll_ctl(wake-up fd)");
    }

    /// Sets the reader or writer of `fd` to `h` (taking over the caller's
    /// reference), replacing and cancelling the previous one. On failure `h`
    /// is released and the previous registration stays as it was.
    void add(int fd, Kind kind, HandleState* h) {
        if (fd < 0) {
            h->release();
            throw std::invalid_argument("Invalid file descriptor: " + std::to_string(fd));
        }
        if (static_cast<std::size_t>(fd) >= fds_.size()) {
            try {
                fds_.resize(static_cast<std::size_t>(fd) + 1);
            } catch (...) {
                h->release();
                throw;
            }
        }
        Entry& e = fds_[static_cast<std::size_t>(fd)];
        const bool was_used = e.slot[0] || e.slot[1];
        const std::uint32_t want = events_of(e.slot[reader] || kind == reader, e.slot[writer] || kind == writer);
        if (want != e.events) {
            if (int err = control(fd, was_used, want)) {
                h->release();
                throw std::system_error(err, std::system_category(),
                                        std::string(kind == reader ? "add_reader" : "add_writer") + "(fd " + std::to_string(fd) + ")");
            }
            e.events = want;
        }
        if (HandleState* old = e.slot[kind]) {
            old->cancelled = true;
            old->release();
        }
        e.slot[kind] = h;
        if (!was_used) ++count_;
    }

    /// Removes and cancels the reader or writer of `fd`. Returns false if it
    /// had none.
    bool remove(int fd, Kind kind) noexcept {
        if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return false;
        Entry& e = fds_[static_cast<std::size_t>(fd)];
        HandleState* h = e.slot[kind];
        if (!h) return false;
        e.slot[kind] = nullptr;
        e.events = events_of(e.slot[reader] != nullptr, e.slot[writer] != nullptr);
        if (e.events == 0) {
            ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);  // EBADF/ENOENT: the fd was closed already
            --count_;
        } else {
            control(fd, true, e.events);
        }
        h->cancelled = true;
        h->release();
        return true;
    }

    /// Waits up to `timeout_ms` (-1: no limit) and calls `ready(h)` for each
    /// callback whose fd is ready (a new reference for the caller), reader
    /// before writer; returns true if the wake-up fd was reported.
    template <class F>
    bool select(int timeout_ms, F&& ready) {
        epoll_event evs[max_events];
        int n;
        do {
            n = ::epoll_wait(epfd_, evs, max_events, timeout_ms);
        } while (n < 0 && errno == EINTR && timeout_ms == 0);
        if (n < 0) {
            if (errno == EINTR) return false;  // a signal: the loop goes round, its handler is queued
            throw std::system_error(errno, std::system_category(), "epoll_wait");
        }
        bool woken = false;
        for (int i = 0; i < n; ++i) {
            const int fd = evs[i].data.fd;
            if (fd == wake_fd_) {
                woken = true;
                continue;
            }
            const std::uint32_t got = evs[i].events;
            Entry& e = fds_[static_cast<std::size_t>(fd)];
            if ((got & ~static_cast<std::uint32_t>(EPOLLOUT)) && e.slot[reader]) {
                e.slot[reader]->add_ref();
                ready(e.slot[reader]);
            }
            if ((got & ~static_cast<std::uint32_t>(EPOLLIN | EPOLLRDHUP | EPOLLPRI)) && e.slot[writer]) {
                e.slot[writer]->add_ref();
                ready(e.slot[writer]);
            }
        }
        return woken;
    }

    /// Removes every reader and writer (the loop is closing).
    void clear() noexcept {
        for (std::size_t fd = 0; fd < fds_.size(); ++fd) {
            remove(static_cast<int>(fd), reader);
            remove(static_cast<int>(fd), writer);
        }
    }

private:
    static constexpr int max_events = 256;

    struct Entry {
        HandleState* slot[2] = {nullptr, nullptr};
        std::uint32_t events = 0;  // what epoll has registered for the fd
    };

    static std::uint32_t events_of(bool read, bool write) noexcept {
        return (read ? static_cast<std::uint32_t>(EPOLLIN) : 0u) | (write ? static_cast<std::uint32_t>(EPOLLOUT) : 0u);
    }

    // Adds or modifies; an fd closed and reopened since (epoll forgot it) is
    // added again. Returns 0 or the errno.
    int control(int fd, bool known, std::uint32_t events) noexcept {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        int op = known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (::epoll_ctl(epfd_, op, fd, &ev) == 0) return 0;
        if (errno == ENOENT && op == EPOLL_CTL_MOD) op = EPOLL_CTL_ADD;
        else if (errno == EEXIST && op == EPOLL_CTL_ADD) op = EPOLL_CTL_MOD;
        else return errno;
        return ::epoll_ctl(epfd_, op, fd, &ev) == 0 ? 0 : errno;
    }

    int epfd_;
    int wake_fd_ = -1;
    std::size_t count_ = 0;
    std::vector<Entry> fds_;  // indexed by fd
};

}  // namespace asyncio::detail
