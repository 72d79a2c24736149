// SPDX-License-Identifier: MIT
// W3's sequential process as a user writes it, compiled by braidc
// (bench/CMakeLists.txt); w3_race.cpp runs it next to the hand frame.
#include <braid/braid.hpp>
#include <braid/op/never.hpp>
#include <braid/op/race.hpp>
#include <cstdint>

namespace bench_braidc {

BRAID_SP braid::task<std::int64_t> races(long n) {
  std::int64_t sum = 0;
  for (long i = 0; i < n; ++i)
    sum += braid::park(braid::race(braid::never<int>(), braid::task<int>(static_cast<int>(i))));
  return sum;
}

}  // namespace bench_braidc
