// asyncio/exceptions.hpp - the exception types of Python's asyncio.exceptions
// and asyncio.queues, with the same names and the same hierarchy roles.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace asyncio {

/// Raised inside a task at its current `co_await` when the task is cancelled.
///
/// Deliberately NOT derived from `std::exception`: Python made CancelledError a
/// BaseException so that `except Exception:` does not swallow cancellation, and
/// likewise `catch (const std::exception&)` must not swallow it here. Catch it
/// by name (or with `catch (...)`) and rethrow unless you really mean to
/// suppress the cancellation.
class CancelledError {
public:
    CancelledError() = default;
    explicit CancelledError(std::string msg) : msg_(std::move(msg)) {}
    /// The message given to `cancel()`, or "" (Python's `str(exc)`).
    const char* what() const noexcept { return msg_.c_str(); }

private:
    std::string msg_;
};

/// Raised by asyncio::run() when a SIGINT (Ctrl-C) cancelled the main task
/// and the task ended cancelled (Python's KeyboardInterrupt). Like
/// CancelledError, not a std::exception, so `catch (const std::exception&)`
/// does not swallow it.
class KeyboardInterrupt {
public:
    const char* what() const noexcept { return "KeyboardInterrupt"; }
};

/// Python's TimeoutError, raised when a deadline passes: by `wait_for`,
/// `timeout` / `timeout_at` / `Timeout::run` and `as_completed`.
class TimeoutError : public std::runtime_error {
public:
    TimeoutError() : std::runtime_error("timed out") {}
    using std::runtime_error::runtime_error;
};

/// Python's asyncio.InvalidStateError, e.g. `result()` of a task not done yet.
class InvalidStateError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

/// Python's ValueError, e.g. `task_done() called too many times`.
class ValueError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Raised by `get_nowait()` on an empty queue.
class QueueEmpty : public std::runtime_error {
public:
    QueueEmpty() : std::runtime_error("queue is empty") {}
    using std::runtime_error::runtime_error;
};

/// Raised by `put_nowait()` on a full queue.
class QueueFull : public std::runtime_error {
public:
    QueueFull() : std::runtime_error("queue is full") {}
    using std::runtime_error::runtime_error;
};

/// Raised by puts on a shut-down queue, and by gets on one that is also empty
/// (Python 3.13).
class QueueShutDown : public std::runtime_error {
public:
    QueueShutDown() : std::runtime_error("queue is shut down") {}
    using std::runtime_error::runtime_error;
};

/// Python's asyncio.BrokenBarrierError: raised by Barrier::wait() when the
/// barrier is aborted or reset (Python: a RuntimeError).
class BrokenBarrierError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Python's ExceptionGroup, as a TaskGroup raises it: the failures of its
/// tasks (and of its body), in the order they happened. Derived from
/// std::exception, as Python's ExceptionGroup is an Exception. what() is
/// Python's str(eg): "<message> (N sub-exceptions)" ("1 sub-exception").
class ExceptionGroup : public std::exception {
public:
    /// An empty list raises ValueError, as Python.
    ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions)
        : message_(std::move(message)), exceptions_(std::move(exceptions)) {
        if (exceptions_.empty()) throw ValueError("second argument (exceptions) must be a non-empty sequence");
        what_ = message_ + " (" + std::to_string(exceptions_.size()) +
                (exceptions_.size() == 1 ? " sub-exception)" : " sub-exceptions)");
    }
    const char* what() const noexcept override { return what_.c_str(); }
    /// Python's eg.message.
    const std::string& message() const noexcept { return message_; }
    /// Python's eg.exceptions.
    const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

private:
    std::string message_;
    std::vector<std::exception_ptr> exceptions_;
    std::string what_;
};

}  // namespace asyncio

// ---- streams (Python's asyncio.exceptions.IncompleteReadError / LimitOverrunError) ----------
#include <cstddef>
#include <optional>

namespace asyncio {

/// Python's asyncio.IncompleteReadError: the stream ended before a read got
/// what it needed (readexactly, readuntil). `partial` is what it did read
/// (taken out of the stream); `expected` the number of bytes asked for, or
/// nullopt when unknown (readuntil). what(): "3 bytes read on a total of 5
/// expected bytes" ("... of undefined expected bytes").
class IncompleteReadError : public std::runtime_error {
public:
    IncompleteReadError(std::string partial_bytes, std::optional<std::size_t> expected_bytes)
        : std::runtime_error(std::to_string(partial_bytes.size()) + " bytes read on a total of " +
                             (expected_bytes ? std::to_string(*expected_bytes) : std::string("undefined")) +
                             " expected bytes"),
          partial(std::move(partial_bytes)),
          expected(expected_bytes) {}

    std::string partial;
    std::optional<std::size_t> expected;
};

/// Python's asyncio.LimitOverrunError: readuntil() reached the reader's limit
/// before (or when) it found the separator. The data stays in the stream;
/// `consumed` is how many bytes are to be consumed (Python's meaning).
class LimitOverrunError : public std::runtime_error {
public:
    LimitOverrunError(const std::string& message, std::size_t consumed_bytes)
        : std::runtime_error(message), consumed(consumed_bytes) {}

    std::size_t consumed;
};

}  // namespace asyncio
