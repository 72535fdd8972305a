// asyncio/detail/stream_reader.hpp - StreamReader (Python's asyncio.StreamReader):
// the buffer a connection feeds and the read operations tasks await. Include
// <asyncio/streams.hpp> instead.
#pragma once

#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/transports.hpp>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncio {

namespace detail {

struct StreamAccess;

/// The state a StreamReader shares with its protocol (Python's StreamReader
/// attributes). `head` is where the unread bytes begin in `buf` (consuming
/// moves it; the consumed prefix is dropped once it is most of the string).
struct ReaderCore {
    explicit ReaderCore(std::size_t lim) : limit(lim) {
        if (lim == 0) throw ValueError("Limit cannot be <= 0");
    }

    std::size_t size() const noexcept { return buf.size() - head; }
    std::string_view view() const noexcept { return std::string_view(buf).substr(head); }
    void consume(std::size_t n) noexcept {
        head += n;
        if (head == buf.size()) {
            buf.clear();
            head = 0;
        }
    }
    std::string take(std::size_t n) {
        std::string out(view().substr(0, n));
        consume(out.size());
        return out;
    }
    void clear() noexcept {
        buf.clear();
        head = 0;
    }
    void append(std::string_view data) {
        if (head != 0 && head >= buf.size() / 2) {
            buf.erase(0, head);
            head = 0;
        }
        buf.append(data);
    }
    /// Puts bytes taken out back in front (a read cancelled half-way).
    void unread(std::string_view data) {
        buf.replace(0, head, data);
        head = 0;
    }

    /// Python's _wakeup_waiter.
    void wakeup_waiter() {
        if (std::optional<Future<void>> w = std::exchange(waiter, std::nullopt); w && !w->done()) w->set_result();
    }
    /// Python's _maybe_resume_transport.
    void maybe_resume_transport() {
        if (paused && size() <= limit) {
            paused = false;
            if (transport) transport->resume_reading();
        }
    }
    /// Python's _wait_for_data, up to the future it awaits.
    Future<void> prepare_wait(const char* func) {
        if (waiter)
            throw std::runtime_error(std::string(func) + "() called while another coroutine is already waiting for incoming data");
        if (paused) {
            paused = false;
            if (transport) transport->resume_reading();
        }
        Future<void> w = get_running_loop().create_future<void>();
        waiter = w;
        return w;
    }

    void feed_data(std::string_view data) {
        if (eof) throw std::logic_error("feed_data after feed_eof");
        if (data.empty()) return;
        append(data);
        wakeup_waiter();
        if (transport && !paused && size() > 2 * limit) {
            transport->pause_reading();
            paused = true;
        }
    }
    void feed_eof() {
        eof = true;
        wakeup_waiter();
    }
    void set_exception(std::exception_ptr e) {
        exc = e;
        if (std::optional<Future<void>> w = std::exchange(waiter, std::nullopt); w && !w->done()) w->set_exception(e);
    }

