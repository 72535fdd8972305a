// Shared by the C++ programs of the loop workloads W9-W11 (workloads_io.cpp, peers/floor_io.cpp):
// the counts and the report format. peers/python_io.py repeats them (with smaller counts for
// W9 and W10: CPython needs microseconds per item there); bench/README.md lists them.
#pragma once

#include <cstdio>

#include "common.hpp"

namespace bench {

inline constexpr int w9_n = 1'000'000; // callbacks posted by the second thread
inline constexpr int w10_n = 100'000;  // sequential to_thread round trips
inline constexpr int w11_n = 100'000;  // one-byte round trips over a socketpair

// As report(), but the check is named "<name>/n=<items>": Python runs W9 and W10 with fewer
// items, and a check compares only runs that did the same work.
inline void report_io(const char* name, const Stopwatch& sw, long long items, long long check) {
    const auto n = static_cast<double>(items);
    std::printf("RESULT %s %.3f ns/item\n", name, static_cast<double>(sw.cpu1 - sw.cpu0) / n);
    std::printf("RESULT %s_wall %.3f ns/item\n", name, static_cast<double>(sw.wall1 - sw.wall0) / n);
    std::printf("CHECK %s/n=%lld %lld\n", name, items, check);
    std::fflush(stdout);
}

} // namespace bench
