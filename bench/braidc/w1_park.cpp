// SPDX-License-Identifier: MIT
// W1's sequential processes as a user writes them; bench/CMakeLists.txt
// runs braidc on this file (braid_generate) and w1_park.cpp runs the
// result next to the hand-written frames.
#include <braid/braid.hpp>
#include <cstdint>

namespace bench_braidc {

BRAID_SP braid::task<int> value(int i) { return i; }

BRAID_SP braid::task<std::int64_t> total_immediate(long n) {
  std::int64_t sum = 0;
  for (long i = 0; i < n; ++i) sum += braid::park(braid::task<int>(static_cast<int>(i)));
  return sum;
}

BRAID_SP braid::task<std::int64_t> total_child(long n) {
  std::int64_t sum = 0;
  for (long i = 0; i < n; ++i) sum += braid::park(value(static_cast<int>(i)));
  return sum;
}

}  // namespace bench_braidc
