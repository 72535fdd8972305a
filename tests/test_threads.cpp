// Tests for <asyncio/threads.hpp> and <asyncio/base_events.hpp>: to_thread,
// run_coroutine_threadsafe, loop.run_in_executor, set_default_executor,
// shutdown_default_executor, getaddrinfo, getnameinfo. Behaviour first observed on
// CPython 3.13 (asyncio.to_thread, loop.run_in_executor, concurrent.futures).
#include <asyncio/threads.hpp>

#include <gtest/gtest.h>

#include <asyncio/base_events.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/executors.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/sockets.hpp>
#include <asyncio/tasks.hpp>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;

/// Polls `pred` every millisecond on this (non-loop) thread for at most 10 s.
template <class P>
bool eventually(P pred) {
    for (int i = 0; i < 10'000; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(1ms);
    }
    return pred();
}

/// Polls `pred` every millisecond inside a task, letting the loop run, for at most 10 s.
template <class P>
asyncio::Task<bool> eventually_async(P pred) {
    for (int i = 0; i < 10'000; ++i) {
        if (pred()) co_return true;
        co_await asyncio::sleep(0.001);
    }
    co_return pred();
}

/// A gate calls wait at (bounded: 10 s) until the test opens it.
struct Gate {
    std::atomic<bool> open{false};
    bool wait() const {
        return eventually([this] { return open.load(); });
    }
};

// ---- to_thread --------------------------------------------------------------------------

asyncio::Task<int> add_in_thread(int a, int b) { co_return co_await asyncio::to_thread([](int x, int y) { return x + y; }, a, b); }

TEST(ToThread, ReturnsTheValue) { EXPECT_EQ(asyncio::run(add_in_thread(40, 2)), 42); }

asyncio::Task<bool> runs_elsewhere() {
    const auto loop_thread = std::this_thread::get_id();
    auto id = co_await asyncio::to_thread([] { return std::this_thread::get_id(); });
    co_return id != loop_thread;
}

TEST(ToThread, RunsTheCallOnAnotherThread) { EXPECT_TRUE(asyncio::run(runs_elsewhere())); }

asyncio::Task<std::string> throws_in_thread() {
    try {
        co_await asyncio::to_thread([] { throw std::out_of_range("index 7"); });
    } catch (const std::out_of_range& e) {
        co_return std::string("caught: ") + e.what();
    }
    co_return "no exception";
}

TEST(ToThread, RethrowsTheExceptionWithItsType) { EXPECT_EQ(asyncio::run(throws_in_thread()), "caught: index 7"); }

asyncio::Task<int> move_only_round_trip() {
    auto p = co_await asyncio::to_thread([](std::unique_ptr<int> q) { return std::make_unique<int>(*q * 3); },
                                         std::make_unique<int>(5));
    co_return *p;
}

TEST(ToThread, MovesOnlyArgumentsInAndMoveOnlyValuesOut) { EXPECT_EQ(asyncio::run(move_only_round_trip()), 15); }

asyncio::Task<long> thousand_calls(std::set<std::thread::id>& threads, std::mutex& m) {
    std::vector<asyncio::Task<int>> tasks;
    for (int i = 0; i < 1000; ++i) {
        tasks.push_back(asyncio::create_task(asyncio::to_thread([i, &threads, &m] {
            std::lock_guard lock(m);
            threads.insert(std::this_thread::get_id());
            return i;
        })));
    }
    long sum = 0;
    for (auto& t : tasks) sum += co_await t;
    co_return sum;
}

TEST(ToThread, AThousandConcurrentCallsWithTheDefaultPoolAllComplete) {
    std::set<std::thread::id> threads;
    std::mutex m;
    EXPECT_EQ(asyncio::run(thousand_calls(threads, m)), 999L * 1000 / 2);
    EXPECT_GE(threads.size(), 1u);
    EXPECT_LE(threads.size(), asyncio::ThreadPoolExecutor::default_max_workers());  // Python's default pool
}

struct CancelRun {
    Gate gate;
    std::atomic<bool> started{false};
    std::atomic<bool> finished{false};
    bool cancelled_at_once = false;
    bool call_still_running = false;
};

