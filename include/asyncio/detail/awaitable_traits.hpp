// asyncio/detail/awaitable_traits.hpp - what `co_await x` yields, as a type.
#pragma once

#include <utility>

namespace asyncio::detail {

template <class Aw>
decltype(auto) get_awaiter(Aw&& aw) {
    if constexpr (requires { std::forward<Aw>(aw).operator co_await(); })
        return std::forward<Aw>(aw).operator co_await();
    else
        return std::forward<Aw>(aw);
}

/// The type of `co_await std::declval<Aw>()` for this library's awaitables.
template <class Aw>
using await_result_t = decltype(get_awaiter(std::declval<Aw>()).await_resume());

}  // namespace asyncio::detail
