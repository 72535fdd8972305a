# cmake -P script behind the ctest entry docs.readme_quotes_examples: README.md must quote each
# file of EXAMPLES verbatim, as a whole ```cpp block, so the README's code is code that is built
# and run (the examples are ctest entries too).
# Inputs (-D): README, EXAMPLES (a ;-list of files)
cmake_minimum_required(VERSION 3.25)

file(READ "${README}" readme)
set(failures 0)
foreach(example IN LISTS EXAMPLES)
    file(READ "${example}" code)
    string(FIND "${readme}" "```cpp\n${code}```\n" position)
    if(position EQUAL -1)
        get_filename_component(name "${example}" NAME)
        message(SEND_ERROR "README.md does not quote examples/${name} verbatim: copy the whole file into a ```cpp block")
        math(EXPR failures "${failures} + 1")
    endif()
endforeach()
if(failures GREATER 0)
    message(FATAL_ERROR "${failures} example(s) not quoted verbatim in ${README}")
endif()
list(LENGTH EXAMPLES count)
message(STATUS "README.md quotes all ${count} examples verbatim")
