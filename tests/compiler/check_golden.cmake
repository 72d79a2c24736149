# SPDX-License-Identifier: MIT
# cmake -DBRAIDC=... -DNAME=n -DINCLUDE=... -DWORK=dir -P check_golden.cmake
# (run in the golden/ folder): the text dump of n.cpp must equal n.txt.
file(MAKE_DIRECTORY ${WORK})
execute_process(
  COMMAND ${BRAIDC} ${NAME}.cpp -o ${WORK}/${NAME}.braid.cpp --dump-partitions=text
          --dump-file ${WORK}/${NAME}.txt -- -std=c++20 -I${INCLUDE}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "braidc failed (${rc}):\n${err}")
endif()
file(READ ${NAME}.txt want)
file(READ ${WORK}/${NAME}.txt got)
if(NOT want STREQUAL got)
  message(FATAL_ERROR "partition dump of ${NAME}.cpp differs from ${NAME}.txt:\n--- want\n${want}--- got\n${got}")
endif()
