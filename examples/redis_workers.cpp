// examples/redis_workers.cpp - one producer and N worker processes sharing one queue whose
// state lives in Redis (asyncio::redis::Queue, <asyncio/redis.hpp>).
//
//     redis_workers [URL [WORKERS [JOBS]]]     the producer (3 workers, 100 jobs by default)
//     redis_workers --worker URL ID            one worker (the producer starts these itself)
//
// The producer empties the two queues, starts WORKERS copies of this program as worker
// processes, puts the jobs 1..JOBS on "redis_workers:jobs" (maxsize 10: a put waits while 10
// jobs wait to be got), and join()s: join() returns once every job, got by any process, has
// been acknowledged by its worker's task_done(). Each worker squares its jobs and puts a
// Result {job, worker, square} on "redis_workers:results" (a struct: nlohmann::json's to_json /
// from_json are all the codec needs) before its task_done(). The producer then shuts the jobs
// queue down (the workers' get() raises QueueShutDown once it is empty, and they exit), reads
// every result, checks that each job was processed exactly once, waits for the workers to exit
// and deletes both queues.
//
// Without a URL the producer starts a redis-server of its own (Debian: apt-get install
// redis-server), on a free loopback port, in a temporary directory, and stops it at the end.
// With a URL (redis://[[user]:password@]host[:port][/db], or unix:///path?db=N), it uses that
// server, and workers may also run on other machines: start `redis_workers --worker URL ID` there
// after the producer printed its first line (WORKERS may then be 0). README: "Running the Redis
// queue across machines".
#include <asyncio/redis.hpp>
#include <asyncio/runners.hpp>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

struct Result {
    std::int64_t job = 0;
    int worker = 0;
    std::int64_t square = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Result, job, worker, square)

using Jobs = asyncio::redis::Queue<std::int64_t>;
using Results = asyncio::redis::Queue<Result>;
const std::string jobs_name = "redis_workers:jobs";
const std::string results_name = "redis_workers:results";
constexpr std::ptrdiff_t jobs_maxsize = 10;  // every handle of a queue connects with its maxsize

// --- the worker process ------------------------------------------------------------------------

asyncio::Task<> worker(std::string url, int id) {
    Jobs jobs = co_await Jobs::connect(url, jobs_name, jobs_maxsize);
    Results results = co_await Results::connect(url, results_name);
    for (;;) {
        std::int64_t job = 0;
        try {
            job = co_await jobs.get();  // leased to this worker until its task_done()
        } catch (const asyncio::QueueShutDown&) {
            break;  // shut down and empty: no more jobs
        }
        Result r;  // named first: g++ 12 (docs/GCC12.md)
        r.job = job;
        r.worker = id;
        r.square = job * job;
        co_await results.put(std::move(r));
        co_await jobs.task_done();  // acknowledged: never delivered again
    }
    co_await jobs.close();
    co_await results.close();
}

// --- the producer process ----------------------------------------------------------------------

asyncio::Task<> reset(std::string url) {
    co_await Jobs::destroy(url, jobs_name);  // a queue shut down by a previous run stays so until destroy()
    co_await Results::destroy(url, results_name);
}

asyncio::Task<bool> produce(std::string url, std::int64_t count) {
    Jobs jobs = co_await Jobs::connect(url, jobs_name, jobs_maxsize);
    Results results = co_await Results::connect(url, results_name);
    for (std::int64_t job = 1; job <= count; ++job) co_await jobs.put(job);
    co_await jobs.join();  // every job acknowledged, by whichever process got it
    std::cout << "all " << count << " jobs done (join returned)\n";
    co_await jobs.shutdown();  // the workers' get() raises QueueShutDown: they exit

    std::vector<int> times(static_cast<std::size_t>(count) + 1);
    std::int64_t sum = 0, got = 0;
    bool ok = true;
    while (got < count) {  // a worker puts its result before its task_done(): all are there
        std::vector<Result> batch = co_await results.get_many(100);
        for (const Result& r : batch) {
            ++got;
            if (r.job < 1 || r.job > count || r.square != r.job * r.job) {
                std::cout << "bad result: job " << r.job << " square " << r.square << "\n";
                ok = false;
                continue;
            }
            ++times[static_cast<std::size_t>(r.job)];
            sum += r.square;
            co_await results.task_done();
        }
    }
    for (std::int64_t job = 1; job <= count; ++job) {
        if (times[static_cast<std::size_t>(job)] != 1) {
            std::cout << "job " << job << " was processed " << times[static_cast<std::size_t>(job)] << " times\n";
            ok = false;
        }
    }
    if (ok) std::cout << got << " results: every job processed exactly once\n";
    std::cout << "sum of the squares: " << sum << "\n";
    co_await jobs.close();
    co_await results.close();
    co_return ok;
}

