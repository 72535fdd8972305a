// Shared by the C++ workload programs (ours, Boost.Asio, floor): the workload sizes, the
// clock, peak RSS, the pseudo-random ints of W6, the report format and the command line.
// The other languages' peers repeat the same constants; bench/README.md lists them.
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace bench {

inline constexpr int n = 1'000'000;        // W1, W2, W3 (total), W4, W6, W7 queued ints
inline constexpr int w5_waiters = 100'000; // W5 and W7 getters
inline constexpr int bounded = 1024;       // W1, W3 maxsize
inline constexpr int producers = 4;        // W3
inline constexpr int consumers = 4;        // W3

inline std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// CPU time of the whole process (every thread), in ns. The table reports CPU time, not wall
// time: on a shared 2-core machine the wall clock also counts the time other people's jobs
// held the core; the CPU time counts only this program's work. Every peer measures the same.
inline std::int64_t cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Measures one workload in CPU time and in wall time.
struct Stopwatch {
    std::int64_t cpu0 = cpu_ns(), wall0 = now_ns(), cpu1 = 0, wall1 = 0;
    void start() {
        cpu0 = cpu_ns();
        wall0 = now_ns();
    }
    void stop() {
        wall1 = now_ns();
        cpu1 = cpu_ns();
    }
};

// Peak resident set size of this process, in bytes (Linux reports ru_maxrss in KiB).
inline long long maxrss_bytes() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<long long>(ru.ru_maxrss) * 1024;
}

// The same pseudo-random ints in every language: a 64-bit LCG, top 31 bits.
inline std::vector<int> lcg_values(int count) {
    std::uint64_t x = 42;
    std::vector<int> out(static_cast<std::size_t>(count));
    for (auto& v : out) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        v = static_cast<int>(x >> 33);
    }
    return out;
}

// "RESULT <name> <CPU ns per item>", "RESULT <name>_wall <wall ns per item>", "CHECK <name> <sum>".
inline void report(const char* name, const Stopwatch& sw, long long items, long long check) {
    const auto n = static_cast<double>(items);
    std::printf("RESULT %s %.3f ns/item\n", name, static_cast<double>(sw.cpu1 - sw.cpu0) / n);
    std::printf("RESULT %s_wall %.3f ns/item\n", name, static_cast<double>(sw.wall1 - sw.wall0) / n);
    std::printf("CHECK %s %lld\n", name, check);
    std::fflush(stdout);
}

inline void report_value(const char* name, double value, const char* unit) {
    std::printf("RESULT %s %.6g %s\n", name, value, unit);
    std::fflush(stdout);
}

// Keeps the optimiser from deleting or merging the work on `p`'s object between two calls.
template <class T>
inline void escape(T* p) {
    asm volatile("" : : "g"(p) : "memory");
}

using Workload = std::pair<const char*, std::function<void()>>;

// argv: nothing (every timing workload, in order), names of workloads, or "--mem <name>".
inline int dispatch(int argc, char** argv, const std::vector<Workload>& timing,
                    const std::vector<Workload>& memory) {
    auto run = [](const std::vector<Workload>& list, const char* name) {
        for (const auto& [n, f] : list) {
            if (std::strcmp(n, name) == 0) {
                f();
                return true;
            }
        }
        std::fprintf(stderr, "unknown workload %s\n", name);
        return false;
    };
    if (argc >= 3 && std::strcmp(argv[1], "--mem") == 0) return run(memory, argv[2]) ? 0 : 2;
    if (argc == 1) {
        for (const auto& w : timing) w.second();
        return 0;
    }
    for (int i = 1; i < argc; ++i)
        if (!run(timing, argv[i])) return 2;
    return 0;
}

} // namespace bench
