// tests/redis_processes/test_redis_processes.cpp - asyncio::redis::Queue across real processes
// and a real redis-server (tests/support/redis_server.hpp: started by each test on a free
// loopback port, in a temporary directory, and stopped). The processes are redis_proc_helper (proc_helper.cpp), started with
// posix_spawn; consumers report every item they got and acknowledged in a file of their own
// (written with write(2) line by line, so a SIGKILL loses no line written).
//
//   KilledConsumersLeasesGoToTheOthers   a consumer gets 10 items, acknowledges 4 and is
//       SIGKILLed holding 6: exactly those 6 are delivered again, to the other consumers, and
//       every other item is delivered once; the 4 acknowledged ones are never delivered again.
//   FourProducersFourConsumersEveryItemOnce   4 producer and 4 consumer processes (4 worker
//       tasks each, one handle per process), ITEMS items per producer (put() one by one in two
//       producers, put_many() of 100 in the other two), maxsize 1000: every item is got and
//       acknowledged exactly once (no loss, no duplicate), join() returns, qsize() is 0.
//   FourByFourWithAKilledConsumer   the same, and one consumer (whose items take 200 ms of work
//       each, so that it holds items when it dies) is SIGKILLed part-way: no item
//       is lost; an item acknowledged by the killed consumer is never delivered again; an item
//       it never got is acknowledged exactly once by the others; duplicates occur only for the
//       items it held (got, task_done() not returned) when it died, are counted and printed.
//
// ITEMS is 25,000 per producer (100,000 in all) in the Release builds. THE SANITIZER BUILDS
// (ASan, TSan) USE 2,000 PER PRODUCER (8,000 in all), set by tests/redis_processes/CMakeLists.txt:
// 5,000 per producer took 60 s there for one test at a load average of 12. The environment
// variable ASYNCIO_REDIS_PROCS_ITEMS overrides the build's default; the count in use is printed
// whenever it is not 25,000.
#include "procs.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#ifndef REDIS_PROC_HELPER
#error "REDIS_PROC_HELPER (the path of redis_proc_helper) must be defined by the build"
#endif
#ifndef REDIS_PROCS_DEFAULT_ITEMS
#define REDIS_PROCS_DEFAULT_ITEMS 25000
#endif

namespace {

using namespace std::chrono_literals;
using redis_procs::Child;
using redis_procs::Report;

const std::string helper = REDIS_PROC_HELPER;

/// A temporary directory for the reports, removed with its files.
class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/asyncio-redis-procs-reports-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        if (DIR* d = ::opendir(path_.c_str())) {
            while (dirent* e = ::readdir(d)) {
                const std::string n = e->d_name;
                if (n != "." && n != "..") ::unlink((path_ + "/" + n).c_str());
            }
            ::closedir(d);
        }
        ::rmdir(path_.c_str());
    }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::vector<std::string> args(std::initializer_list<std::string> list) { return std::vector<std::string>(list); }

/// Runs `join` on the queue (every item put acknowledged, then shutdown()) and checks it printed
/// "joined qsize=0".
void join_and_shut_down(const std::string& url, const std::string& name, const std::string& maxsize,
                        std::chrono::milliseconds timeout) {
    Child join(args({helper, "join", url, name, maxsize}));
    const std::string out = join.read_rest(timeout);
    join.wait(5s);
    ASSERT_TRUE(join.exited_ok()) << join.describe() << "; printed: " << out;
    EXPECT_EQ(out, "joined qsize=0\n");
}

std::int64_t items_per_producer() {
    const long n = redis_procs::env_long("ASYNCIO_REDIS_PROCS_ITEMS", REDIS_PROCS_DEFAULT_ITEMS);
    if (n != 25000) {
        std::cout << "\n!!!! NOTE: " << n << " items per producer in this build, not 25,000 (a sanitizer build, "
                  << "or ASYNCIO_REDIS_PROCS_ITEMS set); the Release builds run 25,000 per producer !!!!\n\n";
    }
    return n;
}

