// tests/test_streams_interop.cpp - our streams against peers no one here wrote:
// CPython 3.13's asyncio as a client of our server, and as a server for our client
// (python3 spawned as a subprocess, its stdout a socket we read with our own
// streams; every wait bounded; the child killed and reaped at the end).
// Skipped when CPython 3.13 is not found ($ASYNCIO_PYTHON, else
// $PYENV_ROOT/versions/3.13.0/bin/python3, else /root/.pyenv/...).
#include <asyncio/streams.hpp>

#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/timeouts.hpp>

#include <gtest/gtest.h>

#include "support/fd_check.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace {

using asyncio::Server;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using asyncio::Task;

std::string python() {
    if (const char* p = std::getenv("ASYNCIO_PYTHON")) return p;
    const char* root = std::getenv("PYENV_ROOT");
    std::string path = std::string(root ? root : "/root/.pyenv") + "/versions/3.13.0/bin/python3";
    return ::access(path.c_str(), X_OK) == 0 ? path : std::string();
}

/// A python3 child running `script` with `args`; its stdout is a socket we read
/// as a stream. Killed (if still running) and reaped by the destructor.
class Child {
public:
    Child(const std::string& script, std::vector<std::string> args) {
        auto [ours, theirs] = asyncio::socketpair();
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, theirs.fileno(), 1);
        std::vector<std::string> argv_s{python(), "-c", script};
        for (auto& a : args) argv_s.push_back(a);
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::system_error(rc, std::system_category(), "posix_spawn");
        out_ = std::move(ours);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    asyncio::Socket take_stdout() { return std::move(out_); }

    /// Waits (polling, bounded: ~20 s) for the child to exit; its exit status, or -1.
    Task<int> wait() {
        for (int i = 0; i < 2000; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                co_return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            co_await asyncio::sleep(0.01);
        }
        co_return -1;
    }

private:
    pid_t pid_ = -1;
    asyncio::Socket out_;
};

template <class F>
void run(F body) {
    if (python().empty()) GTEST_SKIP() << "CPython 3.13 not found";
    asyncio_test::FdLeakCheck fds;
    asyncio::run(body());
}

/// Our server: answers each line in upper case.
Task<> upper_lines(StreamReader r, StreamWriter w) {
    for (int i = 0; i < 100000; ++i) {
        std::string line = co_await r.readline();
        if (line.empty()) break;
        for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        w.write(line);
        co_await w.drain();
    }
    w.close();
}

const char* python_client = R"PY(
import asyncio, sys
async def main(port):
    r, w = await asyncio.open_connection('127.0.0.1', port)
    out = []
    for i in range(10):
        w.write(f'hello {i}\n'.encode())
        await w.drain()
        out.append((await r.readline()).decode())
    big = b'x' * (1 << 20) + b'\n'
    w.write(big)
    await w.drain()
    back = await r.readexactly(len(big))
    out.append(f'big {len(back)} {back == big.upper()}\n')
    w.write_eof()
    out.append(f'eof {await r.read()!r}\n')
    w.close()
    await w.wait_closed()
    sys.stdout.write(''.join(out))
asyncio.run(main(int(sys.argv[1])))
)PY";

TEST(Interop, CPythonClientAgainstOurServer) {
    run([]() -> Task<> {
        Server server = co_await asyncio::start_server(upper_lines, "127.0.0.1", 0, 2 << 20);
        const std::uint16_t port = server.sockets().at(0).getsockname().port;
        Child child(python_client, {std::to_string(port)});
        auto [out, unused] = co_await asyncio::open_connection(child.take_stdout());
        const std::string printed = co_await asyncio::wait_for(out.read(), 30.0);
        std::string expected;
        for (int i = 0; i < 10; ++i) expected += "HELLO " + std::to_string(i) + "\n";
        expected += "big 1048577 True\neof b''\n";
        EXPECT_EQ(printed, expected);
        EXPECT_EQ(co_await child.wait(), 0);
        server.close();
        co_await asyncio::wait_for(server.wait_closed(), 30.0);
    });
}

const char* python_server = R"PY(
import asyncio, sys
async def handle(r, w):
    while line := await r.readline():
        w.write(b'py:' + line)
        await w.drain()
    w.close()
    await w.wait_closed()
async def main():
    srv = await asyncio.start_server(handle, '127.0.0.1', 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await srv.serve_forever()
asyncio.run(main())
)PY";

TEST(Interop, OurClientAgainstCPythonServer) {
    run([]() -> Task<> {
        Child child(python_server, {});
        auto [out, unused] = co_await asyncio::open_connection(child.take_stdout());
        const std::string port_line = co_await asyncio::wait_for(out.readline(), 30.0);
        EXPECT_FALSE(port_line.empty());
        const auto port = static_cast<std::uint16_t>(std::stoi(port_line));
        auto [r, w] = co_await asyncio::open_connection("127.0.0.1", port);
        for (int i = 0; i < 10; ++i) {
            const std::string msg = "line " + std::to_string(i) + "\n";
            w.write(msg);
            co_await w.drain();
            EXPECT_EQ(co_await asyncio::wait_for(r.readline(), 30.0), "py:" + msg);
        }
        // 1 MiB in lines of 1 KiB (Python's limit is 64 KiB a line): flow control on both sides.
        std::string big;
        std::string expected;
        for (int i = 0; i < 1024; ++i) {
            const std::string line = std::string(1023, static_cast<char>('a' + i % 26)) + "\n";
            big += line;
            expected += "py:" + line;
        }
        w.write(big);
        auto echoed = asyncio::create_task(r.readexactly(expected.size()));
        co_await w.drain();
        EXPECT_EQ(co_await asyncio::wait_for(echoed, 30.0), expected);
        w.write_eof();
        EXPECT_EQ(co_await asyncio::wait_for(r.read(), 30.0), "");  // the server closed after our EOF
        w.close();
        co_await w.wait_closed();
    });
}

}  // namespace
