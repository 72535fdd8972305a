// asyncio/detail/task_waits.hpp - wait, as_completed and shield (Python's
// asyncio.wait, asyncio.as_completed, asyncio.shield): the ways to wait for
// tasks besides gather. tasks.hpp includes this header; the awaiters are in
// wait.hpp, as_completed.hpp and shield.hpp.
#pragma once

#include <asyncio/detail/as_completed.hpp>
#include <asyncio/detail/awaitable_traits.hpp>
#include <asyncio/detail/shield.hpp>
#include <asyncio/detail/wait.hpp>
#include <asyncio/events.hpp>

#include <memory>
#include <type_traits>
#include <optional>
#include <utility>
#include <vector>

namespace asyncio {

// Thread safety (all three): the tasks, the awaitables and the range belong to the loop's
// thread. Distinct objects: safe. Shared objects: unsafe.

/// Python's asyncio.wait(tasks, timeout=None, return_when=ALL_COMPLETED):
/// schedules the tasks not yet scheduled, waits until all are done (or the
/// first is, or the first fails with an exception other than CancelledError,
/// or `timeout` seconds pass), and returns (done, pending), each in the order
/// of `tasks`, a task given twice once. Raises nothing because of the tasks
/// and cancels none of them, at the timeout either. An empty vector raises
/// ValueError. Cancelling the awaiting task raises CancelledError in it only.
///
/// Ordering: the awaiting task always suspends, and resumes through the ready
/// queue (tasks already done are taken in one loop iteration later, as in
/// Python).
template <class T>
detail::WaitAwaiter<T> wait(std::vector<Task<T>> tasks, std::optional<double> timeout = std::nullopt,
                            ReturnWhen return_when = ALL_COMPLETED) {
    return detail::WaitAwaiter<T>(std::move(tasks), timeout, return_when);
}

/// Python's asyncio.as_completed(tasks, timeout=None): a range of awaitables,
/// one per distinct task, each giving the result of the next task to
/// complete (or rethrowing its exception):
///
///     for (auto next : asyncio::as_completed(std::move(tasks))) {
///         int r = co_await next;
///     }
///
/// The elements may be kept and awaited in any order, from any task of the
/// loop: the first awaited gets the first completion. After `timeout`
/// seconds (counted from this call), every element not yet resolved raises
/// TimeoutError; the tasks are not cancelled. Schedules the tasks not yet
/// scheduled; needs a running loop unless `tasks` is empty.
template <class T>
AsCompleted<T> as_completed(std::vector<Task<T>> tasks, std::optional<double> timeout = std::nullopt) {
    auto s = std::make_shared<detail::AsCompletedState<T>>(std::move(tasks));
    detail::AsCompletedState<T>::start(s, timeout);
    return AsCompleted<T>(std::move(s));
}

/// Python's asyncio.shield(aw): schedules `aw` as a task (a Task already
/// scheduled is used as it is) and returns an awaitable of its result.
/// Cancelling the awaiting task raises CancelledError in it while the inner
/// task goes on; cancelling the inner task raises CancelledError in the
/// awaiting task. The awaiting task resumes two trips through the ready
/// queue after the inner task is done, as in Python (inner done-callback,
/// then the outer future's).
template <class Aw>
    requires(!detail::is_future<std::remove_cvref_t<Aw>>::value)
auto shield(Aw&& aw) -> detail::ShieldAwaiter<detail::await_result_t<Aw>> {
    auto inner = get_running_loop().create_task(std::forward<Aw>(aw));
    return detail::ShieldAwaiter<detail::await_result_t<Aw>>(std::move(inner));
}

/// shield(fut) of a Future: the future itself is shielded (as Python), not a
/// task awaiting it. T must be copyable (or void).
template <class T>
    requires(std::is_void_v<T> || std::is_copy_constructible_v<T>)
detail::ShieldFutureAwaiter<T> shield(Future<T> fut) noexcept {
    return detail::ShieldFutureAwaiter<T>(std::move(fut));
}

}  // namespace asyncio
