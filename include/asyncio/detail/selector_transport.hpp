// asyncio/detail/selector_transport.hpp - the socket transport of the selector
// loop (Python's selector_events._SelectorSocketTransport): reads through
// add_reader into the protocol, writes that try send(2) first and buffer the
// rest behind add_writer, flow control, close / abort / write_eof.
#pragma once

#include <asyncio/events.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/sockets.hpp>
#include <asyncio/transports.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <any>
#include <cerrno>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace asyncio::detail {

class SocketTransport;

/// What keeps track of its connections (a Server): told when one begins and
/// when it is gone (after the protocol's connection_lost).
struct ConnectionOwner {
    virtual ~ConnectionOwner() = default;
    virtual void attach(SocketTransport* t) = 0;
    virtual void detach(SocketTransport* t) noexcept = 0;
};

inline std::exception_ptr os_error(int err, const char* what) {
    return std::make_exception_ptr(std::system_error(std::error_code(err, std::system_category()), what));
}

/// One connected stream socket and its protocol, which it owns.
///
/// Lifetime: created by start(); it deletes itself (and its protocol) right
/// after calling connection_lost(), which happens exactly once: through the
/// ready queue after close() (once the buffer is sent), abort() or a fatal
/// error, or at once when the loop is closed (the loop lists the transport
/// among what it keeps alive, and closes it then).
///
/// State: `closing_` (close/abort/fatal error called: no more reading),
/// `conn_lost_` (non-zero once connection_lost is scheduled: no more I/O;
/// counts the writes ignored since, as Python), `eof_` (write_eof called),
/// `paused_` (pause_reading called), `made_` (connection_made has run).
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared
/// objects: unsafe.
class SocketTransport final : public Transport, private LoopResource {
public:
    /// Python's max_size: the most one read takes.
    static constexpr std::size_t max_size = 256 * 1024;

    /// Starts a transport on `sock` (connected, non-blocking): in the next
    /// iteration, connection_made(), then reading, then `waiter` (if any) is
    /// completed. Throws (and closes `sock`) only if the loop is closed.
    static SocketTransport* start(EventLoop& loop, Socket sock, std::unique_ptr<Protocol> protocol,
                                  std::optional<Future<void>> waiter = std::nullopt,
                                  std::shared_ptr<ConnectionOwner> owner = nullptr) {
        LoopAccess::check_closed(loop);
        auto* t = new SocketTransport(loop, std::move(sock), std::move(protocol), std::move(waiter), std::move(owner));
        if (t->owner_) t->owner_->attach(t);
        LoopAccess::keep(loop, t);
        LoopAccess::push_ready(loop, &made_thunk, t);
        return t;
    }

    Protocol& protocol() noexcept { return *protocol_; }
    int fileno() const noexcept { return sock_.fileno(); }

    // ---- BaseTransport ----
    std::any get_extra_info(std::string_view name, std::any default_value = {}) const override {
        if (name == "peername" && peername_) return *peername_;
        if (name == "sockname" && sockname_) return *sockname_;
        if (name == "socket" && sock_.fileno() >= 0) return sock_.fileno();
        return default_value;
    }
    bool is_closing() const noexcept override { return closing_; }

    /// Python's close(): stop reading; connection_lost once the buffer is sent.
    void close() override {
        if (closing_) return;
        closing_ = true;
        loop_.remove_reader(sock_.fileno());
        if (wbuf_size() == 0) {
            ++conn_lost_;
            loop_.remove_writer(sock_.fileno());
            schedule_lost(nullptr);
        }
    }

    // ---- reading ----
    bool is_reading() const noexcept override { return !paused_ && !closing_; }
    void pause_reading() override {
        if (!is_reading()) return;
        paused_ = true;
        loop_.remove_reader(sock_.fileno());
    }
    void resume_reading() override {
        if (closing_ || !paused_) return;
        paused_ = false;
        if (made_) add_reader();  // else connection_made's step adds it
    }

