// tests/support/fd_check.hpp - a test must not leak file descriptors: compares the process's
// open fds (the entries of /proc/self/fd) before and after a test.
//
// Three ways to use it, from the most to the least automatic:
//
//     // 1. A fixture: every TEST_F of the suite is checked.
//     class SocketTest : public asyncio_test::FdCheckedTest {};
//     TEST_F(SocketTest, RecvAfterClose) { ... }
//
//     // 2. An RAII object in a plain TEST (or around part of one); the check runs when it
//     //    goes out of scope, so declare it first, before anything that owns an fd.
//     TEST(Loop, CloseRemovesReaders) {
//         asyncio_test::FdLeakCheck fds;
//         ...
//     }
//
//     // 3. An explicit assertion at a point of your choice.
//     asyncio_test::FdLeakCheck fds;
//     { asyncio::EventLoop loop; ... }
//     EXPECT_TRUE(fds.check());
//
// A failure names each leaked fd and what it refers to, as /proc shows it:
//     file descriptors leaked: 5 -> socket:[123456], 6 -> anon_inode:[eventfd]
//
// An fd counts as leaked when it is open after the test and was not open before, or was
// open before on something else (the test closed an fd it did not own and opened another
// in its place). Fds the test closed without opening are not failures. The fd that reads
// /proc/self/fd is not counted.
//
// Limits: /proc/self/fd lists the whole process, so run the check when no other thread of
// the test can still open or close an fd (join them first). An fd that a library keeps open
// for the life of the process on purpose counts as a leak of the first test that makes it
// open; make it open before the check starts if that is what the library means to do.
//
// Thread safety: Distinct objects: safe. Shared objects: unsafe.
#pragma once

#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace asyncio_test {

/// One open file descriptor and what it refers to (the /proc/self/fd link: a path,
/// "socket:[inode]", "pipe:[inode]", "anon_inode:[eventpoll]", ...).
struct OpenFd {
    int fd = -1;
    std::string target;

    friend bool operator==(const OpenFd&, const OpenFd&) = default;
};

/// The process's open file descriptors, by increasing fd, without the one used to read
/// /proc/self/fd. Throws std::system_error when /proc/self/fd cannot be read.
inline std::vector<OpenFd> open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) {
        throw std::system_error(errno, std::generic_category(), "opendir /proc/self/fd");
    }
    const int own = ::dirfd(dir);
    std::vector<OpenFd> fds;
    // readdir() ends at the end of the directory: the loop is bounded by the number of fds.
    while (const dirent* entry = ::readdir(dir)) {
        const std::string_view name = entry->d_name;
        int fd = -1;
        const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), fd);
        if (error != std::errc() || end != name.data() + name.size() || fd == own) continue;  // ".", ".."
        char buf[PATH_MAX];
        const ssize_t n = ::readlinkat(own, entry->d_name, buf, sizeof buf);
        std::string target = n >= 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("?");
        // A file deleted while open is the same open file: compare it without the suffix.
        constexpr std::string_view deleted = " (deleted)";
        if (target.ends_with(deleted)) target.resize(target.size() - deleted.size());
        fds.push_back(OpenFd{fd, std::move(target)});
    }
    ::closedir(dir);
    std::sort(fds.begin(), fds.end(), [](const OpenFd& a, const OpenFd& b) { return a.fd < b.fd; });
    return fds;
}

/// The fds of `after` that are not in `before` (same number and same target).
inline std::vector<OpenFd> new_fds(const std::vector<OpenFd>& before, const std::vector<OpenFd>& after) {
    std::vector<OpenFd> added;
    for (const OpenFd& fd : after) {
        if (std::find(before.begin(), before.end(), fd) == before.end()) added.push_back(fd);
    }
    return added;
}

/// "5 -> socket:[123456], 6 -> anon_inode:[eventfd]"; "none" for an empty list.
inline std::string describe(const std::vector<OpenFd>& fds) {
    if (fds.empty()) return "none";
    std::string out;
    for (const OpenFd& fd : fds) {
        if (!out.empty()) out += ", ";
        out += std::to_string(fd.fd) + " -> " + fd.target;
    }
    return out;
}

/// Takes a snapshot of the open fds when constructed and, when destroyed, fails the running
/// test (EXPECT, the test goes on) if fds were opened since and are still open, naming each.
/// check() compares at any other point; restart() takes a new snapshot.
///
/// Thread safety: Distinct objects: safe. Shared objects: unsafe. (The fd table itself is
/// the process's: see the file comment.)
class FdLeakCheck {
public:
    FdLeakCheck() : before_(open_fds()) {}
    FdLeakCheck(const FdLeakCheck&) = delete;
    FdLeakCheck& operator=(const FdLeakCheck&) = delete;
    ~FdLeakCheck() { EXPECT_TRUE(check()); }

    /// The fds opened since the snapshot and still open.
    std::vector<OpenFd> leaked() const { return new_fds(before_, open_fds()); }

    /// Success when no fd opened since the snapshot is still open; otherwise a failure that
    /// lists them, for EXPECT_TRUE / ASSERT_TRUE.
    ::testing::AssertionResult check() const {
        const std::vector<OpenFd> now = open_fds();
        const std::vector<OpenFd> added = new_fds(before_, now);
        if (added.empty()) return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << "file descriptors leaked: " << describe(added)
                                             << "\n  open before: " << describe(before_)
                                             << "\n  open now:    " << describe(now);
    }

    /// Takes a new snapshot: what is open now is no longer counted.
    void restart() { before_ = open_fds(); }

    /// The snapshot.
    const std::vector<OpenFd>& before() const noexcept { return before_; }

private:
    std::vector<OpenFd> before_;
};

/// A fixture base that checks every test of its suite for leaked fds. The check is a member
/// of the base, so it takes its snapshot before the derived fixture's members are made and
/// compares after they are destroyed: a socket owned by the fixture and closed by its
/// destructor is not a leak. Derived fixtures may override SetUp/TearDown freely.
///
/// Thread safety: as FdLeakCheck.
class FdCheckedTest : public ::testing::Test {
protected:
    FdLeakCheck fd_check_;
};

/// FdCheckedTest for value-parameterized suites (TEST_P).
template <class T>
class FdCheckedTestWithParam : public ::testing::TestWithParam<T> {
protected:
    FdLeakCheck fd_check_;
};

}  // namespace asyncio_test
