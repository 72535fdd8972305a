// tests/support/text.hpp - what tests print and compare: an event log and Python's str(q).
//
// Used by the test files under tests/ (include it as "support/text.hpp"; tests/CMakeLists.txt
// puts tests/ on every test target's include path). Test code only: nothing here is part of
// the library.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace asyncio_test {

/// What the tasks of a test did, in the order they did it ("g1 got 3", "p1 cancelled", ...);
/// tests compare it with the order CPython 3.13 prints for the same steps.
using Log = std::vector<std::string>;

/// Python's str(q): what operator<< prints for a queue (or anything else streamable).
template <class T>
std::string str(const T& value) {
    std::ostringstream os;
    os << value;
    return os.str();
}

}  // namespace asyncio_test
