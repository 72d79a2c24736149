# SPDX-License-Identifier: MIT
# cmake -DBRAIDC=... -DDIR=durable_hash -DINCLUDE=... -P check_durable_hash.cmake
# The hashes braidc writes into a durable function's table (partitions in
# order, then the signature) depend on code as tokens (docs/durable.md
# "Versioning"): v1_reformatted (comments, whitespace, line breaks, lines
# moved) keeps every hash; v2 (the code continuing the listen changed)
# changes exactly the hash of partition #2.
function(hashes_of name out)
  execute_process(
    COMMAND ${BRAIDC} ${DIR}/${name}.cpp --stdout -- -std=c++20 -I${INCLUDE}
    RESULT_VARIABLE rc OUTPUT_VARIABLE code ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "braidc ${name}.cpp exited with ${rc}:\n${err}")
  endif()
  string(REGEX MATCHALL "0x[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]ull" found "${code}")
  list(LENGTH found n)
  if(NOT n EQUAL 5)
    message(FATAL_ERROR "${name}.cpp: expected 4 partition hashes and a signature hash, found ${n}: ${found}")
  endif()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

hashes_of(v1 v1)
hashes_of(v1_reformatted v1r)
hashes_of(v2 v2)
if(NOT v1 STREQUAL v1r)
  message(FATAL_ERROR "reformatting changed a hash:\n  v1:             ${v1}\n  v1_reformatted: ${v1r}")
endif()
foreach(i 0 1 2 3 4)
  list(GET v1 ${i} a)
  list(GET v2 ${i} b)
  if(i EQUAL 2 AND a STREQUAL b)
    message(FATAL_ERROR "v2 changed the code continuing the listen, but partition #2 kept its hash ${a}")
  elseif(NOT i EQUAL 2 AND NOT a STREQUAL b)
    message(FATAL_ERROR "v2 changed only partition #2, but hash ${i} changed too: ${a} -> ${b}")
  endif()
endforeach()
message(STATUS "durable hashes: ${v1}; v2: ${v2}")
