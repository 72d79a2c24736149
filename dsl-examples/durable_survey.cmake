# SPDX-License-Identifier: MIT
# cmake -DEXE=durable_survey -DSTORE=runs.db -P durable_survey.cmake
# Runs the example's two phases as two processes on a fresh store.
file(REMOVE ${STORE} ${STORE}-wal ${STORE}-shm)
foreach(phase start answer)
  message(STATUS "== durable_survey ${phase} (a new process)")
  execute_process(COMMAND ${EXE} ${phase} ${STORE} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "durable_survey ${phase} exited with ${rc}")
  endif()
endforeach()
