// asyncio/selector_events.hpp - the event loop's socket operations (Python's
// selector_events.py: sock_recv, sock_sendall, sock_connect, sock_accept, ...), the
// definitions of the sock_* members that events.hpp declares.
#pragma once

#include <asyncio/events.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/sockets.hpp>
#include <asyncio/tasks.hpp>

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

// The operations, as Python's loop.sock_*: each is a Task, started where it is awaited
// (or by create_task); its errors, the non-blocking check included, are raised there.
//
//     asyncio::Socket sock;                                   // non-blocking, AF_INET
//     const asyncio::SocketAddress server{AF_INET, "127.0.0.1", 8080};
//     co_await loop.sock_connect(sock, server);
//     co_await loop.sock_sendall(sock, "ping\n");
//     std::string reply = co_await loop.sock_recv(sock, 4096);  // "" at end of stream
//
// How every operation works (as CPython's, but readiness only):
//   1. try the system call at once; most calls succeed without waiting;
//   2. on EAGAIN, register a reader (or writer) whose callback only completes a Future,
//      await that Future, and unregister on every way out (ReadinessWait's destructor);
//   3. try the system call again, in the task; EINTR simply retries.
// Nothing is ever read or written by a callback on behalf of a task: a task cancelled at
// any await leaves its fd unregistered and the socket's data where it was (a cancelled
// sock_sendall has sent a prefix of its data, as in Python).
//
// Limits: the socket (or fd), the buffers and the string_views must outlive the operation;
// one waiting operation per direction per fd at a time: a second reader of the same fd
// replaces the first one's registration, as in Python, and the first then fails with
// std::runtime_error (in Python it would wait for ever).
// Sends use MSG_NOSIGNAL: a peer gone away gives EPIPE (std::errc::broken_pipe), never
// SIGPIPE.
//
// Thread safety: the loop's thread only, as the loop. Distinct objects: safe. Shared
// objects: unsafe.

namespace asyncio {
namespace detail {

/// The fd an operation works on, whether it is known to be in blocking mode (a Socket
/// knows its mode; a raw fd is checked with fcntl in debug builds only), and its type
/// (SOCK_STREAM, ...; 0 for a raw fd: not known).
struct SockFd {
    int fd;
    bool blocking;
    int type;
};

inline SockFd sock_fd(const Socket& sock) noexcept { return {sock.fileno(), sock.blocking(), sock.type()}; }

inline SockFd sock_fd(int fd) noexcept {
#ifndef NDEBUG
    const int flags = ::fcntl(fd, F_GETFL);
    return {fd, flags >= 0 && (flags & O_NONBLOCK) == 0, 0};
#else
    return {fd, false, 0};
#endif
}

/// Python's debug-mode "ValueError: the socket must be non-blocking". Called first thing
/// in each operation's coroutine, so that it is raised where the operation is awaited.
inline void check_nonblocking(SockFd s) {
    if (s.blocking) throw std::invalid_argument("the socket must be non-blocking");
}

inline bool would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK; }

enum class Readiness { readable, writable };

/// A one-shot wait for an fd to become readable or writable. The constructor registers
/// a reader (writer) whose callback completes `future` unless it is already done (it is
/// cancelled along with the waiting task); the destructor removes the registration,
/// whatever ended the wait. The task then retries its call itself.
///
/// The registered callback (Wake) and the wait point at each other, and whichever goes
/// first unlinks the other. So the wait knows when its callback was dropped without
/// running: another add_reader (add_writer) for the fd replaced it, or the loop closed.
/// Then the wait fails with std::runtime_error instead of waiting for ever (Python's
/// first operation would hang), and its destructor leaves the new registration alone.
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared objects: unsafe.
class ReadinessWait {
public:
    ReadinessWait(EventLoop& loop, int fd, Readiness readiness)
        : loop_(loop), fd_(fd), readiness_(readiness), future_(loop.create_future<void>()) {
        Wake wake(this);
        if (readiness == Readiness::readable) {
            loop.add_reader(fd, std::move(wake));
        } else {
            loop.add_writer(fd, std::move(wake));
        }
        registered_ = true;
    }

    ~ReadinessWait() {
        if (wake_ == nullptr) return;  // dropped already: the registration is not ours
        wake_->wait = nullptr;
        wake_ = nullptr;
        if (readiness_ == Readiness::readable) {
            loop_.remove_reader(fd_);
        } else {
            loop_.remove_writer(fd_);
        }
    }

    ReadinessWait(const ReadinessWait&) = delete;
    ReadinessWait& operator=(const ReadinessWait&) = delete;

    Future<void>& future() noexcept { return future_; }

private:
    /// The callback the loop holds; move-only, linked to its wait while both live.
    struct Wake {
        explicit Wake(ReadinessWait* w) noexcept : wait(w) { w->wake_ = this; }
        Wake(Wake&& other) noexcept : wait(std::exchange(other.wait, nullptr)) {
            if (wait) wait->wake_ = this;
        }
        Wake& operator=(Wake&&) = delete;
        ~Wake() {
            if (wait) wait->dropped();
        }
        void operator()() {
            if (wait && !wait->future_.done()) wait->future_.set_result();
        }
        ReadinessWait* wait;
    };

