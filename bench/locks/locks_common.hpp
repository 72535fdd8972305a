// The sizes of the locks family (L1-L4), shared by locks.cpp (ours) and floor.cpp; locks.py
// repeats them. Repetition counts differ between C++ and CPython (CPython is ~100x slower);
// results are per item, and the CHECK values do not depend on them.
#pragma once

namespace bench::locks {

inline constexpr int l1_ops_cpp = 10'000'000;  // L1 acquire+release pairs (CPython: 1,000,000)
inline constexpr int l2_loops_cpp = 1'000'000; // L2 acquisitions per task (CPython: 100,000)
inline constexpr int l3_bound = 10;            // L3 Semaphore(10)
inline constexpr int l3_tasks = 1'000;         // L3 tasks per round
inline constexpr int l3_reps_cpp = 200;        // L3 rounds (CPython: 20)
inline constexpr int l4_tasks = 100'000;       // L4 tasks in the group

// L3's check: every task done and at most (exactly) 10 inside at once.
inline long long l3_check(int max_inside) { return 1000LL * l3_tasks + max_inside; }

}  // namespace bench::locks
