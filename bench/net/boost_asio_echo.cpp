// bench/net/boost_asio_echo.cpp - the Boost.Asio echo server of the networking family: one
// io_context on this one thread, co_spawn of an awaitable<> coroutine per connection that reads
// up to 64 KiB (async_read_some) and writes it back (async_write), awaiting asio::deferred
// operations (faster than use_awaitable with Boost 1.81, see bench/peers/boost_asio_channel.cpp).
// Listens on 127.0.0.1 (port chosen by the OS), prints "PORT <n>", serves until killed.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <exception>
#include <memory>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::awaitable<void> echo(tcp::socket sock) {
    auto buf = std::make_unique<char[]>(64 * 1024);
    try {
        for (;;) {
            const std::size_t n = co_await sock.async_read_some(asio::buffer(buf.get(), 64 * 1024), asio::deferred);
            co_await asio::async_write(sock, asio::buffer(buf.get(), n), asio::deferred);
        }
    } catch (const std::exception&) {
        // end of stream or reset: the connection is done
    }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
    for (;;) {
        tcp::socket sock = co_await acceptor.async_accept(asio::deferred);
        sock.set_option(tcp::no_delay(true));
        asio::co_spawn(acceptor.get_executor(), echo(std::move(sock)), asio::detached);
    }
}

}  // namespace

int main() {
    asio::io_context ctx(1);
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    std::printf("PORT %d\n", int(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    asio::co_spawn(ctx, listen(acceptor), asio::detached);
    ctx.run();
}