    std::string buf;
    std::size_t head = 0;
    std::size_t limit;
    bool eof = false;
    bool paused = false;                 // we paused the transport (buffer above 2 * limit)
    std::optional<Future<void>> waiter;  // the read waiting for data, if any
    std::exception_ptr exc;
    Transport* transport = nullptr;  // null: fed by hand, or the connection is gone
};

/// Forgets the waiter on every way out of a wait (Python's `finally:
/// self._waiter = None`), unless another read has put its own there since.
struct WaiterReset {
    ReaderCore* core;
    Future<void> waiter;
    ~WaiterReset() {
        if (core->waiter == waiter) core->waiter.reset();
    }
};

inline Task<std::string> reader_read(std::shared_ptr<ReaderCore> c, std::ptrdiff_t n) {
    if (c->exc) std::rethrow_exception(c->exc);
    if (n == 0) co_return std::string();
    if (n < 0) {
        // Python reads blocks of `limit` until EOF (so the transport keeps
        // reading); on cancellation or error, the blocks go back into the buffer.
        std::string all;
        try {
            for (;;) {
                if (c->exc) std::rethrow_exception(c->exc);
                if (c->size() == 0 && !c->eof) {
                    WaiterReset reset{c.get(), c->prepare_wait("read")};
                    co_await reset.waiter;
                }
                if (c->size() == 0) break;
                all += c->take(c->limit);
                c->maybe_resume_transport();
            }
        } catch (...) {
            c->unread(all);
            throw;
        }
        co_return all;
    }
    if (c->size() == 0 && !c->eof) {
                    WaiterReset reset{c.get(), c->prepare_wait("read")};
                    co_await reset.waiter;
                }
    std::string data = c->take(static_cast<std::size_t>(n));
    c->maybe_resume_transport();
    co_return data;
}

inline Task<std::string> reader_readexactly(std::shared_ptr<ReaderCore> c, std::size_t n) {
    if (c->exc) std::rethrow_exception(c->exc);
    if (n == 0) co_return std::string();
    while (c->size() < n) {
        if (c->eof) {
            std::string partial(c->view());
            c->clear();
            throw IncompleteReadError(std::move(partial), n);
        }
        {
                    WaiterReset reset{c.get(), c->prepare_wait("readexactly")};
                    co_await reset.waiter;
                }
    }
    std::string data = c->take(n);
    c->maybe_resume_transport();
    co_return data;
}

/// Python 3.13's readuntil, with a tuple of separators as `seps` (sorted by length).
inline Task<std::string> reader_readuntil(std::shared_ptr<ReaderCore> c, std::vector<std::string> seps) {
    if (seps.empty()) throw ValueError("Separator should contain at least one element");
    std::stable_sort(seps.begin(), seps.end(), [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
    const std::size_t min_seplen = seps.front().size();
    const std::size_t max_seplen = seps.back().size();
    if (min_seplen == 0) throw ValueError("Separator should be at least one-byte string");
    if (c->exc) std::rethrow_exception(c->exc);
    std::size_t offset = 0;
    std::size_t match_start = 0;
    std::size_t match_end = 0;
    for (;;) {
        const std::size_t buflen = c->size();
        if (buflen >= offset && buflen - offset >= min_seplen) {
            bool found = false;
            for (const std::string& sep : seps) {
                const std::size_t isep = c->view().find(sep, offset);
                if (isep != std::string_view::npos) {
                    const std::size_t end = isep + sep.size();
                    if (!found || end < match_end) {
                        found = true;
                        match_end = end;
                        match_start = isep;
                    }
                }
            }
            if (found) break;
            offset = buflen + 1 > max_seplen ? buflen + 1 - max_seplen : 0;
            if (offset > c->limit) throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
        }
        if (c->eof) {
            std::string chunk(c->view());
            c->clear();
            throw IncompleteReadError(std::move(chunk), std::nullopt);
        }
        {
                    WaiterReset reset{c.get(), c->prepare_wait("readuntil")};
                    co_await reset.waiter;
                }
    }
    if (match_start > c->limit) throw LimitOverrunError("Separator is found, but chunk is longer than limit", match_start);
    std::string chunk = c->take(match_end);
    c->maybe_resume_transport();
    co_return chunk;
}

inline Task<std::string> reader_readline(std::shared_ptr<ReaderCore> c) {
    std::vector<std::string> seps{"\n"};
    std::string line;
    try {
        line = co_await reader_readuntil(c, std::move(seps));
    } catch (IncompleteReadError& e) {
        line = std::move(e.partial);
    } catch (const LimitOverrunError& e) {
        const std::string_view rest = c->view();
        if (e.consumed < rest.size() && rest[e.consumed] == '\n')
            c->consume(e.consumed + 1);
        else
            c->clear();
        c->maybe_resume_transport();
        throw ValueError(e.what());
    }
    co_return line;
}

}  // namespace detail

/// Python's asyncio.StreamReader: the bytes received on a connection, read by
/// tasks. A cheap handle: copies share the same stream (and keep its
/// connection open; see StreamWriter).
///
/// Each read is a Task to co_await; one read at a time may wait for data (a
/// second one raises std::runtime_error, as Python). A read that is cancelled
/// while it waits consumes nothing: the next read gets every byte (read(-1)
/// puts back the blocks it had gathered).
///
/// `limit` bounds what readline()/readuntil() may return (LimitOverrunError,
/// or ValueError for readline, as Python) and drives flow control: reading
/// from the transport pauses above 2 × limit buffered bytes and resumes at
/// limit or below.
///
/// For example, a reader fed by hand (as Python's tests do):
///
///     asyncio::StreamReader r;
///     r.feed_data("line1\nline2");
///     r.feed_eof();
///     co_await r.readline();  // "line1\n"
///     co_await r.read();      // "line2"
///
/// Thread safety: the loop's thread only. Distinct objects: safe. Shared
/// objects: unsafe.
class StreamReader {
public:
    /// ValueError("Limit cannot be <= 0") for 0.
    explicit StreamReader(std::size_t limit = 65536) : c_(std::make_shared<detail::ReaderCore>(limit)) {}

    /// Up to `n` bytes as soon as one is there; n < 0: everything up to EOF.
    /// "" at EOF.
    Task<std::string> read(std::ptrdiff_t n = -1) { return detail::reader_read(c_, n); }
    /// A line with its "\n"; the partial line at EOF; ValueError past the limit.
    Task<std::string> readline() { return detail::reader_readline(c_); }
    /// Exactly `n` bytes, or IncompleteReadError at EOF.
    Task<std::string> readexactly(std::size_t n) { return detail::reader_readexactly(c_, n); }
    /// Up to and including `separator`.
    Task<std::string> readuntil(std::string_view separator = "\n") {
        std::vector<std::string> seps{std::string(separator)};
        return detail::reader_readuntil(c_, std::move(seps));
    }
    /// Python's readuntil((sep1, sep2, ...)): the shortest chunk ending with any of them.
    Task<std::string> readuntil(std::vector<std::string> separators) {
        return detail::reader_readuntil(c_, std::move(separators));
    }

    /// True once EOF was fed and the buffer is empty.
    bool at_eof() const noexcept { return c_->eof && c_->size() == 0; }
    std::exception_ptr exception() const noexcept { return c_->exc; }

    void feed_data(std::string_view data) { c_->feed_data(data); }
    void feed_eof() { c_->feed_eof(); }
    void set_exception(std::exception_ptr exc) { c_->set_exception(std::move(exc)); }

    /// Bytes buffered and not read yet (Python's len(reader._buffer)).
    std::size_t buffered() const noexcept { return c_->size(); }
    std::size_t limit() const noexcept { return c_->limit; }

    /// Shared state (for the protocol and the tests).
    const std::shared_ptr<detail::ReaderCore>& core() const noexcept { return c_; }

private:
    friend struct detail::StreamAccess;
    StreamReader(std::shared_ptr<detail::ReaderCore> c, std::shared_ptr<void> keep) noexcept
        : c_(std::move(c)), keep_(std::move(keep)) {}

    std::shared_ptr<detail::ReaderCore> c_;
    std::shared_ptr<void> keep_;  // a connection's: the last handle to go closes it (streams.hpp)
};

}  // namespace asyncio
