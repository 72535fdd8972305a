// asyncio/events.hpp - the event loop (Python's asyncio.events, base_events and
// selector_events): the ready queue, timers, and an epoll selector.
#pragma once

#include <asyncio/detail/awaitable_traits.hpp>
#include <asyncio/detail/handles.hpp>
#include <asyncio/detail/intrusive_list.hpp>
#include <asyncio/detail/ring_buffer.hpp>
#include <asyncio/detail/self_pipe.hpp>
#include <asyncio/detail/selector.hpp>
#include <asyncio/detail/signals.hpp>
#include <asyncio/detail/timer_heap.hpp>
#include <asyncio/exceptions.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio {

template <class T>
class Task;
template <class T>
class Future;
class Socket;
struct SocketAddress;
class Transport;
class Server;
class Executor;
struct AddrInfo;
class EventLoop;

namespace detail {

/// Something the loop keeps alive until it is done or the loop closes (a
/// pending task). The loop knows nothing else of it: at close() it calls
/// `on_close`, which must let go of whatever the loop kept alive.
struct LoopResource : ListNode {
    void (*on_close)(LoopResource*) noexcept = nullptr;
};

/// The loop's services for the layers above it (futures, tasks, timers).
/// Not part of the API.
struct LoopAccess;

inline thread_local EventLoop* running_loop = nullptr;

}  // namespace detail

/// A callback scheduled with call_soon (Python's asyncio.Handle). Copies share
/// the same callback. Not thread-safe.
class Handle {
public:
    Handle() noexcept = default;
    Handle(const Handle& o) noexcept : s_(o.s_) { if (s_) s_->add_ref(); }
    Handle(Handle&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Handle& operator=(Handle o) noexcept {
        std::swap(s_, o.s_);
        return *this;
    }
    ~Handle() { if (s_) s_->release(); }

    /// Cancels the callback: it will not run. No effect if it already ran.
    inline void cancel() noexcept;
    bool cancelled() const noexcept { return s_ && s_->cancelled; }

protected:
    friend class EventLoop;
    explicit Handle(detail::HandleState* s) noexcept : s_(s) {}
    detail::HandleState* s_ = nullptr;
};

/// A callback scheduled with call_later / call_at (Python's TimerHandle).
class TimerHandle : public Handle {
public:
    TimerHandle() noexcept = default;
    /// The absolute loop time at which the callback is scheduled.
    double when() const noexcept { return s_ ? s_->timer.when : 0.0; }

private:
    friend class EventLoop;
    using Handle::Handle;
};

/// An asyncio event loop: one thread runs it; callbacks and task steps run one
/// at a time, in order. It knows nothing of tasks (tasks.hpp builds them on
/// call_soon-like scheduling, as CPython's do).
///
/// Each iteration (Python's _run_once) does five things, in this order:
///   1. computes how long it may sleep: not at all if callbacks are ready,
///      else until the nearest timer (forever if none);
///   2. waits in epoll_wait for that long, for a ready fd or a wake-up (it
///      skips the system call when callbacks are ready and no fd is watched);
///   3. appends the callbacks of ready fds, of call_soon_threadsafe and of
///      signals to the ready queue, behind what is already there;
///   4. moves the timers that fell due behind them (due time, then scheduling
///      order);
///   5. runs exactly what was ready; what that schedules runs next time.
/// Coroutines are only ever resumed from here, never inline from set(),
/// put(), cancel() or a completion.
///
/// Thread safety: an EventLoop belongs to the thread that runs it. The only
/// member that may be called from other threads is call_soon_threadsafe()
/// (see detail/self_pipe.hpp); the loop must outlive those calls, and a call
/// racing with close() either queues its callback or throws.
class EventLoop {
public:
    EventLoop() { selector_.add_wakeup(pipe_.fd()); }
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;
    ~EventLoop() {
        if (!closed_) close_now();
    }

    /// Monotonic clock, in seconds (CLOCK_MONOTONIC, as Python's time.monotonic).
    double time() const noexcept {
        timespec ts;
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }

    /// Schedules `fn()` to run in a later iteration, after everything already
    /// scheduled.
    template <class F>
    Handle call_soon(F fn) {
        check_closed();
        auto* s = make_handle(std::move(fn));  // the ready queue's reference
        try {
            push_ready(&detail::run_handle, s);
        } catch (...) {
            s->release();
            throw;
        }
        s->add_ref();  // the handle's
        return Handle(s);
    }

    /// Schedules `fn()` to run `delay` seconds from now.
    template <class F>
    TimerHandle call_later(double delay, F fn) {
        return call_at(time() + delay, std::move(fn));
    }

