// asyncio/detail/redis/queue_core.hpp - the byte-level half of asyncio::redis::Queue<T>: the
// connections, the calls of the server-side functions (scripts.hpp) with their retry policy,
// the waits for a change, the items this handle holds. Queue<T> (<asyncio/redis.hpp>) adds the
// codec.
#pragma once

#include <asyncio/detail/promise.hpp>
#include <asyncio/detail/redis/connection.hpp>
#include <asyncio/detail/redis/errors.hpp>
#include <asyncio/detail/redis/scripts.hpp>
#include <asyncio/detail/redis/url.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/tasks.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace asyncio::redis {

/// How operations ride over a lost connection. A lost (or refused) connection is retried,
/// pausing initial_delay, then twice as long each time up to max_delay: get() for as long as
/// it takes, the other operations until command_timeout has passed since they started (then
/// TimeoutError), connect() for connect_attempts attempts (then ConnectionError).
struct RetryPolicy {
    double initial_delay = 0.02;
    double max_delay = 1.0;
    int connect_attempts = 1;
};

/// A handle's settings (seconds).
struct Options {
    /// How long an item got and not acknowledged stays leased to this handle before it is
    /// delivered again (to any consumer).
    double visibility_timeout = 30.0;
    /// Bound on establishing a connection (TCP or unix connect, AUTH, SELECT).
    double connect_timeout = 5.0;
    /// Bound on each round trip; a server that does not answer in time makes the operation
    /// raise TimeoutError (get() keeps waiting, reconnecting).
    double command_timeout = 10.0;
    RetryPolicy retry{};
};

}  // namespace asyncio::redis

namespace asyncio::detail::redis {

/// Test hook: the next `lose_put_replies` replies to a put are dropped together with the
/// connection, as if it died after the server applied the put (tests of idempotent puts).
inline thread_local int lose_put_replies = 0;

/// A unique id per put (128 random bits, hex).
inline std::string new_put_id() {
    thread_local std::mt19937_64 gen = [] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }();
    static constexpr char hex[] = "0123456789abcdef";
    std::string id(32, '0');
    for (int half = 0; half < 2; ++half) {
        std::uint64_t v = gen();
        for (int i = 0; i < 16; ++i) {
            id[static_cast<std::size_t>(half * 16 + i)] = hex[v & 15];
            v >>= 4;
        }
    }
    return id;
}

struct Item {
    std::string id;
    std::string payload;
};

enum class CallMode { deadline, forever, attempts };

class QueueCore {
public:
    QueueCore(EventLoop& loop, Endpoint ep, std::string name, std::ptrdiff_t maxsize, asyncio::redis::Options options)
        : loop_(&loop),
          name_(std::move(name)),
          maxsize_(maxsize),
          opt_(options),
          main_(loop, ep),
          blocking_(loop, std::move(ep)) {
        static constexpr const char* suffixes[7] = {"items", "data", "leases", "meta", "dead", "ids", "events"};
        for (std::size_t i = 0; i < 7; ++i) keys_[i] = "{" + name_ + "}:" + suffixes[i];
    }
    QueueCore(const QueueCore&) = delete;
    QueueCore& operator=(const QueueCore&) = delete;

    const std::string& name() const noexcept { return name_; }
    std::ptrdiff_t maxsize() const noexcept { return maxsize_; }
    const std::array<std::string, 7>& keys() const noexcept { return keys_; }
    const asyncio::redis::Options& options() const noexcept { return opt_; }
    EventLoop& loop() const noexcept { return *loop_; }

    /// Counts an operation in flight (close() waits for them).
    class OpGuard {
    public:
        explicit OpGuard(QueueCore* c) : c_(c) {
            c_->check_open();
            ++c_->ops_;
        }
        OpGuard(const OpGuard&) = delete;
        OpGuard& operator=(const OpGuard&) = delete;
        ~OpGuard() {
            if (--c_->ops_ == 0) c_->wake_closers();
        }

    private:
        QueueCore* c_;
    };

    void check_open() const {
        if (closed_) throw std::runtime_error("asyncio::redis::Queue '" + name_ + "': the handle is closed");
    }

    /// FCALL `function` with the queue's keys and `argv`.
    std::vector<std::string> fcall(std::string_view function, std::vector<std::string> argv) const {
        std::vector<std::string> cmd;
        cmd.reserve(3 + keys_.size() + argv.size());
        cmd.emplace_back("FCALL");
        cmd.emplace_back(function);
        cmd.emplace_back("7");
        for (const std::string& k : keys_) cmd.push_back(k);
        for (std::string& a : argv) cmd.push_back(std::move(a));
        return cmd;
    }