    // ---- writing ----
    void write(std::string_view data) override {
        if (eof_) throw std::runtime_error("Cannot call write() after write_eof()");
        if (data.empty()) return;
        if (conn_lost_) {
            ++conn_lost_;  // Python logs a warning from the 5th on
            return;
        }
        if (wbuf_size() == 0) {
            const ssize_t n = ::send(sock_.fileno(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0) {
                const int err = errno;
                if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
                    fatal_error(os_error(err, "send"));
                    return;
                }
            } else {
                data.remove_prefix(static_cast<std::size_t>(n));
                if (data.empty()) return;
            }
            loop_.add_writer(sock_.fileno(), [this] { write_ready(); });
        }
        if (whead_ != 0 && whead_ >= wbuf_.size() / 2) {
            wbuf_.erase(0, whead_);
            whead_ = 0;
        }
        wbuf_.append(data);
        maybe_pause_protocol();
    }

    void write_eof() override {
        if (closing_ || eof_) return;
        eof_ = true;
        if (wbuf_size() == 0) ::shutdown(sock_.fileno(), SHUT_WR);  // ENOTCONN: the peer is gone; reading tells
    }
    bool can_write_eof() const noexcept override { return true; }

    /// Python's abort(): drop the buffer; connection_lost(nullptr) follows.
    void abort() override { force_close(nullptr); }

    std::size_t get_write_buffer_size() const noexcept override { return wbuf_size(); }
    void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                                 std::optional<std::size_t> low = std::nullopt) override {
        std::tie(high_, low_) = write_buffer_limits(high, low);
        maybe_pause_protocol();
    }
    std::pair<std::size_t, std::size_t> get_write_buffer_limits() const noexcept override { return {low_, high_}; }

