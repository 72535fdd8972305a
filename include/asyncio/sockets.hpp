// asyncio/sockets.hpp - Socket, an owning socket (Python's socket.socket as the event loop
// uses it), socketpair(), and SocketAddress.
#pragma once

#include <asyncio/detail/socket_address.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace asyncio {

class Socket;

namespace detail {
/// Tag of Socket's adopting constructor, for the library's own code (accept, socketpair),
/// which already knows the new descriptor's family, type and mode.
struct AdoptSocket {
    explicit AdoptSocket() = default;
};
}  // namespace detail

/// An owning socket descriptor: the one object that closes it. Move-only; the
/// destructor closes the descriptor (errors ignored), `close()` does it early
/// and is idempotent, `detach()` gives the descriptor up without closing it.
///
/// Every Socket this library creates is non-blocking (SOCK_NONBLOCK) and
/// close-on-exec (SOCK_CLOEXEC), as the loop's `sock_*` operations require;
/// unlike Python's `socket.socket()`, which starts out blocking. `from_fd`
/// adopts a descriptor as it is and reads its mode once, so `blocking()` is a
/// field read (the loop checks it on every operation).
///
/// Errors: a failing system call throws `std::system_error` whose `code()` is
/// the errno (compare with `std::errc::address_in_use` etc.) and whose `what()`
/// names the call and, where one is involved, the address:
/// "bind to 127.0.0.1:8080: Address already in use". An address that cannot be
/// converted (a host name, an AF_UNIX path too long) throws
/// `std::invalid_argument`. A closed (or moved-from) Socket has `fileno() == -1`;
/// operations on it fail with EBADF, as in Python.
///
/// For example:
///
///     asyncio::Socket listener;                       // AF_INET, SOCK_STREAM
///     listener.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
///     listener.bind({AF_INET, "127.0.0.1", 0});
///     listener.listen();
///     std::cout << listener.getsockname() << '\n';    // ('127.0.0.1', 40871)
///
/// Thread safety: Distinct objects: safe. Shared objects: unsafe.
class Socket {
public:
    /// A new non-blocking socket (`socket(2)` with SOCK_NONBLOCK | SOCK_CLOEXEC).
    explicit Socket(int family = AF_INET, int type = SOCK_STREAM, int proto = 0)
        : family_(family), type_(type) {
        fd_ = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
        if (fd_ < 0) detail::throw_os_error(errno, "socket");
    }

    /// Adopts `fd` (a socket descriptor), leaving its mode as it is. On failure
    /// (not an open socket) it throws and the caller still owns `fd`.
    static Socket from_fd(int fd) {
        const int flags = ::fcntl(fd, F_GETFL);
        if (flags < 0) {
            const int err = errno;
            detail::throw_os_error(err, "from_fd(" + std::to_string(fd) + ")");
        }
        const int family = get_int_option(fd, SO_DOMAIN, "from_fd: getsockopt(SO_DOMAIN)");
        const int type = get_int_option(fd, SO_TYPE, "from_fd: getsockopt(SO_TYPE)");
        return Socket(detail::AdoptSocket{}, fd, family, type, (flags & O_NONBLOCK) == 0);
    }

    /// Adopts `fd` whose family, type and mode the caller knows (no system call).
    Socket(detail::AdoptSocket, int fd, int family, int type, bool blocking) noexcept
        : fd_(fd), family_(family), type_(type), blocking_(blocking) {}

