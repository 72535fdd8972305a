// W8: the compile cost of one Boost.Asio experimental::channel used by two coroutines
// (compare w8_asyncio.cpp).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>

namespace asio = boost::asio;
using Channel = asio::experimental::channel<void(boost::system::error_code, int)>;

asio::awaitable<void> consumer(Channel& ch, int& s) {
    for (int i = 0; i < 3; ++i) s += co_await ch.async_receive(asio::deferred);
}

asio::awaitable<void> producer(Channel& ch) {
    for (int i = 0; i < 3; ++i) co_await ch.async_send(boost::system::error_code{}, i, asio::deferred);
}

int main() {
    asio::io_context ctx;
    Channel ch(ctx, 1);
    int s = 0;
    asio::co_spawn(ctx, consumer(ch, s), asio::detached);
    asio::co_spawn(ctx, producer(ch), asio::detached);
    ctx.run();
    return s == 3 ? 0 : 1;
}