asyncio::Task<> cancel_while_running(CancelRun& r) {
    auto task = asyncio::create_task(asyncio::to_thread([&r] {
        r.started = true;
        const bool ok = r.gate.wait();
        r.finished = true;
        return ok ? 1 : -1;
    }));
    const bool started = co_await eventually_async([&] { return r.started.load(); });
    EXPECT_TRUE(started);
    task.cancel();
    co_await asyncio::sleep(0);  // done after one iteration, as on CPython 3.13: it does not wait for the call
    r.cancelled_at_once = task.done() && task.cancelled();
    r.call_still_running = !r.finished.load();
    r.gate.open = true;
    const bool finished = co_await eventually_async([&] { return r.finished.load(); });
    EXPECT_TRUE(finished);
    co_await asyncio::sleep(0.01);  // its completion arrives and is dropped
    EXPECT_TRUE(task.cancelled());
}

TEST(ToThread, ATaskCancelledWhileItsCallRunsEndsCancelledAtOnceAndTheCallRunsOn) {
    CancelRun r;
    asyncio::run(cancel_while_running(r));
    EXPECT_TRUE(r.cancelled_at_once);
    EXPECT_TRUE(r.call_still_running);
    EXPECT_TRUE(r.finished.load());
}

asyncio::Task<> leaves_a_call_running(std::atomic<bool>& started, std::atomic<bool>& finished) {
    auto task = asyncio::create_task(asyncio::to_thread([&started, &finished] {
        started = true;
        std::this_thread::sleep_for(50ms);  // not a timing assertion: run() must wait however long it takes
        finished = true;
    }));
    // Once started, cancelling the task (run() does) cannot stop the call.
    const bool ok = co_await eventually_async([&] { return started.load(); });
    EXPECT_TRUE(ok);
}

TEST(ToThread, RunWaitsForTheDefaultExecutorsWork) {
    std::atomic<bool> started{false};
    std::atomic<bool> finished{false};
    asyncio::run(leaves_a_call_running(started, finished));
    EXPECT_TRUE(finished.load());  // Python 3.13: run() shuts the default executor down, waiting
}

TEST(ToThread, WithoutARunningLoopThrows) { EXPECT_THROW((void)asyncio::to_thread([] { return 1; }), std::runtime_error); }

// ---- run_in_executor ------------------------------------------------------------------------

asyncio::Task<int> in_custom_pool(asyncio::ThreadPoolExecutor& pool) {
    auto& loop = asyncio::get_running_loop();
    co_return co_await loop.run_in_executor(&pool, [](int x) { return x * 2; }, 21);
}

TEST(RunInExecutor, RunsInTheGivenExecutor) {
    asyncio::ThreadPoolExecutor pool(2);
    EXPECT_EQ(asyncio::run(in_custom_pool(pool)), 42);
    EXPECT_EQ(pool.thread_count(), 1u);
}

/// An executor of our own: counts the work and forwards it to a pool.
class CountingExecutor final : public asyncio::Executor {
public:
    void execute(asyncio::WorkItem work) override {
        ++submitted;
        pool.execute(std::move(work));
    }
    std::atomic<int> submitted{0};
    asyncio::ThreadPoolExecutor pool{1};

protected:
    void do_shutdown(bool wait, bool cancel_futures) override { pool.shutdown(wait, cancel_futures); }
};

asyncio::Task<std::string> in_counting_executor(CountingExecutor& ex) {
    auto& loop = asyncio::get_running_loop();
    std::string a = co_await loop.run_in_executor(&ex, [] { return std::string("a"); });
    std::string b = co_await loop.run_in_executor(&ex, [](std::string s) { return s + "b"; }, a);
    co_return b;
}

TEST(RunInExecutor, RunsInAnExecutorOfOurOwn) {
    CountingExecutor ex;
    EXPECT_EQ(asyncio::run(in_counting_executor(ex)), "ab");
    EXPECT_EQ(ex.submitted.load(), 2);
}

/// An executor that destroys its work unrun, as shutdown(cancel_futures=True) does.
class DroppingExecutor final : public asyncio::Executor {
public:
    void execute(asyncio::WorkItem work) override { asyncio::WorkItem dropped = std::move(work); }

protected:
    void do_shutdown(bool, bool) override {}
};

