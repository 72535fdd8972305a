// Tests of <asyncio/selector_events.hpp>: the loop's sock_* operations on socketpairs and
// on loopback TCP (IPv4, IPv6) and Unix-path connections: large transfers to a slow
// reader, end of stream, reset, refused, accept, UDP, cancellation at every await (the fd
// is left unregistered, no byte is lost), signals during a transfer, a CPython 3.13 peer.
// Every test checks that the descriptors open after it are the ones open before it.
#include <asyncio/selector_events.hpp>

#include <gtest/gtest.h>

#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/timeouts.hpp>

#include "support/fd_check.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

namespace {

using asyncio::EventLoop;
using asyncio::Socket;
using asyncio::SocketAddress;
using asyncio::Task;

// --- fixtures and helpers -----------------------------------------------------------------

/// Each test: no descriptor leaks (tests/support/fd_check.hpp), and a temporary
/// directory for Unix socket paths.
class FdChecked : public asyncio_test::FdCheckedTest {
protected:
    void SetUp() override {
        char dir[] = "/tmp/asyncio-sockops-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        dir_ = dir;
    }
    void TearDown() override {
        for (const char* name : {"/listener.sock", "/gone.sock"}) ::unlink((dir_ + name).c_str());
        EXPECT_EQ(::rmdir(dir_.c_str()), 0) << dir_;
    }

public:
    std::string path(const char* name) const { return dir_ + name; }

private:
    std::string dir_;
};

/// The four ways two connected stream sockets are made here.
enum class Kind { socketpair, tcp4, tcp6, unix_path };

std::string kind_name(const ::testing::TestParamInfo<Kind>& info) {
    switch (info.param) {
    case Kind::socketpair: return "socketpair";
    case Kind::tcp4: return "tcp4";
    case Kind::tcp6: return "tcp6";
    case Kind::unix_path: return "unix_path";
    }
    return "unknown";
}

class SockOps : public FdChecked, public ::testing::WithParamInterface<Kind> {
public:
    /// A listening socket of this test's kind (not for Kind::socketpair).
    Socket listener() const {
        const Kind kind = GetParam();
        const int family = kind == Kind::tcp4 ? AF_INET : kind == Kind::tcp6 ? AF_INET6 : AF_UNIX;
        Socket s(family);
        if (kind == Kind::tcp4) s.bind({AF_INET, "127.0.0.1", 0});
        if (kind == Kind::tcp6) s.bind({AF_INET6, "::1", 0});
        if (kind == Kind::unix_path) {
            const std::string p = path("/listener.sock");
            ::unlink(p.c_str());  // left by an earlier listener of the same test
            s.bind({AF_UNIX, p});
        }
        s.listen();
        return s;
    }
    bool is_tcp() const { return GetParam() == Kind::tcp4 || GetParam() == Kind::tcp6; }
};

using Pair = std::pair<Socket, Socket>;

/// Two connected sockets of `kind`; for the connected kinds, made with sock_connect and
/// sock_accept running at the same time.
Task<Pair> connected_pair(Kind kind, Socket listener) {
    if (kind == Kind::socketpair) {
        Pair pair = asyncio::socketpair();
        co_return std::move(pair);
    }
    EventLoop& loop = asyncio::get_running_loop();
    const SocketAddress address = listener.getsockname();
    Socket client(address.family);
    Task<std::pair<Socket, SocketAddress>> accepting = loop.create_task(loop.sock_accept(listener));
    co_await loop.sock_connect(client, address);
    std::pair<Socket, SocketAddress> accepted = co_await std::move(accepting);
    EXPECT_FALSE(accepted.first.blocking());
    EXPECT_EQ(accepted.second, client.getsockname());
    Pair pair(std::move(client), std::move(accepted.first));
    co_return std::move(pair);
}

Task<Pair> make_pair(const SockOps& t) {
    Socket l = t.GetParam() == Kind::socketpair ? Socket(AF_UNIX) : t.listener();
    return connected_pair(t.GetParam(), std::move(l));
}

/// `n` bytes of a pattern that does not repeat with any short period.
std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    std::uint32_t x = 12345;
    for (char& c : s) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 24);
    }
    return s;
}

