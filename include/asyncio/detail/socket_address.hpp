// asyncio/detail/socket_address.hpp - SocketAddress (a Python socket address) and the
// machinery under <asyncio/sockets.hpp>: conversion to and from sockaddr_storage, and the
// std::system_error every socket call raises. Include <asyncio/sockets.hpp> instead.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace asyncio {

/// A socket address as Python writes it: `(host, port)` for AF_INET,
/// `(host, port, flowinfo, scope_id)` for AF_INET6, the path for AF_UNIX.
///
/// `host` is always numeric (`"127.0.0.1"`, `"::1"`); this type never resolves
/// names: a name is turned into addresses by the loop's `getaddrinfo`, as in
/// Python, and converting a SocketAddress whose host is not numeric throws
/// `std::invalid_argument`. An empty host means "any address" (`0.0.0.0` or
/// `::`), as Python's `''`. For AF_UNIX, `host` is the path and `port` is 0;
/// a path beginning with '\0' is an abstract address (Linux), `""` is an
/// unnamed socket (e.g. either end of a socketpair).
///
/// For example: `sock.bind({AF_INET, "127.0.0.1", 0});`
/// `std::cout << sock.getsockname();` prints `('127.0.0.1', 41532)`.
///
/// Thread safety: a plain value. Distinct objects: safe. Shared objects: safe to read.
struct SocketAddress {
    int family = AF_INET;
    std::string host;
    std::uint16_t port = 0;
    std::uint32_t flowinfo = 0;  ///< AF_INET6 only
    std::uint32_t scope_id = 0;  ///< AF_INET6 only

    friend bool operator==(const SocketAddress&, const SocketAddress&) = default;
};

namespace detail {

/// Python's repr of a bytes object: `b'\x00name'` (used for abstract AF_UNIX addresses).
inline void write_bytes_repr(std::ostream& os, std::string_view bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    os << "b'";
    for (unsigned char c : bytes) {
        if (c == '\\' || c == '\'') {
            os << '\\' << c;
        } else if (c >= 0x20 && c < 0x7f) {
            os << c;
        } else {
            os << "\\x" << hex[c >> 4] << hex[c & 0xf];
        }
    }
    os << '\'';
}

/// "127.0.0.1:8080", "::1:8080", "/tmp/x.sock": the address as error messages name it.
inline std::string address_text(const SocketAddress& a) {
    if (a.family == AF_UNIX) {
        if (!a.host.empty() && a.host.front() == '\0') return "@" + a.host.substr(1);
        return a.host;
    }
    return a.host + ':' + std::to_string(a.port);
}

/// Throws std::system_error for `err` (an errno value); what() is "<what>: <strerror>".
/// (Callers pass errno straight in: nothing in the argument list may allocate first.)
[[noreturn]] inline void throw_os_error(int err, const std::string& what) {
    throw std::system_error(std::error_code(err, std::system_category()), what);
}

[[noreturn]] inline void throw_os_error(int err, const char* what) {
    throw std::system_error(std::error_code(err, std::system_category()), what);
}

/// Same, naming the address: "<call> to 127.0.0.1:9: Connection refused".
[[noreturn]] inline void throw_os_error(int err, const char* call, const SocketAddress& a) {
    throw_os_error(err, std::string(call) + " to " + address_text(a));
}

/// A sockaddr_storage and its length, ready for bind/connect/sendto.
struct NativeAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;

    const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
    sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
};

[[noreturn]] inline void throw_not_numeric(const SocketAddress& a, const char* kind) {
    throw std::invalid_argument("'" + a.host + "' is not a numeric " + kind +
                                " address (resolve host names with loop.getaddrinfo())");
}

