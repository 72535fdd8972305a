// runner_locks.hpp - the `locks` scripts of the differential test on this
// library: a line-for-line port of runner_locks.py (see README.md, "Lock
// scripts"). Included by runner.cpp after its helpers (words_of, join, int_arg,
// fmt, exc_name, TaskRec, ScriptError), which it uses; not a header of its own.
#pragma once

#include <asyncio/locks.hpp>

#include <exception>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace asyncio_diff {
/// waitfor's predicate. A type with linkage: g++ warns (-Wsubobject-linkage) when a
/// lambda defined in a header becomes a member of the coroutine frame of wait_for().
struct ItemsPositive {
    const int* items;
    bool operator()() const { return *items > 0; }
};
}  // namespace asyncio_diff

namespace {

/// runner_locks.py's exc_name: RuntimeError and ValueError with their message.
std::string locks_exc_name(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const asyncio::BrokenBarrierError&) {
        return "BrokenBarrierError";
    } catch (const asyncio::CancelledError&) {
        return "CancelledError";
    } catch (const asyncio::ValueError& v) {
        return std::string("ValueError: ") + v.what();
    } catch (const asyncio::TimeoutError&) {
        return "TimeoutError";
    } catch (const asyncio::InvalidStateError& v) {
        return std::string("InvalidStateError: ") + v.what();
    } catch (const std::runtime_error& v) {
        return std::string("RuntimeError: ") + v.what();
    } catch (...) {
        return exc_name(std::current_exception());
    }
}

/// The text between '[' and ']' of operator<<: Python's repr without class and address.
template <class P>
std::string brackets(const P& p) {
    std::ostringstream os;
    os << p;
    const std::string s = os.str();
    const auto b = s.rfind('[');
    return b == std::string::npos ? s : s.substr(b, s.size() - b - 1);
}

/// A task's state as runner_locks.py prints it (TaskRec::state with its exception names).
std::string locks_state(const TaskRec& t) {
    return std::visit(
        [](const auto& task) -> std::string {
            if (!task.done()) return "pending";
            if (task.cancelled()) return "cancelled";
            try {
                if constexpr (std::is_void_v<decltype(task.result())>) {
                    task.result();
                    return "result None";
                } else {
                    return "result " + std::to_string(task.result());
                }
            } catch (...) {
                return "exception " + locks_exc_name(std::current_exception());
            }
        },
        t.task);
}

/// The primitives of one `locks` script; outlives the loop that runs it.
struct LockSet {
    LockSet(int sem, int bsem, int parties) : S(sem), B(bsem), R(parties) {}
    asyncio::Lock L;
    asyncio::Semaphore S;
    asyncio::BoundedSemaphore B;
    asyncio::Condition C;
    asyncio::Barrier R;
};

class LocksRun {
public:
    LocksRun(LockSet& p, Trace& trace) : p_(p), trace_(trace) {}

