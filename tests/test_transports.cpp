// tests/test_transports.cpp - the selector socket transport with a Protocol
// (Python's _SelectorSocketTransport), over socketpairs and loopback TCP: what
// the protocol is told and in which order, flow control (64 KiB / 16 KiB),
// close / abort / write_eof, pause_reading, errors, and no fd left behind.
#include <asyncio/detail/selector_transport.hpp>

#include <asyncio/detail/datagram_transport.hpp>

#include <asyncio/runners.hpp>
#include <asyncio/selector_events.hpp>
#include <asyncio/tasks.hpp>

#include <gtest/gtest.h>

#include "support/fd_check.hpp"

#include <sys/socket.h>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace {

using asyncio::Task;
using asyncio::detail::SocketTransport;

/// What a RecordingProtocol saw; outlives the protocol (the transport deletes it).
struct Record {
    std::vector<std::string> events;  // "made", "data", "eof", "pause", "resume", "lost", "lost: <what>"
    std::string data;
    asyncio::Transport* transport = nullptr;
    bool keep_open_on_eof = false;
    bool throw_on_data = false;
    int lost_count = 0;
    std::exception_ptr lost_exc;
    asyncio::Future<void> lost;  // done at connection_lost

    explicit Record(asyncio::EventLoop& loop) : lost(loop) {}
};

class RecordingProtocol : public asyncio::Protocol {
public:
    explicit RecordingProtocol(Record& r) : r_(r) {}
    void connection_made(asyncio::Transport& t) override {
        r_.transport = &t;
        r_.events.push_back("made");
    }
    void data_received(std::string_view d) override {
        if (r_.throw_on_data) throw std::runtime_error("protocol failed");
        if (r_.events.empty() || r_.events.back() != "data") r_.events.push_back("data");
        r_.data.append(d);
    }
    bool eof_received() override {
        r_.events.push_back("eof");
        return r_.keep_open_on_eof;
    }
    void pause_writing() override { r_.events.push_back("pause"); }
    void resume_writing() override { r_.events.push_back("resume"); }
    void connection_lost(std::exception_ptr exc) override {
        ++r_.lost_count;
        r_.lost_exc = exc;
        r_.events.push_back("lost");
        r_.transport = nullptr;
        if (!r_.lost.done()) r_.lost.set_result();
    }

private:
    Record& r_;
};

struct Pair {
    asyncio::Socket peer;
    SocketTransport* transport;
};

/// A transport on one end of a socketpair (the other end returned as `peer`),
/// after connection_made.
Task<Pair> start(Record& rec) {
    auto [a, b] = asyncio::socketpair();
    auto& loop = asyncio::get_running_loop();
    asyncio::Future<void> made = loop.create_future<void>();
    SocketTransport* t = SocketTransport::start(loop, std::move(a), std::make_unique<RecordingProtocol>(rec), made);
    co_await made;
    Pair p{std::move(b), t};
    co_return std::move(p);
}

/// Reads from `sock` until EOF (bounded: at most `max` bytes).
Task<std::string> read_all(asyncio::Socket& sock, std::size_t max = 64 << 20) {
    std::string all;
    for (;;) {
        std::string chunk = co_await asyncio::get_running_loop().sock_recv(sock, 65536);
        if (chunk.empty() || all.size() > max) break;
        all += chunk;
    }
    co_return all;
}

template <class F>
void run(F body) {
    asyncio_test::FdLeakCheck fds;
    asyncio::run(body());
}

TEST(Transport, DataThenEofThenLostOnce) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        Pair p = co_await start(rec);
        EXPECT_EQ(rec.events, std::vector<std::string>{"made"});
        co_await loop.sock_sendall(p.peer, "hello ");
        co_await loop.sock_sendall(p.peer, "world");
        p.peer.shutdown(SHUT_WR);
        co_await rec.lost;
        EXPECT_EQ(rec.data, "hello world");
        EXPECT_EQ(rec.events, (std::vector<std::string>{"made", "data", "eof", "lost"}));
        EXPECT_EQ(rec.lost_count, 1);
        EXPECT_EQ(rec.lost_exc, nullptr);
        EXPECT_EQ(co_await read_all(p.peer), "");  // our side closed
    });
}

