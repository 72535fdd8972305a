// tests/test_streams.cpp - StreamReader fed by hand (a port of CPython 3.13's
// Lib/test/test_asyncio/test_streams.py, StreamTests, for the cases that need no
// socket), then StreamReader/StreamWriter over socketpairs and loopback: flow
// control, cancellation, lifecycle.
//
// Map of the CPython cases ported here (Python name -> test below):
//   test_feed_empty_data, test_feed_nonempty_data     -> Reader.Feed*
//   test_read_zero, test_read, test_read_line_breaks  -> Reader.ReadZero, ReadWaits, ReadLineBreaks
//   test_read_eof, test_read_until_eof                -> Reader.ReadEof, ReadUntilEof
//   test_read_exception, test_invalid_limit           -> Reader.ReadException, InvalidLimit
//   test_read_limit                                   -> Reader.ReadIgnoresLimit
//   test_readline, test_readline_limit_with_existing_data, test_at_eof,
//   test_readline_limit, test_readline_nolimit_nowait, test_readline_eof,
//   test_readline_empty_eof, test_readline_read_byte_count, test_readline_exception
//                                                     -> Reader.Readline*
//   test_readuntil_separator, _multi_chunks, _multi_chunks_1, _eof, _limit_found_sep,
//   _multi_separator, _multi_separator_limit, _multi_separator_negative_offset,
//   _bytearray                                        -> Reader.Readuntil*
//   test_readexactly_zero_or_less (the n == 0 half: n is a size_t here),
//   test_readexactly, _limit, _eof, _exception        -> Reader.Readexactly*
//   test_exception, test_exception_waiter, test_exception_cancel -> Reader.Exception*
//   test_IncompleteReadError / LimitOverrunError messages -> Reader.ErrorMessages
// Not ported: SSL, pipes, the loop= constructor variants, __repr__, pickling and the
// resource warnings (no such things here).
#include <asyncio/streams.hpp>

#include <asyncio/runners.hpp>
#include <asyncio/selector_events.hpp>
#include <asyncio/tasks.hpp>

#include <gtest/gtest.h>

#include "support/fd_check.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <any>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace {

using asyncio::StreamReader;
using asyncio::Task;

const std::string DATA = "line1\nline2\nline3\n";

/// Python's tuple of separators (a function: g++ 12 rejects braced lists of
/// string literals inside coroutines).
template <class... S>
std::vector<std::string> seps(S... s) {
    return std::vector<std::string>{std::string(s)...};
}

std::string buffer_of(const StreamReader& r) { return std::string(r.core()->view()); }

template <class F>
void run(F body) {
    asyncio_test::FdLeakCheck fds;
    asyncio::run(body());
}

// ---- feeding ----

TEST(Reader, FeedEmptyData) {
    StreamReader s;
    s.feed_data("");
    EXPECT_EQ(buffer_of(s), "");
}

TEST(Reader, FeedNonemptyData) {
    StreamReader s;
    s.feed_data(DATA);
    EXPECT_EQ(buffer_of(s), DATA);
}

TEST(Reader, FeedDataAfterEofIsAnError) {
    StreamReader s;
    s.feed_eof();
    EXPECT_THROW(s.feed_data("x"), std::logic_error);
}

// ---- read ----

TEST(Reader, ReadZero) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data(DATA);
        EXPECT_EQ(co_await s.read(0), "");
        EXPECT_EQ(buffer_of(s), DATA);
    });
}

TEST(Reader, ReadWaits) {
    run([]() -> Task<> {
        StreamReader s;
        auto t = asyncio::create_task(s.read(30));
        asyncio::get_running_loop().call_soon([s]() mutable { s.feed_data(DATA); });
        EXPECT_EQ(co_await t, DATA);
        EXPECT_EQ(buffer_of(s), "");
    });
}

TEST(Reader, ReadLineBreaks) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("line1");
        s.feed_data("line2");
        EXPECT_EQ(co_await s.read(5), "line1");
        EXPECT_EQ(buffer_of(s), "line2");
    });
}

