// examples/echo_server.cpp - the "TCP echo server using streams" and its client from
// Python's asyncio documentation, in one program: the server listens on a port the OS
// picks, three clients talk to it one after the other, then the server is closed.
#include <asyncio/runners.hpp>
#include <asyncio/streams.hpp>

#include <cstdint>
#include <iostream>
#include <string>

asyncio::Task<> handle_echo(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    std::string data = co_await reader.read(100);
    std::cout << "server received " << data << '\n';
    writer.write(data);
    co_await writer.drain();
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Task<> tcp_echo_client(std::string message, std::uint16_t port) {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    std::cout << "client sends " << message << '\n';
    writer.write(message);
    co_await writer.drain();
    std::string data = co_await reader.read(100);
    std::cout << "client received " << data << '\n';
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Task<> main_task() {
    asyncio::Server server = co_await asyncio::start_server(handle_echo, "127.0.0.1", 0);
    const std::uint16_t port = server.sockets().at(0).getsockname().port;
    for (const char* message : {"Hello World!", "ping", "bye"}) co_await tcp_echo_client(message, port);
    server.close();
    co_await server.wait_closed();  // every connection is closed by now
    std::cout << "server closed\n";
}

int main() {
    asyncio::run(main_task());
}

// Output:
// client sends Hello World!
// server received Hello World!
// client received Hello World!
// client sends ping
// server received ping
// client received ping
// client sends bye
// server received bye
// client received bye
// server closed