TEST(Transport, ExtraInfo) {
    run([]() -> Task<> {
        Record rec(asyncio::get_running_loop());
        Pair p = co_await start(rec);
        EXPECT_EQ(std::any_cast<int>(p.transport->get_extra_info("socket")), p.transport->fileno());
        EXPECT_EQ(std::any_cast<asyncio::SocketAddress>(p.transport->get_extra_info("peername")).family, AF_UNIX);
        EXPECT_FALSE(p.transport->get_extra_info("nothing").has_value());
        EXPECT_EQ(std::any_cast<int>(p.transport->get_extra_info("nothing", 7)), 7);
        p.transport->close();
        co_await rec.lost;
    });
}

TEST(Transport, WriteGoesOutAtOnceWhenTheSocketTakesIt) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        Pair p = co_await start(rec);
        p.transport->write("ping");
        EXPECT_EQ(p.transport->get_write_buffer_size(), 0u);
        EXPECT_EQ(co_await loop.sock_recv(p.peer, 100), "ping");
        std::vector<std::string> lines{"a", "b", "c"};
        p.transport->writelines(lines);
        EXPECT_EQ(co_await loop.sock_recv(p.peer, 100), "abc");
        p.transport->close();
        co_await rec.lost;
    });
}

TEST(Transport, FlowControlPausesAboveHighAndResumesAtLow) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        Pair p = co_await start(rec);
        EXPECT_EQ(p.transport->get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>(16384, 65536)));
        // Fill the socket first, then the buffer: pause_writing once above 64 KiB.
        const std::string chunk(16384, 'x');
        std::size_t written = 0;
        for (int i = 0; i < 1000 && rec.events.back() != "pause"; ++i) {
            p.transport->write(chunk);
            written += chunk.size();
        }
        EXPECT_EQ(rec.events.back(), "pause");
        EXPECT_GT(p.transport->get_write_buffer_size(), 65536u);
        EXPECT_LE(p.transport->get_write_buffer_size(), 65536u + chunk.size());
        // The peer reads: resume_writing once the buffer is at 16 KiB or less.
        std::string got;
        while (got.size() < written) {
            std::string d = co_await loop.sock_recv(p.peer, 65536);
            if (d.empty()) break;
            got += d;
            if (rec.events.back() == "resume") {
                EXPECT_LE(p.transport->get_write_buffer_size(), 16384u);
            }
        }
        EXPECT_EQ(got.size(), written);
        EXPECT_EQ(rec.events, (std::vector<std::string>{"made", "pause", "resume"}));
        p.transport->close();
        co_await rec.lost;
    });
}

TEST(Transport, SetWriteBufferLimits) {
    run([]() -> Task<> {
        Record rec(asyncio::get_running_loop());
        Pair p = co_await start(rec);
        p.transport->set_write_buffer_limits(std::nullopt, 100);
        EXPECT_EQ(p.transport->get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>(100, 400)));
        p.transport->set_write_buffer_limits(1000);
        EXPECT_EQ(p.transport->get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>(250, 1000)));
        try {
            p.transport->set_write_buffer_limits(10, 20);
            ADD_FAILURE() << "no exception";
        } catch (const asyncio::ValueError& e) {
            EXPECT_STREQ(e.what(), "high (10) must be >= low (20) must be >= 0");
        }
        p.transport->close();
        co_await rec.lost;
    });
}

TEST(Transport, CloseSendsTheBufferThenCloses) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        Pair p = co_await start(rec);
        const std::string big(4 << 20, 'z');
        p.transport->write(big);
        EXPECT_GT(p.transport->get_write_buffer_size(), 0u);
        p.transport->close();
        EXPECT_TRUE(p.transport->is_closing());
        p.transport->close();  // idempotent
        const std::string got = co_await read_all(p.peer);
        EXPECT_EQ(got.size(), big.size());
        co_await rec.lost;
        EXPECT_EQ(rec.lost_count, 1);
        EXPECT_EQ(rec.lost_exc, nullptr);
    });
}

