# SPDX-License-Identifier: MIT
# cmake -DBRAIDC=... -DSOURCE=x.cpp -DINCLUDE=... -P check_fail.cmake
# braidc must exit 1 (never crash, never exit 3) and print every diagnostic
# announced in SOURCE by `// expected-error@+N[:COL] {{TEXT}}` (N lines
# below the comment, @-N above; `expected-error {{...}}` means the same line) as
# `SOURCE:LINE:COL: error: ...TEXT...`.
execute_process(
  COMMAND ${BRAIDC} ${SOURCE} --stdout -- -std=c++20 -I${INCLUDE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "braidc exited with '${rc}', expected 1\n${err}")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "braidc printed code although it failed:\n${out}")
endif()
file(STRINGS ${SOURCE} lines)
set(n 0)
set(expected 0)
foreach(line IN LISTS lines)
  math(EXPR n "${n} + 1")
  if(line MATCHES "expected-(error|note)(@([+-][0-9]+))?(:([0-9]+))? {{(.*)}}")
    set(kind ${CMAKE_MATCH_1})
    set(at ${n})
    if(CMAKE_MATCH_3)
      math(EXPR at "${n} ${CMAKE_MATCH_3}")
    endif()
    set(col "[0-9]+")
    if(CMAKE_MATCH_5)
      set(col ${CMAKE_MATCH_5})
    endif()
    set(text "${CMAKE_MATCH_6}")
    string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\1" text_re "${text}")
    if(NOT err MATCHES ":${at}:${col}: ${kind}: [^\n]*${text_re}")
      message(FATAL_ERROR "missing ${kind} at line ${at} (column ${col}): '${text}'\nbraidc said:\n${err}")
    endif()
    math(EXPR expected "${expected} + 1")
  endif()
endforeach()
if(expected EQUAL 0)
  message(FATAL_ERROR "${SOURCE} announces no expected diagnostic")
endif()
