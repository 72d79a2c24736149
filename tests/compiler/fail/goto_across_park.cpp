// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

BRAID_SP braid::task<int> f(braid::task<int> t) {
  int n = 0;
again:  // expected-error {{'label' is not supported in a BRAID_SP function that parks}}
  n += braid::park(t);
  // expected-error@+1 {{'goto' out of a statement is not supported in a BRAID_SP function that parks}}
  if (n < 10) goto again;
  return n;
}