TEST(Transport, AbortDropsTheBuffer) {
    run([]() -> Task<> {
        Record rec(asyncio::get_running_loop());
        Pair p = co_await start(rec);
        const std::string big(4 << 20, 'z');
        p.transport->write(big);
        p.transport->abort();
        p.transport = nullptr;
        const std::string got = co_await read_all(p.peer);
        EXPECT_LT(got.size(), big.size());
        co_await rec.lost;
        EXPECT_EQ(rec.lost_count, 1);
        EXPECT_EQ(rec.lost_exc, nullptr);
    });
}

TEST(Transport, CloseThenAbortLosesOnce) {
    run([]() -> Task<> {
        Record rec(asyncio::get_running_loop());
        Pair p = co_await start(rec);
        p.transport->write(std::string(1 << 20, 'q'));
        p.transport->close();
        p.transport->abort();
        p.transport->abort();
        co_await rec.lost;
        co_await asyncio::sleep(0);
        EXPECT_EQ(rec.lost_count, 1);
    });
}

TEST(Transport, WriteEofHalfCloses) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        Pair p = co_await start(rec);
        EXPECT_TRUE(p.transport->can_write_eof());
        p.transport->write("last words");
        p.transport->write_eof();
        EXPECT_THROW(p.transport->write("more"), std::runtime_error);
        EXPECT_EQ(co_await read_all(p.peer), "last words");
        // The other direction still works.
        co_await loop.sock_sendall(p.peer, "reply");
        p.peer.shutdown(SHUT_WR);
        co_await rec.lost;
        EXPECT_EQ(rec.data, "reply");
    });
}

TEST(Transport, EofReceivedTrueKeepsItOpenForWriting) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        rec.keep_open_on_eof = true;
        Pair p = co_await start(rec);
        p.peer.shutdown(SHUT_WR);
        for (int i = 0; i < 100 && rec.events.back() != "eof"; ++i) co_await asyncio::sleep(0);
        EXPECT_EQ(rec.events.back(), "eof");
        EXPECT_FALSE(p.transport->is_closing());
        p.transport->write("still here");
        p.transport->close();
        EXPECT_EQ(co_await read_all(p.peer), "still here");
        co_await rec.lost;
    });
}

TEST(Transport, PauseReadingStopsDataReceived) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        Pair p = co_await start(rec);
        EXPECT_TRUE(p.transport->is_reading());
        p.transport->pause_reading();
        p.transport->pause_reading();
        EXPECT_FALSE(p.transport->is_reading());
        co_await loop.sock_sendall(p.peer, "queued");
        for (int i = 0; i < 10; ++i) co_await asyncio::sleep(0);
        EXPECT_EQ(rec.data, "");
        p.transport->resume_reading();
        EXPECT_TRUE(p.transport->is_reading());
        for (int i = 0; i < 100 && rec.data.size() < 6; ++i) co_await asyncio::sleep(0);
        EXPECT_EQ(rec.data, "queued");
        p.transport->close();
        EXPECT_FALSE(p.transport->is_reading());
        co_await rec.lost;
    });
}

TEST(Transport, PeerResetIsConnectionResetError) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        // TCP on loopback: a close with SO_LINGER 0 sends RST.
        asyncio::Socket listener(AF_INET);
        listener.bind({AF_INET, "127.0.0.1", 0});
        listener.listen();
        asyncio::Socket client(AF_INET);
        const asyncio::SocketAddress server_addr = listener.getsockname();  // named: g++ 12 (docs/GCC12.md)
        co_await loop.sock_connect(client, server_addr);
        auto [server_side, addr] = co_await loop.sock_accept(listener);
        asyncio::Future<void> made = loop.create_future<void>();
        SocketTransport* t = SocketTransport::start(loop, std::move(client), std::make_unique<RecordingProtocol>(rec), made);
        co_await made;
        EXPECT_EQ(t->get_extra_info("peername").type(), typeid(asyncio::SocketAddress));
        linger lg{1, 0};
        ::setsockopt(server_side.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        server_side.close();
        co_await rec.lost;
        EXPECT_NE(rec.lost_exc, nullptr);
        try {
            std::rethrow_exception(rec.lost_exc);
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code(), std::errc::connection_reset);
        }
    });
}

