// SPDX-License-Identifier: MIT
// W7's durable function as a user writes it, compiled by braidc
// (bench/CMakeLists.txt); w7_durable.cpp runs it next to the hand frame.
#include <braid/durable.hpp>

#include <string>

namespace bench_braidc {

BRAID_DURABLE braid::run<long> hold(std::string pad, int steps) {
  long sum = 0;
  for (int i = 0; i < steps; ++i) sum += braid::listen<long>("next");
  return sum + static_cast<long>(pad.size()) * 0;
}

}  // namespace bench_braidc
