// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

int plain(braid::task<int> t) {
  // expected-error@+1:10 {{braid::park is used outside a BRAID_SP function}}
  return braid::park(t);
}
