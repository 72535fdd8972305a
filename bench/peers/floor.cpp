// The floor: what the hardware and the compiler's coroutines cost, with no checks at all.
// A bare ring buffer (W1), bare coroutines handing ints through a bare queue with a bare
// FIFO ready queue (W2: one slot; W3: 1024 slots, 4 + 4 coroutines; W4; W5), and
// std::priority_queue (W6). No exceptions, no cancellation, no shutdown, no task_done or
// join (W3 ends when the consumers have taken every item), no bounds checks: only correct
// for the workloads below.
//
// Usage: floor [W1 W2 ...] | --mem queue|getters
// Prints "RESULT <name> <value> <unit>" and "CHECK <name> <sum>" lines.
#include <coroutine>
#include <functional>
#include <queue>
#include <vector>

#include "../alloc_counter.hpp"
#include "../common.hpp"

namespace {

// A power-of-two ring of T; indices run freely and are masked on access.
template <class T>
struct Ring {
    explicit Ring(std::size_t min_capacity) {
        std::size_t c = 1;
        while (c < min_capacity) c *= 2;
        buf.resize(c);
        mask = c - 1;
    }
    void push(T v) { buf[tail++ & mask] = v; }
    T pop() { return buf[head++ & mask]; }
    std::size_t size() const { return tail - head; }
    std::vector<T> buf;
    std::size_t mask = 0, head = 0, tail = 0;
};

// A coroutine that starts suspended and stays suspended at its end; its owner destroys it.
struct Proc {
    struct promise_type {
        Proc get_return_object() { return Proc{std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() { std::abort(); }
    };
    std::coroutine_handle<promise_type> h;
};

// The bare ready queue and the loop that drains it.
struct Scheduler {
    explicit Scheduler(std::size_t capacity) : ready(capacity) {}
    void schedule(std::coroutine_handle<> h) { ready.push(h); }
    void run() {
        while (ready.size() != 0) {
            std::coroutine_handle<> h = ready.pop();
            if (ready.size() == 0) ready.head = ready.tail = 0; // stay in the warm first slots
            h.resume();
        }
    }
    Ring<std::coroutine_handle<>> ready;
    std::vector<Proc> procs;
    void spawn(Proc p) {
        procs.push_back(p);
        schedule(p.h);
    }
    ~Scheduler() {
        for (auto& p : procs) p.h.destroy();
    }
};

// sleep(0): to the back of the ready queue.
struct Yield {
    Scheduler& s;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { s.schedule(h); }
    void await_resume() const noexcept {}
};

// A bare queue of ints: a ring of `capacity` slots, FIFO lists of waiting getters and
// putters; an item goes straight to a waiting getter, a slot straight to a waiting putter.
struct BareQueue {
    struct Waiter {
        std::coroutine_handle<> h;
        int value;
        Waiter* next;
    };
    BareQueue(Scheduler& s, std::size_t capacity) : sched(s), items(capacity), capacity(capacity) {}

    static void push(Waiter*& head, Waiter*& tail, Waiter* w) {
        w->next = nullptr;
        if (tail) tail->next = w; else head = w;
        tail = w;
    }
    static Waiter* pop(Waiter*& head, Waiter*& tail) {
        Waiter* w = head;
        head = w->next;
        if (!head) tail = nullptr;
        return w;
    }

    void put_nowait(int v) {
        if (getters) {
            Waiter* g = pop(getters, getters_tail);
            g->value = v;
            sched.schedule(g->h);
        } else {
            items.push(v);
        }
    }

    struct GetAwaiter {
        BareQueue& q;
        Waiter w{};
        bool await_ready() const noexcept { return q.items.size() != 0; }
        void await_suspend(std::coroutine_handle<> h) {
            w.h = h;
            push(q.getters, q.getters_tail, &w);
        }
        int await_resume() {
            if (w.h) return w.value; // handed over by a putter
            int v = q.items.pop();
            if (q.putters) { // a slot is free: the first waiting putter's item takes it
                Waiter* p = pop(q.putters, q.putters_tail);
                q.items.push(p->value);
                q.sched.schedule(p->h);
            }
            return v;
        }
    };
    GetAwaiter get() { return GetAwaiter{*this}; }

    struct PutAwaiter {
        BareQueue& q;
        Waiter w;
        bool await_ready() {
            if (q.getters || q.items.size() < q.capacity) {
                q.put_nowait(w.value);
                return true;
            }
            return false;
        }
        void await_suspend(std::coroutine_handle<> h) {
            w.h = h;
            push(q.putters, q.putters_tail, &w);
        }
        void await_resume() const noexcept {}
    };
    PutAwaiter put(int v) { return PutAwaiter{*this, Waiter{{}, v, nullptr}}; }