    /// Schedules `fn()` to run at loop time `when` (see time()).
    template <class F>
    TimerHandle call_at(double when, F fn) {
        check_closed();
        auto* s = make_handle(std::move(fn));
        s->timer.owner = s;
        s->timer.fire = &fire_handle;
        s->timer.detach = &detach_handle;
        try {
            add_timer(&s->timer, when);
        } catch (...) {
            s->release();
            throw;
        }
        s->add_ref();
        return TimerHandle(s);
    }

    /// Thread-safe: schedules `fn()` from any thread, and wakes the loop if it
    /// sleeps. Throws std::runtime_error("Event loop is closed") once closed.
    /// One allocation per call; `fn` is destroyed on the loop's thread.
    template <class F>
    void call_soon_threadsafe(F fn) {
        auto* s = new detail::HandleImpl<std::decay_t<F>>(std::move(fn));
        s->loop = this;
        try {
            pipe_.post(s);
        } catch (...) {
            delete s;
            throw;
        }
    }

    // ---- file descriptors (Python's add_reader & co.) ----

    /// Calls `fn()` in each iteration in which `fd` is readable (or has hung
    /// up or failed), until remove_reader(fd). A second add for the same fd
    /// replaces the callback. Readers and writers of one fd are independent.
    template <class F>
    void add_reader(int fd, F fn) {
        check_closed();
        selector_.add(fd, detail::Selector::reader, make_handle(std::move(fn)));
    }
    /// Stops watching `fd` for reading; false if it had no reader.
    bool remove_reader(int fd) noexcept { return selector_.remove(fd, detail::Selector::reader); }
    /// As add_reader, for writability.
    template <class F>
    void add_writer(int fd, F fn) {
        check_closed();
        selector_.add(fd, detail::Selector::writer, make_handle(std::move(fn)));
    }
    bool remove_writer(int fd) noexcept { return selector_.remove(fd, detail::Selector::writer); }

    // ---- signals (Python's add_signal_handler) ----

    /// Runs `fn()` in the loop (never inside the signal handler) each time
    /// `sig` is delivered; replaces a previous handler. One loop at a time may
    /// own signal handlers. Throws std::invalid_argument for a bad number and
    /// std::runtime_error for SIGKILL / SIGSTOP.
    template <class F>
    void add_signal_handler(int sig, F fn) {
        check_closed();
        const std::size_t i = detail::signals::check(sig);
        int expected = -1;
        if (!detail::signals::wake_fd.compare_exchange_strong(expected, pipe_.fd()) && expected != pipe_.fd())
            throw std::runtime_error("another event loop owns the signal handlers");
        auto* s = make_handle(std::move(fn));
        try {
            detail::signals::install(sig);
        } catch (...) {
            s->release();
            if (signal_count_ == 0) detail::signals::wake_fd.store(-1);
            throw;
        }
        if (detail::HandleState* old = std::exchange(signal_handlers_[i], s)) {
            old->cancelled = true;
            old->release();
        } else {
            ++signal_count_;
        }
    }
    /// Removes the handler of `sig` and sets its disposition back to SIG_DFL.
    /// Returns false if it had none.
    bool remove_signal_handler(int sig) {
        detail::HandleState* s = std::exchange(signal_handlers_[detail::signals::check(sig)], nullptr);
        if (!s) return false;
        detail::signals::restore_default(sig);
        s->cancelled = true;
        s->release();
        if (--signal_count_ == 0) detail::signals::wake_fd.store(-1);
        return true;
    }

    // ---- defined by the layers above ----

    /// A new pending Future of this loop (futures.hpp).
    template <class T = void>
    Future<T> create_future();

    // ---- executors (Python's base_events; defined in <asyncio/base_events.hpp>) ----
    /// Python's loop.run_in_executor: runs `fn(args...)` in `executor` (null: the default one,
    /// a ThreadPoolExecutor of min(32, cores + 4) threads created on first use). Submits at
    /// once; the task returns fn's value or rethrows its exception.
    template <class F, class... A>
    auto run_in_executor(Executor* executor, F fn, A... args) -> Task<std::invoke_result_t<F, A...>>;
    /// Python's loop.set_default_executor (std::invalid_argument for null).
    void set_default_executor(std::shared_ptr<Executor> executor);
    /// Python's loop.shutdown_default_executor(): waits, without blocking the loop.
    Task<void> shutdown_default_executor();
    /// Python's loop.getaddrinfo / getnameinfo, run in the default executor (errors: asyncio::gaierror).
    Task<std::vector<AddrInfo>> getaddrinfo(std::string host, std::uint16_t port, int family = 0, int type = 0,
                                            int proto = 0, int flags = 0);
    Task<std::pair<std::string, std::string>> getnameinfo(const SocketAddress& address, int flags = 0);

