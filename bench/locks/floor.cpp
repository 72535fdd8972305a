// The floor of the locks family (L1-L4): the same work in plain C++ with no library, no
// exceptions, no cancellation, no task state: what the hardware and the compiler's
// coroutines cost.
//
//   L1  a bool flag: test, set, clear (the lock an uncontended Lock reduces to)
//   L2  two bare coroutines handing a token: a bare lock {bool, one waiting handle} whose
//       release hands the token straight to the waiter, and a bare FIFO ready queue of
//       coroutine handles for sleep(0) and wake-ups
//   L3  a counter + an intrusive list of waiting awaiters (the waiter is the node) as the
//       semaphore, 1,000 bare coroutine frames (heap-allocated by the compiler, one each),
//       the same ready queue; "gather" is a count of frames that finished
//   L4  100,000 bare coroutine frames in a vector, each started from the ready queue and
//       storing its index in its promise; then the results are summed and the frames destroyed
//
// Output format as locks.cpp.
#include <coroutine>
#include <cstdlib>
#include <deque>
#include <exception>
#include <utility>
#include <vector>

#include "common.hpp"
#include "locks_common.hpp"

namespace {

using namespace bench::locks;

// ---- a bare ready queue and a bare task -----------------------------------------------

std::deque<std::coroutine_handle<>> ready;

void run_ready() {
    while (!ready.empty()) {
        auto h = ready.front();
        ready.pop_front();
        h.resume();
    }
}

struct Yield {  // sleep(0)
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const { ready.push_back(h); }
    void await_resume() const noexcept {}
};

/// A coroutine that starts suspended, runs from the ready queue, keeps a long long result
/// and counts itself done; its frame is destroyed by its owner.
struct Bare {
    struct promise_type {
        long long value = 0;
        Bare get_return_object() { return Bare{std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_value(long long v) noexcept { value = v; }
        void unhandled_exception() noexcept { std::abort(); }
    };
    std::coroutine_handle<promise_type> h;
};

// ---- L1 --------------------------------------------------------------------------------

void l1() {
    bool locked = false;
    long long ok = 0;
    bench::Stopwatch sw;
    for (int i = 0; i < l1_ops_cpp; ++i) {
        bench::escape(&locked);
        if (!locked) {
            locked = true;
            ++ok;
        }
        bench::escape(&locked);
        locked = false;
    }
    sw.stop();
    bench::report("L1", sw, l1_ops_cpp, ok == l1_ops_cpp && !locked ? 1 : 0);
}

// ---- L2 --------------------------------------------------------------------------------

struct BareLock {
    bool locked = false;
    std::coroutine_handle<> waiter;  // at most one: two tasks
    struct Acquire {
        BareLock& l;
        bool await_ready() noexcept {
            if (l.locked) return false;
            l.locked = true;
            return true;
        }
        void await_suspend(std::coroutine_handle<> h) noexcept { l.waiter = h; }
        void await_resume() const noexcept {}
    };
    Acquire acquire() { return Acquire{*this}; }
    void release() {
        if (l_waiter()) {
            ready.push_back(std::exchange(waiter, nullptr));  // handed over: stays locked
        } else {
            locked = false;
        }
    }
    bool l_waiter() const { return static_cast<bool>(waiter); }
};

struct L2State {
    BareLock lock;
    int last = -1;
    long long alternations = 0;
};

Bare l2_task(L2State& s, int me, int loops) {
    for (int i = 0; i < loops; ++i) {
        co_await s.lock.acquire();
        if (s.last != me) ++s.alternations;
        s.last = me;
        co_await Yield{};
        s.lock.release();
    }
    co_return 0;
}

void l2() {
    L2State s;
    bench::Stopwatch sw;
    Bare a = l2_task(s, 0, l2_loops_cpp), b = l2_task(s, 1, l2_loops_cpp);
    ready.push_back(a.h);
    ready.push_back(b.h);
    run_ready();
    a.h.destroy();
    b.h.destroy();
    sw.stop();
    const long long handovers = 2LL * l2_loops_cpp;
    bench::report("L2", sw, handovers, s.alternations == handovers ? 1 : 0);
}

// ---- L3 --------------------------------------------------------------------------------

struct BareSemaphore {
    int value;
    struct Node {
        Node* next = nullptr;
        std::coroutine_handle<> h;
    };
    Node* head = nullptr;
    Node* tail = nullptr;

    struct Acquire : Node {
        BareSemaphore& s;
        explicit Acquire(BareSemaphore& sem) : s(sem) {}
        bool await_ready() noexcept {
            if (s.value > 0 && !s.head) {
                --s.value;
                return true;
            }
            return false;
        }
        void await_suspend(std::coroutine_handle<> hh) noexcept {
            h = hh;
            if (s.tail)
                s.tail->next = this;
            else
                s.head = this;
            s.tail = this;
        }
        void await_resume() const noexcept {}
    };
    Acquire acquire() { return Acquire(*this); }
    void release() {
        if (Node* n = head) {  // the unit goes to the first waiter
            head = n->next;
            if (!head) tail = nullptr;
            ready.push_back(n->h);
        } else {
            ++value;
        }
    }
};

struct L3State {
    BareSemaphore sem{l3_bound};
    int inside = 0;
    int max_inside = 0;
    long long done = 0;
};

Bare l3_task(L3State& s) {
    co_await s.sem.acquire();
    if (++s.inside > s.max_inside) s.max_inside = s.inside;
    co_await Yield{};
    --s.inside;
    s.sem.release();
    ++s.done;
    co_return 0;
}

void l3_round(L3State& s, std::vector<Bare>& frames) {
    frames.clear();
    for (int i = 0; i < l3_tasks; ++i) {
        frames.push_back(l3_task(s));
        ready.push_back(frames.back().h);
    }
    run_ready();
    for (auto& f : frames) f.h.destroy();
}

void l3() {
    L3State s;
    std::vector<Bare> frames;
    frames.reserve(l3_tasks);
    l3_round(s, frames);  // warm-up
    s.done = 0;
    bench::Stopwatch sw;
    for (int r = 0; r < l3_reps_cpp; ++r) l3_round(s, frames);
    sw.stop();
    const long long n = 1LL * l3_tasks * l3_reps_cpp;
    bench::report("L3", sw, n, s.done == n ? l3_check(s.max_inside) : 0);
}

// ---- L4 --------------------------------------------------------------------------------

Bare work(int i) { co_return i; }

long long one_group() {
    std::vector<Bare> frames;
    frames.reserve(l4_tasks);
    for (int i = 0; i < l4_tasks; ++i) {
        frames.push_back(work(i));
        ready.push_back(frames.back().h);
    }
    run_ready();
    long long s = 0;
    for (auto& f : frames) {
        s += f.h.promise().value;
        f.h.destroy();
    }
    return s;
}

void l4() {
    (void)one_group();  // warm-up
    bench::Stopwatch sw;
    const long long s = one_group();
    sw.stop();
    bench::report("L4", sw, l4_tasks, s);
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<bench::Workload> timing = {{"L1", l1}, {"L2", l2}, {"L3", l3}, {"L4", l4}};
    return bench::dispatch(argc, argv, timing, {});
}
