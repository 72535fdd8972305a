// asyncio/detail/redis/errors.hpp - the exception types of asyncio::redis (<asyncio/redis.hpp>).
#pragma once

#include <stdexcept>
#include <string>

namespace asyncio::redis {

/// The server cannot be used: unreachable (refused, lost, unknown unix socket), a refused or
/// missing password, keys of the queue's name holding another type. what() carries the
/// server's own message when there is one (e.g. "WRONGPASS invalid username-password pair").
class ConnectionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An item's bytes could not be decoded by codec<T>::decode. The item was moved to the
/// queue's dead-letter list `{name}:dead` and counted as done for join().
class DecodeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace asyncio::redis

namespace asyncio::detail::redis {

/// A transport-level failure (refused, connection lost): retried by the queue's operations
/// until command_timeout; a ConnectionError for the user.
class LinkError : public asyncio::redis::ConnectionError {
public:
    using asyncio::redis::ConnectionError::ConnectionError;
};

}  // namespace asyncio::detail::redis
