// SPDX-License-Identifier: MIT
#include <braid/braid.hpp>

BRAID_SP braid::task<int> f(braid::task<int> t) {
  auto g = [&] {
    return braid::park(t);  // expected-error@+0:12 {{lambdas cannot park; make it a BRAID_SP function}}
  };
  return g();
}
