// bench/net/asyncio_echo.cpp - this library's echo servers for the networking family (E1-E4).
//
// Usage: asyncio_echo streams | protocol
//   streams:  asyncio::start_server + StreamReader/StreamWriter, the Python idiom
//             (data = await reader.read(65536); if not data: break; writer.write(data);
//             await writer.drain());
//   protocol: loop.create_server with a Protocol whose data_received writes the bytes back
//             through transport.write.
// Listens on 127.0.0.1 (port chosen by the OS), prints "PORT <n>", serves until killed.
#include <asyncio/events.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/streams.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace {

asyncio::Task<> echo(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    for (;;) {
        std::string data = co_await reader.read(65536);
        if (data.empty()) break;
        writer.write(data);
        co_await writer.drain();
    }
    writer.close();
}

class EchoProtocol final : public asyncio::Protocol {
public:
    void connection_made(asyncio::Transport& transport) override { transport_ = &transport; }
    void data_received(std::string_view data) override { transport_->write(data); }

private:
    asyncio::Transport* transport_ = nullptr;
};

void announce(asyncio::Server& server) {
    const std::uint16_t port = server.sockets().at(0).getsockname().port;
    std::printf("PORT %d\n", int(port));
    std::fflush(stdout);
}

asyncio::Task<> serve_streams() {
    asyncio::Server server = co_await asyncio::start_server(echo, "127.0.0.1", 0);
    announce(server);
    co_await server.serve_forever();
}

asyncio::Task<> serve_protocol() {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    auto factory = [] { return std::make_unique<EchoProtocol>(); };
    asyncio::Server server = co_await loop.create_server(factory, "127.0.0.1", 0);
    announce(server);
    co_await server.serve_forever();
}

}  // namespace

int main(int argc, char** argv) {
    const bool protocol = argc > 1 && std::strcmp(argv[1], "protocol") == 0;
    if (argc < 2 || (!protocol && std::strcmp(argv[1], "streams") != 0)) {
        std::fprintf(stderr, "usage: asyncio_echo streams|protocol\n");
        return 2;
    }
    if (protocol) asyncio::run(serve_protocol());
    else asyncio::run(serve_streams());
}