/// A redis-server of our own: a free loopback port, a temporary directory, no persistence.
class OwnRedis {
public:
    OwnRedis() {
        char tmpl[] = "/tmp/redis_workers-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) start(free_port());  // the port may be taken meanwhile
        if (pid_ < 0) {
            std::filesystem::remove_all(dir_);
            throw std::runtime_error("could not start redis-server (Debian: apt-get install redis-server)");
        }
    }
    OwnRedis(const OwnRedis&) = delete;
    OwnRedis& operator=(const OwnRedis&) = delete;
    ~OwnRedis() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        std::filesystem::remove_all(dir_);
    }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

private:
    static std::uint16_t free_port() {
        const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        const bool ok = s >= 0 && ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0;
        if (s >= 0) ::close(s);
        if (!ok) throw std::runtime_error("no free loopback port");
        return ntohs(a.sin_port);
    }
    static bool answers(std::uint16_t port) {  // PING -> +PONG
        const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        char reply[8] = {};
        const bool ok = s >= 0 && ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                        ::send(s, "PING\r\n", 6, MSG_NOSIGNAL) == 6 && ::recv(s, reply, 5, MSG_WAITALL) == 5 &&
                        std::strncmp(reply, "+PONG", 5) == 0;
        if (s >= 0) ::close(s);
        return ok;
    }
    void start(std::uint16_t port) {
        std::vector<std::string> argv{"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                                      "--dir", dir_, "--save", "", "--appendonly", "no",
                                      "--logfile", dir_ + "/redis.log"};
        std::vector<char*> args;
        for (std::string& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        pid_t pid = -1;
        if (::posix_spawnp(&pid, "redis-server", nullptr, nullptr, args.data(), environ) != 0) return;
        for (int i = 0; i < 2000; ++i) {  // up to 20 s
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) return;  // exited: the port was taken
            if (answers(port)) {
                pid_ = pid;
                port_ = port;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
    std::string dir_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

/// The worker processes: started with posix_spawn (this program, "--worker URL ID"); the
/// destructor kills those still running (the producer failed part-way) and reaps them.
class WorkerProcesses {
public:
    WorkerProcesses() = default;
    WorkerProcesses(const WorkerProcesses&) = delete;
    WorkerProcesses& operator=(const WorkerProcesses&) = delete;
    ~WorkerProcesses() {
        for (pid_t pid : pids_) {
            ::kill(pid, SIGKILL);
            int status = 0;
            ::waitpid(pid, &status, 0);
        }
    }
    void spawn(const std::string& url, int id) {
        std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
        std::string flag = "--worker", url_arg = url, id_text = std::to_string(id);
        char* args[] = {self.data(), flag.data(), url_arg.data(), id_text.data(), nullptr};
        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, self.c_str(), nullptr, nullptr, args, environ);
        if (rc != 0) throw std::runtime_error("posix_spawn " + self + ": " + std::strerror(rc));
        pids_.push_back(pid);
    }
    /// Waits up to 30 s for every worker to exit; the number that did not exit with status 0.
    int wait() {
        int failed = 0;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!pids_.empty()) {
            int status = 0;
            const pid_t pid = ::waitpid(pids_.back(), &status, WNOHANG);
            if (pid == pids_.back()) {
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
                pids_.pop_back();
            } else if (std::chrono::steady_clock::now() > deadline) {
                return failed + static_cast<int>(pids_.size());  // the destructor kills them
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        }
        return failed;
    }

private:
    std::vector<pid_t> pids_;
};

int main(int argc, char** argv) {
    try {
        if (argc == 4 && std::strcmp(argv[1], "--worker") == 0) {
            asyncio::run(worker(argv[2], std::atoi(argv[3])));
            return 0;
        }
        if (argc > 4 || (argc > 1 && argv[1][0] == '-')) {
            std::cerr << "usage: redis_workers [URL [WORKERS [JOBS]]] | redis_workers --worker URL ID\n";
            return 2;
        }
        std::unique_ptr<OwnRedis> own;
        std::string url;
        if (argc > 1) {
            url = argv[1];
        } else {
            own = std::make_unique<OwnRedis>();
            url = own->url();
        }
        const int workers = argc > 2 ? std::atoi(argv[2]) : 3;
        const std::int64_t count = argc > 3 ? std::atoll(argv[3]) : 100;
        if (workers < 0 || count < 1) throw std::invalid_argument("WORKERS must be >= 0 and JOBS >= 1");

        asyncio::run(reset(url));
        std::cout << "producer: " << workers << " worker processes, " << count << " jobs on " << jobs_name << "\n"
                  << std::flush;
        WorkerProcesses processes;
        for (int id = 1; id <= workers; ++id) processes.spawn(url, id);
        const bool ok = asyncio::run(produce(url, count));
        const int failed = processes.wait();
        asyncio::run(reset(url));  // after the workers saw the shutdown: delete both queues
        std::cout << (failed == 0 ? "every worker exited cleanly" : std::to_string(failed) + " workers failed") << "\n";
        return ok && failed == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "redis_workers: " << e.what() << "\n";
        return 1;
    }
}

// Output:
// producer: 3 worker processes, 100 jobs on redis_workers:jobs
// all 100 jobs done (join returned)
// 100 results: every job processed exactly once
// sum of the squares: 338350
// every worker exited cleanly
