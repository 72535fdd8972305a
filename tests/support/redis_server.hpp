// tests/support/redis_server.hpp - a real redis-server (Debian's 7.0) for the tests, on a free
// loopback port in a temporary directory of its own, stopped and removed at the end.
//
//     asyncio_test::RedisServer server;                   // starts it; waits until it answers
//     asyncio_test::RedisServer server(asyncio_test::RedisServer::Config{.appendonly = true,
//                                      .password = "s3cret", .unix_socket = true});
//     server.url()            "redis://127.0.0.1:<port>" (with ":<password>@" when one is set)
//     server.url(false)       the same without the password
//     server.unix_url()       "unix://<dir>/redis.sock" (Config::unix_socket)
//     server.port(), server.dir(), server.pid()
//     server.command({"LLEN", "{q}:items"})   a command over a blocking hiredis connection of
//                             its own (authenticated); returns the reply as text: a string or a
//                             status as it is, an integer in decimal, nil as "(nil)", an error
//                             as "ERR ...", an array as its elements joined by '\n'
//     server.pause()          SIGSTOP: the server stops answering (connections stay open)
//     server.resume()         SIGCONT
//     server.restart()        SIGTERM (the AOF is written, with Config::appendonly), waits for
//                             the exit, starts it again on the same port and directory
//     server.kill()           SIGKILL, waits; start() starts it again on the same port
//     server.start()
// The destructor kills the server (SIGKILL; SIGCONT first if paused) and removes its directory.
// If redis-server is not installed, the constructor throws std::runtime_error.
//
// Thread safety: one thread. Not copyable.
#pragma once

#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asyncio_test {

class RedisServer {
public:
    struct Config {
        bool appendonly = false;  // appendonly yes, appendfsync always
        std::string password;     // requirepass (empty: none)
        bool unix_socket = false; // also listen on <dir>/redis.sock
    };

    RedisServer() : RedisServer(Config{}) {}
    explicit RedisServer(Config config) : config_(std::move(config)) {
        char tmpl[] = "/tmp/asyncio-redis-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("RedisServer: mkdtemp failed");
        dir_ = tmpl;
        for (int attempt = 0;; ++attempt) {
            port_ = free_port();
            try {
                start();
                break;
            } catch (...) {
                if (attempt == 4) {
                    std::filesystem::remove_all(dir_);
                    throw;
                }
            }
        }
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;
    ~RedisServer() {
        kill();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    int port() const noexcept { return port_; }
    pid_t pid() const noexcept { return pid_; }
    const std::string& dir() const noexcept { return dir_; }
    std::string unix_path() const { return dir_ + "/redis.sock"; }
    std::string url(bool with_password = true) const {
        std::string auth = (with_password && !config_.password.empty()) ? ":" + config_.password + "@" : "";
        return "redis://" + auth + "127.0.0.1:" + std::to_string(port_);
    }
    std::string unix_url() const { return "unix://" + unix_path(); }

    void start() {
        if (pid_ > 0) return;
        std::vector<std::string> args{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                      "--dir", dir_, "--save", "", "--daemonize", "no", "--protected-mode", "no",
                                      "--logfile", dir_ + "/redis.log", "--databases", "16"};
        if (config_.appendonly) {
            for (const char* a : {"--appendonly", "yes", "--appendfsync", "always"}) args.emplace_back(a);
        } else {
            for (const char* a : {"--appendonly", "no"}) args.emplace_back(a);
        }
        if (!config_.password.empty()) {
            args.emplace_back("--requirepass");
            args.push_back(config_.password);
        }
        if (config_.unix_socket) {
            args.emplace_back("--unixsocket");
            args.push_back(unix_path());
            args.emplace_back("--unixsocketperm");
            args.emplace_back("700");
        }
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("RedisServer: fork failed");
        if (pid == 0) {
            // the child: no fd of the test but 0-2 (so that fd leak checks see none held here)
            for (int fd = 3; fd < 1024; ++fd) ::close(fd);
            ::execvp("redis-server", argv.data());
            ::_exit(127);
        }
        pid_ = pid;
        paused_ = false;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("RedisServer: redis-server exited at start (is it installed? see " + dir_ +
                                         "/redis.log)");
            }
            if (command_or_empty({"PING"}) == "PONG") return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        kill();
        throw std::runtime_error("RedisServer: redis-server did not answer within 10 s");
    }

    void pause() {
        if (pid_ > 0 && !paused_) {
            ::kill(pid_, SIGSTOP);
            paused_ = true;
        }
    }
    void resume() {
        if (pid_ > 0 && paused_) {
            ::kill(pid_, SIGCONT);
            paused_ = false;
        }
    }
    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        if (paused_) ::kill(pid_, SIGCONT);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        paused_ = false;
    }
    void restart() {
        if (pid_ > 0) {
            resume();
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
        start();
    }

    /// A command on a connection of its own; the reply as text (see the top of the file).
    /// Throws std::runtime_error when the server cannot be reached.
    std::string command(const std::vector<std::string>& args) const {
        std::string error;
        std::string out = run(args, &error);
        if (!error.empty()) throw std::runtime_error("RedisServer::command: " + error);
        return out;
    }

private:
    static int free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        socklen_t len = sizeof a;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            if (fd >= 0) ::close(fd);
            throw std::runtime_error("RedisServer: no free port");
        }
        ::close(fd);
        return ntohs(a.sin_port);
    }

    std::string command_or_empty(const std::vector<std::string>& args) const {
        std::string error;
        std::string out = run(args, &error);
        return error.empty() ? out : std::string();
    }

    static std::string text(const redisReply* r) {
        switch (r->type) {
            case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
            case REDIS_REPLY_NIL: return "(nil)";
            case REDIS_REPLY_ARRAY: {
                std::string out;
                for (size_t i = 0; i < r->elements; ++i) {
                    if (i) out += '\n';
                    out += text(r->element[i]);
                }
                return out;
            }
            default: return std::string(r->str, r->len);
        }
    }

    std::string run(const std::vector<std::string>& args, std::string* error) const {
        timeval tv{2, 0};
        redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
        if (!c || c->err) {
            *error = c ? c->errstr : "cannot connect";
            if (c) redisFree(c);
            return {};
        }
        redisSetTimeout(c, tv);
        if (!config_.password.empty()) {
            auto* r = static_cast<redisReply*>(redisCommand(c, "AUTH %s", config_.password.c_str()));
            if (r) freeReplyObject(r);
        }
        std::vector<const char*> argv;
        std::vector<size_t> lens;
        for (const std::string& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
        std::string out;
        if (!r)
            *error = c->errstr;
        else
            out = text(r);
        if (r) freeReplyObject(r);
        redisFree(c);
        return out;
    }

    Config config_;
    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
    bool paused_ = false;
};

}  // namespace asyncio_test