private:
    SocketTransport(EventLoop& loop, Socket sock, std::unique_ptr<Protocol> protocol, std::optional<Future<void>> waiter,
                    std::shared_ptr<ConnectionOwner> owner)
        : loop_(loop), sock_(std::move(sock)), protocol_(std::move(protocol)), waiter_(std::move(waiter)), owner_(std::move(owner)) {
        on_close = &on_loop_close;
        buffered_ = dynamic_cast<BufferedProtocol*>(protocol_.get());
        const int fd = sock_.fileno();
        if ((sock_.family() == AF_INET || sock_.family() == AF_INET6) && sock_.type() == SOCK_STREAM) {
            const int one = 1;  // Python's _set_nodelay
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        try {
            sockname_ = sock_.getsockname();
        } catch (const std::exception&) {
        }
        try {
            peername_ = sock_.getpeername();
        } catch (const std::exception&) {
        }
    }
    ~SocketTransport() = default;

    std::size_t wbuf_size() const noexcept { return wbuf_.size() - whead_; }

    void add_reader() {
        if (is_reading()) loop_.add_reader(sock_.fileno(), [this] { read_ready(); });
    }

    /// connection_made, reading, the waiter: Python's three call_soon of __init__.
    static void made_thunk(void* p, bool run) {
        if (!run) return;  // the loop is closing: its close of this transport follows
        auto* self = static_cast<SocketTransport*>(p);
        self->made_ = true;
        try {
            self->protocol_->connection_made(*self);
        } catch (...) {
            // The waiter first: its task must run (and may call close()) before connection_lost.
            if (self->waiter_ && !self->waiter_->done()) self->waiter_->set_exception(std::current_exception());
            self->fatal_error(std::current_exception());
            return;
        }
        if (!self->closing_) {
            try {
                self->add_reader();
            } catch (...) {
                self->fatal_error(std::current_exception());
            }
        }
        if (self->waiter_ && !self->waiter_->done()) self->waiter_->set_result();
        self->waiter_.reset();
    }

    void read_ready() {
        if (conn_lost_) return;
        if (buffered_) {
            read_ready_get_buffer();
            return;
        }
        static thread_local std::unique_ptr<char[]> buffer(new char[max_size]);
        const ssize_t n = ::recv(sock_.fileno(), buffer.get(), max_size, 0);
        if (n < 0) {
            const int err = errno;
            if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) fatal_error(os_error(err, "recv"));
            return;
        }
        if (n == 0) {
            read_ready_on_eof();
            return;
        }
        try {
            protocol_->data_received(std::string_view(buffer.get(), static_cast<std::size_t>(n)));
        } catch (...) {
            fatal_error(std::current_exception());
        }
    }

    void read_ready_get_buffer() {
        std::span<std::byte> buf;
        try {
            buf = buffered_->get_buffer(max_size);
            if (buf.empty()) throw std::runtime_error("get_buffer() returned an empty buffer");
        } catch (...) {
            fatal_error(std::current_exception());
            return;
        }
        const ssize_t n = ::recv(sock_.fileno(), buf.data(), buf.size(), 0);
        if (n < 0) {
            const int err = errno;
            if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) fatal_error(os_error(err, "recv"));
            return;
        }
        if (n == 0) {
            read_ready_on_eof();
            return;
        }
        try {
            buffered_->buffer_updated(static_cast<std::size_t>(n));
        } catch (...) {
            fatal_error(std::current_exception());
        }
    }

    void read_ready_on_eof() {
        bool keep_open = false;
        try {
            keep_open = protocol_->eof_received();
        } catch (...) {
            fatal_error(std::current_exception());
            return;
        }
        if (keep_open)
            loop_.remove_reader(sock_.fileno());
        else
            close();
    }

    void write_ready() {
        if (conn_lost_) return;
        const ssize_t n = ::send(sock_.fileno(), wbuf_.data() + whead_, wbuf_size(), MSG_NOSIGNAL);
        if (n < 0) {
            const int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) return;
            loop_.remove_writer(sock_.fileno());
            wbuf_.clear();
            whead_ = 0;
            fatal_error(os_error(err, "send"));
            return;
        }
        whead_ += static_cast<std::size_t>(n);
        if (whead_ == wbuf_.size()) {
            wbuf_.clear();
            whead_ = 0;
        }
        maybe_resume_protocol();  // may call close() or write() through the protocol
        if (wbuf_size() == 0 && !conn_lost_) {
            loop_.remove_writer(sock_.fileno());
            if (closing_) {
                ++conn_lost_;
                schedule_lost(nullptr);  // Python calls it at once; the queue keeps `this` valid in our caller
            } else if (eof_) {
                ::shutdown(sock_.fileno(), SHUT_WR);
            }
        }
    }

    void maybe_pause_protocol() {
        if (wbuf_size() <= high_ || protocol_paused_) return;
        protocol_paused_ = true;
        try {
            protocol_->pause_writing();
        } catch (...) {
            report_callback_exception();
        }
    }
    void maybe_resume_protocol() {
        if (!protocol_paused_ || wbuf_size() > low_) return;
        protocol_paused_ = false;
        try {
            protocol_->resume_writing();
        } catch (...) {
            report_callback_exception();
        }
    }

    /// Python's _fatal_error: an OS error closes quietly (Python logs it in
    /// debug mode only); anything else is reported first.
    void fatal_error(std::exception_ptr exc) {
        try {
            std::rethrow_exception(exc);
        } catch (const std::system_error&) {
        } catch (...) {
            report_callback_exception();
        }
        force_close(exc);
    }

    void force_close(std::exception_ptr exc) {
        if (conn_lost_) return;
        if (wbuf_size() != 0) {
            wbuf_.clear();
            whead_ = 0;
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

    /// Runs even when the loop is closing (run == false): the socket must be closed.
    static void lost_thunk(void* p, bool) { static_cast<SocketTransport*>(p)->call_connection_lost(); }

    /// Python's _call_connection_lost, then the end of this transport.
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
        protocol_.reset();
        if (owner_) owner_->detach(this);
        delete this;
    }

    static void on_loop_close(LoopResource* r) noexcept {
        auto* self = static_cast<SocketTransport*>(r);
        self->closing_ = true;
        ++self->conn_lost_;
        self->lost_exc_ = nullptr;
        self->call_connection_lost();
    }

    EventLoop& loop_;
    Socket sock_;
    std::unique_ptr<Protocol> protocol_;
    BufferedProtocol* buffered_ = nullptr;  // protocol_, when it reads without a copy
    std::optional<Future<void>> waiter_;    // create_connection's: done after connection_made
    std::shared_ptr<ConnectionOwner> owner_;
    std::optional<SocketAddress> sockname_;
    std::optional<SocketAddress> peername_;
    std::string wbuf_;         // bytes not sent yet start at whead_
    std::size_t whead_ = 0;
    std::size_t high_ = 64 * 1024;
    std::size_t low_ = 16 * 1024;
    std::exception_ptr lost_exc_;
    unsigned conn_lost_ = 0;
    bool closing_ = false;
    bool eof_ = false;
    bool paused_ = false;
    bool made_ = false;
    bool protocol_paused_ = false;
};

}  // namespace asyncio::detail
