// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

BRAID_SP braid::task<int> two(braid::task<int> t) {
  int v = braid::park(t);
  return v * 2;
}
