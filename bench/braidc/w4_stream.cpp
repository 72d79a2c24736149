// SPDX-License-Identifier: MIT
// W4's ap variant as a user writes it; bench/CMakeLists.txt runs braidc on
// this file (braid_generate) and w4_stream.cpp runs the result next to the
// hand-written frame.
#include <braid/braid.hpp>

#include <cstdint>

namespace bench_braidc {

BRAID_AP braid::flow<std::int64_t> doubled(braid::flow<int> in) {
  return static_cast<std::int64_t>(braid::fork(in)) * 2;
}

}  // namespace bench_braidc
