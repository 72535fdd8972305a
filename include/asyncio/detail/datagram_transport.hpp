// asyncio/detail/datagram_transport.hpp - the UDP transport of the selector loop
// (Python's selector_events._SelectorDatagramTransport) and Python's
// loop.create_datagram_endpoint as a free function taking the loop.
#pragma once

#include <asyncio/detail/selector_transport.hpp>
#include <asyncio/events.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/selector_events.hpp>
#include <asyncio/sockets.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/transports.hpp>

#include <sys/socket.h>

#include <any>
#include <cerrno>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asyncio::detail {

/// One UDP socket and its DatagramProtocol, which it owns. Lifetime as
/// SocketTransport's: it deletes itself right after connection_lost(), which
/// comes exactly once (after close() once the queue is sent, abort(), or the
/// loop's close). Send and receive errors go to error_received(), as Python.
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared
/// objects: unsafe.
class DatagramSocketTransport final : public DatagramTransport, private LoopResource {
public:
    static constexpr std::size_t max_size = 256 * 1024;

    static DatagramSocketTransport* start(EventLoop& loop, Socket sock, std::unique_ptr<DatagramProtocol> protocol,
                                          std::optional<SocketAddress> remote, Future<void> waiter) {
        LoopAccess::check_closed(loop);
        auto* t = new DatagramSocketTransport(loop, std::move(sock), std::move(protocol), std::move(remote), std::move(waiter));
        LoopAccess::keep(loop, t);
        LoopAccess::push_ready(loop, &made_thunk, t);
        return t;
    }

    std::any get_extra_info(std::string_view name, std::any default_value = {}) const override {
        if (name == "peername" && remote_) return *remote_;
        if (name == "sockname" && sockname_) return *sockname_;
        if (name == "socket" && sock_.fileno() >= 0) return sock_.fileno();
        return default_value;
    }
    bool is_closing() const noexcept override { return closing_; }

    void close() override {
        if (closing_) return;
        closing_ = true;
        loop_.remove_reader(sock_.fileno());
        if (queue_.empty()) {
            ++conn_lost_;
            loop_.remove_writer(sock_.fileno());
            schedule_lost(nullptr);
        }
    }
    void abort() override { force_close(nullptr); }
    std::size_t get_write_buffer_size() const noexcept override { return queued_bytes_; }

    /// Python's sendto(data, addr=None). ValueError for an address other than
    /// the connected one, or none on an unconnected socket.
    void sendto(std::string_view data, const SocketAddress* address = nullptr) override {
        if (address && remote_ && !(*address == *remote_))
            throw ValueError("Invalid address: must be None or " + to_string(*remote_));
        if (!address && !remote_) throw ValueError("sendto() needs an address: the transport is not connected");
        if (conn_lost_) return;
        if (queue_.empty()) {
            const int err = send_one(data, address);
            if (err == 0) return;
            if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
                error(err);
                return;
            }
            loop_.add_writer(sock_.fileno(), [this] { sendto_ready(); });
        }
        queue_.push_back({std::string(data), address ? std::optional<SocketAddress>(*address) : std::nullopt});
        queued_bytes_ += data.size() + 8;  // Python counts 8 bytes of overhead per datagram
        if (!protocol_paused_ && queued_bytes_ > 64 * 1024) {
            protocol_paused_ = true;
            protocol_->pause_writing();
        }
    }

