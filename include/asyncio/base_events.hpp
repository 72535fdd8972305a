// asyncio/base_events.hpp - the loop's calls into other threads (Python's base_events):
// run_in_executor, set_default_executor, shutdown_default_executor, getaddrinfo, getnameinfo.
// events.hpp declares these EventLoop members; this header defines them.
#pragma once

#include <asyncio/detail/executor_job.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/executors.hpp>
#include <asyncio/sockets.hpp>
#include <asyncio/tasks.hpp>

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio {

/// One result of loop.getaddrinfo(): Python's 5-tuple (family, type, proto, canonname,
/// sockaddr). `canonname` is empty unless AI_CANONNAME was asked for (first result only).
struct AddrInfo {
    int family = 0;
    int type = 0;
    int proto = 0;
    std::string canonname;
    SocketAddress address;
};

/// The error category of getaddrinfo(3)'s EAI_* codes; message() is gai_strerror's.
inline const std::error_category& gai_category() noexcept {
    struct Category final : std::error_category {
        const char* name() const noexcept override { return "getaddrinfo"; }
        std::string message(int code) const override { return ::gai_strerror(code); }
    };
    static const Category category;
    return category;
}

/// Python's socket.gaierror: loop.getaddrinfo() and getnameinfo() failed. `code()` is the
/// EAI_* value in gai_category() (`e.code().value() == EAI_NONAME`), `what()` names the call,
/// the host and gai_strerror's text: "getaddrinfo nosuch.invalid:80: Name or service not known".
/// (EAI_SYSTEM is reported, as Python does, as the OS error: a plain std::system_error.)
class gaierror : public std::system_error {
public:
    using std::system_error::system_error;
};

namespace detail {

[[noreturn]] inline void throw_gai_error(int code, int saved_errno, const std::string& what) {
    if (code == EAI_SYSTEM) throw std::system_error(std::error_code(saved_errno, std::system_category()), what);
    throw gaierror(std::error_code(code, gai_category()), what);
}

/// The blocking getaddrinfo(3), as Python's socket.getaddrinfo (an empty host is NULL).
inline std::vector<AddrInfo> blocking_getaddrinfo(const std::string& host, std::uint16_t port, int family, int type,
                                                  int proto, int flags) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = type;
    hints.ai_protocol = proto;
    hints.ai_flags = flags;
    const std::string service = std::to_string(port);
    addrinfo* list = nullptr;
    const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list);
    if (rc != 0) {
        const int saved_errno = errno;
        throw_gai_error(rc, saved_errno, "getaddrinfo " + host + ":" + service);
    }
    struct Free {
        addrinfo* list;
        ~Free() { ::freeaddrinfo(list); }
    } free_list{list};
    std::vector<AddrInfo> out;
    for (const addrinfo* ai = list; ai; ai = ai->ai_next) {
        AddrInfo info;
        info.family = ai->ai_family;
        info.type = ai->ai_socktype;
        info.proto = ai->ai_protocol;
        if (ai->ai_canonname) info.canonname = ai->ai_canonname;
        info.address = from_native(ai->ai_addr, ai->ai_addrlen);
        out.push_back(std::move(info));
    }
    return out;
}

/// The blocking getnameinfo(3): (host, service), as Python's socket.getnameinfo.
inline std::pair<std::string, std::string> blocking_getnameinfo(const SocketAddress& address, int flags) {
    const NativeAddress native = to_native(address);  // std::invalid_argument if not numeric
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    const int rc = ::getnameinfo(native.get(), native.length, host, sizeof host, service, sizeof service, flags);
    if (rc != 0) {
        const int saved_errno = errno;
        throw_gai_error(rc, saved_errno, "getnameinfo " + address_text(address));
    }
    return {host, service};
}

/// The executor side of one EventLoop: the gate its jobs post through, the default executor
/// (created on first use, as Python's), and the threads shutdown_default_executor() starts.
/// It sits in the loop's default-executor slot (LoopAccess::default_executor) and is itself
/// an Executor that forwards to the default one; created by the first run_in_executor() (any
/// executor), set_default_executor() or shutdown_default_executor().
///
/// The loop calls `shutdown_hook` at close() with wait = false: the gate closes (a worker
/// finishing later drops its result and never touches the loop) and the default executor is
/// shut down without waiting (Python's close()). run() calls it with wait = true: the loop
/// runs until shutdown_default_executor() is done (Python 3.13's run()). Destruction (with
/// the loop) joins the shutdown threads; dropping the last reference to a ThreadPoolExecutor
/// then joins its threads.
///
/// Thread safety: loop thread only, but for `gate`, which is thread-safe.
struct LoopExecutors final : Executor {
    explicit LoopExecutors(EventLoop& l) : loop(&l), gate(std::make_shared<LoopGate>(&l)) {}
    ~LoopExecutors() override {
        gate->close();
        for (std::thread& t : shutdown_threads) t.join();
    }