asyncio::Task<std::string> dropped_work(DroppingExecutor& ex, bool& ran) {
    auto& loop = asyncio::get_running_loop();
    try {
        co_await loop.run_in_executor(&ex, [&ran] { ran = true; });
    } catch (const asyncio::CancelledError&) {
        co_return "cancelled";  // Python: the concurrent future was cancelled
    }
    co_return "returned";
}

TEST(RunInExecutor, WorkTheExecutorDiscardsEndsTheAwaitCancelled) {
    DroppingExecutor ex;
    bool ran = false;
    EXPECT_EQ(asyncio::run(dropped_work(ex, ran)), "cancelled");
    EXPECT_FALSE(ran);
}

/// An executor that runs the work at once, on the calling thread (here: the loop's).
class InlineExecutor final : public asyncio::Executor {
public:
    void execute(asyncio::WorkItem work) override { work(); }

protected:
    void do_shutdown(bool, bool) override {}
};

asyncio::Task<bool> inline_call(InlineExecutor& ex) {
    auto& loop = asyncio::get_running_loop();
    auto id = co_await loop.run_in_executor(&ex, [] { return std::this_thread::get_id(); });
    co_return id == std::this_thread::get_id();
}

TEST(RunInExecutor, AnExecutorMayRunTheCallInlineOnTheLoopThread) {
    InlineExecutor ex;
    EXPECT_TRUE(asyncio::run(inline_call(ex)));
}

asyncio::Task<std::string> after_shutdown(asyncio::ThreadPoolExecutor& pool) {
    auto& loop = asyncio::get_running_loop();
    try {
        auto t = loop.run_in_executor(&pool, [] { return 1; });  // refused at once, as Python's submit()
        co_return "submitted";
    } catch (const std::runtime_error& e) {
        co_return e.what();
    }
}

TEST(RunInExecutor, AnExecutorShutDownRefusesTheCall) {
    asyncio::ThreadPoolExecutor pool(1);
    pool.shutdown();
    EXPECT_EQ(asyncio::run(after_shutdown(pool)), "cannot schedule new futures after shutdown");
}

asyncio::Task<int> completes_before_awaited(std::atomic<bool>& ran) {
    auto& loop = asyncio::get_running_loop();
    auto task = loop.run_in_executor(nullptr, [&ran] {  // submitted now, awaited later
        ran = true;
        return 9;
    });
    const bool done = co_await eventually_async([&] { return ran.load(); });
    EXPECT_TRUE(done);
    co_await asyncio::sleep(0.01);  // the completion has arrived: nobody waits for it yet
    co_return co_await task;
}

TEST(RunInExecutor, SubmitsAtOnceAndTheValueWaitsForTheAwait) {
    std::atomic<bool> ran{false};
    EXPECT_EQ(asyncio::run(completes_before_awaited(ran)), 9);
}

asyncio::Task<std::pair<int, int>> cancelled_before_it_starts(asyncio::ThreadPoolExecutor& pool, Gate& gate,
                                                              std::atomic<int>& second_ran) {
    auto& loop = asyncio::get_running_loop();
    auto first = asyncio::create_task(loop.run_in_executor(&pool, [&gate] { return gate.wait() ? 1 : -1; }));
    auto second = asyncio::create_task(loop.run_in_executor(&pool, [&second_ran] {
        ++second_ran;
        return 2;
    }));
    co_await asyncio::sleep(0);
    second.cancel();  // still queued behind `first` in the one thread: it never runs (Python)
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    const int cancelled = second.cancelled() ? 1 : 0;
    gate.open = true;
    const int a = co_await first;
    co_return std::pair{a, cancelled};
}

TEST(RunInExecutor, ACallCancelledBeforeItStartsNeverRuns) {
    asyncio::ThreadPoolExecutor pool(1);
    Gate gate;
    std::atomic<int> second_ran{0};
    auto [first, cancelled] = asyncio::run(cancelled_before_it_starts(pool, gate, second_ran));
    EXPECT_EQ(first, 1);
    EXPECT_EQ(cancelled, 1);
    pool.shutdown();  // everything queued has been taken
    EXPECT_EQ(second_ran.load(), 0);
}

