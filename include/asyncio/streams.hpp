// asyncio/streams.hpp - streams (Python's asyncio.streams): StreamReader,
// StreamWriter, open_connection, start_server and their Unix variants, on
// the transports and protocols below (detail/stream_protocol.hpp,
// detail/create_endpoints.hpp).
#pragma once

#include <asyncio/detail/create_endpoints.hpp>
#include <asyncio/detail/server.hpp>
#include <asyncio/detail/stream_protocol.hpp>
#include <asyncio/detail/stream_reader.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/sockets.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/transports.hpp>

#include <any>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio {

namespace detail {

inline void check_limit(std::size_t limit) {
    if (limit == 0) throw ValueError("Limit cannot be <= 0");
}

/// A factory of StreamReaderProtocols (client side: `cb` null).
inline auto stream_protocol_factory(EventLoop& loop, std::size_t limit, std::shared_ptr<StreamConn>* client_conn,
                                    ClientConnected cb) {
    return [&loop, limit, client_conn, cb = std::move(cb)]() {
        auto conn = std::make_shared<StreamConn>(loop, limit);
        if (client_conn) *client_conn = conn;
        return std::make_unique<StreamReaderProtocol>(std::move(conn), cb);
    };
}

/// client_connected_cb, type-erased: any callable taking (StreamReader,
/// StreamWriter) and returning Task<> (a coroutine) or void.
template <class F>
ClientConnected erase_client_cb(F cb) {
    using R = std::invoke_result_t<F&, StreamReader, StreamWriter>;
    static_assert(std::is_void_v<R> || std::is_same_v<R, Task<void>>,
                  "client_connected_cb must take (StreamReader, StreamWriter) and return Task<> or void");
    auto shared = std::make_shared<F>(std::move(cb));
    return [shared](StreamReader r, StreamWriter w) -> Task<void> {
        if constexpr (std::is_void_v<R>) {
            (*shared)(std::move(r), std::move(w));
            return Task<void>();
        } else {
            return (*shared)(std::move(r), std::move(w));
        }
    };
}

inline Task<std::pair<StreamReader, StreamWriter>> open_stream(std::string target, std::uint16_t port, std::size_t limit,
                                                               bool unix_socket) {
    check_limit(limit);
    EventLoop& loop = get_running_loop();
    std::shared_ptr<StreamConn> conn;
    auto factory = stream_protocol_factory(loop, limit, &conn, nullptr);
    if (unix_socket)
        (void)co_await create_unix_connection(loop, std::move(factory), std::move(target));
    else
        (void)co_await create_connection(loop, std::move(factory), std::move(target), port);
    co_return StreamAccess::make(conn);
}

}  // namespace detail

/// Python's asyncio.open_connection(host, port, limit=2**16): connects (a
/// name is resolved, a numeric address used as it is) and returns the
/// connection's reader and writer.
inline Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, std::uint16_t port,
                                                                   std::size_t limit = 65536) {
    return detail::open_stream(std::move(host), port, limit, false);
}

/// Python's open_connection(sock=sock): streams on a connected socket.
inline Task<std::pair<StreamReader, StreamWriter>> open_connection(Socket sock, std::size_t limit = 65536) {
    detail::check_limit(limit);
    EventLoop& loop = get_running_loop();
    std::shared_ptr<detail::StreamConn> conn;
    auto factory = detail::stream_protocol_factory(loop, limit, &conn, nullptr);  // named: g++ 12 (docs/GCC12.md)
    (void)co_await detail::start_transport(loop, std::move(sock), std::move(factory));
    co_return detail::StreamAccess::make(conn);
}

/// Python's asyncio.open_unix_connection(path, limit=2**16).
inline Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path, std::size_t limit = 65536) {
    return detail::open_stream(std::move(path), 0, limit, true);
}

/// Python's asyncio.start_server(client_connected_cb, host, port, limit=2**16,
/// backlog=100): `client_connected_cb(reader, writer)` is called for each
/// connection; if it returns a Task, the task runs as a task of its own (a
/// task that fails or is cancelled closes its connection, as Python).
/// An empty host listens on every interface; port 0 lets the OS pick one
/// (see server.sockets()[0].getsockname()).
template <class F>
Task<Server> start_server(F client_connected_cb, std::string host, std::uint16_t port, std::size_t limit = 65536,
                          int backlog = 100) {
    detail::check_limit(limit);
    EventLoop& loop = get_running_loop();
    auto factory = detail::stream_protocol_factory(loop, limit, nullptr, detail::erase_client_cb(std::move(client_connected_cb)));
    co_return co_await detail::create_server(loop, std::move(factory), std::move(host), port, backlog);
}

/// Python's start_server(client_connected_cb, sock=sock): serves on a bound
/// socket (listening or not; it is put to listen with `backlog`).
template <class F>
Task<Server> start_server(F client_connected_cb, Socket sock, std::size_t limit = 65536, int backlog = 100) {
    detail::check_limit(limit);
    EventLoop& loop = get_running_loop();
    auto factory = detail::stream_protocol_factory(loop, limit, nullptr, detail::erase_client_cb(std::move(client_connected_cb)));
    std::vector<Socket> socks;
    socks.push_back(std::move(sock));
    co_return detail::serve(loop, std::move(socks), std::move(factory), backlog);
}

/// Python's asyncio.start_unix_server(client_connected_cb, path, limit=2**16):
/// 3.13 removes the socket file when the server is closed.
template <class F>
Task<Server> start_unix_server(F client_connected_cb, std::string path, std::size_t limit = 65536, int backlog = 100) {
    detail::check_limit(limit);
    EventLoop& loop = get_running_loop();
    auto factory = detail::stream_protocol_factory(loop, limit, nullptr, detail::erase_client_cb(std::move(client_connected_cb)));
    co_return co_await detail::create_unix_server(loop, std::move(factory), std::move(path), backlog);
}

}  // namespace asyncio