/// Reads what `sock` holds right now (raw, non-blocking), at most `limit` bytes.
std::string drain_now(const Socket& sock, std::size_t limit) {
    std::string out;
    char buf[65536];
    while (out.size() < limit) {
        const ssize_t n = ::recv(sock.fileno(), buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

/// Awaits `task` (a copy of the handle: its value stays in it); true if it ended cancelled.
template <class T>
Task<bool> ends_cancelled(Task<T> task) {
    try {
        co_await task;
    } catch (const asyncio::CancelledError&) {
        co_return true;
    }
    co_return false;
}

/// Awaits `task`, expecting a std::system_error; returns it (code and message).
template <class T>
Task<std::pair<std::error_code, std::string>> os_error_of(Task<T> task) {
    try {
        co_await std::move(task);
    } catch (const std::system_error& e) {
        std::pair<std::error_code, std::string> error(e.code(), e.what());
        co_return std::move(error);
    }
    co_return std::pair<std::error_code, std::string>();
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// --- transfers ------------------------------------------------------------------------------

Task<void> sendall_to_slow_reader(const SockOps& t) {
    EventLoop& loop = asyncio::get_running_loop();
    Pair pair = co_await make_pair(t);
    Socket& a = pair.first;
    Socket& b = pair.second;
    const std::string data = pattern(std::size_t{16} << 20);
    EXPECT_LT(a.getsockopt(SOL_SOCKET, SO_SNDBUF), 16 << 20) << "the premise: sends must be partial";
    Task<void> writer = loop.create_task(loop.sock_sendall(a, data));
    co_await asyncio::sleep(0);
    EXPECT_FALSE(writer.done()) << "sock_sendall waits for a full buffer to drain";
    std::string received;
    received.reserve(data.size());
    // Bounded: each recv returns at least one byte, or "" at end of stream.
    while (received.size() < data.size()) {
        std::string chunk = co_await loop.sock_recv(b, 8192);
        if (chunk.empty()) break;
        received += chunk;
        co_await asyncio::sleep(0);
    }
    co_await std::move(writer);
    EXPECT_EQ(received.size(), data.size());
    EXPECT_TRUE(received == data) << "the bytes arrive in order, each once";
    EXPECT_FALSE(loop.remove_writer(a.fileno()));
    EXPECT_FALSE(loop.remove_reader(b.fileno()));
}

TEST_P(SockOps, SendallOf16MiBToASlowReader) { asyncio::run(sendall_to_slow_reader(*this)); }

Task<void> end_of_stream(const SockOps& t) {
    EventLoop& loop = asyncio::get_running_loop();
    Pair pair = co_await make_pair(t);
    co_await loop.sock_sendall(pair.first, "last words");
    pair.first.close();
    const std::string first = co_await loop.sock_recv(pair.second, 100);
    const std::string end = co_await loop.sock_recv(pair.second, 100);
    const std::string again = co_await loop.sock_recv(pair.second, 100);
    EXPECT_EQ(first, "last words");
    EXPECT_EQ(end, "");
    EXPECT_EQ(again, "") << "and again";
}

TEST_P(SockOps, EndOfStreamIsAnEmptyString) { asyncio::run(end_of_stream(*this)); }

/// The peer resets while we wait in sock_recv: TCP with SO_LINGER 0; a Unix socket by
/// closing with data unread.
Task<void> peer_reset(const SockOps& t) {
    EventLoop& loop = asyncio::get_running_loop();
    Pair pair = co_await make_pair(t);
    Task<std::string> reading = loop.create_task(loop.sock_recv(pair.second, 100));
    co_await asyncio::sleep(0);
    if (t.is_tcp()) {
        const linger hard{1, 0};
        EXPECT_EQ(::setsockopt(pair.first.fileno(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard), 0);
    } else {
        EXPECT_EQ(::send(pair.second.fileno(), "unread", 6, 0), 6);
    }
    pair.first.close();
    const auto [code, what] = co_await os_error_of(std::move(reading));
    EXPECT_EQ(code, std::errc::connection_reset) << what;
    EXPECT_TRUE(starts_with(what, "recv: ")) << what;
    EXPECT_FALSE(loop.remove_reader(pair.second.fileno()));
}

TEST_P(SockOps, PeerResetIsConnectionReset) { asyncio::run(peer_reset(*this)); }

/// Writing to a closed peer: EPIPE (after ECONNRESET, for TCP), never SIGPIPE.
Task<void> broken_pipe(const SockOps& t) {
    EventLoop& loop = asyncio::get_running_loop();
    Pair pair = co_await make_pair(t);
    pair.first.close();
    const std::string data = pattern(std::size_t{1} << 20);
    std::error_code code;
    std::string what;
    // TCP: the first data may be accepted before the peer's RST comes back; bounded retries.
    for (int attempt = 0; attempt < 50 && !code; ++attempt) {
        std::pair<std::error_code, std::string> error = co_await os_error_of(loop.sock_sendall(pair.second, data));
        code = error.first;
        what = error.second;
        co_await asyncio::sleep(0);
    }
    if (t.is_tcp()) {
        EXPECT_TRUE(code == std::errc::broken_pipe || code == std::errc::connection_reset) << what;
    } else {
        EXPECT_EQ(code, std::errc::broken_pipe) << what;
    }
    EXPECT_TRUE(starts_with(what, "send: ")) << what;
    EXPECT_FALSE(loop.remove_writer(pair.second.fileno()));
}

TEST_P(SockOps, SendingToAClosedPeerIsBrokenPipe) { asyncio::run(broken_pipe(*this)); }

Task<void> raw_fds_and_spans(const SockOps& t) {
    EventLoop& loop = asyncio::get_running_loop();
    Pair pair = co_await make_pair(t);
    const int a = pair.first.fileno();
    const int b = pair.second.fileno();
    const std::string text = "bytes through a raw fd";
    const std::span<const std::byte> bytes = std::as_bytes(std::span(text));
    co_await loop.sock_sendall(a, bytes);
    std::byte buf[64] = {};
    std::size_t got = 0;
    while (got < text.size()) {  // bounded: each recv_into returns at least one byte or 0 at EOF
        const std::size_t n = co_await loop.sock_recv_into(b, std::span(buf).subspan(got));
        if (n == 0) break;
        got += n;
    }
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf), got), text);
    co_await loop.sock_sendall(pair.second, std::string_view("back"));
    Task<std::size_t> into = loop.sock_recv_into(pair.first, std::span(buf));
    const std::size_t n = co_await std::move(into);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf), n), "back");
    const std::string nothing = co_await loop.sock_recv(a, 0);
    EXPECT_EQ(nothing, "");  // nbytes 0: Python returns b'' too
}

