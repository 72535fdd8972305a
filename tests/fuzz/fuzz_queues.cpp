// libFuzzer harness for Queue, LifoQueue and PriorityQueue<int> (issue 5).
//
// The input decodes into a sequence of operations run inside one asyncio::run() main
// coroutine: spawn a getter / putter / joiner task, cancel the k-th live task, put_nowait,
// get_nowait, sleep(0) (one loop iteration), task_done, shutdown, shutdown(immediate). The
// same sequence runs on a plain reference model of CPython 3.13's asyncio/queues.py,
// including the event loop's FIFO ready queue, the waiter deques (a cancelled waiter's
// future stays in _getters/_putters until its task runs), _wakeup_next, the join Event and
// Task.cancel()'s rules (a waiting task's future is cancelled; a scheduled or unstarted task
// gets _must_cancel). After every operation the harness checks:
//   - the result or exception of every put_nowait / get_nowait / task_done / cancel;
//   - qsize(), empty(), full(), and str(q) (items in storage order, _getters[n],
//     _putters[n], tasks=n, shutdown) against the model's _format();
//   - every task's state: done or not, and its outcome (item got, cancelled, QueueShutDown);
//   - that no item is got twice or got without having been put.
// At the end it shuts the queue down immediately, cancels every live task, runs the loop
// until the model's ready queue is empty, and checks that every task is done.
//
// Input layout: byte 0 picks the queue kind (% 3), byte 1 the maxsize (% 5; 0 = unbounded),
// then one byte per operation (% 11), some followed by one argument byte.
//
// Any mismatch prints the operation log and aborts (libFuzzer reports it as a crash).

#include <asyncio/asyncio.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

enum class Kind { fifo, lifo, prio };
enum class Out { none, value, cancelled, shutdown };
enum class Res { ok, shutdown, full, empty, value_error };

// ---------------------------------------------------------------------------------------
// The reference model (CPython 3.13 asyncio.queues + tasks + events, single loop)
// ---------------------------------------------------------------------------------------

struct Model {
    enum class TState { not_started, waiting, scheduled, done };
    enum class TType { getter, putter, joiner };
    struct Fut {
        int task;
        bool done = false;
        bool cancelled = false;
    };
    struct MTask {
        TType type;
        int item = 0;  // putter: the item to put
        TState st = TState::not_started;
        bool must_cancel = false;
        int fut = -1;
        Out out = Out::none;
        int value = 0;  // getter: the item got
    };

    Kind kind;
    long maxsize;
    std::deque<int> fifo;                          // Queue (deque) and LifoQueue (list)
    std::vector<std::pair<int, std::uint64_t>> heap;  // PriorityQueue: (item, seq)
    std::uint64_t seq = 0;
    std::size_t unfinished = 0;
    bool finished = true;  // the join Event
    bool is_shutdown = false;
    std::deque<int> getters, putters;  // future ids
    std::vector<int> joiners;          // the Event's waiters (future ids)
    std::vector<Fut> futs;
    std::vector<MTask> tasks;
    std::deque<int> ready;  // task ids; -1 is main

    Model(Kind k, long m) : kind(k), maxsize(m) {}

    std::size_t size() const { return kind == Kind::prio ? heap.size() : fifo.size(); }
    bool empty() const { return size() == 0; }
    bool full() const { return maxsize > 0 && size() >= static_cast<std::size_t>(maxsize); }

