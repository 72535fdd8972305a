// Shared by the C++ programs of the thread-safe queue workloads T1-T5 (threads_asyncio.cpp,
// floor.cpp, boost_concurrent_channel.cpp): the counts, the clock and the report format. The
// Go, Rust and Python peers repeat the same constants; bench/threads/README.md lists them.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

namespace tbench {

inline constexpr int n = 1'000'000;     // T1, T2, T3, T5: items
inline constexpr int t4_n = 100'000;    // T4: round trips
inline constexpr int capacity = 1024;   // T1, T2, T3, T5: maxsize
inline constexpr int t5_producers = 4;  // T5

// CPU time of the whole process (every thread), in ns.
inline std::int64_t cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
inline std::int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct Stopwatch {
    std::int64_t cpu0 = cpu_ns(), wall0 = wall_ns(), cpu1 = 0, wall1 = 0;
    void stop() {
        wall1 = wall_ns();
        cpu1 = cpu_ns();
    }
};

// "RESULT <name> <CPU ns per item>", "RESULT <name>_wall <wall ns per item>",
// "CHECK <name>/n=<items> <sum>" (Python moves fewer items: a check compares equal work).
inline void report(const char* name, const Stopwatch& sw, long long items, long long check) {
    const auto n = static_cast<double>(items);
    std::printf("RESULT %s %.3f ns/item\n", name, static_cast<double>(sw.cpu1 - sw.cpu0) / n);
    std::printf("RESULT %s_wall %.3f ns/item\n", name, static_cast<double>(sw.wall1 - sw.wall0) / n);
    std::printf("CHECK %s/n=%lld %lld\n", name, items, check);
    std::fflush(stdout);
}

inline void report_value(const char* name, const char* suffix, double value, const char* unit) {
    std::printf("RESULT %s_%s %.6g %s\n", name, suffix, value, unit);
    std::fflush(stdout);
}

// The sum of 0 .. count-1: every workload's check.
inline long long expected_sum(long long count) { return count * (count - 1) / 2; }

using Workload = std::pair<const char*, std::function<void()>>;

// argv: nothing (every workload, in order) or names of workloads.
inline int dispatch(int argc, char** argv, const std::vector<Workload>& list) {
    if (argc == 1) {
        for (const auto& w : list) w.second();
        return 0;
    }
    for (int i = 1; i < argc; ++i) {
        bool found = false;
        for (const auto& [name, f] : list) {
            if (std::strcmp(name, argv[i]) == 0) {
                f();
                found = true;
            }
        }
        if (!found) {
            std::fprintf(stderr, "unknown workload %s\n", argv[i]);
            return 2;
        }
    }
    return 0;
}

}  // namespace tbench
