// bench/net/loadgen.cpp - the one load generator of the networking family (E1-E4), plain C++
// on epoll, written once and run against every echo server (see bench/README.md, "net").
//
// Usage: loadgen PORT SERVER_PID PHASE...   (PHASE: E1 E2 E3 E4; the server on 127.0.0.1:PORT)
//
//   E1: 1 connection, 64-byte request / response round trips, one in flight, for
//       NET_SECONDS (default 2) after NET_WARMUP (default 0.3) seconds of warm-up.
//   E2: 100 connections (NET_E2_CONNS), each with one 64-byte request in flight, same times.
//       NET_COUNT > 0 ends the measured part of E1/E2 after that many round trips (for profiles).
//   E3: 1 connection, NET_E3_BYTES (default 1 GiB) written in 64 KiB writes while the echo is
//       read back at the same time; MB/s = bytes / wall seconds (MB = 10^6 bytes).
//   E4: NET_E4_CONNS (default 10,000) connections opened in batches of 50, each doing one
//       1-byte round trip (so that the server has accepted it and waits in a read on it),
//       then the server's VmRSS growth per connection.
//
// Every echoed byte is checked. The server's CPU time (utime + stime of /proc/PID/stat,
// every thread) is read right before and right after each measured phase.
// Prints "RESULT <phase> <metric> <value> <unit>" lines; exits non-zero on any error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <iterator>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

int port = 0;
int server_pid = 0;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "loadgen: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}
[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "loadgen: %s\n", what.c_str());
    std::exit(1);
}

double env_double(const char* name, double def) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtod(v, nullptr) : def;
}

double now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

