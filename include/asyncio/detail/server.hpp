// asyncio/detail/server.hpp - Server (Python's base_events.Server): listening
// sockets that accept connections into transports, and the bookkeeping that
// lets close() + wait_closed() wait for every connection. Include
// <asyncio/streams.hpp> (or <asyncio/detail/create_endpoints.hpp>) instead.
#pragma once

#include <asyncio/detail/selector_transport.hpp>
#include <asyncio/events.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/sockets.hpp>
#include <asyncio/tasks.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace asyncio {

namespace detail {

using ProtocolFactory = std::function<std::unique_ptr<Protocol>()>;

/// A server's state, shared by the Server handles and its transports (each
/// connection's owner). The loop keeps it alive (a LoopResource) until
/// close(); closing the loop closes it.
///
/// `waiters`: the wait_closed() futures; nullopt once woken (Python's None):
/// closed and no connection left.
struct ServerState final : ConnectionOwner, LoopResource, std::enable_shared_from_this<ServerState> {
    ServerState(EventLoop& l, std::vector<Socket> socks, ProtocolFactory f, int bl)
        : loop(&l), sockets(std::move(socks)), factory(std::move(f)), backlog(bl) {
        on_close = &on_loop_close;
    }

    void attach(SocketTransport* t) override {
        clients.push_back(t);
        ++active_count;
    }
    void detach(SocketTransport* t) noexcept override {
        clients.erase(std::remove(clients.begin(), clients.end(), t), clients.end());
        if (--active_count == 0 && closed) wakeup();
    }

    void wakeup() {
        if (!waiters) return;
        std::vector<Future<void>> ws = std::move(*waiters);
        waiters.reset();
        for (Future<void>& w : ws)
            if (!w.done()) w.set_result();
    }

    /// Python's _start_serving: listen, then accept when readable.
    void start_serving() {
        if (serving || closed) return;
        serving = true;
        for (Socket& s : sockets) {
            s.listen(backlog);
            add_accept_reader(s.fileno());
        }
    }

    void add_accept_reader(int fd) {
        std::weak_ptr<ServerState> weak = weak_from_this();
        loop->add_reader(fd, [weak, fd] {
            if (auto self = weak.lock()) self->accept_ready(fd);
        });
    }

    /// Python's _accept_connection: up to `backlog` accepts per wake-up.
    void accept_ready(int fd) {
        for (int i = 0; i < backlog && !closed; ++i) {
            const int conn = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (conn < 0) {
                const int err = errno;
                if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) return;
                if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                    // Out of descriptors: stop accepting for a second (Python's ACCEPT_RETRY_DELAY).
                    loop->remove_reader(fd);
                    std::weak_ptr<ServerState> weak = weak_from_this();
                    loop->call_later(1.0, [weak, fd] {
                        if (auto self = weak.lock(); self && self->serving && !self->closed) self->add_accept_reader(fd);
                    });
                    return;
                }
                report_accept_error(err);
                return;
            }
            const Socket& listener = *std::find_if(sockets.begin(), sockets.end(), [fd](const Socket& s) { return s.fileno() == fd; });
            Socket sock(AdoptSocket{}, conn, listener.family(), SOCK_STREAM, false);
            try {
                SocketTransport::start(*loop, std::move(sock), factory(), std::nullopt, shared_from_this());
            } catch (...) {
                report_callback_exception();  // the factory failed: this connection is dropped
            }
        }
    }

    static void report_accept_error(int err) {
        try {
            throw_os_error(err, "accept");
        } catch (...) {
            report_callback_exception();
        }
    }

    /// Python's Server.close(): stop listening (a Unix server removes its
    /// socket file, 3.13); connections go on.
    void close() {
        if (closed) return;
        closed = true;
        for (Socket& s : sockets) {
            loop->remove_reader(s.fileno());
            s.close();
        }
        sockets.clear();
        if (unix_path) {
            struct stat st {};
            if (::stat(unix_path->c_str(), &st) == 0 && st.st_ino == unix_inode) ::unlink(unix_path->c_str());
            unix_path.reset();
        }
        serving = false;
        if (serve_forever_fut && !serve_forever_fut->done()) serve_forever_fut->cancel();
        serve_forever_fut.reset();
        std::shared_ptr<ServerState> keep = std::move(self);  // the loop's reference, dropped at the end
        if (linked()) LoopAccess::let_go(this);
        if (active_count == 0) wakeup();
    }

    static void on_loop_close(LoopResource* r) noexcept {
        auto* s = static_cast<ServerState*>(r);
        try {
            s->close();
        } catch (...) {
        }
    }

    EventLoop* loop;
    std::vector<Socket> sockets;
    ProtocolFactory factory;
    int backlog;
    bool serving = false;
    bool closed = false;
    std::size_t active_count = 0;
    std::vector<SocketTransport*> clients;
    std::optional<std::vector<Future<void>>> waiters{std::in_place};
    std::optional<Future<void>> serve_forever_fut;
    std::optional<std::string> unix_path;  // a Unix server's socket file, removed at close()
    ino_t unix_inode = 0;
    std::shared_ptr<ServerState> self;  // the loop's reference while open
};

