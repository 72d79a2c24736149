// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

bool ready();

BRAID_SP braid::task<int> f(braid::task<int> t) {
  // expected-error@+1:18 {{braid::park in the right operand of '&&' is not supported yet}}
  if (ready() && braid::park(t) > 0) return 1;
  return 0;
}
