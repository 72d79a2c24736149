// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

bool ready();

BRAID_SP braid::task<int> f(braid::task<int> t) {
  // expected-error@+1:21 {{braid::park in the right operand of ',' is not supported yet}}
  int v = (ready(), braid::park(t));
  return v;
}