    /// Wraps `aw` (a Task or any awaitable of this library) in a task of this
    /// loop and schedules its first step (tasks.hpp).
    template <class Aw>
    auto create_task(Aw&& aw) -> Task<detail::await_result_t<Aw>>;

    /// Runs the loop until `aw` (wrapped in a task) is done; returns its
    /// result or rethrows its exception (tasks.hpp).
    template <class Aw>
    auto run_until_complete(Aw&& aw) -> detail::await_result_t<Aw>;

    /// Socket operations (selector_events.hpp). The sockets must be
    /// non-blocking; each also takes a raw fd that the caller owns.
    Task<std::string> sock_recv(Socket& sock, std::size_t nbytes);
    Task<std::string> sock_recv(int fd, std::size_t nbytes);
    Task<std::size_t> sock_recv_into(Socket& sock, std::span<std::byte> buf);
    Task<std::size_t> sock_recv_into(int fd, std::span<std::byte> buf);
    Task<void> sock_sendall(Socket& sock, std::string_view data);
    Task<void> sock_sendall(int fd, std::string_view data);
    Task<void> sock_sendall(Socket& sock, std::span<const std::byte> data);
    Task<void> sock_sendall(int fd, std::span<const std::byte> data);
    Task<void> sock_connect(Socket& sock, const SocketAddress& address);
    Task<void> sock_connect(int fd, const SocketAddress& address);
    Task<std::pair<Socket, SocketAddress>> sock_accept(Socket& sock);
    Task<std::pair<Socket, SocketAddress>> sock_accept(int fd);
    Task<std::pair<std::string, SocketAddress>> sock_recvfrom(Socket& sock, std::size_t bufsize);
    Task<std::pair<std::string, SocketAddress>> sock_recvfrom(int fd, std::size_t bufsize);
    Task<std::size_t> sock_sendto(Socket& sock, std::string_view data, const SocketAddress& address);
    Task<std::size_t> sock_sendto(int fd, std::string_view data, const SocketAddress& address);

    // ---- transports and servers (detail/create_endpoints.hpp, via <asyncio/streams.hpp>) ----
    /// Python's loop.create_connection(protocol_factory, host, port): `protocol_factory()`
    /// returns std::unique_ptr<P>, P derived from Protocol; the transport owns the protocol.
    /// The pair stays valid until the protocol's connection_lost() has returned.
    /// In <asyncio/detail/create_endpoints.hpp> (included by <asyncio/streams.hpp>).
    template <class Factory>
    auto create_connection(Factory protocol_factory, std::string host, std::uint16_t port)
        -> Task<std::pair<Transport*, typename std::invoke_result_t<Factory&>::element_type*>>;
    template <class Factory>
    auto create_unix_connection(Factory protocol_factory, std::string path)
        -> Task<std::pair<Transport*, typename std::invoke_result_t<Factory&>::element_type*>>;
    /// Python's loop.create_server(protocol_factory, host, port, backlog=100): serving at once.
    template <class Factory>
    Task<Server> create_server(Factory protocol_factory, std::string host, std::uint16_t port, int backlog = 100);
    /// Python 3.13's loop.create_unix_server(protocol_factory, path): close() removes the file.
    template <class Factory>
    Task<Server> create_unix_server(Factory protocol_factory, std::string path, int backlog = 100);

    // ---- running and closing ----

    /// Runs until stop() is called.
    void run_forever() {
        check_closed();
        if (running_) throw std::runtime_error("This event loop is already running");
        if (detail::running_loop) throw std::runtime_error("Cannot run the event loop while another loop is running");
        running_ = true;
        detail::running_loop = this;
        struct Reset {
            EventLoop* self;
            ~Reset() {
                self->stopping_ = false;
                self->running_ = false;
                detail::running_loop = nullptr;
            }
        } reset{this};
        for (;;) {
            run_once();
            if (stopping_) break;
        }
    }

    /// Stops run_forever() after the current iteration (or, when called while
    /// not running, after the next run's first iteration).
    void stop() noexcept { stopping_ = true; }

    bool is_running() const noexcept { return running_; }
    bool is_closed() const noexcept { return closed_; }

    /// Closes the loop: readers, writers and signal handlers are removed,
    /// pending callbacks and timers dropped, the loop lets go of everything it
    /// kept alive (a task nobody else holds is destroyed, frame and all), and
    /// call_soon_threadsafe refuses from now on. Throws if the loop is running.
    void close() {
        if (running_) throw std::runtime_error("Cannot close a running event loop");
        if (!closed_) close_now();
    }

private:
    friend struct detail::LoopAccess;
    friend class Handle;