TEST(Reader, ReadEof) {
    run([]() -> Task<> {
        StreamReader s;
        auto t = asyncio::create_task(s.read(1024));
        asyncio::get_running_loop().call_soon([s]() mutable { s.feed_eof(); });
        EXPECT_EQ(co_await t, "");
        EXPECT_EQ(buffer_of(s), "");
    });
}

TEST(Reader, ReadUntilEof) {
    run([]() -> Task<> {
        StreamReader s;
        auto t = asyncio::create_task(s.read(-1));
        asyncio::get_running_loop().call_soon([s]() mutable {
            s.feed_data("chunk1\n");
            s.feed_data("chunk2");
            s.feed_eof();
        });
        EXPECT_EQ(co_await t, "chunk1\nchunk2");
        EXPECT_EQ(buffer_of(s), "");
    });
}

TEST(Reader, ReadException) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("line\n");
        EXPECT_EQ(co_await s.read(2), "li");
        s.set_exception(std::make_exception_ptr(asyncio::ValueError("boom")));
        bool raised = false;
        try {
            (void)co_await s.read(2);
        } catch (const asyncio::ValueError&) {
            raised = true;
        }
        EXPECT_TRUE(raised);
    });
}

TEST(Reader, InvalidLimit) {
    try {
        StreamReader s(0);
        ADD_FAILURE() << "no exception";
    } catch (const asyncio::ValueError& e) {
        EXPECT_STREQ(e.what(), "Limit cannot be <= 0");
    }
}

TEST(Reader, ReadIgnoresLimit) {
    run([]() -> Task<> {
        StreamReader s(3);
        s.feed_data("chunk");
        EXPECT_EQ(co_await s.read(5), "chunk");
        EXPECT_EQ(buffer_of(s), "");
    });
}

// ---- readline ----

/// The exception message of `t` once awaited, or "" if it returned.
template <class E>
Task<std::string> error_of(Task<std::string> t) {
    try {
        (void)co_await t;
    } catch (const E& e) {
        co_return std::string(e.what());
    }
    co_return std::string("<no exception>");
}

TEST(Reader, Readline) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("chunk1 ");
        auto t = asyncio::create_task(s.readline());
        asyncio::get_running_loop().call_soon([s]() mutable {
            s.feed_data("chunk2 ");
            s.feed_data("chunk3 ");
            s.feed_data("\n chunk4");
        });
        EXPECT_EQ(co_await t, "chunk1 chunk2 chunk3 \n");
        EXPECT_EQ(buffer_of(s), " chunk4");
    });
}

TEST(Reader, ReadlineLimitWithExistingData) {
    run([]() -> Task<> {
        StreamReader s(3);
        s.feed_data("li");
        s.feed_data("ne1\nline2\n");
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s.readline()), "Separator is found, but chunk is longer than limit");
        EXPECT_EQ(buffer_of(s), "line2\n");

        StreamReader s2(3);
        s2.feed_data("li");
        s2.feed_data("ne1");
        s2.feed_data("li");
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s2.readline()), "Separator is not found, and chunk exceed the limit");
        EXPECT_EQ(buffer_of(s2), "");
    });
}

TEST(Reader, ReadlineAtEof) {
    run([]() -> Task<> {
        StreamReader s;
        EXPECT_FALSE(s.at_eof());
        s.feed_data("some data\n");
        EXPECT_FALSE(s.at_eof());
        (void)co_await s.readline();
        EXPECT_FALSE(s.at_eof());
        s.feed_data("some data\n");
        s.feed_eof();
        (void)co_await s.readline();
        EXPECT_TRUE(s.at_eof());
    });
}