    static bool lt(const std::pair<int, std::uint64_t>& a, const std::pair<int, std::uint64_t>& b) {
        return a < b;
    }
    void siftdown(std::size_t start, std::size_t pos) {
        auto item = heap[pos];
        while (pos > start) {
            std::size_t parent = (pos - 1) >> 1;
            if (lt(item, heap[parent])) {
                heap[pos] = heap[parent];
                pos = parent;
                continue;
            }
            break;
        }
        heap[pos] = item;
    }
    void siftup(std::size_t pos) {
        std::size_t end = heap.size(), start = pos;
        auto item = heap[pos];
        std::size_t child = 2 * pos + 1;
        while (child < end) {
            std::size_t right = child + 1;
            if (right < end && !lt(heap[child], heap[right])) child = right;
            heap[pos] = heap[child];
            pos = child;
            child = 2 * pos + 1;
        }
        heap[pos] = item;
        siftdown(start, pos);
    }
    void push(int v) {
        if (kind == Kind::prio) {
            heap.emplace_back(v, seq++);
            siftdown(0, heap.size() - 1);
        } else {
            fifo.push_back(v);
        }
    }
    int pop() {
        if (kind == Kind::fifo) {
            int v = fifo.front();
            fifo.pop_front();
            return v;
        }
        if (kind == Kind::lifo) {
            int v = fifo.back();
            fifo.pop_back();
            return v;
        }
        auto last = heap.back();
        heap.pop_back();
        if (heap.empty()) return last.first;
        int v = heap[0].first;
        heap[0] = last;
        siftup(0);
        return v;
    }

    std::string format() const {
        std::ostringstream os;
        os << '<' << (kind == Kind::fifo ? "Queue" : kind == Kind::lifo ? "LifoQueue" : "PriorityQueue")
           << " maxsize=" << maxsize;
        if (!empty()) {
            os << " _queue=[";
            bool first = true;
            auto show = [&](int v) {
                if (!first) os << ", ";
                first = false;
                os << v;
            };
            if (kind == Kind::prio) {
                for (auto& e : heap) show(e.first);
            } else {
                for (int v : fifo) show(v);
            }
            os << ']';
        }
        if (!getters.empty()) os << " _getters[" << getters.size() << ']';
        if (!putters.empty()) os << " _putters[" << putters.size() << ']';
        if (unfinished) os << " tasks=" << unfinished;
        if (is_shutdown) os << " shutdown";
        os << '>';
        return os.str();
    }

    void schedule(int t) {
        tasks[t].st = TState::scheduled;
        ready.push_back(t);
    }
    int new_fut(int t) {
        futs.push_back(Fut{t});
        tasks[t].fut = static_cast<int>(futs.size()) - 1;
        tasks[t].st = TState::waiting;
        return tasks[t].fut;
    }
    void wakeup_next(std::deque<int>& l) {
        while (!l.empty()) {
            int f = l.front();
            l.pop_front();
            if (!futs[f].done) {
                futs[f].done = true;
                schedule(futs[f].task);
                break;
            }
        }
    }
    void event_set() {
        finished = true;
        for (int f : joiners) {
            if (!futs[f].done) {
                futs[f].done = true;
                schedule(futs[f].task);
            }
        }
    }
    static void remove(std::deque<int>& l, int f) {
        for (auto it = l.begin(); it != l.end(); ++it) {
            if (*it == f) {
                l.erase(it);
                return;
            }
        }
    }

    Res put_nowait(int v) {
        if (is_shutdown) return Res::shutdown;
        if (full()) return Res::full;
        push(v);
        ++unfinished;
        finished = false;
        wakeup_next(getters);
        return Res::ok;
    }
    Res get_nowait(int& v) {
        if (empty()) return is_shutdown ? Res::shutdown : Res::empty;
        v = pop();
        wakeup_next(putters);
        return Res::ok;
    }
    Res task_done() {
        if (unfinished == 0) return Res::value_error;
        if (--unfinished == 0) event_set();
        return Res::ok;
    }
    void shutdown(bool immediate) {
        is_shutdown = true;
        if (immediate) {
            while (!empty()) {
                (void)pop();
                if (unfinished > 0) --unfinished;
            }
            if (unfinished == 0) event_set();
        }
        while (!getters.empty()) wakeup_next(getters);
        while (!putters.empty()) wakeup_next(putters);
    }
    bool cancel(int t) {
        MTask& k = tasks[t];
        if (k.st == TState::done) return false;
        if (k.st == TState::waiting && !futs[k.fut].done) {
            futs[k.fut].done = futs[k.fut].cancelled = true;
            schedule(t);
            return true;
        }
        k.must_cancel = true;
        return true;
    }
    int spawn(TType type, int item) {
        MTask k;
        k.type = type;
        k.item = item;
        tasks.push_back(k);
        int t = static_cast<int>(tasks.size()) - 1;
        ready.push_back(t);
        return t;
    }
    void finish(int t, Out o, int v = 0) {
        tasks[t].st = TState::done;
        tasks[t].out = o;
        tasks[t].value = v;
    }

