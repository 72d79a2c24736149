# SPDX-License-Identifier: MIT
# cmake -DBRAIDC=... -DCXX=... -DSOURCE=x.cpp -DINCLUDE=... -DWORK=dir -P check_line.cmake
# braidc transforms SOURCE, which compiles as it is; compiled with
# -DBRAID_LINE_TEST_BREAK=1 it has a static_assert failing on the line marked
# `// error here`, inside a transformed function after a park. Compiling the
# generated file that way must report the error at SOURCE and that line.
file(MAKE_DIRECTORY ${WORK})
execute_process(
  COMMAND ${BRAIDC} ${SOURCE} -o ${WORK}/out.braid.cpp -- -std=c++20 -I${INCLUDE}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
file(STRINGS ${SOURCE} lines)
set(n 0)
foreach(line IN LISTS lines)
  math(EXPR n "${n} + 1")
  if(line MATCHES "// error here")
    set(want ${n})
  endif()
endforeach()
get_filename_component(base ${SOURCE} NAME)
if(rc EQUAL 0)
  execute_process(
    COMMAND ${CXX} -std=c++20 -fsyntax-only -DBRAID_LINE_TEST_BREAK=1 -I${INCLUDE} ${WORK}/out.braid.cpp
    RESULT_VARIABLE crc ERROR_VARIABLE cerr)
  if(crc EQUAL 0)
    message(FATAL_ERROR "the generated file compiled although the source has a type error")
  endif()
  if(NOT cerr MATCHES "${base}:${want}:[0-9]+: error")
    message(FATAL_ERROR "the C++ compiler did not report the error at ${base}:${want}:\n${cerr}")
  endif()
else()
  message(FATAL_ERROR "braidc rejected the file (${rc}):\n${err}")
endif()