    /// The state of `loop`, created on first use.
    static LoopExecutors& of(EventLoop& loop) {
        std::shared_ptr<Executor>& slot = LoopAccess::default_executor(loop);
        if (!slot) {
            slot = std::make_shared<LoopExecutors>(loop);
            LoopAccess::set_executor_shutdown(loop, &shutdown_hook);
        }
        return static_cast<LoopExecutors&>(*slot);
    }

    /// The executor run_in_executor(nullptr, ...) uses (Python's _check_default_executor).
    Executor& default_for_use() {
        if (shutdown_called) throw std::runtime_error("Executor shutdown has been called");
        if (!default_executor) default_executor = std::make_shared<ThreadPoolExecutor>();
        return *default_executor;
    }

    void execute(WorkItem work) override { default_for_use().execute(std::move(work)); }

    EventLoop* loop;
    std::shared_ptr<LoopGate> gate;
    std::shared_ptr<Executor> default_executor;       // null until first used or set
    std::vector<std::shared_ptr<Executor>> replaced;  // earlier defaults, kept so that replacing one never joins here
    std::vector<std::thread> shutdown_threads;        // joined by the awaiting task, or by the destructor
    bool shutdown_called = false;                     // Python's _executor_shutdown_called

protected:
    void do_shutdown(bool wait, bool cancel_futures) override {
        if (default_executor) default_executor->shutdown(wait, cancel_futures);
    }

private:
    static void shutdown_hook(Executor& e, bool wait) {
        auto& self = static_cast<LoopExecutors&>(e);
        if (!wait) {  // close()
            self.shutdown_called = true;
            self.gate->close();
            if (self.default_executor) self.default_executor->shutdown(false);
        } else if (self.default_executor && !self.loop->is_closed() && !self.loop->is_running()) {  // run()
            self.loop->run_until_complete(self.loop->shutdown_default_executor());
        } else if (self.default_executor) {
            self.default_executor->shutdown(true);
        }
    }
};

}  // namespace detail

template <class F, class... A>
auto EventLoop::run_in_executor(Executor* executor, F fn, A... args) -> Task<std::invoke_result_t<F, A...>> {
    using R = std::invoke_result_t<F, A...>;
    static_assert(!std::is_reference_v<R>, "run_in_executor: the call must return a value, not a reference");
    check_closed();
    detail::LoopExecutors& state = detail::LoopExecutors::of(*this);
    if (!executor) executor = &state.default_for_use();
    auto call = [fn = std::move(fn), ... args = std::move(args)]() mutable -> R {
        return std::move(fn)(std::move(args)...);
    };
    auto* job = new detail::CallJob<R, decltype(call)>(state.gate, std::move(call));
    detail::JobRef<R> loop_side(job);  // one reference each: this side's, and the worker's below
    executor->execute(WorkItem(static_cast<detail::Work*>(job)));  // throws after shutdown: the item discards its job
    return detail::await_job<R>(std::move(loop_side));
}

inline void EventLoop::set_default_executor(std::shared_ptr<Executor> executor) {
    if (!executor) throw std::invalid_argument("executor must not be null");
    detail::LoopExecutors& state = detail::LoopExecutors::of(*this);
    if (state.default_executor) state.replaced.push_back(std::move(state.default_executor));
    state.default_executor = std::move(executor);
}

inline Task<void> EventLoop::shutdown_default_executor() {
    detail::LoopExecutors& state = detail::LoopExecutors::of(*this);
    state.shutdown_called = true;
    if (!state.default_executor) co_return;
    // Python's _do_shutdown: shutdown(wait=True) on a thread of its own, which then posts back;
    // the loop runs on meanwhile.
    auto call = [executor = state.default_executor] { executor->shutdown(true); };
    auto* job = new detail::CallJob<void, decltype(call)>(state.gate, std::move(call));
    detail::JobRef<void> loop_side(job);
    WorkItem item(static_cast<detail::Work*>(job));
    std::thread thread([item = std::move(item)]() mutable { item(); });  // on a throw, the item discards its job
    const std::thread::id id = thread.get_id();
    state.shutdown_threads.push_back(std::move(thread));  // if cancelled, the destructor joins it
    Task<void> wait = detail::await_job<void>(std::move(loop_side));
    co_await std::move(wait);
    for (auto it = state.shutdown_threads.begin(); it != state.shutdown_threads.end(); ++it) {
        if (it->get_id() == id) {
            it->join();  // it has posted its last act: this returns at once
            state.shutdown_threads.erase(it);
            break;
        }
    }
}

inline Task<std::vector<AddrInfo>> EventLoop::getaddrinfo(std::string host, std::uint16_t port, int family, int type,
                                                          int proto, int flags) {
    return run_in_executor(nullptr, &detail::blocking_getaddrinfo, std::move(host), port, family, type, proto, flags);
}

inline Task<std::pair<std::string, std::string>> EventLoop::getnameinfo(const SocketAddress& address, int flags) {
    return run_in_executor(nullptr, &detail::blocking_getnameinfo, address, flags);
}

}  // namespace asyncio