TEST_P(SockOps, RawFdsAndByteSpans) { asyncio::run(raw_fds_and_spans(*this)); }

// --- cancellation ---------------------------------------------------------------------------

/// A reader cancelled after `turns` loop iterations in which data has arrived: either it
/// got the data, or it was cancelled and the next recv gets every byte.
Task<void> cancelled_recv(const SockOps& t, int turns) {
    EventLoop& loop = asyncio::get_running_loop();
    Pair pair = co_await make_pair(t);
    Task<std::string> reading = loop.create_task(loop.sock_recv(pair.second, 100));
    co_await asyncio::sleep(0);
    EXPECT_FALSE(reading.done()) << "it waits in sock_recv";
    co_await loop.sock_sendall(pair.first, "hello");
    for (int i = 0; i < turns; ++i) co_await asyncio::sleep(0);
    reading.cancel();
    const bool cancelled = co_await ends_cancelled(reading);
    if (cancelled) {
        const std::string next = co_await loop.sock_recv(pair.second, 100);
        EXPECT_EQ(next, "hello") << "no byte lost";
    } else {
        EXPECT_EQ(reading.result(), "hello") << "it was done before the cancel";
    }
    EXPECT_FALSE(loop.remove_reader(pair.second.fileno())) << "the fd is unregistered";
}

TEST_P(SockOps, CancelledRecvLeavesTheFdUnregisteredAndLosesNoByte) {
    for (int turns = 0; turns < 4; ++turns) {
        SCOPED_TRACE("turns " + std::to_string(turns));
        asyncio::run(cancelled_recv(*this, turns));
    }
}

Task<void> cancelled_recv_before_data(const SockOps& t) {
    EventLoop& loop = asyncio::get_running_loop();
    Pair pair = co_await make_pair(t);
    Task<std::string> reading = loop.create_task(loop.sock_recv(pair.second, 100));
    co_await asyncio::sleep(0);
    reading.cancel();
    const bool cancelled = co_await ends_cancelled(std::move(reading));
    EXPECT_TRUE(cancelled);
    EXPECT_FALSE(loop.remove_reader(pair.second.fileno()));
    co_await loop.sock_sendall(pair.first, "later");
    const std::string later = co_await loop.sock_recv(pair.second, 100);
    EXPECT_EQ(later, "later");
}