asyncio::Task<> leave_call_running(asyncio::ThreadPoolExecutor& pool, Gate& gate, std::atomic<bool>& finished) {
    auto& loop = asyncio::get_running_loop();
    auto t = asyncio::create_task(loop.run_in_executor(&pool, [&gate, &finished] {
        const bool ok = gate.wait();
        finished = true;
        return ok;
    }));
    co_await asyncio::sleep(0);
}

TEST(RunInExecutor, ACallFinishingAfterItsLoopIsGoneIsDropped) {
    asyncio::ThreadPoolExecutor pool(1);  // outlives the loop
    Gate gate;
    std::atomic<bool> finished{false};
    {
        asyncio::EventLoop loop;
        loop.run_until_complete(leave_call_running(pool, gate, finished));
        loop.close();
    }  // the loop is destroyed while the call runs
    gate.open = true;
    pool.shutdown();  // the call finishes and posts nothing: no loop to post to
    EXPECT_TRUE(finished.load());
}

TEST(RunInExecutor, AClosedLoopRefusesTheCall) {
    asyncio::EventLoop loop;
    loop.close();
    EXPECT_THROW((void)loop.run_in_executor(nullptr, [] { return 1; }), std::runtime_error);
}

// ---- default executor -------------------------------------------------------------------

asyncio::Task<std::thread::id> on_default(std::shared_ptr<asyncio::ThreadPoolExecutor> pool) {
    asyncio::get_running_loop().set_default_executor(pool);
    co_return co_await asyncio::to_thread([] { return std::this_thread::get_id(); });
}

TEST(DefaultExecutor, SetDefaultExecutorIsWhatToThreadUses) {
    auto pool = std::make_shared<asyncio::ThreadPoolExecutor>(3);
    (void)asyncio::run(on_default(pool));
    EXPECT_EQ(pool->thread_count(), 0u);  // run() shut it down and joined its one thread
    EXPECT_THROW(pool->execute([] {}), std::runtime_error);
}

TEST(DefaultExecutor, ANullExecutorIsRefused) {
    asyncio::EventLoop loop;
    EXPECT_THROW(loop.set_default_executor(nullptr), std::invalid_argument);
}

asyncio::Task<std::string> shutdown_while_loop_runs(std::atomic<bool>& finished) {
    auto& loop = asyncio::get_running_loop();
    auto gate = std::make_shared<Gate>();
    auto call = asyncio::create_task(asyncio::to_thread([gate, &finished] {
        const bool ok = gate->wait();
        finished = true;
        return ok;
    }));
    // This ticker opens the gate: shutdown_default_executor() waits for the call without
    // blocking the loop, or the ticker would never run and the call would time out.
    auto ticker = asyncio::create_task([](std::shared_ptr<Gate> g) -> asyncio::Task<> {
        for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
        g->open = true;
    }(gate));
    co_await loop.shutdown_default_executor();
    const bool ok = co_await call;
    EXPECT_TRUE(ok);
    EXPECT_TRUE(finished.load());
    co_await ticker;
    try {
        auto t = loop.run_in_executor(nullptr, [] { return 1; });
        co_return "submitted";
    } catch (const std::runtime_error& e) {
        co_return e.what();
    }
}

TEST(DefaultExecutor, ShutdownDefaultExecutorWaitsWithoutBlockingTheLoop) {
    std::atomic<bool> finished{false};
    EXPECT_EQ(asyncio::run(shutdown_while_loop_runs(finished)), "Executor shutdown has been called");
}

asyncio::Task<int> shutdown_without_default() {
    co_await asyncio::get_running_loop().shutdown_default_executor();  // none was created: nothing to wait for
    co_return 1;
}

TEST(DefaultExecutor, ShutdownWithoutADefaultExecutorReturns) { EXPECT_EQ(asyncio::run(shutdown_without_default()), 1); }