    asyncio::Task<void> main(Lines lines) {
        rec("> " + join(words_of(lines[0])));
        for (std::size_t i = 1; i < lines.size(); ++i) {
            auto args = words_of(lines[i]);
            const std::string op = args[0];
            args.erase(args.begin());
            const std::string text = join(words_of(lines[i]));
            if (is_task_op(op)) {
                spawn(op, args);
                rec("> " + text);
                continue;
            }
            if (op == "sleep0") {
                if (!args.empty()) throw ScriptError("sleep0 takes no argument");
                rec("> " + text);
                co_await asyncio::sleep(0);
                continue;
            }
            std::string result;
            if (op == "cancel") {
                result = fmt(task(args).cancel());
            } else if (op == "state") {
                result = locks_state(task(args));
            } else if (op == "release") {
                if (args.size() != 1) throw ScriptError("release takes a primitive");
                check_prim(args[0], "LSBC");
                try {
                    release(args[0]);
                    result = "ok";
                } catch (...) {
                    result = locks_exc_name(std::current_exception());
                }
            } else if (op == "notify") {
                if (args.size() != 1) throw ScriptError("notify takes a count");
                const int n = int_arg(args[0]);
                try {
                    p_.C.notify(n);
                    result = "ok";
                } catch (...) {
                    result = locks_exc_name(std::current_exception());
                }
            } else if (op == "notify_all") {
                try {
                    p_.C.notify_all();
                    result = "ok";
                } catch (...) {
                    result = locks_exc_name(std::current_exception());
                }
            } else if (op == "locked") {
                if (args.size() != 1) throw ScriptError("locked takes a primitive");
                check_prim(args[0], "LSBC");
                result = fmt(locked(args[0]));
            } else if (op == "value") {
                if (args.size() != 1) throw ScriptError("value takes a primitive");
                check_prim(args[0], "SB");
                result = std::to_string(args[0] == "S" ? p_.S.value() : p_.B.value());
            } else if (op == "repr") {
                if (args.size() != 1) throw ScriptError("repr takes a primitive");
                check_prim(args[0], "LSBCR");
                result = repr(args[0]);
            } else if (op == "n_waiting") {
                result = std::to_string(p_.R.n_waiting());
            } else if (op == "broken") {
                result = fmt(p_.R.broken());
            } else {
                throw ScriptError("unknown operation '" + op + "'");
            }
            if (!args.empty() && (op == "notify_all" || op == "n_waiting" || op == "broken"))
                throw ScriptError(op + " takes no argument");
            rec("> " + text + " => " + result);
        }

        rec("> end");
        for (int round = 0; round < end_rounds && !all_done(); ++round) {
            for (auto& t : tasks_)
                if (!t.done()) rec("> cancel " + t.id + " => " + fmt(t.cancel()));
            for (int i = 0; i < end_sleep_limit && !all_done(); ++i) {
                rec("> sleep0");
                co_await asyncio::sleep(0);
            }
        }
        for (const auto& t : tasks_) rec("= " + t.id + " " + locks_state(t));
        for (const char* name : {"L", "S", "B", "C", "R"}) rec(std::string("> repr ") + name + " => " + repr(name));
    }

private:
    static bool is_task_op(const std::string& op) {
        for (const char* k : {"acquirer", "holder", "stubborn", "waitacq", "waiter", "waitfor", "notifier",
                              "notifyall", "producer", "barrier", "resetter", "aborter"})
            if (op == k) return true;
        return false;
    }
    static void check_prim(const std::string& w, std::string_view allowed) {
        if (w.size() != 1 || allowed.find(w[0]) == std::string_view::npos)
            throw ScriptError("unknown primitive '" + w + "'");
    }

    bool all_done() const {
        for (const auto& t : tasks_)
            if (!t.done()) return false;
        return true;
    }
    void rec(std::string line) { trace_.push_back(std::move(line)); }

    void release(const std::string& w) {
        if (w == "L") p_.L.release();
        else if (w == "S") p_.S.release();
        else if (w == "B") p_.B.release();
        else p_.C.release();
    }
    bool locked(const std::string& w) const {
        if (w == "L") return p_.L.locked();
        if (w == "S") return p_.S.locked();
        if (w == "B") return p_.B.locked();
        return p_.C.locked();
    }
    std::string repr(const std::string& w) const {
        if (w == "L") return brackets(p_.L);
        if (w == "S") return brackets(p_.S);
        if (w == "B") return brackets(p_.B);
        if (w == "C") return brackets(p_.C);
        return brackets(p_.R);
    }

    TaskRec& task(const std::vector<std::string>& args) {
        if (args.size() == 1)
            for (auto& t : tasks_)
                if (t.id == args[0]) return t;
        throw ScriptError("unknown task '" + join(args) + "'");
    }

