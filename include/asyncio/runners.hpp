// asyncio/runners.hpp - asyncio.run (Python's asyncio.runners).
#pragma once

#include <asyncio/events.hpp>
#include <asyncio/tasks.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio {

namespace detail {

/// Python's runners._cancel_all_tasks: cancels every pending task of `loop`
/// and runs the loop until they are all done (their results are ignored).
/// A done-callback per task counts them down and stops the loop after the
/// last one, so run() needs neither gather() nor a coroutine of its own.
inline void cancel_all_tasks(EventLoop& loop) {
    std::vector<PromiseBase*> tasks;
    LoopAccess::resources(loop).for_each([&](ListNode* n) {
        auto* r = static_cast<LoopResource*>(n);
        if (r->on_close == PromiseBase::link_on_close()) tasks.push_back(PromiseBase::from_link(r));
    });
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