TEST(DefaultExecutor, CloseDoesNotWaitForTheCallsButDestroyingTheLoopDoes) {
    Gate gate;
    std::atomic<bool> finished{false};
    std::thread opener;
    {
        asyncio::EventLoop loop;
        auto t = loop.run_in_executor(nullptr, [&gate, &finished] {
            const bool ok = gate.wait();
            finished = true;
            return ok;
        });
        loop.close();  // Python's close(): shutdown(wait=False) -- it returns with the call still running
        EXPECT_FALSE(finished.load());
        opener = std::thread([&gate] {
            std::this_thread::sleep_for(20ms);
            gate.open = true;
        });
    }  // ~EventLoop: the default pool's last reference joins its thread (as std::jthread)
    EXPECT_TRUE(finished.load());
    opener.join();
}

// ---- getaddrinfo / getnameinfo ----------------------------------------------------------

asyncio::Task<std::vector<asyncio::AddrInfo>> resolve(std::string host, std::uint16_t port, int family, int type,
                                                      int flags = 0) {
    co_return co_await asyncio::get_running_loop().getaddrinfo(std::move(host), port, family, type, 0, flags);
}

TEST(Getaddrinfo, ANumericAddress) {
    auto infos = asyncio::run(resolve("127.0.0.1", 8080, AF_INET, SOCK_STREAM));
    ASSERT_EQ(infos.size(), 1u);
    EXPECT_EQ(infos[0].family, AF_INET);
    EXPECT_EQ(infos[0].type, SOCK_STREAM);
    EXPECT_EQ(infos[0].proto, IPPROTO_TCP);
    EXPECT_EQ(infos[0].canonname, "");
    EXPECT_EQ(asyncio::to_string(infos[0].address), "('127.0.0.1', 8080)");
}

TEST(Getaddrinfo, LocalhostResolvesToTheLoopback) {
    auto infos = asyncio::run(resolve("localhost", 80, 0, SOCK_STREAM));
    ASSERT_FALSE(infos.empty());
    bool loopback = false;
    for (const auto& info : infos) {
        EXPECT_EQ(info.address.port, 80);
        EXPECT_EQ(info.type, SOCK_STREAM);
        loopback = loopback || info.address.host == "127.0.0.1" || info.address.host == "::1";
    }
    EXPECT_TRUE(loopback);
}

TEST(Getaddrinfo, AnIPv6Address) {
    auto infos = asyncio::run(resolve("::1", 443, AF_INET6, SOCK_DGRAM));
    ASSERT_EQ(infos.size(), 1u);
    EXPECT_EQ(infos[0].family, AF_INET6);
    EXPECT_EQ(infos[0].proto, IPPROTO_UDP);
    EXPECT_EQ(asyncio::to_string(infos[0].address), "('::1', 443, 0, 0)");
}

TEST(Getaddrinfo, ABadHostIsAGaierror) {
    try {
        // AI_NUMERICHOST: refused without asking any name server.
        (void)asyncio::run(resolve("no-such-host.invalid", 80, 0, SOCK_STREAM, AI_NUMERICHOST));
        FAIL() << "resolved";
    } catch (const asyncio::gaierror& e) {
        EXPECT_EQ(e.code().value(), EAI_NONAME);
        EXPECT_EQ(&e.code().category(), &asyncio::gai_category());
        EXPECT_EQ(std::string(e.what()), std::string("getaddrinfo no-such-host.invalid:80: ") + gai_strerror(EAI_NONAME));
    }
}

TEST(Getaddrinfo, ABadFamilyIsAGaierror) {
    try {
        (void)asyncio::run(resolve("127.0.0.1", 80, 12345, 0));
        FAIL() << "resolved";
    } catch (const std::system_error& e) {  // a gaierror is a std::system_error
        EXPECT_EQ(e.code(), std::error_code(EAI_FAMILY, asyncio::gai_category()));
    }
}

asyncio::Task<std::pair<std::string, std::string>> name_of(asyncio::SocketAddress a, int flags) {
    co_return co_await asyncio::get_running_loop().getnameinfo(a, flags);
}

TEST(Getnameinfo, NumericHostAndService) {
    auto [host, service] = asyncio::run(name_of({AF_INET, "127.0.0.1", 8080}, NI_NUMERICHOST | NI_NUMERICSERV));
    EXPECT_EQ(host, "127.0.0.1");
    EXPECT_EQ(service, "8080");
}

