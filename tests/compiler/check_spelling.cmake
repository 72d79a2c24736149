# SPDX-License-Identifier: MIT
#
# cmake -P script behind compiler/spelling: braidc transforms SOURCE and the
# generated code must contain every `// expected-member {{TEXT}}` of SOURCE
# (a frame member declaration, e.g. `::std::map<::std::string, int> m;`).
foreach(var BRAIDC SOURCE INCLUDES)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_spelling.cmake: -D${var}=... is required")
  endif()
endforeach()
string(REPLACE "|" ";" includes "${INCLUDES}")
set(include_args)
foreach(dir IN LISTS includes)
  list(APPEND include_args -I${dir})
endforeach()
execute_process(
  COMMAND ${BRAIDC} ${SOURCE} --stdout --no-line-directives -- -std=c++20 ${include_args}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "braidc exited with '${rc}', expected 0\n${err}")
endif()
# The source's comments are copied into the output: they must not match.
string(REGEX REPLACE "[^\n]*expected-member[^\n]*" "" out "${out}")
# The expectations contain ';', CMake's list separator: read them with it
# replaced, and put it back one expectation at a time.
file(READ ${SOURCE} src)
string(REPLACE ";" "<semicolon>" src "${src}")
string(REGEX MATCHALL "// expected-member {{[^\n]*}}" found "${src}")
list(LENGTH found count)
if(count EQUAL 0)
  message(FATAL_ERROR "${SOURCE} has no `// expected-member {{...}}` line")
endif()
set(missing "")
foreach(item IN LISTS found)
  string(REGEX REPLACE "^// expected-member {{(.*)}}$" "\\1" text "${item}")
  string(REPLACE "<semicolon>" ";" text "${text}")
  string(FIND "${out}" "${text}" at)
  if(at EQUAL -1)
    string(APPEND missing "  ${text}\n")
  endif()
endforeach()
if(NOT missing STREQUAL "")
  message(FATAL_ERROR "the generated code of ${SOURCE} does not contain:\n${missing}")
endif()
message(STATUS "${count} member spellings found")
