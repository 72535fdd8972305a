// asyncio/detail/stream_protocol.hpp - the protocol between a transport and a
// StreamReader / StreamWriter pair (Python's StreamReaderProtocol and its
// FlowControlMixin), and the state the pair shares. Include
// <asyncio/streams.hpp> instead.
#pragma once

#include <asyncio/detail/stream_reader.hpp>
#include <asyncio/detail/stream_writer.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/transports.hpp>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace asyncio {

namespace detail {

/// Python's StreamReaderProtocol (with FlowControlMixin): feeds the reader,
/// wakes drain(), and on the server side calls client_connected_cb.
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared
/// objects: unsafe.
class StreamReaderProtocol final : public Protocol {
public:
    StreamReaderProtocol(std::shared_ptr<StreamConn> conn, ClientConnected cb = nullptr)
        : conn_(std::move(conn)), cb_(std::move(cb)) {}

    const std::shared_ptr<StreamConn>& conn() const noexcept { return conn_; }

    void connection_made(Transport& transport) override {
        conn_->transport = &transport;
        conn_->reader->transport = &transport;
        if (!cb_) return;
        auto [reader, writer] = StreamAccess::make(conn_);
        ClientConnected cb = std::exchange(cb_, nullptr);
        Task<void> task = cb(std::move(reader), std::move(writer));
        if (!task) return;  // a plain function: done
        Task<void> running = transport_loop().create_task(std::move(task));
        // Python: a connection task that fails or is cancelled closes its transport.
        // The callback lives as long as its task: a lambda coroutine's captures stay valid.
        running.add_done_callback([conn = conn_, keep = std::move(cb)](const Task<void>& t) {
            bool failed = t.cancelled();
            if (!failed && t.exception()) {
                failed = true;
                try {
                    std::rethrow_exception(t.exception());
                } catch (...) {
                    report_callback_exception();
                }
            }
            if (failed && conn->transport) conn->transport->close();
            (void)keep;
        });
    }

    void data_received(std::string_view data) override { conn_->reader->feed_data(data); }

    /// Python: feed EOF to the reader and keep the transport open (the writer may go on).
    bool eof_received() override {
        conn_->reader->feed_eof();
        return true;
    }

    void pause_writing() override { conn_->paused = true; }
    void resume_writing() override {
        conn_->paused = false;
        conn_->wake_drains(nullptr);
    }

    void connection_lost(std::exception_ptr exc) override {
        StreamConn& c = *conn_;
        if (exc)
            c.reader->set_exception(exc);
        else
            c.reader->feed_eof();
        if (!c.closed.done()) {
            if (exc)
                c.closed.set_exception(exc);
            else
                c.closed.set_result();
        }
        c.connection_lost = true;
        if (c.paused) c.wake_drains(exc);
        c.reader->transport = nullptr;
        c.transport = nullptr;
    }

private:
    static EventLoop& transport_loop() { return get_running_loop(); }

    std::shared_ptr<StreamConn> conn_;
    ClientConnected cb_;
};

}  // namespace detail
}  // namespace asyncio
