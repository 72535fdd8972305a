// runner.cpp - the C++ side of the differential test: runs queue scripts on
// this library and prints their traces. It is a line-for-line port of
// runner.py, which runs the same scripts on CPython 3.13's asyncio; the two
// must print the same bytes for every script (see README.md for the script
// language and the trace format).
//
// Usage: asyncio_diff_runner [FILE]   (FILE holds one script or many separated
//                                      by '---' lines; standard input when FILE
//                                      is absent or '-')
#include <asyncio/asyncio.hpp>

#include <charconv>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace {

constexpr int end_rounds = 3;        // rounds of cancelling what is left at the end
constexpr int end_sleep_limit = 10;  // sleep(0)s per round for the cancelled tasks to finish

/// A malformed script (runner.py's ScriptError).
struct ScriptError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using Lines = std::vector<std::string>;
using Trace = std::vector<std::string>;

std::vector<std::string> words_of(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> w;
    for (std::string s; in >> s;) w.push_back(s);
    return w;
}

std::string join(const std::vector<std::string>& w) {
    std::string s;
    for (const auto& x : w) s += (s.empty() ? "" : " ") + x;
    return s;
}

int int_arg(const std::string& w) {
    int v = 0;
    auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec != std::errc() || end != w.data() + w.size()) throw ScriptError("not an integer: '" + w + "'");
    return v;
}

std::string fmt(bool b) { return b ? "True" : "False"; }

/// Python's type(e).__name__ for what the library throws ("ValueError: msg" for
/// ValueError, as runner.py prints it).
std::string exc_name(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const asyncio::CancelledError&) {
        return "CancelledError";
    } catch (const asyncio::QueueEmpty&) {
        return "QueueEmpty";
    } catch (const asyncio::QueueFull&) {
        return "QueueFull";
    } catch (const asyncio::QueueShutDown&) {
        return "QueueShutDown";
    } catch (const asyncio::ValueError& v) {
        return std::string("ValueError: ") + v.what();
    } catch (const asyncio::TimeoutError&) {
        return "TimeoutError";
    } catch (const asyncio::InvalidStateError& v) {
        return std::string("InvalidStateError: ") + v.what();
    } catch (const std::exception& v) {
        return std::string("std::exception: ") + v.what();
    } catch (...) {
        return "unknown exception";
    }
}

/// Splits a batch into scripts (stripped lines, no blanks, no '#' comments).
std::vector<Lines> split_scripts(std::istream& in) {
    std::vector<Lines> scripts(1);
    for (std::string raw; std::getline(in, raw);) {
        auto b = raw.find_first_not_of(" \t\r\n\f\v");
        if (b == std::string::npos) continue;
        auto e = raw.find_last_not_of(" \t\r\n\f\v");
        std::string line = raw.substr(b, e - b + 1);
        if (line == "---")
            scripts.emplace_back();
        else if (line[0] != '#')
            scripts.back().push_back(line);
    }
    std::vector<Lines> out;
    for (auto& s : scripts)
        if (!s.empty()) out.push_back(std::move(s));
    return out;
}

/// One task of the script: the two result types a script creates.
struct TaskRec {
    std::string id;
    std::variant<asyncio::Task<int>, asyncio::Task<void>> task;

    bool done() const {
        return std::visit([](const auto& t) { return t.done(); }, task);
    }
    bool cancel() {
        return std::visit([](auto& t) { return t.cancel(); }, task);
    }
    std::string state() const {
        return std::visit(
            [](const auto& t) -> std::string {
                if (!t.done()) return "pending";
                if (t.cancelled()) return "cancelled";
                try {
                    if constexpr (std::is_void_v<decltype(t.result())>) {
                        t.result();
                        return "result None";
                    } else {
                        return "result " + std::to_string(t.result());
                    }
                } catch (...) {
                    return "exception " + exc_name(std::current_exception());
                }
            },
            task);
    }
};