    template <class F>
    detail::HandleState* make_handle(F fn) {
        auto* s = new detail::HandleImpl<std::decay_t<F>>(std::move(fn));
        s->loop = this;
        return s;
    }

    void check_closed() const {
        if (closed_) throw std::runtime_error("Event loop is closed");
    }

    void push_ready(void (*fn)(void*, bool), void* arg) { ready_.emplace_back(detail::ReadyItem{fn, arg}); }

    void add_timer(detail::TimerNode* n, double when) {
        n->when = when;
        n->seq = timer_seq_++;
        timers_.push(n);
    }

    /// Removes a timer that has not fired yet. No effect otherwise.
    void remove_timer(detail::TimerNode* n) noexcept {
        using S = detail::TimerNode::State;
        if (n->state == S::in_heap) {
            timers_.remove(n);
        } else if (n->state == S::due) {
            due_[n->index] = nullptr;
            n->state = S::idle;
        }
    }

    static void fire_handle(detail::TimerNode* n) {
        auto* s = static_cast<detail::HandleState::Timer*>(n)->owner;
        s->run();
        s->release();
    }
    static void detach_handle(detail::TimerNode* n) { static_cast<detail::HandleState::Timer*>(n)->owner->release(); }

    void run_once() {
        // 1.-3. A busy loop with no fd watched skips the system call and only
        // looks for posts from other threads and signals.
        if (ready_.empty() || selector_.size() != 0) [[unlikely]]
            poll();
        else if (pipe_.has_posts() || signals_pending()) [[unlikely]]
            take_wakeups();
        // 4. Timers that fell due (no clock read when none is pending).
        if (!timers_.empty()) [[unlikely]]
            collect_due();
        // 5. Only what was ready when this iteration began; the due timers come
        // after it, exactly as if they had been appended to the ready queue.
        for (std::size_t todo = ready_.size(); todo > 0; --todo) {
            const detail::ReadyItem item = ready_.take_front();
            item.fn(item.arg, true);
        }
        ready_.rewind_if_empty();
        if (!due_.empty()) [[unlikely]]
            fire_due();
    }

    // Steps 1-3: how long to sleep (not at all if callbacks are ready, else
    // until the nearest timer), the wait, and what it brought.
    [[gnu::noinline]] void poll() {
        int timeout = -1;
        if (!ready_.empty() || stopping_) {
            timeout = 0;
        } else if (!timers_.empty()) {
            const double delay = timers_.top()->when - time();
            timeout = delay <= 0 ? 0 : delay >= max_sleep ? static_cast<int>(max_sleep * 1000) : static_cast<int>(std::ceil(delay * 1000));
        }
        const bool may_sleep = timeout != 0;
        if (may_sleep && (!pipe_.prepare_to_sleep() || signals_pending())) timeout = 0;
        const bool woken = selector_.select(timeout, [this](detail::HandleState* h) { push_ready_or_drop(h); });
        if (may_sleep) pipe_.awake();  // however the wait ended: posters stop writing the eventfd
        if (woken) pipe_.drain_fd();
        take_wakeups();
    }

    [[gnu::noinline]] void take_wakeups() {
        if (pipe_.has_posts()) take_posts();
        if (signals_pending()) take_signals();
    }

    [[gnu::noinline]] void collect_due() {
        const double now = time();
        while (!timers_.empty() && timers_.top()->when <= now) {
            detail::TimerNode* n = timers_.pop();
            n->state = detail::TimerNode::State::due;
            n->index = due_.size();
            due_.push_back(n);
        }
    }

    [[gnu::noinline]] void fire_due() {
        for (std::size_t i = 0; i < due_.size(); ++i) {
            if (detail::TimerNode* n = due_[i]) {
                n->state = detail::TimerNode::State::idle;
                n->fire(n);
            }
        }
        due_.clear();
    }

    void push_ready_or_drop(detail::HandleState* h) noexcept {
        try {
            push_ready(&detail::run_handle, h);
        } catch (...) {  // out of memory: level-triggered, it is reported again next time
            h->release();
        }
    }

    void take_posts() {
        for (detail::HandleState* h = pipe_.take_all(); h;) {
            detail::HandleState* next = h->next_posted;
            h->next_posted = nullptr;
            push_ready(&detail::run_handle, h);  // FIFO: in the order they were posted
            h = next;
        }
    }