TEST(Reader, ReadlineLimit) {
    run([]() -> Task<> {
        auto& loop = asyncio::get_running_loop();
        StreamReader s(7);
        loop.call_soon([s]() mutable {
            s.feed_data("chunk1");
            s.feed_data("chunk2");
            s.feed_data("chunk3\n");
            s.feed_eof();
        });
        // cb runs before readline's first step: the whole line is there (as in Python)
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s.readline()), "Separator is found, but chunk is longer than limit");
        EXPECT_EQ(buffer_of(s), "");

        StreamReader s2(7);
        loop.call_soon([s2]() mutable {
            s2.feed_data("chunk1");
            s2.feed_data("chunk2\n");
            s2.feed_data("chunk3\n");
            s2.feed_eof();
        });
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s2.readline()), "Separator is found, but chunk is longer than limit");
        EXPECT_EQ(buffer_of(s2), "chunk3\n");

        // fed while readline waits: it gives up before the newline comes
        StreamReader s4(7);
        auto t = asyncio::create_task(s4.readline());
        co_await asyncio::sleep(0);
        s4.feed_data("chunk1");
        co_await asyncio::sleep(0);
        s4.feed_data("chunk2");
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(t), "Separator is not found, and chunk exceed the limit");
        EXPECT_EQ(buffer_of(s4), "");

        // the strictness of the limit
        StreamReader s3(7);
        s3.feed_data("1234567\n");
        EXPECT_EQ(co_await s3.readline(), "1234567\n");
        EXPECT_EQ(buffer_of(s3), "");
        s3.feed_data("12345678\n");
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s3.readline()), "Separator is found, but chunk is longer than limit");
        EXPECT_EQ(buffer_of(s3), "");
        s3.feed_data("12345678");
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s3.readline()), "Separator is not found, and chunk exceed the limit");
        EXPECT_EQ(buffer_of(s3), "");
    });
}

TEST(Reader, ReadlineNolimitNowait) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data(DATA.substr(0, 6));
        s.feed_data(DATA.substr(6));
        EXPECT_EQ(co_await s.readline(), "line1\n");
        EXPECT_EQ(buffer_of(s), "line2\nline3\n");
    });
}

TEST(Reader, ReadlineEof) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("some data");
        s.feed_eof();
        EXPECT_EQ(co_await s.readline(), "some data");
    });
}

TEST(Reader, ReadlineEmptyEof) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_eof();
        EXPECT_EQ(co_await s.readline(), "");
    });
}

TEST(Reader, ReadlineReadByteCount) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data(DATA);
        (void)co_await s.readline();
        EXPECT_EQ(co_await s.read(7), "line2\nl");
        EXPECT_EQ(buffer_of(s), "ine3\n");
    });
}

TEST(Reader, ReadlineException) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("line\n");
        EXPECT_EQ(co_await s.readline(), "line\n");
        s.set_exception(std::make_exception_ptr(asyncio::ValueError("boom")));
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s.readline()), "boom");
        EXPECT_EQ(buffer_of(s), "");
    });
}

// ---- readuntil ----

TEST(Reader, ReaduntilSeparator) {
    run([]() -> Task<> {
        StreamReader s;
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s.readuntil("")), "Separator should be at least one-byte string");
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s.readuntil(seps(""))),
                  "Separator should be at least one-byte string");
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s.readuntil(seps())),
                  "Separator should contain at least one element");
    });
}

TEST(Reader, ReaduntilMultiChunks) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("lineAAA");
        EXPECT_EQ(co_await s.readuntil("AAA"), "lineAAA");
        EXPECT_EQ(buffer_of(s), "");
        s.feed_data("lineAAA");
        EXPECT_EQ(co_await s.readuntil("AAA"), "lineAAA");
        EXPECT_EQ(buffer_of(s), "");
        s.feed_data("lineAAAxxx");
        EXPECT_EQ(co_await s.readuntil("AAA"), "lineAAA");
        EXPECT_EQ(buffer_of(s), "xxx");
    });
}