    void spawn(const std::string& op, const std::vector<std::string>& args) {
        if (args.empty()) throw ScriptError(op + " needs an id");
        const std::string id = args[0];
        for (const auto& t : tasks_)
            if (t.id == id) throw ScriptError("duplicate task id " + id);
        std::size_t need = 0;
        if (op == "acquirer" || op == "waitacq") need = 2;
        else if (op == "holder" || op == "stubborn" || op == "notifier") need = 1;
        if (args.size() - 1 != need)
            throw ScriptError(op + " takes " + std::to_string(need) + " argument(s) after the id");
        if (op == "acquirer" || op == "holder" || op == "stubborn" || op == "waitacq") check_prim(args[1], "LSBC");
        if (op == "acquirer") {
            const int k = int_arg(args[2]);
            const char w = args[1][0];
            if (w == 'L') tasks_.push_back({id, asyncio::create_task(acquirer(id, p_.L, k))});
            else if (w == 'S') tasks_.push_back({id, asyncio::create_task(acquirer(id, p_.S, k))});
            else if (w == 'B') tasks_.push_back({id, asyncio::create_task(acquirer(id, p_.B, k))});
            else tasks_.push_back({id, asyncio::create_task(acquirer(id, p_.C, k))});
        } else if (op == "holder" || op == "stubborn" || op == "waitacq") {
            const int timeout = op == "waitacq" ? int_arg(args[2]) : 0;
            const char w = args[1][0];
            if (w == 'L') spawn_acq(op, id, p_.L, timeout);
            else if (w == 'S') spawn_acq(op, id, p_.S, timeout);
            else if (w == 'B') spawn_acq(op, id, p_.B, timeout);
            else spawn_acq(op, id, p_.C, timeout);
        } else if (op == "waiter") {
            tasks_.push_back({id, asyncio::create_task(waiter(id))});
        } else if (op == "waitfor") {
            tasks_.push_back({id, asyncio::create_task(waitfor(id))});
        } else if (op == "notifier") {
            tasks_.push_back({id, asyncio::create_task(notifier(id, int_arg(args[1])))});
        } else if (op == "notifyall") {
            tasks_.push_back({id, asyncio::create_task(notifyall(id))});
        } else if (op == "producer") {
            tasks_.push_back({id, asyncio::create_task(producer(id))});
        } else if (op == "barrier") {
            tasks_.push_back({id, asyncio::create_task(barrier(id))});
        } else if (op == "resetter") {
            tasks_.push_back({id, asyncio::create_task(resetter(id))});
        } else {
            tasks_.push_back({id, asyncio::create_task(aborter(id))});
        }
    }

    template <class P>
    void spawn_acq(const std::string& op, const std::string& id, P& p, int timeout) {
        if (op == "holder") tasks_.push_back({id, asyncio::create_task(holder(id, p))});
        else if (op == "stubborn") tasks_.push_back({id, asyncio::create_task(stubborn(id, p))});
        else tasks_.push_back({id, asyncio::create_task(waitacq(id, p, timeout))});
    }

    // ---- task bodies (runner_locks.py's, each inside its guard) -------------

    void raised(const std::string& id) { rec(id + " raise " + locks_exc_name(std::current_exception())); }

    template <class P>
    asyncio::Task<void> acquirer(std::string id, P& p, int k) {
        rec(id + " start");
        try {
            auto guard = co_await p.scoped_acquire();  // async with p:
            try {
                rec(id + " acquired");
                for (int i = 0; i < k; ++i) co_await asyncio::sleep(0);
                rec(id + " releasing");
            } catch (...) {
                // Python's __aexit__ releases, and an error of that release (the driver
                // released p meanwhile) replaces the body's exception; the guard's
                // destructor would keep the body's (LockGuard's documented limit).
                std::exception_ptr e = std::current_exception();
                try {
                    guard.release();
                } catch (...) {
                    e = std::current_exception();
                }
                std::rethrow_exception(e);
            }
        } catch (...) {
            raised(id);
            throw;
        }
    }

    template <class P>
    asyncio::Task<void> holder(std::string id, P& p) {
        rec(id + " start");
        try {
            const bool r = co_await p.acquire();
            rec(id + " acquired " + fmt(r));
        } catch (...) {
            raised(id);
            throw;
        }
    }

