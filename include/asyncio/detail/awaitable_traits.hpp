// asyncio/detail/awaitable_traits.hpp - what `co_await x` yields inside a Task,
// as a type. Declared here, at the bottom, so that the loop can name it;
// defined with the awaiter protocol (await.hpp).
#pragma once

namespace asyncio::detail {

template <class Aw>
struct await_result;

/// The type of `co_await std::declval<Aw>()` inside an asyncio::Task.
template <class Aw>
using await_result_t = typename await_result<Aw>::type;

}  // namespace asyncio::detail