    // The body of each task from the top of its `while` loop.
    void run_body(int t) {
        MTask& k = tasks[t];
        switch (k.type) {
        case TType::getter:
            if (empty()) {
                if (is_shutdown) return finish(t, Out::shutdown);
                getters.push_back(new_fut(t));
                return;
            }
            {
                int v = 0;
                (void)get_nowait(v);
                return finish(t, Out::value, v);
            }
        case TType::putter:
            if (full()) {
                if (is_shutdown) return finish(t, Out::shutdown);
                putters.push_back(new_fut(t));
                return;
            }
            if (put_nowait(k.item) == Res::shutdown) return finish(t, Out::shutdown);
            return finish(t, Out::value);
        case TType::joiner:
            if (unfinished > 0 && !finished) {
                joiners.push_back(new_fut(t));
                return;
            }
            return finish(t, Out::value);
        }
    }

    void step(int t) {
        MTask& k = tasks[t];
        bool cancel_now = k.must_cancel;
        k.must_cancel = false;
        if (k.st == TState::not_started) {
            if (cancel_now) return finish(t, Out::cancelled);
            return run_body(t);
        }
        // Resumed at `await fut`.
        int f = k.fut;
        bool exc = cancel_now || futs[f].cancelled;
        switch (k.type) {
        case TType::getter:
            if (exc) {
                remove(getters, f);
                if (!empty() && !futs[f].cancelled) wakeup_next(getters);
                return finish(t, Out::cancelled);
            }
            return run_body(t);
        case TType::putter:
            if (exc) {
                remove(putters, f);
                if (!full() && !futs[f].cancelled) wakeup_next(putters);
                return finish(t, Out::cancelled);
            }
            return run_body(t);
        case TType::joiner:
            for (auto it = joiners.begin(); it != joiners.end(); ++it) {
                if (*it == f) {
                    joiners.erase(it);
                    break;
                }
            }
            return finish(t, exc ? Out::cancelled : Out::value);
        }
    }

    void sleep0() {
        ready.push_back(-1);
        for (;;) {
            int t = ready.front();
            ready.pop_front();
            if (t == -1) return;
            step(t);
        }
    }
    bool done(int t) const { return tasks[t].st == TState::done; }
};

// ---------------------------------------------------------------------------------------
// The real queue and tasks
// ---------------------------------------------------------------------------------------

struct Rec {
    Out out = Out::none;
    int value = 0;
};

template <class Q>
asyncio::Task<> getter(Q& q, Rec& r) {
    try {
        r.value = co_await q.get();
        r.out = Out::value;
    } catch (const asyncio::CancelledError&) {
        r.out = Out::cancelled;
        throw;
    } catch (const asyncio::QueueShutDown&) {
        r.out = Out::shutdown;
    }
}

template <class Q>
asyncio::Task<> putter(Q& q, Rec& r, int v) {
    try {
        co_await q.put(v);
        r.out = Out::value;
    } catch (const asyncio::CancelledError&) {
        r.out = Out::cancelled;
        throw;
    } catch (const asyncio::QueueShutDown&) {
        r.out = Out::shutdown;
    }
}

template <class Q>
asyncio::Task<> joiner(Q& q, Rec& r) {
    try {
        co_await q.join();
        r.out = Out::value;
    } catch (const asyncio::CancelledError&) {
        r.out = Out::cancelled;
        throw;
    }
}

struct Fail {
    std::string log;
    [[noreturn]] void operator()(const std::string& what) const {
        std::fprintf(stderr, "fuzz_queues: MISMATCH: %s\noperations:\n%s\n", what.c_str(), log.c_str());
        std::abort();
    }
};