    template <class P>
    asyncio::Task<void> stubborn(std::string id, P& p) {
        rec(id + " start");
        try {
            bool caught = false;
            try {
                co_await p.acquire();
            } catch (const asyncio::CancelledError&) {
                caught = true;  // no co_await inside a handler
            }
            if (caught) {
                rec(id + " caught CancelledError");
                co_await p.acquire();
            }
            rec(id + " acquired");
            p.release();
            rec(id + " released");
        } catch (...) {
            raised(id);
            throw;
        }
    }

    template <class P>
    asyncio::Task<void> waitacq(std::string id, P& p, int timeout) {
        rec(id + " start");
        try {
            const bool r = co_await asyncio::wait_for(p.acquire(), static_cast<double>(timeout));
            rec(id + " acquired " + fmt(r));
        } catch (...) {
            raised(id);
            throw;
        }
    }

    asyncio::Task<void> waiter(std::string id) {
        rec(id + " start");
        try {
            auto guard = co_await p_.C.scoped_acquire();
            const bool r = co_await p_.C.wait();
            rec(id + " waited " + fmt(r));
        } catch (...) {
            raised(id);
            throw;
        }
    }

    asyncio::Task<void> waitfor(std::string id) {
        rec(id + " start");
        try {
            auto guard = co_await p_.C.scoped_acquire();
            const asyncio_diff::ItemsPositive pred{&items_};
            const bool r = co_await p_.C.wait_for(pred);
            --items_;
            rec(id + " consumed " + fmt(r) + " items=" + std::to_string(items_));
        } catch (...) {
            raised(id);
            throw;
        }
    }

    asyncio::Task<void> notifier(std::string id, int n) {
        rec(id + " start");
        try {
            auto guard = co_await p_.C.scoped_acquire();
            p_.C.notify(n);
            rec(id + " notified " + std::to_string(n));
        } catch (...) {
            raised(id);
            throw;
        }
    }

    asyncio::Task<void> notifyall(std::string id) {
        rec(id + " start");
        try {
            auto guard = co_await p_.C.scoped_acquire();
            p_.C.notify_all();
            rec(id + " notified all");
        } catch (...) {
            raised(id);
            throw;
        }
    }

    asyncio::Task<void> producer(std::string id) {
        rec(id + " start");
        try {
            auto guard = co_await p_.C.scoped_acquire();
            ++items_;
            p_.C.notify();
            rec(id + " produced items=" + std::to_string(items_));
        } catch (...) {
            raised(id);
            throw;
        }
    }

    asyncio::Task<int> barrier(std::string id) {
        rec(id + " start");
        try {
            const int i = co_await p_.R.wait();
            rec(id + " passed " + std::to_string(i));
            co_return i;
        } catch (...) {
            raised(id);
            throw;
        }
    }

    asyncio::Task<void> resetter(std::string id) {
        rec(id + " start");
        try {
            co_await p_.R.reset();
            rec(id + " reset");
        } catch (...) {
            raised(id);
            throw;
        }
    }

    asyncio::Task<void> aborter(std::string id) {
        rec(id + " start");
        try {
            co_await p_.R.abort();
            rec(id + " aborted");
        } catch (...) {
            raised(id);
            throw;
        }
    }

    LockSet& p_;
    Trace& trace_;
    std::vector<TaskRec> tasks_;  // in creation order
    int items_ = 0;               // shared by producer and waitfor, under C
};

/// Runs a script whose header is `locks SEM BSEM PARTIES`.
void run_locks(const Lines& lines, Trace& trace) {
    auto head = words_of(lines[0]);
    if (head.size() != 4 || head[0] != "locks") throw ScriptError("bad header '" + lines[0] + "'");
    // Constructed before the loop and destroyed after it (the tasks refer to them).
    auto p = std::make_unique<LockSet>(int_arg(head[1]), int_arg(head[2]), int_arg(head[3]));
    LocksRun run(*p, trace);
    asyncio::run(run.main(lines));
}

}  // namespace