    void dropped() noexcept {
        wake_ = nullptr;
        if (!registered_ || future_.done()) return;  // add failed (it throws), or woken already
        try {
            future_.set_exception(std::make_exception_ptr(std::runtime_error(
                "another " + std::string(readiness_ == Readiness::readable ? "reader" : "writer") + " of fd " +
                std::to_string(fd_) + " replaced the one a sock_* operation was waiting on")));
        } catch (...) {  // the loop is closing: nobody will resume the task
        }
    }

    EventLoop& loop_;
    int fd_;
    Readiness readiness_;
    bool registered_ = false;  ///< false until add_reader/add_writer returned
    Wake* wake_ = nullptr;     ///< the registered callback; null once it was dropped
    Future<void> future_;
};

// Each operation below is one coroutine on a raw fd; the EventLoop members (at the end)
// pass it a Socket's or a raw fd's SockFd.

/// An empty buffer gives 0 at once, as sock_recv(sock, 0) gives "" (Python's recv(0)).
inline Task<std::size_t> sock_recv_into(EventLoop& loop, SockFd s, std::span<std::byte> buf) {
    check_nonblocking(s);
    if (buf.empty()) co_return 0;
    for (;;) {
        const ssize_t n = ::recv(s.fd, buf.data(), buf.size(), 0);
        if (n >= 0) co_return static_cast<std::size_t>(n);
        const int err = errno;
        if (err == EINTR) continue;
        if (!would_block(err)) throw_os_error(err, "recv");
        ReadinessWait wait(loop, s.fd, Readiness::readable);
        co_await wait.future();
    }
}

inline Task<std::string> sock_recv(EventLoop& loop, SockFd s, std::size_t nbytes) {
    check_nonblocking(s);
    if (nbytes == 0) co_return std::string();
    std::string data(nbytes, '\0');
    for (;;) {
        const ssize_t n = ::recv(s.fd, data.data(), nbytes, 0);
        if (n >= 0) {
            data.resize(static_cast<std::size_t>(n));
            co_return data;
        }
        const int err = errno;
        if (err == EINTR) continue;
        if (!would_block(err)) throw_os_error(err, "recv");
        ReadinessWait wait(loop, s.fd, Readiness::readable);
        co_await wait.future();
    }
}

/// send(2) with MSG_NOSIGNAL: a peer gone away gives EPIPE, never SIGPIPE.
inline Task<void> sock_sendall(EventLoop& loop, SockFd s, std::string_view data) {
    check_nonblocking(s);
    std::size_t sent = 0;
    for (;;) {  // one send at least, as Python: empty data on a dead socket still fails
        const ssize_t n = ::send(s.fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
            if (sent == data.size()) co_return;
            continue;
        }
        const int err = errno;
        if (err == EINTR) continue;
        if (!would_block(err)) throw_os_error(err, "send");
        ReadinessWait wait(loop, s.fd, Readiness::writable);
        co_await wait.future();
    }
}

/// A non-blocking connect. EINPROGRESS (or EINTR: the connection goes on
/// asynchronously; EALREADY: an earlier attempt still does) -> wait until writable, then
/// SO_ERROR says how it ended. EAGAIN means a Unix listener's backlog is full and nothing
/// was started; the socket polls writable all the while, so it is retried after a pause
/// (1 ms, doubling up to 100 ms), as a blocking connect would wait for room.
inline Task<void> sock_connect(EventLoop& loop, SockFd s, SocketAddress address) {
    check_nonblocking(s);
    const NativeAddress native = to_native(address);
    double pause = 0.001;
    for (;;) {
        if (::connect(s.fd, native.get(), native.length) == 0) co_return;
        int err = errno;
        if (would_block(err)) {
            co_await asyncio::sleep(pause);
            pause = pause < 0.05 ? pause * 2 : 0.1;
            continue;
        }
        if (err != EINPROGRESS && err != EINTR && err != EALREADY) throw_os_error(err, "connect", address);
        {
            ReadinessWait wait(loop, s.fd, Readiness::writable);
            co_await wait.future();
        }
        socklen_t length = sizeof err;
        if (::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
        if (err == 0) co_return;
        throw_os_error(err, "connect", address);
    }
}

/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC: the new Socket is like every Socket here.
inline Task<std::pair<Socket, SocketAddress>> sock_accept(EventLoop& loop, SockFd s) {
    check_nonblocking(s);
    for (;;) {
        NativeAddress peer;
        peer.length = sizeof peer.storage;
        const int fd = ::accept4(s.fd, peer.get(), &peer.length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            int type = s.type;  // SOCK_STREAM or SOCK_SEQPACKET, as the listener's
            socklen_t length = sizeof type;
            if (type == 0 && ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) type = SOCK_STREAM;
            Socket conn(AdoptSocket{}, fd, peer.storage.ss_family, type, false);
            std::pair<Socket, SocketAddress> result(std::move(conn), from_native(peer.get(), peer.length));
            co_return std::move(result);
        }
        const int err = errno;
        if (err == EINTR) continue;
        if (!would_block(err)) throw_os_error(err, "accept");
        ReadinessWait wait(loop, s.fd, Readiness::readable);
        co_await wait.future();
    }
}

inline Task<std::pair<std::string, SocketAddress>> sock_recvfrom(EventLoop& loop, SockFd s,
                                                                std::size_t bufsize) {
    check_nonblocking(s);
    std::string data(bufsize, '\0');
    for (;;) {
        NativeAddress peer;
        peer.length = sizeof peer.storage;
        const ssize_t n = ::recvfrom(s.fd, data.data(), bufsize, 0, peer.get(), &peer.length);
        if (n >= 0) {
            data.resize(static_cast<std::size_t>(n));
            std::pair<std::string, SocketAddress> result(std::move(data), from_native(peer.get(), peer.length));
            co_return std::move(result);
        }
        const int err = errno;
        if (err == EINTR) continue;
        if (!would_block(err)) throw_os_error(err, "recvfrom");
        ReadinessWait wait(loop, s.fd, Readiness::readable);
        co_await wait.future();
    }
}

inline Task<std::size_t> sock_sendto(EventLoop& loop, SockFd s, std::string_view data,
                                     SocketAddress address) {
    check_nonblocking(s);
    const NativeAddress native = to_native(address);
    for (;;) {
        const ssize_t n = ::sendto(s.fd, data.data(), data.size(), MSG_NOSIGNAL, native.get(), native.length);
        if (n >= 0) co_return static_cast<std::size_t>(n);
        const int err = errno;
        if (err == EINTR) continue;
        if (!would_block(err)) throw_os_error(err, "send", address);
        ReadinessWait wait(loop, s.fd, Readiness::writable);
        co_await wait.future();
    }
}

inline std::string_view as_chars(std::span<const std::byte> data) noexcept {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
}

}  // namespace detail

// --- the EventLoop members declared in events.hpp ------------------------------------------
// Each returns the operation's Task at once; the work (and any exception, the
// non-blocking check included) happens where it is awaited, as with Python's coroutines.

inline Task<std::string> EventLoop::sock_recv(Socket& sock, std::size_t nbytes) {
    return detail::sock_recv(*this, detail::sock_fd(sock), nbytes);
}
inline Task<std::string> EventLoop::sock_recv(int fd, std::size_t nbytes) {
    return detail::sock_recv(*this, detail::sock_fd(fd), nbytes);
}

inline Task<std::size_t> EventLoop::sock_recv_into(Socket& sock, std::span<std::byte> buf) {
    return detail::sock_recv_into(*this, detail::sock_fd(sock), buf);
}
inline Task<std::size_t> EventLoop::sock_recv_into(int fd, std::span<std::byte> buf) {
    return detail::sock_recv_into(*this, detail::sock_fd(fd), buf);
}

inline Task<void> EventLoop::sock_sendall(Socket& sock, std::string_view data) {
    return detail::sock_sendall(*this, detail::sock_fd(sock), data);
}
inline Task<void> EventLoop::sock_sendall(int fd, std::string_view data) {
    return detail::sock_sendall(*this, detail::sock_fd(fd), data);
}
inline Task<void> EventLoop::sock_sendall(Socket& sock, std::span<const std::byte> data) {
    return detail::sock_sendall(*this, detail::sock_fd(sock), detail::as_chars(data));
}
inline Task<void> EventLoop::sock_sendall(int fd, std::span<const std::byte> data) {
    return detail::sock_sendall(*this, detail::sock_fd(fd), detail::as_chars(data));
}

inline Task<void> EventLoop::sock_connect(Socket& sock, const SocketAddress& address) {
    return detail::sock_connect(*this, detail::sock_fd(sock), address);
}
inline Task<void> EventLoop::sock_connect(int fd, const SocketAddress& address) {
    return detail::sock_connect(*this, detail::sock_fd(fd), address);
}

inline Task<std::pair<Socket, SocketAddress>> EventLoop::sock_accept(Socket& sock) {
    return detail::sock_accept(*this, detail::sock_fd(sock));
}
inline Task<std::pair<Socket, SocketAddress>> EventLoop::sock_accept(int fd) {
    return detail::sock_accept(*this, detail::sock_fd(fd));
}

inline Task<std::pair<std::string, SocketAddress>> EventLoop::sock_recvfrom(Socket& sock, std::size_t bufsize) {
    return detail::sock_recvfrom(*this, detail::sock_fd(sock), bufsize);
}
inline Task<std::pair<std::string, SocketAddress>> EventLoop::sock_recvfrom(int fd, std::size_t bufsize) {
    return detail::sock_recvfrom(*this, detail::sock_fd(fd), bufsize);
}

inline Task<std::size_t> EventLoop::sock_sendto(Socket& sock, std::string_view data, const SocketAddress& address) {
    return detail::sock_sendto(*this, detail::sock_fd(sock), data, address);
}
inline Task<std::size_t> EventLoop::sock_sendto(int fd, std::string_view data, const SocketAddress& address) {
    return detail::sock_sendto(*this, detail::sock_fd(fd), data, address);
}

}  // namespace asyncio