TEST(Reader, ReaduntilMultiChunks1) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("QWEaa");
        s.feed_data("XYaa");
        s.feed_data("a");
        EXPECT_EQ(co_await s.readuntil("aaa"), "QWEaaXYaaa");
        EXPECT_EQ(buffer_of(s), "");
        s.feed_data("QWEaa");
        s.feed_data("XYa");
        s.feed_data("aa");
        EXPECT_EQ(co_await s.readuntil("aaa"), "QWEaaXYaaa");
        EXPECT_EQ(buffer_of(s), "");
        s.feed_data("aaa");
        EXPECT_EQ(co_await s.readuntil("aaa"), "aaa");
        s.feed_data("Xaaa");
        EXPECT_EQ(co_await s.readuntil("aaa"), "Xaaa");
        s.feed_data("XXX");
        s.feed_data("a");
        s.feed_data("a");
        s.feed_data("a");
        EXPECT_EQ(co_await s.readuntil("aaa"), "XXXaaa");
        EXPECT_EQ(buffer_of(s), "");
    });
}

TEST(Reader, ReaduntilEof) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("some dataAA");
        s.feed_eof();
        try {
            (void)co_await s.readuntil("AAA");
            ADD_FAILURE() << "no exception";
        } catch (const asyncio::IncompleteReadError& e) {
            EXPECT_STREQ(e.what(), "11 bytes read on a total of undefined expected bytes");
            EXPECT_EQ(e.partial, "some dataAA");
            EXPECT_FALSE(e.expected.has_value());
        }
        EXPECT_EQ(buffer_of(s), "");
    });
}

TEST(Reader, ReaduntilLimitFoundSep) {
    run([]() -> Task<> {
        StreamReader s(3);
        s.feed_data("some dataAA");
        try {
            (void)co_await s.readuntil("AAA");
            ADD_FAILURE() << "no exception";
        } catch (const asyncio::LimitOverrunError& e) {
            EXPECT_STREQ(e.what(), "Separator is not found, and chunk exceed the limit");
            EXPECT_EQ(e.consumed, 9u);  // as Python: len(buffer) + 1 - len(sep)
        }
        EXPECT_EQ(buffer_of(s), "some dataAA");
        s.feed_data("A");
        try {
            (void)co_await s.readuntil("AAA");
            ADD_FAILURE() << "no exception";
        } catch (const asyncio::LimitOverrunError& e) {
            EXPECT_STREQ(e.what(), "Separator is found, but chunk is longer than limit");
            EXPECT_EQ(e.consumed, 9u);
        }
        EXPECT_EQ(buffer_of(s), "some dataAAA");
    });
}

TEST(Reader, ReaduntilMultiSeparator) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("line 1\nline 2\r");
        EXPECT_EQ(co_await s.readuntil(seps("\r", "\n")), "line 1\n");
        EXPECT_EQ(co_await s.readuntil(seps("\r", "\n")), "line 2\r");
        EXPECT_EQ(buffer_of(s), "");
        s.feed_data("ABCDEFG");
        EXPECT_EQ(co_await s.readuntil(seps("DEF", "BCDE")), "ABCDE");
        EXPECT_EQ(buffer_of(s), "FG");
    });
}

TEST(Reader, ReaduntilMultiSeparatorLimit) {
    run([]() -> Task<> {
        StreamReader s(3);
        s.feed_data("some dataA");
        EXPECT_EQ(co_await error_of<asyncio::LimitOverrunError>(s.readuntil(seps("A", "ome dataA"))),
                  "Separator is found, but chunk is longer than limit");
        EXPECT_EQ(buffer_of(s), "some dataA");
    });
}

TEST(Reader, ReaduntilMultiSeparatorNegativeOffset) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("data");
        auto t = asyncio::create_task(s.readuntil(seps("A", "long sep")));
        auto& loop = asyncio::get_running_loop();
        loop.call_soon([s]() mutable { s.feed_data("Z"); });
        loop.call_soon([s]() mutable { s.feed_data("Aaaa"); });
        EXPECT_EQ(co_await t, "dataZA");
        EXPECT_EQ(buffer_of(s), "aaa");
    });
}

TEST(Reader, ReaduntilCrLf) {  // test_readuntil_bytearray
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("some data\r\n");
        EXPECT_EQ(co_await s.readuntil("\r\n"), "some data\r\n");
        EXPECT_EQ(buffer_of(s), "");
    });
}

// ---- readexactly ----