    Scheduler& sched;
    Ring<int> items;
    std::size_t capacity;
    Waiter* getters = nullptr;
    Waiter* getters_tail = nullptr;
    Waiter* putters = nullptr;
    Waiter* putters_tail = nullptr;
};

void w1() {
    Ring<int> ring(bench::bounded);
    long long s = 0;
    auto a0 = bench::allocation_count();
    bench::Stopwatch sw;
    for (int i = 0; i < bench::n; ++i) {
        ring.push(i);
        s += ring.pop();
        bench::escape(&ring);
    }
    sw.stop();
    bench::report("W1", sw, bench::n, s);
    bench::report_value("W1_allocs", double(bench::allocation_count() - a0) / bench::n, "allocs/item");
}

Proc producer(BareQueue& q, int count) {
    for (int i = 0; i < count; ++i) co_await q.put(i);
}

Proc consumer(BareQueue& q, int count, long long& s) {
    for (int i = 0; i < count; ++i) s += co_await q.get();
}

void w2() {
    long long s = 0;
    auto a0 = bench::allocation_count();
    bench::Stopwatch sw;
    {
        Scheduler sched(16);
        BareQueue q(sched, 1);
        sched.spawn(producer(q, bench::n));
        sched.spawn(consumer(q, bench::n, s));
        sched.run();
    }
    sw.stop();
    bench::report("W2", sw, bench::n, s);
    bench::report_value("W2_allocs", double(bench::allocation_count() - a0) / bench::n, "allocs/item");
}

Proc w3_consumer(BareQueue& q, long long& s) {
    for (;;) s += co_await q.get();
}

void w3() {
    const int per = bench::n / bench::producers;
    long long s = 0;
    auto a0 = bench::allocation_count();
    bench::Stopwatch sw;
    {
        Scheduler sched(16);
        BareQueue q(sched, bench::bounded);
        for (int c = 0; c < bench::consumers; ++c) sched.spawn(w3_consumer(q, s));
        for (int p = 0; p < bench::producers; ++p) sched.spawn(producer(q, per));
        sched.run(); // ends when every item is taken and the consumers wait for more
    }
    sw.stop();
    const long long items = static_cast<long long>(per) * bench::producers;
    bench::report("W3", sw, items, s);
    bench::report_value("W3_allocs", double(bench::allocation_count() - a0) / double(items), "allocs/item");
}

Proc w4_producer(Scheduler& sched, BareQueue& q) {
    for (int i = 0; i < bench::n; ++i) {
        q.put_nowait(i);
        co_await Yield{sched};
    }
}

void w4() {
    long long s = 0;
    bench::Stopwatch sw;
    {
        Scheduler sched(16);
        BareQueue q(sched, bench::bounded); // "unbounded": never holds more than one item here
        sched.spawn(w4_producer(sched, q));
        sched.spawn(consumer(q, bench::n, s));
        sched.run();
    }
    sw.stop();
    bench::report("W4", sw, bench::n, s);
}

Proc w5_putter(Scheduler& sched, BareQueue& q, bench::Stopwatch& sw) {
    sw.start();
    for (int i = 0; i < bench::w5_waiters; ++i) {
        q.put_nowait(i);
        co_await Yield{sched};
    }
}

void w5(int waiters, const char* name) {
    long long s = 0;
    bench::Stopwatch sw;
    {
        Scheduler sched(static_cast<std::size_t>(waiters) + 16);
        BareQueue q(sched, bench::bounded); // "unbounded": every item goes to a waiting getter
        const int per_task = bench::w5_waiters / waiters;
        for (int g = 0; g < waiters; ++g) sched.spawn(consumer(q, per_task, s));
        sched.run(); // every getter runs to its get() and waits
        sched.spawn(w5_putter(sched, q, sw));
        sched.run();
        sw.stop();
    }
    bench::report(name, sw, bench::w5_waiters, s);
}

void w6() {
    auto values = bench::lcg_values(bench::n);
    long long s = 0;
    int prev = -1;
    long long ordered = 1;
    bench::Stopwatch sw;
    std::priority_queue<int, std::vector<int>, std::greater<int>> q;
    for (int v : values) q.push(v);
    for (int i = 0; i < bench::n; ++i) {
        int v = q.top();
        q.pop();
        if (v < prev) ordered = 0;
        prev = v;
        s += v;
    }
    sw.stop();
    bench::report("W6", sw, bench::n, s * ordered);
}

void mem_queue() {
    Scheduler sched(16);
    auto before = bench::maxrss_bytes();
    BareQueue q(sched, bench::n);
    for (int i = 0; i < bench::n; ++i) q.put_nowait(i);
    auto after = bench::maxrss_bytes();
    bench::report_value("W7_queue", double(after - before) / bench::n, "bytes/item");
    bench::report_value("W7_queue_peak_rss", double(after), "bytes");
}

void mem_getters() {
    long long s = 0;
    Scheduler sched(bench::w5_waiters + 16);
    BareQueue q(sched, bench::w5_waiters);
    sched.procs.reserve(bench::w5_waiters);
    auto before = bench::maxrss_bytes();
    for (int g = 0; g < bench::w5_waiters; ++g) sched.spawn(consumer(q, 1, s));
    sched.run();
    auto after = bench::maxrss_bytes();
    bench::report_value("W7_getter", double(after - before) / bench::w5_waiters, "bytes/task");
    for (int i = 0; i < bench::w5_waiters; ++i) q.put_nowait(i);
    sched.run();
}

} // namespace

int main(int argc, char** argv) {
    return bench::dispatch(argc, argv,
                           {{"W1", w1},
                            {"W2", w2},
                            {"W3", w3},
                            {"W4", w4},
                            {"W5", [] { w5(bench::w5_waiters, "W5_100k"); }},
                            {"W5_1", [] { w5(1, "W5_1"); }},
                            {"W6", w6}},
                           {{"queue", mem_queue}, {"getters", mem_getters}});
}
