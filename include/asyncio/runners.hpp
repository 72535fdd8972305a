// asyncio/runners.hpp - asyncio.run (Python's asyncio.runners).
#pragma once

#include <asyncio/events.hpp>
#include <asyncio/tasks.hpp>

#include <csignal>
#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include <unistd.h>

namespace asyncio {

namespace detail {

/// Python's runners._cancel_all_tasks: cancels every pending task of `loop`
/// and runs the loop until they are all done (their results are ignored).
/// A done-callback per task counts them down and stops the loop after the
/// last one, so run() needs neither gather() nor a coroutine of its own.
inline void cancel_all_tasks(EventLoop& loop) {
    const std::vector<PromiseBase*> tasks = pending_tasks(loop);
    if (tasks.empty()) return;
    struct Countdown : DoneCallback {
        PromiseBase* p = nullptr;
        std::size_t* left = nullptr;
        EventLoop* loop = nullptr;
    };
    std::vector<Countdown> nodes(tasks.size());
    std::size_t left = 0;
    struct Cleanup {  // on every exit: no callback left behind, every reference dropped
        std::vector<Countdown>& nodes;
        ~Cleanup() {
            for (Countdown& n : nodes) {
                if (!n.p) continue;
                if (n.linked()) n.unlink();
                n.p->release();
            }
        }
    } cleanup{nodes};
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        Countdown& n = nodes[i];
        n.p = tasks[i];
        n.p->add_ref();
        n.left = &left;
        n.loop = &loop;
        n.fn = [](DoneCallback* cb, bool run) {
            auto* self = static_cast<Countdown*>(cb);
            if (run && --*self->left == 0) self->loop->stop();
        };
        n.p->callbacks.push_back(&n);
        ++left;
    }
    for (Countdown& n : nodes) n.p->cancel_task();
    loop.run_forever();
    if (left != 0) throw std::runtime_error("Event loop stopped before Future completed.");
}

}  // namespace detail

/// Python's asyncio.run(main): runs `main` on a new event loop, then cancels
/// every task still pending and lets them finish, shuts down the default
/// executor, closes the loop (destroying every coroutine frame it kept alive)
/// and returns main's value or rethrows its exception. Throws
/// std::runtime_error when called from a running loop.
///
/// Ctrl-C, as Python 3.11+: when run() is called on the main thread and
/// SIGINT has its default disposition, the first SIGINT cancels the main task
/// (a second one, while it is still running, kills the process as SIGINT's
/// default does). If the main task then ends cancelled, run() throws
/// asyncio::KeyboardInterrupt; if it catches the CancelledError and returns,
/// run() returns its value.
template <class T>
T run(Task<T> main) {
    if (detail::running_loop) throw std::runtime_error("asyncio.run() cannot be called from a running event loop");
    EventLoop loop;
    std::optional<std::conditional_t<std::is_void_v<T>, char, T>> result;
    std::exception_ptr error;
    int interrupts = 0;
    bool sigint = false;
    try {
        Task<T> task = loop.create_task(std::move(main));
        if (::getpid() == ::gettid() && detail::signals::has_default_handler(SIGINT) && detail::signals::wake_fd.load() < 0) {
            sigint = true;
            loop.add_signal_handler(SIGINT, [&interrupts, task, &loop]() mutable {
                if (++interrupts == 1 && !task.done()) {
                    task.cancel();
                    return;
                }
                loop.remove_signal_handler(SIGINT);  // SIG_DFL: the second one ends the process
                ::raise(SIGINT);
            });
        }
        try {
            if constexpr (std::is_void_v<T>) {
                loop.run_until_complete(task);
                result.emplace();
            } else {
                result.emplace(loop.run_until_complete(task));
            }
        } catch (const CancelledError&) {
            if (interrupts > 0 && task.uncancel() == 0) throw KeyboardInterrupt();
            throw;
        }
    } catch (...) {
        error = std::current_exception();
    }
    if (sigint && interrupts == 0) loop.remove_signal_handler(SIGINT);
    try {
        detail::cancel_all_tasks(loop);
        detail::LoopAccess::shutdown_default_executor(loop, true);
    } catch (...) {
        if (!error) error = std::current_exception();
    }
    loop.close();
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace asyncio
