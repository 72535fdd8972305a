// asyncio/transports.hpp - the transport interfaces (Python's asyncio.transports):
// Transport for streams (TCP, Unix sockets), DatagramTransport for UDP. The
// implementations live in detail/ (detail/selector_transport.hpp).
#pragma once

#include <asyncio/exceptions.hpp>

#include <any>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace asyncio {

struct SocketAddress;

/// Python's BaseTransport: what every transport can do.
///
/// get_extra_info(name) gives, as std::any: "peername" and "sockname" a
/// SocketAddress, "socket" the descriptor (int; the transport owns it: do not
/// close it). An unknown name gives `default_value` (empty by default).
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared
/// objects: unsafe.
class BaseTransport {
public:
    BaseTransport() = default;
    BaseTransport(const BaseTransport&) = delete;
    BaseTransport& operator=(const BaseTransport&) = delete;

    virtual std::any get_extra_info(std::string_view name, std::any default_value = {}) const = 0;
    /// True once close() or abort() was called (or the connection was lost).
    virtual bool is_closing() const noexcept = 0;
    /// Closes the transport: buffered data is still sent, then the protocol's
    /// connection_lost(nullptr) is called (from the loop, later). Idempotent.
    virtual void close() = 0;

protected:
    ~BaseTransport() = default;  // a transport deletes itself after connection_lost
};

/// Python's Transport (ReadTransport + WriteTransport): a byte stream.
///
/// The transport owns its protocol. A `Transport&` (or the pointer
/// create_connection returns) stays valid until the protocol's
/// connection_lost() has returned; after that, the transport and its
/// protocol are destroyed.
///
/// Flow control, as Python: write() never blocks; what the socket does not
/// take at once is buffered, and the protocol's pause_writing() is called
/// when the buffer grows above the high-water mark (64 KiB), resume_writing()
/// when it drains to the low-water mark (16 KiB) or below.
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared
/// objects: unsafe.
class Transport : public BaseTransport {
public:
    // ---- reading ----
    virtual bool is_reading() const noexcept = 0;
    /// Stops calling the protocol's data_received() until resume_reading().
    /// No effect if already paused or closing.
    virtual void pause_reading() = 0;
    virtual void resume_reading() = 0;

    // ---- writing ----
    /// Sends `data` (or buffers what the socket does not take). Throws
    /// std::runtime_error after write_eof(). Ignored once the connection is
    /// lost, as in Python.
    virtual void write(std::string_view data) = 0;
    /// Python's writelines(): writes each element of `lines` (strings or
    /// string_views), in order, as one write.
    template <class Range>
    void writelines(const Range& lines) {
        std::string joined;
        for (const auto& line : lines) joined.append(std::string_view(line));
        write(joined);
    }
    /// Half-closes: shuts the sending side down once the buffer is sent.
    virtual void write_eof() = 0;
    virtual bool can_write_eof() const noexcept = 0;
    /// Closes at once: buffered data is dropped; connection_lost(nullptr) follows.
    virtual void abort() = 0;
    virtual std::size_t get_write_buffer_size() const noexcept = 0;
    /// Python's set_write_buffer_limits(high=None, low=None): high defaults to
    /// 64 KiB (4 × low if only low is given), low to high / 4. ValueError
    /// unless high >= low.
    virtual void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                                         std::optional<std::size_t> low = std::nullopt) = 0;
    /// (low, high), as Python's get_write_buffer_limits().
    virtual std::pair<std::size_t, std::size_t> get_write_buffer_limits() const noexcept = 0;

protected:
    ~Transport() = default;
};

/// Python's DatagramTransport (UDP).
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared
/// objects: unsafe.
class DatagramTransport : public BaseTransport {
public:
    /// Sends one datagram to `address` (or to the connected remote address
    /// when null). Errors are reported to the protocol's error_received().
    virtual void sendto(std::string_view data, const SocketAddress* address = nullptr) = 0;
    virtual void abort() = 0;
    virtual std::size_t get_write_buffer_size() const noexcept = 0;

protected:
    ~DatagramTransport() = default;
};

namespace detail {

/// Python's _FlowControlMixin._set_write_buffer_limits: the (high, low) pair.
inline std::pair<std::size_t, std::size_t> write_buffer_limits(std::optional<std::size_t> high,
                                                               std::optional<std::size_t> low) {
    const std::size_t h = high ? *high : low ? 4 * *low : std::size_t{64 * 1024};
    const std::size_t l = low ? *low : h / 4;
    if (!(h >= l)) throw ValueError("high (" + std::to_string(h) + ") must be >= low (" + std::to_string(l) + ") must be >= 0");
    return {h, l};
}

}  // namespace detail

}  // namespace asyncio
