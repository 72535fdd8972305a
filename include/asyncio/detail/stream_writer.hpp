// asyncio/detail/stream_writer.hpp - StreamWriter (Python's asyncio.StreamWriter)
// and the state a connection's protocol, readers and writers share. Include
// <asyncio/streams.hpp> instead.
#pragma once

#include <asyncio/detail/stream_reader.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/transports.hpp>

#include <any>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace asyncio {

class StreamWriter;

namespace detail {

/// What a connection's protocol, StreamReaders and StreamWriters share.
/// `transport` is null once connection_lost has run (the transport is gone).
struct StreamConn {
    StreamConn(EventLoop& loop, std::size_t limit) : reader(std::make_shared<ReaderCore>(limit)), closed(loop) {}

    /// Python's FlowControlMixin.resume_writing / connection_lost: wakes the drains.
    void wake_drains(std::exception_ptr exc) {
        for (Future<void>& w : drain_waiters) {
            if (w.done()) continue;
            if (exc)
                w.set_exception(exc);
            else
                w.set_result();
        }
    }

    std::shared_ptr<ReaderCore> reader;
    Transport* transport = nullptr;
    bool paused = false;           // the transport asked us to stop writing (pause_writing)
    bool connection_lost = false;  // connection_lost has run
    std::vector<Future<void>> drain_waiters;
    Future<void> closed;  // done at connection_lost (its exception, if any): wait_closed()
};

/// Held by every StreamReader / StreamWriter of a connection: when the last
/// one goes, the transport is closed (Python 3.13's StreamWriter.__del__).
struct StreamGuard {
    explicit StreamGuard(std::shared_ptr<StreamConn> c) noexcept : conn(std::move(c)) {}
    StreamGuard(const StreamGuard&) = delete;
    StreamGuard& operator=(const StreamGuard&) = delete;
    ~StreamGuard() {
        if (conn->transport && !conn->transport->is_closing()) {
            try {
                conn->transport->close();
            } catch (...) {
            }
        }
    }
    std::shared_ptr<StreamConn> conn;
};

/// Builds the handles (friend of StreamReader and StreamWriter).
struct StreamAccess {
    static std::pair<StreamReader, StreamWriter> make(const std::shared_ptr<StreamConn>& conn);
};

/// The callback start_server() calls for each connection, type-erased: it
/// returns the connection's task, or an empty Task if the callback returned void.
using ClientConnected = std::function<Task<void>(StreamReader, StreamWriter)>;

/// Python's StreamWriter.drain(): the reader's error first; a closing
/// transport gets one loop iteration for connection_lost to arrive; then
/// ConnectionResetError('Connection lost') once it is lost, or a wait for
/// resume_writing() while the transport has paused us. Cancelled, it leaves
/// the data queued in the transport.
inline Task<void> writer_drain(std::shared_ptr<StreamConn> c) {
    if (c->reader->exc) std::rethrow_exception(c->reader->exc);
    if (!c->transport || c->transport->is_closing()) co_await sleep(0);
    if (c->connection_lost)
        throw std::system_error(std::make_error_code(std::errc::connection_reset), "Connection lost");
    if (!c->paused) co_return;
    Future<void> w = get_running_loop().create_future<void>();
    c->drain_waiters.push_back(w);
    struct Remove {
        StreamConn* c;
        Future<void> w;
        ~Remove() { std::erase(c->drain_waiters, w); }
    } remove{c.get(), w};
    co_await remove.w;
}

inline Task<void> writer_wait_closed(std::shared_ptr<StreamConn> c) {
    Future<void> closed = c->closed;
    co_await closed;
}

}  // namespace detail

/// Python's asyncio.StreamWriter: writes to a connection, with drain() for
/// flow control. A cheap handle: copies share the connection. When close()
/// is called, or the last StreamReader / StreamWriter of the connection is
/// gone, the transport is closed (never leaked).
///
/// write() never waits: it sends what the socket takes and buffers the rest;
/// `co_await drain()` waits while the buffer is above the transport's
/// high-water mark (64 KiB) until it is down to the low one (16 KiB).
/// Once the connection is gone, write() does nothing, and drain() raises
/// the connection's error, or std::system_error(ECONNRESET) "Connection lost"
/// (Python's ConnectionResetError('Connection lost')).
///
/// For example:
///
///     auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", 8888);
///     writer.write("hello\n");
///     co_await writer.drain();
///     std::string line = co_await reader.readline();
///     writer.close();
///     co_await writer.wait_closed();
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared
/// objects: unsafe.
class StreamWriter {
public:
    void write(std::string_view data) {
        if (Transport* t = conn().transport) t->write(data);
    }
    template <class Range>
    void writelines(const Range& lines) {
        if (Transport* t = conn().transport) t->writelines(lines);
    }
    void write_eof() {
        if (Transport* t = conn().transport) t->write_eof();
    }
    bool can_write_eof() const noexcept { return conn().transport && conn().transport->can_write_eof(); }
    /// Closes the transport (what is buffered is still sent).
    void close() {
        if (Transport* t = conn().transport) t->close();
    }
    bool is_closing() const noexcept { return !conn().transport || conn().transport->is_closing(); }
    /// Waits until the connection is closed (rethrows the error it was lost with, if any).
    Task<void> wait_closed() { return detail::writer_wait_closed(g_->conn); }
    Task<void> drain() { return detail::writer_drain(g_->conn); }
    /// The transport's get_extra_info(); `default_value` once the connection is gone.
    std::any get_extra_info(std::string_view name, std::any default_value = {}) const {
        if (Transport* t = conn().transport) return t->get_extra_info(name, std::move(default_value));
        return default_value;
    }
    /// The transport; std::runtime_error once the connection is gone.
    Transport& transport() const {
        if (Transport* t = conn().transport) return *t;
        throw std::runtime_error("the connection is closed: its transport is gone");
    }

private:
    friend struct detail::StreamAccess;
    explicit StreamWriter(std::shared_ptr<detail::StreamGuard> g) noexcept : g_(std::move(g)) {}
    detail::StreamConn& conn() const noexcept { return *g_->conn; }

    std::shared_ptr<detail::StreamGuard> g_;
};

namespace detail {

inline std::pair<StreamReader, StreamWriter> StreamAccess::make(const std::shared_ptr<StreamConn>& conn) {
    auto guard = std::make_shared<StreamGuard>(conn);
    std::pair<StreamReader, StreamWriter> handles(StreamReader(conn->reader, guard), StreamWriter(guard));
    return handles;
}

}  // namespace detail

}  // namespace asyncio
