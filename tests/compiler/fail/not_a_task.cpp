// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

// expected-error@+1:14 {{BRAID_SP function 'f' must return braid::task<T>, not 'int'}}
BRAID_SP int f(braid::task<int> t) {
  return 1;
}