/// The server's CPU seconds so far (user + system, every thread).
double server_cpu() {
    std::ifstream f("/proc/" + std::to_string(server_pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto rp = s.rfind(')');
    if (rp == std::string::npos) fail("cannot read /proc/<pid>/stat of the server");
    std::istringstream in(s.substr(rp + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15; ++i) {  // fields 3 (state) .. 15 (stime)
        in >> field;
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

long server_rss_kb() {
    std::ifstream f("/proc/" + std::to_string(server_pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    fail("no VmRSS in /proc/<pid>/status");
}

void result(const char* phase, const char* metric, double value, const char* unit) {
    std::printf("RESULT %s %s %.6g %s\n", phase, metric, value, unit);
    std::fflush(stdout);
}

int connect_one(bool nonblocking) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(std::uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect");
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (nonblocking) {
        int on = 1;
        if (ioctl(fd, FIONBIO, &on) != 0) die("FIONBIO");
    }
    return fd;
}

struct Conn {
    int fd = -1;
    std::uint64_t seq = 0;    // number of the request in flight
    std::size_t got = 0;      // bytes of its response read so far
    char buf[64] = {};
    bool in_flight = false;
};

void fill_request(Conn& c) {
    std::memset(c.buf, 'a' + int(c.seq % 26), sizeof c.buf);
    std::memcpy(c.buf, &c.seq, sizeof c.seq);
}

void send_request(Conn& c) {
    fill_request(c);
    const ssize_t n = write(c.fd, c.buf, sizeof c.buf);
    if (n != ssize_t(sizeof c.buf)) die("write (64-byte request)");
    c.got = 0;
    c.in_flight = true;
}

/// Reads what is there of c's response; true once the whole response is in (checked).
bool read_response(Conn& c) {
    char in[64];
    for (;;) {
        const ssize_t n = read(c.fd, in, sizeof in - c.got);
        if (n < 0) {
            if (errno == EAGAIN) return false;
            die("read (response)");
        }
        if (n == 0) fail("the server closed a connection");
        if (std::memcmp(in, c.buf + c.got, std::size_t(n)) != 0) fail("echo mismatch");
        c.got += std::size_t(n);
        if (c.got == sizeof c.buf) {
            c.in_flight = false;
            ++c.seq;
            return true;
        }
    }
}

/// E1 and E2: `nconn` connections, one request in flight on each.
void round_trips(const char* phase, int nconn) {
    const double warmup = env_double("NET_WARMUP", 0.3), seconds = env_double("NET_SECONDS", 2.0);
    const auto max_count = static_cast<std::uint64_t>(env_double("NET_COUNT", 0));  // > 0: stop after that many
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    std::vector<Conn> conns(static_cast<std::size_t>(nconn));
    for (int i = 0; i < nconn; ++i) {
        conns[std::size_t(i)].fd = connect_one(true);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = std::uint32_t(i);
        if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[std::size_t(i)].fd, &ev) != 0) die("epoll_ctl");
    }
    for (auto& c : conns) send_request(c);
    std::vector<epoll_event> evs(static_cast<std::size_t>(nconn));
    const double t_start = now();
    double t0 = 0, t1 = 0, cpu0 = 0, cpu1 = 0;
    std::uint64_t count = 0, counted_from = 0;
    int stage = 0;  // 0 warm-up, 1 measuring, 2 draining
    int in_flight = nconn;
    while (in_flight > 0) {
        const int n = epoll_wait(ep, evs.data(), nconn, 30000);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        if (n == 0) fail(std::string(phase) + ": no response for 30 s");
        for (int k = 0; k < n; ++k) {
            Conn& c = conns[evs[std::size_t(k)].data.u32];
            if (!c.in_flight) continue;
            if (!read_response(c)) continue;
            ++count;
            --in_flight;
            if (stage < 2) {
                send_request(c);
                ++in_flight;
            }
        }
        if (stage < 2) {  // the clock once per epoll_wait (a vDSO call: tens of ns)
            const double t = now();
            if (stage == 0 && t - t_start >= warmup) {
                stage = 1;
                cpu0 = server_cpu();
                t0 = now();
                counted_from = count;
            } else if (stage == 1 && (t - t0 >= seconds || (max_count > 0 && count - counted_from >= max_count))) {
                t1 = now();
                cpu1 = server_cpu();
                stage = 2;
                counted_from = count - counted_from;
            }
        }
    }
    for (auto& c : conns) close(c.fd);
    close(ep);
    const double rts = double(counted_from);
    result(phase, "rt_per_s", rts / (t1 - t0), "rt/s");
    result(phase, "cpu_us_per_rt", (cpu1 - cpu0) * 1e6 / rts, "us");
    result(phase, "server_cpu_share", (cpu1 - cpu0) / (t1 - t0), "cpu-s/s");
}

/// E3: stream `total` bytes through one connection, reading the echo as it comes.
void stream(const char* phase) {
    const auto total = static_cast<std::uint64_t>(env_double("NET_E3_BYTES", 1073741824.0));
    constexpr std::size_t chunk = 64 * 1024, period = 251;
    std::vector<char> pat(chunk + period);
    for (std::size_t i = 0; i < pat.size(); ++i) pat[i] = char(i % period);
    std::vector<char> in(chunk);
    const int fd = connect_one(true);
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
    std::uint64_t sent = 0, received = 0;
    const double cpu0 = server_cpu(), t0 = now();
    while (received < total) {
        epoll_event got[1];
        const int n = epoll_wait(ep, got, 1, 30000);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        if (n == 0) fail("E3: stalled for 30 s");
        if ((got[0].events & EPOLLOUT) && sent < total) {
            const std::size_t len = std::size_t(std::min<std::uint64_t>(chunk, total - sent));
            const ssize_t w = write(fd, pat.data() + sent % period, len);
            if (w < 0 && errno != EAGAIN) die("write (E3)");
            if (w > 0) sent += std::uint64_t(w);
            if (sent == total) {
                ev.events = EPOLLIN;
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
            }
        }
        if (got[0].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            const ssize_t r = read(fd, in.data(), in.size());
            if (r < 0 && errno != EAGAIN) die("read (E3)");
            if (r == 0) fail("E3: the server closed the connection");
            if (r > 0) {
                if (std::memcmp(in.data(), pat.data() + received % period, std::size_t(r)) != 0) fail("E3: echo mismatch");
                received += std::uint64_t(r);
            }
        }
    }
    const double t1 = now(), cpu1 = server_cpu();
    close(fd);
    close(ep);
    result(phase, "mb_per_s", double(total) / 1e6 / (t1 - t0), "MB/s");
    result(phase, "cpu_us_per_mb", (cpu1 - cpu0) * 1e6 / (double(total) / 1e6), "us");
}

/// E4: RSS of the server per idle connection.
void idle(const char* phase) {
    const int n = int(env_double("NET_E4_CONNS", 10000));
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < rlim_t(n) + 64) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < rlim_t(n) + 64) fail("RLIMIT_NOFILE too low for E4");
    }
    const long rss0 = server_rss_kb();
    std::vector<int> fds;
    fds.reserve(std::size_t(n));
    constexpr int batch = 50;
    for (int i = 0; i < n; i += batch) {
        const int m = std::min(batch, n - i);
        for (int k = 0; k < m; ++k) fds.push_back(connect_one(false));
        for (int k = 0; k < m; ++k) {
            const int fd = fds[fds.size() - std::size_t(m) + std::size_t(k)];
            const char b = char('A' + k % 26);
            if (write(fd, &b, 1) != 1) die("write (E4)");
        }
        for (int k = 0; k < m; ++k) {
            const int fd = fds[fds.size() - std::size_t(m) + std::size_t(k)];
            char b = 0;
            const ssize_t r = read(fd, &b, 1);
            if (r != 1) die("read (E4)");
            if (b != char('A' + k % 26)) fail("E4: echo mismatch");
        }
    }
    usleep(200 * 1000);  // let the server settle
    const long rss1 = server_rss_kb();
    result(phase, "bytes_per_conn", double(rss1 - rss0) * 1024.0 / n, "B");
    result(phase, "rss_mb_at_n", double(rss1) / 1024.0, "MB");
    for (const int fd : fds) close(fd);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: loadgen PORT SERVER_PID PHASE...\n");
        return 2;
    }
    port = std::atoi(argv[1]);
    server_pid = std::atoi(argv[2]);
    for (int i = 3; i < argc; ++i) {
        const std::string p = argv[i];
        if (p == "E1") round_trips("E1", 1);
        else if (p == "E2") round_trips("E2", int(env_double("NET_E2_CONNS", 100)));
        else if (p == "E3") stream("E3");
        else if (p == "E4") idle("E4");
        else fail("unknown phase " + p);
    }
}