TEST(RedisProcesses, KilledConsumersLeasesGoToTheOthers) {
    asyncio_test::RedisServer redis;
    TempDir dir;
    const std::string url = redis.url(), name = "procs-held", maxsize = "0";
    constexpr int total = 200;

    Child producer(args({helper, "produce", url, name, maxsize, "0", std::to_string(total), "1"}));
    EXPECT_EQ(producer.read_rest(60s), "put 200\n");
    producer.wait(10s);
    ASSERT_TRUE(producer.exited_ok()) << producer.describe();

    // The victim's leases last 4 s (its own handle's visibility_timeout): long enough that none
    // expires while it is still getting and acknowledging, even on a slow sanitizer build.
    Child victim(args({helper, "hold", url, name, maxsize, dir.file("victim"), "4", "10", "4"}));
    const auto ready = victim.read_line(60s);
    ASSERT_TRUE(ready && *ready == "ready") << victim.describe();
    victim.kill(SIGKILL);
    victim.wait(10s);
    ASSERT_TRUE(victim.killed_by(SIGKILL)) << victim.describe();
    const Report held = redis_procs::read_report(dir.file("victim"));
    ASSERT_EQ(held.got.size(), 10u);
    ASSERT_EQ(held.acked.size(), 4u);
    EXPECT_FALSE(held.finished);

    std::vector<std::unique_ptr<Child>> survivors;
    for (int i = 0; i < 2; ++i)
        survivors.push_back(std::make_unique<Child>(
            args({helper, "consume", url, name, maxsize, dir.file("survivor" + std::to_string(i)), "30", "2"})));
    join_and_shut_down(url, name, maxsize, 60s);
    std::map<std::int64_t, int> delivered;  // item -> times the survivors got it
    for (int i = 0; i < 2; ++i) {
        survivors[i]->wait(30s);
        ASSERT_TRUE(survivors[i]->exited_ok()) << survivors[i]->describe();
        const Report r = redis_procs::read_report(dir.file("survivor" + std::to_string(i)));
        EXPECT_TRUE(r.finished);
        EXPECT_EQ(r.got.size(), r.acked.size()) << "survivor " << i << " acknowledged every item it got";
        for (std::int64_t item : r.got) ++delivered[item];
    }

    const std::set<std::int64_t> victim_acked(held.acked.begin(), held.acked.end());
    std::set<std::int64_t> expected_again;  // got by the victim, not acknowledged
    for (std::int64_t item : held.got)
        if (!victim_acked.count(item)) expected_again.insert(item);
    ASSERT_EQ(expected_again.size(), 6u);

    std::set<std::int64_t> again;
    for (std::int64_t item = 0; item < total; ++item) {
        const int times = delivered.count(item) ? delivered[item] : 0;
        if (victim_acked.count(item)) {
            EXPECT_EQ(times, 0) << "item " << item << " was acknowledged by the killed consumer, then delivered again";
        } else {
            EXPECT_EQ(times, 1) << "item " << item << " delivered " << times << " times to the survivors";
        }
        if (times > 0 && std::count(held.got.begin(), held.got.end(), item)) again.insert(item);
    }
    EXPECT_EQ(again, expected_again) << "the items delivered again are exactly those the killed consumer held";
    std::cout << "killed consumer held " << expected_again.size() << " items unacknowledged (and had acknowledged "
              << victim_acked.size() << "); delivered again: " << again.size() << "; survivors got "
              << delivered.size() << " distinct items of " << total << "\n";
}

struct FourByFour {
    std::int64_t per_producer = 0;
    std::vector<Report> reports;  // one per consumer, [0] the one killed when there is one
    bool killed = false;
};

