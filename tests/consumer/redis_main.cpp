// A user's program on asyncio::redis: #include <asyncio/redis.hpp>, link asyncio::redis.
// Encodes and decodes items with the codec (std::string, a number, a struct through
// nlohmann::json), and connects with hiredis through the loop to a loopback port where nothing
// listens, which must raise asyncio::redis::ConnectionError. Exits with 0 when all of it holds.
#include <asyncio/asyncio.hpp>
#include <asyncio/redis.hpp>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

struct Job {
    int id = 0;
    std::string name;
};
void to_json(nlohmann::json& j, const Job& x) { j = nlohmann::json{{"id", x.id}, {"name", x.name}}; }
void from_json(const nlohmann::json& j, Job& x) {
    j.at("id").get_to(x.id);
    j.at("name").get_to(x.name);
}

// A loopback port that nothing listens on: bound (so nobody else takes it), not listening.
struct ClosedPort {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int port = 0;
    ClosedPort() {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
            port = ntohs(a.sin_port);
    }
    ~ClosedPort() { ::close(fd); }
};

asyncio::Task<bool> refused(std::string url) {
    try {
        auto q = co_await asyncio::redis::Queue<Job>::connect(url, "jobs");
    } catch (const asyncio::redis::ConnectionError& e) {
        std::printf("connect: ConnectionError: %s\n", e.what());
        co_return true;
    }
    co_return false;
}

int main() {
    using asyncio::redis::codec;
    Job job{7, "seven"};
    const Job back = codec<Job>::decode(codec<Job>::encode(job));
    const bool codecs = back.id == 7 && back.name == "seven" && codec<int>::decode(codec<int>::encode(-3)) == -3 &&
                        codec<std::string>::decode("bytes") == "bytes";
    ClosedPort closed;
    const bool connection_error = closed.port != 0 &&
                                  asyncio::run(refused("redis://127.0.0.1:" + std::to_string(closed.port)));
    const bool ok = codecs && connection_error;
    std::printf("asyncio redis consumer: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
