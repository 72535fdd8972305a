// tests/redis_processes/proc_helper.cpp - the child processes of the multi-process Redis queue
// tests (test_redis_processes.cpp starts them with posix_spawn). Each is one role on one queue
// of std::int64_t items, asyncio::redis::Queue<std::int64_t>:
//
//   produce URL NAME MAXSIZE FIRST COUNT BATCH
//       puts FIRST, FIRST+1, ..., FIRST+COUNT-1 in order (put() one by one when BATCH is 1,
//       put_many() of BATCH items otherwise), prints "put COUNT" and exits.
//   consume URL NAME MAXSIZE REPORT VISIBILITY TASKS [WORK_MS]
//       TASKS worker tasks share one handle (visibility_timeout VISIBILITY); each loops
//       get() / [asyncio::sleep(WORK_MS / 1000): the item's "work"] / task_done() until the
//       queue is shut down and empty. REPORT gets a line
//       "g <item>" right after get() returned the item and "a <item>" right after its
//       task_done() returned, written with write(2) on an O_APPEND file, unbuffered: a SIGKILL
//       loses none of the lines written. "done" ends the report of a consumer that ended normally.
//   hold URL NAME MAXSIZE REPORT VISIBILITY GETS ACKS
//       gets GETS items in one task, acknowledges the first ACKS of them, reports as consume
//       does, prints "ready" and then sleeps until it is killed, holding GETS - ACKS leases.
//   join URL NAME MAXSIZE
//       join() (every item put has been acknowledged), then shutdown(); prints "joined" and
//       the qsize() after the join.
//
// Exit status 0 on success; 1 with the exception's message on stderr otherwise; 2 on bad usage.
// Each helper gets SIGKILL when the test process that started it dies (PR_SET_PDEATHSIG).
#include <asyncio/redis.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/tasks.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace {

using Queue = asyncio::redis::Queue<std::int64_t>;

/// An O_APPEND report file written line by line with write(2) (no user-space buffer).
class ReportFile {
public:
    explicit ReportFile(const std::string& path) : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
        if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
    }
    ReportFile(const ReportFile&) = delete;
    ReportFile& operator=(const ReportFile&) = delete;
    ~ReportFile() { ::close(fd_); }
    void line(const std::string& text) {
        const std::string l = text + "\n";
        std::size_t done = 0;
        while (done < l.size()) {
            const ssize_t n = ::write(fd_, l.data() + done, l.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw std::system_error(errno, std::generic_category(), "write report");
            done += static_cast<std::size_t>(n);
        }
    }

private:
    int fd_;
};

std::int64_t to_int(const std::string& s, const char* what) {
    std::size_t used = 0;
    const long long v = std::stoll(s, &used);
    if (used != s.size()) throw std::invalid_argument(std::string("bad ") + what + ": '" + s + "'");
    return v;
}

asyncio::redis::Options options_with(double visibility) {
    asyncio::redis::Options o;
    o.visibility_timeout = visibility;
    return o;
}

asyncio::Task<> produce(std::string url, std::string name, std::ptrdiff_t maxsize, std::int64_t first, std::int64_t count,
                        std::int64_t batch) {
    Queue q = co_await Queue::connect(url, name, maxsize);
    if (batch <= 1) {
        for (std::int64_t i = 0; i < count; ++i) {
            const std::int64_t item = first + i;
            co_await q.put(item);
        }
    } else {
        std::vector<std::int64_t> items;
        for (std::int64_t i = 0; i < count; i += batch) {
            items.clear();
            for (std::int64_t j = i; j < count && j < i + batch; ++j) items.push_back(first + j);
            co_await q.put_many(items);
        }
    }
    co_await q.close();
    std::cout << "put " << count << std::endl;
}

asyncio::Task<> worker(Queue& q, ReportFile& report, double work) {
    for (;;) {
        std::int64_t item = 0;
        try {
            item = co_await q.get();
        } catch (const asyncio::QueueShutDown&) {
            co_return;
        }
        report.line("g " + std::to_string(item));
        if (work > 0) co_await asyncio::sleep(work);
        co_await q.task_done();
        report.line("a " + std::to_string(item));
    }
}