    static std::string lease_ms(double seconds) {
        return std::to_string(std::max<long long>(1, static_cast<long long>(seconds * 1000.0)));
    }
    std::string maxsize_arg() const { return std::to_string(maxsize_ > 0 ? maxsize_ : 0); }

    // ---- the round trip, with the retry policy ----

    static Task<void> load_library(QueueCore* c) {
        std::vector<std::string> cmd{"FUNCTION", "LOAD", std::string(library_code)};
        Future<Reply> f = c->main_.send(cmd, c->opt_.command_timeout);
        Reply r = co_await f;
        if (r.is_error() && r.str.find("already exists") == std::string::npos)
            throw asyncio::redis::ConnectionError("redis " + c->main_.endpoint().where() + ": FUNCTION LOAD: " + r.str);
        c->loaded_generation_ = c->main_.generation();
    }

    /// Sends `cmd` on the main connection and returns its reply; raises the server's error
    /// replies (ValueError for a maxsize mismatch, ConnectionError otherwise). `orphan` gets a
    /// reply that arrives after the caller was cancelled.
    static Task<Reply> call(QueueCore* c, std::vector<std::string> cmd, CallMode mode, Connection::Orphan orphan = {}) {
        const double deadline = c->loop_->time() + c->opt_.command_timeout;
        double delay = c->opt_.retry.initial_delay;
        int attempts = 0;
        int reloads = 0;
        const bool is_put = cmd.size() > 1 && cmd[1] == "aq1_put";
        for (;;) {
            if (c->closed_ && !c->closing_calls_) c->check_open();
            std::string link_error;
            bool reload = false;
            bool lost = false;
            try {
                co_await c->main_.ensure(c->opt_.connect_timeout);
                if (c->loaded_generation_ != c->main_.generation()) co_await load_library(c);
                Future<Reply> f = c->main_.send(cmd, c->opt_.command_timeout, orphan);
                Reply r;
                try {
                    r = co_await f;
                } catch (const CancelledError&) {
                    if (orphan && f.done() && !f.cancelled() && !f.exception()) {
                        Reply late = f.result();
                        orphan(late);
                    }
                    throw;
                }
                if (r.is_error()) {
                    if (r.str.starts_with("ERR Function not found") || r.str.starts_with("NOSCRIPT")) {
                        c->loaded_generation_ = 0;
                        reload = true;
                    } else if (r.str.starts_with("ASYNCIO_MAXSIZE ")) {
                        throw ValueError("asyncio::redis::Queue '" + c->name_ + "': " + r.str.substr(16));
                    } else {
                        throw asyncio::redis::ConnectionError("redis " + c->main_.endpoint().where() + ": " + r.str);
                    }
                } else if (is_put && lose_put_replies > 0) {
                    --lose_put_replies;
                    c->main_.drop("test: the put's reply was lost");
                    lost = true;
                    link_error = "the put's reply was lost";
                } else {
                    co_return r;
                }
            } catch (const LinkError& e) {
                lost = true;
                link_error = e.what();
            } catch (const TimeoutError& e) {
                if (mode != CallMode::forever) throw;
                lost = true;
                link_error = e.what();
            }
            if (reload) {
                if (++reloads > 3) throw asyncio::redis::ConnectionError("redis: the queue's functions do not load");
                continue;
            }
            if (!lost) continue;
            ++attempts;
            if (mode == CallMode::attempts && attempts >= std::max(1, c->opt_.retry.connect_attempts))
                throw LinkError(link_error);
            if (mode == CallMode::deadline && c->loop_->time() + delay >= deadline)
                throw TimeoutError("redis: no answer within command_timeout (" + link_error + ")");
            co_await asyncio::sleep(delay);
            delay = std::min(delay * 2, c->opt_.retry.max_delay);
        }
    }

    /// Waits until the queue changed after event `last_id`, or `deadline_ms` (the next lease
    /// deadline, -1: none) passed; on the blocking connection. Returns early (after a short
    /// pause) when that connection fails: the caller looks at the queue again.
    static Task<void> wait_change(QueueCore* c, std::string last_id, long long deadline_ms) {
        long long block = deadline_ms < 0 ? 2000 : std::clamp<long long>(deadline_ms + 2, 1, 2000);
        bool failed = false;
        try {
            co_await c->blocking_.ensure(c->opt_.connect_timeout);
            std::vector<std::string> cmd{"XREAD", "BLOCK", std::to_string(block), "STREAMS", c->keys_[6], last_id};
            Future<Reply> f = c->blocking_.send(cmd, static_cast<double>(block) / 1000.0 + c->opt_.command_timeout);
            Reply r = co_await f;
            if (r.is_error())
                throw asyncio::redis::ConnectionError("redis " + c->blocking_.endpoint().where() + ": " + r.str);
        } catch (const LinkError&) {
            failed = true;
        } catch (const TimeoutError&) {
            failed = true;
        } catch (const CancelledError&) {
            // its XREAD would hold up the next waiter: a new connection serves them
            c->blocking_.drop("a waiting operation was cancelled");
            throw;
        }
        if (failed) co_await asyncio::sleep(c->opt_.retry.initial_delay);
    }