TEST(Reader, ReadexactlyZero) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data(DATA);
        EXPECT_EQ(co_await s.readexactly(0), "");
        EXPECT_EQ(buffer_of(s), DATA);
    });
}

TEST(Reader, Readexactly) {
    run([]() -> Task<> {
        StreamReader s;
        auto t = asyncio::create_task(s.readexactly(2 * DATA.size()));
        asyncio::get_running_loop().call_soon([s]() mutable {
            s.feed_data(DATA);
            s.feed_data(DATA);
            s.feed_data(DATA);
        });
        EXPECT_EQ(co_await t, DATA + DATA);
        EXPECT_EQ(buffer_of(s), DATA);
    });
}

TEST(Reader, ReadexactlyLimit) {
    run([]() -> Task<> {
        StreamReader s(3);
        s.feed_data("chunk");
        EXPECT_EQ(co_await s.readexactly(5), "chunk");
        EXPECT_EQ(buffer_of(s), "");
    });
}

TEST(Reader, ReadexactlyEof) {
    run([]() -> Task<> {
        StreamReader s;
        auto t = asyncio::create_task(s.readexactly(2 * DATA.size()));
        asyncio::get_running_loop().call_soon([s]() mutable {
            s.feed_data(DATA);
            s.feed_eof();
        });
        try {
            (void)co_await t;
            ADD_FAILURE() << "no exception";
        } catch (const asyncio::IncompleteReadError& e) {
            EXPECT_EQ(e.partial, DATA);
            EXPECT_EQ(e.expected, std::optional<std::size_t>(36));
            EXPECT_STREQ(e.what(), "18 bytes read on a total of 36 expected bytes");
        }
        EXPECT_EQ(buffer_of(s), "");
    });
}

TEST(Reader, ReadexactlyException) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("line\n");
        EXPECT_EQ(co_await s.readexactly(2), "li");
        s.set_exception(std::make_exception_ptr(asyncio::ValueError("boom")));
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(s.readexactly(2)), "boom");
    });
}

// ---- exceptions ----

TEST(Reader, Exception) {
    StreamReader s;
    EXPECT_EQ(s.exception(), nullptr);
    auto e = std::make_exception_ptr(asyncio::ValueError("x"));
    s.set_exception(e);
    EXPECT_EQ(s.exception(), e);
}

TEST(Reader, ExceptionWaiter) {
    run([]() -> Task<> {
        StreamReader s;
        auto t1 = asyncio::create_task(s.readline());
        co_await asyncio::sleep(0);
        s.set_exception(std::make_exception_ptr(asyncio::ValueError("waiter")));
        EXPECT_EQ(co_await error_of<asyncio::ValueError>(t1), "waiter");
    });
}

TEST(Reader, ExceptionCancel) {
    run([]() -> Task<> {
        StreamReader s;
        auto t = asyncio::create_task(s.readline());
        co_await asyncio::sleep(0);
        t.cancel();
        co_await asyncio::sleep(0);
        // fails if set_exception() isn't careful (the waiter is cancelled)
        s.set_exception(std::make_exception_ptr(std::runtime_error("message")));
        co_await asyncio::sleep(0);
        EXPECT_FALSE(s.core()->waiter.has_value());
        EXPECT_TRUE(t.cancelled());
    });
}

TEST(Reader, SecondWaiterIsAnError) {
    run([]() -> Task<> {
        StreamReader s;
        auto t1 = asyncio::create_task(s.read(1));
        co_await asyncio::sleep(0);
        EXPECT_EQ(co_await error_of<std::runtime_error>(s.readline()),
                  "readuntil() called while another coroutine is already waiting for incoming data");
        s.feed_data("x");
        EXPECT_EQ(co_await t1, "x");
    });
}

TEST(Reader, ErrorMessages) {
    EXPECT_STREQ(asyncio::IncompleteReadError("", 5).what(), "0 bytes read on a total of 5 expected bytes");
    EXPECT_STREQ(asyncio::IncompleteReadError("ab", std::nullopt).what(), "2 bytes read on a total of undefined expected bytes");
    asyncio::LimitOverrunError e("msg", 7);
    EXPECT_EQ(e.consumed, 7u);
    EXPECT_STREQ(e.what(), "msg");
}

