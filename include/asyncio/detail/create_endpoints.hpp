// asyncio/detail/create_endpoints.hpp - Python's loop.create_connection,
// create_server, create_unix_connection and create_unix_server, as free
// functions taking the loop (the EventLoop members forward here), and the
// address resolution they share.
#pragma once

#include <asyncio/base_events.hpp>
#include <asyncio/detail/selector_transport.hpp>
#include <asyncio/detail/server.hpp>
#include <asyncio/events.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/selector_events.hpp>
#include <asyncio/sockets.hpp>
#include <asyncio/tasks.hpp>

#include <arpa/inet.h>
#include <netdb.h>  // AI_PASSIVE
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio::detail {

/// The protocol type a factory makes: `P` of its std::unique_ptr<P>.
template <class Factory>
using factory_protocol_t = typename std::invoke_result_t<Factory&>::element_type;

/// The addresses of (host, port) for stream sockets. A numeric host is used
/// as it is (no resolver, as Python); an empty host with `passive` means
/// every interface (0.0.0.0 and ::). A name goes through loop.getaddrinfo
/// (getaddrinfo(3) in the default executor, as Python); its errors are
/// asyncio::gaierror.
inline Task<std::vector<SocketAddress>> resolve_stream(EventLoop& loop, std::string host, std::uint16_t port, bool passive) {
    // No braced lists of aggregates in this coroutine: g++ 12 (docs/GCC12.md).
    std::vector<SocketAddress> out;
    in6_addr buf{};
    if (host.empty()) {
        if (!passive) throw std::invalid_argument("create_connection: the host is empty");
        out.emplace_back().family = AF_INET;
        out.back().host = "0.0.0.0";
        out.emplace_back().family = AF_INET6;
        out.back().host = "::";
    } else if (::inet_pton(AF_INET, host.c_str(), &buf) == 1) {
        out.emplace_back().family = AF_INET;
        out.back().host = host;
    } else if (::inet_pton(AF_INET6, host.c_str(), &buf) == 1) {
        out.emplace_back().family = AF_INET6;
        out.back().host = host;
    }
    if (!out.empty()) {
        for (SocketAddress& a : out) a.port = port;
        co_return out;
    }
    std::vector<AddrInfo> infos = co_await loop.getaddrinfo(host, port, AF_UNSPEC, SOCK_STREAM, 0, passive ? AI_PASSIVE : 0);
    for (AddrInfo& ai : infos) {
        if (ai.family != AF_INET && ai.family != AF_INET6) continue;
        if (std::find(out.begin(), out.end(), ai.address) == out.end()) out.push_back(std::move(ai.address));
    }
    if (out.empty()) throw std::system_error(std::make_error_code(std::errc::address_not_available), "getaddrinfo(" + host + "): no address");
    co_return out;
}

/// Connects a new socket to one of `addrs`, in order (Python's
/// _connect_sock loop): the first that works; else the error, or
/// "Multiple exceptions: ..." naming each (with the first one's errno).
inline Task<Socket> connect_any(EventLoop& loop, std::vector<SocketAddress> addrs, int type) {
    std::vector<std::exception_ptr> errors;
    for (const SocketAddress& addr : addrs) {
        std::exception_ptr error;
        try {
            Socket sock(addr.family, type);
            co_await loop.sock_connect(sock, addr);
            co_return std::move(sock);
        } catch (const std::system_error&) {
            error = std::current_exception();
        }
        errors.push_back(error);
    }
    if (errors.size() == 1) std::rethrow_exception(errors.front());
    std::string what = "Multiple exceptions: ";
    std::error_code first;
    for (std::size_t i = 0; i < errors.size(); ++i) {
        try {
            std::rethrow_exception(errors[i]);
        } catch (const std::system_error& e) {
            if (i == 0) first = e.code();
            what += (i ? ", " : "") + std::string(e.what());
        }
    }
    throw std::system_error(first, what);
}

/// Starts a transport with `factory()`'s protocol on a connected socket and
/// waits for connection_made (Python's _create_connection_transport). If the
/// wait is cancelled or fails, the transport is closed.
template <class Factory>
Task<std::pair<Transport*, factory_protocol_t<Factory>*>> start_transport(EventLoop& loop, Socket sock, Factory factory) {
    using P = factory_protocol_t<Factory>;
    static_assert(std::is_base_of_v<Protocol, P>, "the protocol factory must return std::unique_ptr<P>, P derived from asyncio::Protocol");
    std::unique_ptr<P> protocol = factory();
    if (!protocol) throw std::invalid_argument("the protocol factory returned null");
    P* raw = protocol.get();
    Future<void> waiter = loop.create_future<void>();
    SocketTransport* t = SocketTransport::start(loop, std::move(sock), std::move(protocol), waiter);
    try {
        co_await waiter;
    } catch (...) {
        t->close();  // still valid: connection_lost comes from the ready queue, after us
        throw;
    }
    std::pair<Transport*, P*> result(t, raw);
    co_return result;
}

/// Python's loop.create_connection(protocol_factory, host, port).
template <class Factory>
Task<std::pair<Transport*, factory_protocol_t<Factory>*>> create_connection(EventLoop& loop, Factory factory, std::string host,
                                                                             std::uint16_t port) {
    std::vector<SocketAddress> addrs = co_await resolve_stream(loop, host, port, false);
    Socket sock = co_await connect_any(loop, std::move(addrs), SOCK_STREAM);
    co_return co_await start_transport(loop, std::move(sock), std::move(factory));
}

/// Python's loop.create_unix_connection(protocol_factory, path).
template <class Factory>
Task<std::pair<Transport*, factory_protocol_t<Factory>*>> create_unix_connection(EventLoop& loop, Factory factory, std::string path) {
    std::vector<SocketAddress> addrs(1);  // no braced aggregates in a coroutine: g++ 12
    addrs[0].family = AF_UNIX;
    addrs[0].host = std::move(path);
    Socket sock = co_await connect_any(loop, std::move(addrs), SOCK_STREAM);
    co_return co_await start_transport(loop, std::move(sock), std::move(factory));
}

/// A Server on bound sockets, serving (Python's start_serving=True).
inline Server serve(EventLoop& loop, std::vector<Socket> socks, ProtocolFactory factory, int backlog,
                    std::optional<std::string> unix_path = std::nullopt, ino_t unix_inode = 0) {
    auto state = std::make_shared<ServerState>(loop, std::move(socks), std::move(factory), backlog);
    state->unix_path = std::move(unix_path);
    state->unix_inode = unix_inode;
    state->self = state;
    LoopAccess::keep(loop, state.get());
    state->start_serving();
    return Server(state);
}

template <class Factory>
ProtocolFactory erase_factory(Factory factory) {
    static_assert(std::is_base_of_v<Protocol, factory_protocol_t<Factory>>,
                  "the protocol factory must return std::unique_ptr<P>, P derived from asyncio::Protocol");
    return [f = std::move(factory)]() mutable -> std::unique_ptr<Protocol> { return f(); };
}

/// Python's loop.create_server(protocol_factory, host, port, backlog=100):
/// SO_REUSEADDR, IPV6_V6ONLY on IPv6 sockets; an empty host listens on
/// every interface (an IPv6 socket is skipped where IPv6 is missing).
template <class Factory>
Task<Server> create_server(EventLoop& loop, Factory factory, std::string host, std::uint16_t port, int backlog = 100) {
    ProtocolFactory erased = erase_factory(std::move(factory));
    std::vector<Socket> socks;
    const std::vector<SocketAddress> addrs = co_await resolve_stream(loop, host, port, true);
    for (const SocketAddress& addr : addrs) {
        Socket s = [&] {
            try {
                return Socket(addr.family, SOCK_STREAM);
            } catch (const std::system_error& e) {
                if (host.empty() && e.code() == std::errc::address_family_not_supported) return Socket(AdoptSocket{}, -1, 0, 0, false);
                throw;
            }
        }();
        if (s.fileno() < 0) continue;
        s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
        if (addr.family == AF_INET6) s.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1);
        try {
            s.bind(addr);
        } catch (const std::system_error& e) {
            // Python: "error while attempting to bind on address ('127.0.0.1', 8080): address already in use"
            // (std::system_error appends the strerror text itself).
            throw std::system_error(e.code(), "error while attempting to bind on address " + to_string(addr));
        }
        socks.push_back(std::move(s));
    }
    co_return serve(loop, std::move(socks), std::move(erased), backlog);
}

