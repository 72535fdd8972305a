// tests/redis_processes/procs.hpp - child processes for the multi-process Redis queue tests:
// posix_spawn of the helper binary (redis_proc_helper) with its stdout on a pipe, waiting with a
// deadline, SIGKILL, and reading the reports the helpers write.
//
// Every wait is bounded: a child that does not exit by its deadline is killed and the wait
// reports it, so a hung helper fails the test instead of hanging ctest.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace redis_procs {

using Clock = std::chrono::steady_clock;

/// One child process running `argv[0]` with `argv`; its stdout is a pipe this object reads
/// (read_line), its stderr is the test's. The destructor SIGKILLs and reaps a child still running.
class Child {
public:
    explicit Child(const std::vector<std::string>& argv) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);  // dup2 clears O_CLOEXEC on fd 1
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            throw std::system_error(rc, std::system_category(), "posix_spawn " + argv[0]);
        }
        out_ = fds[0];
        what_ = argv.size() > 1 ? argv[1] : argv[0];
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ > 0 && !status_) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
        if (out_ >= 0) ::close(out_);
    }

    pid_t pid() const { return pid_; }
    const std::string& what() const { return what_; }

    /// The next line the child writes to its stdout (without '\n'), or nullopt at end of file or
    /// when `timeout` passes first.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            const auto nl = buffer_.find('\n');
            if (nl != std::string::npos) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return line;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{out_, POLLIN, 0};
            const int n = ::poll(&p, 1, static_cast<int>(left.count()));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) continue;
            char chunk[4096];
            const ssize_t got = ::read(out_, chunk, sizeof chunk);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) return std::nullopt;
            buffer_.append(chunk, static_cast<std::size_t>(got));
        }
    }

    /// Everything the child writes to its stdout until it closes it (or `timeout` passes).
    std::string read_rest(std::chrono::milliseconds timeout) {
        std::string all;
        while (auto line = read_line(timeout)) all += *line + "\n";
        all += buffer_;
        buffer_.clear();
        return all;
    }

    void kill(int sig = SIGKILL) {
        if (pid_ > 0 && !status_) ::kill(pid_, sig);
    }

    /// Waits until the child exits or `timeout` passes (then SIGKILLs it). Returns the raw wait
    /// status; exited_ok() tells whether it was exit(0).
    int wait(std::chrono::milliseconds timeout) {
        if (status_) return *status_;
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            int st = 0;
            const pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                status_ = st;
                return st;
            }
            if (r < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
            if (Clock::now() >= deadline) {
                timed_out_ = true;
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &st, 0);
                status_ = st;
                return st;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    bool timed_out() const { return timed_out_; }
    bool exited_ok() const { return status_ && WIFEXITED(*status_) && WEXITSTATUS(*status_) == 0; }
    bool killed_by(int sig) const { return status_ && WIFSIGNALED(*status_) && WTERMSIG(*status_) == sig; }

    std::string describe() const {
        std::ostringstream s;
        s << what_ << " (pid " << pid_ << "): ";
        if (!status_) s << "running";
        else if (timed_out_) s << "did not exit in time, killed";
        else if (WIFEXITED(*status_)) s << "exit " << WEXITSTATUS(*status_);
        else if (WIFSIGNALED(*status_)) s << "killed by signal " << WTERMSIG(*status_);
        return s.str();
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string what_;
    std::string buffer_;
    std::optional<int> status_;
    bool timed_out_ = false;
};

/// What one consumer reported: the lines "g <item>" (written right after get() returned it) and
/// "a <item>" (written right after task_done() for it returned), in order. write(2) with
/// O_APPEND, unbuffered, so a SIGKILL loses no line that was written.
struct Report {
    std::vector<std::int64_t> got;
    std::vector<std::int64_t> acked;
    bool finished = false;  // the last line is "done": the consumer ended normally
};

inline Report read_report(const std::string& path) {
    Report r;
    std::ifstream in(path);
    std::string tag;
    std::int64_t item = 0;
    std::string line;
    while (std::getline(in, line)) {
        if (line == "done") {
            r.finished = true;
            continue;
        }
        std::istringstream s(line);
        if (!(s >> tag >> item)) throw std::runtime_error("bad report line in " + path + ": '" + line + "'");
        if (tag == "g") r.got.push_back(item);
        else if (tag == "a") r.acked.push_back(item);
        else throw std::runtime_error("bad report tag in " + path + ": '" + line + "'");
    }
    return r;
}

/// Number of lines of `path` that start with "a " (acknowledgements so far); 0 when missing.
inline std::size_t count_acks(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line))
        if (line.rfind("a ", 0) == 0) ++n;
    return n;
}

/// Items per producer, from the environment (set per build by CMakeLists.txt), or `fallback`.
inline long env_long(const char* name, long fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    return std::stol(v);
}

}  // namespace redis_procs