/// 4 producers, 4 consumers (4 tasks each); when `kill_one`, consumer 0 (visibility 5 s, and
/// 200 ms of "work" between get() and task_done(), so that its tasks hold items long enough to
/// be caught holding them) is SIGKILLed once it has acknowledged 20 items and its report shows
/// an item got and not acknowledged.
FourByFour four_by_four(const std::string& name, bool kill_one) {
    asyncio_test::RedisServer redis;
    TempDir dir;
    const std::string url = redis.url(), maxsize = "1000";
    FourByFour run;
    run.per_producer = items_per_producer();
    const std::string count = std::to_string(run.per_producer);

    std::vector<std::unique_ptr<Child>> consumers;
    for (int i = 0; i < 4; ++i) {
        std::vector<std::string> argv =
            args({helper, "consume", url, name, maxsize, dir.file("consumer" + std::to_string(i)), "30", "4"});
        if (kill_one && i == 0) {
            argv[6] = "5";             // visibility_timeout
            argv.emplace_back("200");  // WORK_MS
        }
        consumers.push_back(std::make_unique<Child>(argv));
    }
    std::vector<std::unique_ptr<Child>> producers;
    for (int p = 0; p < 4; ++p) {
        const std::string first = std::to_string(p * run.per_producer);
        const std::string batch = p < 2 ? "1" : "100";
        producers.push_back(std::make_unique<Child>(args({helper, "produce", url, name, maxsize, first, count, batch})));
    }
    if (kill_one) {
        // At 200 ms per item and 4 tasks, ~1 s in: well before the end (the others need 10+ s).
        const std::size_t threshold = 20;
        const auto deadline = redis_procs::Clock::now() + 60s;
        bool caught_holding = false;
        while (redis_procs::Clock::now() < deadline) {
            const Report r = redis_procs::read_report(dir.file("consumer0"));
            if (r.acked.size() >= threshold && r.got.size() > r.acked.size()) {
                caught_holding = true;  // it holds an item for ~200 ms more: kill it now
                break;
            }
            std::this_thread::sleep_for(5ms);
        }
        EXPECT_TRUE(caught_holding) << "the consumer to kill did not acknowledge " << threshold
                                    << " items and hold one within 60 s";
        consumers[0]->kill(SIGKILL);
        consumers[0]->wait(10s);
        EXPECT_TRUE(consumers[0]->killed_by(SIGKILL)) << consumers[0]->describe();
        run.killed = true;
    }
    for (auto& p : producers) {
        const std::string out = p->read_rest(180s);
        p->wait(10s);
        EXPECT_TRUE(p->exited_ok()) << p->describe();
        EXPECT_EQ(out, "put " + count + "\n");
    }
    join_and_shut_down(url, name, maxsize, 180s);
    for (std::size_t i = 0; i < consumers.size(); ++i) {
        if (run.killed && i == 0) {
            run.reports.push_back(redis_procs::read_report(dir.file("consumer0")));
            continue;
        }
        consumers[i]->wait(60s);
        EXPECT_TRUE(consumers[i]->exited_ok()) << consumers[i]->describe();
        run.reports.push_back(redis_procs::read_report(dir.file("consumer" + std::to_string(i))));
        EXPECT_TRUE(run.reports.back().finished) << "consumer " << i;
    }
    return run;
}

TEST(RedisProcesses, FourProducersFourConsumersEveryItemOnce) {
    const FourByFour run = four_by_four("procs-4x4", false);
    const std::int64_t total = 4 * run.per_producer;
    std::vector<int> got(static_cast<std::size_t>(total)), acked(static_cast<std::size_t>(total));
    std::int64_t out_of_range = 0;
    for (const Report& r : run.reports) {
        for (std::int64_t item : r.got) {
            if (item < 0 || item >= total) ++out_of_range;
            else ++got[static_cast<std::size_t>(item)];
        }
        for (std::int64_t item : r.acked)
            if (item >= 0 && item < total) ++acked[static_cast<std::size_t>(item)];
    }
    std::int64_t lost = 0, duplicated = 0, unacked = 0, acked_twice = 0;
    for (std::int64_t i = 0; i < total; ++i) {
        const auto k = static_cast<std::size_t>(i);
        if (got[k] == 0) ++lost;
        if (got[k] > 1) ++duplicated;
        if (acked[k] == 0) ++unacked;
        if (acked[k] > 1) ++acked_twice;
    }
    std::cout << total << " items, 4 producers, 4 consumers: lost " << lost << ", delivered twice " << duplicated
              << ", never acknowledged " << unacked << ", acknowledged twice " << acked_twice << ", unknown "
              << out_of_range << "; per consumer:";
    for (const Report& r : run.reports) std::cout << " " << r.acked.size();
    std::cout << "\n";
    EXPECT_EQ(out_of_range, 0);
    EXPECT_EQ(lost, 0);
    EXPECT_EQ(duplicated, 0);
    EXPECT_EQ(unacked, 0);
    EXPECT_EQ(acked_twice, 0);
}

