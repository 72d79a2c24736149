// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

// expected-error@+2:14 {{BRAID_SP function 'f' must return braid::task<T>, not 'int'}}
// expected-note@+1:1 {{function marked BRAID_SP here}}
BRAID_SP int f(braid::task<int> t) {
  return 1;
}
