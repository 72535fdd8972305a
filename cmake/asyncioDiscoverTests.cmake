# asyncio_discover_tests(<target> TIMEOUT <s> DISCOVERY_TIMEOUT <s> LABELS <label>...)
#
# Makes every test case of the GoogleTest program <target> one ctest entry named
# "<target>.<Suite>.<Test>" — like CMake's gtest_discover_tests(), whose CMake 3.25 version
# garbles the names of typed tests with named type parameters ("Suite.Test<Suite/Name.  #
# TypeParam = ...>"). After each link, the program's --gtest_list_tests output is turned into
# add_test() calls (asyncioListTests.cmake) that ctest reads. A test case that calls GTEST_SKIP()
# is reported by ctest as skipped, not passed; a DISABLED_ one as disabled.
function(asyncio_discover_tests target)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT;DISCOVERY_TIMEOUT" "LABELS")
    set(list_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_tests.cmake")
    set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_include.cmake")
    add_custom_command(TARGET ${target} POST_BUILD
        BYPRODUCTS "${list_file}"
        COMMAND "${CMAKE_COMMAND}"
            -D "TEST_EXECUTABLE=$<TARGET_FILE:${target}>"
            -D "TEST_PREFIX=${target}."
            -D "TEST_TIMEOUT=${arg_TIMEOUT}"
            -D "DISCOVERY_TIMEOUT=${arg_DISCOVERY_TIMEOUT}"
            -D "TEST_LABELS=${arg_LABELS}"
            -D "CTEST_FILE=${list_file}"
            -P "${PROJECT_SOURCE_DIR}/cmake/asyncioListTests.cmake"
        VERBATIM)
    # Until the program is built, ctest shows one failing entry for it instead of nothing.
    file(WRITE "${include_file}"
        "if(EXISTS [==[${list_file}]==])\n"
        "    include([==[${list_file}]==])\n"
        "else()\n"
        "    add_test([==[${target}_NOT_BUILT]==] [==[${target}_NOT_BUILT]==])\n"
        "endif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
