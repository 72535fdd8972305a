// asyncio/detail/redis/connection.hpp - one hiredis 0.14 asynchronous connection driven by an
// asyncio EventLoop: hiredis's adapter hooks (addRead, delRead, addWrite, delWrite, cleanup)
// map onto loop.add_reader / remove_reader / add_writer / remove_writer, and every timeout is a
// loop timer (hiredis 0.14 has none of its own for asynchronous contexts).
//
// A command's reply is copied into a Reply and handed to a Future. A command that does not get
// its reply within its timeout fails the whole connection (replies come in order, so the ones
// behind it are stuck too): every pending command then raises asyncio::TimeoutError, and the
// next command reconnects. A lost connection fails its pending commands with LinkError.
//
// SIGPIPE: hiredis writes with write(2). The first Connection sets SIGPIPE to SIG_IGN when its
// disposition is SIG_DFL, as CPython does at start-up; a program that installed its own
// handler keeps it (and must then not die of it).
#pragma once

#include <asyncio/detail/redis/errors.hpp>
#include <asyncio/detail/redis/url.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/tasks.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <csignal>
#include <cstdio>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncio::detail::redis {

/// A reply, copied out of hiredis's redisReply.
struct Reply {
    int type = REDIS_REPLY_NIL;
    long long integer = 0;
    std::string str;
    std::vector<Reply> elements;

    bool is_error() const noexcept { return type == REDIS_REPLY_ERROR; }
    bool is_nil() const noexcept { return type == REDIS_REPLY_NIL; }
    bool is_array() const noexcept { return type == REDIS_REPLY_ARRAY; }
    /// The integer of an integer reply, or the number a string reply holds.
    long long as_int() const {
        if (type == REDIS_REPLY_INTEGER) return integer;
        if (type == REDIS_REPLY_STRING || type == REDIS_REPLY_STATUS) return std::stoll(str);
        throw std::runtime_error("redis: unexpected reply type " + std::to_string(type));
    }

    static Reply from(const redisReply* r) {
        Reply out;
        out.type = r->type;
        out.integer = r->integer;
        if (r->str) out.str.assign(r->str, r->len);
        if (r->type == REDIS_REPLY_ARRAY) {
            out.elements.reserve(r->elements);
            for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(from(r->element[i]));
        }
        return out;
    }
};

inline void ignore_sigpipe_once() noexcept {
    static const bool done = [] {
        struct sigaction old {};
        if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO))
            ::signal(SIGPIPE, SIG_IGN);
        return true;
    }();
    (void)done;
}

/// One connection. Not movable (hiredis keeps a pointer to it). Belongs to one loop.
class Connection {
public:
    /// Called with a reply that arrived after its waiter was cancelled (e.g. to give back the
    /// items a cancelled get() leased).
    using Orphan = std::function<void(Reply&)>;