    // ---- the operations, on bytes ----

    /// aq1_init: checks the keys' types and the maxsize.
    static Task<void> init(QueueCore* c) {
        std::vector<std::string> argv{c->maxsize_arg()};
        std::vector<std::string> cmd = c->fcall("aq1_init", std::move(argv));
        co_await call(c, std::move(cmd), CallMode::attempts);
    }

    /// Puts `items` in order; waits while full (nowait: QueueFull). QueueShutDown after a
    /// prefix was put when the queue is shut down part-way. Returns the number put.
    static Task<std::size_t> put(QueueCore* c, std::vector<Item> items, bool nowait) {
        OpGuard guard(c);
        constexpr std::size_t chunk = 256;
        std::size_t done = 0;
        while (done < items.size()) {
            std::vector<std::string> argv;
            argv.push_back(c->maxsize_arg());
            const std::size_t end = std::min(items.size(), done + chunk);
            for (std::size_t i = done; i < end; ++i) {
                argv.push_back(items[i].id);
                argv.push_back(items[i].payload);
            }
            std::vector<std::string> cmd = c->fcall("aq1_put", std::move(argv));
            Reply r = co_await call(c, std::move(cmd), CallMode::deadline);
            const std::string status = r.elements.at(0).str;
            done += static_cast<std::size_t>(r.elements.at(1).as_int());
            if (status == "shutdown") throw QueueShutDown();
            if (status == "full") {
                if (nowait) throw QueueFull();
                co_await wait_change(c, r.elements.at(2).str, r.elements.at(3).as_int());
            }
        }
        co_return done;
    }

    /// Gives back items this handle leased (a cancelled get): fire and forget.
    void release_items(const std::vector<std::string>& ids) {
        if (ids.empty() || !main_.alive()) return;
        std::vector<std::string> argv(ids.begin(), ids.end());
        (void)main_.send(fcall("aq1_release", std::move(argv)), opt_.command_timeout);
    }
    static std::vector<std::string> ids_of_get_reply(const Reply& r) {
        std::vector<std::string> ids;
        if (r.is_array() && r.elements.size() >= 2 && r.elements[0].str == "ok")
            for (std::size_t i = 0; i + 1 < r.elements[1].elements.size(); i += 2) ids.push_back(r.elements[1].elements[i].str);
        return ids;
    }

