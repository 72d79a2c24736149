// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

bool ready();

BRAID_SP braid::task<int> f(braid::task<int> t) {
  // expected-error@+1:11 {{braid::park in a branch of '?:' is not supported yet}}
  int v = ready() ? braid::park(t) : 0;
  return v;
}