/// Runs one script on a queue of type Q (Queue<int>, LifoQueue<int> or
/// PriorityQueue<int>): the same driver and task bodies as runner.py's Run.
template <class Q>
class Run {
public:
    Run(Q& q, Trace& trace) : q_(q), trace_(trace) {}

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
                rec("> " + text);
                co_await asyncio::sleep(0);
                continue;
            }
            std::string result;
            if (op == "cancel") {
                result = fmt(task(args).cancel());
            } else if (op == "state") {
                result = task(args).state();
            } else if (op == "put_nowait" || op == "get_nowait" || op == "task_done") {
                if (op == "put_nowait" && args.size() != 1) throw ScriptError("put_nowait takes one item");
                try {
                    if (op == "put_nowait") {
                        q_.put_nowait(int_arg(args[0]));
                        result = "ok";
                    } else if (op == "get_nowait") {
                        result = std::to_string(q_.get_nowait());
                    } else {
                        q_.task_done();
                        result = "ok";
                    }
                } catch (const ScriptError&) {
                    throw;
                } catch (...) {
                    result = exc_name(std::current_exception());
                }
            } else if (op == "shutdown") {
                q_.shutdown();
                result = "ok";
            } else if (op == "shutdown_immediate") {
                q_.shutdown(true);
                result = "ok";
            } else if (op == "qsize") {
                result = std::to_string(q_.qsize());
            } else if (op == "empty") {
                result = fmt(q_.empty());
            } else if (op == "full") {
                result = fmt(q_.full());
            } else if (op == "str") {
                result = str();
            } else {
                throw ScriptError("unknown operation '" + op + "'");
            }
            if (!args.empty() && op != "cancel" && op != "state" && op != "put_nowait")
                throw ScriptError(op + " takes no argument");
            rec("> " + text + " => " + result);
        }

        // The end: cancel what is left, let it finish, report every task.
        rec("> end");
        for (int round = 0; round < end_rounds && !all_done(); ++round) {
            for (auto& t : tasks_)
                if (!t.done()) rec("> cancel " + t.id + " => " + fmt(t.cancel()));
            for (int i = 0; i < end_sleep_limit && !all_done(); ++i) {
                rec("> sleep0");
                co_await asyncio::sleep(0);
            }
        }
        for (const auto& t : tasks_) rec("= " + t.id + " " + t.state());
        rec("> str => " + str());
    }