    /// Gets 1..count items (waits for the first; nowait: QueueEmpty), leased to this handle
    /// and recorded as held by the calling task.
    static Task<std::vector<Item>> get(QueueCore* c, std::size_t count, bool nowait) {
        OpGuard guard(c);
        if (count == 0) throw ValueError("get_many() needs max >= 1");
        for (;;) {
            c->check_open();
            std::vector<std::string> argv{std::to_string(count), lease_ms(c->opt_.visibility_timeout)};
            std::vector<std::string> cmd = c->fcall("aq1_get", std::move(argv));
            Connection::Orphan orphan = [c](Reply& late) { c->release_items(ids_of_get_reply(late)); };
            Reply r = co_await call(c, std::move(cmd), nowait ? CallMode::deadline : CallMode::forever, std::move(orphan));
            const std::string status = r.elements.at(0).str;
            if (status == "ok") {
                std::vector<Item> out;
                const std::vector<Reply>& flat = r.elements.at(1).elements;
                for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
                    Item item;
                    item.id = flat[i].str;
                    item.payload = flat[i + 1].str;
                    c->held_.push_back(Held{item.id, detail::current_task});
                    out.push_back(std::move(item));
                }
                co_return out;
            }
            if (status == "shutdown") throw QueueShutDown();
            if (nowait) throw QueueEmpty();
            co_await wait_change(c, r.elements.at(1).str, r.elements.at(2).as_int());
        }
    }

    /// Forgets a held item (after a dead-letter or a release).
    void unhold(const std::string& id) {
        auto it = std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.id == id; });
        if (it != held_.end()) held_.erase(it);
    }

    /// Gives back items got but not handed to the caller (get_many after a decode failure).
    static Task<void> release(QueueCore* c, std::vector<std::string> ids) {
        for (const std::string& id : ids) c->unhold(id);
        std::vector<std::string> cmd = c->fcall("aq1_release", std::move(ids));
        co_await call(c, std::move(cmd), CallMode::deadline);
    }

    /// An item that failed to decode: to the dead-letter list, counted as done.
    static Task<void> dead_letter(QueueCore* c, Item item) {
        c->unhold(item.id);
        std::vector<std::string> argv{item.id, item.payload};
        std::vector<std::string> cmd = c->fcall("aq1_dead", std::move(argv));
        co_await call(c, std::move(cmd), CallMode::deadline);
    }

    /// task_done(): acknowledges the oldest item the calling task got, else the oldest this
    /// handle holds.
    static Task<void> task_done(QueueCore* c) {
        OpGuard guard(c);
        if (c->held_.empty()) throw ValueError("task_done() called too many times");
        auto it = std::find_if(c->held_.begin(), c->held_.end(),
                               [](const Held& h) { return h.task == detail::current_task; });
        if (it == c->held_.end()) it = c->held_.begin();
        Held h = *it;
        c->held_.erase(it);
        try {
            std::vector<std::string> argv{h.id};
            std::vector<std::string> cmd = c->fcall("aq1_ack", std::move(argv));
            co_await call(c, std::move(cmd), CallMode::deadline);
        } catch (...) {
            c->held_.push_front(h);  // not acknowledged (or not known to be): task_done() may be called again
            throw;
        }
    }

    struct State {
        long long waiting = 0;
        long long unfinished = 0;
        bool shutdown = false;
        long long maxsize = 0;
        std::string last_id;
        long long deadline_ms = -1;
    };

    static Task<State> state(QueueCore* c) {
        std::vector<std::string> cmd = c->fcall("aq1_state", {});
        Reply r = co_await call(c, std::move(cmd), CallMode::deadline);
        State s;
        s.waiting = r.elements.at(0).as_int();
        s.unfinished = r.elements.at(1).as_int();
        s.shutdown = r.elements.at(2).as_int() != 0;
        s.maxsize = r.elements.at(3).as_int();
        s.last_id = r.elements.at(4).str;
        s.deadline_ms = r.elements.at(5).as_int();
        co_return s;
    }

    static Task<std::size_t> qsize(QueueCore* c) {
        OpGuard guard(c);
        State s = co_await state(c);
        co_return static_cast<std::size_t>(s.waiting);
    }

    static Task<void> join(QueueCore* c) {
        OpGuard guard(c);
        for (;;) {
            c->check_open();
            State s = co_await state(c);
            if (s.unfinished <= 0) co_return;
            co_await wait_change(c, s.last_id, s.deadline_ms);
        }
    }

    static Task<void> shutdown(QueueCore* c, bool immediate) {
        OpGuard guard(c);
        std::vector<std::string> argv{immediate ? "1" : "0"};
        std::vector<std::string> cmd = c->fcall("aq1_shutdown", std::move(argv));
        co_await call(c, std::move(cmd), CallMode::deadline);
    }

    /// close(): no new operation; waits for those in flight (a waiting get() or put() is woken
    /// and raises std::runtime_error), then closes the connections.
    static Task<void> close(QueueCore* c) {
        if (c->closed_) co_return;
        c->closed_ = true;
        c->blocking_.drop("the handle is closed");
        while (c->ops_ > 0) {
            Future<void> f = c->loop_->create_future<void>();
            c->closers_.push_back(f);
            co_await f;
        }
        Future<void> idle = c->main_.idle();
        co_await idle;
        c->main_.drop("the handle is closed");
        c->blocking_.drop("the handle is closed");
    }

    /// destroy(): deletes the keys of queue `name`.
    static Task<void> destroy(Endpoint ep, std::string name, asyncio::redis::Options opt) {
        QueueCore core(get_running_loop(), std::move(ep), std::move(name), 0, opt);
        std::vector<std::string> cmd{"DEL"};
        for (const std::string& k : core.keys_) cmd.push_back(k);
        co_await call(&core, std::move(cmd), CallMode::attempts);
    }

private:
    struct Held {
        std::string id;
        PromiseBase* task;  // compared, never dereferenced
    };

    void wake_closers() {
        std::vector<Future<void>> w = std::move(closers_);
        closers_.clear();
        for (Future<void>& f : w)
            if (!f.done()) f.set_result();
    }

    EventLoop* loop_;
    std::string name_;
    std::ptrdiff_t maxsize_;
    asyncio::redis::Options opt_;
    std::array<std::string, 7> keys_;
    Connection main_;
    Connection blocking_;
    unsigned long loaded_generation_ = 0;
    std::deque<Held> held_;
    bool closed_ = false;
    bool closing_calls_ = false;
    std::size_t ops_ = 0;
    std::vector<Future<void>> closers_;
};

}  // namespace asyncio::detail::redis