    Socket(Socket&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)),
          family_(other.family_),
          type_(other.type_),
          blocking_(other.blocking_) {}

    Socket& operator=(Socket&& other) noexcept {
        if (this != &other) {
            close_quietly();
            fd_ = std::exchange(other.fd_, -1);
            family_ = other.family_;
            type_ = other.type_;
            blocking_ = other.blocking_;
        }
        return *this;
    }

    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    ~Socket() { close_quietly(); }

    /// The descriptor, or -1 once closed, detached or moved from.
    int fileno() const noexcept { return fd_; }
    int family() const noexcept { return family_; }
    /// SOCK_STREAM, SOCK_DGRAM, ... (without SOCK_NONBLOCK / SOCK_CLOEXEC, as Python's `type`).
    int type() const noexcept { return type_; }
    /// The mode as last set through this object (from_fd read it once).
    bool blocking() const noexcept { return blocking_; }

    /// Gives up ownership: returns the descriptor, which the Socket no longer closes.
    int detach() noexcept { return std::exchange(fd_, -1); }

    /// Closes the descriptor; a second call does nothing. Like Python, it reports a
    /// failing close(2) except ECONNRESET (and EINTR: on Linux the fd is closed then too).
    void close() {
        const int fd = std::exchange(fd_, -1);
        if (fd < 0) return;
        if (::close(fd) != 0 && errno != EINTR && errno != ECONNRESET) {
            detail::throw_os_error(errno, "close");
        }
    }

    void bind(const SocketAddress& address) {
        const detail::NativeAddress native = detail::to_native(address);
        if (::bind(fd_, native.get(), native.length) != 0) {
            detail::throw_os_error(errno, "bind", address);
        }
    }

    void listen(int backlog = 100) {
        if (::listen(fd_, backlog) != 0) detail::throw_os_error(errno, "listen");
    }

    void setsockopt(int level, int name, int value) {
        if (::setsockopt(fd_, level, name, &value, sizeof value) != 0) {
            detail::throw_os_error(errno, "setsockopt");
        }
    }

    /// An integer option (SO_ERROR, SO_RCVBUF, TCP_NODELAY, ...).
    int getsockopt(int level, int name) const {
        int value = 0;
        socklen_t length = sizeof value;
        if (::getsockopt(fd_, level, name, &value, &length) != 0) {
            detail::throw_os_error(errno, "getsockopt");
        }
        return value;
    }

    /// SHUT_RD, SHUT_WR or SHUT_RDWR.
    void shutdown(int how) {
        if (::shutdown(fd_, how) != 0) detail::throw_os_error(errno, "shutdown");
    }

    SocketAddress getsockname() const {
        detail::NativeAddress native;
        native.length = sizeof native.storage;
        if (::getsockname(fd_, native.get(), &native.length) != 0) {
            detail::throw_os_error(errno, "getsockname");
        }
        return detail::from_native(native.get(), native.length);
    }

    SocketAddress getpeername() const {
        detail::NativeAddress native;
        native.length = sizeof native.storage;
        if (::getpeername(fd_, native.get(), &native.length) != 0) {
            detail::throw_os_error(errno, "getpeername");
        }
        return detail::from_native(native.get(), native.length);
    }

    /// Sets O_NONBLOCK off (`true`) or on (`false`).
    void setblocking(bool flag) {
        const int flags = ::fcntl(fd_, F_GETFL);
        if (flags < 0) detail::throw_os_error(errno, "setblocking");
        const int wanted = flag ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
        if (wanted != flags && ::fcntl(fd_, F_SETFL, wanted) != 0) {
            detail::throw_os_error(errno, "setblocking");
        }
        blocking_ = flag;
    }

private:
    static int get_int_option(int fd, int name, const char* what) {
        int value = 0;
        socklen_t length = sizeof value;
        if (::getsockopt(fd, SOL_SOCKET, name, &value, &length) != 0) {
            detail::throw_os_error(errno, what);
        }
        return value;
    }

    void close_quietly() noexcept {
        if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    }

    int fd_ = -1;
    int family_ = AF_UNSPEC;
    int type_ = 0;
    bool blocking_ = false;
};

/// Two connected non-blocking sockets (Python's socket.socketpair()). Linux supports
/// AF_UNIX only; another family throws std::system_error (EOPNOTSUPP).
inline std::pair<Socket, Socket> socketpair(int family = AF_UNIX, int type = SOCK_STREAM) {
    int fds[2];
    if (::socketpair(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
        detail::throw_os_error(errno, "socketpair");
    }
    return {Socket(detail::AdoptSocket{}, fds[0], family, type, false),
            Socket(detail::AdoptSocket{}, fds[1], family, type, false)};
}

}  // namespace asyncio
