// runner_toolbox.hpp - the `toolbox` scripts of the differential test on this
// library: a line-for-line port of runner_toolbox.py (see README.md, "Toolbox
// scripts"): TaskGroup, timeout / timeout_at, wait, as_completed and shield.
// Included by runner.cpp after runner_locks.hpp, whose helpers (words_of, join,
// int_arg, fmt, locks_exc_name, ScriptError) it uses; not a header of its own.
#pragma once

#include <asyncio/taskgroups.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/timeouts.hpp>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

/// runner_toolbox.py's exc_name: ExceptionGroup(message)[sub, ...], recursively.
std::string toolbox_exc_name(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const asyncio::ExceptionGroup& g) {
        std::string s = "ExceptionGroup(" + g.message() + ")[";
        bool first = true;
        for (const auto& x : g.exceptions()) {
            s += (first ? "" : ", ") + toolbox_exc_name(x);
            first = false;
        }
        return s + "]";
    } catch (...) {
        return locks_exc_name(std::current_exception());
    }
}

/// One node of a work tree (runner_toolbox.py's parse).
struct Work {
    enum Kind { leaf, group, timeout, shield } kind = leaf;
    int k = 0;              // leaf: sleeps; group: body sleeps; timeout: delay
    std::string v;          // leaf: value, "x" or "c"; group: "ok", "x" or "c"
    std::string at;         // timeout: "@" timeout_at, "~" rescheduled by a helper, "" timeout
    std::vector<Work> kids; // group: children; timeout, shield: the one inner work
    std::vector<Work> late; // group: the children created after the body's sleeps
};

Work parse_work(const std::vector<std::string>& w, std::size_t& i) {
    if (i >= w.size()) throw ScriptError("work expected");
    Work n;
    if (w[i] == "[") {
        if (i + 2 >= w.size() || (w[i + 2] != "ok" && w[i + 2] != "x" && w[i + 2] != "c")) throw ScriptError("bad group");
        n.kind = Work::group;
        n.k = int_arg(w[i + 1]);
        n.v = w[i + 2];
        i += 3;
        std::vector<Work>* kids = &n.kids;
        while (i < w.size() && w[i] != "]") {
            if (w[i] == "|" && kids == &n.kids) {
                kids = &n.late;
                ++i;
                continue;
            }
            kids->push_back(parse_work(w, i));
        }
        if (i >= w.size()) throw ScriptError("unclosed group");
        ++i;
        return n;
    }
    if (w[i] == "{") {
        n.kind = Work::timeout;
        if (i + 1 < w.size() && (w[i + 1] == "@" || w[i + 1] == "~")) n.at = w[i + 1];
        std::size_t j = n.at.empty() ? i + 1 : i + 2;
        if (j >= w.size()) throw ScriptError("bad timeout");
        n.k = int_arg(w[j]);
        i = j + 1;
        n.kids.push_back(parse_work(w, i));
        if (i >= w.size() || w[i] != "}") throw ScriptError("unclosed timeout");
        ++i;
        return n;
    }
    if (w[i] == "<") {
        n.kind = Work::shield;
        ++i;
        n.kids.push_back(parse_work(w, i));
        if (i >= w.size() || w[i] != ">") throw ScriptError("unclosed shield");
        ++i;
        return n;
    }
    const auto c = w[i].find(':');
    if (c == std::string::npos) throw ScriptError("bad work '" + w[i] + "'");
    n.k = int_arg(w[i].substr(0, c));
    n.v = w[i].substr(c + 1);
    if (n.v != "x" && n.v != "c") int_arg(n.v);
    ++i;
    return n;
}

class ToolboxRun {
public:
    explicit ToolboxRun(Trace& trace) : trace_(trace) {}