// ---- cancellation loses no byte ----

/// Starts `op` as a task, lets it wait, feeds `first`, cancels it before it runs
/// again, and returns what is left in the reader afterwards.
TEST(Reader, CancelledReadlineLosesNoByte) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("par");
        auto t = asyncio::create_task(s.readline());
        co_await asyncio::sleep(0);
        s.feed_data("tial");  // wakes it; the cancel comes before it runs
        t.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.cancelled());
        s.feed_data(" line\n");
        EXPECT_EQ(co_await s.readline(), "partial line\n");
    });
}

TEST(Reader, CancelledReadexactlyLosesNoByte) {
    run([]() -> Task<> {
        StreamReader s;
        s.feed_data("12");
        auto t = asyncio::create_task(s.readexactly(6));
        co_await asyncio::sleep(0);
        s.feed_data("34");
        co_await asyncio::sleep(0);  // it took nothing: 4 < 6, waits again
        t.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(buffer_of(s), "1234");
        s.feed_data("56");
        EXPECT_EQ(co_await s.readexactly(6), "123456");
    });
}

TEST(Reader, CancelledReaduntilLosesNoByte) {
    run([]() -> Task<> {
        StreamReader s;
        auto t = asyncio::create_task(s.readuntil("END"));
        co_await asyncio::sleep(0);
        s.feed_data("abcEN");
        t.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.cancelled());
        s.feed_data("D");
        EXPECT_EQ(co_await s.readuntil("END"), "abcEND");
    });
}

TEST(Reader, CancelledReadLosesNoByte) {
    run([]() -> Task<> {
        StreamReader s;
        auto t = asyncio::create_task(s.read(10));
        co_await asyncio::sleep(0);
        s.feed_data("bytes");
        t.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(co_await s.read(10), "bytes");
    });
}

TEST(Reader, CancelledReadAllPutsItsBlocksBack) {
    run([]() -> Task<> {
        StreamReader s(4);
        auto t = asyncio::create_task(s.read(-1));
        co_await asyncio::sleep(0);
        s.feed_data("0123456789");  // read(-1) takes blocks of `limit` (4) bytes
        co_await asyncio::sleep(0);
        t.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(buffer_of(s), "0123456789");
        s.feed_data("ab");
        s.feed_eof();
        EXPECT_EQ(co_await s.read(-1), "0123456789ab");
    });
}

// ---- streams on sockets ----

using asyncio::StreamWriter;
using Streams = std::pair<StreamReader, StreamWriter>;

/// Both ends of a socketpair as streams.
Task<std::pair<Streams, Streams>> stream_pair(std::size_t limit = 65536) {
    auto [a, b] = asyncio::socketpair();
    Streams x = co_await asyncio::open_connection(std::move(a), limit);
    Streams y = co_await asyncio::open_connection(std::move(b), limit);
    std::pair<Streams, Streams> both(std::move(x), std::move(y));
    co_return both;
}

TEST(Streams, LinesBothWays) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair();
        x.second.write("ping\n");
        co_await x.second.drain();
        EXPECT_EQ(co_await y.first.readline(), "ping\n");
        std::vector<std::string> parts{"po", "ng\n"};
        y.second.writelines(parts);
        EXPECT_EQ(co_await x.first.readline(), "pong\n");
        x.second.close();
        co_await x.second.wait_closed();
        EXPECT_EQ(co_await y.first.read(), "");
        EXPECT_TRUE(y.first.at_eof());
    });
}

TEST(Streams, PeerClosingMakesReadReturnEmpty) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair();
        y.second.write("tail");
        y.second.close();
        EXPECT_EQ(co_await x.first.read(100), "tail");
        EXPECT_EQ(co_await x.first.read(100), "");
        EXPECT_TRUE(x.first.at_eof());
        EXPECT_EQ(co_await x.first.readline(), "");
    });
}