    Connection(EventLoop& loop, Endpoint endpoint) : loop_(&loop), ep_(std::move(endpoint)) { ignore_sigpipe_once(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() { drop("connection closed"); }

    const Endpoint& endpoint() const noexcept { return ep_; }
    EventLoop& loop() const noexcept { return *loop_; }
    /// A context exists and has not failed (it may still be connecting).
    bool alive() const noexcept { return ac_ != nullptr; }
    /// Set up (AUTH, SELECT, what `setup` added) since the last (re)connection.
    bool ready() const noexcept { return ac_ != nullptr && ready_; }
    /// Incremented at each new connection (so that callers can redo their own setup).
    unsigned long generation() const noexcept { return generation_; }
    std::size_t pending() const noexcept { return pending_; }

    /// Connects (when not connected) and authenticates / selects the db; returns once the
    /// server answered, or raises LinkError (refused, lost), ConnectionError (the server's
    /// error, e.g. WRONGPASS), TimeoutError (no answer within connect_timeout). Concurrent
    /// callers share one attempt.
    Task<void> ensure(double connect_timeout) {
        Connection* self = this;
        for (;;) {
            if (self->ready()) co_return;
            if (self->connecting_) {
                Future<void> f = *self->connecting_;
                co_await f;
                continue;
            }
            Future<void> attempt = self->loop_->create_future<void>();
            self->connecting_ = attempt;
            std::exception_ptr error;
            try {
                co_await self->connect_now(connect_timeout);
            } catch (...) {
                error = std::current_exception();
            }
            self->connecting_.reset();
            attempt.set_result();  // the others look at ready() again
            if (error) std::rethrow_exception(error);
        }
    }

    /// Sends one command (the connection must be alive: call ensure() first). Error replies
    /// are returned, not raised. `timeout` (seconds, > 0) bounds the wait for the reply.
    Future<Reply> send(const std::vector<std::string>& args, double timeout, Orphan orphan = {}) {
        Future<Reply> fut = loop_->create_future<Reply>();
        if (!ac_) {
            fut.set_exception(std::make_exception_ptr(LinkError("redis " + ep_.where() + ": not connected")));
            return fut;
        }
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        argv.reserve(args.size());
        lens.reserve(args.size());
        for (const std::string& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* p = new Pending{this, fut, {}, std::move(orphan)};
        if (redisAsyncCommandArgv(ac_, &on_reply, p, static_cast<int>(args.size()), argv.data(), lens.data()) != REDIS_OK) {
            delete p;
            fut.set_exception(std::make_exception_ptr(LinkError("redis " + ep_.where() + ": cannot send a command")));
            return fut;
        }
        ++pending_;
        p->timer = loop_->call_later(timeout, [this, timeout] { on_timeout(timeout); });
        return fut;
    }

    /// Closes the connection now: the pending commands raise LinkError(`why`).
    void drop(std::string why) noexcept {
        if (!ac_) return;
        drop_reason_ = std::move(why);
        redisAsyncContext* ac = std::exchange(ac_, nullptr);
        ready_ = false;
        redisAsyncFree(ac);  // calls every pending callback with a null reply, then cleanup
        drop_reason_.clear();
        timed_out_ = false;
    }

    /// Resolves once no command is pending (now if none).
    Future<void> idle() {
        Future<void> f = loop_->create_future<void>();
        if (pending_ == 0)
            f.set_result();
        else
            idle_waiters_.push_back(f);
        return f;
    }

private:
    struct Pending {
        Connection* conn;
        Future<Reply> fut;
        TimerHandle timer;
        Orphan orphan;
    };

    Task<void> connect_now(double connect_timeout) {
        Connection* self = this;
        self->drop("reconnecting");
        redisAsyncContext* ac = self->ep_.unix_socket ? redisAsyncConnectUnix(self->ep_.path.c_str())
                                                      : redisAsyncConnect(self->ep_.host.c_str(), self->ep_.port);
        if (!ac) throw LinkError("redis " + self->ep_.where() + ": out of memory");
        if (ac->err) {
            std::string msg = "redis " + self->ep_.where() + ": " + (ac->errstr ? ac->errstr : "cannot connect");
            redisAsyncFree(ac);
            throw LinkError(msg);
        }
        self->ac_ = ac;
        ++self->generation_;
        ac->data = self;
        ac->ev.data = self;
        ac->ev.addRead = &add_read;
        ac->ev.delRead = &del_read;
        ac->ev.addWrite = &add_write;
        ac->ev.delWrite = &del_write;
        ac->ev.cleanup = &cleanup;
        redisAsyncSetDisconnectCallback(ac, &on_disconnect);
        std::vector<std::string> hello;
        if (self->ep_.password) {
            hello.push_back("AUTH");
            if (self->ep_.user) hello.push_back(*self->ep_.user);
            hello.push_back(*self->ep_.password);
        } else {
            hello.push_back("PING");
        }
        Future<Reply> auth = self->send(hello, connect_timeout);
        std::optional<Future<Reply>> select;
        if (self->ep_.db != 0) {
            std::vector<std::string> sel{"SELECT", std::to_string(self->ep_.db)};
            select = self->send(sel, connect_timeout);
        }
        Reply r = co_await auth;
        if (r.is_error()) {
            self->drop("refused");
            throw asyncio::redis::ConnectionError("redis " + self->ep_.where() + ": " + r.str);
        }
        if (select) {
            Reply s = co_await *select;
            if (s.is_error()) {
                self->drop("refused");
                throw asyncio::redis::ConnectionError("redis " + self->ep_.where() + ": SELECT " +
                                                      std::to_string(self->ep_.db) + ": " + s.str);
            }
        }
        self->ready_ = true;
    }

    void on_timeout(double timeout) noexcept {
        timed_out_ = true;
        timeout_seconds_ = timeout;
        drop("timeout");
    }

    static void on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
        auto* p = static_cast<Pending*>(privdata);
        Connection* self = p->conn;
        p->timer.cancel();
        try {
            if (!reply) {
                std::exception_ptr e;
                if (self->timed_out_) {
                    char buf[32];
                    std::snprintf(buf, sizeof buf, "%g", self->timeout_seconds_);
                    e = std::make_exception_ptr(TimeoutError("redis " + self->ep_.where() + ": no answer within " +
                                                             buf + " s"));
                } else {
                    std::string why = !self->drop_reason_.empty() ? self->drop_reason_
                                      : (ac->errstr && ac->err)   ? std::string(ac->errstr)
                                                                  : std::string("connection lost");
                    e = std::make_exception_ptr(LinkError("redis " + self->ep_.where() + ": " + why));
                }
                if (!p->fut.done()) p->fut.set_exception(e);
            } else {
                Reply r = Reply::from(static_cast<redisReply*>(reply));
                if (!p->fut.done())
                    p->fut.set_result(std::move(r));
                else if (p->orphan)
                    p->orphan(r);
            }
        } catch (...) {
            // the loop is closed (no callback can be scheduled): nobody waits any more
        }
        delete p;
        if (--self->pending_ == 0) {
            std::vector<Future<void>> waiters = std::move(self->idle_waiters_);
            self->idle_waiters_.clear();
            for (Future<void>& f : waiters) {
                try {
                    if (!f.done()) f.set_result();
                } catch (...) {
                }
            }
        }
    }

    static void on_disconnect(const redisAsyncContext* ac, int) {
        auto* self = static_cast<Connection*>(ac->data);
        if (self && self->ac_ == ac) {
            self->ac_ = nullptr;
            self->ready_ = false;
        }
    }

    static Connection* of(void* privdata) noexcept { return static_cast<Connection*>(privdata); }
    int fd() const noexcept { return ac_ ? ac_->c.fd : -1; }

    static void add_read(void* privdata) {
        Connection* self = of(privdata);
        if (self->reading_ || !self->ac_) return;
        self->reading_ = true;
        self->watched_fd_ = self->ac_->c.fd;
        redisAsyncContext* ac = self->ac_;
        self->loop_->add_reader(self->watched_fd_, [self, ac] {
            if (self->ac_ == ac) redisAsyncHandleRead(ac);
        });
    }
    static void del_read(void* privdata) {
        Connection* self = of(privdata);
        if (!self->reading_) return;
        self->reading_ = false;
        self->loop_->remove_reader(self->watched_fd_);
    }
    static void add_write(void* privdata) {
        Connection* self = of(privdata);
        if (self->writing_ || !self->ac_) return;
        self->writing_ = true;
        self->watched_fd_ = self->ac_->c.fd;
        redisAsyncContext* ac = self->ac_;
        self->loop_->add_writer(self->watched_fd_, [self, ac] {
            if (self->ac_ == ac) redisAsyncHandleWrite(ac);
        });
    }
    static void del_write(void* privdata) {
        Connection* self = of(privdata);
        if (!self->writing_) return;
        self->writing_ = false;
        self->loop_->remove_writer(self->watched_fd_);
    }
    // hiredis calls it when it frees the context (our drop(), or its own after an error, a
    // failed connect among them, which calls no disconnect callback).
    static void cleanup(void* privdata) {
        del_read(privdata);
        del_write(privdata);
        Connection* self = of(privdata);
        self->ac_ = nullptr;
        self->ready_ = false;
    }

    EventLoop* loop_;
    Endpoint ep_;
    redisAsyncContext* ac_ = nullptr;
    bool ready_ = false;
    bool reading_ = false;
    bool writing_ = false;
    int watched_fd_ = -1;
    bool timed_out_ = false;
    double timeout_seconds_ = 0;
    std::string drop_reason_;
    std::size_t pending_ = 0;
    unsigned long generation_ = 0;
    std::optional<Future<void>> connecting_;
    std::vector<Future<void>> idle_waiters_;
};

}  // namespace asyncio::detail::redis