const char* name(Res r) {
    switch (r) {
    case Res::ok: return "ok";
    case Res::shutdown: return "QueueShutDown";
    case Res::full: return "QueueFull";
    case Res::empty: return "QueueEmpty";
    case Res::value_error: return "ValueError";
    }
    return "?";
}

constexpr std::size_t kMaxOps = 400;
constexpr std::size_t kMaxTasks = 64;

template <class Q>
struct Harness {
    Q& q;
    Model& m;
    std::deque<Rec> recs;  // stable addresses
    std::vector<asyncio::Task<>> tasks;
    std::set<int> put_items, got_items;
    Fail fail;
    int serial = 0;

    Harness(Q& queue, Model& model) : q(queue), m(model) {}

    template <class F>
    Res real(F f) {
        try {
            f();
            return Res::ok;
        } catch (const asyncio::QueueShutDown&) {
            return Res::shutdown;
        } catch (const asyncio::QueueFull&) {
            return Res::full;
        } catch (const asyncio::QueueEmpty&) {
            return Res::empty;
        } catch (const asyncio::ValueError&) {
            return Res::value_error;
        }
    }

    void note_got(int v) {
        if (!put_items.count(v)) fail("item " + std::to_string(v) + " got but never put");
        if (!got_items.insert(v).second) fail("item " + std::to_string(v) + " got twice");
    }

    void check(const char* after) {
        std::ostringstream os;
        os << q;
        const std::string s = os.str(), ms = m.format();
        std::string where = std::string(" after ") + after;
        if (s != ms) fail("str(q) = " + s + ", model " + ms + where);
        if (q.qsize() != m.size() || q.empty() != m.empty() || q.full() != m.full())
            fail("qsize/empty/full differ" + where);
        for (std::size_t i = 0; i < tasks.size(); ++i) {
            const bool md = m.done(static_cast<int>(i));
            if (tasks[i].done() != md)
                fail("task " + std::to_string(i) + (md ? " should be done" : " should not be done") + where);
            if (!md) continue;
            const auto& mt = m.tasks[i];
            // A task cancelled before its first step never runs its body: its record stays empty.
            const Out out = tasks[i].cancelled() ? Out::cancelled : recs[i].out;
            if (out != mt.out || (recs[i].out != Out::none && recs[i].out != out))
                fail("task " + std::to_string(i) + " outcome " + std::to_string(int(out)) +
                     ", model " + std::to_string(int(mt.out)) + where);
            if (mt.out == Out::value && mt.type == Model::TType::getter && recs[i].value != mt.value)
                fail("task " + std::to_string(i) + " got " + std::to_string(recs[i].value) + ", model " +
                     std::to_string(mt.value) + where);
        }
    }

    void spawn(Model::TType type, int item) {
        recs.emplace_back();
        Rec& r = recs.back();
        if (type == Model::TType::getter) tasks.push_back(asyncio::create_task(getter(q, r)));
        else if (type == Model::TType::putter) tasks.push_back(asyncio::create_task(putter(q, r, item)));
        else tasks.push_back(asyncio::create_task(joiner(q, r)));
        m.spawn(type, item);
    }

    // Getter tasks that finished since the last call: record their items.
    std::vector<bool> seen_done;
    void note_getters() {
        seen_done.resize(tasks.size(), false);
        for (std::size_t i = 0; i < tasks.size(); ++i) {
            if (seen_done[i] || !tasks[i].done()) continue;
            seen_done[i] = true;
            if (m.tasks[i].type == Model::TType::getter && recs[i].out == Out::value) note_got(recs[i].value);
        }
    }

