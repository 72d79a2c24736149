// SPDX-License-Identifier: MIT
// if constexpr over a template parameter: braidc lowers the template once,
// the condition is known only per instantiation.
#include <braid/braid.hpp>

template <class T>
BRAID_SP braid::task<int> f(braid::task<int> t) {
  int n = 0;
  // expected-error@+1 {{'if constexpr' whose condition depends on a template parameter is not supported in a BRAID_SP function that parks; park in separate BRAID_SP functions}}
  if constexpr (sizeof(T) > 4) {
    n = braid::park(t);
  }
  return n;
}