TEST(Streams, DroppingEveryHandleClosesTheConnection) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair();
        {
            Streams gone = std::move(y);
        }
        EXPECT_EQ(co_await x.first.read(), "");  // EOF: the other side was closed
    });
}

TEST(Streams, WriteEofHalfCloses) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair();
        EXPECT_TRUE(x.second.can_write_eof());
        x.second.write("request");
        x.second.write_eof();
        EXPECT_EQ(co_await y.first.read(), "request");
        y.second.write("response");
        y.second.close();
        EXPECT_EQ(co_await x.first.read(), "response");
    });
}

/// A TCP connection on loopback: (our streams, the raw peer socket).
Task<std::pair<Streams, asyncio::Socket>> tcp_pair() {
    auto& loop = asyncio::get_running_loop();
    asyncio::Socket listener(AF_INET);
    listener.bind({AF_INET, "127.0.0.1", 0});
    listener.listen();
    const asyncio::SocketAddress addr = listener.getsockname();
    auto accepting = asyncio::create_task(loop.sock_accept(listener));
    Streams s = co_await asyncio::open_connection(addr.host, addr.port);
    auto accepted = co_await accepting;
    std::pair<Streams, asyncio::Socket> both(std::move(s), std::move(accepted.first));
    co_return both;
}

TEST(Streams, PeerResetIsConnectionResetAtTheNextRead) {
    run([]() -> Task<> {
        auto [s, peer] = co_await tcp_pair();
        linger lg{1, 0};
        ::setsockopt(peer.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        peer.close();
        bool reset = false;
        try {
            (void)co_await s.first.read(10);
        } catch (const std::system_error& e) {
            reset = e.code() == std::errc::connection_reset;
        }
        EXPECT_TRUE(reset);
        // drain() then raises the same error (the reader's), as Python.
        bool drain_raised = false;
        try {
            co_await s.second.drain();
        } catch (const std::system_error& e) {
            drain_raised = e.code() == std::errc::connection_reset;
        }
        EXPECT_TRUE(drain_raised);
    });
}

TEST(Streams, DrainAfterTheConnectionIsLostRaisesConnectionLost) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair();
        x.second.close();
        co_await x.second.wait_closed();
        try {
            co_await x.second.drain();
            ADD_FAILURE() << "no exception";
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code(), std::errc::connection_reset);
            EXPECT_EQ(std::string(e.what()).substr(0, 15), "Connection lost");
        }
        x.second.write("ignored once lost");
        EXPECT_TRUE(x.second.is_closing());
    });
}

TEST(Streams, DrainWaitsAboveTheHighWaterMarkAndResumesBelowTheLow) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair();
        y.second.transport().pause_reading();  // the peer reads nothing for now
        const std::string chunk(65536, 'd');
        std::size_t sent = 0;
        // Fill until the transport is above 64 KiB: drain() must wait.
        for (int i = 0; i < 1000 && x.second.transport().get_write_buffer_size() <= 65536; ++i) {
            x.second.write(chunk);
            sent += chunk.size();
        }
        EXPECT_GT(x.second.transport().get_write_buffer_size(), 65536u);
        auto drain = asyncio::create_task(x.second.drain());
        for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
        EXPECT_FALSE(drain.done());
        y.second.transport().resume_reading();
        std::size_t got = 0;
        while (!drain.done() && got < sent) got += (co_await y.first.read(65536)).size();
        co_await drain;
        EXPECT_LE(x.second.transport().get_write_buffer_size(), 16384u);
        while (got < sent) got += (co_await y.first.read(65536)).size();
        EXPECT_EQ(got, sent);
    });
}

TEST(Streams, CancelledDrainLeavesItsDataQueued) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair();
        std::string data;
        for (int i = 0; i < 64; ++i) data += std::string(16384, static_cast<char>('a' + i % 26));
        x.second.write(data);
        auto drain = asyncio::create_task(x.second.drain());
        co_await asyncio::sleep(0);
        EXPECT_FALSE(drain.done());
        drain.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(drain.cancelled());
        x.second.write_eof();
        EXPECT_EQ(co_await y.first.read(), data);  // every byte, in order
    });
}

