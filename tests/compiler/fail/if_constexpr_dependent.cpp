// SPDX-License-Identifier: MIT
// if constexpr over a template parameter: braidc lowers the template once,
// the condition is known only per instantiation. Templated BRAID_SP functions
// are refused as a whole for now (docs/compiler.md, Known limits), which
// refuses this one too; the if-constexpr diagnostic applies once they are not.
#include <braid/braid.hpp>

template <class T>
// expected-error@+1 {{BRAID_SP function 'f' is a function template, which braidc does not transform yet}}
BRAID_SP braid::task<int> f(braid::task<int> t) {
  int n = 0;
  if constexpr (sizeof(T) > 4) {
    n = braid::park(t);
  }
  return n;
}
