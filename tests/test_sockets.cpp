// Tests of <asyncio/sockets.hpp>: Socket, socketpair(), SocketAddress. Every test checks
// that the descriptors open after it are the ones open before it.
#include <asyncio/sockets.hpp>

#include <gtest/gtest.h>

#include "support/fd_check.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <string>
#include <system_error>
#include <type_traits>

namespace {

using asyncio::Socket;
using asyncio::SocketAddress;

/// Every test checks that no descriptor leaked (tests/support/fd_check.hpp).
class SocketTest : public asyncio_test::FdCheckedTest {};

bool fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }
bool fd_is_nonblocking(int fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

/// Runs `fn`, expects a std::system_error with code `code` and a what() starting with `prefix`.
template <class F>
void expect_os_error(F fn, std::errc code, const std::string& prefix) {
    try {
        fn();
        ADD_FAILURE() << "no exception; expected " << prefix;
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        EXPECT_EQ(std::string(e.what()).substr(0, prefix.size()), prefix) << e.what();
    }
}

static_assert(!std::is_copy_constructible_v<Socket> && !std::is_copy_assignable_v<Socket>);
static_assert(std::is_nothrow_move_constructible_v<Socket> && std::is_nothrow_move_assignable_v<Socket>);

TEST_F(SocketTest, NewSocketIsNonBlockingAndCloseOnExec) {
    Socket s;
    ASSERT_GE(s.fileno(), 0);
    EXPECT_EQ(s.family(), AF_INET);
    EXPECT_EQ(s.type(), SOCK_STREAM);
    EXPECT_FALSE(s.blocking());
    EXPECT_TRUE(fd_is_nonblocking(s.fileno()));
    EXPECT_TRUE(::fcntl(s.fileno(), F_GETFD) & FD_CLOEXEC);

    Socket d(AF_INET6, SOCK_DGRAM);
    EXPECT_EQ(d.family(), AF_INET6);
    EXPECT_EQ(d.type(), SOCK_DGRAM);
    EXPECT_TRUE(fd_is_nonblocking(d.fileno()));
}

TEST_F(SocketTest, CreationFailureIsASystemError) {
    expect_os_error([] { Socket s(12345); }, std::errc::address_family_not_supported, "socket: ");
}

TEST_F(SocketTest, DestructorCloses) {
    int fd = -1;
    {
        Socket s;
        fd = s.fileno();
        EXPECT_TRUE(fd_is_open(fd));
    }
    EXPECT_FALSE(fd_is_open(fd));
}

TEST_F(SocketTest, FromFdReadsModeFamilyAndType) {
    const int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);  // blocking
    ASSERT_GE(fd, 0);
    Socket s = Socket::from_fd(fd);
    EXPECT_EQ(s.fileno(), fd);
    EXPECT_TRUE(s.blocking());
    EXPECT_EQ(s.family(), AF_INET6);
    EXPECT_EQ(s.type(), SOCK_DGRAM);
    s.setblocking(false);
    EXPECT_FALSE(s.blocking());
    EXPECT_TRUE(fd_is_nonblocking(fd));
    s.setblocking(true);
    EXPECT_TRUE(s.blocking());
    EXPECT_FALSE(fd_is_nonblocking(fd));

    const int nb = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(nb, 0);
    EXPECT_FALSE(Socket::from_fd(nb).blocking());
}

TEST_F(SocketTest, FromFdRefusesWhatIsNotAnOpenSocket) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    expect_os_error([&] { (void)Socket::from_fd(pipe_fds[0]); }, std::errc::not_a_socket, "from_fd: ");
    EXPECT_TRUE(fd_is_open(pipe_fds[0])) << "the caller still owns it";
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    expect_os_error([] { (void)Socket::from_fd(-1); }, std::errc::bad_file_descriptor, "from_fd(-1): ");
}

TEST_F(SocketTest, DetachGivesUpOwnership) {
    int fd = -1;
    {
        Socket s;
        fd = s.detach();
        EXPECT_EQ(s.fileno(), -1);
        EXPECT_EQ(s.detach(), -1);
    }
    EXPECT_TRUE(fd_is_open(fd));
    ::close(fd);
}

TEST_F(SocketTest, CloseIsIdempotent) {
    Socket s;
    const int fd = s.fileno();
    s.close();
    EXPECT_EQ(s.fileno(), -1);
    EXPECT_FALSE(fd_is_open(fd));
    s.close();
    EXPECT_EQ(s.fileno(), -1);
}

