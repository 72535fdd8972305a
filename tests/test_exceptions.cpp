// Tests for <asyncio/exceptions.hpp>: the exception hierarchy of Python's
// asyncio.exceptions, and the one rule that matters most in practice:
// CancelledError is not a std::exception, so `catch (const std::exception&)`
// (Python's `except Exception:`) never swallows a cancellation.
#include <asyncio/exceptions.hpp>

#include <gtest/gtest.h>

#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/timeouts.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "support/text.hpp"

namespace {

using asyncio_test::Log;

// --- the hierarchy --------------------------------------------------------------------------

TEST(CancelledError, IsNotAStdException) {
    EXPECT_FALSE((std::is_base_of_v<std::exception, asyncio::CancelledError>));
}

TEST(CancelledError, PassesThroughACatchOfStdException) {
    bool caught_as_std_exception = false;
    bool caught_by_name = false;
    try {
        try {
            throw asyncio::CancelledError();
        } catch (const std::exception&) {
            caught_as_std_exception = true;
        }
    } catch (const asyncio::CancelledError&) {
        caught_by_name = true;
    }
    EXPECT_FALSE(caught_as_std_exception);
    EXPECT_TRUE(caught_by_name);
}

TEST(CancelledError, WhatIsEmptyByDefaultAndCarriesAMessage) {
    EXPECT_STREQ(asyncio::CancelledError().what(), "");
    EXPECT_STREQ(asyncio::CancelledError("stop now").what(), "stop now");
}

TEST(TimeoutError, IsARuntimeError) {
    EXPECT_TRUE((std::is_base_of_v<std::runtime_error, asyncio::TimeoutError>));
    try {
        throw asyncio::TimeoutError("deadline");
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "deadline");
        return;
    }
    FAIL() << "TimeoutError was not caught as std::runtime_error";
}

TEST(InvalidStateError, IsALogicError) {
    EXPECT_TRUE((std::is_base_of_v<std::logic_error, asyncio::InvalidStateError>));
    try {
        throw asyncio::InvalidStateError("Result is not set.");
    } catch (const std::logic_error& e) {
        EXPECT_STREQ(e.what(), "Result is not set.");
        return;
    }
    FAIL() << "InvalidStateError was not caught as std::logic_error";
}

TEST(ValueError, IsAnInvalidArgument) {
    EXPECT_TRUE((std::is_base_of_v<std::invalid_argument, asyncio::ValueError>));
    EXPECT_TRUE((std::is_base_of_v<std::logic_error, asyncio::ValueError>));
}

TEST(QueueExceptions, AreRuntimeErrors) {
    EXPECT_TRUE((std::is_base_of_v<std::runtime_error, asyncio::QueueEmpty>));
    EXPECT_TRUE((std::is_base_of_v<std::runtime_error, asyncio::QueueFull>));
    EXPECT_TRUE((std::is_base_of_v<std::runtime_error, asyncio::QueueShutDown>));
}

// --- what the library actually throws ---------------------------------------------------------

asyncio::Task<int> never_finishes_before_timeout() {
    co_await asyncio::sleep(3600);
    co_return 1;
}

asyncio::Task<> timeout_is_caught_as_runtime_error(bool& caught) {
    try {
        co_await asyncio::wait_for(never_finishes_before_timeout(), 0.001);
    } catch (const std::runtime_error&) {
        caught = true;
    }
}

TEST(TimeoutError, WaitForThrowsOneThatACatchOfRuntimeErrorSees) {
    bool caught = false;
    asyncio::run(timeout_is_caught_as_runtime_error(caught));
    EXPECT_TRUE(caught);
}

asyncio::Task<> result_before_done_is_a_logic_error(bool& caught) {
    auto pending = asyncio::create_task(asyncio::sleep(3600));
    try {
        pending.result();
    } catch (const std::logic_error&) {
        caught = true;
    }
    pending.cancel();
    co_return;
}

TEST(InvalidStateError, ResultBeforeDoneThrowsOneThatACatchOfLogicErrorSees) {
    bool caught = false;
    asyncio::run(result_before_done_is_a_logic_error(caught));
    EXPECT_TRUE(caught);
}

// A task whose body catches std::exception around the await at which it is
// cancelled: the catch must not see the CancelledError, the task must end cancelled.
asyncio::Task<> catches_std_exception_around_sleep(Log& log) {
    try {
        co_await asyncio::sleep(3600);
        log.push_back("sleep returned");
    } catch (const std::exception&) {
        log.push_back("caught as std::exception");
    }
    log.push_back("after the try block");
}

asyncio::Task<> cancel_one_that_catches_std_exception(Log& log, bool& cancelled) {
    auto task = asyncio::create_task(catches_std_exception_around_sleep(log));
    co_await asyncio::sleep(0);
    task.cancel();
    try {
        co_await task;
        log.push_back("co_await returned");
    } catch (const asyncio::CancelledError&) {
        log.push_back("co_await threw CancelledError");
    }
    cancelled = task.cancelled();
}

TEST(CancelledError, InsideATaskIsNotSwallowedByACatchOfStdException) {
    Log log;
    bool cancelled = false;
    asyncio::run(cancel_one_that_catches_std_exception(log, cancelled));
    EXPECT_EQ(log, (Log{"co_await threw CancelledError"}));
    EXPECT_TRUE(cancelled);
}

asyncio::Task<> catch_all_sees_cancellation(Log& log) {
    try {
        co_await asyncio::sleep(3600);
    } catch (...) {
        try {
            throw;
        } catch (const asyncio::CancelledError&) {
            log.push_back("catch (...) saw CancelledError");
        }
        throw;
    }
}

asyncio::Task<> cancel_one_with_catch_all(Log& log) {
    auto task = asyncio::create_task(catch_all_sees_cancellation(log));
    co_await asyncio::sleep(0);
    task.cancel();
    try {
        co_await task;
    } catch (const asyncio::CancelledError&) {
        log.push_back("task ended cancelled");
    }
}

TEST(CancelledError, IsCaughtByCatchAllAndByName) {
    Log log;
    asyncio::run(cancel_one_with_catch_all(log));
    EXPECT_EQ(log, (Log{"catch (...) saw CancelledError", "task ended cancelled"}));
}

}  // namespace