inline Task<void> server_wait_closed(std::shared_ptr<ServerState> s) {
    if (!s->waiters) co_return;
    Future<void> w = s->loop->create_future<void>();
    s->waiters->push_back(w);
    co_await w;
}

inline Task<void> server_serve_forever(std::shared_ptr<ServerState> s) {
    if (s->serve_forever_fut) throw std::runtime_error("server is already being awaited on serve_forever()");
    if (s->closed) throw std::runtime_error("server is closed");
    s->start_serving();
    Future<void> fut = s->loop->create_future<void>();
    s->serve_forever_fut = fut;
    bool cancelled = false;
    try {
        co_await fut;
    } catch (const CancelledError&) {
        cancelled = true;
    }
    if (s->serve_forever_fut == fut) s->serve_forever_fut.reset();
    if (cancelled) {
        s->close();
        co_await server_wait_closed(s);
        throw CancelledError();
    }
}

}  // namespace detail

/// Python's asyncio.Server: what create_server() / start_server() return. A
/// cheap handle; copies share the server. The loop keeps the server open
/// until close() (or until the loop is closed), whether handles remain or not.
///
/// close() stops listening; the connections go on until they end or
/// close_clients() / abort_clients() end them; wait_closed() waits for
/// both (Python 3.12+).
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared
/// objects: unsafe.
class Server {
public:
    explicit Server(std::shared_ptr<detail::ServerState> s) noexcept : s_(std::move(s)) {}

    /// Stops listening (the listening sockets are closed). Idempotent.
    void close() { s_->close(); }
    /// Waits until the server is closed and its last connection is gone.
    Task<void> wait_closed() { return detail::server_wait_closed(s_); }
    /// Accepts until cancelled; cancelled, it closes the server and waits for it.
    Task<void> serve_forever() { return detail::server_serve_forever(s_); }
    /// Starts listening (create_server already does, as Python's start_serving=True).
    Task<void> start_serving() { return start(s_); }
    bool is_serving() const noexcept { return s_->serving; }
    /// The listening sockets (none once closed).
    const std::vector<Socket>& sockets() const noexcept { return s_->sockets; }
    /// Closes every connection (buffered data is sent first), 3.13.
    void close_clients() {
        std::vector<detail::SocketTransport*> all = s_->clients;
        for (detail::SocketTransport* t : all) t->close();
    }
    /// Aborts every connection, 3.13.
    void abort_clients() {
        std::vector<detail::SocketTransport*> all = s_->clients;
        for (detail::SocketTransport* t : all) t->abort();
    }
    EventLoop& get_loop() const noexcept { return *s_->loop; }
    /// The number of connections not closed yet.
    std::size_t active_connections() const noexcept { return s_->active_count; }

private:
    static Task<void> start(std::shared_ptr<detail::ServerState> s) {
        s->start_serving();
        co_return;
    }

    std::shared_ptr<detail::ServerState> s_;
};

}  // namespace asyncio