TEST(Transport, TcpNoDelayIsSet) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        asyncio::Socket listener(AF_INET);
        listener.bind({AF_INET, "127.0.0.1", 0});
        listener.listen();
        asyncio::Socket client(AF_INET);
        const asyncio::SocketAddress server_addr = listener.getsockname();  // named: g++ 12 (docs/GCC12.md)
        co_await loop.sock_connect(client, server_addr);
        auto accepted = co_await loop.sock_accept(listener);
        asyncio::Future<void> made = loop.create_future<void>();
        SocketTransport* t = SocketTransport::start(loop, std::move(client), std::make_unique<RecordingProtocol>(rec), made);
        co_await made;
        int v = 0;
        socklen_t len = sizeof v;
        ::getsockopt(t->fileno(), IPPROTO_TCP, TCP_NODELAY, &v, &len);
        EXPECT_NE(v, 0);
        t->close();
        co_await rec.lost;
    });
}

TEST(Transport, ProtocolErrorClosesWithThatError) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        rec.throw_on_data = true;
        Pair p = co_await start(rec);
        co_await loop.sock_sendall(p.peer, "x");
        co_await rec.lost;
        EXPECT_NE(rec.lost_exc, nullptr);
        try {
            std::rethrow_exception(rec.lost_exc);
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "protocol failed");
        }
    });
}

TEST(Transport, WritesAfterTheConnectionIsLostAreIgnored) {
    run([]() -> Task<> {
        Record rec(asyncio::get_running_loop());
        Pair p = co_await start(rec);
        p.transport->abort();
        p.transport->write("ignored");  // still valid until connection_lost has run
        co_await rec.lost;
        EXPECT_EQ(rec.lost_count, 1);
    });
}

class Buffered : public asyncio::BufferedProtocol {
public:
    explicit Buffered(Record& r) : r_(r) {}
    void connection_made(asyncio::Transport&) override { r_.events.push_back("made"); }
    std::span<std::byte> get_buffer(std::size_t sizehint) override {
        EXPECT_GT(sizehint, 0u);
        return std::span<std::byte>(buf_, sizeof buf_);  // small: several reads per message
    }
    void buffer_updated(std::size_t n) override { r_.data.append(reinterpret_cast<const char*>(buf_), n); }
    void connection_lost(std::exception_ptr) override {
        r_.events.push_back("lost");
        r_.lost.set_result();
    }

private:
    Record& r_;
    std::byte buf_[7];
};

TEST(Transport, BufferedProtocolReadsIntoItsBuffer) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Record rec(loop);
        auto [a, b] = asyncio::socketpair();
        SocketTransport::start(loop, std::move(a), std::make_unique<Buffered>(rec));
        co_await loop.sock_sendall(b, "a message longer than seven bytes");
        b.shutdown(SHUT_WR);
        co_await rec.lost;
        EXPECT_EQ(rec.data, "a message longer than seven bytes");
        EXPECT_EQ(rec.events, (std::vector<std::string>{"made", "lost"}));
    });
}

TEST(Transport, ClosingTheLoopClosesTransports) {
    asyncio_test::FdLeakCheck fds;
    int lost = 0;
    {
        asyncio::EventLoop loop;
        struct P : asyncio::Protocol {
            int* lost;
            explicit P(int* l) : lost(l) {}
            void connection_lost(std::exception_ptr) override { ++*lost; }
        };
        auto [a, b] = asyncio::socketpair();
        auto [c, d] = asyncio::socketpair();
        SocketTransport::start(loop, std::move(a), std::make_unique<P>(&lost));
        SocketTransport* t2 = SocketTransport::start(loop, std::move(c), std::make_unique<P>(&lost));
        loop.run_until_complete(asyncio::sleep(0));
        t2->write(std::string(1 << 20, 'w'));  // a buffer left unsent
        auto [e, f] = asyncio::socketpair();
        SocketTransport::start(loop, std::move(e), std::make_unique<P>(&lost));  // never made
        loop.close();
    }
    EXPECT_EQ(lost, 2);  // the two whose connection_made ran
}

// ---- datagrams (Python's _SelectorDatagramTransport, create_datagram_endpoint) ----

