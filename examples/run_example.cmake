# cmake -P script behind the ctest entries example.<name>: runs PROGRAM and checks what it prints.
# - demo.cpp prints random times, so its output is checked for shape and consistency: 20 lines
#   "worker-N has slept for X.XX seconds" with N in 0..2 and X in [0.05, 1.00], "====", the
#   parallel time, and a total expected sleep time equal to the sum of the 20 times (to rounding:
#   every item was processed exactly once). No timing is asserted.
# - every other example ends with a "// Output:" comment block, and must print exactly that.
# Inputs (-D): PROGRAM, SOURCE
cmake_minimum_required(VERSION 3.25)

execute_process(COMMAND "${PROGRAM}" RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT err STREQUAL "")
    message("stderr:\n${err}")
endif()
if(NOT result EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} exited with ${result}")
endif()

get_filename_component(name "${SOURCE}" NAME_WE)
if(name STREQUAL "demo")
    set(worker_line "worker-[0-2] has slept for [01]\\.[0-9][0-9] seconds\n")
    string(REPEAT "${worker_line}" 20 worker_lines)
    set(shape "^${worker_lines}====\n3 workers slept in parallel for [0-9]+\\.[0-9][0-9] seconds\ntotal expected sleep time: [0-9]+\\.[0-9][0-9] seconds\n$")
    if(NOT out MATCHES "${shape}")
        message(FATAL_ERROR "demo: the output does not have the shape of the Python example's output")
    endif()
    # Sum the 20 times in hundredths (CMake's math is integer-only: drop the decimal point).
    string(REGEX MATCHALL "slept for [01]\\.[0-9][0-9] seconds" times "${out}")
    set(sum 0)
    foreach(time IN LISTS times)
        string(REGEX REPLACE "slept for ([01])\\.([0-9][0-9]) seconds" "\\1\\2" hundredths "${time}")
        math(EXPR hundredths "${hundredths}")
        if(hundredths LESS 5 OR hundredths GREATER 100)
            message(FATAL_ERROR "demo: a sleep time of ${hundredths}/100 s is outside [0.05, 1.00]")
        endif()
        math(EXPR sum "${sum} + ${hundredths}")
    endforeach()
    string(REGEX REPLACE ".*total expected sleep time: ([0-9]+)\\.([0-9][0-9]) seconds.*" "\\1\\2" total "${out}")
    math(EXPR total "${total}")
    math(EXPR difference "${sum} - ${total}")
    # Each of the 20 printed times is rounded by at most 0.005 s, the total by at most 0.005 s.
    if(difference LESS -11 OR difference GREATER 11)
        message(FATAL_ERROR "demo: the 20 times printed add up to ${sum}/100 s, "
            "but the total expected sleep time is ${total}/100 s: an item was lost or processed twice")
    endif()
    message(STATUS "demo: 20 items processed once each (sum ${sum}/100 s, total ${total}/100 s)")
else()
    file(READ "${SOURCE}" source)
    string(FIND "${source}" "\n// Output:\n" position)
    if(position EQUAL -1)
        message(FATAL_ERROR "${SOURCE} has no \"// Output:\" comment block to check against")
    endif()
    math(EXPR position "${position} + 12")
    string(SUBSTRING "${source}" ${position} -1 expected)
    string(REGEX REPLACE "(^|\n)// ?" "\\1" expected "${expected}")
    if(NOT out STREQUAL expected)
        message(FATAL_ERROR "${name}: the output differs from the \"// Output:\" block of ${SOURCE}.\n"
            "expected:\n${expected}\nactual:\n${out}")
    endif()
    message(STATUS "${name}: the output is the one in its \"// Output:\" block")
endif()
