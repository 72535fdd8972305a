// The floor of the loop workloads W9-W11: what the kernel and the hardware cost, in plain C++
// with no event loop library: no exceptions, no cancellation, no closing, no type erasure
// beyond a function pointer. A failed system call aborts.
//
//   W9   a second thread posts w9_n calls ({function pointer, int}) into a mutex + vector
//        queue; the consumer swaps the whole vector out under the lock and runs it; it sleeps
//        in epoll_wait on an eventfd, which a poster writes only when the consumer said it
//        sleeps (coalesced wake-ups, as the library's loop does).
//   W10  a pool of one worker thread: the loop thread hands it a job (mutex + condition
//        variable), the worker runs it and posts the result back (mutex + eventfd), the loop
//        thread waits in epoll_wait; w10_n sequential round trips, after one warm-up.
//   W11  a bare epoll loop (level-triggered, as asyncio's selector), two ends of a socketpair,
//        a reader on each: b echoes the byte, a checks it and sends the next; w11_n round trips.
//
// Usage: floor_io [W9 W10 W11]. Prints "RESULT ..." and "CHECK <name>/n=<N> <sum>" lines.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "../io_common.hpp"

namespace {

void must(bool ok, const char* what) {
    if (!ok) {
        std::perror(what);
        std::abort();
    }
}

// An epoll instance watching one eventfd: the wait of a sleeping loop.
struct Waker {
    int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    Waker() {
        must(efd >= 0 && ep >= 0, "eventfd/epoll_create1");
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = efd;
        must(::epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0, "epoll_ctl");
    }
    ~Waker() {
        ::close(ep);
        ::close(efd);
    }
    void wake() {
        const std::uint64_t one = 1;
        must(::write(efd, &one, sizeof one) == sizeof one, "write eventfd");
    }
    void sleep() {
        epoll_event ev{};
        while (::epoll_wait(ep, &ev, 1, -1) != 1) {}
        std::uint64_t v = 0;
        must(::read(efd, &v, sizeof v) == sizeof v, "read eventfd");
    }
};

struct W9State {
    int count = 0;
    long long total = 0;
    int ordered = 1;
};

struct Call {
    void (*fn)(W9State&, int);
    int arg;
};

void w9_callback(W9State& s, int i) {
    if (i != s.count) s.ordered = 0;
    ++s.count;
    s.total += i;
}

void w9() {
    const int n = bench::w9_n;
    Waker waker;
    std::mutex m;
    std::vector<Call> queue, running;
    bool sleeping = false;
    W9State state;
    bench::Stopwatch sw;
    std::thread poster([&] {
        for (int i = 0; i < n; ++i) {
            bool wake;
            {
                std::lock_guard lock(m);
                queue.push_back(Call{&w9_callback, i});
                wake = sleeping;
                sleeping = false;
            }
            if (wake) waker.wake();
        }
    });
    while (state.count < n) {
        {
            std::lock_guard lock(m);
            if (queue.empty()) sleeping = true;
            else std::swap(queue, running);
        }
        if (running.empty()) {
            waker.sleep();
            continue;
        }
        for (const Call& c : running) c.fn(state, c.arg);
        running.clear();
    }
    sw.stop();
    poster.join();
    bench::report_io("W9", sw, n, state.total * state.ordered);
}

int plus_one(int i) { return i + 1; }

// A thread pool of one thread, for one job at a time.
struct OneThreadPool {
    std::mutex m;
    std::condition_variable cv;
    int (*job)(int) = nullptr;
    int arg = 0;
    bool stop = false;
    Waker done; // the submitter's wait
    std::mutex result_m;
    int result = 0;
    std::thread worker{[this] { work(); }};

    void work() {
        for (;;) {
            int (*fn)(int);
            int a;
            {
                std::unique_lock lock(m);
                cv.wait(lock, [&] { return job != nullptr || stop; });
                if (stop) return;
                fn = std::exchange(job, nullptr);
                a = arg;
            }
            const int r = fn(a);
            {
                std::lock_guard lock(result_m);
                result = r;
            }
            done.wake();
        }
    }
    int round_trip(int (*fn)(int), int a) {
        {
            std::lock_guard lock(m);
            job = fn;
            arg = a;
        }
        cv.notify_one();
        done.sleep();
        std::lock_guard lock(result_m);
        return result;
    }
    ~OneThreadPool() {
        {
            std::lock_guard lock(m);
            stop = true;
        }
        cv.notify_one();
        worker.join();
    }
};

void w10() {
    const int n = bench::w10_n;
    OneThreadPool pool;
    pool.round_trip(&plus_one, -1); // warm-up, as in every implementation
    long long total = 0;
    bench::Stopwatch sw;
    for (int i = 0; i < n; ++i) total += pool.round_trip(&plus_one, i);
    sw.stop();
    bench::report_io("W10", sw, n, total);
}

struct W11State {
    int a = -1, b = -1, ep = -1;
    int trips = 0;
    long long total = 0;
    bool done = false;
};

struct Reader {
    void (*fn)(W11State&);
};

void on_b(W11State& s) {
    char c;
    must(::read(s.b, &c, 1) == 1, "read b");
    must(::write(s.b, &c, 1) == 1, "write b");
}

void on_a(W11State& s) {
    unsigned char c;
    must(::read(s.a, &c, 1) == 1, "read a");
    must(c == (s.trips & 255), "W11: wrong byte");
    s.total += c;
    if (++s.trips == bench::w11_n) {
        ::epoll_ctl(s.ep, EPOLL_CTL_DEL, s.a, nullptr);
        ::epoll_ctl(s.ep, EPOLL_CTL_DEL, s.b, nullptr);
        s.done = true;
        return;
    }
    c = static_cast<unsigned char>(s.trips & 255);
    must(::write(s.a, &c, 1) == 1, "write a");
}

void w11() {
    W11State s;
    int fds[2];
    must(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0, "socketpair");
    s.a = fds[0];
    s.b = fds[1];
    s.ep = ::epoll_create1(EPOLL_CLOEXEC);
    must(s.ep >= 0, "epoll_create1");
    Reader ra{&on_a}, rb{&on_b};
    bench::Stopwatch sw;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &rb;
    must(::epoll_ctl(s.ep, EPOLL_CTL_ADD, s.b, &ev) == 0, "epoll_ctl b");
    ev.data.ptr = &ra;
    must(::epoll_ctl(s.ep, EPOLL_CTL_ADD, s.a, &ev) == 0, "epoll_ctl a");
    const char zero = 0;
    must(::write(s.a, &zero, 1) == 1, "write a");
    epoll_event events[64];
    while (!s.done) {
        const int k = ::epoll_wait(s.ep, events, 64, -1);
        for (int e = 0; e < k; ++e) static_cast<Reader*>(events[e].data.ptr)->fn(s);
    }
    sw.stop();
    ::close(s.ep);
    ::close(s.a);
    ::close(s.b);
    bench::report_io("W11", sw, bench::w11_n, s.total);
}

} // namespace

int main(int argc, char** argv) {
    return bench::dispatch(argc, argv, {{"W9", w9}, {"W10", w10}, {"W11", w11}}, {});
}