TEST(Getnameinfo, AnIPv6Address) {
    auto [host, service] = asyncio::run(name_of({AF_INET6, "::1", 53}, NI_NUMERICHOST | NI_NUMERICSERV));
    EXPECT_EQ(host, "::1");
    EXPECT_EQ(service, "53");
}

TEST(Getnameinfo, ANonNumericHostIsInvalid) {
    EXPECT_THROW((void)asyncio::run(name_of({AF_INET, "localhost", 80}, 0)), std::invalid_argument);
}

// ---- run_coroutine_threadsafe -----------------------------------------------------------

asyncio::Task<int> on_the_loop(int x, std::thread::id& ran_on) {
    co_await asyncio::sleep(0);
    ran_on = std::this_thread::get_id();
    co_return x + 1;
}

asyncio::Task<int> failing_on_the_loop() {
    co_await asyncio::sleep(0);
    throw std::length_error("too long");
}

asyncio::Task<int> cancelled_on_the_loop() {
    co_await asyncio::sleep(0);
    throw asyncio::CancelledError();
}

asyncio::Task<std::string> from_a_worker() {
    auto& loop = asyncio::get_running_loop();
    const auto loop_thread = std::this_thread::get_id();
    std::thread::id ran_on;
    // The worker blocks on the std::future while the loop runs the coroutine.
    int v = co_await asyncio::to_thread([&loop, &ran_on] { return asyncio::run_coroutine_threadsafe(on_the_loop(41, ran_on), loop).get(); });
    std::string error = co_await asyncio::to_thread([&loop] {
        try {
            (void)asyncio::run_coroutine_threadsafe(failing_on_the_loop(), loop).get();
        } catch (const std::length_error&) {
            // (Not reading e.what() here: the loop thread may free the exception meanwhile,
            // which is safe, but libstdc++ counts exception_ptr references in code that
            // ThreadSanitizer does not see, so it would report a false race.)
            return std::string("length_error");
        }
        return std::string("no exception");
    });
    std::string cancelled = co_await asyncio::to_thread([&loop] {
        try {
            (void)asyncio::run_coroutine_threadsafe(cancelled_on_the_loop(), loop).get();
        } catch (const asyncio::CancelledError&) {
            return std::string("CancelledError");
        }
        return std::string("no exception");
    });
    co_return std::to_string(v) + " " + (ran_on == loop_thread ? "on-loop" : "elsewhere") + " " + error + " " + cancelled;
}

TEST(RunCoroutineThreadsafe, FromAWorkerThreadValuesExceptionsAndCancellationComeBack) {
    EXPECT_EQ(asyncio::run(from_a_worker()), "42 on-loop length_error CancelledError");
}

asyncio::Task<> wait_forever(std::atomic<bool>& started) {
    asyncio::Future<> never;
    started = true;
    co_await never;
}

TEST(RunCoroutineThreadsafe, ToALoopRunningInAnotherThread) {
    asyncio::EventLoop loop;
    std::promise<void> running;
    std::thread runner([&] {
        loop.call_soon([&] { running.set_value(); });
        loop.run_forever();
    });
    running.get_future().wait();
    std::thread::id ran_on;
    std::future<int> f = asyncio::run_coroutine_threadsafe(on_the_loop(1, ran_on), loop);
    EXPECT_EQ(f.get(), 2);
    EXPECT_EQ(ran_on, runner.get_id());
    std::atomic<bool> started{false};
    std::future<void> forever = asyncio::run_coroutine_threadsafe(wait_forever(started), loop);
    EXPECT_TRUE(eventually([&] { return started.load(); }));
    loop.call_soon_threadsafe([&loop] { loop.stop(); });
    runner.join();
    loop.close();  // the pending task is dropped: its promise breaks
    try {
        forever.get();
        FAIL() << "no exception";
    } catch (const std::future_error& e) {
        EXPECT_EQ(e.code(), std::future_errc::broken_promise);
    }
    EXPECT_THROW((void)asyncio::run_coroutine_threadsafe(wait_forever(started), loop), std::runtime_error);
}
}  // namespace