private:
    struct Queued {
        std::string data;
        std::optional<SocketAddress> address;
    };

    DatagramSocketTransport(EventLoop& loop, Socket sock, std::unique_ptr<DatagramProtocol> protocol,
                            std::optional<SocketAddress> remote, Future<void> waiter)
        : loop_(loop), sock_(std::move(sock)), protocol_(std::move(protocol)), remote_(std::move(remote)), waiter_(std::move(waiter)) {
        on_close = &on_loop_close;
        try {
            sockname_ = sock_.getsockname();
        } catch (const std::exception&) {
        }
    }
    ~DatagramSocketTransport() = default;

    /// 0, or the errno of a failed send.
    int send_one(std::string_view data, const SocketAddress* address) {
        ssize_t n;
        if (remote_) {
            n = ::send(sock_.fileno(), data.data(), data.size(), MSG_NOSIGNAL);
        } else {
            const NativeAddress native = to_native(*address);
            n = ::sendto(sock_.fileno(), data.data(), data.size(), MSG_NOSIGNAL, native.get(), native.length);
        }
        return n < 0 ? errno : 0;
    }

    void error(int err) {
        try {
            protocol_->error_received(os_error(err, "sendto"));
        } catch (...) {
            report_callback_exception();
        }
    }

    static void made_thunk(void* p, bool run) {
        if (!run) return;
        auto* self = static_cast<DatagramSocketTransport*>(p);
        self->made_ = true;
        try {
            self->protocol_->connection_made(*self);
            if (!self->closing_) self->loop_.add_reader(self->sock_.fileno(), [self] { self->read_ready(); });
        } catch (...) {
            if (!self->waiter_.done()) self->waiter_.set_exception(std::current_exception());
            self->force_close(std::current_exception());
            return;
        }
        if (!self->waiter_.done()) self->waiter_.set_result();
    }

    void read_ready() {
        if (conn_lost_) return;
        static thread_local std::unique_ptr<char[]> buffer(new char[max_size]);
        NativeAddress peer;
        peer.length = sizeof peer.storage;
        const ssize_t n = ::recvfrom(sock_.fileno(), buffer.get(), max_size, 0, peer.get(), &peer.length);
        try {
            if (n < 0) {
                const int err = errno;
                if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) protocol_->error_received(os_error(err, "recvfrom"));
                return;
            }
            protocol_->datagram_received(std::string_view(buffer.get(), static_cast<std::size_t>(n)), from_native(peer.get(), peer.length));
        } catch (...) {
            report_callback_exception();
            force_close(std::current_exception());
        }
    }

    void sendto_ready() {
        while (!queue_.empty() && !conn_lost_) {
            Queued& q = queue_.front();
            const int err = send_one(q.data, q.address ? &*q.address : nullptr);
            if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) break;
            queued_bytes_ -= q.data.size() + 8;
            queue_.pop_front();
            if (err != 0) {
                error(err);
                return;
            }
        }
        if (protocol_paused_ && queued_bytes_ <= 16 * 1024) {
            protocol_paused_ = false;
            protocol_->resume_writing();
        }
        if (queue_.empty() && !conn_lost_) {
            loop_.remove_writer(sock_.fileno());
            if (closing_) {
                ++conn_lost_;
                schedule_lost(nullptr);
            }
        }
    }

    void force_close(std::exception_ptr exc) {
        if (conn_lost_) return;
        if (!queue_.empty()) {
            queue_.clear();
            queued_bytes_ = 0;
            loop_.remove_writer(sock_.fileno());
        }
        if (!closing_) {
            closing_ = true;
            loop_.remove_reader(sock_.fileno());
        }
        ++conn_lost_;
        schedule_lost(std::move(exc));
    }

    void schedule_lost(std::exception_ptr exc) {
        lost_exc_ = std::move(exc);
        if (linked()) LoopAccess::let_go(this);
        LoopAccess::push_ready(loop_, &lost_thunk, this);
    }
    static void lost_thunk(void* p, bool) { static_cast<DatagramSocketTransport*>(p)->call_connection_lost(); }

    void call_connection_lost() noexcept {
        loop_.remove_reader(sock_.fileno());
        loop_.remove_writer(sock_.fileno());
        if (made_) {
            try {
                protocol_->connection_lost(lost_exc_);
            } catch (...) {
                report_callback_exception();
            }
        }
        try {
            sock_.close();
        } catch (...) {
        }
        delete this;
    }

    static void on_loop_close(LoopResource* r) noexcept {
        auto* self = static_cast<DatagramSocketTransport*>(r);
        self->closing_ = true;
        ++self->conn_lost_;
        self->call_connection_lost();
    }

    EventLoop& loop_;
    Socket sock_;
    std::unique_ptr<DatagramProtocol> protocol_;
    std::optional<SocketAddress> remote_;  // connected to it: send(2), and sendto() must name it or nothing
    std::optional<SocketAddress> sockname_;
    Future<void> waiter_;
    std::deque<Queued> queue_;
    std::size_t queued_bytes_ = 0;
    std::exception_ptr lost_exc_;
    unsigned conn_lost_ = 0;
    bool closing_ = false;
    bool made_ = false;
    bool protocol_paused_ = false;
};

/// Python's loop.create_datagram_endpoint(protocol_factory, local_addr,
/// remote_addr): a UDP socket bound to `local_addr` (if given) and connected
/// to `remote_addr` (if given); at least one is needed (it gives the family).
/// Addresses are numeric (SocketAddress).
template <class Factory>
Task<std::pair<DatagramTransport*, typename std::invoke_result_t<Factory&>::element_type*>> create_datagram_endpoint(
    EventLoop& loop, Factory factory, std::optional<SocketAddress> local_addr, std::optional<SocketAddress> remote_addr) {
    using P = typename std::invoke_result_t<Factory&>::element_type;
    static_assert(std::is_base_of_v<DatagramProtocol, P>, "the protocol factory must return std::unique_ptr<P>, P derived from DatagramProtocol");
    if (!local_addr && !remote_addr) throw ValueError("unexpected address family");
    const int family = local_addr ? local_addr->family : remote_addr->family;
    Socket sock(family, SOCK_DGRAM);
    if (local_addr) sock.bind(*local_addr);
    if (remote_addr) co_await loop.sock_connect(sock, *remote_addr);
    std::unique_ptr<P> protocol = factory();
    P* raw = protocol.get();
    Future<void> waiter = loop.create_future<void>();
    DatagramSocketTransport* t = DatagramSocketTransport::start(loop, std::move(sock), std::move(protocol), remote_addr, waiter);
    try {
        co_await waiter;
    } catch (...) {
        t->close();
        throw;
    }
    std::pair<DatagramTransport*, P*> result(t, raw);
    co_return result;
}

}  // namespace asyncio::detail