/// SocketAddress -> sockaddr. Throws std::invalid_argument for a host that is not
/// numeric, an AF_UNIX path too long or containing '\0' (except an abstract one's
/// first byte), or a family other than AF_INET, AF_INET6, AF_UNIX.
inline NativeAddress to_native(const SocketAddress& a) {
    NativeAddress n;
    switch (a.family) {
    case AF_INET: {
        auto* sin = reinterpret_cast<sockaddr_in*>(&n.storage);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(a.port);
        if (a.host.empty()) {
            sin->sin_addr.s_addr = htonl(INADDR_ANY);
        } else if (inet_pton(AF_INET, a.host.c_str(), &sin->sin_addr) != 1) {
            throw_not_numeric(a, "IPv4");
        }
        n.length = sizeof(sockaddr_in);
        return n;
    }
    case AF_INET6: {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&n.storage);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(a.port);
        sin6->sin6_flowinfo = htonl(a.flowinfo);
        sin6->sin6_scope_id = a.scope_id;
        if (a.host.empty()) {
            sin6->sin6_addr = in6addr_any;
        } else if (inet_pton(AF_INET6, a.host.c_str(), &sin6->sin6_addr) != 1) {
            throw_not_numeric(a, "IPv6");
        }
        n.length = sizeof(sockaddr_in6);
        return n;
    }
    case AF_UNIX: {
        auto* un = reinterpret_cast<sockaddr_un*>(&n.storage);
        un->sun_family = AF_UNIX;
        const bool abstract = !a.host.empty() && a.host.front() == '\0';
        // A filesystem path needs room for its terminating '\0'; an abstract name does not.
        const std::size_t room = sizeof(un->sun_path) - (abstract ? 0 : 1);
        if (a.host.size() > room) {
            throw std::invalid_argument("AF_UNIX path too long (" + std::to_string(a.host.size()) +
                                        " bytes, at most " + std::to_string(room) + ")");
        }
        if (a.host.find('\0', abstract ? 1 : 0) != std::string::npos) {
            throw std::invalid_argument("AF_UNIX path contains a '\\0' byte");
        }
        std::memcpy(un->sun_path, a.host.data(), a.host.size());
        n.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + a.host.size() +
                                          (abstract ? 0 : 1));
        return n;
    }
    default:
        throw std::invalid_argument("unsupported address family " + std::to_string(a.family) +
                                    " (AF_INET, AF_INET6 and AF_UNIX are)");
    }
}

/// sockaddr (as filled in by the kernel, `length` bytes) -> SocketAddress.
inline SocketAddress from_native(const sockaddr* sa, socklen_t length) {
    SocketAddress a;
    a.family = sa->sa_family;
    switch (sa->sa_family) {
    case AF_INET: {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
        a.host = text;
        a.port = ntohs(sin->sin_port);
        break;
    }
    case AF_INET6: {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
        char text[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
        a.host = text;
        a.port = ntohs(sin6->sin6_port);
        a.flowinfo = ntohl(sin6->sin6_flowinfo);
        a.scope_id = sin6->sin6_scope_id;
        break;
    }
    case AF_UNIX: {
        const auto* un = reinterpret_cast<const sockaddr_un*>(sa);
        const std::size_t offset = offsetof(sockaddr_un, sun_path);
        std::size_t n = length > offset ? static_cast<std::size_t>(length) - offset : 0;
        if (n > sizeof(un->sun_path)) n = sizeof(un->sun_path);
        if (n > 0 && un->sun_path[0] != '\0') n = ::strnlen(un->sun_path, n);  // a path
        a.host.assign(un->sun_path, n);                                          // or abstract
        break;
    }
    default:
        break;  // an unknown family: only `family` is meaningful
    }
    return a;
}

}  // namespace detail

/// Prints the address as Python prints it: `('127.0.0.1', 8080)`, `('::1', 8080, 0, 0)`,
/// the bare path for AF_UNIX (`b'\x00name'` for an abstract one).
inline std::ostream& operator<<(std::ostream& os, const SocketAddress& a) {
    switch (a.family) {
    case AF_INET:
        return os << "('" << a.host << "', " << a.port << ')';
    case AF_INET6:
        return os << "('" << a.host << "', " << a.port << ", " << a.flowinfo << ", " << a.scope_id
                  << ')';
    case AF_UNIX:
        if (!a.host.empty() && a.host.front() == '\0') {
            detail::write_bytes_repr(os, a.host);
            return os;
        }
        return os << a.host;
    default:
        return os << "(family " << a.family << ", '" << a.host << "', " << a.port << ')';
    }
}

/// The printed form, as a string (Python's `str(address)`).
inline std::string to_string(const SocketAddress& a) {
    std::ostringstream os;
    os << a;
    return os.str();
}

}  // namespace asyncio
