# SPDX-License-Identifier: MIT
#
# braid_generate(TARGET <target> SOURCES <x.cpp>... [OUT_DIR <dir>]
#                [OPTIONS <braidc option>...] [OUT_VAR <var>])
#
# Runs braidc on each annotated source at build time and compiles the
# generated file instead of the source:
#   <src dir>/a/x.cpp -> <OUT_DIR>/a/x.braid.cpp
# OUT_DIR defaults to ${CMAKE_CURRENT_BINARY_DIR}/braid_generated; the folders
# below it mirror the sources' paths relative to ${CMAKE_CURRENT_SOURCE_DIR}
# (a source outside it goes to _ext/<hash of its folder>/, so two x.cpp never
# clash).
#
# With TARGET, braidc parses each source with the target's include
# directories and compile definitions (including those its linked libraries
# bring, e.g. braid::braid's), the outputs are added to the target, and the
# annotated source, if it is also listed in the target, is not compiled
# (HEADER_FILE_ONLY). Every output is rebuilt when its source, a header it
# includes (depfile) or braidc itself changes. OPTIONS are passed to braidc
# before the compile flags (e.g. --no-line-directives, --extra-arg=-DX=1).
# OUT_VAR receives the list of generated files (without TARGET, this is the
# only way to use them). One of TARGET and OUT_VAR is required.
#
# braidc comes from the `braidc` target of this build, or from the imported
# `braid::braidc` of an installed braid (find_package(braid CONFIG)) or of
# this build's BRAIDC_EXECUTABLE (tools/cmake/braidc_imported.cmake).

function(braid_generate)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TARGET;OUT_DIR;OUT_VAR" "SOURCES;OPTIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "braid_generate: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_TARGET AND NOT arg_OUT_VAR)
    message(FATAL_ERROR "braid_generate: give TARGET <target> (to add the generated files to it) "
                        "or OUT_VAR <variable> (to receive their paths), or both")
  endif()
  if(arg_TARGET AND NOT TARGET ${arg_TARGET})
    message(FATAL_ERROR "braid_generate: '${arg_TARGET}' is not a target; create it "
                        "(add_executable/add_library) before calling braid_generate")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "braid_generate: no SOURCES given")
  endif()

  # A target name in DEPENDS orders the build; the file makes every output
  # depend on the executable itself (a new braidc regenerates everything),
  # which an imported target alone does not.
  if(TARGET braidc)
    set(tool braidc)
  elseif(TARGET braid::braidc)
    set(tool braid::braidc)
  else()
    message(FATAL_ERROR "braid_generate: braidc is not available: build braid with "
                        "BRAID_BUILD_COMPILER=ON (the installed package then provides braid::braidc)")
  endif()
  # A braidc imported with BRAIDC_EXECUTABLE is checked for staleness at
  # each build before it generates anything (braidc_imported.cmake).
  set(tool_check)
  if(TARGET braidc_fresh)
    set(tool_check braidc_fresh)
  endif()

  set(out_root "${arg_OUT_DIR}")
  if(NOT out_root)
    set(out_root "${CMAKE_CURRENT_BINARY_DIR}/braid_generated")
  elseif(NOT IS_ABSOLUTE "${out_root}")
    set(out_root "${CMAKE_CURRENT_BINARY_DIR}/${out_root}")
  endif()

  set(flags -std=c++20)
  if(arg_TARGET)
    # Generator expressions: evaluated with the target's full usage
    # requirements (transitive INTERFACE_* of what it links).
    set(incs "$<TARGET_PROPERTY:${arg_TARGET},INCLUDE_DIRECTORIES>")
    set(defs "$<TARGET_PROPERTY:${arg_TARGET},COMPILE_DEFINITIONS>")
    list(APPEND flags
      "$<$<BOOL:${incs}>:-I$<JOIN:${incs},$<SEMICOLON>-I>>"
      "$<$<BOOL:${defs}>:-D$<JOIN:${defs},$<SEMICOLON>-D>>")
  endif()

  set(outputs)
  foreach(src IN LISTS arg_SOURCES)
    get_filename_component(src_abs "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_filename_component(src_dir "${src_abs}" DIRECTORY)
    get_filename_component(src_name "${src_abs}" NAME_WLE)
    get_filename_component(src_ext "${src_abs}" LAST_EXT)
    file(RELATIVE_PATH rel_dir "${CMAKE_CURRENT_SOURCE_DIR}" "${src_dir}")
    if(rel_dir MATCHES "^\\.\\./|^\\.\\.$" OR IS_ABSOLUTE "${rel_dir}")
      string(MD5 dir_hash "${src_dir}")
      string(SUBSTRING "${dir_hash}" 0 12 dir_hash)
      set(rel_dir "_ext/${dir_hash}")
    endif()
    if(rel_dir STREQUAL "")
      set(out_dir "${out_root}")
    else()
      set(out_dir "${out_root}/${rel_dir}")
    endif()
    set(out "${out_dir}/${src_name}.braid${src_ext}")
    file(RELATIVE_PATH out_display "${CMAKE_BINARY_DIR}" "${out}")

    cmake_policy(PUSH)
    cmake_policy(SET CMP0116 NEW)  # depfile paths as braidc writes them (absolute)
    add_custom_command(
      OUTPUT "${out}"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
      COMMAND "$<TARGET_FILE:${tool}>" "${src_abs}" -o "${out}" --depfile "${out}.d"
              ${arg_OPTIONS} -- ${flags}
      DEPENDS "${src_abs}" ${tool} "$<TARGET_FILE:${tool}>" ${tool_check}
      DEPFILE "${out}.d"
      COMMENT "braidc ${src} -> ${out_display}"
      COMMAND_EXPAND_LISTS
      VERBATIM)
    cmake_policy(POP)

    # The generated file's #include "x.h" must still find x.h next to x.cpp.
    set_source_files_properties("${out}" PROPERTIES
      GENERATED ON
      COMPILE_OPTIONS "-iquote;${src_dir}")
    if(arg_TARGET)
      # Listed in the target or not, the annotated source is never compiled
      # itself: only its transformed copy is.
      set_source_files_properties("${src_abs}" PROPERTIES HEADER_FILE_ONLY ON)
    endif()
    list(APPEND outputs "${out}")
  endforeach()

  if(arg_TARGET)
    target_sources(${arg_TARGET} PRIVATE ${outputs})
  endif()
  if(arg_OUT_VAR)
    set(${arg_OUT_VAR} "${outputs}" PARENT_SCOPE)
  endif()
endfunction()
