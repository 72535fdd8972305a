// The loop workloads W9-W11 on this library (see bench/README.md; the floor is
// peers/floor_io.cpp, the Python peers peers/python_io.py):
//
//   W9   a second thread posts w9_n callbacks with loop.call_soon_threadsafe; each checks its
//        index and counts; the loop runs until the count reaches w9_n (a Future set by the last).
//   W10  w10_n sequential `co_await asyncio::to_thread(plus_one, i)`, after one warm-up call
//        (the default executor starts its thread).
//   W11  one byte ping-ponged over a socketpair through loop.add_reader: b's reader echoes it,
//        a's reader checks it and sends the next; w11_n round trips (a -> b -> a).
//
// Usage: workloads_io [W9 W10 W11]   (default: all three, in order)
// Prints "RESULT <name> <value> <unit>" and "CHECK <name>/n=<N> <sum>" lines.
#include <asyncio/events.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>
#if __has_include(<asyncio/threads.hpp>)
#include <asyncio/threads.hpp>
#define BENCH_HAVE_TO_THREAD 1
#endif

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "io_common.hpp"

namespace {

using asyncio::Task;

// W9: call_soon_threadsafe from a second thread.
Task<void> w9() {
    const int n = bench::w9_n;
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    asyncio::Future<void> done = loop.create_future<void>();
    asyncio::Future<void>* done_ptr = &done; // the Future is touched on the loop's thread only
    struct State {
        int count = 0;
        long long total = 0;
        int ordered = 1;
    } state;
    State* st = &state;
    bench::Stopwatch sw;
    std::thread poster([&loop, st, done_ptr] {
        for (int i = 0; i < bench::w9_n; ++i) {
            loop.call_soon_threadsafe([st, done_ptr, i] {
                if (i != st->count) st->ordered = 0;
                st->total += i;
                if (++st->count == bench::w9_n) done_ptr->set_result();
            });
        }
    });
    co_await done;
    sw.stop();
    poster.join();
    bench::report_io("W9", sw, n, state.total * state.ordered);
}

// W10: to_thread round trips, one after another.
#ifdef BENCH_HAVE_TO_THREAD
int plus_one(int i) { return i + 1; }
#endif

Task<void> w10() {
#ifdef BENCH_HAVE_TO_THREAD
    const int n = bench::w10_n;
    co_await asyncio::to_thread(plus_one, -1); // warm-up: the default executor starts its thread
    long long total = 0;
    bench::Stopwatch sw;
    for (int i = 0; i < n; ++i) {
        int r = co_await asyncio::to_thread(plus_one, i);
        total += r;
    }
    sw.stop();
    bench::report_io("W10", sw, n, total);
#else
    throw std::runtime_error("W10: <asyncio/threads.hpp> (asyncio::to_thread) is not there yet");
#endif
}

void io(bool ok, const char* what) {
    if (!ok) throw std::system_error(errno, std::system_category(), what);
}

// Closes both ends on every way out.
struct SocketPair {
    int fds[2] = {-1, -1};
    SocketPair() { io(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0, "socketpair"); }
    SocketPair(const SocketPair&) = delete;
    SocketPair& operator=(const SocketPair&) = delete;
    ~SocketPair() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
};

// W11: a socketpair ping-pong through add_reader.
Task<void> w11() {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    asyncio::Future<void> done = loop.create_future<void>();
    asyncio::Future<void>* done_ptr = &done;
    SocketPair pair;
    const int a = pair.fds[0], b = pair.fds[1];
    int trips = 0;
    long long total = 0;
    // A failure ends the workload through the Future (a callback's exception would only be
    // reported by the loop, and the loop would wait for ever).
    auto fail = [&loop, a, b, done_ptr] {
        loop.remove_reader(a);
        loop.remove_reader(b);
        done_ptr->set_exception(std::current_exception());
    };
    bench::Stopwatch sw;
    loop.add_reader(b, [b, fail] {
        try {
            char c;
            io(::read(b, &c, 1) == 1, "read b");
            io(::write(b, &c, 1) == 1, "write b");
        } catch (...) {
            fail();
        }
    });
    loop.add_reader(a, [&loop, a, b, done_ptr, &trips, &total, fail] {
        try {
            unsigned char c;
            io(::read(a, &c, 1) == 1, "read a");
            if (c != (trips & 255)) throw std::runtime_error("W11: wrong byte");
            total += c;
            if (++trips == bench::w11_n) {
                loop.remove_reader(a);
                loop.remove_reader(b);
                done_ptr->set_result();
                return;
            }
            c = static_cast<unsigned char>(trips & 255);
            io(::write(a, &c, 1) == 1, "write a");
        } catch (...) {
            fail();
        }
    });
    const char zero = 0;
    io(::write(a, &zero, 1) == 1, "write a");
    co_await done;
    sw.stop();
    bench::report_io("W11", sw, bench::w11_n, total);
}

template <class F>
std::function<void()> in_loop(F f) {
    return [f] { asyncio::run(f()); };
}

} // namespace

int main(int argc, char** argv) {
    try {
        return bench::dispatch(argc, argv, {{"W9", in_loop(w9)}, {"W10", in_loop(w10)}, {"W11", in_loop(w11)}},
                               {});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "workloads_io: %s\n", e.what());
        return 1;
    }
}
