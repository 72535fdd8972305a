// bench/net/floor_echo.cpp - the floor of the networking family: a bare level-triggered epoll
// echo loop on 127.0.0.1 with no library at all. Each readable connection is read once into
// one 64 KiB buffer and written back; what the socket does not take is kept and sent on
// EPOLLOUT, reading that connection paused meanwhile (the flow control every server needs
// for E3). Prints "PORT <n>" once listening; runs until killed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "floor_echo: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

struct Conn {
    std::string pending;  // bytes the socket did not take yet
};

}  // namespace

int main() {
    const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    const int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
    if (listen(lfd, 100) != 0) die("listen");
    socklen_t len = sizeof a;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
    std::printf("PORT %d\n", ntohs(a.sin_port));
    std::fflush(stdout);

    const int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::vector<Conn*> conns;
    static char buf[64 * 1024];
    epoll_event evs[256];
    for (;;) {
        const int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int k = 0; k < n; ++k) {
            const int fd = evs[k].data.fd;
            if (fd == lfd) {
                for (;;) {
                    const int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    if (std::size_t(c) >= conns.size()) conns.resize(std::size_t(c) + 1);
                    conns[std::size_t(c)] = new Conn;
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            Conn* c = conns[std::size_t(fd)];
            bool dead = false;
            if (!c->pending.empty()) {  // EPOLLOUT: send what is left, then read again
                const ssize_t w = write(fd, c->pending.data(), c->pending.size());
                if (w < 0 && errno != EAGAIN) dead = true;
                if (w > 0) c->pending.erase(0, std::size_t(w));
                if (!dead && c->pending.empty()) {
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = fd;
                    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
                }
            } else {
                const ssize_t r = read(fd, buf, sizeof buf);
                if (r <= 0) {
                    if (r == 0 || errno != EAGAIN) dead = true;
                } else {
                    const ssize_t w = write(fd, buf, std::size_t(r));
                    if (w < 0 && errno != EAGAIN) dead = true;
                    const std::size_t done = w > 0 ? std::size_t(w) : 0;
                    if (!dead && done < std::size_t(r)) {
                        c->pending.assign(buf + done, std::size_t(r) - done);
                        epoll_event cev{};
                        cev.events = EPOLLOUT;
                        cev.data.fd = fd;
                        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
                    }
                }
            }
            if (dead) {
                close(fd);  // also leaves the epoll set
                delete c;
                conns[std::size_t(fd)] = nullptr;
            }
        }
    }
}
