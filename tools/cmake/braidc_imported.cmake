# SPDX-License-Identifier: MIT
#
# BRAIDC_EXECUTABLE=<path>: use a braidc built by another build of this tree
# (tools/test's sanitizer jobs use the main job's) as the imported target
# braid::braidc, which braid_generate, the behaviour tests and dsl-examples
# then use. braidc's own tests (cli, fail, golden, line) need the braidc
# target and stay with the build that builds it.
#
# A missing braidc, or one older than a file under compiler/ (built from
# other sources than this tree's), is an error: checked when cmake runs and
# again at every build (target braidc_fresh, which every braidc step waits
# for), so the generated code is never made by a stale tool.
#
# Also run as a script (cmake -DBRAIDC=... -DCOMPILER_DIR=... -P this file)
# for the build-time check.

function(braidc_check_fresh braidc compiler_dir out_error)
  set(${out_error} "" PARENT_SCOPE)
  if(NOT EXISTS "${braidc}" OR IS_DIRECTORY "${braidc}")
    set(${out_error} "BRAIDC_EXECUTABLE=${braidc} does not exist; build braidc first \
(e.g. `ninja -C build/main braidc`) or point BRAIDC_EXECUTABLE at one" PARENT_SCOPE)
    return()
  endif()
  file(GLOB_RECURSE sources "${compiler_dir}/*.cpp" "${compiler_dir}/*.h" "${compiler_dir}/*.hpp"
       "${compiler_dir}/*.def" "${compiler_dir}/CMakeLists.txt")
  list(SORT sources)
  foreach(src IN LISTS sources)
    # IS_NEWER_THAN is also true for equal times: stale only if strictly newer.
    if("${src}" IS_NEWER_THAN "${braidc}" AND NOT "${braidc}" IS_NEWER_THAN "${src}")
      set(${out_error} "BRAIDC_EXECUTABLE=${braidc} is stale: ${src} is newer; rebuild \
braidc (e.g. `ninja -C build/main braidc`) before building this tree" PARENT_SCOPE)
      return()
    endif()
  endforeach()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  braidc_check_fresh("${BRAIDC}" "${COMPILER_DIR}" error)
  if(error)
    message(FATAL_ERROR "braidc: ${error}")
  endif()
  return()
endif()

get_filename_component(BRAIDC_EXECUTABLE "${BRAIDC_EXECUTABLE}" ABSOLUTE)
braidc_check_fresh("${BRAIDC_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/compiler" braidc_error)
if(braidc_error)
  message(FATAL_ERROR "${braidc_error}")
endif()
message(STATUS "braidc: using ${BRAIDC_EXECUTABLE} (not built here; braidc's own tests are not run)")

add_executable(braid::braidc IMPORTED GLOBAL)
set_target_properties(braid::braidc PROPERTIES IMPORTED_LOCATION "${BRAIDC_EXECUTABLE}")
add_custom_target(braidc_fresh ALL
  COMMAND ${CMAKE_COMMAND} -DBRAIDC=${BRAIDC_EXECUTABLE} -DCOMPILER_DIR=${PROJECT_SOURCE_DIR}/compiler
          -P ${CMAKE_CURRENT_LIST_FILE}
  COMMENT "Checking that ${BRAIDC_EXECUTABLE} is not older than compiler/"
  VERBATIM)

include(${CMAKE_CURRENT_LIST_DIR}/braid_generate.cmake)
