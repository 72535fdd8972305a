# cmake -P script behind the ctest entries consumer.<MODE>: configures, builds and runs the user
# project of tests/consumer in a fresh WORK_DIR, getting asyncio through MODE:
#   add_subdirectory  the source tree itself
#   fetchcontent      FetchContent from a .tar.gz of the source tree (a local file: works offline)
#   find_package      `cmake --install` of this build into WORK_DIR/prefix, then find_package()
# Inputs (-D): MODE ASYNCIO_SOURCE_DIR ASYNCIO_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR GENERATOR
#              CXX_COMPILER BUILD_TYPE
cmake_minimum_required(VERSION 3.25)

foreach(input MODE ASYNCIO_SOURCE_DIR ASYNCIO_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER)
    if(NOT DEFINED ${input} OR "${${input}}" STREQUAL "")
        message(FATAL_ERROR "run_consumer.cmake: -D${input}=... is required")
    endif()
endforeach()
if("${BUILD_TYPE}" STREQUAL "")
    set(BUILD_TYPE Release)
endif()

# Runs a command, echoing it; stops with its output when it fails.
function(run what)
    message(STATUS "[consumer.${MODE}] ${what}: ${ARGN}")
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "[consumer.${MODE}] ${what} failed (${result}):\n${out}")
    endif()
    set(run_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

set(mode_args "")
if(MODE STREQUAL "add_subdirectory")
    list(APPEND mode_args "-DASYNCIO_SOURCE_DIR=${ASYNCIO_SOURCE_DIR}")
elseif(MODE STREQUAL "fetchcontent")
    # Everything a clone has except .git and the git-ignored build trees.
    file(GLOB entries RELATIVE "${ASYNCIO_SOURCE_DIR}" "${ASYNCIO_SOURCE_DIR}/*" "${ASYNCIO_SOURCE_DIR}/.*")
    list(FILTER entries EXCLUDE REGEX "^(\\.git|build.*|_.*|\\.|\\.\\.)$")
    set(archive "${WORK_DIR}/asyncio-src.tar.gz")
    execute_process(COMMAND "${CMAKE_COMMAND}" -E tar czf "${archive}" -- ${entries}
        WORKING_DIRECTORY "${ASYNCIO_SOURCE_DIR}" RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "[consumer.${MODE}] could not archive ${ASYNCIO_SOURCE_DIR}")
    endif()
    list(APPEND mode_args "-DASYNCIO_ARCHIVE=${archive}")
elseif(MODE STREQUAL "find_package")
    set(prefix "${WORK_DIR}/prefix")
    run("install" "${CMAKE_COMMAND}" --install "${ASYNCIO_BINARY_DIR}" --prefix "${prefix}")
    foreach(installed include/asyncio/asyncio.hpp include/asyncio/redis.hpp include/asyncio/detail/redis/connection.hpp
            share/cmake/asyncio/asyncioConfig.cmake share/cmake/asyncio/asyncioConfigVersion.cmake
            share/cmake/asyncio/asyncioTargets.cmake share/cmake/asyncio/asyncioRedisTargets.cmake)
        if(NOT EXISTS "${prefix}/${installed}")
            message(FATAL_ERROR "[consumer.${MODE}] the install did not create ${prefix}/${installed}")
        endif()
    endforeach()
    list(APPEND mode_args "-DCMAKE_PREFIX_PATH=${prefix}")
else()
    message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()

run("configure" "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/build"
    -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
    "-DASYNCIO_CONSUMER_MODE=${MODE}"
    ${mode_args})
run("build" "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" --config "${BUILD_TYPE}")

find_program(consumer NAMES consumer PATHS "${WORK_DIR}/build" "${WORK_DIR}/build/${BUILD_TYPE}" NO_DEFAULT_PATH)
if(NOT consumer)
    message(FATAL_ERROR "[consumer.${MODE}] the build produced no consumer program")
endif()
run("run" "${consumer}")
message(STATUS "[consumer.${MODE}] ${run_output}")
if(NOT run_output MATCHES "asyncio consumer: sum=6")
    message(FATAL_ERROR "[consumer.${MODE}] unexpected output: ${run_output}")
endif()

find_program(consumer_redis NAMES consumer_redis PATHS "${WORK_DIR}/build" "${WORK_DIR}/build/${BUILD_TYPE}" NO_DEFAULT_PATH)
if(NOT consumer_redis)
    message(FATAL_ERROR "[consumer.${MODE}] the build produced no consumer_redis program")
endif()
run("run" "${consumer_redis}")
message(STATUS "[consumer.${MODE}] ${run_output}")
if(NOT run_output MATCHES "asyncio redis consumer: ok")
    message(FATAL_ERROR "[consumer.${MODE}] unexpected output: ${run_output}")
endif()
