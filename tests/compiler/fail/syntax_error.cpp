// SPDX-License-Identifier: MIT
// Malformed input: braidc reports clang's own diagnostic and exits 1.
#include <braid/braid.hpp>

BRAID_SP braid::task<int> f(braid::task<int> t) {
  int v = braid::park(t)
  return v;  // expected-error@-1 {{expected ';' at end of declaration}}
}