TEST(RedisProcesses, FourByFourWithAKilledConsumer) {
    const FourByFour run = four_by_four("procs-4x4-kill", true);
    ASSERT_TRUE(run.killed);
    const std::int64_t total = 4 * run.per_producer;
    const Report& victim = run.reports[0];
    const std::set<std::int64_t> victim_got(victim.got.begin(), victim.got.end());
    const std::set<std::int64_t> victim_acked(victim.acked.begin(), victim.acked.end());
    EXPECT_EQ(victim_got.size(), victim.got.size()) << "the killed consumer got no item twice";
    EXPECT_FALSE(victim.finished);
    std::set<std::int64_t> in_flight;  // got by the victim, its task_done() not returned when killed
    for (std::int64_t item : victim_got)
        if (!victim_acked.count(item)) in_flight.insert(item);
    EXPECT_LE(in_flight.size(), 4u) << "4 worker tasks hold at most one item each";

    std::vector<int> survivors(static_cast<std::size_t>(total));
    std::int64_t out_of_range = 0, survivor_unacked = 0;
    for (std::size_t i = 1; i < run.reports.size(); ++i) {
        const Report& r = run.reports[i];
        for (std::int64_t item : r.got) {
            if (item < 0 || item >= total) ++out_of_range;
            else ++survivors[static_cast<std::size_t>(item)];
        }
        survivor_unacked += static_cast<std::int64_t>(r.got.size()) - static_cast<std::int64_t>(r.acked.size());
    }
    EXPECT_EQ(out_of_range, 0);
    EXPECT_EQ(survivor_unacked, 0) << "the surviving consumers acknowledged every item they got";

    std::int64_t lost = 0, redelivered_after_ack = 0, duplicated_elsewhere = 0, duplicates = 0, acked_before_kill = 0;
    for (std::int64_t i = 0; i < total; ++i) {
        const int times = survivors[static_cast<std::size_t>(i)];
        if (victim_acked.count(i)) {
            if (times != 0) ++redelivered_after_ack;  // acknowledged, then delivered again: never allowed
        } else if (in_flight.count(i)) {
            if (times == 1) ++duplicates;              // held by the victim, delivered again: the allowed duplicate
            else if (times == 0) ++acked_before_kill;  // its task_done() reached Redis, the "a" line was not written
                                                       // (join() returning proves it was acknowledged)
            else ++duplicated_elsewhere;
        } else {
            if (times == 0) ++lost;
            if (times > 1) ++duplicated_elsewhere;
        }
    }
    std::cout << total << " items, 4 producers, 4 consumers, one killed after acknowledging " << victim_acked.size()
              << " items: it held " << in_flight.size() << " unacknowledged; duplicates (its items delivered again) "
              << duplicates << ", its in-flight items acknowledged just before the kill " << acked_before_kill
              << "; lost " << lost << ", acknowledged then delivered again " << redelivered_after_ack
              << ", other duplicates " << duplicated_elsewhere << "\n";
    EXPECT_GT(victim_acked.size(), 0u);
    EXPECT_GT(in_flight.size(), 0u) << "the killed consumer held no item: nothing was tested for redelivery";
    EXPECT_EQ(lost, 0);
    EXPECT_EQ(redelivered_after_ack, 0);
    EXPECT_EQ(duplicated_elsewhere, 0);
    EXPECT_EQ(duplicates + acked_before_kill, static_cast<std::int64_t>(in_flight.size()));
}

}  // namespace