TEST_P(SockOps, CancelledRecvBeforeAnyData) { asyncio::run(cancelled_recv_before_data(*this)); }

/// A writer cancelled while it waits for room: what it had sent arrives, in order,
/// and the connection goes on.
Task<void> cancelled_sendall(const SockOps& t) {
    EventLoop& loop = asyncio::get_running_loop();
    Pair pair = co_await make_pair(t);
    const std::string data = pattern(std::size_t{16} << 20);
    Task<void> writing = loop.create_task(loop.sock_sendall(pair.first, data));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_FALSE(writing.done()) << "it waits in sock_sendall";
    writing.cancel();
    const bool cancelled = co_await ends_cancelled(std::move(writing));
    EXPECT_TRUE(cancelled);
    EXPECT_FALSE(loop.remove_writer(pair.first.fileno())) << "the fd is unregistered";
    const std::string sent = drain_now(pair.second, data.size());
    EXPECT_GT(sent.size(), 0u);
    EXPECT_LT(sent.size(), data.size());
    EXPECT_TRUE(sent == data.substr(0, sent.size())) << "a prefix, in order";
    co_await loop.sock_sendall(pair.first, "tail");
    const std::string tail = co_await loop.sock_recv(pair.second, 100);
    EXPECT_EQ(tail, "tail");
}

TEST_P(SockOps, CancelledSendallLeavesTheFdUnregistered) { asyncio::run(cancelled_sendall(*this)); }

/// An accept cancelled while it waits; a connection that came in the meantime is not lost.
Task<void> cancelled_accept(const SockOps& t) {
    EventLoop& loop = asyncio::get_running_loop();
    Socket server = t.listener();
    const SocketAddress address = server.getsockname();
    Task<std::pair<Socket, SocketAddress>> accepting = loop.create_task(loop.sock_accept(server));
    co_await asyncio::sleep(0);
    EXPECT_FALSE(accepting.done());
    Socket client(address.family);
    Task<void> connecting = loop.create_task(loop.sock_connect(client, address));
    accepting.cancel();
    const bool cancelled = co_await ends_cancelled(std::move(accepting));
    EXPECT_TRUE(cancelled);
    EXPECT_FALSE(loop.remove_reader(server.fileno())) << "the fd is unregistered";
    co_await std::move(connecting);
    std::pair<Socket, SocketAddress> accepted = co_await loop.sock_accept(server);
    EXPECT_EQ(accepted.second, client.getsockname()) << "the connection was kept";
    co_await loop.sock_sendall(accepted.first, "hi");
    const std::string hi = co_await loop.sock_recv(client, 10);
    EXPECT_EQ(hi, "hi");
}

/// A connect cancelled at its await: the fd is unregistered.
Task<void> cancelled_connect(const SockOps& t) {
    EventLoop& loop = asyncio::get_running_loop();
    Socket server = t.listener();
    Socket client(server.family());
    const SocketAddress address = server.getsockname();
    Task<void> connecting = loop.create_task(loop.sock_connect(client, address));
    co_await asyncio::sleep(0);
    const bool waited = !connecting.done();
    if (t.is_tcp()) {
        EXPECT_TRUE(waited) << "a non-blocking TCP connect is in progress at first";
    }
    connecting.cancel();
    const bool cancelled = co_await ends_cancelled(std::move(connecting));
    EXPECT_EQ(cancelled, waited);
    EXPECT_FALSE(loop.remove_writer(client.fileno())) << "the fd is unregistered";
}

/// The kinds with a listener (all but the socketpair).
class Listening : public SockOps {};

TEST_P(Listening, CancelledAcceptLeavesTheFdUnregisteredAndKeepsTheConnection) {
    asyncio::run(cancelled_accept(*this));
}

TEST_P(Listening, CancelledConnectLeavesTheFdUnregistered) { asyncio::run(cancelled_connect(*this)); }

