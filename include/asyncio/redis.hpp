// asyncio/redis.hpp - asyncio::redis::Queue<T>: Python's asyncio.Queue with its state in a Redis
// server (7.0+), shared by every process that connects to the same server, db and name.
// Target asyncio::redis (CMake), which links hiredis (0.14+) and, when found, nlohmann_json.
//
//     auto q = co_await asyncio::redis::Queue<std::string>::connect("redis://127.0.0.1:6379", "jobs", 100);
//     co_await q.put("job 1");
//     std::string job = co_await q.get();   // leased to this handle
//     co_await q.task_done();               // acknowledged: never delivered again
//     co_await q.join();                    // every item put (by any process) acknowledged
//
// Semantics (as asyncio.Queue wherever network timing allows):
// - qsize() counts the items waiting to be got; an item got and not yet acknowledged is not in
//   it; full() is qsize() >= maxsize; put() waits while full; join() waits until every item
//   put has been acknowledged by task_done().
// - At least once: get() leases the item to this handle for options.visibility_timeout; an
//   item not acknowledged in time (its consumer died, or is slow) is delivered again, first in
//   line. task_done() acknowledges the oldest item the calling task got (else the oldest this
//   handle holds); ValueError("task_done() called too many times") when it holds none.
// - A put is idempotent: its unique id is checked on the server, so a put retried after a lost
//   connection is not put twice. A put that raised TimeoutError may or may not have been put.
// - A get() cancelled before it returned loses no item: an item leased to it goes back to the
//   head of the queue at once (after its lease expires if the connection died meanwhile).
// - shutdown(immediate) as Python 3.13's, for every handle, until destroy().
// - A get() keeps waiting (reconnecting) while the server is unreachable; the other operations
//   raise TimeoutError once options.command_timeout has passed.
// - An item that fails to decode raises DecodeError; it is moved to the dead-letter list
//   `{name}:dead` (its bytes) and counted as done for join().
// - SIGPIPE: set to SIG_IGN at the first connection when its disposition is SIG_DFL (as
//   CPython does at start-up).
// - No TLS yet (rediss:// raises ValueError).
#pragma once

#include <asyncio/detail/redis/codec.hpp>
#include <asyncio/detail/redis/connection.hpp>
#include <asyncio/detail/redis/errors.hpp>
#include <asyncio/detail/redis/queue_core.hpp>
#include <asyncio/detail/redis/url.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/tasks.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace asyncio::redis {

/// A handle on the queue `name` of a Redis server. Movable, not copyable; one handle may serve
/// many tasks of its loop. Its destructor closes its connections without waiting (operations
/// still running on it must be finished or cancelled first).
template <class T>
class Queue {
public:
    using value_type = T;

    /// Connects to `url` (redis://[[user]:password@]host[:port][/db] or
    /// unix:///path[?db=N]) and opens queue `name` (keys `{name}:...`). `maxsize` <= 0: no
    /// bound. Raises ValueError (malformed url or options; a maxsize other than the queue's),
    /// ConnectionError (unreachable, password refused or missing, keys of another type),
    /// TimeoutError (no answer within connect_timeout / command_timeout).
    static Task<Queue> connect(std::string url, std::string name, std::ptrdiff_t maxsize = 0, Options options = {}) {
        check_options(name, options);
        detail::redis::Endpoint ep = detail::redis::parse_url(url);
        auto core = std::make_unique<detail::redis::QueueCore>(get_running_loop(), std::move(ep), std::move(name),
                                                               maxsize, options);
        co_await detail::redis::QueueCore::init(core.get());
        co_return Queue(std::move(core));
    }

    /// Deletes the keys of queue `name` (items, leases, counts, shutdown flag, dead letters).
    static Task<> destroy(std::string url, std::string name) {
        Options options;
        check_options(name, options);
        detail::redis::Endpoint ep = detail::redis::parse_url(url);
        co_await detail::redis::QueueCore::destroy(std::move(ep), std::move(name), options);
    }

    Queue(Queue&&) noexcept = default;
    Queue& operator=(Queue&&) noexcept = default;
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;
    ~Queue() = default;

    /// The bound given to connect() (local).
    std::ptrdiff_t maxsize() const noexcept { return core_ ? core_->maxsize() : 0; }
    /// The queue's name; its dead-letter list is the list `{name}:dead`.
    const std::string& name() const { return core().name(); }
    std::string dead_letter_key() const { return "{" + core().name() + "}:dead"; }

    /// Puts `item` at the tail; waits while the queue is full. QueueShutDown once shut down.
    Task<> put(T item) {
        std::vector<detail::redis::Item> items(1);
        items[0].id = detail::redis::new_put_id();
        items[0].payload = codec<T>::encode(item);
        return put_items(&core(), std::move(items), false);
    }
    /// QueueFull instead of waiting.
    Task<> put_nowait(T item) {
        std::vector<detail::redis::Item> items(1);
        items[0].id = detail::redis::new_put_id();
        items[0].payload = codec<T>::encode(item);
        return put_items(&core(), std::move(items), true);
    }
    /// Puts `items` in order (batched round trips), each waiting as put() does while full. A
    /// shutdown part-way raises QueueShutDown after a prefix was put.
    Task<> put_many(const std::vector<T>& items) {
        std::vector<detail::redis::Item> encoded(items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            encoded[i].id = detail::redis::new_put_id();
            encoded[i].payload = codec<T>::encode(items[i]);
        }
        return put_items(&core(), std::move(encoded), false);
    }