private:
    static bool is_task_op(const std::string& op) {
        for (const char* k : {"getter", "putter", "joiner", "worker", "producer", "waitget", "stubborn", "awaiter",
                              "gatherer", "gettask", "puttask", "jointask"})
            if (op == k) return true;
        return false;
    }

    bool all_done() const {
        for (const auto& t : tasks_)
            if (!t.done()) return false;
        return true;
    }

    void rec(std::string line) { trace_.push_back(std::move(line)); }

    std::string str() const {
        std::ostringstream os;
        os << q_;
        return os.str();
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
        if (op == "awaiter") {
            if (args.size() != 2) throw ScriptError("awaiter takes 1 argument(s) after the id");
            auto& target = task({args[1]}).task;
            if (auto* t = std::get_if<asyncio::Task<int>>(&target))
                tasks_.push_back({id, asyncio::create_task(awaiter(id, *t))});
            else
                tasks_.push_back({id, asyncio::create_task(awaiter(id, std::get<asyncio::Task<void>>(target)))});
            return;
        }
        if (op == "gatherer") {
            if (args.size() < 2) throw ScriptError("gatherer needs arguments after the id");
            std::vector<asyncio::Task<int>> targets;
            for (std::size_t i = 1; i < args.size(); ++i) {
                for (std::size_t j = 1; j < i; ++j)
                    if (args[j] == args[i]) throw ScriptError("gatherer takes distinct tasks");
                auto* t = std::get_if<asyncio::Task<int>>(&task({args[i]}).task);
                if (!t) throw ScriptError("gatherer: " + args[i] + " has no int result (C++ runner limit)");
                targets.push_back(*t);
            }
            tasks_.push_back({id, asyncio::create_task(gatherer(id, std::move(targets)))});
            return;
        }
        std::vector<int> nums;
        for (std::size_t i = 1; i < args.size(); ++i) nums.push_back(int_arg(args[i]));
        const std::size_t need = (op == "putter" || op == "worker" || op == "waitget" || op == "puttask") ? 1 : 0;
        if (op == "producer") {
            if (nums.empty()) throw ScriptError("producer needs items");
        } else if (nums.size() != need) {
            throw ScriptError(op + " takes " + std::to_string(need) + " argument(s) after the id");
        }
        // Python's create_task(coro) for each: the task's first step runs later.
        if (op == "getter")
            tasks_.push_back({id, asyncio::create_task(getter(id))});
        else if (op == "putter" || op == "producer")
            tasks_.push_back({id, asyncio::create_task(putter(id, nums))});
        else if (op == "joiner")
            tasks_.push_back({id, asyncio::create_task(joiner(id))});
        else if (op == "worker")
            tasks_.push_back({id, asyncio::create_task(worker(id, nums[0]))});
        else if (op == "waitget")
            tasks_.push_back({id, asyncio::create_task(waitget(id, nums[0]))});
        else if (op == "stubborn")
            tasks_.push_back({id, asyncio::create_task(stubborn(id))});
        else if (op == "gettask")
            tasks_.push_back({id, asyncio::create_task(q_.get())});
        else if (op == "puttask")
            tasks_.push_back({id, asyncio::create_task(q_.put(nums[0]))});
        else  // jointask
            tasks_.push_back({id, asyncio::create_task(q_.join())});
    }

    // ---- task bodies: each records '<id> start', its events, and any exception
    // as '<id> raise <Name>' before re-throwing it (runner.py's guard).

    asyncio::Task<int> getter(std::string id) {
        rec(id + " start");
        try {
            int item = co_await q_.get();
            rec(id + " got " + std::to_string(item));
            co_return item;
        } catch (...) {
            rec(id + " raise " + exc_name(std::current_exception()));
            throw;
        }
    }

    asyncio::Task<void> putter(std::string id, std::vector<int> items) {
        rec(id + " start");
        try {
            for (int item : items) {
                co_await q_.put(item);
                rec(id + " put " + std::to_string(item));
            }
        } catch (...) {
            rec(id + " raise " + exc_name(std::current_exception()));
            throw;
        }
    }

    asyncio::Task<void> joiner(std::string id) {
        rec(id + " start");
        try {
            co_await q_.join();
            rec(id + " joined");
        } catch (...) {
            rec(id + " raise " + exc_name(std::current_exception()));
            throw;
        }
    }

    asyncio::Task<void> worker(std::string id, int n) {
        rec(id + " start");
        try {
            for (int i = 0; i < n; ++i) {
                int item = co_await q_.get();
                rec(id + " got " + std::to_string(item));
                co_await asyncio::sleep(0);
                q_.task_done();
                rec(id + " task_done");
            }
        } catch (...) {
            rec(id + " raise " + exc_name(std::current_exception()));
            throw;
        }
    }

    asyncio::Task<int> stubborn(std::string id) {
        rec(id + " start");
        try {
            int item = 0;
            bool caught = false;
            try {
                item = co_await q_.get();
            } catch (const asyncio::CancelledError&) {
                caught = true;  // no co_await inside a handler: get again below
            }
            if (caught) {
                rec(id + " caught CancelledError");
                item = co_await q_.get();
            }
            rec(id + " got " + std::to_string(item));
            co_return item;
        } catch (...) {
            rec(id + " raise " + exc_name(std::current_exception()));
            throw;
        }
    }

    // Python's `await task`: the value (None for a Task<void>) or its exception.
    asyncio::Task<int> awaiter(std::string id, asyncio::Task<int> target) {
        rec(id + " start");
        try {
            int result = co_await target;
            rec(id + " awaited " + std::to_string(result));
            co_return result;
        } catch (...) {
            rec(id + " raise " + exc_name(std::current_exception()));
            throw;
        }
    }

    asyncio::Task<void> awaiter(std::string id, asyncio::Task<void> target) {
        rec(id + " start");
        try {
            co_await target;
            rec(id + " awaited None");
        } catch (...) {
            rec(id + " raise " + exc_name(std::current_exception()));
            throw;
        }
    }

    asyncio::Task<void> gatherer(std::string id, std::vector<asyncio::Task<int>> targets) {
        rec(id + " start");
        try {
            std::vector<int> results = co_await asyncio::gather(std::move(targets));
            std::string s;
            for (int r : results) s += (s.empty() ? "" : ", ") + std::to_string(r);
            rec(id + " gathered [" + s + "]");
        } catch (...) {
            rec(id + " raise " + exc_name(std::current_exception()));
            throw;
        }
    }

    asyncio::Task<int> waitget(std::string id, int timeout) {
        rec(id + " start");
        try {
            int item = co_await asyncio::wait_for(q_.get(), static_cast<double>(timeout));
            rec(id + " got " + std::to_string(item));
            co_return item;
        } catch (...) {
            rec(id + " raise " + exc_name(std::current_exception()));
            throw;
        }
    }

    Q& q_;
    Trace& trace_;
    std::vector<TaskRec> tasks_;  // in creation order
};