    asyncio::Task<> run(const std::uint8_t* data, std::size_t size) {
        std::size_t pos = 2;
        auto arg = [&]() -> std::uint8_t { return pos < size ? data[pos++] : 0; };
        auto item = [&]() {
            int v = (static_cast<int>(arg()) << 12) | (serial++ & 0xfff);
            return v;
        };
        std::size_t ops = 0;
        while (pos < size && ops++ < kMaxOps) {
            const int op = data[pos++] % 11;
            switch (op) {
            case 0:
                if (tasks.size() < kMaxTasks) {
                    spawn(Model::TType::getter, 0);
                    fail.log += "spawn getter\n";
                }
                break;
            case 1: {
                int v = item();
                put_items.insert(v);
                if (tasks.size() < kMaxTasks) {
                    spawn(Model::TType::putter, v);
                    fail.log += "spawn putter " + std::to_string(v) + "\n";
                }
                break;
            }
            case 2: {
                std::vector<int> live;
                for (std::size_t i = 0; i < tasks.size(); ++i)
                    if (!m.done(static_cast<int>(i))) live.push_back(static_cast<int>(i));
                std::uint8_t k = arg();
                if (live.empty()) break;
                int t = live[k % live.size()];
                bool mr = m.cancel(t);
                bool r = tasks[t].cancel();
                fail.log += "cancel task " + std::to_string(t) + "\n";
                if (r != mr) fail("cancel() returned " + std::to_string(r));
                break;
            }
            case 3: {
                int v = item();
                put_items.insert(v);
                Res mr = m.put_nowait(v);
                Res r = real([&] { q.put_nowait(v); });
                fail.log += "put_nowait " + std::to_string(v) + "\n";
                if (r != mr) fail(std::string("put_nowait: ") + name(r) + ", model " + name(mr));
                break;
            }
            case 4: {
                int mv = 0, v = 0;
                Res mr = m.get_nowait(mv);
                Res r = real([&] { v = q.get_nowait(); });
                fail.log += "get_nowait\n";
                if (r != mr) fail(std::string("get_nowait: ") + name(r) + ", model " + name(mr));
                if (r == Res::ok) {
                    if (v != mv) fail("get_nowait returned " + std::to_string(v) + ", model " + std::to_string(mv));
                    note_got(v);
                }
                break;
            }
            case 5:
            case 10:
                fail.log += "sleep(0)\n";
                m.sleep0();
                co_await asyncio::sleep(0);
                break;
            case 6: {
                Res mr = m.task_done();
                Res r = real([&] { q.task_done(); });
                fail.log += "task_done\n";
                if (r != mr) fail(std::string("task_done: ") + name(r) + ", model " + name(mr));
                break;
            }
            case 7:
                if (tasks.size() < kMaxTasks) {
                    spawn(Model::TType::joiner, 0);
                    fail.log += "spawn joiner\n";
                }
                break;
            case 8:
            case 9:
                fail.log += op == 9 ? "shutdown(immediate)\n" : "shutdown\n";
                m.shutdown(op == 9);
                q.shutdown(op == 9);
                break;
            }
            note_getters();
            check("the last operation");
        }
        // The end: shut down immediately, cancel what is left, run until nothing is ready.
        fail.log += "end: shutdown(immediate), cancel all\n";
        m.shutdown(true);
        q.shutdown(true);
        for (std::size_t i = 0; i < tasks.size(); ++i) {
            bool mr = m.cancel(static_cast<int>(i));
            bool r = tasks[i].cancel();
            if (r != mr) fail("final cancel() of task " + std::to_string(i) + " returned " + std::to_string(r));
        }
        for (int i = 0; i < 8 && !m.ready.empty(); ++i) {
            m.sleep0();
            co_await asyncio::sleep(0);
        }
        note_getters();
        check("the end");
        for (std::size_t i = 0; i < tasks.size(); ++i)
            if (!tasks[i].done()) fail("task " + std::to_string(i) + " not done at the end");
        if (!m.ready.empty()) fail("model: tasks still ready at the end");
    }
};

template <class Q>
void run_one(Kind kind, long maxsize, const std::uint8_t* data, std::size_t size) {
    Q q(maxsize);
    Model m(kind, maxsize);
    Harness<Q> h(q, m);
    asyncio::run(h.run(data, size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const long maxsize = data[1] % 5;
    switch (data[0] % 3) {
    case 0: run_one<asyncio::Queue<int>>(Kind::fifo, maxsize, data, size); break;
    case 1: run_one<asyncio::LifoQueue<int>>(Kind::lifo, maxsize, data, size); break;
    default: run_one<asyncio::PriorityQueue<int>>(Kind::prio, maxsize, data, size); break;
    }
    return 0;
}
