// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

BRAID_SP braid::task<int> f(braid::task<int> t) {
  int v = braid::park(t);
  if (v > 0) return v;
  // expected-error@+1:10 {{a BRAID_SP function returns its value, not a task}}
  return t;
}