template <class Q>
void run_on(long maxsize, const Lines& lines, Trace& trace) {
    Q q(maxsize);  // outlives the loop, whatever asyncio::run leaves behind
    Run<Q> run(q, trace);
    asyncio::run(run.main(lines));
}

}  // namespace

#include "runner_locks.hpp"  // the `locks` scripts (README.md, "Lock scripts")
#include "runner_toolbox.hpp"  // the `toolbox` scripts (README.md, "Toolbox scripts")

namespace {

Trace run_script(const Lines& lines) {
    Trace trace;
    try {
        auto head = words_of(lines[0]);
        if (!head.empty() && head[0] == "locks") {
            run_locks(lines, trace);
            return trace;
        }
        if (!head.empty() && head[0] == "toolbox") {
            run_toolbox(lines, trace);
            return trace;
        }
        if (head.size() != 3 || head[0] != "queue") throw ScriptError("bad header '" + lines[0] + "'");
        const long maxsize = int_arg(head[2]);
        if (head[1] == "Queue")
            run_on<asyncio::Queue<int>>(maxsize, lines, trace);
        else if (head[1] == "LifoQueue")
            run_on<asyncio::LifoQueue<int>>(maxsize, lines, trace);
        else if (head[1] == "PriorityQueue")
            run_on<asyncio::PriorityQueue<int>>(maxsize, lines, trace);
        else
            throw ScriptError("bad header '" + lines[0] + "'");
    } catch (const ScriptError& e) {
        trace.push_back(std::string("!error ") + e.what());
    } catch (...) {
        // Never printed by runner.py: the comparison reports it as a mismatch.
        trace.push_back("!crash " + exc_name(std::current_exception()));
    }
    return trace;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 2) {
        std::cerr << "usage: " << argv[0] << " [FILE]\n";
        return 2;
    }
    std::vector<Lines> scripts;
    if (argc == 2 && std::string(argv[1]) != "-") {
        std::ifstream in(argv[1]);
        if (!in) {
            std::cerr << argv[0] << ": cannot open " << argv[1] << "\n";
            return 2;
        }
        scripts = split_scripts(in);
    } else {
        scripts = split_scripts(std::cin);
    }
    for (std::size_t n = 0; n < scripts.size(); ++n) {
        std::string out = "=== " + std::to_string(n) + "\n";
        std::fputs(out.c_str(), stdout);
        std::fflush(stdout);  // a crash in this script then shows which one it was
        out.clear();
        for (const auto& line : run_script(scripts[n])) out += line + "\n";
        out += "=== end " + std::to_string(n) + "\n";
        std::fputs(out.c_str(), stdout);
        std::fflush(stdout);
    }
    return 0;
}