struct Datagrams {
    std::vector<std::pair<std::string, asyncio::SocketAddress>> received;
    std::vector<std::error_code> errors;
    int lost = 0;
    asyncio::Future<void> got;   // set at the first datagram or error
    asyncio::Future<void> gone;  // set at connection_lost
    explicit Datagrams(asyncio::EventLoop& loop) : got(loop), gone(loop) {}
};

class RecordingDatagrams : public asyncio::DatagramProtocol {
public:
    explicit RecordingDatagrams(Datagrams& d) : d_(d) {}
    void datagram_received(std::string_view data, const asyncio::SocketAddress& addr) override {
        d_.received.emplace_back(std::string(data), addr);
        if (!d_.got.done()) d_.got.set_result();
    }
    void error_received(std::exception_ptr exc) override {
        try {
            std::rethrow_exception(exc);
        } catch (const std::system_error& e) {
            d_.errors.push_back(e.code());
        }
        if (!d_.got.done()) d_.got.set_result();
    }
    void connection_lost(std::exception_ptr) override {
        ++d_.lost;
        d_.gone.set_result();
    }

private:
    Datagrams& d_;
};

TEST(Datagram, EndpointsExchangeDatagrams) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        Datagrams a(loop), b(loop);
        auto fa = [&a] { return std::make_unique<RecordingDatagrams>(a); };
        const asyncio::SocketAddress local{AF_INET, "127.0.0.1", 0};  // named: g++ 12 (docs/GCC12.md)
        auto [ta, pa] = co_await asyncio::detail::create_datagram_endpoint(loop, fa, local, std::nullopt);
        const auto a_addr = std::any_cast<asyncio::SocketAddress>(ta->get_extra_info("sockname"));
        auto fb = [&b] { return std::make_unique<RecordingDatagrams>(b); };
        auto [tb, pb] = co_await asyncio::detail::create_datagram_endpoint(loop, fb, std::nullopt, a_addr);
        EXPECT_EQ(std::any_cast<asyncio::SocketAddress>(tb->get_extra_info("peername")), a_addr);
        tb->sendto("hello");
        co_await a.got;
        EXPECT_EQ(a.received.size(), 1u);
        EXPECT_EQ(a.received.at(0).first, "hello");
        const asyncio::SocketAddress b_addr = a.received.at(0).second;
        EXPECT_EQ(b_addr, std::any_cast<asyncio::SocketAddress>(tb->get_extra_info("sockname")));
        ta->sendto("world", &b_addr);
        co_await b.got;
        EXPECT_EQ(b.received.at(0).first, "world");
        // A connected endpoint takes its peer's address or none; an unconnected one needs one.
        const asyncio::SocketAddress other{AF_INET, "127.0.0.1", 9};
        EXPECT_THROW(tb->sendto("x", &other), asyncio::ValueError);
        EXPECT_THROW(ta->sendto("x"), asyncio::ValueError);
        (void)pa;
        (void)pb;
        ta->close();
        tb->close();
        tb->close();
        co_await a.gone;
        co_await b.gone;
        EXPECT_EQ(a.lost + b.lost, 2);
    });
}

TEST(Datagram, SendingToAClosedPortReportsErrorReceived) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        asyncio::Socket probe(AF_INET, SOCK_DGRAM);
        probe.bind({AF_INET, "127.0.0.1", 0});
        const auto closed_port = probe.getsockname();
        probe.close();
        Datagrams d(loop);
        auto f = [&d] { return std::make_unique<RecordingDatagrams>(d); };
        auto [t, p] = co_await asyncio::detail::create_datagram_endpoint(loop, f, std::nullopt, closed_port);
        (void)p;
        for (int i = 0; i < 50 && d.errors.empty(); ++i) {  // the ICMP error comes back at a later send or receive
            t->sendto("anyone?");
            co_await asyncio::sleep(0.01);
        }
        EXPECT_FALSE(d.errors.empty());
        if (!d.errors.empty()) {
            EXPECT_EQ(d.errors.front(), std::errc::connection_refused);
        }
        t->abort();
        co_await d.gone;
    });
}

}  // namespace