/// Two reads of one fd at once: the second replaces the first one's registration (as
/// Python's add_reader); the first fails at once with a clear error instead of hanging, and
/// leaves the second registered.
Task<void> two_readers_of_one_fd() {
    EventLoop& loop = asyncio::get_running_loop();
    Pair pair = asyncio::socketpair();
    Task<std::string> first = loop.create_task(loop.sock_recv(pair.second, 100));
    co_await asyncio::sleep(0);
    Task<std::string> second = loop.create_task(loop.sock_recv(pair.second, 100));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(first.done());
    std::string error;
    try {
        co_await first;
    } catch (const std::runtime_error& e) {
        error = e.what();
    }
    EXPECT_EQ(error, "another reader of fd " + std::to_string(pair.second.fileno()) +
                         " replaced the one a sock_* operation was waiting on");
    EXPECT_FALSE(second.done());
    co_await loop.sock_sendall(pair.first, "for the second");
    const std::string got = co_await std::move(second);
    EXPECT_EQ(got, "for the second");
    EXPECT_FALSE(loop.remove_reader(pair.second.fileno()));
}

TEST_F(FdChecked, ASecondReaderOfOneFdMakesTheFirstFail) { asyncio::run(two_readers_of_one_fd()); }

/// A loop closed while operations wait: their registrations go, their frames are destroyed,
/// nothing leaks (the fd check; AddressSanitizer in the asan build).
TEST_F(FdChecked, ClosingTheLoopWithOperationsWaiting) {
    Pair pair = asyncio::socketpair();
    const std::string data = pattern(std::size_t{4} << 20);
    {
        EventLoop loop;
        // A reader and a writer of one fd: nothing comes from the other end, too much goes to it.
        Task<std::string> reading = loop.create_task(loop.sock_recv(pair.first, 100));
        Task<void> writing = loop.create_task(loop.sock_sendall(pair.first, data));
        loop.run_until_complete(asyncio::sleep(0));
        EXPECT_FALSE(reading.done());
        EXPECT_FALSE(writing.done());
        loop.close();
    }
    const std::string sent = drain_now(pair.second, data.size());
    EXPECT_GT(sent.size(), 0u);
    EXPECT_TRUE(sent == data.substr(0, sent.size())) << "a prefix, in order";
}

/// A Unix listener with a full backlog: connect() says EAGAIN and starts nothing (the
/// socket polls writable); sock_connect waits until the server accepts, then connects.
Task<void> unix_connect_to_a_full_backlog(std::string path) {
    EventLoop& loop = asyncio::get_running_loop();
    Socket server(AF_UNIX);
    server.bind({AF_UNIX, path});
    server.listen(0);
    const SocketAddress address = server.getsockname();
    Socket first(AF_UNIX);
    co_await loop.sock_connect(first, address);  // fills the backlog
    Socket second(AF_UNIX);
    Task<void> connecting = loop.create_task(loop.sock_connect(second, address));
    for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
    EXPECT_FALSE(connecting.done()) << "it waits for room in the backlog";
    std::pair<Socket, SocketAddress> one = co_await loop.sock_accept(server);
    co_await asyncio::wait_for(connecting, 30.0);  // a guard against a hang, not a timing check
    std::pair<Socket, SocketAddress> two = co_await loop.sock_accept(server);
    co_await loop.sock_sendall(second, "second");
    const std::string got = co_await loop.sock_recv(two.first, 100);
    EXPECT_EQ(got, "second");
}

TEST_F(FdChecked, UnixConnectWaitsForRoomInAFullBacklog) {
    asyncio::run(unix_connect_to_a_full_backlog(path("/listener.sock")));
}

// --- errors ---------------------------------------------------------------------------------

Task<void> connection_refused(int family, SocketAddress address, std::string prefix) {
    EventLoop& loop = asyncio::get_running_loop();
    Socket client(family);
    const auto [code, what] = co_await os_error_of(loop.sock_connect(client, address));
    EXPECT_EQ(code, std::errc::connection_refused) << what;
    EXPECT_EQ(what.substr(0, prefix.size()), prefix);
    EXPECT_FALSE(loop.remove_writer(client.fileno()));
}

TEST_F(FdChecked, ConnectionRefusedNamesTheAddress) {
    for (const SocketAddress& any : {SocketAddress{AF_INET, "127.0.0.1", 0}, SocketAddress{AF_INET6, "::1", 0}}) {
        SocketAddress address;
        {
            Socket gone(any.family);
            gone.bind(any);
            address = gone.getsockname();
        }  // closed: nothing listens on that port now
        const std::string prefix =
            "connect to " + address.host + ":" + std::to_string(address.port) + ": Connection refused";
        asyncio::run(connection_refused(any.family, address, prefix));
    }
    const std::string gone = path("/gone.sock");
    {
        Socket s(AF_UNIX);
        s.bind({AF_UNIX, gone});
    }  // the path exists, nobody listens
    asyncio::run(connection_refused(AF_UNIX, {AF_UNIX, gone}, "connect to " + gone + ": Connection refused"));
}

