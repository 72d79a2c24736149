# SPDX-License-Identifier: MIT
#
# cmake -P script behind the compiler/braid_generate test: configures and
# builds generate/ with the braidc under test, then checks where the outputs
# went, that the annotated source itself is not compiled, that an included
# header change re-runs braidc (depfile), that an up-to-date build does
# nothing, and that a call without TARGET or OUT_VAR is refused.
foreach(var BRAIDC BRAID_GENERATE_CMAKE BRAID_RUNTIME_INCLUDE PROJECT_DIR WORK_DIR CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_generate_test.cmake: -D${var}=... is required")
  endif()
endforeach()

set(src ${WORK_DIR}/src)
set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})
# A copy of the project, so that touching its header changes nothing in the
# source tree.
file(COPY ${PROJECT_DIR}/ DESTINATION ${src})

function(run name expect_rc)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(expect_rc STREQUAL "ok" AND NOT rc EQUAL 0)
    message(FATAL_ERROR "braid_generate test: ${name} failed (${rc}):\n${out}")
  elseif(expect_rc STREQUAL "fail" AND rc EQUAL 0)
    message(FATAL_ERROR "braid_generate test: ${name} succeeded but must fail:\n${out}")
  endif()
  message(STATUS "braid_generate test: ${name}: ok")
  set(output "${out}" PARENT_SCOPE)
endfunction()

function(fail message)
  message(FATAL_ERROR "braid_generate test: ${message}")
endfunction()

set(common -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DBRAIDC=${BRAIDC}
           -DBRAID_GENERATE_CMAKE=${BRAID_GENERATE_CMAKE}
           -DBRAID_RUNTIME_INCLUDE=${BRAID_RUNTIME_INCLUDE})

run("configure" ok ${CMAKE_COMMAND} -S ${src} -B ${build} ${common})
run("first build" ok ${CMAKE_COMMAND} --build ${build})

# Outputs mirror the sources' folders below braid_generated/ (or OUT_DIR).
foreach(f braid_generated/src/one.braid.cpp braid_generated/src/deeper/two.braid.cpp
          by_hand/src/three.braid.cpp)
  if(NOT EXISTS "${build}/${f}")
    fail("${f} was not generated")
  endif()
endforeach()
file(READ ${build}/by_hand/src/three.braid.cpp three)
string(FIND "${three}" "#line" at)
if(NOT at EQUAL -1)
  fail("OPTIONS --no-line-directives did not reach braidc")
endif()

# Only the generated copy of one.cpp is compiled.
file(GLOB_RECURSE objects ${build}/*.o)
set(compiled)
foreach(o ${objects})
  get_filename_component(n ${o} NAME)
  list(APPEND compiled ${n})
endforeach()
list(SORT compiled)
if(NOT compiled STREQUAL "one.braid.cpp.o;three.braid.cpp.o;two.braid.cpp.o")
  fail("objects built: ${compiled} (expected only the generated files)")
endif()

run("second build" ok ${CMAKE_COMMAND} --build ${build})
string(FIND "${output}" "braidc " at)
if(NOT at EQUAL -1)
  fail("an up-to-date build ran braidc again:\n${output}")
endif()

# The depfile: a header included by one.cpp changed, so braidc runs again
# for one.cpp, and only for it.
file(TOUCH ${src}/src/one.h)
run("build after touching one.h" ok ${CMAKE_COMMAND} --build ${build})
string(FIND "${output}" "braidc src/one.cpp" at)
if(at EQUAL -1)
  fail("touching one.h did not re-run braidc on one.cpp:\n${output}")
endif()
string(FIND "${output}" "braidc src/deeper/two.cpp" at)
if(NOT at EQUAL -1)
  fail("touching one.h re-ran braidc on two.cpp:\n${output}")
endif()

run("configure without TARGET or OUT_VAR" fail
    ${CMAKE_COMMAND} -S ${src} -B ${WORK_DIR}/bad ${common} -DBAD_CALL=ON)
string(FIND "${output}" "braid_generate: give TARGET <target>" at)
if(at EQUAL -1)
  fail("the refusal does not say what to give:\n${output}")
endif()
