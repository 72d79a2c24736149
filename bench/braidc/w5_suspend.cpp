// SPDX-License-Identifier: MIT
// W5's parked process as a user writes it, compiled by braidc
// (bench/CMakeLists.txt); w5_suspend.cpp runs it next to the hand frame.
#include "baselines/w5_suspend.hpp"

#include <braid/braid.hpp>
#include <braid/op/dfv.hpp>

namespace bench_braidc {

BRAID_SP braid::task<int> waiter(braid::dfv<int> d, baselines::w5::counts& c) {
  baselines::w5::counted guard(c);
  return braid::park(d.deref());
}

}  // namespace bench_braidc
