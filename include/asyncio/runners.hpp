// asyncio/runners.hpp - asyncio.run (Python's asyncio.runners).
#pragma once

#include <asyncio/events.hpp>
#include <asyncio/tasks.hpp>

#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio {

namespace detail {

/// Waits for every task in `tasks` to be done (their results are ignored).
inline Task<void> wait_all(std::vector<Task<void>> keep_alive, std::vector<PromiseBase*> tasks) {
    (void)keep_alive;
    for (PromiseBase* p : tasks) co_await WaitDone(p);
}

/// Python's runners._cancel_all_tasks: cancels every pending task of `loop`
/// and runs the loop until they are all done.
inline void cancel_all_tasks(EventLoop& loop) {
    std::vector<PromiseBase*> pending;
    for (TaskLink* l : loop.pending_tasks()) pending.push_back(PromiseBase::from_link(l));
    if (pending.empty()) return;
    for (PromiseBase* p : pending) {
        p->add_ref();
        p->cancel();
    }
    struct Release {
        std::vector<PromiseBase*>& ps;
        ~Release() {
            for (PromiseBase* p : ps) p->release();
        }
    } release{pending};
    loop.run_until_complete(wait_all({}, pending));
}

}  // namespace detail

/// Python's asyncio.run(main): runs `main` on a new event loop, then cancels
/// every task still pending and lets them finish, closes the loop (destroying
/// every coroutine frame it kept alive) and returns main's value or rethrows
/// its exception. Throws std::runtime_error when called from a running loop.
template <class T>
T run(Task<T> main) {
    if (detail::running_loop) throw std::runtime_error("asyncio.run() cannot be called from a running event loop");
    EventLoop loop;
    std::optional<std::conditional_t<std::is_void_v<T>, char, T>> result;
    std::exception_ptr error;
    try {
        if constexpr (std::is_void_v<T>) {
            loop.run_until_complete(std::move(main));
            result.emplace();
        } else {
            result.emplace(loop.run_until_complete(std::move(main)));
        }
    } catch (...) {
        error = std::current_exception();
    }
    main = Task<T>();
    try {
        detail::cancel_all_tasks(loop);
    } catch (...) {
        if (!error) error = std::current_exception();
    }
    loop.close();
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace asyncio