    /// Removes and returns the head item, leased to this handle; waits for one. QueueShutDown
    /// once shut down and empty. DecodeError for an item codec<T> cannot decode.
    Task<T> get() { return get_one(&core(), false); }
    /// QueueEmpty instead of waiting.
    Task<T> get_nowait() { return get_one(&core(), true); }
    /// 1..max items (waits like get() for the first).
    Task<std::vector<T>> get_many(std::size_t max) { return get_some(&core(), max); }

    /// Acknowledges an item got (see above); ValueError when this handle holds none.
    Task<> task_done() { return detail::redis::QueueCore::task_done(&core()); }
    /// Waits until every item put has been acknowledged.
    Task<> join() { return detail::redis::QueueCore::join(&core()); }

    /// The number of items waiting to be got (not those leased).
    Task<std::size_t> qsize() { return detail::redis::QueueCore::qsize(&core()); }
    Task<bool> empty() { return is_empty(&core()); }
    Task<bool> full() { return is_full(&core()); }

    /// Python 3.13's shutdown(immediate), for every handle of the queue until destroy().
    Task<> shutdown(bool immediate = false) { return detail::redis::QueueCore::shutdown(&core(), immediate); }

    /// Waits for this handle's operations in flight, then closes its connections; any later
    /// call raises std::runtime_error.
    Task<> close() { return detail::redis::QueueCore::close(&core()); }

private:
    explicit Queue(std::unique_ptr<detail::redis::QueueCore> core) noexcept : core_(std::move(core)) {}

    detail::redis::QueueCore& core() const {
        if (!core_) throw std::runtime_error("asyncio::redis::Queue: a moved-from handle");
        return *core_;
    }

    static void check_options(const std::string& name, const Options& o) {
        if (name.empty()) throw ValueError("asyncio::redis::Queue: the name is empty");
        if (!(o.visibility_timeout > 0) || !(o.connect_timeout > 0) || !(o.command_timeout > 0))
            throw ValueError("asyncio::redis::Queue: visibility_timeout, connect_timeout and command_timeout must be > 0");
        if (!(o.retry.initial_delay >= 0) || !(o.retry.max_delay >= o.retry.initial_delay))
            throw ValueError("asyncio::redis::Queue: bad retry policy");
    }

    static Task<> put_items(detail::redis::QueueCore* c, std::vector<detail::redis::Item> items, bool nowait) {
        co_await detail::redis::QueueCore::put(c, std::move(items), nowait);
    }

    /// Decodes `item`; a failure dead-letters it and raises DecodeError.
    static Task<T> decode(detail::redis::QueueCore* c, detail::redis::Item item) {
        std::optional<T> value;
        std::string error;
        try {
            value.emplace(codec<T>::decode(item.payload));
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (!value) {
            co_await detail::redis::QueueCore::dead_letter(c, std::move(item));
            throw DecodeError("asyncio::redis::Queue '" + c->name() + "': an item failed to decode (moved to {" +
                              c->name() + "}:dead): " + error);
        }
        co_return std::move(*value);
    }

    static Task<T> get_one(detail::redis::QueueCore* c, bool nowait) {
        std::vector<detail::redis::Item> items = co_await detail::redis::QueueCore::get(c, 1, nowait);
        detail::redis::Item first = std::move(items.at(0));  // named first (g++ 12, docs/GCC12.md)
        T value = co_await decode(c, std::move(first));
        co_return value;
    }

    static Task<std::vector<T>> get_some(detail::redis::QueueCore* c, std::size_t max) {
        std::vector<detail::redis::Item> items = co_await detail::redis::QueueCore::get(c, max, false);
        std::vector<T> out;
        out.reserve(items.size());
        std::vector<std::string> good;
        std::vector<detail::redis::Item> bad;
        std::string error;
        for (detail::redis::Item& item : items) {
            try {
                out.push_back(codec<T>::decode(item.payload));
                good.push_back(item.id);
            } catch (const std::exception& e) {
                if (error.empty()) error = e.what();
                bad.push_back(std::move(item));
            }
        }
        if (bad.empty()) co_return out;
        for (detail::redis::Item& item : bad) co_await detail::redis::QueueCore::dead_letter(c, std::move(item));
        // The items that did decode go back to the head: the caller gets the error, not them.
        co_await detail::redis::QueueCore::release(c, std::move(good));
        throw DecodeError("asyncio::redis::Queue '" + c->name() + "': " + std::to_string(bad.size()) +
                          " item(s) failed to decode (moved to {" + c->name() + "}:dead): " + error);
    }

    static Task<bool> is_empty(detail::redis::QueueCore* c) {
        const std::size_t n = co_await detail::redis::QueueCore::qsize(c);
        co_return n == 0;
    }
    static Task<bool> is_full(detail::redis::QueueCore* c) {
        const std::size_t n = co_await detail::redis::QueueCore::qsize(c);
        co_return c->maxsize() > 0 && n >= static_cast<std::size_t>(c->maxsize());
    }

    std::unique_ptr<detail::redis::QueueCore> core_;
};

}  // namespace asyncio::redis