    bool signals_pending() const noexcept {
        return signal_count_ != 0 && detail::signals::pending.load(std::memory_order_relaxed) != 0;
    }
    void take_signals() {
        const std::uint64_t bits = detail::signals::pending.exchange(0);
        for (int sig = 1; sig < 64; ++sig) {
            if (!(bits & (std::uint64_t{1} << sig))) continue;
            if (detail::HandleState* h = signal_handlers_[sig]) {
                h->add_ref();
                push_ready_or_drop(h);
            }
        }
    }

    void close_now() noexcept {
        closed_ = true;
        shutdown_executor(false);  // Python's close(): shutdown(wait=False)
        pipe_.close();  // from here on, no other thread touches this loop
        for (int sig = 1; sig < 64; ++sig)
            if (signal_handlers_[sig]) remove_signal_handler(sig);
        selector_.clear();
        // Letting go of tasks destroys coroutine frames, whose destructors may
        // remove timers or (rarely) schedule; repeat until nothing is left.
        do {
            for (detail::TimerNode* n : timers_.take_all()) detach_timer(n);
            for (detail::TimerNode* n : due_)
                if (n) detach_timer(n);
            due_.clear();
            while (!ready_.empty()) {
                detail::ReadyItem item = ready_.front();
                ready_.pop_front();
                item.fn(item.arg, false);
            }
            while (auto* r = static_cast<detail::LoopResource*>(resources_.pop_front())) r->on_close(r);
            selector_.clear();
        } while (!ready_.empty() || !timers_.empty() || !resources_.empty());
    }

    void shutdown_executor(bool wait) noexcept {
        if (default_executor_ && shutdown_executor_) {
            try {
                shutdown_executor_(*default_executor_, wait);
            } catch (...) {
                detail::report_callback_exception();
            }
        }
    }

    static void detach_timer(detail::TimerNode* n) noexcept {
        n->state = detail::TimerNode::State::detached;
        if (n->detach) n->detach(n);
    }

    static constexpr double max_sleep = 24 * 3600.0;  // as Python's MAXIMUM_SELECT_TIMEOUT

    detail::RingBuffer<detail::ReadyItem> ready_;
    detail::TimerHeap timers_;
    std::vector<detail::TimerNode*> due_;  // timers being fired this iteration (null: removed)
    std::uint64_t timer_seq_ = 0;
    detail::IntrusiveList resources_;  // LoopResources kept alive, in the order they came
    bool running_ = false;
    bool stopping_ = false;
    bool closed_ = false;
    int signal_count_ = 0;
    detail::HandleState* signal_handlers_[64] = {};
    std::shared_ptr<Executor> default_executor_;  // created on first use by base_events.hpp
    void (*shutdown_executor_)(Executor&, bool wait) = nullptr;  // set with it (Executor is incomplete here)
    detail::SelfPipe pipe_;
    detail::Selector selector_;
};

namespace detail {

struct LoopAccess {
    static void push_ready(EventLoop& l, void (*fn)(void*, bool), void* arg) { l.push_ready(fn, arg); }
    static void add_timer(EventLoop& l, TimerNode* n, double when) { l.add_timer(n, when); }
    static void remove_timer(EventLoop& l, TimerNode* n) noexcept { l.remove_timer(n); }
    static void check_closed(const EventLoop& l) { l.check_closed(); }
    static void keep(EventLoop& l, LoopResource* r) noexcept { l.resources_.push_back(r); }
    static void let_go(LoopResource* r) noexcept { r->unlink(); }
    static const IntrusiveList& resources(const EventLoop& l) noexcept { return l.resources_; }
    /// The default executor, and how to shut it down (base_events.hpp sets both).
    static std::shared_ptr<Executor>& default_executor(EventLoop& l) noexcept { return l.default_executor_; }
    static void set_executor_shutdown(EventLoop& l, void (*fn)(Executor&, bool wait)) noexcept { l.shutdown_executor_ = fn; }
    /// Shuts the default executor down, if there is one; `wait`: until its threads have finished.
    static void shutdown_default_executor(EventLoop& l, bool wait) noexcept { l.shutdown_executor(wait); }
};

}  // namespace detail

inline void Handle::cancel() noexcept {
    if (!s_ || s_->cancelled) return;
    s_->cancelled = true;
    using S = detail::TimerNode::State;
    if (s_->timer.state == S::in_heap || s_->timer.state == S::due) {
        s_->loop->remove_timer(&s_->timer);
        s_->release();  // the loop's reference
    }
}

/// The loop running on this thread. Throws std::runtime_error when none is.
inline EventLoop& get_running_loop() {
    if (!detail::running_loop) throw std::runtime_error("no running event loop");
    return *detail::running_loop;
}

}  // namespace asyncio
