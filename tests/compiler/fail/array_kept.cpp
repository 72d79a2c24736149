// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

BRAID_SP braid::task<int> f(braid::task<int> t) {
  // expected-error@+1:7 {{array 'a' lives across the park at line 7; C arrays cannot be kept in the frame; use std::array}}
  int a[2] = {1, 2};
  a[0] += braid::park(t);
  return a[0] + a[1];
}
