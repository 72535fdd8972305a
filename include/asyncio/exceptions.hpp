// asyncio/exceptions.hpp - the exception types of Python's asyncio.exceptions
// and asyncio.queues, with the same names and the same hierarchy roles.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

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

/// Python's TimeoutError, raised by `wait_for` when the deadline passes.
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

}  // namespace asyncio