TEST_F(SocketTest, OperationsOnAClosedSocketFailWithEbadf) {
    Socket s;
    s.close();
    expect_os_error([&] { s.listen(); }, std::errc::bad_file_descriptor, "listen: Bad file descriptor");
    expect_os_error([&] { s.bind({AF_INET, "127.0.0.1", 0}); }, std::errc::bad_file_descriptor,
                    "bind to 127.0.0.1:0: ");
    expect_os_error([&] { (void)s.getsockname(); }, std::errc::bad_file_descriptor, "getsockname: ");
    expect_os_error([&] { s.setblocking(true); }, std::errc::bad_file_descriptor, "setblocking: ");
}

TEST_F(SocketTest, MoveTransfersOwnership) {
    Socket a;
    const int fd = a.fileno();
    Socket b(std::move(a));
    EXPECT_EQ(a.fileno(), -1);  // NOLINT(bugprone-use-after-move): moved-from state is specified
    EXPECT_EQ(b.fileno(), fd);

    Socket c(AF_UNIX);
    const int old = c.fileno();
    c = std::move(b);
    EXPECT_EQ(c.fileno(), fd);
    EXPECT_EQ(c.family(), AF_INET);
    EXPECT_FALSE(fd_is_open(old)) << "move-assignment closes what the target held";
    Socket& same = c;
    c = std::move(same);  // self-move keeps the socket
    EXPECT_EQ(c.fileno(), fd);
}