TEST(Streams, ReaderPausesAboveTwiceTheLimitAndResumesUnderIt) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair(1024);
        asyncio::Transport& t = y.second.transport();
        x.second.write(std::string(64 * 1024, 'p'));
        for (int i = 0; i < 1000 && t.is_reading(); ++i) co_await asyncio::sleep(0);
        EXPECT_FALSE(t.is_reading());
        EXPECT_GT(y.first.buffered(), 2048u);
        // Reading down to the limit resumes the transport.
        std::size_t got = 0;
        while (y.first.buffered() > 1024) got += (co_await y.first.read(512)).size();
        EXPECT_TRUE(t.is_reading());
        x.second.close();
        got += (co_await y.first.read()).size();
        EXPECT_EQ(got, 64u * 1024);
    });
}

TEST(Streams, CancelledReadlineOnASocketLosesNoByte) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair();
        auto t = asyncio::create_task(y.first.readline());
        x.second.write("first half, ");
        for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
        t.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.cancelled());
        x.second.write("second half\n");
        EXPECT_EQ(co_await y.first.readline(), "first half, second half\n");
    });
}

TEST(Streams, ReadexactlyAtEndOfStreamIsIncompleteReadError) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair();
        x.second.write("abc");
        x.second.close();
        try {
            (void)co_await y.first.readexactly(5);
            ADD_FAILURE() << "no exception";
        } catch (const asyncio::IncompleteReadError& e) {
            EXPECT_EQ(e.partial, "abc");
            EXPECT_STREQ(e.what(), "3 bytes read on a total of 5 expected bytes");
        }
    });
}

TEST(Streams, ReaduntilPastTheLimitLeavesTheData) {
    run([]() -> Task<> {
        auto [x, y] = co_await stream_pair(8);
        x.second.write("0123456789abcdef\n");
        bool overrun = false;
        for (int i = 0; i < 100 && !overrun; ++i) {
            try {
                (void)co_await y.first.readuntil("\n");
            } catch (const asyncio::LimitOverrunError&) {
                overrun = true;
            }
        }
        EXPECT_TRUE(overrun);
        EXPECT_EQ(co_await y.first.readexactly(17), "0123456789abcdef\n");
    });
}

TEST(Streams, ExtraInfoAndTransport) {
    run([]() -> Task<> {
        auto [s, peer] = co_await tcp_pair();
        auto peername = std::any_cast<asyncio::SocketAddress>(s.second.get_extra_info("peername"));
        EXPECT_EQ(peername, peer.getsockname());
        EXPECT_EQ(std::any_cast<asyncio::SocketAddress>(s.second.get_extra_info("sockname")), peer.getpeername());
        int nodelay = 0;
        socklen_t len = sizeof nodelay;
        ::getsockopt(std::any_cast<int>(s.second.get_extra_info("socket")), IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
        EXPECT_NE(nodelay, 0);
        s.second.close();
        co_await s.second.wait_closed();
        EXPECT_FALSE(s.second.get_extra_info("peername").has_value());
        EXPECT_THROW((void)s.second.transport(), std::runtime_error);
    });
}

TEST(Streams, OpenConnectionRefused) {
    run([]() -> Task<> {
        asyncio::Socket probe(AF_INET);
        probe.bind({AF_INET, "127.0.0.1", 0});
        const auto addr = probe.getsockname();
        probe.close();  // nothing listens there now
        try {
            (void)co_await asyncio::open_connection(addr.host, addr.port);
            ADD_FAILURE() << "no exception";
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code(), std::errc::connection_refused);
        }
    });
}

TEST(Streams, InvalidLimit) {
    run([]() -> Task<> {
        bool raised = false;
        try {
            (void)co_await asyncio::open_connection("127.0.0.1", 1, 0);
        } catch (const asyncio::ValueError&) {
            raised = true;
        }
        EXPECT_TRUE(raised);
    });
}

}  // namespace
