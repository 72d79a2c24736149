# SPDX-License-Identifier: MIT
#
# cmake -P script behind the install/consumer test (see CMakeLists.txt).
# Every step must succeed; the consumer's own output is checked at the end.
foreach(var BRAID_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR WITH_BRAIDC CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_install_test.cmake: -D${var}=... is required")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(step name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install test: ${name} failed (${rc}):\n${out}")
  endif()
  message(STATUS "install test: ${name}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

step("cmake --install" ${CMAKE_COMMAND} --install ${BRAID_BUILD_DIR} --prefix ${prefix})

# The package must be usable on its own: nothing from the source or build
# tree may leak into it.
file(GLOB_RECURSE installed_cmake ${prefix}/*.cmake)
foreach(f ${installed_cmake})
  file(READ ${f} text)
  string(FIND "${text}" "${BRAID_BUILD_DIR}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "install test: ${f} refers to the build tree ${BRAID_BUILD_DIR}")
  endif()
endforeach()
if(WITH_BRAIDC AND NOT EXISTS ${prefix}/lib/cmake/braid/braid_generate.cmake)
  message(FATAL_ERROR "install test: braid_generate.cmake was not installed")
endif()

step("configure the consumer" ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${build}
  -G "${GENERATOR}" -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONSUMER_WITH_BRAIDC=${WITH_BRAIDC})
step("build the consumer" ${CMAKE_COMMAND} --build ${build} -j 2)

step("run the runtime consumer" ${build}/consumer_runtime)
if(NOT step_output MATCHES "consumer_runtime: 42")
  message(FATAL_ERROR "install test: consumer_runtime printed:\n${step_output}")
endif()

step("run the durable consumer" ${build}/consumer_durable ${WORK_DIR}/durable.db)
if(NOT step_output MATCHES "consumer_durable: {\"a\": 1} 0 runs")
  message(FATAL_ERROR "install test: consumer_durable printed:\n${step_output}")
endif()
step("run the installed braid-runs" ${prefix}/bin/braid-runs list ${WORK_DIR}/durable.db)
if(NOT step_output STREQUAL "no runs\n")
  message(FATAL_ERROR "install test: braid-runs list printed:\n${step_output}")
endif()

if(WITH_BRAIDC)
  if(NOT EXISTS ${build}/braid_generated/src/annotated.braid.cpp)
    message(FATAL_ERROR "install test: braid_generate did not write "
                        "braid_generated/src/annotated.braid.cpp")
  endif()
  step("run the generated consumer" ${build}/consumer_generated)
  if(NOT step_output MATCHES "consumer_generated: 43")
    message(FATAL_ERROR "install test: consumer_generated printed:\n${step_output}")
  endif()
endif()
