// SPDX-License-Identifier: MIT
// goto over parks is lowered (behave/gotos.cpp); a computed goto is not:
// labels become partitions, so the address of a label means nothing there.
#include <braid/braid.hpp>

BRAID_SP braid::task<int> f(braid::task<int> t, bool first) {
  int n = 0;
  // expected-error@+1 {{computed 'goto' is not supported in a BRAID_SP function that parks; jump with a switch over an index}}
  goto *(first ? &&a : &&b);
a:
  n += braid::park(t);
b:
  n += braid::park(t);
  // expected-error@+1 {{computed 'goto' is not supported in a BRAID_SP function that parks}}
  if (n < 10) goto *(first ? &&a : &&b);
  return n;
}