Task<void> blocking_sockets_refused() {
    EventLoop& loop = asyncio::get_running_loop();
    Socket s;
    s.setblocking(true);
    int refused = 0;
    auto expect_refused = [&](const char* what) {
        try {
            throw;
        } catch (const std::invalid_argument& e) {
            EXPECT_STREQ(e.what(), "the socket must be non-blocking") << what;
            ++refused;
        }
    };
    std::byte buf[4];
    const SocketAddress nowhere{AF_INET, "127.0.0.1", 9};
    try { co_await loop.sock_recv(s, 4); } catch (...) { expect_refused("recv"); }
    try { co_await loop.sock_recv_into(s, std::span(buf)); } catch (...) { expect_refused("recv_into"); }
    try { co_await loop.sock_sendall(s, "x"); } catch (...) { expect_refused("sendall"); }
    try { co_await loop.sock_connect(s, nowhere); } catch (...) { expect_refused("connect"); }
    try { co_await loop.sock_accept(s); } catch (...) { expect_refused("accept"); }
    try { co_await loop.sock_recvfrom(s, 4); } catch (...) { expect_refused("recvfrom"); }
    try { co_await loop.sock_sendto(s, "x", nowhere); } catch (...) { expect_refused("sendto"); }
#ifndef NDEBUG
    // A raw fd's mode is checked in debug builds only.
    try { co_await loop.sock_recv(s.fileno(), 4); } catch (...) { expect_refused("raw recv"); }
    EXPECT_EQ(refused, 8);
#else
    EXPECT_EQ(refused, 7);
#endif
    EXPECT_FALSE(loop.remove_reader(s.fileno()));
    EXPECT_FALSE(loop.remove_writer(s.fileno()));
}

TEST_F(FdChecked, BlockingSocketsAreRefused) { asyncio::run(blocking_sockets_refused()); }

Task<void> closed_socket() {
    EventLoop& loop = asyncio::get_running_loop();
    Socket s;
    s.close();
    const auto [code, what] = co_await os_error_of(loop.sock_recv(s, 4));
    EXPECT_EQ(code, std::errc::bad_file_descriptor);
    EXPECT_EQ(what, "recv: Bad file descriptor");
    bool invalid = false;
    const SocketAddress named{AF_INET, "localhost", 80};
    try {
        co_await loop.sock_connect(s, named);
    } catch (const std::invalid_argument&) {
        invalid = true;
    }
    EXPECT_TRUE(invalid) << "a host name is refused, at the await";
}

TEST_F(FdChecked, ClosedSocketsAndBadAddresses) { asyncio::run(closed_socket()); }

// --- UDP ------------------------------------------------------------------------------------

Task<void> datagrams(SocketAddress where) {
    EventLoop& loop = asyncio::get_running_loop();
    Socket a(where.family, SOCK_DGRAM);
    Socket b(where.family, SOCK_DGRAM);
    a.bind(where);
    b.bind(where);
    const SocketAddress to_a = a.getsockname();
    Task<std::pair<std::string, SocketAddress>> receiving = loop.create_task(loop.sock_recvfrom(a, 100));
    co_await asyncio::sleep(0);
    EXPECT_FALSE(receiving.done()) << "it waits in sock_recvfrom";
    const std::size_t sent = co_await loop.sock_sendto(b, "datagram", to_a);
    EXPECT_EQ(sent, 8u);
    std::pair<std::string, SocketAddress> got = co_await std::move(receiving);
    EXPECT_EQ(got.first, "datagram");
    EXPECT_EQ(got.second, b.getsockname());
    const std::size_t sent_empty = co_await loop.sock_sendto(b.fileno(), "", to_a);
    EXPECT_EQ(sent_empty, 0u);
    std::pair<std::string, SocketAddress> empty = co_await loop.sock_recvfrom(a.fileno(), 100);
    EXPECT_EQ(empty.first, "");
    EXPECT_FALSE(loop.remove_reader(a.fileno()));
}

TEST_F(FdChecked, DatagramsOverIPv4AndIPv6) {
    asyncio::run(datagrams({AF_INET, "127.0.0.1", 0}));
    asyncio::run(datagrams({AF_INET6, "::1", 0}));
}

