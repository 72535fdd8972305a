// asyncio/protocols.hpp - the protocol interfaces (Python's asyncio.protocols):
// what a transport calls when a connection is made, data arrives, the peer
// ends the stream, the connection is lost, or the write buffer fills up.
#pragma once

#include <asyncio/transports.hpp>

#include <cstddef>
#include <cstring>
#include <exception>
#include <span>
#include <stdexcept>
#include <string_view>

namespace asyncio {

struct SocketAddress;

/// Python's BaseProtocol: the callbacks every transport makes.
///
/// Ordering, as Python: connection_made() first, connection_lost() last and
/// exactly once; pause_writing() and resume_writing() alternate, starting
/// with pause_writing(). Every callback runs on the loop's thread, from the
/// loop (never inside the call that caused it, e.g. close()).
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared
/// objects: unsafe.
class BaseProtocol {
public:
    virtual ~BaseProtocol() = default;
    /// The connection is gone: `exc` is null on a clean close (or EOF), else
    /// the error (a std::system_error). The transport is destroyed right
    /// after this returns, and this protocol with it.
    virtual void connection_lost(std::exception_ptr exc) { (void)exc; }
    /// The transport's write buffer went above its high-water mark.
    virtual void pause_writing() {}
    /// ... and back to its low-water mark or below.
    virtual void resume_writing() {}
};

/// Python's Protocol: a byte stream's callbacks.
class Protocol : public BaseProtocol {
public:
    /// The transport stays valid until connection_lost() has returned.
    virtual void connection_made(Transport& transport) { (void)transport; }
    /// Some bytes arrived (a view valid during the call only: copy what you keep).
    virtual void data_received(std::string_view data) { (void)data; }
    /// The peer ended its side (EOF). Return false (the default) to let the
    /// transport close itself; true to keep it open (to go on writing).
    virtual bool eof_received() { return false; }
};

/// Python's BufferedProtocol: the transport reads straight into a buffer the
/// protocol gives (get_buffer), then says how much it wrote (buffer_updated).
/// A Protocol so that it can be used everywhere a Protocol can.
class BufferedProtocol : public Protocol {
public:
    /// A buffer to read into; `sizehint` is a hint (Python's), and an empty
    /// span is an error (the connection is closed with std::runtime_error).
    virtual std::span<std::byte> get_buffer(std::size_t sizehint) = 0;
    /// `nbytes` bytes were written at the start of the last get_buffer().
    virtual void buffer_updated(std::size_t nbytes) = 0;

    /// Copies into get_buffer(): the path used when the transport has the bytes already.
    void data_received(std::string_view data) final {
        while (!data.empty()) {
            std::span<std::byte> buf = get_buffer(data.size());
            if (buf.empty()) throw std::runtime_error("get_buffer() returned an empty buffer");
            const std::size_t n = buf.size() < data.size() ? buf.size() : data.size();
            std::memcpy(buf.data(), data.data(), n);
            buffer_updated(n);
            data.remove_prefix(n);
        }
    }
};

/// Python's DatagramProtocol (UDP).
class DatagramProtocol : public BaseProtocol {
public:
    virtual void connection_made(DatagramTransport& transport) { (void)transport; }
    /// One datagram arrived from `addr` (a view valid during the call only).
    virtual void datagram_received(std::string_view data, const SocketAddress& addr) {
        (void)data;
        (void)addr;
    }
    /// A send or receive failed (e.g. ECONNREFUSED, an ICMP error on a connected socket).
    virtual void error_received(std::exception_ptr exc) { (void)exc; }
};

}  // namespace asyncio
