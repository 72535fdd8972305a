# asyncio_target_warnings(<target>...)
#
# Puts the project's warning flags on the project's own targets (tests, examples, header check,
# benchmarks, fuzz harnesses). Never used on the library target: users choose their own flags.
# -Werror is controlled by ASYNCIO_WARNINGS_AS_ERRORS (ON by default, so CI fails on a warning).
function(asyncio_target_warnings)
    foreach(target IN LISTS ARGN)
        if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
            target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
            if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
                # GCC 12 bug 105329: a false -Wrestrict inside libstdc++'s inlined
                # `"literal" + std::string&&` at -O2/-O3.
                target_compile_options(${target} PRIVATE -Wno-restrict)
            endif()
            if(ASYNCIO_WARNINGS_AS_ERRORS)
                target_compile_options(${target} PRIVATE -Werror)
            endif()
        elseif(MSVC)
            target_compile_options(${target} PRIVATE /W4 /permissive-)
            if(ASYNCIO_WARNINGS_AS_ERRORS)
                target_compile_options(${target} PRIVATE /WX)
            endif()
        endif()
    endforeach()
endfunction()