/// Python 3.13's loop.create_unix_server(protocol_factory, path): a stale
/// socket file at `path` is removed first; close() removes the file.
template <class Factory>
Task<Server> create_unix_server(EventLoop& loop, Factory factory, std::string path, int backlog = 100) {
    ProtocolFactory erased = erase_factory(std::move(factory));
    if (!path.empty() && path.front() != '\0') {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
    }
    Socket s(AF_UNIX, SOCK_STREAM);
    SocketAddress address;
    address.family = AF_UNIX;
    address.host = path;
    s.bind(address);
    ino_t inode = 0;
    if (struct stat st {}; !path.empty() && path.front() != '\0' && ::stat(path.c_str(), &st) == 0) inode = st.st_ino;
    std::vector<Socket> socks;
    socks.push_back(std::move(s));
    std::optional<std::string> file;
    if (inode != 0) file = path;
    co_return serve(loop, std::move(socks), std::move(erased), backlog, std::move(file), inode);
}

}  // namespace asyncio::detail

// The EventLoop member spellings (declared in events.hpp) of the functions above.
namespace asyncio {
template <class Factory>
auto EventLoop::create_connection(Factory protocol_factory, std::string host, std::uint16_t port)
    -> Task<std::pair<Transport*, typename std::invoke_result_t<Factory&>::element_type*>> {
    return detail::create_connection(*this, std::move(protocol_factory), std::move(host), port);
}
template <class Factory>
auto EventLoop::create_unix_connection(Factory protocol_factory, std::string path)
    -> Task<std::pair<Transport*, typename std::invoke_result_t<Factory&>::element_type*>> {
    return detail::create_unix_connection(*this, std::move(protocol_factory), std::move(path));
}
template <class Factory>
Task<Server> EventLoop::create_server(Factory protocol_factory, std::string host, std::uint16_t port, int backlog) {
    return detail::create_server(*this, std::move(protocol_factory), std::move(host), port, backlog);
}
template <class Factory>
Task<Server> EventLoop::create_unix_server(Factory protocol_factory, std::string path, int backlog) {
    return detail::create_unix_server(*this, std::move(protocol_factory), std::move(path), backlog);
}
}  // namespace asyncio