// --- signals: system calls interrupted during a transfer --------------------------------------

void on_alarm(int) {}

TEST_P(SockOps, TransferUnderATimerSignalEveryMillisecond) {
    struct sigaction action {};
    action.sa_handler = on_alarm;  // no SA_RESTART: blocking calls return EINTR
    sigemptyset(&action.sa_mask);
    struct sigaction previous {};
    ASSERT_EQ(::sigaction(SIGALRM, &action, &previous), 0);
    const itimerval every_ms{{0, 1000}, {0, 1000}};
    ASSERT_EQ(::setitimer(ITIMER_REAL, &every_ms, nullptr), 0);
    asyncio::run(sendall_to_slow_reader(*this));
    const itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    ::sigaction(SIGALRM, &previous, nullptr);
}

INSTANTIATE_TEST_SUITE_P(Kinds, SockOps,
                         ::testing::Values(Kind::socketpair, Kind::tcp4, Kind::tcp6, Kind::unix_path),
                         kind_name);
INSTANTIATE_TEST_SUITE_P(Kinds, Listening, ::testing::Values(Kind::tcp4, Kind::tcp6, Kind::unix_path), kind_name);

// --- a CPython 3.13 peer --------------------------------------------------------------------

std::string python313() {
    if (const char* p = std::getenv("ASYNCIO_PYTHON313")) return p;
    std::string root;
    if (const char* r = std::getenv("PYENV_ROOT")) root = r;
    if (root.empty()) {
        if (const char* home = std::getenv("HOME")) root = std::string(home) + "/.pyenv";
    }
    std::string python = root + "/versions/3.13.0/bin/python3";
    return ::access(python.c_str(), X_OK) == 0 ? python : std::string();
}

// An asyncio echo server on 127.0.0.1, port 0: prints "<pid> <port>", echoes one client,
// exits when that client has gone (or after 60 s).
constexpr const char* echo_server = R"(
import asyncio, os
async def main():
    done = asyncio.Event()
    async def handle(reader, writer):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()
        done.set()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(os.getpid(), server.sockets[0].getsockname()[1], flush=True)
    try:
        await asyncio.wait_for(done.wait(), 60)
    finally:
        server.close()
asyncio.run(main())
)";

Task<std::string> echo_through(std::uint16_t port, std::string data) {
    EventLoop& loop = asyncio::get_running_loop();
    Socket s;
    const SocketAddress server{AF_INET, "127.0.0.1", port};
    co_await loop.sock_connect(s, server);
    Task<void> writing = loop.create_task(loop.sock_sendall(s, data));
    std::string echoed;
    while (echoed.size() < data.size()) {  // bounded: "" at end of stream ends it
        std::string chunk = co_await loop.sock_recv(s, 65536);
        if (chunk.empty()) break;
        echoed += chunk;
    }
    co_await std::move(writing);
    s.shutdown(SHUT_WR);
    const std::string end = co_await loop.sock_recv(s, 10);
    EXPECT_EQ(end, "") << "the server closes after our EOF";
    co_return echoed;
}

TEST_F(FdChecked, EchoThroughACPython313AsyncioServer) {
    const std::string python = python313();
    if (python.empty()) GTEST_SKIP() << "no CPython 3.13 (set ASYNCIO_PYTHON313)";
    const std::string command = "'" + python + "' -c '" + echo_server + "'";
    FILE* child = ::popen(command.c_str(), "r");
    ASSERT_NE(child, nullptr);
    long pid = 0;
    unsigned port = 0;
    const int fields = std::fscanf(child, "%ld %u", &pid, &port);
    bool echoed_all = false;
    if (fields == 2 && port > 0 && port < 65536) {
        const std::string data = pattern(1 << 20);
        try {
            const std::string echoed = asyncio::run(echo_through(static_cast<std::uint16_t>(port), data));
            EXPECT_EQ(echoed.size(), data.size());
            echoed_all = echoed == data;
        } catch (const std::exception& e) {
            ADD_FAILURE() << e.what();
        }
        EXPECT_TRUE(echoed_all);
    } else {
        ADD_FAILURE() << "the Python server did not print its port";
    }
    // The server exits by itself once its client has gone; if something failed, it may not.
    if (!echoed_all && pid > 0) ::kill(static_cast<pid_t>(pid), SIGTERM);
    const int status = ::pclose(child);  // waits for it
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

}  // namespace