    asyncio::Task<void> main(Lines lines) {
        if (words_of(lines[0]) != std::vector<std::string>{"toolbox"})
            throw ScriptError("bad header '" + lines[0] + "'");
        rec("> toolbox");
        for (std::size_t i = 1; i < lines.size(); ++i) {
            auto args = words_of(lines[i]);
            const std::string op = args[0];
            args.erase(args.begin());
            const std::string text = join(words_of(lines[i]));
            if (op == "task" || op == "wait" || op == "ascomp" || op == "shield") {
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
            if (op == "cancel")
                result = fmt(task(args).cancel());
            else if (op == "state")
                result = state(task(args));
            else if (op == "cancelling")
                result = std::to_string(task(args).cancelling());
            else
                throw ScriptError("unknown operation '" + op + "'");
            rec("> " + text + " => " + result);
        }
        rec("> end");
        for (int round = 0; round < end_rounds; ++round) {
            if (all_done()) break;
            for (auto& [id, t] : tasks_)
                if (!t.done()) rec("> cancel " + id + " => " + fmt(t.cancel()));
            for (int s = 0; s < end_sleep_limit && !all_done(); ++s) {
                rec("> sleep0");
                co_await asyncio::sleep(0);
            }
        }
        for (int s = 0; s < 3 * end_sleep_limit && live_ != 0; ++s) {  // shielded work left running
            rec("> sleep0");
            co_await asyncio::sleep(0);
        }
        for (auto& [id, t] : tasks_) rec("= " + id + " " + state(t));
    }

private:
    void rec(std::string line) { trace_.push_back(std::move(line)); }

    bool all_done() const {
        for (const auto& [id, t] : tasks_)
            if (!t.done()) return false;
        return true;
    }

    asyncio::Task<int>& task(const std::vector<std::string>& args) {
        if (args.size() == 1)
            for (auto& [id, t] : tasks_)
                if (id == args[0]) return t;
        throw ScriptError("unknown task '" + join(args) + "'");
    }

    static std::string state(const asyncio::Task<int>& t) {
        if (!t.done()) return "pending";
        if (t.cancelled()) return "cancelled";
        try {
            return "result " + std::to_string(t.result());
        } catch (...) {
            return "exception " + toolbox_exc_name(std::current_exception());
        }
    }

    static std::optional<double> timeout_arg(const std::string& w) {
        if (w == "none") return std::nullopt;
        return static_cast<double>(int_arg(w));
    }

    std::vector<asyncio::Task<int>> targets(const std::vector<std::string>& args, std::size_t from) {
        std::vector<asyncio::Task<int>> out;
        for (std::size_t i = from; i < args.size(); ++i) out.push_back(task({args[i]}));
        return out;
    }

    void spawn(const std::string& op, const std::vector<std::string>& args) {
        if (args.empty()) throw ScriptError(op + " needs an id");
        const std::string id = args[0];
        std::vector<std::string> rest(args.begin() + 1, args.end());
        for (auto& [tid, t] : tasks_)
            if (tid == id) throw ScriptError("duplicate task id " + id);
        std::optional<asyncio::Task<int>> t;
        if (op == "task") {
            std::size_t i = 0;
            auto node = std::make_shared<Work>(parse_work(rest, i));
            if (i != rest.size()) throw ScriptError("trailing words");
            nodes_.push_back(node);
            t.emplace(asyncio::create_task(work(*node, id)));
        } else if (op == "wait") {
            if (rest.size() < 3 || (rest[1] != "all" && rest[1] != "first" && rest[1] != "exc"))
                throw ScriptError("wait takes TIMEOUT MODE TASK...");
            const asyncio::ReturnWhen mode = rest[1] == "all"     ? asyncio::ALL_COMPLETED
                                             : rest[1] == "first" ? asyncio::FIRST_COMPLETED
                                                                  : asyncio::FIRST_EXCEPTION;
            t.emplace(asyncio::create_task(waiter(id, timeout_arg(rest[0]), mode, targets(rest, 2))));
        } else if (op == "ascomp") {
            if (rest.size() < 2) throw ScriptError("ascomp takes TIMEOUT TASK...");
            t.emplace(asyncio::create_task(ascomp(id, timeout_arg(rest[0]), targets(rest, 1))));
        } else {
            if (rest.size() != 1) throw ScriptError("shield takes a task");
            t.emplace(asyncio::create_task(shielder(id, task(rest))));
        }
        tasks_.emplace_back(id, std::move(*t));
    }

    // ---- work -------------------------------------------------------------
    asyncio::Task<int> work(const Work& n, std::string path) {
        ++live_;
        int r = 0;
        try {
            r = co_await work_body(n, path);
        } catch (...) {
            --live_;
            rec(path + " raise " + toolbox_exc_name(std::current_exception()));
            throw;
        }
        --live_;
        rec(path + " ok " + std::to_string(r));
        co_return r;
    }

    asyncio::Task<int> work_body(const Work& n, std::string path) {
        switch (n.kind) {
        case Work::leaf: co_return co_await leaf(n, path);
        case Work::group: co_return co_await group(n, path);
        case Work::timeout: co_return co_await timed(n, path);
        case Work::shield: break;
        }
        auto inner = asyncio::shield(work(n.kids[0], path + ".s"));
        co_return co_await inner;
    }

    asyncio::Task<int> leaf(const Work& n, std::string path) {
        rec(path + " start");
        if (n.v == "c") {
            bool caught = false;
            try {
                for (int i = 0; i < n.k; ++i) co_await asyncio::sleep(0);
            } catch (const asyncio::CancelledError&) {
                caught = true;
            }
            if (!caught) co_return n.k;
            rec(path + " caught CancelledError");
            co_await asyncio::sleep(0);
            co_return -1;
        }
        for (int i = 0; i < n.k; ++i) co_await asyncio::sleep(0);
        if (n.v == "x") throw asyncio::ValueError("boom");
        co_return int_arg(n.v);
    }

    asyncio::Task<int> group(const Work& n, std::string path) {
        std::vector<asyncio::Task<int>> kids;
        // A std::function, not the lambda itself: a lambda defined in a header may not
        // be a member of a coroutine frame (g++ -Wsubobject-linkage).
        std::function<asyncio::Task<void>(asyncio::TaskGroup&)> body =
            [this, &n, &path, &kids](asyncio::TaskGroup& tg) -> asyncio::Task<void> {
            for (std::size_t i = 0; i < n.kids.size(); ++i) {
                auto t = tg.create_task(work(n.kids[i], path + "." + std::to_string(i)));
                kids.push_back(std::move(t));
            }
            bool caught = false;
            try {
                for (int i = 0; i < n.k; ++i) co_await asyncio::sleep(0);
            } catch (const asyncio::CancelledError&) {
                if (n.v != "c") throw;
                caught = true;
            }
            if (caught) rec(path + " body caught CancelledError");
            for (std::size_t i = 0; i < n.late.size(); ++i) {
                auto t = tg.create_task(work(n.late[i], path + "." + std::to_string(n.kids.size() + i)));
                kids.push_back(std::move(t));
            }
            rec(path + " body done");
            if (n.v == "x") throw asyncio::ValueError("boom");
        };
        try {
            co_await asyncio::task_group(std::move(body));
        } catch (...) {
            rec(path + " left cancelling=" + std::to_string(asyncio::current_task().cancelling()));
            throw;
        }
        rec(path + " left cancelling=" + std::to_string(asyncio::current_task().cancelling()));
        int sum = 0;
        for (auto& t : kids) {
            if (t.cancelled()) continue;
            try {
                sum += t.result();
            } catch (...) {
            }
        }
        co_return sum;
    }

    asyncio::Task<int> timed(const Work& n, std::string path) {
        const double d = n.k;
        asyncio::EventLoop& loop = asyncio::get_running_loop();
        asyncio::Timeout cm = n.at == "@"   ? asyncio::timeout_at(loop.time() + d)
                              : n.at == "~" ? asyncio::timeout(std::nullopt)
                                            : asyncio::timeout(d);
        auto inside = std::make_shared<bool>(false);
        std::function<asyncio::Task<int>()> body = [this, &n, &path, &cm, inside]() -> asyncio::Task<int> {
            if (n.at == "~") {
                *inside = true;
                helpers_.push_back(asyncio::create_task(resched(&cm, n.k, path, inside)));
            }
            co_return co_await work(n.kids[0], path + ".t");
        };
        int r = 0;
        try {
            r = co_await cm.run(std::move(body));
        } catch (...) {
            *inside = false;
            rec(path + " expired " + fmt(cm.expired()) + " cancelling=" +
                std::to_string(asyncio::current_task().cancelling()));
            throw;
        }
        *inside = false;
        rec(path + " expired " + fmt(cm.expired()) + " cancelling=" +
                std::to_string(asyncio::current_task().cancelling()));
        co_return r;
    }

    /// `{ ~ K W }`'s helper: after K sleep(0)s, reschedules the block's timeout to now if
    /// the block still runs (`inside`; `cm` is only touched then, while it exists).
    asyncio::Task<void> resched(asyncio::Timeout* cm, int k, std::string path, std::shared_ptr<bool> inside) {
        ++live_;
        for (int i = 0; i < k; ++i) co_await asyncio::sleep(0);
        if (*inside) {
            cm->reschedule(asyncio::get_running_loop().time());
            rec(path + " rescheduled");
        }
        --live_;
    }

    // ---- top-level tasks --------------------------------------------------
    std::string names(const std::vector<asyncio::Task<int>>& ts) {
        std::string s;
        for (auto& [id, t] : tasks_)
            for (const auto& x : ts)
                if (x == t) s += (s.empty() ? "" : " ") + id;
        return "[" + s + "]";
    }

    asyncio::Task<int> waiter(std::string id, std::optional<double> tmo, asyncio::ReturnWhen mode,
                              std::vector<asyncio::Task<int>> ts) {
        rec(id + " start");
        try {
            auto aw = asyncio::wait(std::move(ts), tmo, mode);
            auto res = co_await std::move(aw);
            rec(id + " waited done=" + names(res.first) + " pending=" + names(res.second));
            const int n = static_cast<int>(res.first.size());
            rec(id + " result " + std::to_string(n));
            co_return n;
        } catch (...) {
            rec(id + " raise " + toolbox_exc_name(std::current_exception()));
            throw;
        }
    }

    asyncio::Task<int> ascomp(std::string id, std::optional<double> tmo, std::vector<asyncio::Task<int>> ts) {
        rec(id + " start");
        try {
            int n = 0;
            std::vector<std::string> got;  // sorted at the end, as runner_toolbox.py does
            std::vector<asyncio::Task<int>> todo;  // the targets not done yet (runner_toolbox.py)
            for (auto& t : ts)
                if (!t.done()) todo.push_back(t);
            rec(id + " skipped " + std::to_string(ts.size() - todo.size()));
            ts = std::move(todo);
            auto range = asyncio::as_completed(std::move(ts), tmo);
            for (auto next : range) {
                try {
                    int r = co_await next;
                    got.push_back(std::to_string(r));
                    ++n;
                } catch (const asyncio::ValueError&) {
                    got.push_back(toolbox_exc_name(std::current_exception()));
                } catch (const asyncio::TimeoutError&) {
                    got.push_back(toolbox_exc_name(std::current_exception()));
                }
                rec(id + " next");
            }
            std::sort(got.begin(), got.end());
            std::string s;
            for (const auto& g : got) s += (s.empty() ? "" : ", ") + g;
            rec(id + " got [" + s + "]");
            rec(id + " result " + std::to_string(n));
            co_return n;
        } catch (...) {
            rec(id + " raise " + toolbox_exc_name(std::current_exception()));
            throw;
        }
    }

    asyncio::Task<int> shielder(std::string id, asyncio::Task<int> target) {
        rec(id + " start");
        try {
            auto sh = asyncio::shield(std::move(target));
            int r = co_await sh;
            rec(id + " result " + std::to_string(r));
            co_return r;
        } catch (...) {
            rec(id + " raise " + toolbox_exc_name(std::current_exception()));
            throw;
        }
    }

    Trace& trace_;
    std::vector<std::pair<std::string, asyncio::Task<int>>> tasks_;  // in creation order
    std::vector<std::shared_ptr<Work>> nodes_;                      // the trees the tasks run
    std::vector<asyncio::Task<void>> helpers_;                      // resched tasks
    int live_ = 0;
};

void run_toolbox(const Lines& lines, Trace& trace) {
    ToolboxRun run(trace);
    asyncio::run(run.main(lines));
}

}  // namespace
