// SPDX-License-Identifier: MIT
// f() runs before the park in C++ order; braidc cannot carry its value
// across the park yet, so it says so instead of reordering.
#include <braid/braid.hpp>

int f();
int g(int, int);

BRAID_SP braid::task<int> h(braid::task<int> t) {
  // expected-error@+1:17 {{braid::park after an operand that C++ evaluates first is not supported yet}}
  return g(f(), braid::park(t));
}