asyncio::Task<> consume(std::string url, std::string name, std::ptrdiff_t maxsize, std::string report_path, double visibility,
                        std::int64_t tasks, double work) {
    ReportFile report(report_path);
    const asyncio::redis::Options options = options_with(visibility);
    Queue q = co_await Queue::connect(url, name, maxsize, options);
    std::vector<asyncio::Task<>> workers;
    for (std::int64_t i = 0; i < tasks; ++i) workers.push_back(asyncio::create_task(worker(q, report, work)));
    for (auto& w : workers) co_await w;
    co_await q.close();
    report.line("done");
}

asyncio::Task<> hold(std::string url, std::string name, std::ptrdiff_t maxsize, std::string report_path, double visibility,
                     std::int64_t gets, std::int64_t acks) {
    ReportFile report(report_path);
    const asyncio::redis::Options options = options_with(visibility);
    Queue q = co_await Queue::connect(url, name, maxsize, options);
    std::vector<std::int64_t> got;
    for (std::int64_t i = 0; i < gets; ++i) {
        const std::int64_t item = co_await q.get();
        report.line("g " + std::to_string(item));
        got.push_back(item);
    }
    // task_done() acknowledges the oldest item this task holds: the first ACKS items got.
    for (std::int64_t i = 0; i < acks; ++i) {
        co_await q.task_done();
        report.line("a " + std::to_string(got[static_cast<std::size_t>(i)]));
    }
    std::cout << "ready" << std::endl;
    for (;;) ::pause();  // holds the leases of the other items until SIGKILL
}

asyncio::Task<> join(std::string url, std::string name, std::ptrdiff_t maxsize) {
    Queue q = co_await Queue::connect(url, name, maxsize);
    co_await q.join();
    co_await q.shutdown();
    const std::ptrdiff_t left = co_await q.qsize();
    co_await q.close();
    std::cout << "joined qsize=" << left << std::endl;
}

int usage() {
    std::cerr << "usage: redis_proc_helper produce URL NAME MAXSIZE FIRST COUNT BATCH\n"
                 "       redis_proc_helper consume URL NAME MAXSIZE REPORT VISIBILITY TASKS [WORK_MS]\n"
                 "       redis_proc_helper hold URL NAME MAXSIZE REPORT VISIBILITY GETS ACKS\n"
                 "       redis_proc_helper join URL NAME MAXSIZE\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    // A helper dies with the test that started it: a test killed by ctest's timeout leaves no
    // consumer behind reconnecting forever to its stopped server, no holder pausing forever.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const std::vector<std::string> a(argv, argv + argc);
    if (a.size() < 5) return usage();
    const std::string& role = a[1];
    try {
        const std::ptrdiff_t maxsize = static_cast<std::ptrdiff_t>(to_int(a[4], "MAXSIZE"));
        if (role == "produce" && a.size() == 8) {
            asyncio::run(produce(a[2], a[3], maxsize, to_int(a[5], "FIRST"), to_int(a[6], "COUNT"), to_int(a[7], "BATCH")));
        } else if (role == "consume" && (a.size() == 8 || a.size() == 9)) {
            const double work = a.size() == 9 ? static_cast<double>(to_int(a[8], "WORK_MS")) / 1000.0 : 0.0;
            asyncio::run(consume(a[2], a[3], maxsize, a[5], std::stod(a[6]), to_int(a[7], "TASKS"), work));
        } else if (role == "hold" && a.size() == 9) {
            asyncio::run(hold(a[2], a[3], maxsize, a[5], std::stod(a[6]), to_int(a[7], "GETS"), to_int(a[8], "ACKS")));
        } else if (role == "join" && a.size() == 5) {
            asyncio::run(join(a[2], a[3], maxsize));
        } else {
            return usage();
        }
    } catch (const std::exception& e) {
        std::cerr << "redis_proc_helper " << role << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}
