// Tests for add_signal_handler / remove_signal_handler and for asyncio::run()'s SIGINT
// handling (Python 3.11+: the first Ctrl-C cancels the main task). Checked against CPython
// 3.13: run(main) whose main is interrupted raises KeyboardInterrupt; a main that catches
// the CancelledError and returns 5 makes run() return 5.
#include <asyncio/events.hpp>

#include <gtest/gtest.h>

#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>

#include "support/fd_check.hpp"

#include <csignal>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace {

class Signals : public asyncio_test::FdCheckedTest {};

bool disposition_is_default(int sig) {
    struct sigaction sa;
    ::sigaction(sig, nullptr, &sa);
    return sa.sa_handler == SIG_DFL;
}

TEST_F(Signals, AHandlerRunsInTheLoopNotInsideTheSignalHandler) {
    asyncio::EventLoop loop;
    int runs = 0;
    bool raised_returned = false;
    loop.add_signal_handler(SIGUSR1, [&] {
        EXPECT_TRUE(raised_returned) << "the callback ran inside raise()";
        ++runs;
        loop.stop();
    });
    loop.call_soon([&] {
        ::raise(SIGUSR1);
        raised_returned = true;
    });
    loop.run_forever();
    EXPECT_EQ(runs, 1);
    EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
    EXPECT_TRUE(disposition_is_default(SIGUSR1));
    EXPECT_FALSE(loop.remove_signal_handler(SIGUSR1));
}

TEST_F(Signals, ASignalWakesALoopAsleepWithNoTimer) {
    asyncio::EventLoop loop;
    int runs = 0;
    loop.add_signal_handler(SIGUSR2, [&] {
        ++runs;
        loop.stop();
    });
    const pid_t pid = ::getpid();
    // A child process sends the signal while the loop sleeps in epoll_wait.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::usleep(50000);
        ::kill(pid, SIGUSR2);
        ::_exit(0);
    }
    loop.run_forever();
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_EQ(runs, 1);
    loop.close();  // closing removes the handler: SIG_DFL again
    EXPECT_TRUE(disposition_is_default(SIGUSR2));
}

TEST_F(Signals, ASecondAddReplacesTheHandler) {
    asyncio::EventLoop loop;
    int first = 0, second = 0;
    loop.add_signal_handler(SIGUSR1, [&] { ++first; });
    loop.add_signal_handler(SIGUSR1, [&] {
        ++second;
        loop.stop();
    });
    loop.call_soon([] { ::raise(SIGUSR1); });
    loop.run_forever();
    EXPECT_EQ(first, 0);
    EXPECT_EQ(second, 1);
}

TEST_F(Signals, BadSignalsAreRefused) {
    asyncio::EventLoop loop;
    EXPECT_THROW(loop.add_signal_handler(0, [] {}), std::invalid_argument);
    EXPECT_THROW(loop.add_signal_handler(65, [] {}), std::invalid_argument);
    try {
        loop.add_signal_handler(SIGKILL, [] {});
        ADD_FAILURE() << "SIGKILL was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "sig 9 cannot be caught");
    }
    EXPECT_FALSE(loop.remove_signal_handler(SIGUSR1));
}

TEST_F(Signals, OneLoopAtATimeOwnsSignalHandlers) {
    asyncio::EventLoop a, b;
    a.add_signal_handler(SIGUSR1, [] {});
    EXPECT_THROW(b.add_signal_handler(SIGUSR2, [] {}), std::runtime_error);
    a.close();
    b.add_signal_handler(SIGUSR2, [] {});
    EXPECT_TRUE(b.remove_signal_handler(SIGUSR2));
}

TEST_F(Signals, SigintDuringRunCancelsTheMainTaskAndRaisesKeyboardInterrupt) {
    ASSERT_TRUE(disposition_is_default(SIGINT));
    bool cancelled = false;
    bool interrupted = false;
    try {
        asyncio::run([&]() -> asyncio::Task<> {
            asyncio::get_running_loop().call_later(0.02, [] { ::raise(SIGINT); });
            try {
                co_await asyncio::sleep(10);
            } catch (const asyncio::CancelledError&) {
                cancelled = true;
                throw;
            }
        }());
    } catch (const asyncio::KeyboardInterrupt&) {
        interrupted = true;
    }
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(interrupted);
    EXPECT_TRUE(disposition_is_default(SIGINT));
}

TEST_F(Signals, AMainTaskThatCatchesTheInterruptReturnsItsValue) {
    const int r = asyncio::run([]() -> asyncio::Task<int> {
        asyncio::get_running_loop().call_later(0.02, [] { ::raise(SIGINT); });
        try {
            co_await asyncio::sleep(10);
        } catch (const asyncio::CancelledError&) {
            co_return 5;
        }
        co_return 0;
    }());
    EXPECT_EQ(r, 5);
    EXPECT_TRUE(disposition_is_default(SIGINT));
}

TEST_F(Signals, RunLeavesAnInstalledSigintHandlerAlone) {
    struct sigaction sa {}, old{};
    sa.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &sa, &old);
    asyncio::run([]() -> asyncio::Task<> {
        ::raise(SIGINT);  // ignored: the main task is not cancelled
        co_await asyncio::sleep(0.01);
    }());
    struct sigaction now {};
    ::sigaction(SIGINT, nullptr, &now);
    EXPECT_EQ(now.sa_handler, SIG_IGN);
    ::sigaction(SIGINT, &old, nullptr);
}

}  // namespace