TEST_F(SocketTest, BindListenGetsocknameIPv4) {
    Socket s;
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    EXPECT_NE(s.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
    s.bind({AF_INET, "127.0.0.1", 0});
    s.listen();
    const SocketAddress a = s.getsockname();
    EXPECT_EQ(a.family, AF_INET);
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_NE(a.port, 0);
    EXPECT_EQ(asyncio::to_string(a), "('127.0.0.1', " + std::to_string(a.port) + ")");
    expect_os_error([&] { (void)s.getpeername(); }, std::errc::not_connected, "getpeername: ");
}

TEST_F(SocketTest, BindGetsocknameIPv6) {
    Socket s(AF_INET6);
    s.bind({AF_INET6, "::1", 0});
    s.listen(5);
    const SocketAddress a = s.getsockname();
    EXPECT_EQ(a.family, AF_INET6);
    EXPECT_EQ(a.host, "::1");
    EXPECT_NE(a.port, 0);
    EXPECT_EQ(asyncio::to_string(a), "('::1', " + std::to_string(a.port) + ", 0, 0)");
}

TEST_F(SocketTest, EmptyHostIsTheAnyAddress) {
    Socket s;
    s.bind({AF_INET, "", 0});
    EXPECT_EQ(s.getsockname().host, "0.0.0.0");
    Socket s6(AF_INET6);
    s6.bind({AF_INET6, "", 0});
    EXPECT_EQ(s6.getsockname().host, "::");
}

TEST_F(SocketTest, BindUnixPathInATemporaryDirectory) {
    char dir[] = "/tmp/asyncio-sockets-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    const std::string path = std::string(dir) + "/s.sock";
    {
        Socket s(AF_UNIX);
        s.bind({AF_UNIX, path});
        s.listen();
        const SocketAddress a = s.getsockname();
        EXPECT_EQ(a.family, AF_UNIX);
        EXPECT_EQ(a.host, path);
        EXPECT_EQ(a.port, 0);
        EXPECT_EQ(asyncio::to_string(a), path);

        Socket again(AF_UNIX);
        expect_os_error([&] { again.bind({AF_UNIX, path}); }, std::errc::address_in_use,
                        "bind to " + path + ": ");
    }
    EXPECT_EQ(::unlink(path.c_str()), 0);
    EXPECT_EQ(::rmdir(dir), 0);
}

TEST_F(SocketTest, BindAbstractUnixAddress) {
    const std::string name = std::string(1, '\0') + "asyncio-test-" + std::to_string(::getpid());
    Socket s(AF_UNIX);
    s.bind({AF_UNIX, name});
    EXPECT_EQ(s.getsockname().host, name);
    EXPECT_EQ(asyncio::to_string(s.getsockname()), "b'\\x00asyncio-test-" + std::to_string(::getpid()) + "'");
}

TEST_F(SocketTest, SocketpairIsConnectedAndNonBlocking) {
    auto [a, b] = asyncio::socketpair();
    EXPECT_EQ(a.family(), AF_UNIX);
    EXPECT_FALSE(a.blocking());
    EXPECT_FALSE(b.blocking());
    EXPECT_TRUE(fd_is_nonblocking(a.fileno()));
    EXPECT_TRUE(fd_is_nonblocking(b.fileno()));
    char c = 0;
    EXPECT_EQ(::recv(b.fileno(), &c, 1, 0), -1);
    EXPECT_EQ(errno, EAGAIN);
    ASSERT_EQ(::send(a.fileno(), "x", 1, 0), 1);
    ASSERT_EQ(::recv(b.fileno(), &c, 1, 0), 1);
    EXPECT_EQ(c, 'x');
    EXPECT_EQ(a.getpeername().host, "");  // unnamed, as Python's ''
    a.shutdown(SHUT_WR);
    EXPECT_EQ(::recv(b.fileno(), &c, 1, 0), 0);  // end of stream

    auto [d1, d2] = asyncio::socketpair(AF_UNIX, SOCK_DGRAM);
    EXPECT_EQ(d1.type(), SOCK_DGRAM);
}

TEST_F(SocketTest, SocketpairOfAnUnsupportedFamilyThrows) {
    expect_os_error([] { (void)asyncio::socketpair(AF_INET); }, std::errc::operation_not_supported,
                    "socketpair: ");
}

TEST_F(SocketTest, AddressInUseNamesTheCallAndTheAddress) {
    Socket first;
    first.bind({AF_INET, "127.0.0.1", 0});
    first.listen();
    const std::uint16_t port = first.getsockname().port;
    Socket second;
    const std::string prefix = "bind to 127.0.0.1:" + std::to_string(port) + ": Address already in use";
    expect_os_error([&] { second.bind({AF_INET, "127.0.0.1", port}); }, std::errc::address_in_use, prefix);
}

TEST_F(SocketTest, BadAddressesAreInvalidArguments) {
    Socket s;
    try {
        s.bind({AF_INET, "localhost", 0});
        ADD_FAILURE() << "a host name was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("'localhost' is not a numeric IPv4 address"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(s.bind({AF_INET, "::1", 0}), std::invalid_argument);
    EXPECT_THROW(s.bind({AF_INET, "127.0.0.256", 0}), std::invalid_argument);
    EXPECT_THROW(s.bind({AF_INET6, "1.2.3", 0}), std::invalid_argument);
    EXPECT_THROW(s.bind({12345, "x", 0}), std::invalid_argument);
    Socket u(AF_UNIX);
    EXPECT_THROW(u.bind({AF_UNIX, std::string(200, 'a')}), std::invalid_argument);
    EXPECT_THROW(u.bind({AF_UNIX, std::string("a\0b", 3)}), std::invalid_argument);
    EXPECT_EQ(u.getsockname().host, "") << "nothing was bound";
}

TEST_F(SocketTest, AddressesPrintAsPython) {
    EXPECT_EQ(asyncio::to_string({AF_INET, "127.0.0.1", 8080}), "('127.0.0.1', 8080)");
    EXPECT_EQ(asyncio::to_string({AF_INET6, "::1", 8080}), "('::1', 8080, 0, 0)");
    EXPECT_EQ(asyncio::to_string({AF_INET6, "fe80::1", 1, 5, 2}), "('fe80::1', 1, 5, 2)");
    EXPECT_EQ(asyncio::to_string({AF_UNIX, "/run/x.sock"}), "/run/x.sock");
    EXPECT_EQ(asyncio::to_string({AF_UNIX, std::string("\0a'\x01", 4)}), "b'\\x00a\\'\\x01'");
    std::ostringstream os;
    os << SocketAddress{AF_INET, "10.0.0.1", 1};
    EXPECT_EQ(os.str(), "('10.0.0.1', 1)");
}

TEST_F(SocketTest, NativeConversionRoundTrips) {
    const SocketAddress addresses[] = {
        {AF_INET, "127.0.0.1", 9},
        {AF_INET, "255.255.255.255", 65535},
        {AF_INET6, "::1", 443},
        {AF_INET6, "fe80::1", 80, 7, 3},
        {AF_UNIX, "/tmp/a"},
        {AF_UNIX, std::string(107, 'p')},
        {AF_UNIX, std::string(1, '\0') + "abstract"},
    };
    for (const SocketAddress& a : addresses) {
        const auto native = asyncio::detail::to_native(a);
        EXPECT_EQ(asyncio::detail::from_native(native.get(), native.length), a) << a;
    }
}

}  // namespace
